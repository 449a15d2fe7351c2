use std::fmt::Write;

use crate::render::sorted;
use crate::{Diagnostic, Files, Severity};

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one line per diagnostic:
/// `::warning file=k.cfg,line=3,col=2,endLine=3,endColumn=9,title=KC301::message`
/// (`error`, `warning`, or `notice` for info and hints), with GitHub's
/// escaping of `%`, newlines, and in properties `:` and `,`.
pub fn github(files: &Files, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in sorted(files, diagnostics) {
        let file = files.get(d.file);
        let s = file.position(d.range.start());
        let e = file.position(d.range.end());
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info | Severity::Hint => "notice",
        };
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        let _ = writeln!(
            out,
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(file.path()),
            s.line,
            s.column,
            e.line,
            e.column,
            escape_property(d.code),
            escape_data(&msg)
        );
    }
    out
}
