//! Format a file N times and print the time per format (best, mean, worst):
//! a harness for profilers (`valgrind --tool=callgrind`), like
//! kcfg-syntax's `parse_file`.
//!
//! `cargo run --release -p kcfg-fmt --example fmt_file -- FILE [N]`

use std::time::Instant;

// The allocator of the `kcfg` binary.
#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: fmt_file FILE [N]");
        std::process::exit(2);
    };
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let options = kcfg_fmt::FormatOptions::default();
    let (mut best, mut total, mut worst) = (f64::MAX, 0.0, 0.0f64);
    for _ in 0..n {
        let start = Instant::now();
        let out = kcfg_fmt::format(&text, &options);
        let t = start.elapsed().as_secs_f64();
        std::hint::black_box(&out);
        drop(out);
        best = best.min(t);
        worst = worst.max(t);
        total += t;
    }
    let mb = text.len() as f64 / 1e6;
    println!(
        "{path}: best of {n}: {:.3} ms = {:.1} MB/s; mean {:.3} ms = {:.1} MB/s; worst {:.3} ms",
        best * 1e3,
        mb / best,
        total / f64::from(n) * 1e3,
        mb / (total / f64::from(n)),
        worst * 1e3
    );
}
