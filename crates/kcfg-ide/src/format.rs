//! Formatting through `kcfg-fmt` (what `kcfg fmt` does): the editor's
//! indentation options decide tabs or spaces; everything else is the
//! formatter's default style. The formatter re-parses its output and refuses
//! (an error to the client, the text untouched) when anything but
//! whitespace would change.

use std::path::Path;

use kcfg_syntax::{TextRange, TextSize};

use crate::db::IdeDb;
use crate::util;

/// Whether formatting is wired in (see the module docs).
pub const FORMATTER_AVAILABLE: bool = true;

/// What the client asks for (LSP `FormattingOptions`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormatOptions {
    pub tab_size: u32,
    pub insert_spaces: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The formatter refused (e.g. a syntax error in the range).
    Failed(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Failed(m) => write!(f, "cannot format: {m}"),
        }
    }
}

fn fmt_options(options: &FormatOptions) -> kcfg_fmt::FormatOptions {
    let mut o = kcfg_fmt::FormatOptions::default();
    if options.insert_spaces {
        o.indent_style = kcfg_fmt::IndentStyle::Space;
        if options.tab_size > 0 {
            o.indent_width = options.tab_size as usize;
        }
    }
    o
}

/// Format a whole file.
fn run_formatter(text: &str, options: &FormatOptions) -> Result<String, FormatError> {
    kcfg_fmt::format(text, &fmt_options(options)).map_err(|e| FormatError::Failed(e.to_string()))
}

/// Format the statements that intersect `range`; returns the whole new text.
fn run_range_formatter(
    text: &str,
    range: TextRange,
    options: &FormatOptions,
) -> Result<String, FormatError> {
    match kcfg_fmt::format_range(text, range, &fmt_options(options)) {
        Ok(Some(edit)) => Ok(edit.apply(text)),
        Ok(None) => Ok(text.to_string()),
        Err(e) => Err(FormatError::Failed(e.to_string())),
    }
}

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
    fn editor_options_choose_the_indentation() {
        let tabs = fmt_options(&FormatOptions::default());
        assert_eq!(tabs.indent_style, kcfg_fmt::IndentStyle::Tab);
        let spaces = fmt_options(&FormatOptions {
            tab_size: 2,
            insert_spaces: true,
        });
        assert_eq!(
            (spaces.indent_style, spaces.indent_width),
            (kcfg_fmt::IndentStyle::Space, 2)
        );
        assert_eq!(
            run_formatter("x", &FormatOptions::default()),
            Ok("x\n".into())
        );
    }
}
