//! `kcfg check`.

use std::io;

use kcfg_diagnostics::render::{self, Format};
use kcfg_diagnostics::{Diagnostic, Files, Severity};

use std::path::{Path, PathBuf};

use crate::args::{CheckArgs, OutputFormat};
use crate::commands::{read_source, report_error};
use crate::define_sets;
use crate::discover::discover;
use crate::{check, emit, Env, Status};

/// Check the paths of `args`: diagnostics on stdout in the chosen format;
/// in the human format a summary on stderr; problems with the paths
/// themselves on stderr.
///
/// [`Status::Error`] if any path could not be checked, else
/// [`Status::Findings`] if any error or warning was found, else
/// [`Status::Clean`] (info and hint diagnostics do not fail a check).
pub fn run(args: &CheckArgs, env: &mut Env<'_>) -> io::Result<Status> {
    let (targets, discover_errors) = discover(&args.paths, &args.stdin_filename);
    let mut failed = false;
    for e in &discover_errors {
        report_error(env, e)?;
        failed = true;
    }

    let mut files = Files::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut finder = crate::config::Finder::new();
    let mut several_sets = false;
    for target in &targets {
        // kcfg.toml: in the file's directory or above (the current
        // directory's for standard input)
        let dir = match &target.source {
            crate::discover::Source::File(p) => p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
            crate::discover::Source::Stdin => PathBuf::from("."),
        };
        let config = match finder.for_dir(&dir) {
            Ok(c) => c,
            Err(e) => {
                report_error(env, format_args!("cannot check `{}`: {e}", target.display))?;
                failed = true;
                continue;
            }
        };
        let mut options = check::CheckOptions {
            version: args
                .kamailio_version
                .or(config.kamailio_version)
                .unwrap_or_default(),
            defines: args.defines.clone(),
            path: None,
        };
        match read_source(env, &target.source) {
            Ok(bytes) => {
                if let crate::discover::Source::File(path) = &target.source {
                    options.path = Some(path.clone());
                }
                if let crate::discover::Source::File(path) = &target.source {
                    if let Some(language) = crate::kemi::language_of(path) {
                        diagnostics.extend(crate::kemi::check_script(
                            &mut files,
                            target.display.clone(),
                            path,
                            &bytes,
                            language,
                            args.cfg.as_deref(),
                            &options,
                        ));
                        continue;
                    }
                }
                let wants_sets = args.all_defines || config.define_sets.is_some();
                match kcfg_syntax::decode(&bytes) {
                    Ok(text) if wants_sets => {
                        let id = files.add(target.display.clone(), text);
                        let (sets, summary) = define_set_plan(&files, id, args, &config, &options);
                        emit(env.stderr, &format!("{}: {summary}\n", target.display))?;
                        several_sets |= sets.len() > 1;
                        diagnostics
                            .extend(define_sets::check_sets(&mut files, id, &options, &sets));
                    }
                    _ => {
                        let (_, d) = check::check_bytes(
                            &mut files,
                            target.display.clone(),
                            &bytes,
                            &options,
                        );
                        diagnostics.extend(d);
                    }
                }
            }
            Err(e) => {
                report_error(env, format_args!("cannot check `{}`: {e}", target.display))?;
                failed = true;
            }
        }
    }

    let format = match args.format {
        OutputFormat::Human => Format::Human,
        OutputFormat::Concise => Format::Concise,
        OutputFormat::Json => Format::Json,
    };
    // the concise format has no notes: say there with which defines
    if several_sets && format == Format::Concise {
        for d in &mut diagnostics {
            if let Some(n) = d.notes.iter().find(|n| n.starts_with("with defines:")) {
                d.message = format!("{} ({n})", d.message);
            }
        }
    }
    let color = env.use_color(args.color);
    emit(
        env.stdout,
        &render::render(format, &files, &diagnostics, color),
    )?;
    // no summary when nothing could be read: the errors say it all
    if format == Format::Human && !(failed && files.is_empty()) {
        // after the snippets, an empty line sets the summary apart
        let gap = if diagnostics.is_empty() { "" } else { "\n" };
        emit(
            env.stderr,
            &format!("{gap}{}\n", summary(&files, &diagnostics)),
        )?;
    }

    Ok(if failed {
        Status::Error
    } else if diagnostics.iter().any(|d| d.severity <= Severity::Warning) {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// The define sets to check a file with (`--all-defines`, kcfg.toml
/// `define-sets`), and one sentence saying how they were chosen.
fn define_set_plan(
    files: &Files,
    file: kcfg_diagnostics::FileId,
    args: &CheckArgs,
    config: &crate::config::Config,
    options: &check::CheckOptions,
) -> (Vec<define_sets::DefineSet>, String) {
    let mut sets: Vec<define_sets::DefineSet> = Vec::new();
    let mut parts = Vec::new();
    if args.all_defines {
        let text = files.get(file).text();
        let model = check::build_model(files, file, text, options);
        let names = define_sets::ifdef_names(&model, &options.defines);
        let plan = define_sets::all_defines_plan(&names);
        sets = plan.sets;
        parts.push(plan.summary);
    }
    if let Some(listed) = &config.define_sets {
        let path = config
            .path
            .as_ref()
            .map_or_else(|| "kcfg.toml".to_string(), |p| p.display().to_string());
        let before = sets.len();
        for s in listed {
            if !sets.contains(s) {
                sets.push(s.clone());
            }
        }
        let what = format!(
            "{} define set{} from {path}",
            listed.len(),
            if listed.len() == 1 { "" } else { "s" }
        );
        if args.all_defines {
            parts.push(format!("plus {} more of the {what}", sets.len() - before));
        } else {
            parts.push(format!("checked the {what}"));
        }
    }
    if sets.is_empty() {
        sets.push(Vec::new());
    }
    (sets, parts.join("; "))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `Found 2 errors in 1 file.`, `Found 1 error and 3 warnings in 2 files.`,
/// `No problems found in 3 files.`
pub fn summary(files: &Files, diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return format!("No problems found in {}.", plural(files.len(), "file"));
    }
    let counts: Vec<String> = [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info message"),
        (Severity::Hint, "hint"),
    ]
    .into_iter()
    .filter_map(|(s, word)| {
        let n = diagnostics.iter().filter(|d| d.severity == s).count();
        (n > 0).then(|| plural(n, word))
    })
    .collect();
    let what = match counts.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => unreachable!(),
    };
    let mut with_findings: Vec<_> = diagnostics.iter().map(|d| d.file).collect();
    with_findings.sort();
    with_findings.dedup();
    format!("Found {what} in {}.", plural(with_findings.len(), "file"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kcfg_diagnostics::TextRange;

    #[test]
    fn summaries() {
        let mut files = Files::new();
        let a = files.add("a.cfg", "");
        assert_eq!(summary(&files, &[]), "No problems found in 1 file.");
        let b = files.add("b.cfg", "");
        assert_eq!(summary(&files, &[]), "No problems found in 2 files.");
        let r = TextRange::empty(0.into());
        let e = |f| Diagnostic::new("KC001", Severity::Error, f, r, "x");
        let w = |f| Diagnostic::new("KC900", Severity::Warning, f, r, "x");
        let h = |f| Diagnostic::new("KC901", Severity::Hint, f, r, "x");
        assert_eq!(summary(&files, &[e(a)]), "Found 1 error in 1 file.");
        assert_eq!(summary(&files, &[e(a), e(a)]), "Found 2 errors in 1 file.");
        assert_eq!(
            summary(&files, &[e(a), w(b)]),
            "Found 1 error and 1 warning in 2 files."
        );
        assert_eq!(
            summary(&files, &[e(a), w(b), h(b), h(a)]),
            "Found 1 error, 1 warning and 2 hints in 2 files."
        );
    }
}
