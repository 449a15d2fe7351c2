//! Goto definition, find references, rename (routes, defines, `$var`,
//! `$avp`, `$dlg_var`, `$xavp`, htable names) and include links.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kcfg_sema::RouteTable;
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::{SyntaxKind::*, SyntaxNode, TextRange, TextSize};

use crate::db::{CheckResult, IdeDb};
use crate::util::{self, VarName};

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NavTarget {
    /// Normalised path.
    pub path: PathBuf,
    /// The name (what an editor selects).
    pub range: TextRange,
}

/// Text edits per file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceChange {
    pub edits: BTreeMap<PathBuf, Vec<(TextRange, String)>>,
}

/// An `include_file` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLink {
    /// The path as written (inside the quotes).
    pub range: TextRange,
    pub target: PathBuf,
}

/// What the cursor is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sym {
    Route(RouteTable, String),
    Define(String),
    Var(VarName),
    Include(PathBuf),
}

/// The symbol at `offset` in file `idx` of the check, and the range of its
/// name there.
pub(crate) fn sym_at(c: &CheckResult, idx: usize, offset: TextSize) -> Option<(Sym, TextRange)> {
    let root = c.model.files[idx].parse.syntax_node();
    let t = util::token_at(&root, offset)?;
    let parent = t.parent()?;
    match t.kind() {
        PVAR => {
            let v = util::vars_in(t.text(), t.text_range().start(), false);
            return v
                .into_iter()
                .find(|(_, r)| r.contains_inclusive(offset))
                .or_else(|| {
                    util::vars_in(t.text(), t.text_range().start(), false)
                        .into_iter()
                        .next()
                })
                .map(|(v, r)| (Sym::Var(v), r));
        }
        STRING | SQ_STRING => {
            let (inner, s) = util::string_inner(&t);
            if let Some((v, r)) = util::vars_in(&s, inner.start(), true)
                .into_iter()
                .find(|(_, r)| r.contains_inclusive(offset))
            {
                return Some((Sym::Var(v), r));
            }
            // t_on_failure("NAME") and friends
            let lit = parent;
            let list = lit.parent().filter(|n| n.kind() == ARG_LIST)?;
            let call = list.parent().and_then(ast::Call::cast)?;
            let first = list.children().next()?;
            if first != lit {
                return None;
            }
            let table = util::route_arg_table(call.name()?.text())?;
            return Some((Sym::Route(table, s), inner));
        }
        PP_NAME => return Some((Sym::Define(t.text().to_string()), t.text_range())),
        PP_BODY if parent.kind() == PP_INCLUDE => {
            let target = include_target(c, idx, &parent)?;
            return Some((Sym::Include(target), t.text_range()));
        }
        IDENT | NUMBER | EVENT_ROUTE_NAME if parent.kind() == ROUTE_NAME => {
            let block = parent.parent().and_then(ast::RouteBlock::cast)?;
            let table = util::table_of(&block)?;
            return Some((Sym::Route(table, t.text().to_string()), t.text_range()));
        }
        IDENT | NUMBER => {
            if c.model.defines.contains_key(t.text()) {
                return Some((Sym::Define(t.text().to_string()), t.text_range()));
            }
            if parent.kind() == NAME_REF {
                let call = util::enclosing_call(&t)?;
                let table = util::route_arg_table(call.name()?.text())?;
                return Some((Sym::Route(table, t.text().to_string()), t.text_range()));
            }
        }
        _ => {}
    }
    None
}

/// The file an include directive reads, as the model resolved it.
fn include_target(c: &CheckResult, idx: usize, inc: &SyntaxNode) -> Option<PathBuf> {
    let r = inc.text_range();
    for (i, f) in c.model.files.iter().enumerate() {
        if let Some((from, at)) = f.included_from {
            if from.0 == idx && (r.contains_range(at) || at.contains_range(r)) {
                return Some(c.paths[i].clone());
            }
        }
    }
    // not read (missing): where Kamailio would look next to the file
    let rel = ast::PpInclude::cast(inc.clone())?.path()?;
    let dir = c.paths[idx].parent()?;
    Some(kcfg_sema::normalize(&dir.join(rel)))
}

/// Every occurrence of a symbol in the files of the check: (path, range,
/// is_definition).
fn occurrences(c: &CheckResult, sym: &Sym) -> Vec<(PathBuf, TextRange, bool)> {
    let mut out = Vec::new();
    for (i, f) in c.model.files.iter().enumerate() {
        if f.included_in_route {
            continue;
        }
        let path = &c.paths[i];
        let root = f.parse.syntax_node();
        match sym {
            Sym::Route(table, name) => {
                for b in ast::descendants::<ast::RouteBlock>(&root) {
                    if util::table_of(&b) == Some(*table) {
                        if let Some((r, n)) = util::route_name_token(&b) {
                            if &n == name {
                                out.push((path.clone(), r, true));
                            }
                        }
                    }
                }
            }
            Sym::Define(name) => {
                for t in root
                    .descendants_with_tokens()
                    .filter_map(|e| e.into_token())
                {
                    if t.text() == name && matches!(t.kind(), PP_NAME | IDENT) {
                        let def = t.kind() == PP_NAME
                            && t.parent()
                                .is_some_and(|p| matches!(p.kind(), PP_DEFINE | PP_SUBST));
                        out.push((path.clone(), t.text_range(), def));
                    }
                }
            }
            Sym::Var(v) => {
                for (w, r) in util::all_vars(&root) {
                    if &w == v {
                        let def = root
                            .covering_element(r)
                            .ancestors()
                            .find(|n| n.kind() == ASSIGN_STMT)
                            .and_then(ast::AssignStmt::cast)
                            .and_then(|a| a.lhs())
                            .is_some_and(|l| l.text_range().contains_range(r));
                        out.push((path.clone(), r, def));
                    }
                }
            }
            Sym::Include(_) => {}
        }
    }
    if let Sym::Route(table, name) = sym {
        // the uses, as the call graph resolved them (after define
        // substitution, also modparams such as rtimer's exec)
        let m = &c.model;
        for e in m.call_graph().edges() {
            let r = &m.routes[e.callee];
            if r.table == *table && r.name.as_deref() == Some(name.as_str()) {
                let text = &m.files[e.file.0].text;
                let mut range = e.name_range;
                let s = &text[range];
                if s.len() >= 2 && (s.starts_with('"') || s.starts_with('\'')) {
                    range = TextRange::new(
                        range.start() + TextSize::from(1),
                        range.end() - TextSize::from(1),
                    );
                }
                if &text[range] == name {
                    out.push((c.paths[e.file.0].clone(), range, false));
                }
            }
        }
    }
    out.sort_by_key(|(p, r, d)| (p.clone(), r.start(), r.end(), *d));
    out.dedup();
    out
}

fn sym_and_check(
    db: &IdeDb,
    path: &Path,
    offset: TextSize,
) -> Option<(crate::db::Shared<CheckResult>, Sym, TextRange)> {
    let file = util::file(db, path)?;
    let (c, idx) = util::check_for(db, file);
    let (sym, r) = sym_at(&c, idx, offset)?;
    Some((c, sym, r))
}

pub(crate) fn goto_definition(db: &IdeDb, path: &Path, offset: TextSize) -> Vec<NavTarget> {
    let Some((c, sym, _)) = sym_and_check(db, path, offset) else {
        return Vec::new();
    };
    if let Sym::Include(target) = &sym {
        return vec![NavTarget {
            path: target.clone(),
            range: TextRange::empty(0.into()),
        }];
    }
    if let Sym::Define(name) = &sym {
        if let Some(d) = c.model.defines.get(name) {
            if let kcfg_sema::DefineOrigin::Directive { file, range } = &d.origin {
                return vec![NavTarget {
                    path: c.paths[file.0].clone(),
                    range: *range,
                }];
            }
        }
    }
    let occ = occurrences(&c, &sym);
    occ.into_iter()
        .filter(|(_, _, def)| *def)
        .map(|(path, range, _)| NavTarget { path, range })
        .collect()
}

pub(crate) fn references(db: &IdeDb, path: &Path, offset: TextSize) -> Vec<NavTarget> {
    let Some((c, sym, _)) = sym_and_check(db, path, offset) else {
        return Vec::new();
    };
    occurrences(&c, &sym)
        .into_iter()
        .map(|(path, range, _)| NavTarget { path, range })
        .collect()
}

pub(crate) fn prepare_rename(
    db: &IdeDb,
    path: &Path,
    offset: TextSize,
) -> Option<(TextRange, String)> {
    let (c, sym, r) = sym_and_check(db, path, offset)?;
    let name = match &sym {
        Sym::Route(_, n) | Sym::Define(n) => n.clone(),
        Sym::Var(v) => v.name.clone(),
        Sym::Include(_) => return None,
    };
    if occurrences(&c, &sym).is_empty() {
        return None;
    }
    Some((r, name))
}

fn valid_name(sym: &Sym, name: &str) -> bool {
    let ident = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match sym {
        Sym::Route(..) => {
            ident
                || (!name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        }
        Sym::Define(_) | Sym::Var(_) => ident,
        Sym::Include(_) => false,
    }
}

pub(crate) fn rename(
    db: &IdeDb,
    path: &Path,
    offset: TextSize,
    new_name: &str,
) -> Result<SourceChange, String> {
    let Some((c, sym, _)) = sym_and_check(db, path, offset) else {
        return Err("nothing to rename here (routes, defines and $var/$avp/$dlg_var/$xavp/htable names can be renamed)".into());
    };
    if !valid_name(&sym, new_name) {
        return Err(format!("`{new_name}` is not a valid name here"));
    }
    let occ = occurrences(&c, &sym);
    if occ.is_empty() {
        return Err("no occurrences found".into());
    }
    let mut change = SourceChange::default();
    for (p, r, _) in occ {
        change
            .edits
            .entry(p)
            .or_default()
            .push((r, new_name.to_string()));
    }
    Ok(change)
}

pub(crate) fn document_links(db: &IdeDb, path: &Path) -> Vec<DocumentLink> {
    let Some(file) = util::file(db, path) else {
        return Vec::new();
    };
    let (c, idx) = util::check_for(db, file);
    let root = c.model.files[idx].parse.syntax_node();
    let mut out = Vec::new();
    for inc in ast::descendants::<ast::PpInclude>(&root) {
        let Some(body) = inc
            .syntax()
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == PP_BODY)
        else {
            continue;
        };
        let Some(target) = include_target(&c, idx, inc.syntax()) else {
            continue;
        };
        let s = body.text();
        let lead = s.len() - s.trim_start().len();
        let trimmed = s.trim();
        let (a, b) =
            if trimmed.len() >= 2 && (trimmed.starts_with('"') || trimmed.starts_with('\'')) {
                (lead + 1, lead + trimmed.len() - 1)
            } else {
                (lead, lead + trimmed.len())
            };
        let start = body.text_range().start();
        out.push(DocumentLink {
            range: TextRange::new(
                start + TextSize::from(a as u32),
                start + TextSize::from(b as u32),
            ),
            target,
        });
    }
    out
}
