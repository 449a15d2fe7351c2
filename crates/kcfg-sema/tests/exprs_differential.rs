//! Differential test of the expression checks (KC117–KC126): every
//! fixture of `fixtures-exprs/` is written to a temp dir and judged by real
//! Kamailio 5.6.3.
//!
//! * `check` fixtures: `kamailio -c` must fail, first error on the line the
//!   header names (unknown PVs and transformations in expressions, read-only
//!   PVs assigned);
//! * `startup` fixtures: `-c` must pass and a real start-up must fail there
//!   (PVs in string parameters, non-numeric literals, bad regexes, bad
//!   xlog levels);
//! * `accept` fixtures: Kamailio must start. These hold the warnings
//!   (reply code out of range, unknown xlog level, unknown event route, PV
//!   read as AVP): kcfg finds what Kamailio never reports.
//!
//! kcfg must agree: an error exactly when Kamailio fails, its first error
//! on Kamailio's line. The figures are printed. Without Kamailio the test
//! is skipped, except in CI (`CI=true`).

mod exprs_common;
mod kamailio;

use std::collections::BTreeMap;
use std::sync::Mutex;

use exprs_common::{Fixture, Verdict};
use kamailio::{kamailio_or_skip, Kamailio};
use kcfg_sema::{Model, Severity};

fn kcfg_rejects(m: &Model) -> bool {
    m.has_errors() || m.files.iter().any(|f| !f.parse.errors().is_empty())
}

/// Lines (first, last) of kcfg's first error.
fn kcfg_first_error(m: &Model) -> Option<(u32, u32)> {
    let d = m
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)?;
    let f = m.file(d.file);
    Some((
        f.line_of(d.range),
        f.line_index().line_col(d.range.end()).line + 1,
    ))
}

#[derive(Default)]
struct Tally {
    fixtures: usize,
    verdict_agree: usize,
    kamailio_rejects: usize,
    line_agree: usize,
    /// per Kamailio verdict kind: (fixtures, kcfg agrees)
    per_kind: BTreeMap<&'static str, (usize, usize)>,
    /// accepted by Kamailio, warned about by kcfg
    warned_accepted: usize,
    failures: Vec<String>,
}

fn judge(k: &Kamailio, f: &Fixture, root: &std::path::Path, tally: &Mutex<Tally>) {
    let dir = root.join(&f.name);
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join(format!("{}.cfg", f.name));
    std::fs::write(&cfg, &f.text).unwrap();
    let model = exprs_common::build(f, &dir);
    let mut fail = Vec::new();
    let check = k.check(&cfg, &[]);
    let (kind, kam_rejects, kam_line) = match &f.kamailio {
        Verdict::Check(line, text) => {
            let first = check.first_error();
            if check.ok {
                fail.push("kamailio -c accepted it".to_string());
            }
            if first.as_ref().is_none_or(|e| e.line != *line) {
                fail.push(format!(
                    "kamailio -c: first error {first:?}, expected line {line}"
                ));
            }
            if !check.stderr.contains(text.as_str()) {
                fail.push(format!("kamailio -c did not say {text:?}"));
            }
            ("kamailio -c rejects", !check.ok, first.map(|e| e.line))
        }
        Verdict::Startup(line, text) => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            let start = k.start(&cfg, &[]);
            let first = start.first_error();
            if start.ok {
                fail.push("kamailio started".to_string());
            }
            if !start.stderr.contains(text.as_str()) {
                fail.push(format!("start-up did not say {text:?}: {first:?}"));
            }
            if first.as_ref().is_none_or(|e| e.line != *line) {
                fail.push(format!(
                    "start-up: first error {first:?}, expected line {line}"
                ));
            }
            (
                "start-up fails",
                !start.ok || !check.ok,
                first.map(|e| e.line),
            )
        }
        Verdict::Accept => {
            if !check.ok {
                fail.push(format!(
                    "kamailio -c rejected it: {:?}",
                    check.first_error()
                ));
            }
            let start = k.start(&cfg, &[]);
            if !start.ok {
                fail.push(format!("kamailio did not start: {:?}", start.first_error()));
            }
            ("Kamailio accepts", !(check.ok && start.ok), None)
        }
    };
    let kcfg_no = kcfg_rejects(&model);
    let mut t = tally.lock().unwrap();
    t.fixtures += 1;
    let e = t.per_kind.entry(kind).or_default();
    e.0 += 1;
    if kcfg_no == kam_rejects {
        e.1 += 1;
        t.verdict_agree += 1;
    } else {
        fail.push(format!(
            "verdicts differ: kamailio {}, kcfg {} ({:?})",
            if kam_rejects { "rejects" } else { "accepts" },
            if kcfg_no { "rejects" } else { "accepts" },
            model.diagnostics
        ));
    }
    if !kam_rejects && !model.diagnostics.is_empty() {
        t.warned_accepted += 1;
    }
    if kam_rejects {
        t.kamailio_rejects += 1;
        match (kam_line, kcfg_first_error(&model)) {
            (Some(l), Some((a, b))) if a <= l && l <= b => t.line_agree += 1,
            (l, span) => fail.push(format!("first error: kamailio line {l:?}, kcfg {span:?}")),
        }
    }
    if !fail.is_empty() {
        t.failures
            .push(format!("{}:\n    {}", f.name, fail.join("\n    ")));
    }
}

#[test]
fn expression_fixtures_agree_with_kamailio() {
    let Some(k) = kamailio_or_skip("expression_fixtures_agree_with_kamailio") else {
        return;
    };
    let fixtures = exprs_common::fixtures();
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
                let Some(f) = fixtures.get(i) else { break };
                judge(&k, f, tmp.path(), &tally);
            });
        }
    });
    let t = tally.into_inner().unwrap();
    println!(
        "kcfg vs Kamailio 5.6.3 on {} expression fixtures: verdict agrees on {}/{} ({:.1}%), first error on Kamailio's line for {}/{} rejected configs ({:.1}%); {} configs Kamailio accepts get a kcfg warning",
        t.fixtures,
        t.verdict_agree,
        t.fixtures,
        100.0 * t.verdict_agree as f64 / t.fixtures.max(1) as f64,
        t.line_agree,
        t.kamailio_rejects,
        100.0 * t.line_agree as f64 / t.kamailio_rejects.max(1) as f64,
        t.warned_accepted,
    );
    for (kind, (n, agree)) in &t.per_kind {
        println!("  {kind}: {agree}/{n} agree");
    }
    assert!(t.failures.is_empty(), "{}", t.failures.join("\n"));
    assert_eq!(t.fixtures, fixtures.len());
}
