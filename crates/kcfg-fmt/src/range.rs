//! Range formatting for editors: format the whole text, then keep only the
//! changed lines that touch the range.

use kcfg_syntax::{TextRange, TextSize};
use similar::{DiffTag, TextDiff};

use crate::{format, verify, FormatError, FormatOptions};

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

/// Format the lines of `text` that `range` (bytes) touches. The whole text
/// is formatted and then only the changed lines that touch the range are
/// taken; the result is checked like [`format`]'s. `Ok(None)`: nothing to
/// change there.
pub fn format_range(
    text: &str,
    range: TextRange,
    options: &FormatOptions,
) -> Result<Option<RangeEdit>, FormatError> {
    if usize::from(range.end()) > text.len() {
        return Err(FormatError::BadRange);
    }
    let formatted = format(text, options)?;
    if formatted == text {
        return Ok(None);
    }
    let old_starts = line_starts(text);
    let new_starts = line_starts(&formatted);
    let old_at = |line: usize| old_starts.get(line).copied().unwrap_or(text.len());
    let new_at = |line: usize| new_starts.get(line).copied().unwrap_or(formatted.len());
    let (rs, re) = (usize::from(range.start()), usize::from(range.end()));
    let diff = TextDiff::from_lines(text, &formatted);
    // (old bytes, new bytes) of each change that touches the range
    let mut taken: Vec<((usize, usize), (usize, usize))> = Vec::new();
    for op in diff.ops() {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        let (os, oe) = (old_at(o.start), old_at(o.end));
        let touches = if os == oe {
            rs <= os && os <= re
        } else {
            os <= re && rs < oe
        };
        if touches {
            taken.push(((os, oe), (new_at(n.start), new_at(n.end))));
        }
    }
    let (Some(first), Some(last)) = (taken.first(), taken.last()) else {
        return Ok(None);
    };
    let (start, end) = (first.0 .0, last.0 .1);
    let mut new_text = String::new();
    let mut at = start;
    for ((os, oe), (ns, ne)) in &taken {
        new_text.push_str(&text[at..*os]);
        new_text.push_str(&formatted[*ns..*ne]);
        at = *oe;
    }
    let edit = RangeEdit {
        range: TextRange::new(TextSize::from(start as u32), TextSize::from(end as u32)),
        new_text,
    };
    verify(text, &edit.apply(text))?;
    Ok(Some(edit))
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    v
}
