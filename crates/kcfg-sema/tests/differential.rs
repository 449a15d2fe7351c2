//! Differential test: every case of `common::CASES` is written to a temp
//! dir and judged by real Kamailio 5.6.3 — `kamailio -c`, and a real
//! start-up on loopback where `-c` cannot tell (`route(NAME)`, tm route
//! names). The recorded expectation must hold (Kamailio's verdict, first
//! error line and message), and kcfg must agree: same verdict, first error
//! on the same line. The agreement figures are printed.
//!
//! Without Kamailio the test is skipped, except in CI (`CI=true`).

mod common;
mod kamailio;

use std::path::Path;
use std::sync::Mutex;

use common::{build, Case, Oracle, CASES, MAIN};
use kamailio::{kamailio_or_skip, Kamailio};
use kcfg_sema::{Model, Severity};

/// kcfg's verdict: an error from the parser or the semantic checks (a file
/// included inside a route block is statements, not a file of its own).
fn kcfg_rejects(model: &Model) -> bool {
    model.has_errors()
        || model
            .files
            .iter()
            .any(|f| !f.included_in_route && !f.parse.errors().is_empty())
}

/// (file name, first line, last line) of kcfg's first error. A duplicate
/// route is reported at the block's head; Kamailio reports it at its end,
/// so the whole block counts.
fn first_error_span(model: &Model) -> Option<(String, u32, u32)> {
    let d = model
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)?;
    let f = model.file(d.file);
    let mut range = d.range;
    if d.code == kcfg_sema::codes::DUPLICATE_ROUTE {
        if let Some(r) = model
            .routes
            .iter()
            .find(|r| r.file == d.file && r.head_range == d.range)
        {
            range = r.range;
        }
    }
    let name = f.path.file_name()?.to_string_lossy().into_owned();
    let last = f.line_index().line_col(range.end()).line + 1;
    Some((name, f.line_of(range), last))
}

fn same_file(kamailio_file: &str, case_file: &str) -> bool {
    let base = Path::new(kamailio_file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if case_file.is_empty() {
        base == MAIN || kamailio_file == "cfg"
    } else {
        base == case_file
    }
}

#[derive(Default)]
struct Tally {
    cases: usize,
    verdict_agree: usize,
    rejected: usize,
    line_agree: usize,
    failures: Vec<String>,
}

fn judge(k: &Kamailio, case: &Case, root: &Path, tally: &Mutex<Tally>) {
    let dir = root.join(case.name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(MAIN), case.main).unwrap();
    for (p, t) in case.extra {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    let cfg = dir.join(MAIN);
    let model = build(case, &dir);
    let kcfg_no = kcfg_rejects(&model);
    let kspan = first_error_span(&model);
    let mut fail = Vec::new();
    let check = k.check(&cfg, case.defines);
    // Kamailio's verdict (start-up where the case needs it) and first error
    let (kam_no, kam_first) = match case.oracle {
        Oracle::Check {
            file,
            line,
            contains,
        } => {
            let first = check.first_error();
            if check.ok {
                fail.push("kamailio -c accepted it".to_string());
            } else if !first
                .as_ref()
                .is_some_and(|e| same_file(&e.file, file) && e.line == line)
            {
                fail.push(format!(
                    "kamailio's first error is {first:?}, expected {file}:{line}"
                ));
            }
            if !check.stderr.contains(contains) {
                fail.push(format!("kamailio -c did not say {contains:?}"));
            }
            (!check.ok, first)
        }
        Oracle::Startup { line, contains } => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            let start = k.start(&cfg, case.defines);
            let first = start.first_error();
            if start.ok {
                fail.push("kamailio started".to_string());
            } else if !start.stderr.contains(contains) {
                fail.push(format!("start-up did not say {contains:?}: {first:?}"));
            }
            if first.as_ref().is_none_or(|e| e.line != line) {
                fail.push(format!("start-up error is {first:?}, expected line {line}"));
            }
            (!start.ok, first)
        }
        Oracle::StartupNoLine { contains } => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            let start = k.start(&cfg, case.defines);
            if start.ok {
                fail.push("kamailio started".to_string());
            } else if !start.stderr.contains(contains) {
                fail.push(format!(
                    "start-up did not say {contains:?}: {:?}",
                    start.first_error()
                ));
            }
            (!start.ok, None)
        }
        Oracle::StartupWarning { contains } => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            let start = k.start(&cfg, case.defines);
            if !start.ok {
                fail.push(format!("kamailio did not start: {:?}", start.first_error()));
            }
            if !start.stderr.contains(contains) {
                fail.push(format!("start-up did not warn {contains:?}"));
            }
            if !model
                .diagnostics
                .iter()
                .any(|d| d.severity == Severity::Warning)
            {
                fail.push("kcfg did not warn".to_string());
            }
            (!start.ok, None)
        }
        Oracle::Accept => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            (!check.ok, None)
        }
        Oracle::AcceptStartup => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            let start = k.start(&cfg, case.defines);
            if !start.ok {
                fail.push(format!("kamailio did not start: {:?}", start.first_error()));
            }
            (!(check.ok && start.ok), None)
        }
    };
    let mut t = tally.lock().unwrap();
    t.cases += 1;
    if kam_no == kcfg_no {
        t.verdict_agree += 1;
    } else {
        fail.push(format!(
            "verdicts differ: kamailio {}, kcfg {} ({:?})",
            if kam_no { "rejects" } else { "accepts" },
            if kcfg_no { "rejects" } else { "accepts" },
            model.diagnostics
        ));
    }
    // Kamailio names no line for some start-up errors: only the verdict counts
    if kam_no && !matches!(case.oracle, Oracle::StartupNoLine { .. }) {
        t.rejected += 1;
        if let (Some(kf), Some((file, first, last))) = (&kam_first, &kspan) {
            let case_file = if file == MAIN { "" } else { file.as_str() };
            if same_file(&kf.file, case_file) && *first <= kf.line && kf.line <= *last {
                t.line_agree += 1;
            } else {
                fail.push(format!(
                    "first error: kamailio {}:{}, kcfg {file}:{first}-{last}",
                    kf.file, kf.line
                ));
            }
        }
    }
    if !fail.is_empty() {
        t.failures
            .push(format!("{}:\n    {}", case.name, fail.join("\n    ")));
    }
}

#[test]
fn cases_agree_with_kamailio() {
    let Some(k) = kamailio_or_skip("cases_agree_with_kamailio") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let tally = Mutex::new(Tally::default());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(case) = CASES.get(i) else { break };
                judge(&k, case, tmp.path(), &tally);
            });
        }
    });
    let t = tally.into_inner().unwrap();
    println!(
        "kcfg vs Kamailio 5.6.3 on {} cases: verdict agrees on {}/{} ({:.1}%), first error on the same line for {}/{} rejected configs ({:.1}%)",
        t.cases,
        t.verdict_agree,
        t.cases,
        100.0 * t.verdict_agree as f64 / t.cases.max(1) as f64,
        t.line_agree,
        t.rejected,
        100.0 * t.line_agree as f64 / t.rejected.max(1) as f64
    );
    assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
    assert_eq!(t.cases, CASES.len());
}
