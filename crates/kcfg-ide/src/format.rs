//! Formatting. **Not available yet**: the formatter (`kcfg-fmt`) is being
//! written on another branch. [`run_formatter`] and [`run_range_formatter`]
//! are the single place where it gets wired in:
//!
//! ```text
//! fn run_formatter(text, options)       => kcfg_fmt::format(text, &fmt_options)
//! fn run_range_formatter(text, r, opts) => kcfg_fmt::format_range(text, r, &fmt_options)
//! ```
//!
//! and [`FORMATTER_AVAILABLE`] becomes `true` (the server advertises the
//! formatting capabilities from it). Until then every request gets
//! [`FormatError::Unavailable`]; nothing pretends to format.

use std::path::Path;

use kcfg_syntax::{TextRange, TextSize};

use crate::db::IdeDb;
use crate::util;

/// Whether formatting is wired in (see the module docs).
pub const FORMATTER_AVAILABLE: bool = false;

/// What the client asks for (LSP `FormattingOptions`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormatOptions {
    pub tab_size: u32,
    pub insert_spaces: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The formatter is not part of this build yet.
    Unavailable,
    /// The formatter refused (e.g. a syntax error in the range).
    Failed(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Unavailable => f.write_str(
                "formatting is not available yet: kcfg-fmt is not wired into this kcfg build",
            ),
            FormatError::Failed(m) => write!(f, "cannot format: {m}"),
        }
    }
}

// ---- FORMATTER HOOK (the only place to change when kcfg-fmt lands) ----

/// Format a whole file.
fn run_formatter(_text: &str, _options: &FormatOptions) -> Result<String, FormatError> {
    Err(FormatError::Unavailable)
}

/// Format the statements that intersect `range`; returns the whole new text.
fn run_range_formatter(
    _text: &str,
    _range: TextRange,
    _options: &FormatOptions,
) -> Result<String, FormatError> {
    Err(FormatError::Unavailable)
}

// ---- end of the hook ----

pub(crate) fn format(
    db: &IdeDb,
    path: &Path,
    range: Option<TextRange>,
    options: &FormatOptions,
) -> Result<Option<Vec<(TextRange, String)>>, FormatError> {
    let Some(file) = util::file(db, path) else {
        return Ok(None);
    };
    let text = file.text(db).clone();
    let new = match range {
        None => run_formatter(&text, options)?,
        Some(r) => run_range_formatter(&text, r, options)?,
    };
    Ok(minimal_edit(&text, &new).map(|e| vec![e]))
}

/// One edit replacing the part of `old` that differs from `new` (common
/// prefix and suffix kept), or `None` when they are equal.
pub(crate) fn minimal_edit(old: &str, new: &str) -> Option<(TextRange, String)> {
    if old == new {
        return None;
    }
    let mut p = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(p) || !new.is_char_boundary(p) {
        p -= 1;
    }
    let max_s = old.len().min(new.len()) - p;
    let mut s = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_s)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - s) || !new.is_char_boundary(new.len() - s) {
        s -= 1;
    }
    Some((
        TextRange::new(
            TextSize::from(p as u32),
            TextSize::from((old.len() - s) as u32),
        ),
        new[p..new.len() - s].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edit_keeps_common_ends() {
        assert_eq!(minimal_edit("abc", "abc"), None);
        let (r, t) = minimal_edit("a  b;\n", "a b;\n").unwrap();
        assert_eq!(
            (u32::from(r.start()), u32::from(r.end()), t.as_str()),
            (2, 3, "")
        );
        let (r, t) = minimal_edit("é x", "é  x").unwrap();
        assert_eq!(
            (u32::from(r.start()), u32::from(r.end()), t.as_str()),
            (3, 3, " ")
        );
    }

    #[test]
    fn formatting_is_reported_unavailable() {
        assert_eq!(
            run_formatter("x", &FormatOptions::default()),
            Err(FormatError::Unavailable)
        );
    }
}
