//! CI fuzz smoke: every target of `fuzz/Cargo.toml` runs for 45 s
//! (`KCFG_FUZZ_SMOKE_SECONDS`) through `scripts/fuzz.sh`, one after the
//! other, with its seed corpus; a crash (non-zero exit of fuzz.sh, the input
//! is saved in fuzz/artifacts/TARGET/) fails the test. Executions and
//! executions per second are printed per target.
//!
//! Runs in CI (`CI=true`) and when `KCFG_FUZZ_SMOKE=1`; elsewhere it skips
//! with a message (`KCFG_FUZZ_SMOKE=0` skips it in CI too). The
//! AddressSanitizer build of the seven targets (one `cargo fuzz build`,
//! about 1.3 GB in fuzz/target) takes several minutes on two cores; fuzz.sh
//! installs `cargo-fuzz` when it is missing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn targets(root: &Path) -> Vec<String> {
    let toml = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    let mut out = Vec::new();
    let mut in_bin = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(v) = line.strip_prefix("name") {
                let name = v
                    .trim_start()
                    .trim_start_matches('=')
                    .trim()
                    .trim_matches('"');
                out.push(name.to_string());
            }
        }
    }
    out
}

/// `stat::number_of_executed_units: N` of libFuzzer's final stats.
fn executions(log: &str) -> Option<u64> {
    log.lines()
        .filter_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .filter_map(|v| v.trim().parse().ok())
        .next_back()
}

#[test]
fn fuzz_targets_smoke() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let asked = match std::env::var("KCFG_FUZZ_SMOKE").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => ci,
    };
    if !asked {
        eprintln!("fuzz_smoke: skipped (runs with CI=true or KCFG_FUZZ_SMOKE=1)");
        return;
    }
    // scripts/fuzz.sh installs cargo-fuzz when it is missing
    let seconds: u64 = std::env::var("KCFG_FUZZ_SMOKE_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(45);
    let root = kcfg_tests::root();
    let targets = targets(&root);
    assert!(targets.len() >= 7, "fuzz/Cargo.toml lists only {targets:?}");
    let log_dir = root.join("fuzz/artifacts/smoke-logs");
    std::fs::create_dir_all(&log_dir).unwrap();
    let start = Instant::now();
    let mut failed = Vec::new();
    for t in &targets {
        let log = log_dir.join(format!("{t}.log"));
        let t0 = Instant::now();
        // a fresh corpus of the seeds only, so the time does not grow with
        // what longer local runs left in fuzz/corpus/TARGET
        let corpus = root.join("fuzz/artifacts/smoke-corpus").join(t);
        let _ = std::fs::remove_dir_all(&corpus);
        let status = Command::new("bash")
            .arg(root.join("scripts/fuzz.sh"))
            .args([t.as_str(), &seconds.to_string()])
            .env("FUZZ_LOG", &log)
            .env("FUZZ_CORPUS", &corpus)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run scripts/fuzz.sh");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let execs = executions(&text);
        eprintln!(
            "fuzz_smoke: {t}: {} in {:.0} s (build included); {} executions, {} execs/s",
            if status.success() { "ok" } else { "FAILED" },
            t0.elapsed().as_secs_f64(),
            execs.map_or("?".into(), |e| e.to_string()),
            execs.map_or("?".into(), |e| (e / seconds.max(1)).to_string()),
        );
        if !status.success() || execs.is_none() {
            failed.push(format!("{t} (exit {status}, log {})", log.display()));
        }
    }
    eprintln!(
        "fuzz_smoke: {} targets in {:.0} s",
        targets.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "fuzz targets failed: {failed:?}");
}
