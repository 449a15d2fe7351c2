//! Diagnostics: the check's findings per file, and the inactive `#!ifdef`
//! arms (shown as unnecessary code).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::{SyntaxKind, TextRange};

use crate::db::{self, Diag, IdeDb};
use crate::util;

/// What is shown for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDiagnostics {
    /// The findings of `kcfg check` located in this file, in its order.
    pub check: Vec<Diag>,
    /// Code Kamailio does not read with the active defines: `#!ifdef` arms
    /// not taken (and `INACTIVE_CODE` the parser skipped).
    pub inactive: Vec<TextRange>,
}

pub(crate) fn file_diagnostics(db: &IdeDb, path: &Path) -> FileDiagnostics {
    let path = kcfg_sema::normalize(path);
    let Some(file) = util::file(db, &path) else {
        return FileDiagnostics::default();
    };
    let root = db::root_of(db, file);
    let c = db::check(db, root);
    let check = c
        .diagnostics
        .iter()
        .filter(|d| d.path == path)
        .cloned()
        .collect();
    let idx = c.file_index(&path);
    let inactive = match idx {
        Some(i) => inactive_ranges(&c.model, i),
        None => Vec::new(),
    };
    FileDiagnostics { check, inactive }
}

pub(crate) fn workspace_diagnostics(db: &IdeDb) -> Vec<(PathBuf, FileDiagnostics)> {
    let mut out: BTreeMap<PathBuf, FileDiagnostics> = BTreeMap::new();
    for (root, _) in db::roots(db) {
        let c = db::check(db, *root);
        for (i, p) in c.paths.iter().enumerate() {
            // a file included by several main files: the first one wins
            if out.contains_key(p) {
                continue;
            }
            let check = c
                .diagnostics
                .iter()
                .filter(|d| &d.path == p)
                .cloned()
                .collect();
            out.insert(
                p.clone(),
                FileDiagnostics {
                    check,
                    inactive: inactive_ranges(&c.model, i),
                },
            );
        }
    }
    out.into_iter().collect()
}

/// The inactive regions of file `i` of the model: arms of `#!ifdef` groups
/// that the defines in effect do not take, and code the parser kept as
/// `INACTIVE_CODE`.
pub(crate) fn inactive_ranges(model: &kcfg_sema::Model, i: usize) -> Vec<TextRange> {
    let f = &model.files[i];
    let root = f.parse.syntax_node();
    let mut out = Vec::new();
    // the defines Kamailio has when it reads the file: approximated by the
    // final define table plus the names the file itself defines before
    // the group (kcfg-sema resolves groups the same way)
    let defined = |name: &str| model.defines.contains_key(name);
    // the groups and the skipped code, found without building red nodes
    // for the rest of the tree
    let mut skipped = Vec::new();
    let mut groups = Vec::new();
    // without `INACTIVE_CODE` tokens only the groups are looked for, and
    // a node whose text has no `!` holds none (every directive starts with
    // `#!`, `!!` or `//!`)
    let inactive_code = f.parse.has_inactive_code();
    let text = f.text.as_str();
    let no_group = |r: TextRange| !inactive_code && !util::mentions_directive(&text[r]);
    for e in util::find_kinds_where(
        &root,
        Some(SyntaxKind::PP_IF),
        Some(SyntaxKind::INACTIVE_CODE),
        &no_group,
    ) {
        match e {
            rowan::NodeOrToken::Node(n) => groups.extend(ast::PpIf::cast(n)),
            rowan::NodeOrToken::Token(t) => skipped.push(t.text_range()),
        }
    }
    for group in groups {
        let mut taken_before = false;
        for arm in group.arms() {
            let Some(dir) = arm.directive() else { continue };
            let kw = dir
                .children_with_tokens()
                .filter_map(|e| e.into_token())
                .find(|t| t.kind() == SyntaxKind::PP_KEYWORD)
                .map(|t| t.text().to_string())
                .unwrap_or_default();
            let name = dir
                .children_with_tokens()
                .filter_map(|e| e.into_token())
                .find(|t| t.kind() == SyntaxKind::PP_NAME)
                .map(|t| t.text().to_string());
            let active = if kw.contains("ifdef") {
                name.as_deref().is_some_and(defined)
            } else if kw.contains("ifndef") {
                !name.as_deref().is_some_and(defined)
            } else if kw.contains("else") {
                !taken_before
            } else {
                // #!ifexp: not evaluated, as in kcfg-sema
                false
            };
            taken_before |= active;
            if !active {
                let r = arm.syntax().text_range();
                let body_start = dir.text_range().end();
                if body_start < r.end() {
                    out.push(TextRange::new(body_start, r.end()));
                }
            }
        }
    }
    out.extend(skipped);
    out.sort_by_key(|r| (r.start(), r.end()));
    out
}
