//! Code actions: the fixes the diagnostics already describe — "did you
//! mean" replacements, the missing `loadmodule`, the missing `;`.

use std::path::Path;

use kcfg_syntax::ast::AstNode;
use kcfg_syntax::{TextRange, TextSize};

use crate::db::{Diag, IdeDb};
use crate::navigation::SourceChange;
use crate::util;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeActionKind {
    QuickFix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    pub kind: CodeActionKind,
    pub edit: SourceChange,
    /// The diagnostic it fixes.
    pub diagnostic: Option<Diag>,
}

/// The replacement of a "did you mean `X`" help.
fn did_you_mean(help: &str) -> Option<&str> {
    let i = help.find("did you mean `")? + "did you mean `".len();
    let rest = &help[i..];
    Some(&rest[..rest.find('`')?])
}

/// The module of an "add `loadmodule \"X.so\"`" help.
fn missing_loadmodule(help: &str) -> Option<&str> {
    let i = help.find("loadmodule \"")? + "loadmodule \"".len();
    let rest = &help[i..];
    Some(&rest[..rest.find('"')?])
}

pub(crate) fn code_actions(db: &IdeDb, path: &Path, range: TextRange) -> Vec<CodeAction> {
    let path = kcfg_sema::normalize(path);
    let Some(file) = util::file(db, &path) else {
        return Vec::new();
    };
    let text = file.text(db).clone();
    let (c, _) = util::check_for(db, file);
    let mut out = Vec::new();
    for d in c.diagnostics.iter().filter(|d| d.path == path) {
        if d.range.intersect(range).is_none() && !range.contains_range(d.range) {
            continue;
        }
        let help = d.help.clone().unwrap_or_default();
        let mut single = |title: String, at: TextRange, new: String, path: &Path| {
            let mut edit = SourceChange::default();
            edit.edits.insert(path.to_path_buf(), vec![(at, new)]);
            out.push(CodeAction {
                title,
                kind: CodeActionKind::QuickFix,
                edit,
                diagnostic: Some(d.clone()),
            });
        };
        if d.code == "KC001" && d.message.starts_with("missing `;`") {
            single(
                "add `;`".into(),
                TextRange::empty(d.range.start()),
                ";".into(),
                &path,
            );
            continue;
        }
        if let Some(m) = missing_loadmodule(&help) {
            // insert after the last loadmodule of the main file
            let main = &c.model.files[0];
            let tree = main.parse.tree();
            let at = tree
                .loadmodules()
                .last()
                .map(|l| {
                    let end = usize::from(l.syntax().text_range().end());
                    let nl = main.text[end..]
                        .find('\n')
                        .map_or(main.text.len(), |i| end + i + 1);
                    TextSize::from(nl as u32)
                })
                .unwrap_or_default();
            let nl = if usize::from(at) == main.text.len()
                && !main.text.ends_with('\n')
                && !main.text.is_empty()
            {
                "\n"
            } else {
                ""
            };
            single(
                format!("add `loadmodule \"{m}\"`"),
                TextRange::empty(at),
                format!("{nl}loadmodule \"{m}\"\n"),
                &c.paths[0].clone(),
            );
        }
        if let Some(s) = did_you_mean(&help) {
            if !matches!(
                d.code,
                "KC103" | "KC107" | "KC110" | "KC111" | "KC112" | "KC133" | "KC125"
            ) {
                continue;
            }
            let Some(src) = text.get(usize::from(d.range.start())..usize::from(d.range.end()))
            else {
                continue;
            };
            let target = if src.len() >= 2 && (src.starts_with('"') || src.starts_with('\'')) {
                TextRange::new(
                    d.range.start() + TextSize::from(1),
                    d.range.end() - TextSize::from(1),
                )
            } else {
                let n = src
                    .char_indices()
                    .take_while(|(_, ch)| {
                        ch.is_ascii_alphanumeric()
                            || *ch == '_'
                            || *ch == '.'
                            || *ch == ':'
                            || *ch == '-'
                    })
                    .count();
                if n == 0 {
                    continue;
                }
                TextRange::at(d.range.start(), TextSize::from(n as u32))
            };
            single(format!("replace with `{s}`"), target, s.to_string(), &path);
        }
    }
    out
}
