//! Behavioural differential test of the reference runtime: every scenario
//! of `fixtures/runtime` is replayed through real Kamailio 5.6.3 on
//! loopback and through kcfg-runtime; replies, forwarded requests (start
//! line and headers, normalised) and xlog lines are compared. The
//! agreement figure is printed; every item must agree (the goal was
//! 95%; the runtime reached 100% and a new disagreement is a regression).
//!
//! Without Kamailio the test is skipped, except in CI (`CI=true`) where it fails.

use std::path::{Path, PathBuf};

use kcfg_tests::sipreplay::{compare, replay_kamailio, replay_kcfg};
use kcfg_tests::{root, Kamailio};

/// The agreement the runtime must keep: all of it.
const FLOOR: f64 = 1.0;

fn kamailio_or_skip(test: &str) -> Option<Kamailio> {
    match Kamailio::find() {
        Some(k) => Some(k),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: kamailio not found: CI must install Kamailio: run .ci/run")
        }
        None => {
            println!(
                "{test}: SKIPPED, kamailio is not installed (set KAMAILIO_BIN / KAMAILIO_MPATH)"
            );
            None
        }
    }
}

/// (scenario, config, extra defines)
fn scenarios() -> Vec<(PathBuf, PathBuf, Vec<String>)> {
    let dir = root().join("fixtures/runtime");
    let mut sips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    sips.retain(|p| p.extension().is_some_and(|x| x == "sip"));
    sips.sort();
    let mut out = Vec::new();
    for s in sips {
        let stem = s
            .file_stem()
            .and_then(|x| x.to_str())
            .unwrap_or("")
            .to_string();
        let cfg = if dir.join(format!("{stem}.cfg")).is_file() {
            dir.join(format!("{stem}.cfg"))
        } else {
            dir.join(format!("{}.cfg", stem.split('-').next().unwrap_or("")))
        };
        // `#@define NAME` lines at the top of a scenario give Kamailio -A NAME
        let text = std::fs::read_to_string(&s).unwrap_or_default();
        let defs = text
            .lines()
            .filter_map(|l| l.strip_prefix("#@define "))
            .map(|d| d.trim().to_string())
            .collect();
        out.push((s, cfg, defs));
    }
    out
}

#[test]
fn runtime_agrees_with_kamailio() {
    let Some(k) = kamailio_or_skip("runtime_agrees_with_kamailio") else {
        return;
    };
    let mut agree = 0;
    let mut total = 0;
    let mut report = String::new();
    let list = scenarios();
    assert!(!list.is_empty(), "no scenarios in fixtures/runtime");
    let mut nscen = 0;
    let only = std::env::var("KCFG_DIFF_ONLY").ok();
    for (sip, cfg, defs) in &list {
        if only
            .as_ref()
            .is_some_and(|o| !name(sip).contains(o.as_str()))
        {
            continue;
        }
        let text = std::fs::read_to_string(sip).unwrap();
        let (ports, real) = match replay_kamailio(&k, cfg, &text, defs) {
            Ok(r) => r,
            Err(e) => panic!("{}: real Kamailio: {e}", sip.display()),
        };
        let sim = replay_kcfg(cfg, &text, &ports, defs)
            .unwrap_or_else(|e| panic!("{}: kcfg: {e}", sip.display()));
        let (a, t, diffs) = compare(&real, &sim);
        if std::env::var("KCFG_DIFF_SHOW").is_ok_and(|v| name(sip).contains(&v)) {
            // debugging aid: both sides in full
            println!("{}: Kamailio {real:#?}\nkcfg {sim:#?}", name(sip));
        }
        nscen += real.len();
        agree += a;
        total += t;
        report.push_str(&format!(
            "{}: {a}/{t} items agree over {} exchanges\n",
            name(sip),
            real.len()
        ));
        for d in diffs {
            report.push_str(&format!("  {}\n", d.replace('\n', "\n    ")));
        }
    }
    let ratio = agree as f64 / total.max(1) as f64;
    println!("{report}");
    println!(
        "runtime vs Kamailio 5.6.3: {agree}/{total} items agree ({:.1}%) over {} scenario files, {nscen} exchanges",
        ratio * 100.0,
        list.len()
    );
    assert!(
        ratio >= FLOOR,
        "agreement {:.1}% fell below {:.0}%\n{report}",
        ratio * 100.0,
        FLOOR * 100.0
    );
}

fn name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string()
}
