//! Positions and ranges between LSP (line + UTF-16 or UTF-8 column) and
//! kcfg's byte offsets, and applying `didChange` edits.

use kcfg_ide::{LineIndex, TextRange, TextSize};
use kcfg_syntax::{LineCol, WideEncoding, WideLineCol};
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent};

/// The position encoding negotiated with the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 code units (bytes), when the client offers `utf-8`.
    Utf8,
    /// UTF-16 code units: the LSP default.
    #[default]
    Utf16,
}

/// Byte offset of an LSP position. A column past the end of its line means
/// the end of the line, a line past the end the end of the text (as the
/// specification asks); a column inside a character moves to its start.
pub fn offset(index: &LineIndex, text: &str, enc: Encoding, pos: Position) -> TextSize {
    let Some(line_start) = index.line_start(pos.line) else {
        return index.len();
    };
    let line_end = index
        .line_start(pos.line + 1)
        .map(|s| s - TextSize::from(1))
        .unwrap_or(index.len());
    let lc = match enc {
        Encoding::Utf8 => LineCol {
            line: pos.line,
            col: pos.character,
        },
        Encoding::Utf16 => index.to_utf8(
            WideEncoding::Utf16,
            WideLineCol {
                line: pos.line,
                col: pos.character,
            },
        ),
    };
    let mut off = (line_start + TextSize::from(lc.col)).min(line_end);
    // a line ending "\r\n": never point between \r and \n
    let mut o = usize::from(off);
    while o > 0 && !text.is_char_boundary(o) {
        o -= 1;
    }
    off = TextSize::from(o as u32);
    off
}

/// The LSP position of a byte offset.
pub fn position(index: &LineIndex, enc: Encoding, offset: TextSize) -> Position {
    let lc = index.line_col(offset);
    match enc {
        Encoding::Utf8 => Position::new(lc.line, lc.col),
        Encoding::Utf16 => {
            let w = index.to_wide(WideEncoding::Utf16, lc);
            Position::new(w.line, w.col)
        }
    }
}

pub fn range(index: &LineIndex, enc: Encoding, r: TextRange) -> Range {
    Range::new(
        position(index, enc, r.start()),
        position(index, enc, r.end()),
    )
}

pub fn text_range(index: &LineIndex, text: &str, enc: Encoding, r: Range) -> TextRange {
    let a = offset(index, text, enc, r.start);
    let b = offset(index, text, enc, r.end);
    TextRange::new(a.min(b), a.max(b))
}

/// Apply `didChange` content changes in order (each range refers to the
/// text after the previous change).
pub fn apply_changes(
    text: &mut String,
    enc: Encoding,
    changes: Vec<TextDocumentContentChangeEvent>,
) {
    for change in changes {
        match change.range {
            None => *text = change.text,
            Some(r) => {
                // the text before this keystroke: indexed already (the
                // diagnostics of the last version)
                let index = LineIndex::shared(text);
                let tr = text_range(&index, text, enc, r);
                text.replace_range(usize::from(tr.start())..usize::from(tr.end()), &change.text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_utf8_columns() {
        let text = "a€😀b\nx\n";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap() as u32;
        // UTF-16: a(1) €(1) 😀(2) → b at 4; UTF-8: 1+3+4 = 8
        assert_eq!(
            position(&idx, Encoding::Utf16, b.into()),
            Position::new(0, 4)
        );
        assert_eq!(
            position(&idx, Encoding::Utf8, b.into()),
            Position::new(0, 8)
        );
        assert_eq!(
            offset(&idx, text, Encoding::Utf16, Position::new(0, 4)),
            b.into()
        );
        assert_eq!(
            offset(&idx, text, Encoding::Utf8, Position::new(0, 8)),
            b.into()
        );
        // past the end of the line: end of the line; past the last line: end
        assert_eq!(
            offset(&idx, text, Encoding::Utf16, Position::new(1, 99)),
            11.into()
        );
        assert_eq!(
            offset(&idx, text, Encoding::Utf16, Position::new(9, 0)),
            (text.len() as u32).into()
        );
    }

    #[test]
    fn changes_apply_in_order() {
        let mut t = "héllo\nworld\n".to_string();
        let ch = |l1, c1, l2, c2, s: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: s.into(),
        };
        apply_changes(
            &mut t,
            Encoding::Utf16,
            vec![
                ch(0, 2, 0, 5, "y"),
                ch(1, 0, 1, 0, "new "),
                ch(0, 0, 0, 1, ""),
            ],
        );
        assert_eq!(t, "éy\nnew world\n");
    }
}
