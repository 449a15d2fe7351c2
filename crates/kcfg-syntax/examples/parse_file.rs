//! Parse a file N times and print the time per parse: a harness for
//! profilers (`perf record`, `valgrind --tool=callgrind`).
//!
//! `cargo run --release -p kcfg-syntax --example parse_file -- FILE [N]`

use std::time::Instant;

// The allocator of the `kcfg` binary.
#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse_file FILE [N]");
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
    // KCFG_SPLIT_FROM=BYTES: the size from which the tree is built in two
    // pieces (to compare: a huge value parses everything in one piece)
    let split_from: Option<usize> = std::env::var("KCFG_SPLIT_FROM")
        .ok()
        .and_then(|s| s.parse().ok());
    let options = kcfg_syntax::ParseOptions::default();
    let mut best = f64::MAX;
    let mut total = 0.0;
    let mut worst: f64 = 0.0;
    for _ in 0..n {
        let start = Instant::now();
        let parse = match split_from {
            Some(min) => kcfg_syntax::parse_with_split_from(&text, &options, min),
            None => kcfg_syntax::parse(&text),
        };
        std::hint::black_box(&parse);
        if std::env::var_os("KCFG_NO_DROP").is_some() {
            std::mem::forget(parse);
        } else {
            drop(parse);
        }
        let t = start.elapsed().as_secs_f64();
        best = best.min(t);
        worst = worst.max(t);
        total += t;
    }
    let mib = text.len() as f64 / (1024.0 * 1024.0);
    println!(
        "{path}: best of {n}: {:.3} ms, {:.1} MiB/s",
        best * 1e3,
        mib / best
    );
    if n > 1 {
        println!(
            "  mean {:.3} ms ({:.1} MiB/s), worst {:.3} ms",
            total / f64::from(n) * 1e3,
            mib / (total / f64::from(n)),
            worst * 1e3
        );
    }
}
