//! Renderers: diagnostics to text.
//!
//! Every renderer sorts the diagnostics by file path, then by range, then
//! by code, so the output does not depend on the order the checks ran in.
//! Lines and columns are 1-based; columns count characters (Unicode scalar
//! values), which is what terminals and most editors mean by a column.

mod concise;
mod github;
mod human;
mod json;
mod junit;
mod sarif;

pub use concise::concise;
pub use github::github;
pub use human::{human, HumanOptions};
pub use json::json;
pub use junit::junit;
pub use sarif::{sarif, RuleDescriptor};

use crate::{Diagnostic, Files};

/// The output formats, for callers that pick one at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Source snippets with carets, labels and help ([`human`]).
    #[default]
    Human,
    /// One line per diagnostic ([`concise`]).
    Concise,
    /// A JSON array ([`json`]).
    Json,
    /// SARIF 2.1.0 ([`sarif`]; [`render`] gives it no rule descriptions).
    Sarif,
    /// GitHub Actions annotations ([`github`]).
    Github,
    /// JUnit XML ([`junit`]).
    Junit,
}

/// Render `diagnostics` in `format`; `color` only matters for
/// [`Format::Human`].
pub fn render(format: Format, files: &Files, diagnostics: &[Diagnostic], color: bool) -> String {
    match format {
        Format::Human => human(files, diagnostics, &HumanOptions { color }),
        Format::Concise => concise(files, diagnostics),
        Format::Json => json(files, diagnostics),
        Format::Sarif => sarif(files, diagnostics, &[]),
        Format::Github => github(files, diagnostics),
        Format::Junit => junit(files, diagnostics),
    }
}

/// The diagnostics in output order: by file path, then offset.
pub fn sorted<'a>(files: &Files, diagnostics: &'a [Diagnostic]) -> Vec<&'a Diagnostic> {
    let mut v: Vec<&Diagnostic> = diagnostics.iter().collect();
    v.sort_by(|a, b| {
        a.sort_key(files.get(a.file).path())
            .cmp(&b.sort_key(files.get(b.file).path()))
    });
    v
}

#[cfg(test)]
mod tests;
