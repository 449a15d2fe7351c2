//! Completion: what may be written at the cursor, from the text before it
//! on the line and the syntax tree around it.

use std::collections::BTreeSet;
use std::path::Path;

use kcfg_sema::RouteTable;
use kcfg_syntax::{SyntaxKind::*, TextRange, TextSize};

use crate::db::{self, Db, IdeDb};
use crate::util;

/// What a completion item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompletionKind {
    Function,
    CoreAction,
    Variable,
    Transformation,
    ModParam,
    Module,
    Route,
    EventRoute,
    Define,
    CoreParam,
    Keyword,
}

/// One proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// The text to insert instead of `label` (a snippet when `is_snippet`:
    /// `$1`, `${1:name}` placeholders).
    pub insert_text: Option<String>,
    pub is_snippet: bool,
    /// The text this item replaces (the word typed so far).
    pub replace: TextRange,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Split off the identifier the cursor is at the end of.
fn word_before(prefix: &str) -> (&str, &str) {
    let i = prefix
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(prefix.len(), |(i, _)| i);
    (&prefix[..i], &prefix[i..])
}

fn strip_ws_end(s: &str) -> &str {
    s.trim_end_matches([' ', '\t'])
}

pub(crate) fn completions(db: &IdeDb, path: &Path, offset: TextSize) -> Vec<CompletionItem> {
    let Some(file) = util::file(db, path) else {
        return Vec::new();
    };
    let text = file.text(db).clone();
    if usize::from(offset) > text.len() || !text.is_char_boundary(offset.into()) {
        return Vec::new();
    }
    let settings = db.workspace().settings(db).clone();
    let version = settings.version;
    let kdb = kcfg_modules::db(version);
    let (c, _) = util::check_for(db, file);
    let prefix = util::line_prefix(&text, offset);
    let (before, word) = word_before(prefix);
    let replace = TextRange::new(offset - TextSize::from(word.len() as u32), offset);
    let mut out = Vec::new();
    macro_rules! item {
        ($label:expr, $kind:expr, $detail:expr, $insert:expr, $snippet:expr $(,)?) => {
            out.push(CompletionItem {
                label: $label,
                kind: $kind,
                detail: $detail,
                documentation: None,
                insert_text: $insert,
                is_snippet: $snippet,
                replace,
            })
        };
    }

    // --- inside a string argument: modparam, loadmodule, route names
    if let Some((call_prefix, args)) = open_call(before) {
        let fname = word_before(strip_ws_end(call_prefix)).1;
        let in_string = args
            .last()
            .is_some_and(|a| a.starts_with('"') || a.starts_with('\''));
        match (fname, args.len()) {
            ("modparam" | "modparamx", 1) => {
                for m in c.model.loaded_modules() {
                    item!(
                        m.name.to_string(),
                        CompletionKind::Module,
                        None,
                        None,
                        false
                    );
                }
                return out;
            }
            ("modparam" | "modparamx", 2) => {
                let module = args[0].trim().trim_matches('"').trim_matches('\'');
                for p in kdb.modparams(module) {
                    let ty = match p.ty {
                        kcfg_modules::ParamType::Int => "integer",
                        kcfg_modules::ParamType::Var => "integer or string",
                        _ => "string",
                    };
                    item!(
                        p.name.to_string(),
                        CompletionKind::ModParam,
                        Some(format!("{module} parameter ({ty})")),
                        None,
                        false,
                    );
                }
                return out;
            }
            (f, 1) if util::route_arg_table(f).is_some() => {
                let table = util::route_arg_table(f).unwrap_or(RouteTable::Request);
                if f == "route" && in_string {
                    // route("X") is not how Kamailio names routes; still offer
                }
                let mut seen = BTreeSet::new();
                for r in &c.model.routes {
                    if r.table == table {
                        if let Some(n) = &r.name {
                            if seen.insert(n.clone()) {
                                item!(
                                    n.clone(),
                                    CompletionKind::Route,
                                    Some(r.display()),
                                    None,
                                    false,
                                );
                            }
                        }
                    }
                }
                return out;
            }
            _ => {}
        }
    }
    if strip_ws_end(before).ends_with("loadmodule \"") || before.ends_with("loadmodule \"") {
        for m in kdb.modules() {
            item!(
                m.loadmodule.to_string(),
                CompletionKind::Module,
                Some(format!("module {}", m.name)),
                None,
                false,
            );
        }
        return out;
    }
    if strip_ws_end(before).ends_with("event_route[") {
        for e in kdb.event_routes() {
            if e.from_doc_only {
                continue;
            }
            item!(
                e.name.to_string(),
                CompletionKind::EventRoute,
                Some(format!("run by {}", e.modules.join(", "))),
                None,
                false,
            );
        }
        return out;
    }
    let trimmed = before.trim_start();
    if trimmed.starts_with("#!ifdef")
        || trimmed.starts_with("#!ifndef")
        || trimmed.starts_with("#!undef")
    {
        for d in c.model.defines.keys() {
            item!(d.clone(), CompletionKind::Define, None, None, false);
        }
        return out;
    }

    // --- pseudo-variables and transformations
    if let Some(tr) = transformation_prefix(prefix) {
        let replace_tr = TextRange::new(offset - TextSize::from(tr.len() as u32), offset);
        for x in kdb.transformations() {
            let label = format!("{}.{}", x.class, x.name);
            out.push(CompletionItem {
                insert_text: None,
                label,
                kind: CompletionKind::Transformation,
                detail: Some(format!("{}..{} parameters", x.min_params, x.max_params)),
                documentation: None,
                is_snippet: false,
                replace: replace_tr,
            });
        }
        return out;
    }
    if let Some(rest) = before
        .strip_suffix('$')
        .or_else(|| before.strip_suffix("$("))
    {
        let _ = rest;
        let dollar = offset - TextSize::from(word.len() as u32 + 1);
        let replace_pv = TextRange::new(dollar, offset);
        let mut seen = BTreeSet::new();
        // variables used in the workspace
        let files = db.workspace().files(db).clone();
        for f in files.values() {
            let root = db::parse(db, *f).syntax_node();
            for (v, _) in util::all_vars(&root) {
                seen.insert(v);
            }
        }
        for v in seen {
            out.push(CompletionItem {
                label: format!("${}({})", v.class, v.name),
                kind: CompletionKind::Variable,
                detail: Some("used in the workspace".into()),
                documentation: None,
                insert_text: None,
                is_snippet: false,
                replace: replace_pv,
            });
        }
        for p in kdb.pv_classes() {
            let (ins, snip) = if p.has_name {
                (format!("${}(${{1}})", p.name), true)
            } else {
                (format!("${}", p.name), false)
            };
            out.push(CompletionItem {
                label: format!("${}", p.name),
                kind: CompletionKind::Variable,
                detail: Some(if p.syntax.is_empty() {
                    p.name.to_string()
                } else {
                    p.syntax.to_string()
                }),
                documentation: None,
                insert_text: Some(ins),
                is_snippet: snip,
                replace: replace_pv,
            });
        }
        return out;
    }

    // --- statements: in a route block or at top level
    let root = db::parse(db, file).syntax_node();
    let in_route = util::token_at(&root, offset)
        .or_else(|| util::token_at(&root, offset.checked_sub(1.into()).unwrap_or_default()))
        .is_some_and(|t| t.parent_ancestors().any(|n| n.kind() == BLOCK));
    let defines: Vec<String> = c.model.defines.keys().cloned().collect();
    if in_route {
        // route(NAME) without the string form
        if strip_ws_end(before).ends_with("route(") {
            return out;
        }
        let mut seen = BTreeSet::new();
        for m in c.model.loaded_modules() {
            for f in m.functions() {
                if !f.script_callable || !seen.insert(f.name) {
                    continue;
                }
                let variants = kdb.functions(f.name);
                let n = variants
                    .iter()
                    .filter(|v| v.module == m.name)
                    .filter_map(|v| v.nparams)
                    .max()
                    .unwrap_or(0);
                let args: Vec<String> = (1..=n).map(|i| format!("${{{i}:p{i}}}")).collect();
                item!(
                    f.name.to_string(),
                    CompletionKind::Function,
                    Some(format!("{} ({})", util::signature_of(f), m.name)),
                    Some(format!("{}({})", f.name, args.join(", "))),
                    true,
                );
            }
        }
        for a in kdb.core_actions() {
            for n in a.names {
                if seen.insert(n) {
                    item!(
                        n.to_string(),
                        CompletionKind::CoreAction,
                        Some("core".into()),
                        None,
                        false
                    );
                }
            }
        }
        item!(
            "route".into(),
            CompletionKind::Keyword,
            Some("route(NAME)".into()),
            Some("route(${1:NAME});".into()),
            true,
        );
        for d in defines {
            item!(
                d,
                CompletionKind::Define,
                Some("define".into()),
                None,
                false
            );
        }
    } else {
        for g in kdb.global_params() {
            for n in g.names {
                item!(
                    n.to_string(),
                    CompletionKind::CoreParam,
                    Some("core parameter".into()),
                    Some(format!("{n} = ${{1}}")),
                    true,
                );
            }
        }
        for (kw, snippet) in [
            ("loadmodule", "loadmodule \"${1}.so\""),
            (
                "modparam",
                "modparam(\"${1:module}\", \"${2:param}\", ${3})",
            ),
            ("request_route", "request_route {\n\t${0}\n}"),
            ("route", "route[${1:NAME}] {\n\t${0}\n}"),
            ("failure_route", "failure_route[${1:NAME}] {\n\t${0}\n}"),
            ("onreply_route", "onreply_route[${1:NAME}] {\n\t${0}\n}"),
            ("branch_route", "branch_route[${1:NAME}] {\n\t${0}\n}"),
            ("event_route", "event_route[${1}] {\n\t${0}\n}"),
        ] {
            item!(
                kw.into(),
                CompletionKind::Keyword,
                None,
                Some(snippet.into()),
                true
            );
        }
        for d in defines {
            item!(
                d,
                CompletionKind::Define,
                Some("define".into()),
                None,
                false
            );
        }
    }
    out
}

/// When `before` ends inside the parentheses of `name(`: the text up to the
/// name and the arguments typed so far (the last one unfinished). Only for
/// calls on this line without a closing parenthesis.
fn open_call(before: &str) -> Option<(&str, Vec<&str>)> {
    let mut depth = 0i32;
    let mut in_str: Option<char> = None;
    let mut open = None;
    for (i, ch) in before.char_indices() {
        match in_str {
            Some(q) if ch == q => in_str = None,
            Some(_) => {}
            None => match ch {
                '"' | '\'' => in_str = Some(ch),
                '(' => {
                    depth += 1;
                    if depth == 1 {
                        open = Some(i);
                    }
                }
                ')' => {
                    depth -= 1;
                    if depth <= 0 {
                        depth = 0;
                        open = None;
                    }
                }
                _ => {}
            },
        }
    }
    let open = open?;
    if depth != 1 {
        return None;
    }
    let inside = &before[open + 1..];
    // split on commas outside strings
    let mut args = Vec::new();
    let mut start = 0;
    let mut in_str: Option<char> = None;
    for (i, ch) in inside.char_indices() {
        match in_str {
            Some(q) if ch == q => in_str = None,
            Some(_) => {}
            None => match ch {
                '"' | '\'' => in_str = Some(ch),
                ',' => {
                    args.push(inside[start..i].trim_start());
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    args.push(inside[start..].trim_start());
    Some((&before[..open], args))
}

/// When the cursor is after `{` inside `$(...`: the transformation typed so
/// far (`s.le`).
fn transformation_prefix(prefix: &str) -> Option<&str> {
    let brace = prefix.rfind('{')?;
    let tail = &prefix[brace + 1..];
    if !tail.chars().all(|c| is_word(c) || c == '.') {
        return None;
    }
    if !prefix[..brace].contains("$(") {
        return None;
    }
    Some(tail)
}
