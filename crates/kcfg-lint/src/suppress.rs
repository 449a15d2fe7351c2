//! Suppression comments: `# kcfg: ignore[KC301] -- reason` on the line of a
//! finding or alone on the line before it, `# kcfg: ignore-file[KC4]` for the
//! whole file. A code may be a prefix (`KC3`) or a rule name. Unknown codes
//! are reported (KC502), and so are suppressions that silence nothing (KC501).

use kcfg_sema::{FileIdx, Model};
use kcfg_syntax::{SyntaxKind, TextRange, TextSize};

use crate::{rules, Finding, Settings};

#[derive(Debug, Clone)]
struct Entry {
    file: FileIdx,
    /// the line the suppression covers (0-based)
    line: u32,
    file_level: bool,
    code: String,
    code_range: TextRange,
    used: bool,
}

/// The suppression comments of a model's files.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    entries: Vec<Entry>,
    malformed: Vec<(FileIdx, TextRange, String)>,
}

impl Suppressions {
    /// Find the `# kcfg:` comments of every file.
    pub fn collect(model: &Model) -> Suppressions {
        let mut s = Suppressions::default();
        for (i, f) in model.files.iter().enumerate() {
            let file = FileIdx(i);
            if !f.text.contains("kcfg:") {
                continue;
            }
            let li = f.line_index();
            for t in f
                .parse
                .syntax_node()
                .descendants_with_tokens()
                .filter_map(|e| e.into_token())
            {
                if t.kind() != SyntaxKind::COMMENT {
                    continue;
                }
                let text = t.text();
                let body = text.trim_start_matches(['#', '/']).trim_start();
                let Some(rest) = body.strip_prefix("kcfg:") else {
                    continue;
                };
                let rest_trim = rest.trim_start();
                let base = usize::from(t.text_range().start()) + (text.len() - rest_trim.len());
                let (file_level, after) = if let Some(a) = rest_trim.strip_prefix("ignore-file[") {
                    (true, a)
                } else if let Some(a) = rest_trim.strip_prefix("ignore[") {
                    (false, a)
                } else {
                    s.malformed.push((
                        file,
                        t.text_range(),
                        "expected `kcfg: ignore[CODE, ...]` or `kcfg: ignore-file[CODE, ...]`"
                            .into(),
                    ));
                    continue;
                };
                let Some(close) = after.find(']') else {
                    s.malformed
                        .push((file, t.text_range(), "missing `]` after the codes".into()));
                    continue;
                };
                let list_start = base + (rest_trim.len() - after.len());
                // the comment alone on its line covers the next line
                let start = t.text_range().start();
                let line = li.line_col(start).line;
                let line_start = li.line_col(start).col == 0
                    || f.text[..usize::from(start)]
                        .rsplit('\n')
                        .next()
                        .is_some_and(|p| p.trim().is_empty());
                let covered = if line_start { line + 1 } else { line };
                let mut off = 0;
                for part in after[..close].split(',') {
                    let lead = part.len() - part.trim_start().len();
                    let code = part.trim();
                    let at = list_start + off + lead;
                    off += part.len() + 1;
                    if code.is_empty() {
                        continue;
                    }
                    let r =
                        TextRange::at(TextSize::from(at as u32), TextSize::from(code.len() as u32));
                    s.entries.push(Entry {
                        file,
                        line: covered,
                        file_level,
                        code: code.to_string(),
                        code_range: r,
                        used: false,
                    });
                }
            }
        }
        s
    }

    /// Whether a finding of `code` at `range` is suppressed; marks the
    /// suppression used.
    pub fn take(&mut self, file: FileIdx, range: TextRange, code: &str, model: &Model) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let line = model.file(file).line_index().line_col(range.start()).line;
        let name = name_of(code);
        let mut hit = false;
        for e in &mut self.entries {
            if e.file == file
                && (e.file_level || e.line == line)
                && (code.starts_with(e.code.as_str()) || Some(e.code.as_str()) == name)
            {
                e.used = true;
                hit = true;
            }
        }
        hit
    }

    /// KC501 (unused) and KC502 (unknown or malformed) findings, after every
    /// layer has called [`Suppressions::take`].
    pub fn problems(&self, model: &Model, settings: &Settings) -> Vec<Finding> {
        let mut out = Vec::new();
        let on = |m: &crate::RuleMeta, f: FileIdx| settings.enabled(m, &model.file(f).path);
        for (file, r, msg) in &self.malformed {
            if on(&rules::unknown_suppression::META, *file) {
                out.push(stamp(
                    Finding::new(*file, *r, format!("malformed suppression comment: {msg}")),
                    &rules::unknown_suppression::META,
                ));
            }
        }
        for e in &self.entries {
            if !known(&e.code) {
                if on(&rules::unknown_suppression::META, e.file) {
                    out.push(stamp(
                        Finding::new(e.file, e.code_range, format!("`{}` is not a code or rule name kcfg knows", e.code))
                            .help("use a code such as KC301 (a prefix such as KC3 works too) or a rule name; `kcfg explain` lists them"),
                        &rules::unknown_suppression::META,
                    ));
                }
            } else if !e.used
                && on(&rules::unused_suppression::META, e.file)
                && rule_is_on(&e.code, settings, model, e.file)
            {
                out.push(stamp(
                    Finding::new(
                        e.file,
                        e.code_range,
                        format!("the suppression of `{}` silences nothing here", e.code),
                    )
                    .help("remove it (the problem it silenced is gone, or it is on another line)"),
                    &rules::unused_suppression::META,
                ));
            }
        }
        out
    }
}

fn stamp(mut f: Finding, m: &'static crate::RuleMeta) -> Finding {
    f.code = m.code;
    f.severity = m.severity;
    f
}

/// The lint or sema name of a code.
fn name_of(code: &str) -> Option<&'static str> {
    crate::RULES
        .iter()
        .find(|r| r.meta.code == code)
        .map(|r| r.meta.name)
        .or_else(|| kcfg_sema::codes::name(code))
}

/// Whether a suppression code names something kcfg can report: a lint rule
/// or KC1xx code (or a prefix of one), or a name.
fn known(code: &str) -> bool {
    let lint = crate::RULES
        .iter()
        .any(|r| r.meta.code.starts_with(code) || r.meta.name == code);
    let sema = kcfg_sema::codes::ALL
        .iter()
        .any(|(c, n, ..)| c.starts_with(code) || *n == code);
    (code.len() >= 3 && code.starts_with("KC") && (lint || sema))
        || (!code.starts_with("KC") && (lint || sema))
}

/// Whether the rule(s) a suppression names can report at all in this run
/// (a suppression of a deselected rule is not "unused").
fn rule_is_on(code: &str, settings: &Settings, model: &Model, file: FileIdx) -> bool {
    let path = &model.file(file).path;
    let lint: Vec<_> = crate::RULES
        .iter()
        .filter(|r| r.meta.code.starts_with(code) || r.meta.name == code)
        .collect();
    if lint.is_empty() {
        return true; // a KC1xx code: always checked
    }
    lint.iter().any(|r| settings.enabled(r.meta, path))
}
