//! `kcfg fmt`: format configs in place (atomically), or `--check`/`--diff`
//! them, or standard input to standard output. The formatting itself is
//! `kcfg_fmt`; this file reads, writes and reports.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::args::FmtArgs;
use crate::commands::{read_source, report_error};
use crate::discover::{discover, Source, Target};
use crate::{emit, Env, Status};

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    Failed,
}

pub fn run(args: &FmtArgs, env: &mut Env<'_>) -> io::Result<Status> {
    let range = match args.range.as_deref().map(parse_range).transpose() {
        Ok(r) => r,
        Err(e) => {
            report_error(env, e)?;
            return Ok(Status::Error);
        }
    };
    let (targets, discover_errors) = discover(&args.paths, &args.stdin_filename);
    let mut failed = false;
    for e in &discover_errors {
        report_error(env, e)?;
        failed = true;
    }
    if range.is_some() && targets.len() + discover_errors.len() != 1 {
        report_error(env, "`--range` needs exactly one file (or `-`)")?;
        return Ok(Status::Error);
    }
    let mut finder = crate::config::Finder::new();
    let mut changed: Vec<String> = Vec::new();
    let mut unchanged = 0;
    let mut not_formatted = 0;
    for target in &targets {
        match format_one(args, env, &mut finder, target, range)? {
            Outcome::Unchanged => unchanged += 1,
            Outcome::Changed => changed.push(target.display.clone()),
            Outcome::Failed => {
                failed = true;
                not_formatted += 1;
            }
        }
    }
    let checking = args.check || args.diff;
    if args.check {
        for name in &changed {
            emit(env.stdout, &format!("would reformat: {name}\n"))?;
        }
    }
    let files = |n: usize| if n == 1 { "file" } else { "files" };
    let in_place = !checking && targets.iter().any(|t| t.source != Source::Stdin);
    if in_place || checking {
        let n = changed.len();
        let summary = if checking {
            format!("{n} {} would be reformatted", files(n))
        } else {
            format!("{n} {} reformatted", files(n))
        };
        let mut line = format!(
            "{summary}, {unchanged} {} already formatted",
            files(unchanged)
        );
        if not_formatted > 0 {
            line += &format!(", {not_formatted} {} not formatted", files(not_formatted));
        }
        emit(env.stderr, &format!("{line}\n"))?;
    }
    Ok(if failed {
        Status::Error
    } else if checking && !changed.is_empty() {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// `START:END`, 1-based inclusive line numbers.
fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("`--range {s}`: use START:END, line numbers from 1 (e.g. 10:20)");
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let (a, b): (usize, usize) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok((a, b))
}

/// The bytes of lines `start..=end` (1-based); lines past the end are clamped.
fn line_range(text: &str, (start, end): (usize, usize)) -> kcfg_syntax::TextRange {
    let mut starts = vec![0usize];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let at = |line: usize| starts.get(line - 1).copied().unwrap_or(text.len());
    let s = at(start).min(text.len());
    let e = starts
        .get(end)
        .map_or(text.len(), |&next| next.saturating_sub(1))
        .max(s);
    kcfg_syntax::TextRange::new((s as u32).into(), (e as u32).into())
}

fn format_one(
    args: &FmtArgs,
    env: &mut Env<'_>,
    finder: &mut crate::config::Finder,
    target: &Target,
    range: Option<(usize, usize)>,
) -> io::Result<Outcome> {
    let name = &target.display;
    let dir = match &target.source {
        Source::File(p) => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
        Source::Stdin => PathBuf::from("."),
    };
    let options = match finder.for_dir(&dir) {
        Ok(c) => c.format,
        Err(e) => {
            report_error(env, format_args!("cannot format `{name}`: {e}"))?;
            return Ok(Outcome::Failed);
        }
    };
    let bytes = match read_source(env, &target.source) {
        Ok(b) => b,
        Err(e) => {
            report_error(env, format_args!("cannot read `{name}`: {e}"))?;
            return Ok(Outcome::Failed);
        }
    };
    let text = match kcfg_syntax::decode(&bytes) {
        Ok(t) => t,
        Err(e) => {
            report_error(
                env,
                format_args!("cannot format `{name}`: {e}; left as it is"),
            )?;
            return Ok(Outcome::Failed);
        }
    };
    let result = match range {
        None => kcfg_fmt::format_detailed(text, &options).map(|f| (f.text, f.skipped)),
        Some(lines) => {
            kcfg_fmt::format_range(text, line_range(text, lines), &options).map(|edit| {
                let out = edit.map_or_else(|| text.to_string(), |e| e.apply(text));
                (out, Vec::new())
            })
        }
    };
    let (formatted, skipped) = match result {
        Ok(r) => r,
        Err(e) => {
            report_error(env, format_args!("cannot format `{name}`: {e}"))?;
            return Ok(Outcome::Failed);
        }
    };
    if !skipped.is_empty() {
        let index = kcfg_syntax::LineIndex::new(text);
        for s in &skipped {
            let a = index.line_col(s.range.start()).line + 1;
            let b = index.line_col(s.range.end()).line + 1;
            let lines = if a == b {
                format!("line {a}")
            } else {
                format!("lines {a}-{b}")
            };
            emit(
                env.stderr,
                &format!("{name}:{a}: note: {lines} left as they are: {}\n", s.reason),
            )?;
        }
    }
    let is_changed = formatted != text;
    if args.diff && is_changed {
        let diff = similar::TextDiff::from_lines(text, &formatted);
        let mut out = diff
            .unified_diff()
            .context_radius(3)
            .header(name, name)
            .to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        emit(env.stdout, &out)?;
    }
    if args.check || args.diff {
        return Ok(if is_changed {
            Outcome::Changed
        } else {
            Outcome::Unchanged
        });
    }
    match &target.source {
        Source::Stdin => emit(env.stdout, &formatted)?,
        Source::File(path) if is_changed => {
            if let Err(e) = write_atomically(path, formatted.as_bytes()) {
                report_error(env, format_args!("cannot write `{name}`: {e}"))?;
                return Ok(Outcome::Failed);
            }
        }
        Source::File(_) => {}
    }
    Ok(if is_changed {
        Outcome::Changed
    } else {
        Outcome::Unchanged
    })
}

/// Replace the file's contents by writing a temporary file in the same
/// directory and renaming it over the file, keeping its permissions. A
/// symbolic link is followed: its target is replaced, the link stays.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let real = std::fs::canonicalize(path)?;
    let dir = real.parent().unwrap_or(Path::new("."));
    let permissions = std::fs::metadata(&real)?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".kcfg-fmt-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), permissions)?;
    tmp.persist(&real).map_err(|e| e.error)?;
    Ok(())
}
