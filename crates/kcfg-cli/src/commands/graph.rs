//! `kcfg graph`: a thin wrapper over [`kcfg_graph::RouteGraph`].

use std::io;
use std::path::Path;

use crate::args::{GraphArgs, GraphFormat};
use crate::commands::report_error;
use crate::input::{read_file, MAX_FILE_SIZE};
use crate::{emit, Env, Status};

/// Print the route call graph of a config in the chosen format.
///
/// [`Status::Clean`] on success (even when routes are unreachable: the
/// graph is the result), [`Status::Error`] when the file cannot be read,
/// is not UTF-8, the SVG layout fails, or `--coverage` is given (kcfg has
/// no runtime to produce coverage yet).
pub fn run(args: &GraphArgs, env: &mut Env<'_>) -> io::Result<Status> {
    if args.coverage.is_some() {
        report_error(env, kcfg_graph::COVERAGE_UNAVAILABLE)?;
        return Ok(Status::Error);
    }
    let display = args.file.display().to_string();
    let bytes = match read_file(&args.file, MAX_FILE_SIZE) {
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
    let dir = args.file.parent().unwrap_or(Path::new("."));
    let config = crate::config::Finder::new()
        .for_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .ok();
    let options = kcfg_sema::SemaOptions {
        version: args
            .kamailio_version
            .or(config.and_then(|c| c.kamailio_version))
            .unwrap_or_default(),
        defines: args.defines.clone(),
        cwd: None,
    };
    let model = kcfg_sema::Model::build(&args.file, text, &kcfg_sema::FsLoader, &options);
    let graph = kcfg_graph::RouteGraph::from_model(&model);
    let out = match args.format {
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Mermaid => graph.to_mermaid(),
        GraphFormat::Svg => match graph.to_svg() {
            Ok(s) => s,
            Err(e) => {
                report_error(env, e)?;
                return Ok(Status::Error);
            }
        },
    };
    emit(env.stdout, &out)?;
    Ok(Status::Clean)
}
