use std::fmt::Write;

use crate::render::sorted;
use crate::{Diagnostic, Files};

fn xml(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // characters XML 1.0 cannot carry
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

/// JUnit XML: one `<testsuite>` per checked file; each diagnostic is a
/// failed `<testcase>` named after its code, a file without diagnostics has
/// one passing test case.
pub fn junit(files: &Files, diagnostics: &[Diagnostic]) -> String {
    let all = sorted(files, diagnostics);
    let mut suites = String::new();
    let mut total = 0;
    let mut paths: Vec<(&str, crate::FileId)> =
        files.iter().map(|(id, f)| (f.path(), id)).collect();
    paths.sort();
    for (path, id) in paths {
        let mine: Vec<&&Diagnostic> = all.iter().filter(|d| d.file == id).collect();
        let n = mine.len().max(1);
        total += n;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
            xml(path),
            mine.len()
        );
        if mine.is_empty() {
            let _ = writeln!(
                suites,
                "    <testcase name=\"kcfg check\" classname=\"{}\"/>",
                xml(path)
            );
        }
        let file = files.get(id);
        for d in mine {
            let p = file.position(d.range.start());
            let _ = writeln!(
                suites,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}:{}:{}: {}[{}] {}</failure>\n    </testcase>",
                xml(d.code),
                xml(path),
                xml(path),
                p.line,
                xml(&d.message),
                d.severity,
                xml(path),
                p.line,
                p.column,
                d.severity,
                xml(d.code),
                xml(&d.message)
            );
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kcfg\" tests=\"{total}\" failures=\"{}\">\n{suites}</testsuites>\n",
        diagnostics.len()
    )
}
