//! From 1 MiB of text on, the printer prints the two halves of a file on two
//! threads (see `print_split` in `src/printer.rs`). The output must be
//! exactly that of one printer. These tests force the split on every input
//! (`print_split_from(.., 0)`) with several option sets and compare with a
//! printer that never splits.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use kcfg_fmt::{print_split_from, FormatOptions, IndentStyle, PRINT_SPLITS};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.expect("read_dir entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

#[test]
fn split_printing_equals_one_printer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("../../fixtures/corpus"), &mut paths);
    files(&root.join("../../fixtures/fmt"), &mut paths);
    files(&root.join("../kcfg-syntax/test_data"), &mut paths);
    paths.sort();
    let options = [
        FormatOptions::default(),
        FormatOptions {
            indent_style: IndentStyle::Space,
            indent_width: 2,
            max_blank_lines: 0,
            line_width: 40,
        },
    ];
    let mut n = 0;
    for path in &paths {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let parse = kcfg_syntax::parse(&text);
        for o in &options {
            let one = print_split_from(&parse, &text, o, usize::MAX);
            let split = print_split_from(&parse, &text, o, 0);
            if one != split {
                let _ = std::fs::write("/tmp/split-one.txt", &one);
                let _ = std::fs::write("/tmp/split-two.txt", &split);
            }
            assert!(
                one == split,
                "{}: split printing differs ({o:?}; the outputs are in /tmp/split-one.txt, /tmp/split-two.txt)",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n > 500, "{n} inputs");
    // both outcomes were met: halves joined, and the first printer going on
    let s: Vec<usize> = PRINT_SPLITS
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    assert!(
        s.iter().all(|&c| c > 0),
        "split outcomes not all met: {s:?}"
    );
}
