//! Fuzz target `parse`: arbitrary bytes → `kcfg_syntax::parse`.
//!
//! Invariants checked (any violation is a crash that libFuzzer saves):
//! - the parser never panics (nesting limit included);
//! - the tree reproduces the input byte for byte;
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
