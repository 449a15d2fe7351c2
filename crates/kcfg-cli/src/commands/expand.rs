//! `kcfg expand`: a thin wrapper over [`kcfg_sema::expand`].

use std::io;

use crate::args::ExpandArgs;
use crate::commands::{read_source, report_error};
use crate::discover::Source;
use crate::{emit, Env, Status};

/// Print the expanded config on stdout and what stopped or troubled the
/// expansion on stderr (`FILE:LINE: message`).
///
/// [`Status::Clean`] when the whole config was read, [`Status::Findings`]
/// when Kamailio would stop before its end (the text up to there is
/// printed), [`Status::Error`] when the main file cannot be read.
pub fn run(args: &ExpandArgs, env: &mut Env<'_>) -> io::Result<Status> {
    let (source, display) = if args.file.as_os_str() == "-" {
        (Source::Stdin, "<stdin>".to_string())
    } else {
        (
            Source::File(args.file.clone()),
            args.file.display().to_string(),
        )
    };
    let bytes = match read_source(env, &source) {
        Ok(b) => b,
        Err(e) => {
            report_error(env, format_args!("cannot read `{display}`: {e}"))?;
            return Ok(Status::Error);
        }
    };
    let Ok(text) = kcfg_syntax::decode(&bytes) else {
        report_error(env, format_args!("`{display}` is not valid UTF-8"))?;
        return Ok(Status::Error);
    };
    let options = kcfg_sema::ExpandOptions {
        version: args.kamailio_version.unwrap_or_default(),
        defines: args.defines.clone(),
        cwd: None,
        source_markers: args.source_markers,
    };
    let expansion = kcfg_sema::expand(&display, text, &kcfg_sema::FsLoader, &options);
    emit(env.stdout, &expansion.text)?;
    let mut messages = String::new();
    for e in &expansion.errors {
        let what = if e.fatal { "error" } else { "warning" };
        if e.file.as_os_str().is_empty() {
            messages.push_str(&format!("kcfg: {what}: {}\n", e.message));
        } else {
            messages.push_str(&format!(
                "{}:{}: {what}: {}\n",
                e.file.display(),
                e.line,
                e.message
            ));
        }
    }
    emit(env.stderr, &messages)?;
    Ok(if expansion.is_complete() {
        Status::Clean
    } else {
        Status::Findings
    })
}
