//! Byte offset ↔ line/column conversion, in UTF-8 bytes or UTF-16/UTF-32
//! code units (what editors speak).

use std::sync::{Arc, Mutex};

use crate::TextSize;

/// A 0-based line and a 0-based column in UTF-8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// A 0-based line and a 0-based column in code units of `WideEncoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WideLineCol {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WideEncoding {
    Utf16,
    Utf32,
}

/// Cheap to clone: the tables are shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// offset of the start of each line
    starts: Arc<[TextSize]>,
    len: TextSize,
    /// for each line, the non-ASCII chars: (byte column, utf8 len)
    wide: Arc<[Vec<(u32, u8)>]>,
}

/// Texts shorter than this are indexed afresh by [`LineIndex::shared`]
/// (building their index costs about what the cache lookup would).
const SHARED_MIN_LEN: usize = 4096;
/// How many (text, index) pairs [`LineIndex::shared`] keeps: the language
/// server converts an edit's position in the text before the edit, then
/// indexes the text after it several times (the salsa query, the files of
/// the check, the model).
const SHARED_ENTRIES: usize = 2;

/// The last texts indexed by [`LineIndex::shared`], most recent last, each
/// with its index: an exact copy of the text is the key.
static SHARED: Mutex<Vec<(Box<str>, LineIndex)>> = Mutex::new(Vec::new());

impl LineIndex {
    /// The index of `text`, the same as [`LineIndex::new`]; the index of a
    /// text indexed recently (by this function, the very same bytes) is
    /// reused instead of built again. Bounded: the last
    /// [`SHARED_ENTRIES`] texts of at least [`SHARED_MIN_LEN`] bytes.
    pub fn shared(text: &str) -> LineIndex {
        if text.len() < SHARED_MIN_LEN {
            return LineIndex::new(text);
        }
        let mut cache = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.iter().position(|(t, _)| **t == *text) {
            let entry = cache.remove(i);
            let idx = entry.1.clone();
            cache.push(entry);
            return idx;
        }
        let idx = LineIndex::new(text);
        if cache.len() >= SHARED_ENTRIES {
            cache.remove(0);
        }
        cache.push((text.into(), idx.clone()));
        idx
    }

    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(TextSize::from(0));
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| TextSize::from((i + 1) as u32)));
        // lines without non-ASCII chars need no entry: `wide` is cut after
        // the last line that has one (an ASCII text has none at all)
        let mut wide: Vec<Vec<(u32, u8)>> = Vec::new();
        if !text.is_ascii() {
            for (line, &start) in starts.iter().enumerate() {
                let start = usize::from(start);
                let end = starts
                    .get(line + 1)
                    .map_or(bytes.len(), |&e| usize::from(e));
                let l = &bytes[start..end];
                if l.is_ascii() {
                    continue;
                }
                // bytes, not chars: the text is UTF-8, so a non-ASCII char
                // is its lead byte (0xC0 and up) and continuation bytes
                // (0x80..0xC0)
                let w: Vec<(u32, u8)> = l
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b >= 0xC0)
                    .map(|(i, &b)| {
                        let len = match b {
                            0xC0..=0xDF => 2,
                            0xE0..=0xEF => 3,
                            _ => 4,
                        };
                        (i as u32, len)
                    })
                    .collect();
                wide.resize_with(line + 1, Vec::new);
                wide[line] = w;
            }
        }
        LineIndex {
            starts: starts.into(),
            len: TextSize::from(text.len() as u32),
            wide: wide.into(),
        }
    }

    pub fn len(&self) -> TextSize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == TextSize::from(0)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Line and byte column of an offset (clamped to the text).
    pub fn line_col(&self, offset: TextSize) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        LineCol {
            line: line as u32,
            col: u32::from(offset - self.starts[line]),
        }
    }

    /// Offset of a line/byte column; None when outside the text.
    pub fn offset(&self, lc: LineCol) -> Option<TextSize> {
        let start = *self.starts.get(lc.line as usize)?;
        let end = self
            .starts
            .get(lc.line as usize + 1)
            .copied()
            .unwrap_or(self.len);
        let off = start + TextSize::from(lc.col);
        (off <= end).then_some(off)
    }

    /// Start offset of a 0-based line.
    pub fn line_start(&self, line: u32) -> Option<TextSize> {
        self.starts.get(line as usize).copied()
    }

    pub fn to_wide(&self, enc: WideEncoding, lc: LineCol) -> WideLineCol {
        let mut col = lc.col;
        for &(c, l) in self
            .wide
            .get(lc.line as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if c >= lc.col {
                break;
            }
            let units = match enc {
                WideEncoding::Utf16 => {
                    if l == 4 {
                        2
                    } else {
                        1
                    }
                }
                WideEncoding::Utf32 => 1,
            };
            col = col - l as u32 + units;
        }
        WideLineCol { line: lc.line, col }
    }

    pub fn to_utf8(&self, enc: WideEncoding, wl: WideLineCol) -> LineCol {
        let mut col = wl.col;
        for &(c, l) in self
            .wide
            .get(wl.line as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            // c is a byte column; compare in wide units so far
            let units = match enc {
                WideEncoding::Utf16 => {
                    if l == 4 {
                        2
                    } else {
                        1
                    }
                }
                WideEncoding::Utf32 => 1,
            };
            if c >= col {
                break;
            }
            col = col + l as u32 - units;
        }
        LineCol { line: wl.line, col }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_wide() {
        let text = "ab\nx€y😀z\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(4.into()), LineCol { line: 1, col: 1 });
        // '😀' starts at byte col 5 on line 1 (x=1, €=3 bytes)
        let z = text.find('z').unwrap() as u32;
        let lc = idx.line_col(z.into());
        assert_eq!(lc, LineCol { line: 1, col: 9 });
        let w = idx.to_wide(WideEncoding::Utf16, lc);
        assert_eq!(w, WideLineCol { line: 1, col: 5 }); // x € y 😀(2) = 5
        assert_eq!(idx.to_utf8(WideEncoding::Utf16, w), lc);
        let w32 = idx.to_wide(WideEncoding::Utf32, lc);
        assert_eq!(w32.col, 4);
        assert_eq!(idx.to_utf8(WideEncoding::Utf32, w32), lc);
        assert_eq!(idx.offset(lc), Some(z.into()));
        assert_eq!(idx.offset(LineCol { line: 9, col: 0 }), None);
    }

    #[test]
    fn wide_chars_of_every_length() {
        // 1-, 2-, 3- and 4-byte chars, several on a line, and lines without
        let text = "a\u{e9}b\u{7ff}\u{800}\u{ffff}\n\n\u{10000}x\u{10ffff}\u{80}\n";
        let idx = LineIndex::new(text);
        let mut want: Vec<Vec<(u32, u8)>> = vec![Vec::new()];
        let mut line_start = 0;
        for (i, c) in text.char_indices() {
            if c == '\n' {
                want.push(Vec::new());
                line_start = i + 1;
            } else if !c.is_ascii() {
                let w = want.last_mut().unwrap();
                w.push(((i - line_start) as u32, c.len_utf8() as u8));
            }
        }
        // lines after the last non-ASCII one have no entry
        while want.last().is_some_and(Vec::is_empty) {
            want.pop();
        }
        assert_eq!(*idx.wide, *want);
        assert_eq!(idx.line_count(), 4);
    }

    /// `shared` gives the index `new` builds, for texts that differ in
    /// one byte only (same length, same line count), alternating, more
    /// texts than the cache holds, short and long ones: it fails when the
    /// cache key is not the whole text.
    #[test]
    fn shared_equals_new() {
        let base = "route[R] {\n\txlog(\"L_INFO\", \"x\");\n}\n".repeat(200);
        assert!(base.len() >= SHARED_MIN_LEN);
        let mut texts = Vec::new();
        for (i, c) in ["a", "\n", "\u{e9}", "b"].iter().enumerate() {
            let mut t = base.clone();
            let at = 5000 + i;
            t.replace_range(at..at + c.len(), c);
            texts.push(t);
        }
        texts.push(base.clone());
        texts.push("a\nb".to_string());
        for round in 0..3 {
            for (k, t) in texts.iter().enumerate() {
                let shared = LineIndex::shared(t);
                assert_eq!(shared, LineIndex::new(t), "round {round}, text {k}");
                assert_eq!(shared.line_count(), t.matches('\n').count() + 1);
                // again: from the cache
                assert_eq!(LineIndex::shared(t), LineIndex::new(t));
            }
        }
        assert!(SHARED.lock().unwrap().len() <= SHARED_ENTRIES);
    }

    /// Positions through the index equal a count over the text's chars, on
    /// ASCII text (no wide entries) and text with non-ASCII chars on some
    /// lines (first, middle, last, with and without a final newline).
    #[test]
    fn wide_columns_equal_char_counts() {
        for text in [
            "",
            "abc",
            "a\nb\n",
            "\u{e9}",
            "\n\n\u{e9}x",
            "x\r\n\u{20ac}y\n\nz\u{1f600}w\n",
            "route {\n\txlog(\"\u{e9}t\u{e9}\");\n}\n",
        ] {
            let idx = LineIndex::new(text);
            assert_eq!(idx.line_count(), text.matches('\n').count() + 1);
            for (off, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let lc = idx.line_col(TextSize::from(off as u32));
                let line_start = text[..off].rfind('\n').map_or(0, |i| i + 1);
                let before = &text[line_start..off];
                assert_eq!(lc.col as usize, before.len());
                let w16 = idx.to_wide(WideEncoding::Utf16, lc);
                let w32 = idx.to_wide(WideEncoding::Utf32, lc);
                assert_eq!(
                    w16.col as usize,
                    before.encode_utf16().count(),
                    "{text:?} {off}"
                );
                assert_eq!(w32.col as usize, before.chars().count(), "{text:?} {off}");
                assert_eq!(idx.to_utf8(WideEncoding::Utf16, w16), lc);
                assert_eq!(idx.to_utf8(WideEncoding::Utf32, w32), lc);
            }
        }
    }
}
