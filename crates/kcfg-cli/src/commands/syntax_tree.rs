//! `kcfg syntax-tree`.

use std::io;

use kcfg_diagnostics::{render, Files};

use crate::args::SyntaxTreeArgs;
use crate::commands::{read_source, report_error};
use crate::discover::Source;
use crate::{check, emit, Env, Status};

/// Print the CST of one file, then its syntax errors in the concise format.
///
/// [`Status::Clean`] even with syntax errors (the tree is the result);
/// [`Status::Findings`] when the file is not UTF-8 (there is no tree);
/// [`Status::Error`] when it cannot be read.
pub fn run(args: &SyntaxTreeArgs, env: &mut Env<'_>) -> io::Result<Status> {
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
    let mut files = Files::new();
    let Ok(text) = kcfg_syntax::decode(&bytes) else {
        let (_, d) =
            check::check_bytes(&mut files, display, &bytes, &check::CheckOptions::default());
        emit(env.stdout, &render::concise(&files, &d))?;
        return Ok(Status::Findings);
    };
    let parse = kcfg_syntax::parse(text);
    let mut out = parse.debug_tree();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let file = files.add(display, text);
    let diagnostics = check::check_source(&mut files, file, &check::CheckOptions::default());
    out.push_str(&render::concise(&files, &diagnostics));
    emit(env.stdout, &out)?;
    Ok(Status::Clean)
}
