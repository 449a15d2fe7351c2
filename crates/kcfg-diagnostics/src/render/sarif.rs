use serde_json::{json, Value};

use crate::render::sorted;
use crate::{Diagnostic, Files, Severity, SourceFile, TextRange};

/// What SARIF says about a rule (`tool.driver.rules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDescriptor {
    /// `KC301`
    pub code: &'static str,
    /// `reply-without-exit`
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
}

fn uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

fn region(file: &SourceFile, range: TextRange) -> Value {
    let s = file.position(range.start());
    let e = file.position(range.end());
    json!({
        "startLine": s.line,
        "startColumn": s.column,
        "endLine": e.line,
        "endColumn": e.column,
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// A SARIF 2.1.0 log with one run of `kcfg`: `rules` are the rules of the
/// tool (every code kcfg can report, so a result's `ruleIndex` points into
/// it); columns count Unicode code points (`columnKind`). Help and notes
/// go into the result's message after the first line.
pub fn sarif(files: &Files, diagnostics: &[Diagnostic], rules: &[RuleDescriptor]) -> String {
    let mut rules: Vec<RuleDescriptor> = rules.to_vec();
    // codes the caller did not describe still get a rule
    for d in diagnostics {
        if !rules.iter().any(|r| r.code == d.code) {
            rules.push(RuleDescriptor {
                code: d.code,
                name: d.code,
                summary: "",
            });
        }
    }
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            let mut v = json!({
                "id": r.code,
                "name": r.name,
                "helpUri": format!("https://example.invalid/kcfg/docs/rules/{}.md", r.code),
            });
            if !r.summary.is_empty() {
                v["shortDescription"] = json!({ "text": r.summary });
            }
            v
        })
        .collect();
    let results: Vec<Value> = sorted(files, diagnostics)
        .into_iter()
        .map(|d| {
            let file = files.get(d.file);
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            for n in &d.notes {
                text.push_str(&format!("\nnote: {n}"));
            }
            let location = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(file.path()) },
                    "region": region(file, d.range),
                }
            });
            let related: Vec<Value> = d
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    json!({
                        "id": i,
                        "message": { "text": l.message },
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(file.path()) },
                            "region": region(file, l.range),
                        }
                    })
                })
                .collect();
            let mut r = json!({
                "ruleId": d.code,
                "ruleIndex": rules.iter().position(|r| r.code == d.code).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [location],
            });
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(related);
            }
            r
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "kcfg",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://example.invalid/kcfg",
                    "rules": rule_values,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    out.push('\n');
    out
}
