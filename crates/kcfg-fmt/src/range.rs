//! Range formatting for editors: format the whole text, then take only the
//! stretch of the result that holds the tokens of the range.

use crate::{format_checked, free_tree, verify_parses, FormatError, FormatOptions};
use kcfg_syntax::{TextRange, TextSize};

/// One replacement in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeEdit {
    /// the bytes of the original text to replace
    pub range: TextRange,
    pub new_text: String,
}

impl RangeEdit {
    /// The text with the edit applied.
    pub fn apply(&self, text: &str) -> String {
        let (s, e) = (
            usize::from(self.range.start()),
            usize::from(self.range.end()),
        );
        let mut out = String::with_capacity(text.len() + self.new_text.len());
        out.push_str(&text[..s]);
        out.push_str(&self.new_text);
        out.push_str(&text[e..]);
        out
    }
}

/// Format the part of `text` that `range` (bytes) touches: the whole text
/// is formatted, and since formatting keeps every token, the i-th token of
/// the original is the i-th token of the result. The edit replaces the
/// original from the end of the token before the first token in the range
/// to the end of the last token in the range with the same stretch of the
/// formatted text; everything else stays as it is. The result is checked
/// like [`format`](crate::format)'s. `Ok(None)`: nothing to change there.
pub fn format_range(
    text: &str,
    range: TextRange,
    options: &FormatOptions,
) -> Result<Option<RangeEdit>, FormatError> {
    if usize::from(range.end()) > text.len() {
        return Err(FormatError::BadRange);
    }
    // One parse of `text` serves the formatting, the token spans of `text`
    // and the check of the edit; the spans of the result come from the
    // check's re-parse of it.
    let parse = kcfg_syntax::parse(text);
    let result = edit_for(text, &parse, range, options);
    free_tree(parse);
    result
}

fn edit_for(
    text: &str,
    parse: &kcfg_syntax::Parse,
    range: TextRange,
    options: &FormatOptions,
) -> Result<Option<RangeEdit>, FormatError> {
    let (formatted, tokens) = format_checked(text, parse, options)?;
    let (formatted, Some(tokens)) = (formatted.text, tokens) else {
        // the result is the text
        return Ok(None);
    };
    let old: Vec<TextRange> = crate::green::significant(parse.green(), TextSize::from(0))
        .map(|(_, t, at)| TextRange::at(at, TextSize::of(t)))
        .collect();
    let new: Vec<TextRange> = tokens
        .into_iter()
        .filter(|(k, _)| !crate::is_space(*k))
        .map(|(_, r)| r)
        .collect();
    if old.len() != new.len() {
        // cannot happen: `format_checked` checked the tokens
        return Err(FormatError::Unsafe {
            message: "the token count changed".into(),
            line: 1,
        });
    }
    // the tokens that overlap the range (an empty range: the token it is in)
    let first = old.partition_point(|r| r.end() <= range.start());
    let last =
        old.partition_point(|r| r.start() < range.end().max(range.start() + TextSize::from(1)));
    if first >= last {
        return Ok(None);
    }
    let from = |spans: &[TextRange]| {
        if first == 0 {
            TextSize::from(0)
        } else {
            spans[first - 1].end()
        }
    };
    let (os, oe) = (from(&old), old[last - 1].end());
    let (ns, ne) = (from(&new), new[last - 1].end());
    let new_text = formatted[usize::from(ns)..usize::from(ne)].to_string();
    if text[usize::from(os)..usize::from(oe)] == new_text {
        return Ok(None);
    }
    let edit = RangeEdit {
        range: TextRange::new(os, oe),
        new_text,
    };
    let applied = edit.apply(text);
    if applied != text {
        verify_parses(text, parse, &applied)?;
    }
    Ok(Some(edit))
}
