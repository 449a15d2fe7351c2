//! Run the printer alone (or with `full` as third argument, the whole of
//! `kcfg_fmt::format`: parse, print, re-parse, verify) N times on a file, for
//! profiling: `valgrind --tool=callgrind target/release/examples/printonly FILE 1 full`.
//! `full-spaces` formats with 4-space indentation instead of tabs, so that a
//! tab-indented file (like the generated benchmark config, which is already
//! in the formatter's style) changes on every indented line and the check
//! re-parses the result.
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let mode = std::env::args().nth(3).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut o = kcfg_fmt::FormatOptions::default();
    if mode == "full-spaces" {
        o.indent_style = kcfg_fmt::IndentStyle::Space;
    }
    let t = std::time::Instant::now();
    if mode.starts_with("full") {
        let mut changed = false;
        for _ in 0..n {
            let out = kcfg_fmt::format(&text, &o).unwrap();
            changed = out != text;
            std::hint::black_box(out);
        }
        eprintln!("{} bytes, changed by formatting: {changed}", text.len());
    } else {
        let p = kcfg_syntax::parse(&text);
        for _ in 0..n {
            std::hint::black_box(kcfg_fmt::format_parsed(&p, &text, &o));
        }
    }
    eprintln!("{:?} per run", t.elapsed() / n as u32);
}
