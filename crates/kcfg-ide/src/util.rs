//! What is under the cursor, and the small helpers every feature uses.

use std::path::Path;

use kcfg_sema::RouteTable;
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::{SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken, TextRange, TextSize};

use crate::db::{self, Db, File, IdeDb, Shared};

/// The workspace file at `path`.
pub(crate) fn file(db: &IdeDb, path: &Path) -> Option<File> {
    let path = kcfg_sema::normalize(path);
    db.workspace().files(db).get(&path).copied()
}

/// The check covering `file` and the index of `file` in its model.
pub(crate) fn check_for(db: &IdeDb, file: File) -> (Shared<db::CheckResult>, usize) {
    let c = db::check(db, db::root_of(db, file));
    let idx = c.file_index(file.path(db)).unwrap_or(0);
    (c, idx)
}

/// The significant token at `offset`: an identifier-like token touching the
/// offset wins over punctuation (the cursor right after `foo` is on `foo`).
pub(crate) fn token_at(root: &SyntaxNode, offset: TextSize) -> Option<SyntaxToken> {
    if offset > root.text_range().end() {
        return None;
    }
    let ts = root.token_at_offset(offset);
    let score = |t: &SyntaxToken| match t.kind() {
        IDENT | PVAR | PP_NAME | EVENT_ROUTE_NAME | STRING | SQ_STRING | PP_BODY | NUMBER => 3,
        k if k.is_trivia() => 0,
        k if is_keyword(k) => 2,
        _ => 1,
    };
    ts.max_by_key(score)
}

pub(crate) fn is_keyword(k: SyntaxKind) -> bool {
    matches!(
        k,
        IF_KW
            | ELSE_KW
            | SWITCH_KW
            | CASE_KW
            | DEFAULT_KW
            | WHILE_KW
            | RETURN_KW
            | EXIT_KW
            | DROP_KW
            | BREAK_KW
            | ROUTE_KW
            | REQUEST_ROUTE_KW
            | FAILURE_ROUTE_KW
            | ONREPLY_ROUTE_KW
            | REPLY_ROUTE_KW
            | BRANCH_ROUTE_KW
            | ONSEND_ROUTE_KW
            | EVENT_ROUTE_KW
            | LOADMODULE_KW
            | LOADMODULEX_KW
            | LOADPATH_KW
            | MODPARAM_KW
            | MODPARAMX_KW
            | CFGENGINE_KW
            | DESC_KW
            | AND_KW
            | OR_KW
            | NOT_KW
            | MOD_KW
            | EQ_KW
            | NE_KW
            | IEQ_KW
            | INE_KW
            | DEFINED_KW
            | STRLEN_KW
            | STREMPTY_KW
            | SELVAL_KW
    )
}

/// The content range of a string token (without its quotes).
pub(crate) fn string_inner(t: &SyntaxToken) -> (TextRange, String) {
    let r = t.text_range();
    let s = t.text();
    if s.len() >= 2 && (s.starts_with('"') || s.starts_with('\'')) {
        let inner = TextRange::new(r.start() + TextSize::from(1), r.end() - TextSize::from(1));
        (inner, s[1..s.len() - 1].to_string())
    } else {
        (r, s.to_string())
    }
}

/// The route table a function names routes of with its first argument.
pub(crate) fn route_arg_table(function: &str) -> Option<RouteTable> {
    Some(match function {
        "route" | "route_if_exists" => RouteTable::Request,
        "t_on_failure" => RouteTable::Failure,
        "t_on_reply" => RouteTable::OnReply,
        "t_on_branch" => RouteTable::Branch,
        _ => return None,
    })
}

/// A PV-like variable with a user-chosen name: `$var(x)`, `$avp(x)`,
/// `$dlg_var(x)`, ... and `$sht(table=>key)`'s htable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct VarName {
    /// `var`, `avp`, `dlg_var`, `xavp`, `sht` ...
    pub class: String,
    /// the name inside the parentheses (for `sht`, the table)
    pub name: String,
}

/// The classes whose inner name is a user-chosen variable name.
pub(crate) const VAR_CLASSES: &[&str] = &["var", "vz", "vn", "avp", "dlg_var", "xavp", "sht"];

/// Variables in the text of a PV token or a format string, with the
/// absolute range of each inner name. `base` is the text's offset.
pub(crate) fn vars_in(text: &str, base: TextSize, is_format: bool) -> Vec<(VarName, TextRange)> {
    let mut out = Vec::new();
    let mut push_pv = |pv_text: &str, at: usize| {
        if let Ok(pv) = kcfg_syntax::pvar::parse_pv(pv_text) {
            if !VAR_CLASSES.contains(&pv.class) {
                return;
            }
            let Some(inner) = pv.inner else { return };
            let (name, start) = if pv.class == "sht" {
                let n = inner.split("=>").next().unwrap_or("").trim();
                (n, inner.as_ptr() as usize - pv_text.as_ptr() as usize)
            } else {
                (inner, inner.as_ptr() as usize - pv_text.as_ptr() as usize)
            };
            if name.is_empty() || name.contains('$') || name.contains('(') {
                return;
            }
            // `$avp(s:x)`: the name is after the type prefix
            let (name, start) = match name.split_once(':') {
                Some((p, n)) if pv.class == "avp" && (p == "s" || p == "i") => {
                    (n, start + p.len() + 1)
                }
                _ => (name, start),
            };
            let s = base + TextSize::from((at + start) as u32);
            out.push((
                VarName {
                    class: if pv.class == "vz" || pv.class == "vn" {
                        "var".to_string()
                    } else {
                        pv.class.to_string()
                    },
                    name: name.to_string(),
                },
                TextRange::at(s, TextSize::from(name.len() as u32)),
            ));
        }
    };
    if is_format {
        for e in kcfg_syntax::pvar::scan_format(text) {
            push_pv(&text[e.start..e.end], e.start);
        }
    } else {
        push_pv(text, 0);
    }
    out
}

/// Every variable occurrence in a tree.
pub(crate) fn all_vars(root: &SyntaxNode) -> Vec<(VarName, TextRange)> {
    let mut out = Vec::new();
    for t in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        match t.kind() {
            PVAR => out.extend(vars_in(t.text(), t.text_range().start(), false)),
            STRING => {
                let (r, s) = string_inner(&t);
                if s.contains('$') {
                    out.extend(vars_in(&s, r.start(), true));
                }
            }
            _ => {}
        }
    }
    out
}

/// The call a token is the name of, or is inside the arguments of.
pub(crate) fn enclosing_call(t: &SyntaxToken) -> Option<ast::Call> {
    t.parent_ancestors().find_map(ast::Call::cast)
}

/// Index of the argument of `call` that contains `offset` (counting commas
/// before it), when `offset` is inside the parentheses.
pub(crate) fn active_arg(call: &ast::Call, offset: TextSize) -> Option<usize> {
    let list = call.arg_list()?;
    let r = list.syntax().text_range();
    if offset <= r.start() || offset > r.end() {
        return None;
    }
    let closed = list
        .syntax()
        .last_token()
        .is_some_and(|t| t.kind() == R_PAREN);
    if closed && offset >= r.end() {
        return None;
    }
    let n = list
        .syntax()
        .children_with_tokens()
        .filter(|e| e.kind() == COMMA && e.text_range().end() <= offset)
        .count();
    Some(n)
}

/// The text of the line containing `offset` up to `offset`.
pub(crate) fn line_prefix(text: &str, offset: TextSize) -> &str {
    let off = usize::from(offset).min(text.len());
    let mut start = text[..off].rfind('\n').map_or(0, |i| i + 1);
    // never split a character
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..off]
}

/// The Kamailio documentation page of a module for a version.
pub(crate) fn module_doc_url(version: kcfg_modules::KamailioVersion, module: &str) -> String {
    let v = match version {
        kcfg_modules::KamailioVersion::V5_6 => "5.6.x",
        kcfg_modules::KamailioVersion::V6_0 => "6.0.x",
        kcfg_modules::KamailioVersion::Master => "devel",
    };
    format!("https://www.kamailio.org/docs/modules/{v}/modules/{module}.html")
}

/// The signature of a function variant, e.g. `t_relay(p1, p2)` / `xlog(...)`.
pub(crate) fn signature_of(f: &kcfg_modules::FunctionVariant) -> String {
    match f.nparams {
        _ if f.var_params => format!("{}(...)", f.name),
        Some(0) | None => format!("{}()", f.name),
        Some(n) => format!(
            "{}({})",
            f.name,
            (1..=n)
                .map(|i| format!("p{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The route types a function variant is allowed in.
pub(crate) fn allowed_in(f: &kcfg_modules::FunctionVariant) -> String {
    if f.allowed_in == kcfg_modules::BlockKinds::ALL {
        return "any route".to_string();
    }
    f.allowed_in
        .iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The name token of a route block and its name text.
pub(crate) fn route_name_token(block: &ast::RouteBlock) -> Option<(TextRange, String)> {
    let n = block.name_node()?;
    for t in n.descendants_with_tokens().filter_map(|e| e.into_token()) {
        match t.kind() {
            IDENT | NUMBER | EVENT_ROUTE_NAME => {
                return Some((t.text_range(), t.text().to_string()))
            }
            STRING | SQ_STRING => return Some(string_inner(&t)),
            _ => {}
        }
    }
    None
}

/// The route table of a route block.
pub(crate) fn table_of(block: &ast::RouteBlock) -> Option<RouteTable> {
    use ast::RouteKind::*;
    Some(match block.kind()? {
        Route | Request => RouteTable::Request,
        Failure => RouteTable::Failure,
        OnReply => RouteTable::OnReply,
        Branch => RouteTable::Branch,
        OnSend => RouteTable::OnSend,
        Event => RouteTable::Event,
    })
}

/// Whether a text has `include_file` or `import_file` in it: the text of
/// every `PP_INCLUDE` node does (its keyword token).
pub(crate) fn mentions_include(text: &str) -> bool {
    // one SIMD search for what both keywords end with, then the words
    // before it (as `text.contains("include_file") || text.contains("import_file")`)
    static FILE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("_file"));
    let b = text.as_bytes();
    FILE.find_iter(b)
        .any(|i| b[..i].ends_with(b"include") || b[..i].ends_with(b"import"))
}

/// Whether a text may hold a preprocessor directive: every directive
/// keyword starts with `#!`, `!!` or `//!`, so a text without `!` holds no
/// `PP_IF` (nor any other directive node).
pub(crate) fn mentions_directive(text: &str) -> bool {
    memchr::memchr(b'!', text.as_bytes()).is_some()
}

/// The nodes of kind `node_kind` and the tokens of kind `token_kind` under
/// `root` (itself included), in preorder, found by walking the green tree:
/// no red node is built for what does not match, which makes a scan of a
/// 10,000-line tree for a handful of `#!ifdef` groups or includes several
/// times cheaper than `descendants()`. The result is what
/// `root.descendants_with_tokens()` filtered by kind gives. (The callers
/// use [`find_kinds_where`] with a test that skips nodes; the tests compare
/// both with the red-tree scan.)
#[cfg(test)]
pub(crate) fn find_kinds(
    root: &SyntaxNode,
    node_kind: Option<SyntaxKind>,
    token_kind: Option<SyntaxKind>,
) -> Vec<kcfg_syntax::SyntaxElement> {
    find_kinds_where(root, node_kind, token_kind, &|_| false)
}

/// [`find_kinds`] that does not look into a node (nor at it) when
/// `cannot_hold(range)` says that no match lies in its text: the caller
/// knows something every match's text contains (a keyword) and tests the
/// node's text for it, which is much cheaper than walking its tree.
pub(crate) fn find_kinds_where(
    root: &SyntaxNode,
    node_kind: Option<SyntaxKind>,
    token_kind: Option<SyntaxKind>,
    cannot_hold: &dyn Fn(TextRange) -> bool,
) -> Vec<kcfg_syntax::SyntaxElement> {
    use rowan::{Language, NodeOrToken};
    let kind = kcfg_syntax::KamailioLanguage::kind_from_raw;
    // (kind, range, is node) of the matches
    let mut found: Vec<(SyntaxKind, TextRange, bool)> = Vec::new();
    fn walk(
        green: &rowan::GreenNodeData,
        at: TextSize,
        node_kind: Option<SyntaxKind>,
        token_kind: Option<SyntaxKind>,
        kind: fn(rowan::SyntaxKind) -> SyntaxKind,
        cannot_hold: &dyn Fn(TextRange) -> bool,
        found: &mut Vec<(SyntaxKind, TextRange, bool)>,
    ) {
        let mut off = at;
        for child in green.children() {
            let len = child.text_len();
            match child {
                NodeOrToken::Node(_) if cannot_hold(TextRange::at(off, len)) => {}
                NodeOrToken::Node(n) => {
                    let k = kind(n.kind());
                    if Some(k) == node_kind {
                        found.push((k, TextRange::at(off, len), true));
                    }
                    walk(n, off, node_kind, token_kind, kind, cannot_hold, found);
                }
                NodeOrToken::Token(t) => {
                    let k = kind(t.kind());
                    if Some(k) == token_kind {
                        found.push((k, TextRange::at(off, len), false));
                    }
                }
            }
            off += len;
        }
    }
    let start = root.text_range().start();
    if Some(root.kind()) == node_kind {
        found.push((root.kind(), root.text_range(), true));
    }
    walk(
        &root.green(),
        start,
        node_kind,
        token_kind,
        kind,
        cannot_hold,
        &mut found,
    );
    let slow = || {
        root.descendants_with_tokens()
            .filter(|e| match e {
                NodeOrToken::Node(n) => Some(n.kind()) == node_kind,
                NodeOrToken::Token(t) => Some(t.kind()) == token_kind,
            })
            .collect()
    };
    // two matches with the same range (nested nodes of one kind, empty
    // elements) cannot be told apart by range: take the exact scan
    if found.windows(2).any(|w| w[0].1 == w[1].1) || found.iter().any(|f| f.1.is_empty()) {
        return slow();
    }
    let mut out = Vec::with_capacity(found.len());
    for (k, range, is_node) in found {
        if is_node {
            // the node of that kind and range on the path down (unique:
            // equal ranges were ruled out above)
            let el = match root.covering_element(range) {
                NodeOrToken::Node(n) => Some(n),
                NodeOrToken::Token(t) => t.parent(),
            };
            let node = el.and_then(|n| {
                n.ancestors()
                    .filter(|a| a.kind() == k && a.text_range() == range)
                    .last()
            });
            match node {
                Some(n) => out.push(NodeOrToken::Node(n)),
                // not expected; fall back to the slow exact scan
                None => return slow(),
            }
        } else {
            match root.covering_element(range) {
                NodeOrToken::Token(t) if t.kind() == k && t.text_range() == range => {
                    out.push(NodeOrToken::Token(t))
                }
                _ => return slow(),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `find_kinds` gives exactly what the red-tree scan gives, on the
    /// corpus's stock config and on broken and preprocessor-heavy text.
    #[test]
    fn mentions_include_equals_contains() {
        for t in [
            "",
            "_file",
            "include_file",
            "import_file \"x\"",
            "includ_file",
            "xinclude_filex",
            "import_fil",
            "_file import_file",
            "imports_file include_fil",
            "é include_file",
        ] {
            let slow = t.contains("include_file") || t.contains("import_file");
            assert_eq!(mentions_include(t), slow, "{t:?}");
        }
    }

    #[test]
    fn find_kinds_equals_descendants() {
        let stock = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/corpus/etc/kamailio.cfg"
        ))
        .unwrap();
        let texts = [
            stock.as_str(),
            "#!ifdef A\nroute[X] {\n#!ifdef B\n\tx();\n#!else\n\ty();\n#!endif\n}\n#!endif\n",
            "#!ifdef A\nroute[X] {\n#!endif\n}\ninclude_file \"a.cfg\"\nrequest_route {\n\timport_file \"b.cfg\"\n}\n",
            "#!ifndef A\n#!ifdef B\n}}{{ \"\n#!else\nimport_file \"x\"\n",
            "",
            "é😀 route {",
            "!!ifdef A\nroute[X] {\n\tx();\n!!ifndef B\n\ty();\n!!endif\n}\n!!endif\nroute[Y] {\n#!ifdef A\n\tz();\n#!endif\n}\n",
            "#!ifdef A\nroute[X] {\n#!ifdef B\n\tx();\n}\n#!else\n\ty();\n#!endif\n#!endif\n",
        ];
        for text in texts {
            for defines in [vec![], vec!["A".to_string(), "WITH_NAT".to_string()]] {
                let options = kcfg_syntax::ParseOptions {
                    defines,
                    ..Default::default()
                };
                let root = kcfg_syntax::parse_with(text, &options).syntax_node();
                for (nk, tk) in [
                    (Some(PP_IF), Some(INACTIVE_CODE)),
                    (Some(PP_INCLUDE), None),
                    (Some(ROUTE_BLOCK), Some(STRING)),
                    (None, Some(COMMENT)),
                ] {
                    let slow: Vec<_> = root
                        .descendants_with_tokens()
                        .filter(|e| match e {
                            rowan::NodeOrToken::Node(n) => Some(n.kind()) == nk,
                            rowan::NodeOrToken::Token(t) => Some(t.kind()) == tk,
                        })
                        .collect();
                    assert_eq!(find_kinds(&root, nk, tk), slow, "{text:?} {nk:?} {tk:?}");
                    if nk == Some(PP_IF) {
                        // skipping the nodes without `!` finds the groups
                        // (the inactive-arm search when the tree has no
                        // INACTIVE_CODE tokens)
                        let parse = kcfg_syntax::parse_with(text, &options);
                        if !parse.has_inactive_code() {
                            let skip = |r: TextRange| !mentions_directive(&text[r]);
                            let groups: Vec<_> = slow
                                .iter()
                                .filter(|e| e.as_node().is_some())
                                .cloned()
                                .collect();
                            assert!(slow.len() == groups.len(), "{text:?}");
                            assert_eq!(find_kinds_where(&root, nk, tk, &skip), groups, "{text:?}");
                        }
                    }
                    if nk == Some(PP_INCLUDE) {
                        // skipping the nodes whose text has neither keyword
                        // finds the same
                        let skip = |r: TextRange| !mentions_include(&text[r]);
                        assert_eq!(find_kinds_where(&root, nk, tk, &skip), slow, "{text:?}");
                    }
                }
            }
        }
    }
}
