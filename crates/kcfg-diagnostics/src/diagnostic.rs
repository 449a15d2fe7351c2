//! The [`Diagnostic`] data type.

use std::fmt;

use kcfg_syntax::{LineIndex, SyntaxError, TextRange};
use serde::Serialize;

use crate::codes;
use crate::files::FileId;

/// How serious a finding is.
///
/// Ordered from the most to the least serious, so `Severity::Error <
/// Severity::Warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration is wrong: Kamailio would refuse it or misbehave.
    Error,
    /// Probably a mistake.
    Warning,
    /// Worth knowing, not necessarily wrong.
    Info,
    /// A suggestion (editors show these discreetly).
    Hint,
}

impl Severity {
    /// The lowercase name: `error`, `warning`, `info` or `hint`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary location of a diagnostic, with a short message
/// ("unexpected token here", "first defined here").
///
/// The range is in the same file as the diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    /// Byte range in the diagnostic's file.
    pub range: TextRange,
    /// Shown next to the range.
    pub message: String,
}

impl Label {
    /// A label at `range` with `message`.
    pub fn new(range: TextRange, message: impl Into<String>) -> Label {
        Label {
            range,
            message: message.into(),
        }
    }
}

/// One finding: what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Stable code such as `KC001` (see [`codes`](crate::codes)).
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// The file it is in, an index into a [`Files`](crate::Files) map.
    pub file: FileId,
    /// The primary location, a byte range. It may be empty (a missing `;`
    /// is reported right after the previous token).
    pub range: TextRange,
    /// One line saying what is wrong.
    pub message: String,
    /// Secondary locations in the same file.
    pub labels: Vec<Label>,
    /// Extra explanations, shown after the source snippet.
    pub notes: Vec<String>,
    /// How to fix it; the human renderer shows it at the primary location.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without labels, notes or help.
    pub fn new(
        code: &'static str,
        severity: Severity,
        file: FileId,
        range: TextRange,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            file,
            range,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// An error (shorthand for [`Diagnostic::new`] with [`Severity::Error`]).
    pub fn error(
        code: &'static str,
        file: FileId,
        range: TextRange,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, file, range, message)
    }

    /// Add a secondary label.
    pub fn with_label(mut self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label::new(range, message));
        self
    }

    /// Add a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Set the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Move the diagnostic to another file (the ranges are kept as they are).
    pub fn with_file(mut self, file: FileId) -> Diagnostic {
        self.file = file;
        self
    }

    /// A `KC001` syntax error in `file`, whose line index is `line_index`.
    ///
    /// The parser's hint becomes the help. When the error has an
    /// `unexpected` token that differs from its range and starts on another
    /// line (a missing `;` at the end of a line, found only at the next
    /// statement), that token gets a secondary label "unexpected token here":
    /// Kamailio itself reports the error at that token.
    pub fn from_syntax_error(
        file: FileId,
        error: &SyntaxError,
        line_index: &LineIndex,
    ) -> Diagnostic {
        let mut d = Diagnostic::from(error).with_file(file);
        if let Some(u) = error.unexpected {
            if line_index.line_col(u.start()).line == line_index.line_col(error.range.start()).line
            {
                d.labels.retain(|l| l.range != u);
            }
        }
        d
    }

    /// The sort key of the renderers: file path, start, end, code, message.
    pub(crate) fn sort_key<'a>(&'a self, path: &'a str) -> impl Ord + 'a {
        (
            path,
            self.range.start(),
            self.range.end(),
            self.code,
            &self.message,
        )
    }
}

/// A `KC001` syntax error in the first file ([`FileId::default`]); use
/// [`Diagnostic::with_file`] to place it elsewhere, or
/// [`Diagnostic::from_syntax_error`], which also knows lines.
///
/// Without a line index, an `unexpected` token that differs from the range
/// and does not overlap it always gets the "unexpected token here" label.
impl From<&SyntaxError> for Diagnostic {
    fn from(error: &SyntaxError) -> Diagnostic {
        let mut d = Diagnostic::error(
            codes::SYNTAX_ERROR,
            FileId::default(),
            error.range,
            error.message.clone(),
        );
        d.help = error.hint.clone();
        if let Some(u) = error.unexpected {
            let overlaps =
                u.intersect(error.range).is_some_and(|i| !i.is_empty()) || u == error.range;
            if !overlaps {
                let what = if u.is_empty() {
                    "the file ends here"
                } else {
                    "unexpected token here"
                };
                d.labels.push(Label::new(u, what));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing_semi(text: &str) -> SyntaxError {
        kcfg_syntax::parse(text).errors()[0].clone()
    }

    #[test]
    fn syntax_error_becomes_kc001() {
        let text = "request_route {\n    xlog(\"a\")\n    exit;\n}\n";
        let e = missing_semi(text);
        let d = Diagnostic::from(&e);
        assert_eq!(d.code, "KC001");
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.file, FileId(0));
        assert_eq!(d.range, e.range);
        assert!(d.range.is_empty());
        assert_eq!(
            d.help.as_deref(),
            Some("add `;` at the end of the statement")
        );
        assert_eq!(
            d.labels,
            vec![Label::new(e.unexpected.unwrap(), "unexpected token here")]
        );
        let d2 = Diagnostic::from_syntax_error(FileId(3), &e, &LineIndex::new(text));
        assert_eq!(d2.file, FileId(3));
        assert_eq!(d2.labels, d.labels);
    }

    #[test]
    fn unexpected_on_the_same_line_gets_no_label() {
        let text = "request_route {\n    xlog(\"a\") exit;\n}\n";
        let e = missing_semi(text);
        assert!(e.unexpected.is_some());
        assert_eq!(Diagnostic::from(&e).labels.len(), 1);
        assert!(
            Diagnostic::from_syntax_error(FileId(0), &e, &LineIndex::new(text))
                .labels
                .is_empty()
        );
    }

    #[test]
    fn unexpected_equal_to_range_gets_no_label() {
        let mut e = SyntaxError::new(TextRange::new(1.into(), 3.into()), "boom");
        e.unexpected = Some(e.range);
        assert!(Diagnostic::from(&e).labels.is_empty());
    }

    #[test]
    fn builders_and_severity_order() {
        let d = Diagnostic::new(
            "KC900",
            Severity::Hint,
            FileId(1),
            TextRange::empty(0.into()),
            "m",
        )
        .with_label(TextRange::empty(1.into()), "l")
        .with_note("n")
        .with_help("h");
        assert_eq!(
            (d.labels.len(), d.notes.len(), d.help.as_deref()),
            (1, 1, Some("h"))
        );
        assert!(Severity::Error < Severity::Warning && Severity::Info < Severity::Hint);
        assert_eq!(Severity::Info.to_string(), "info");
    }
}
