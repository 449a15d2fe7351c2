use serde::Serialize;

use crate::render::sorted;
use crate::{Diagnostic, Files, Position, Severity, SourceFile, TextRange};

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    path: &'a str,
    range: JsonRange,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    range: JsonRange,
}

#[derive(Serialize)]
struct JsonRange {
    start: Position,
    end: Position,
}

impl JsonRange {
    fn new(file: &SourceFile, range: TextRange) -> JsonRange {
        JsonRange {
            start: file.position(range.start()),
            end: file.position(range.end()),
        }
    }
}

impl Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Position", 3)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("column", &self.column)?;
        st.serialize_field("offset", &self.offset)?;
        st.end()
    }
}

/// A pretty-printed JSON array, one object per diagnostic:
///
/// ```json
/// [
///   {
///     "code": "KC001",
///     "severity": "error",
///     "message": "missing `;` (found `exit`)",
///     "path": "kamailio.cfg",
///     "range": {
///       "start": { "line": 2, "column": 14, "offset": 29 },
///       "end": { "line": 2, "column": 14, "offset": 29 }
///     },
///     "help": "add `;` at the end of the statement",
///     "labels": [ { "message": "unexpected token here", "range": { ... } } ],
///     "notes": []
///   }
/// ]
/// ```
///
/// `line` and `column` are 1-based (columns count characters), `offset` is
/// the 0-based byte offset; `end` is exclusive. `help` is `null` when there
/// is none. The output ends with a newline.
pub fn json(files: &Files, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = sorted(files, diagnostics)
        .into_iter()
        .map(|d| {
            let file = files.get(d.file);
            JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: &d.message,
                path: file.path(),
                range: JsonRange::new(file, d.range),
                help: d.help.as_deref(),
                labels: d
                    .labels
                    .iter()
                    .map(|l| JsonLabel {
                        message: &l.message,
                        range: JsonRange::new(file, l.range),
                    })
                    .collect(),
                notes: &d.notes,
            }
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).expect("diagnostics serialize to JSON");
    out.push('\n');
    out
}
