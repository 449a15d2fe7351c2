//! `kcfg-diagnostics`: the findings of kcfg and the ways to show them.
//!
//! A [`Diagnostic`] is plain data: a stable code (`KC001`), a [`Severity`],
//! the file it is in ([`FileId`] into a [`Files`] map), a byte range, a
//! message, secondary [`Label`]s, notes and an optional help text. It knows
//! nothing about terminals or editors.
//!
//! The renderers in [`render`] turn a list of diagnostics into text:
//! [`render::human`] (source snippets drawn by ariadne, this crate being the
//! only one that knows ariadne), [`render::concise`] (one
//! `path:line:col: severity[code] message` line each) and [`render::json`].
//! All of them sort their input by file, then offset, so their output is
//! deterministic.
//!
//! ```
//! use kcfg_diagnostics::{render, Diagnostic, Files};
//!
//! let text = "request_route {\n    xlog(\"a\")\n    exit;\n}\n";
//! let mut files = Files::new();
//! let file = files.add("kamailio.cfg", text);
//! let parse = kcfg_syntax::parse(text);
//! let diags: Vec<Diagnostic> = parse
//!     .errors()
//!     .iter()
//!     .map(|e| Diagnostic::from_syntax_error(file, e, files.get(file).line_index()))
//!     .collect();
//! assert_eq!(
//!     render::concise(&files, &diags),
//!     "kamailio.cfg:2:14: error[KC001] missing `;` (found `exit`)\n"
//! );
//! ```

pub mod codes;
mod diagnostic;
mod files;
pub mod render;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use files::{FileId, Files, Position, SourceFile};
pub use kcfg_syntax::{TextRange, TextSize};
