//! Run the printer alone N times on a file (for profiling).
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let text = std::fs::read_to_string(&path).unwrap();
    let p = kcfg_syntax::parse(&text);
    let o = kcfg_fmt::FormatOptions::default();
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(kcfg_fmt::format_parsed(&p, &text, &o));
    }
    eprintln!("{:?} per run", t.elapsed() / n as u32);
}
