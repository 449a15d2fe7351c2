//! Fuzz target `parse`: arbitrary bytes → `kcfg_syntax::parse`.
//!
//! Invariants checked (any violation is a crash that libFuzzer saves):
//! - the parser never panics (nesting limit included);
//! - the tree reproduces the input byte for byte;
//! - the tree and errors are the same when the parse is split in two pieces
//!   (as the parser does from 1 MiB on, forced here on every input);
//! - every error range lies inside the text, on char boundaries, and its
//!   start converts to a line/column (UTF-8, UTF-16, UTF-32) and back.
#![no_main]

use kcfg_syntax::{LineIndex, TextRange, TextSize, WideEncoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = kcfg_syntax::decode(data) else {
        return;
    };
    let parse = kcfg_syntax::parse(text);
    let tree = parse.syntax_node();
    assert_eq!(
        tree.to_string(),
        text,
        "the tree does not reproduce the input"
    );
    assert_eq!(
        tree.text_range(),
        TextRange::up_to(TextSize::of(text)),
        "root range"
    );

    let split =
        kcfg_syntax::parse_with_split_from(text, &kcfg_syntax::ParseOptions::default(), 0);
    assert!(split.green() == parse.green(), "the split parse built another tree");
    assert_eq!(split.errors(), parse.errors(), "the split parse's errors differ");
    assert_eq!(split.warnings(), parse.warnings());
    assert_eq!(split.inactive_errors(), parse.inactive_errors());

    let index = LineIndex::new(text);
    for e in parse.errors() {
        check_range(text, &index, e.range, &e.message);
        if let Some(u) = e.unexpected {
            check_range(text, &index, u, &e.message);
        }
    }
});

fn check_range(text: &str, index: &LineIndex, range: TextRange, msg: &str) {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    assert!(
        end <= text.len(),
        "error range {range:?} past the end ({}): {msg}",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "error range {range:?} splits a char: {msg}"
    );
    let lc = index.line_col(range.start());
    assert_eq!(
        index.offset(lc),
        Some(range.start()),
        "line_col {lc:?} of {range:?} does not map back: {msg}"
    );
    for enc in [WideEncoding::Utf16, WideEncoding::Utf32] {
        let wide = index.to_wide(enc, lc);
        assert_eq!(
            index.to_utf8(enc, wide),
            lc,
            "{enc:?} column of {range:?} does not map back: {msg}"
        );
    }
}
