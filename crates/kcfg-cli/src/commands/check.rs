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

    // each target's kcfg.toml and options, in order; a bad lint selection
    // ends the run at its target (the targets before it are still checked)
    let mut finder = crate::config::Finder::new();
    let mut planned = Vec::with_capacity(targets.len());
    let mut lint_error = None;
    for target in &targets {
        match plan(args, &mut finder, target) {
            Ok(p) => planned.push((target, p)),
            Err(e) => {
                lint_error = Some(e);
                break;
            }
        }
    }

    let mut files = Files::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut several_sets = false;
    let mut fixes_shown = 0usize;
    let mut take = |env: &mut Env<'_>, c: Checked| -> io::Result<()> {
        for line in &c.stderr {
            emit(env.stderr, line)?;
        }
        failed |= c.failed;
        several_sets |= c.several_sets;
        let shift = files.append(c.files);
        diagnostics.extend(c.diagnostics.into_iter().map(|mut d| {
            d.file = d.file.shifted(shift);
            d
        }));
        Ok(())
    };
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let stdin = targets
        .iter()
        .any(|t| matches!(t.source, crate::discover::Source::Stdin));
    let pool = (jobs > 1 && planned.len() > 1 && !(args.fix || args.diff || stdin))
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(jobs)
                .build()
                .ok()
        })
        .flatten();
    let check_one = |(target, plan): &(&crate::discover::Target, Plan)| match plan {
        Plan::Failed(message) => Checked::failed(message.clone()),
        Plan::Check(c) => match read_target(target) {
            Ok(bytes) => check_target(args, target, &c.0, &c.1, &bytes),
            Err(message) => Checked::failed(message),
        },
    };
    if !(args.fix || args.diff || stdin) {
        // several files at once where there are cores for them; reported
        // in the order of the targets, as one at a time would
        let checked: Vec<Checked> = match pool {
            Some(pool) => {
                use rayon::prelude::*;
                pool.install(|| planned.par_iter().map(check_one).collect())
            }
            None => planned.iter().map(check_one).collect(),
        };
        let own: Vec<Option<PathBuf>> = planned
            .iter()
            .map(|(t, _)| match &t.source {
                crate::discover::Source::File(p) => Some(canonical(p)),
                crate::discover::Source::Stdin => None,
            })
            .collect();
        let left_out = included_elsewhere(&own, &checked);
        for (c, left_out) in checked.into_iter().zip(left_out) {
            if !left_out {
                take(env, c)?;
            }
        }
    } else {
        for (target, plan) in &planned {
            let (options, config) = match plan {
                Plan::Failed(message) => {
                    take(env, Checked::failed(message.clone()))?;
                    continue;
                }
                Plan::Check(c) => (&c.0, &c.1),
            };
            let mut bytes = match read_source(env, &target.source) {
                Ok(bytes) => bytes,
                Err(e) => {
                    take(env, Checked::failed(cannot_check(target, e)))?;
                    continue;
                }
            };
            let kemi = matches!(&target.source, crate::discover::Source::File(path)
                if crate::kemi::language_of(path).is_some());
            if (args.fix || args.diff) && !kemi {
                match apply_fixes(args, env, target, &bytes, options)? {
                    FixOutcome::Text(fixed) => bytes = fixed.into_bytes(),
                    FixOutcome::Printed => {
                        fixes_shown += 1;
                        continue;
                    }
                    FixOutcome::Nothing => {}
                }
                if args.diff {
                    continue;
                }
            }
            take(env, check_target(args, target, options, config, &bytes))?;
        }
    }
    if let Some(e) = lint_error {
        report_error(env, e)?;
        return Ok(Status::Error);
    }

    if args.diff || (args.fix && args.paths.iter().any(|p| p.as_os_str() == "-")) {
        // the diffs (or the fixed text) were the output
        return Ok(if failed {
            Status::Error
        } else if fixes_shown > 0 && args.diff {
            Status::Findings
        } else {
            Status::Clean
        });
    }
    let format = match args.format {
        OutputFormat::Human => Format::Human,
        OutputFormat::Concise => Format::Concise,
        OutputFormat::Json => Format::Json,
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Github => Format::Github,
        OutputFormat::Junit => Format::Junit,
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
    if args.statistics {
        emit(env.stdout, &statistics(&diagnostics))?;
    } else if format == Format::Sarif {
        let rules = rule_descriptors();
        emit(env.stdout, &render::sarif(&files, &diagnostics, &rules))?;
    } else {
        emit(
            env.stdout,
            &render::render(format, &files, &diagnostics, color),
        )?;
    }
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

/// What to do with one target: its kcfg.toml could not be read, or check
/// it with these options.
enum Plan {
    Failed(String),
    Check(Box<(check::CheckOptions, crate::config::Config)>),
}

/// The kcfg.toml (in the file's directory or above; the current
/// directory's for standard input) and the options of one target. `Err`:
/// the lint selection is invalid, which ends the run.
fn plan(
    args: &CheckArgs,
    finder: &mut crate::config::Finder,
    target: &crate::discover::Target,
) -> Result<Plan, String> {
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
        Err(e) => return Ok(Plan::Failed(cannot_check(target, e))),
    };
    let lint = lint_settings(args, &config)?;
    let options = check::CheckOptions {
        version: args
            .kamailio_version
            .or(config.kamailio_version)
            .unwrap_or_default(),
        defines: args.defines.clone(),
        path: match &target.source {
            crate::discover::Source::File(path) => Some(path.clone()),
            crate::discover::Source::Stdin => None,
        },
        lint,
    };
    Ok(Plan::Check(Box::new((options, config))))
}

fn cannot_check(target: &crate::discover::Target, e: impl std::fmt::Display) -> String {
    format!("cannot check `{}`: {e}", target.display)
}

/// A target's file (never standard input), or why it cannot be read.
fn read_target(target: &crate::discover::Target) -> Result<Vec<u8>, String> {
    match &target.source {
        crate::discover::Source::File(path) => {
            crate::input::read_file(path, crate::input::MAX_FILE_SIZE)
                .map_err(|e| cannot_check(target, e))
        }
        crate::discover::Source::Stdin => Err(cannot_check(target, "standard input")),
    }
}

/// Which targets (their canonical paths `own`) another target includes,
/// as kcfg-sema resolved its includes: those are checked through that
/// target, where the modules and defines of the including config are
/// known, and are not reported alone, where they are not (`kcfg check
/// /etc/kamailio` with a `routes.cfg` that `kamailio.cfg` includes). A
/// target is left out only when the one that includes it is not included
/// by it in turn (every file of an include cycle stays).
fn included_elsewhere(own: &[Option<PathBuf>], checked: &[Checked]) -> Vec<bool> {
    own.iter()
        .enumerate()
        .map(|(i, path)| {
            let Some(path) = path else { return false };
            checked.iter().enumerate().any(|(j, other)| {
                j != i
                    && other.includes.contains(path)
                    && !own[j]
                        .as_ref()
                        .is_some_and(|o| checked[i].includes.contains(o))
            })
        })
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What checking one target gave: its own files and diagnostics, the
/// lines for stderr, in order. Kept apart so that targets can be checked
/// at once and reported in order.
struct Checked {
    files: Files,
    diagnostics: Vec<Diagnostic>,
    stderr: Vec<String>,
    failed: bool,
    several_sets: bool,
    /// the canonical paths of the files the config includes
    includes: Vec<PathBuf>,
}

impl Checked {
    /// A target that could not be checked: `kcfg: error: message`.
    fn failed(message: String) -> Checked {
        Checked {
            files: Files::new(),
            diagnostics: Vec::new(),
            stderr: vec![format!("kcfg: error: {message}\n")],
            failed: true,
            several_sets: false,
            includes: Vec::new(),
        }
    }
}

/// Check one target's bytes: a KEMI script, a config with several define
/// sets (`--all-defines`, kcfg.toml `define-sets`) or a config.
fn check_target(
    args: &CheckArgs,
    target: &crate::discover::Target,
    options: &check::CheckOptions,
    config: &crate::config::Config,
    bytes: &[u8],
) -> Checked {
    let mut c = Checked {
        files: Files::new(),
        diagnostics: Vec::new(),
        stderr: Vec::new(),
        failed: false,
        several_sets: false,
        includes: Vec::new(),
    };
    if let crate::discover::Source::File(path) = &target.source {
        if let Some(language) = crate::kemi::language_of(path) {
            c.diagnostics = crate::kemi::check_script(
                &mut c.files,
                target.display.clone(),
                path,
                bytes,
                language,
                args.cfg.as_deref(),
                options,
            );
            return c;
        }
    }
    let wants_sets = args.all_defines || config.define_sets.is_some();
    match kcfg_syntax::decode(bytes) {
        Ok(text) if wants_sets => {
            let id = c.files.add(target.display.clone(), text);
            let (sets, summary) = define_set_plan(&c.files, id, args, config, options);
            c.stderr.push(format!("{}: {summary}\n", target.display));
            c.several_sets = sets.len() > 1;
            c.diagnostics = define_sets::check_sets(&mut c.files, id, options, &sets);
        }
        _ => {
            let (_, d, included) = check::check_bytes_with_includes(
                &mut c.files,
                target.display.clone(),
                bytes,
                options,
            );
            c.diagnostics = d;
            c.includes = included.iter().map(|p| canonical(p)).collect();
        }
    }
    c
}

/// The lint rules to run: `[lint]` of kcfg.toml, `--select` replacing its
/// `select`, `--ignore` added to its `ignore`.
fn lint_settings(
    args: &CheckArgs,
    config: &crate::config::Config,
) -> Result<kcfg_lint::Settings, String> {
    let mut s = config.lint.clone();
    if !args.select.is_empty() {
        s.select = crate::config::selectors(&args.select, "--select")?;
    }
    s.ignore
        .extend(crate::config::selectors(&args.ignore, "--ignore")?);
    Ok(s)
}

enum FixOutcome {
    /// the (maybe) fixed text, to be checked
    Text(String),
    /// a diff or the fixed standard input was printed
    Printed,
    /// not UTF-8 or nothing to fix
    Nothing,
}

/// `--fix`/`--diff` for one target: fix the main file until the fixes
/// converge; write it back (`--fix`), print the fixed text (`--fix` on
/// standard input) or print a unified diff (`--diff`).
fn apply_fixes(
    args: &CheckArgs,
    env: &mut Env<'_>,
    target: &crate::discover::Target,
    bytes: &[u8],
    options: &check::CheckOptions,
) -> io::Result<FixOutcome> {
    let Ok(text) = kcfg_syntax::decode(bytes) else {
        return Ok(FixOutcome::Nothing);
    };
    let (fixed, n) = check::fix_text(text, options, args.unsafe_fixes);
    let stdin = matches!(target.source, crate::discover::Source::Stdin);
    if args.diff {
        if n == 0 {
            return Ok(FixOutcome::Nothing);
        }
        let diff = similar::TextDiff::from_lines(text, fixed.as_str())
            .unified_diff()
            .context_radius(3)
            .header(&target.display, &target.display)
            .to_string();
        emit(env.stdout, &diff)?;
        emit(
            env.stderr,
            &format!(
                "{}: {} fix{} would be applied\n",
                target.display,
                n,
                if n == 1 { "" } else { "es" }
            ),
        )?;
        return Ok(FixOutcome::Printed);
    }
    if stdin {
        emit(env.stdout, &fixed)?;
        return Ok(FixOutcome::Printed);
    }
    if n > 0 {
        if let crate::discover::Source::File(path) = &target.source {
            if let Err(e) = std::fs::write(path, &fixed) {
                report_error(env, format_args!("cannot write `{}`: {e}", target.display))?;
                return Ok(FixOutcome::Nothing);
            }
            emit(
                env.stderr,
                &format!(
                    "{}: fixed {} problem{}\n",
                    target.display,
                    n,
                    if n == 1 { "" } else { "s" }
                ),
            )?;
        }
    }
    Ok(FixOutcome::Text(fixed))
}

/// `--statistics`: findings per code, most frequent first.
fn statistics(diagnostics: &[Diagnostic]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for d in diagnostics {
        *counts.entry(d.code).or_default() += 1;
    }
    let mut rows: Vec<(&str, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out = String::new();
    for (code, n) in rows {
        let name = kcfg_lint::by_code_or_name(code)
            .map(|r| r.meta.name)
            .or_else(|| kcfg_sema::codes::name(code))
            .or_else(|| crate::commands::explain::core_code(code).map(|c| c.1))
            .unwrap_or("");
        out.push_str(&format!("{n:5}  {code}  {name}\n"));
    }
    out
}

/// The rules of every code kcfg reports, for SARIF's `tool.driver.rules`.
fn rule_descriptors() -> Vec<render::RuleDescriptor> {
    let mut v: Vec<render::RuleDescriptor> = crate::commands::explain::CORE_CODES
        .iter()
        .map(|(c, n, s)| render::RuleDescriptor {
            code: c,
            name: n,
            summary: s,
        })
        .collect();
    v.extend(
        kcfg_sema::codes::ALL
            .iter()
            .map(|(c, n, _, s)| render::RuleDescriptor {
                code: c,
                name: n,
                summary: s,
            }),
    );
    v.extend(kcfg_lint::RULES.iter().map(|r| render::RuleDescriptor {
        code: r.meta.code,
        name: r.meta.name,
        summary: r.meta.summary,
    }));
    v
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
