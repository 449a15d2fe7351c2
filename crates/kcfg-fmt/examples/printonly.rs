//! Run the printer alone (or with `full` as third argument, the whole of
//! `kcfg_fmt::format`: parse, print, re-parse, verify) N times on a file, for
//! profiling: `valgrind --tool=callgrind target/release/examples/printonly FILE 1 full`.
//! `full-spaces` formats with 4-space indentation instead of tabs, so that a
//! tab-indented file (like the generated benchmark config, which is already
//! in the formatter's style) changes on every indented line and the check
//! re-parses the result. With `KCFG_LEAK=1` the input's tree is not freed
//! (as in the `kcfg` binary). `range`: `kcfg_fmt::format_range` on the
//! line in the middle of the file.
// the `kcfg` binary's allocator
#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let n: usize = std::env::args().nth(2).map_or(3, |s| s.parse().unwrap());
    let mode = std::env::args().nth(3).unwrap_or_default();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut o = kcfg_fmt::FormatOptions::default();
    if mode == "full-spaces" {
        o.indent_style = kcfg_fmt::IndentStyle::Space;
    }
    if std::env::var_os("KCFG_LEAK").is_some() {
        // as the `kcfg` binary does: the input's tree is not freed
        kcfg_fmt::leak_trees_at_exit();
    }
    let t = std::time::Instant::now();
    if mode == "range" {
        // the line in the middle of the file, as an editor's range request
        let mid = text.len() / 2;
        let start = text[..mid].rfind('\n').map_or(0, |i| i + 1);
        let end = text[mid..].find('\n').map_or(text.len(), |i| mid + i);
        let range = kcfg_syntax::TextRange::new((start as u32).into(), (end as u32).into());
        for _ in 0..n {
            std::hint::black_box(kcfg_fmt::format_range(&text, range, &o).unwrap());
        }
    } else if mode.starts_with("full") {
        let mut changed = false;
        for _ in 0..n {
            let out = kcfg_fmt::format(&text, &o).unwrap();
            changed = out != text;
            std::hint::black_box(out);
        }
        eprintln!("{} bytes, changed by formatting: {changed}", text.len());
    } else {
        let p = kcfg_syntax::parse(&text);
        // KCFG_SPLIT_FROM=BYTES: print in two halves from this size on
        let split_from: Option<usize> = std::env::var("KCFG_SPLIT_FROM")
            .ok()
            .and_then(|s| s.parse().ok());
        let t = std::time::Instant::now();
        let mut best = std::time::Duration::MAX;
        for _ in 0..n {
            let t = std::time::Instant::now();
            match split_from {
                Some(min) => {
                    std::hint::black_box(kcfg_fmt::print_split_from(&p, &text, &o, min));
                }
                None => {
                    std::hint::black_box(kcfg_fmt::format_parsed(&p, &text, &o));
                }
            }
            best = best.min(t.elapsed());
        }
        eprintln!("best {best:?}, mean {:?}", t.elapsed() / n as u32);
    }
    eprintln!("{:?} per run", t.elapsed() / n as u32);
    let splits: Vec<usize> = kcfg_fmt::PRINT_SPLITS
        .iter()
        .map(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    eprintln!(
        "printed in two halves: {} joined, {} not",
        splits[1], splits[0]
    );
}
