//! Run the printer alone (or with `full` as third argument, the whole of
//! `kcfg_fmt::format`: parse, print, re-parse, verify) N times on a file, for
//! profiling: `valgrind --tool=callgrind target/release/examples/printonly FILE 1 full`.
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let full = std::env::args().nth(3).is_some_and(|s| s == "full");
    let text = std::fs::read_to_string(&path).unwrap();
    let o = kcfg_fmt::FormatOptions::default();
    let t = std::time::Instant::now();
    if full {
        for _ in 0..n {
            std::hint::black_box(kcfg_fmt::format(&text, &o).unwrap());
        }
    } else {
        let p = kcfg_syntax::parse(&text);
        for _ in 0..n {
            std::hint::black_box(kcfg_fmt::format_parsed(&p, &text, &o));
        }
    }
    eprintln!("{:?} per run", t.elapsed() / n as u32);
}
