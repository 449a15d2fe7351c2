//! Differential test of `kcfg expand` against real `kamailio --cfg-print` (5.6.3).
//!
//! Cases: every corpus file and every `fixtures/expand/*.cfg` (the lexer's corner cases: a
//! `/*` or `#` inside a string, a directive followed by a comment, a duplicate `#!define`,
//! `MOD_*` and `KAMAILIO_*` defines, includes, nested arms), each with no defines, with each
//! name its `#!ifdef`/`#!ifndef` lines test defined alone, and with all of them defined. Both sides read the same file from its own
//! directory (relative includes). The outputs must be byte-identical, or identical once
//! all whitespace is removed; any other difference fails the test.
//!
//! `--cfg-print` loads no module and opens no socket, so configs Kamailio 5.6.3 would reject
//! (6.0 modules, missing modules) are printed all the same.
//!
//! Without Kamailio the test is skipped, except in CI (`CI=true`) where it fails.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kcfg_tests::{corpus_files, root, Kamailio};

const WORKERS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(20);
/// Byte-identical cases must not drop below this many (measured: all of them).
const MIN_AGREEING_CASES: usize = 480;

struct Case {
    file: PathBuf,
    defines: Vec<String>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Identical,
    SameModuloWhitespace,
    Different(String),
}

/// The names a config's `#!ifdef`/`#!ifndef` lines test, in order of first use.
fn tested_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        let rest = ["#!ifdef", "!!ifdef", "#!ifndef", "!!ifndef"]
            .iter()
            .find_map(|p| l.strip_prefix(p));
        let Some(rest) = rest else { continue };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/expand"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    fixtures.retain(|p| p.extension().is_some_and(|x| x == "cfg"));
    fixtures.sort();
    assert!(fixtures.len() >= 7, "fixtures/expand not found");
    for file in corpus_files().into_iter().chain(fixtures) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
        let names = tested_names(&text);
        let mut sets: Vec<Vec<String>> = vec![Vec::new()];
        sets.extend(names.iter().map(|n| vec![n.clone()]));
        if names.len() > 1 {
            sets.push(names.clone());
        }
        for defines in sets {
            cases.push(Case {
                file: file.clone(),
                defines,
            });
        }
    }
    cases
}

fn kcfg_expand(file: &Path, defines: &[String]) -> Result<String, String> {
    let file = std::fs::canonicalize(file).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&file).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let options = kcfg_sema::ExpandOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        defines: defines.to_vec(),
        cwd: file.parent().map(Path::to_path_buf),
        source_markers: false,
    };
    Ok(kcfg_sema::expand(&file, &text, &kcfg_sema::FsLoader, &options).text)
}

fn strip_ws(s: &[u8]) -> Vec<u8> {
    s.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// The first line where two texts differ, for the report.
fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!(
                "output line {}:\n      kamailio: {x:?}\n      kcfg:     {y:?}",
                i + 1
            );
        }
    }
    format!(
        "one output is a prefix of the other ({} vs {} lines)",
        a.lines().count(),
        b.lines().count()
    )
}

fn run_case(k: &Kamailio, case: &Case) -> Outcome {
    let theirs = match k.cfg_print(&case.file, &case.defines, TIMEOUT) {
        Ok(p) if p.exit.is_some() => p.stdout,
        Ok(_) => return Outcome::Different("kamailio --cfg-print timed out".into()),
        Err(e) => return Outcome::Different(format!("cannot run kamailio: {e}")),
    };
    let ours = match kcfg_expand(&case.file, &case.defines) {
        Ok(t) => t,
        Err(e) => return Outcome::Different(format!("kcfg cannot expand: {e}")),
    };
    if theirs == ours.as_bytes() {
        Outcome::Identical
    } else if strip_ws(&theirs) == strip_ws(ours.as_bytes()) {
        Outcome::SameModuloWhitespace
    } else {
        Outcome::Different(first_difference(&String::from_utf8_lossy(&theirs), &ours))
    }
}

#[test]
fn kcfg_expand_agrees_with_kamailio_cfg_print() {
    let Some(kamailio) = Kamailio::find() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("kamailio not found: CI must install Kamailio: run .ci/run");
        }
        println!("differential expand: SKIPPED, kamailio is not installed (set KAMAILIO_BIN / KAMAILIO_MPATH)");
        return;
    };
    let started = Instant::now();
    let cases = cases();
    assert!(
        cases.len() >= 400,
        "corpus not found: {} cases",
        cases.len()
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let o = run_case(&kamailio, case);
                results.lock().unwrap().push((i, o));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    let rel = |p: &Path| p.strip_prefix(root()).unwrap_or(p).display().to_string();
    let mut identical = 0;
    let mut modulo_ws = 0;
    let mut different = 0;
    for (i, o) in &results {
        match o {
            Outcome::Identical => identical += 1,
            Outcome::SameModuloWhitespace => {
                modulo_ws += 1;
                println!(
                    "WHITESPACE {} {:?}",
                    rel(&cases[*i].file),
                    cases[*i].defines
                );
            }
            Outcome::Different(why) => {
                different += 1;
                println!(
                    "DIFFER {} -A {:?}: {why}",
                    rel(&cases[*i].file),
                    cases[*i].defines
                );
            }
        }
    }
    println!(
        "reference: {} ({})",
        kamailio.version(),
        kamailio.bin.display()
    );
    println!(
        "differential expand: {} cases ({} corpus files + fixtures/expand), {} identical, {} identical modulo whitespace, {} different ({:.1} % agree) in {:.1}s",
        results.len(),
        corpus_files().len(),
        identical,
        modulo_ws,
        different,
        100.0 * (identical + modulo_ws) as f64 / results.len() as f64,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        different, 0,
        "kcfg expand and kamailio --cfg-print differ (see above)"
    );
    assert!(
        identical >= MIN_AGREEING_CASES,
        "agreement dropped: {identical} cases byte-identical, at least {MIN_AGREEING_CASES} expected"
    );
}
