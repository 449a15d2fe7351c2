use std::fmt::Write;

use crate::render::sorted;
use crate::{Diagnostic, Files};

/// One line per diagnostic: `path:line:col: severity[code] message`, with a
/// 1-based line and character column of the start of the range.
///
/// The format editors and `grep` understand (`kcfg check --format concise`).
pub fn concise(files: &Files, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in sorted(files, diagnostics) {
        let file = files.get(d.file);
        let p = file.position(d.range.start());
        let message = one_line(&d.message);
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            file.path(),
            p.line,
            p.column,
            d.severity,
            d.code,
            message
        );
    }
    out
}

/// Newlines in a message would break the one-line format.
pub(crate) fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        s.replace("\r\n", " ").replace(['\n', '\r'], " ").into()
    } else {
        s.into()
    }
}
