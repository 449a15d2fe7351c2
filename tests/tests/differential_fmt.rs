//! Differential test of `kcfg fmt`: real Kamailio (`kamailio -c`) judges every corpus config
//! before and after formatting, and must say the same thing at the same place.
//!
//! Each file is checked twice: as it is (no defines, like `differential_syntax.rs`) and with every
//! name its `#!ifdef`/`#!ifndef` lines test defined (`#!define NAME` lines put in front of both
//! copies), so the `#!ifdef` arms the formatter saw as inactive are read by Kamailio too.
//!
//! - the verdict class is the same (ACCEPT, SYNTAX, OTHER, see `kcfg_tests::classify_check`);
//! - SYNTAX: the line Kamailio reports after formatting holds the same tokens as the line it
//!   reports before (formatting moves tokens between lines, never changes them, so the i-th
//!   token of one text is the i-th of the other);
//! - OTHER: the same message (numbers masked: they are line numbers) and whether the whole file
//!   was parsed.
//!
//! Every job runs twice more with a narrow `line-width` (40), so that the line wrapping of long
//! conditions and argument lists is judged on many lines (most corpus files are within the default
//! width of 100).
//!
//! Without Kamailio the test is skipped, except in CI (`CI=true`) where it fails.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use kcfg_fmt::FormatOptions;
use kcfg_syntax::{LineIndex, SyntaxKind};
use kcfg_tests::{corpus_files, Kamailio, KamailioVerdict};

const WORKERS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(30);
/// The narrow line width of the wrapping jobs.
const NARROW: usize = 40;

/// The names a config tests with `#!ifdef`/`#!ifndef`.
fn tested_names(text: &str) -> BTreeSet<String> {
    kcfg_syntax::parse(text)
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::PP_NAME)
        .filter(|t| {
            t.prev_sibling_or_token()
                .and_then(|p| p.prev_sibling_or_token())
                .and_then(|k| k.into_token())
                .is_some_and(|k| {
                    let k = k.text().trim_start_matches(['#', '!']);
                    k == "ifdef" || k == "ifndef"
                })
        })
        .map(|t| t.text().to_string())
        .collect()
}

/// For each 1-based line, the indices of the tokens (comments included) that start on it.
fn tokens_by_line(text: &str) -> Vec<BTreeSet<usize>> {
    let index = LineIndex::new(text);
    let mut lines = vec![BTreeSet::new(); text.lines().count() + 2];
    for (i, t) in kcfg_fmt::significant_tokens(&kcfg_syntax::parse(text).syntax_node()).enumerate()
    {
        let l = index.line_col(t.text_range().start()).line as usize + 1;
        if l < lines.len() {
            lines[l].insert(i);
        }
    }
    lines
}

fn mask_numbers(s: &str) -> String {
    let mut out = String::new();
    let mut in_num = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('#');
            }
            in_num = true;
        } else {
            out.push(c);
            in_num = false;
        }
    }
    out
}

/// `None` when both verdicts agree, else why not.
fn compare(
    before: &KamailioVerdict,
    after: &KamailioVerdict,
    text_before: &str,
    text_after: &str,
) -> Option<String> {
    use KamailioVerdict::*;
    match (before, after) {
        (Accept, Accept) | (Timeout, _) | (_, Timeout) => None,
        (Syntax { lines: lb, .. }, Syntax { lines: la, .. }) => match (lb, la) {
            (None, None) => None,
            (Some((b, _)), Some((a, _))) => {
                let tb = tokens_by_line(text_before);
                let ta = tokens_by_line(text_after);
                let (sb, sa) = (
                    tb.get(*b as usize).cloned().unwrap_or_default(),
                    ta.get(*a as usize).cloned().unwrap_or_default(),
                );
                // the same tokens, or (an error at the end of input) both lines empty
                let same = !sb.is_disjoint(&sa) || (sb.is_empty() && sa.is_empty());
                (!same).then(|| {
                    format!("syntax error on line {b} before, on line {a} after, with other tokens")
                })
            }
            _ => Some(format!("error lines differ: {lb:?} before, {la:?} after")),
        },
        (
            Other {
                message: mb,
                complete: cb,
                ..
            },
            Other {
                message: ma,
                complete: ca,
                ..
            },
        ) => (mask_numbers(mb) != mask_numbers(ma) || cb != ca)
            .then(|| format!("before: {mb} (complete {cb})\n    after: {ma} (complete {ca})")),
        _ => Some(format!("verdict before: {before:?}\n    after: {after:?}")),
    }
}

struct Job {
    file: PathBuf,
    defines: Vec<String>,
    line_width: usize,
}

/// The verdict class both runs agree on, or why they disagree.
fn run_job(kamailio: &Kamailio, job: &Job) -> Result<&'static str, String> {
    let text = std::fs::read_to_string(&job.file).map_err(|e| e.to_string())?;
    let options = FormatOptions {
        line_width: job.line_width,
        ..FormatOptions::default()
    };
    let formatted =
        kcfg_fmt::format(&text, &options).map_err(|e| format!("kcfg fmt refused: {e}"))?;
    let prelude: String = job
        .defines
        .iter()
        .map(|d| format!("#!define {d}\n"))
        .collect();
    let before = format!("{prelude}{text}");
    let after = format!("{prelude}{formatted}");
    // both copies next to the original, so relative include_file paths resolve the same
    let dir = job.file.parent().unwrap();
    let stem = job.file.file_stem().unwrap().to_string_lossy();
    let tag = format!(
        "{}-w{}",
        if job.defines.is_empty() {
            "nodef"
        } else {
            "alldef"
        },
        job.line_width
    );
    let mut verdicts = Vec::new();
    for (which, t) in [("before", &before), ("after", &after)] {
        let copy = tempfile::Builder::new()
            .prefix(&format!(".kcfg-fmt-diff-{stem}-{tag}-{which}-"))
            .suffix(".cfg")
            .tempfile_in(dir)
            .map_err(|e| e.to_string())?;
        std::fs::write(copy.path(), t).map_err(|e| e.to_string())?;
        let check = kamailio
            .check(copy.path(), TIMEOUT)
            .map_err(|e| format!("cannot run kamailio: {e}"))?;
        verdicts.push(check.verdict);
    }
    match compare(&verdicts[0], &verdicts[1], &before, &after) {
        None => Ok(match verdicts[0] {
            KamailioVerdict::Accept => "accept",
            KamailioVerdict::Syntax { .. } => "syntax error",
            KamailioVerdict::Other { .. } => "other error",
            KamailioVerdict::Timeout => "timeout",
        }),
        Some(why) => Err(why),
    }
}

#[test]
fn kamailio_judges_formatted_configs_like_the_originals() {
    let Some(kamailio) = Kamailio::find() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("kamailio not found: CI must install Kamailio: run .ci/run");
        }
        println!("differential fmt: SKIPPED, kamailio is not installed (set KAMAILIO_BIN / KAMAILIO_MPATH)");
        return;
    };
    let files = corpus_files();
    assert!(files.len() > 100, "corpus not found");
    let mut jobs = Vec::new();
    let default_width = FormatOptions::default().line_width;
    let mut wrapped = 0;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let names = tested_names(&text);
        for line_width in [default_width, NARROW] {
            if line_width == NARROW && wraps(&text, NARROW) {
                wrapped += 1;
            }
            jobs.push(Job {
                file: file.clone(),
                defines: Vec::new(),
                line_width,
            });
            if !names.is_empty() {
                jobs.push(Job {
                    file: file.clone(),
                    defines: names.iter().cloned().collect(),
                    line_width,
                });
            }
        }
    }
    // the wrapping jobs are not idle: most files get lines broken
    assert!(
        wrapped > 100,
        "only {wrapped} corpus files wrapped at {NARROW}"
    );
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let classes: Mutex<std::collections::BTreeMap<&'static str, usize>> = Mutex::default();
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let result = run_job(&kamailio, job);
                *classes
                    .lock()
                    .unwrap()
                    .entry(match &result {
                        Ok(c) => c,
                        Err(_) => "disagree",
                    })
                    .or_default() += 1;
                if let Err(why) = result {
                    let defs = if job.defines.is_empty() {
                        "no defines".to_string()
                    } else {
                        format!("-D {}", job.defines.join(","))
                    };
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("{} ({defs}):\n    {why}", job.file.display()));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    println!(
        "differential fmt: {} runs of {} before and after formatting ({wrapped} files with lines wrapped at width {NARROW}): {:?}",
        jobs.len(),
        kamailio.version(),
        classes.into_inner().unwrap()
    );
    for f in &failures {
        println!("  {f}");
    }
    assert!(failures.is_empty(), "{} disagreements", failures.len());
}

/// Whether formatting at `width` breaks lines that formatting without wrapping keeps.
fn wraps(text: &str, width: usize) -> bool {
    let at = |line_width| {
        kcfg_fmt::format(
            text,
            &FormatOptions {
                line_width,
                ..FormatOptions::default()
            },
        )
        .map(|t| t.lines().count())
    };
    matches!((at(width), at(usize::MAX)), (Ok(a), Ok(b)) if a > b)
}

/// The comparison is not blind: a change that drops a `;` is caught.
#[test]
fn a_meaning_change_is_detected() {
    let Some(kamailio) = Kamailio::find() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("kamailio not found: CI must install Kamailio: run .ci/run");
        }
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let verdict = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        kamailio.check(&p, TIMEOUT).unwrap().verdict
    };
    let good = "request_route {\n\texit;\n}\n";
    let bad = "request_route {\n\tdrop\n\texit;\n}\n";
    let moved = "request_route {\n\tdrop\n\n\n\texit;\n}\n";
    let (g, b, m) = (
        verdict("g.cfg", good),
        verdict("b.cfg", bad),
        verdict("m.cfg", moved),
    );
    assert!(compare(&g, &g, good, good).is_none());
    assert!(compare(&g, &b, good, bad).is_some(), "{g:?} {b:?}");
    // the same error moved down by blank lines: the same tokens on the reported line
    assert!(compare(&b, &m, bad, moved).is_none(), "{b:?} {m:?}");
    // but not when the reported line holds other tokens
    assert!(compare(&b, &m, bad, "request_route {\n\tdrop\n\texit;\n}\n\n\n\n").is_some());
}

#[test]
fn masks_numbers() {
    assert_eq!(mask_numbers("line 12, col 3: x1"), "line #, col #: x#");
}
