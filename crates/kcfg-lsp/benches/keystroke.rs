//! Language server benchmark (a small bench binary, `harness = false`):
//!
//! 1. memory: 50 open files (the stock kamailio.cfg, 1108 lines, each under
//!    its own path), diagnostics computed for all of them: resident memory
//!    (VmRSS) before and after;
//! 2. keystroke → diagnostics latency on a 10,000-line config: one
//!    `didChange` (a one-character insert or delete, UTF-16 range) applied
//!    through the server's document store, then the diagnostics the server
//!    would publish (incremental salsa analysis + LSP conversion), without
//!    the debounce delay. Reports p50/p90/p99/max over the keystrokes.
//!
//! `cargo bench -p kcfg-lsp --bench keystroke` (release profile). The
//! bench runs with mimalloc, the allocator of the `kcfg` binary that
//! serves `kcfg lsp` (before 2026-11-29 session 8 it ran with the system
//! allocator).
//! `KCFG_BENCH_KEYSTROKES` sets the number of keystrokes (default 300).

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

use kcfg_lsp::server::State;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn stock() -> String {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/corpus/etc/kamailio.cfg"
    );
    std::fs::read_to_string(p).expect("the stock config of the corpus")
}

/// The stock config plus generated routes, 10,000 lines in all.
fn ten_thousand_lines() -> String {
    let mut t = stock();
    let mut i = 0;
    while t.lines().count() < 10_000 - 6 {
        t.push_str(&format!(
            "route[R{i}] {{\n\tif ($rU == \"user{i}\") {{\n\t\txlog(\"L_INFO\", \"route {i}: $ru from $si\\n\");\n\t\troute(R{});\n\t}}\n}}\n",
            i + 1
        ));
        i += 1;
    }
    t.push_str(&format!("route[R{i}] {{\n\texit;\n}}\n"));
    t
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    // cargo bench passes --bench; ignore arguments
    let keystrokes: usize = std::env::var("KCFG_BENCH_KEYSTROKES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);

    // 1. memory with 50 open files
    let base = rss_kib();
    {
        let state = State::new(Duration::ZERO);
        let text = stock();
        let t0 = Instant::now();
        for i in 0..50 {
            let path = PathBuf::from(format!("/nonexistent-kcfg-bench/f{i}/kamailio.cfg"));
            let uri = Uri::from_file_path(&path).unwrap();
            state.open(uri, 1, format!("# file {i}\n{text}"));
        }
        let d = state.compute_diagnostics().unwrap();
        let elapsed = t0.elapsed();
        let after = rss_kib();
        println!(
            "memory: 50 open files x {} lines: VmRSS {:.1} MiB before, {:.1} MiB after (+{:.1} MiB); diagnostics for {} files in {:.0} ms",
            text.lines().count() + 1,
            base as f64 / 1024.0,
            after as f64 / 1024.0,
            (after.saturating_sub(base)) as f64 / 1024.0,
            d.len(),
            elapsed.as_secs_f64() * 1000.0
        );
    }

    // 2. keystroke latency on 10,000 lines
    let text = ten_thousand_lines();
    let lines = text.lines().count();
    let state = State::new(Duration::ZERO);
    let path = PathBuf::from("/nonexistent-kcfg-bench/big/kamailio.cfg");
    let uri = Uri::from_file_path(&path).unwrap();
    let t0 = Instant::now();
    state.open(uri.clone(), 1, text.clone());
    let first = state.compute_diagnostics().unwrap();
    let cold = t0.elapsed();
    let n_diags: usize = first.iter().map(|(_, _, d)| d.len()).sum();
    // type into the xlog string of a route in the middle of the file
    let line = (lines / 2..)
        .find(|&l| text.lines().nth(l).unwrap().contains("xlog("))
        .unwrap() as u32;
    let line_text = text.lines().nth(line as usize).unwrap();
    let col = (line_text.find("route ").unwrap() + 6) as u32;
    let mut times = Vec::with_capacity(keystrokes);
    let mut version = 1;
    for k in 0..keystrokes {
        let (range, insert) = if k % 2 == 0 {
            (
                Range::new(Position::new(line, col), Position::new(line, col)),
                "x",
            )
        } else {
            (
                Range::new(Position::new(line, col), Position::new(line, col + 1)),
                "",
            )
        };
        version += 1;
        let t = Instant::now();
        state
            .change(
                &uri,
                version,
                vec![TextDocumentContentChangeEvent {
                    range: Some(range),
                    range_length: None,
                    text: insert.to_string(),
                }],
            )
            .unwrap();
        let d = state.compute_diagnostics().unwrap();
        times.push(t.elapsed());
        assert!(!d.is_empty());
    }
    if std::env::var_os("KCFG_BENCH_TRACE").is_some() {
        let t: Vec<String> = times
            .iter()
            .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
            .collect();
        println!("per keystroke (ms): {}", t.join(" "));
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "keystroke -> diagnostics, {lines}-line config ({} bytes, {n_diags} findings), {keystrokes} keystrokes: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (first analysis {:.1} ms)",
        text.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap()),
        ms(cold)
    );
    println!("VmRSS at the end: {:.1} MiB", rss_kib() as f64 / 1024.0);

    // where the time of a keystroke goes
    let (mut tc, mut tw, mut tl) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..20 {
        let (range, insert) = if k % 2 == 0 {
            (
                Range::new(Position::new(line, col), Position::new(line, col)),
                "x",
            )
        } else {
            (
                Range::new(Position::new(line, col), Position::new(line, col + 1)),
                "",
            )
        };
        version += 1;
        let t = Instant::now();
        state
            .change(
                &uri,
                version,
                vec![TextDocumentContentChangeEvent {
                    range: Some(range),
                    range_length: None,
                    text: insert.to_string(),
                }],
            )
            .unwrap();
        tc.push(t.elapsed());
        let a = state.snapshot();
        let t = Instant::now();
        let w = a.workspace_diagnostics().unwrap();
        tw.push(t.elapsed());
        let t = Instant::now();
        let _ = a.line_index(&path).unwrap();
        tl.push(t.elapsed());
        drop((w, a));
    }
    tc.sort();
    tw.sort();
    tl.sort();
    println!(
        "breakdown (medians): apply edit {:.2} ms, workspace_diagnostics {:.2} ms, line_index {:.2} ms",
        ms(tc[10]),
        ms(tw[10]),
        ms(tl[10])
    );

    // where the time goes: the parse alone and a fresh `kcfg check` (no salsa)
    let mut parse_t = Vec::new();
    let mut check_t = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let p = kcfg_syntax::parse(&text);
        parse_t.push(t.elapsed());
        drop(p);
        let t = Instant::now();
        let mut files = kcfg_diagnostics::Files::new();
        let id = files.add(path.display().to_string(), text.clone());
        let options = kcfg_check::CheckOptions {
            path: Some(path.clone()),
            ..Default::default()
        };
        let d = kcfg_check::check_source_with(
            &mut files,
            id,
            &options,
            &kcfg_sema::MemoryLoader::new(),
        );
        check_t.push(t.elapsed());
        drop(d);
    }
    parse_t.sort();
    check_t.sort();
    println!(
        "same text without the server: parse {:.2} ms, kcfg check pipeline {:.2} ms (medians)",
        ms(parse_t[5]),
        ms(check_t[5])
    );
}
