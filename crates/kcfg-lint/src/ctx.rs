//! What rules see: the model, the route blocks of every file, and small
//! helpers over the syntax tree.

use kcfg_modules::{BlockKind, BlockKinds};
use kcfg_sema::{FileIdx, Model, SourceFile};
use kcfg_syntax::ast::{AstNode, RouteBlock, RouteKind};
use kcfg_syntax::{SyntaxKind, SyntaxKind::*, SyntaxNode, SyntaxToken};

/// A route block of one of the files (also in inactive `#!ifdef` arms).
#[derive(Debug, Clone)]
pub struct RouteInfo {
    /// Its file.
    pub file: FileIdx,
    /// The block.
    pub block: RouteBlock,
    /// Its kind.
    pub kind: RouteKind,
    /// Its name as written.
    pub name: Option<String>,
    /// Its index in `model.routes` (`None` in an inactive `#!ifdef` arm).
    pub route: Option<usize>,
}

/// The context of a lint run.
pub struct Ctx<'a> {
    /// The model.
    pub model: &'a Model,
    routes: Vec<RouteInfo>,
    calls: Vec<(FileIdx, SyntaxNode, String)>,
    /// the nodes of the files by kind: `nodes[kind as usize]`
    nodes: Vec<Vec<(FileIdx, SyntaxNode)>>,
    /// `(file, start, end, index in routes)`, sorted: route blocks do not
    /// overlap, so the block of a node is found by binary search
    by_range: Vec<(usize, kcfg_syntax::TextSize, kcfg_syntax::TextSize, usize)>,
    /// `ROUTE_BLOCK` nodes that are not in `routes` (nested in another
    /// block by error recovery): nodes inside them have no route
    unlisted_blocks: std::cell::OnceCell<Vec<(FileIdx, kcfg_syntax::TextRange)>>,
    modparams: std::cell::OnceCell<Vec<ModParamInfo>>,
    by_name: rustc_hash::FxHashMap<String, usize>,
    /// the answers of [`Ctx::mentions`] so far
    mentioned: std::cell::RefCell<Vec<(String, bool)>>,
    /// which of `words::WORDS` the files hold (bit `i`: `WORDS[i]`)
    words: std::cell::OnceCell<u32>,
    /// the memos kept across lints, if the caller keeps them
    cache: Option<&'a crate::LintCache>,
}

/// A `modparam(...)` statement (in every file, also in inactive `#!ifdef`
/// arms), its module and parameter names read once per lint run.
#[derive(Debug, Clone)]
pub struct ModParamInfo {
    /// Its file.
    pub file: FileIdx,
    /// The `MODPARAM` node.
    pub node: SyntaxNode,
    /// The module name (a string literal's value), as `ast::ModParam::module`.
    pub module: Option<String>,
    /// The parameter name, as `ast::ModParam::param`.
    pub param: Option<String>,
    /// The range of the parameter argument (the whole statement without one).
    pub param_range: kcfg_syntax::TextRange,
}

impl<'a> Ctx<'a> {
    /// Collect the route blocks of the model's files.
    pub fn new(model: &'a Model) -> Ctx<'a> {
        Ctx::with_nodes(model, Nodes::collect(&trees(model)), None)
    }

    /// [`Ctx::new`] with the nodes of the model's files collected before
    /// (by [`Nodes::collect`] from the same trees), the rules' memos in
    /// `cache` (none: the rules neither read nor record memos).
    pub(crate) fn with_nodes(
        model: &'a Model,
        nodes: Nodes,
        cache: Option<&'a crate::LintCache>,
    ) -> Ctx<'a> {
        // model routes by (file, start of the keyword): one lookup per block
        let by_head: rustc_hash::FxHashMap<(usize, kcfg_syntax::TextSize), usize> = model
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.file.0, r.head_range.start()), i))
            .collect();
        let Nodes {
            by_kind: mut nodes,
            heads,
            calls,
            ..
        } = nodes;
        // no tree added
        nodes.resize(ERROR as usize + 1, Vec::new());
        let routes: Vec<RouteInfo> = heads
            .into_iter()
            .map(|(file, block, kind, name)| {
                // the keyword is the block's first token: it starts the block
                let head = block.syntax().text_range().start();
                let route = by_head.get(&(file.0, head)).copied();
                RouteInfo {
                    file,
                    name,
                    block,
                    kind,
                    route,
                }
            })
            .collect();
        let mut by_range: Vec<_> = routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let rr = r.block.syntax().text_range();
                (r.file.0, rr.start(), rr.end(), i)
            })
            .collect();
        by_range.sort_unstable();
        let by_name = routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == RouteKind::Route && r.route.is_some())
            .filter_map(|(i, r)| Some((r.name.clone()?, i)))
            .collect();
        Ctx {
            model,
            routes,
            calls,
            nodes,
            by_range,
            unlisted_blocks: std::cell::OnceCell::new(),
            modparams: std::cell::OnceCell::new(),
            by_name,
            mentioned: std::cell::RefCell::new(Vec::new()),
            words: std::cell::OnceCell::new(),
            cache,
        }
    }

    /// The memos kept across lints of this config, if any.
    pub(crate) fn cache(&self) -> Option<&'a crate::LintCache> {
        self.cache
    }

    /// The files rules look at (files included inside a route block are
    /// statements, not files of their own, and are skipped).
    pub fn files(&self) -> impl Iterator<Item = (FileIdx, &'a SourceFile)> + 'a {
        self.model
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.included_in_route)
            .map(|(i, f)| (FileIdx(i), f))
    }

    /// Every route block.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    /// The block kinds a route runs as: its own for entry points, else the
    /// kinds of the routes that call it (through `route()`), else its own.
    pub fn kinds(&self, r: &RouteInfo) -> BlockKinds {
        let own = BlockKinds::only(own_kind(r));
        let Some(idx) = r.route else { return own };
        if r.kind != RouteKind::Route {
            return own;
        }
        let k = self.model.call_graph().reached_as(idx);
        if k.is_empty() {
            own
        } else {
            k
        }
    }

    /// The index in [`Ctx::routes`] of the active `route[name]` block.
    pub fn sub_route(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The route block a node of `file` is in (its nearest `ROUTE_BLOCK`
    /// ancestor, when that is one of [`Ctx::routes`]). Found by position:
    /// no walk up the tree.
    pub fn route_of(&self, file: FileIdx, node: &SyntaxNode) -> Option<&RouteInfo> {
        self.route_at(file, node.text_range())
    }

    /// The route block that holds `range` of `file` (as [`Ctx::route_of`]).
    pub fn route_at(&self, file: FileIdx, range: kcfg_syntax::TextRange) -> Option<&RouteInfo> {
        let key = (file.0, range.start());
        let i = self.by_range.partition_point(|e| (e.0, e.1) <= key);
        let &(f, start, end, idx) = self.by_range.get(i.checked_sub(1)?)?;
        if f != file.0 || range.end() > end {
            return None;
        }
        let block = kcfg_syntax::TextRange::new(start, end);
        let unlisted = self.unlisted_blocks.get_or_init(|| {
            // the listed blocks are route blocks: as many as there are,
            // none is unlisted
            if self.nodes[ROUTE_BLOCK as usize].len() == self.by_range.len() {
                return Vec::new();
            }
            self.nodes(ROUTE_BLOCK)
                .map(|(f, n)| (f, n.text_range()))
                .filter(|(f, r)| {
                    self.by_range
                        .binary_search_by(|e| (e.0, e.1, e.2).cmp(&(f.0, r.start(), r.end())))
                        .is_err()
                })
                .collect()
        });
        if unlisted.iter().any(|(f, r)| {
            *f == file && *r != block && block.contains_range(*r) && r.contains_range(range)
        }) {
            return None;
        }
        Some(&self.routes[idx])
    }

    /// The text of a node of `file` (a slice of the file's text, no copy).
    pub fn text(&self, file: FileIdx, node: &SyntaxNode) -> &'a str {
        let text: &'a str = &self.model.file(file).text;
        text.get(std::ops::Range::<usize>::from(node.text_range()))
            .unwrap_or("")
    }

    /// Every `modparam` of the files with its module and parameter names
    /// (read once per lint run, for the rules that look at modparams).
    pub fn modparams(&self) -> &[ModParamInfo] {
        self.modparams.get_or_init(|| {
            self.nodes(MODPARAM)
                .map(|(file, node)| {
                    let args: Vec<SyntaxNode> = node
                        .children()
                        .find(|n| n.kind() == ARG_LIST)
                        .map(|a| a.children().take(2).collect())
                        .unwrap_or_default();
                    let value = |n: Option<&SyntaxNode>| n.and_then(string_value);
                    ModParamInfo {
                        file,
                        node: node.clone(),
                        module: value(args.first()),
                        param: value(args.get(1)),
                        param_range: args.get(1).map_or(node.text_range(), |n| n.text_range()),
                    }
                })
                .collect()
        })
    }

    /// Every node of kind `kind` in the files, in order (the nodes are
    /// collected once per lint run).
    pub fn nodes(&self, kind: SyntaxKind) -> impl Iterator<Item = (FileIdx, &SyntaxNode)> {
        // grouped by kind: `by_kind[kind as usize]`
        self.nodes[kind as usize].iter().map(|(f, n)| (*f, n))
    }

    /// Every `CALL` node of every file with the function's name (collected
    /// once per lint run).
    pub fn calls(&self) -> &[(FileIdx, SyntaxNode, String)] {
        &self.calls
    }

    /// Whether any file's text contains `needle` (rules use it to skip
    /// configs that cannot have what they look for).
    pub fn mentions(&self, needle: &str) -> bool {
        if let Some(i) = crate::words::WORDS.iter().position(|w| *w == needle) {
            let found = self.words.get_or_init(|| {
                crate::words::found(
                    self.cache,
                    self.files()
                        .map(|(_, f)| (f.text.as_str(), f.parse.green())),
                )
            });
            return found & (1 << i) != 0;
        }
        // (rules ask for the same words: each is looked for once per run)
        let mut asked = self.mentioned.borrow_mut();
        if let Some(&(_, found)) = asked.iter().find(|(n, _)| n == needle) {
            return found;
        }
        let finder = memchr::memmem::Finder::new(needle);
        let found = self
            .files()
            .any(|(_, f)| finder.find(f.text.as_bytes()).is_some());
        asked.push((needle.to_string(), found));
        found
    }
}

/// The trees of the files rules look at (those not included inside a
/// route block), the trees `kcfg_sema::Model::walk_cached` tells of.
pub(crate) fn trees(model: &Model) -> Vec<(FileIdx, kcfg_syntax::GreenNode)> {
    model
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.included_in_route)
        .map(|(i, f)| (FileIdx(i), f.parse.green().clone()))
        .collect()
}

/// Every node of some syntax trees, grouped by kind, in file and
/// preorder: what [`crate::lint_rules_with_nodes`] needs from the trees before
/// it needs the model. Collecting them makes a red node for every node of
/// the files, the largest part of a lint run's own work, which needs only
/// the trees: the language server collects them while the model's checks
/// run on another thread.
#[derive(Default)]
pub struct Nodes {
    by_kind: Vec<Vec<(FileIdx, SyntaxNode)>>,
    /// the top-level route blocks with a kind: file, block, kind, name
    heads: Vec<(FileIdx, RouteBlock, RouteKind, Option<String>)>,
    /// every call with its function's name (as [`Ctx::calls`])
    calls: Vec<(FileIdx, SyntaxNode, String)>,
    trees: Vec<(FileIdx, kcfg_syntax::GreenNode)>,
}

/// Every `CALL` node of `calls` with the function's name.
fn calls_of<'n>(
    calls: impl Iterator<Item = (FileIdx, &'n SyntaxNode)>,
) -> Vec<(FileIdx, SyntaxNode, String)> {
    calls
        .filter_map(|(file, n)| call_name(n).map(|name| (file, n.clone(), name)))
        .collect()
}

impl Nodes {
    /// Collect the nodes of `trees` (file index and root).
    pub fn collect(trees: &[(FileIdx, kcfg_syntax::GreenNode)]) -> Nodes {
        let mut nodes = Nodes::default();
        for (file, green) in trees {
            nodes.add(*file, green);
        }
        nodes
    }

    /// Collect the nodes of one more tree (files are added in order).
    pub fn add(&mut self, file: FileIdx, green: &kcfg_syntax::GreenNode) {
        if self.by_kind.is_empty() {
            self.by_kind = vec![Vec::new(); ERROR as usize + 1];
        }
        let first_block = self.by_kind[ROUTE_BLOCK as usize].len();
        let first_call = self.by_kind[CALL as usize].len();
        for n in SyntaxNode::new_root(green.clone()).descendants() {
            self.by_kind[n.kind() as usize].push((file, n));
        }
        // the route blocks are those outside route bodies, in file and
        // text order
        let heads = self.by_kind[ROUTE_BLOCK as usize][first_block..]
            .iter()
            .filter(|(_, n)| is_top_level(n))
            .filter_map(|(file, n)| {
                let block = RouteBlock::cast(n.clone())?;
                let (kind, name) = block_head(&block);
                Some((*file, block, kind?, name))
            });
        self.heads.extend(heads);
        let calls = calls_of(
            self.by_kind[CALL as usize][first_call..]
                .iter()
                .map(|(f, n)| (*f, n)),
        );
        self.calls.extend(calls);
        self.trees.push((file, green.clone()));
    }

    /// Whether these are the nodes of `model`'s files (the same trees, by
    /// identity of their roots).
    pub(crate) fn of(&self, model: &Model) -> bool {
        let mine = &self.trees;
        let theirs = trees(model);
        mine.len() == theirs.len()
            && mine.iter().zip(&theirs).all(|((fa, ga), (fb, gb))| {
                fa == fb && std::ptr::eq::<rowan::GreenNodeData>(&**ga, &**gb)
            })
    }
}

/// The kind and text of a node's first token as `SyntaxNode::first_token`
/// finds it (the first child or token, descended into; an empty first node
/// has none), read from the green node.
fn first_green_token(green: &rowan::GreenNodeData) -> Option<(SyntaxKind, &str)> {
    use rowan::NodeOrToken;
    let mut first = green.children().next();
    loop {
        match first? {
            NodeOrToken::Token(t) => {
                let kind =
                    <kcfg_syntax::KamailioLanguage as rowan::Language>::kind_from_raw(t.kind());
                return Some((kind, t.text()));
            }
            NodeOrToken::Node(n) => first = n.children().next(),
        }
    }
}

/// `(block.kind(), block.name())` of a route block, read from its green
/// node (no red nodes or tokens; a name written as a string is read as
/// [`RouteBlock::name`] does). A block with a kind has a keyword, its first
/// token, which starts at the block's start.
pub(crate) fn block_head(block: &RouteBlock) -> (Option<RouteKind>, Option<String>) {
    let kind_of = <kcfg_syntax::KamailioLanguage as rowan::Language>::kind_from_raw;
    let green = block.syntax().green();
    let keyword = first_green_token(&green).map(|(k, _)| k);
    let name_node = green
        .children()
        .find_map(|c| c.into_node().filter(|n| kind_of(n.kind()) == ROUTE_NAME));
    let kind = keyword.and_then(|k| RouteKind::of_keyword(k, name_node.is_some()));
    let name = name_node.and_then(|n| {
        let quoted = n
            .children()
            .any(|c| c.as_node().is_some_and(|c| kind_of(c.kind()) == STRING_LIT));
        if quoted {
            return block.name();
        }
        n.children().find_map(|c| {
            let t = c.into_token()?;
            matches!(kind_of(t.kind()), IDENT | NUMBER | EVENT_ROUTE_NAME)
                .then(|| t.text().to_string())
        })
    });
    (kind, name)
}

/// Whether a node lies outside route bodies: every ancestor below the
/// root is a `#!if` or one of its arms.
fn is_top_level(n: &SyntaxNode) -> bool {
    let mut p = n.parent();
    while let Some(a) = p {
        let up = a.parent();
        if up.is_some() && !matches!(a.kind(), PP_IF | PP_ARM) {
            return false;
        }
        p = up;
    }
    true
}

/// The ranges of `#!ifdef` arms (without their directive line) that are
/// not taken with the model's defines: what Kamailio does not read in this
/// run. The defines in effect at the end of the config decide (a name
/// defined only after the `#!ifdef`, or undefined before it, is rare).
pub fn inactive_ranges(model: &Model, file: FileIdx) -> Vec<kcfg_syntax::TextRange> {
    let mut out = Vec::new();
    if !model.file(file).text.contains("#!if") {
        return out;
    }
    let root = model.file(file).parse.syntax_node();
    for pp_if in root.descendants().filter(|n| n.kind() == PP_IF) {
        let mut taking = false;
        for arm in pp_if.children().filter(|n| n.kind() == PP_ARM) {
            let Some(dir) = arm.children().find(|n| n.kind() == PP_DIRECTIVE) else {
                continue;
            };
            let tok = |k: SyntaxKind| {
                dir.children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind() == k)
                    .map(|t| t.text().to_string())
            };
            let kw = tok(PP_KEYWORD).unwrap_or_default();
            let defined = tok(PP_NAME).is_some_and(|n| model.defines.contains_key(&n));
            taking = if kw.contains("ifndef") {
                !defined
            } else if kw.contains("ifdef") {
                defined
            } else if kw.contains("ifexp") {
                false
            } else if kw.contains("else") {
                !taking
            } else {
                taking
            };
            if !taking {
                out.push(kcfg_syntax::TextRange::new(
                    dir.text_range().end(),
                    arm.text_range().end(),
                ));
            }
        }
    }
    // disjoint and sorted, for binary search
    out.sort_by_key(|r| r.start());
    let mut merged: Vec<kcfg_syntax::TextRange> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start() <= last.end() => *last = last.cover(r),
            _ => merged.push(r),
        }
    }
    merged
}

/// Whether `range` lies inside one of `ranges` (as [`inactive_ranges`] returns them).
pub fn inside(ranges: &[kcfg_syntax::TextRange], range: kcfg_syntax::TextRange) -> bool {
    let i = ranges.partition_point(|r| r.start() <= range.start());
    i > 0 && ranges[i - 1].contains_range(range)
}

/// The block kind of a route block by its keyword.
pub fn own_kind(r: &RouteInfo) -> BlockKind {
    match r.kind {
        RouteKind::Route | RouteKind::Request => BlockKind::Request,
        RouteKind::Failure => BlockKind::Failure,
        RouteKind::OnReply => match r.name.as_deref() {
            None | Some("0") => BlockKind::OnReplyCore,
            _ => BlockKind::OnReplyTm,
        },
        RouteKind::Branch => BlockKind::Branch,
        RouteKind::OnSend => BlockKind::OnSend,
        RouteKind::Event => BlockKind::Event,
    }
}

/// The range a finding about a call points at: the function name (the
/// call's first token), or the whole call.
pub fn call_head(call: &SyntaxNode) -> kcfg_syntax::TextRange {
    call.first_token()
        .map_or(call.text_range(), |t| t.text_range())
}

/// The name of a `CALL` node.
pub fn call_name(call: &SyntaxNode) -> Option<String> {
    // read from the green node: no red token
    let green = call.green();
    let (kind, text) = first_green_token(&green)?;
    matches!(kind, IDENT | ROUTE_KW).then(|| text.to_string())
}

/// The range of the first argument node of a `CALL` (the first node in its
/// `ARG_LIST`), found in the green tree (no red nodes).
pub fn first_arg_range(call: &SyntaxNode) -> Option<kcfg_syntax::TextRange> {
    let kind_of = <kcfg_syntax::KamailioLanguage as rowan::Language>::kind_from_raw;
    let green = call.green();
    let mut at = call.text_range().start();
    let mut list = None;
    for c in green.children() {
        if let Some(n) = c.as_node().filter(|n| kind_of(n.kind()) == ARG_LIST) {
            list = Some(*n);
            break;
        }
        at += c.text_len();
    }
    for c in list?.children() {
        if let Some(n) = c.as_node() {
            return Some(kcfg_syntax::TextRange::at(at, n.text_len()));
        }
        at += c.text_len();
    }
    None
}

/// The argument nodes of a `CALL`.
pub fn call_args(call: &SyntaxNode) -> Vec<SyntaxNode> {
    call.children()
        .find(|n| n.kind() == ARG_LIST)
        .map(|a| a.children().collect())
        .unwrap_or_default()
}

/// The value of a string-literal node without quotes (`None` for other nodes).
pub fn string_value(n: &SyntaxNode) -> Option<String> {
    kcfg_syntax::ast::StringLit::cast(n.clone()).map(|s| kcfg_syntax::ast::string_value(&s))
}

/// The statements of a `BLOCK` (or `CASE_CLAUSE`, `PP_ARM`), in order.
pub fn statements(block: &SyntaxNode) -> Vec<SyntaxNode> {
    block
        .children()
        .filter(|n| is_statement(n.kind()))
        .collect()
}

/// Whether a node kind is a statement.
pub fn is_statement(k: SyntaxKind) -> bool {
    matches!(
        k,
        IF_STMT
            | SWITCH_STMT
            | WHILE_STMT
            | RETURN_STMT
            | EXIT_STMT
            | DROP_STMT
            | BREAK_STMT
            | ASSIGN_STMT
            | EXPR_STMT
            | PP_IF
            | BLOCK
    )
}

/// The call of an expression statement `f(...);`.
pub fn stmt_call(stmt: &SyntaxNode) -> Option<SyntaxNode> {
    if stmt.kind() != EXPR_STMT {
        return None;
    }
    stmt.children().find(|n| n.kind() == CALL)
}

/// The operator token of a `BIN_EXPR`.
pub fn bin_op(e: &SyntaxNode) -> Option<SyntaxToken> {
    e.children_with_tokens()
        .filter_map(|x| x.into_token())
        .find(|t| !t.kind().is_trivia())
}

/// The operands of a `BIN_EXPR`.
pub fn bin_operands(e: &SyntaxNode) -> (Option<SyntaxNode>, Option<SyntaxNode>) {
    let mut c = e.children();
    (c.next(), c.next())
}

/// The PV token of a `PV_EXPR` node (through parentheses).
pub fn pv_token(n: &SyntaxNode) -> Option<SyntaxToken> {
    let mut n = n.clone();
    while n.kind() == PAREN_EXPR {
        n = n.children().next()?;
    }
    if n.kind() != PV_EXPR {
        return None;
    }
    n.children_with_tokens()
        .filter_map(|x| x.into_token())
        .find(|t| t.kind() == PVAR)
}

/// `(class, inner name, has transformations)` of a PV's text.
pub fn pv_parts(text: &str) -> Option<(String, Option<String>, bool)> {
    let pv = kcfg_syntax::pvar::parse_pv(text).ok()?;
    Some((
        pv.class.to_string(),
        pv.inner.map(str::to_string),
        !pv.transforms.is_empty(),
    ))
}

/// Functions that send a SIP reply.
pub const REPLY_FUNCTIONS: &[&str] = &[
    "sl_send_reply",
    "sl_reply",
    "send_reply",
    "sl_reply_error",
    "send_reply_error",
    "t_reply",
    "t_send_reply",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// `block_head` reads what `RouteBlock::kind`, `RouteBlock::name` and
    /// `RouteBlock::keyword` read, and `call_name` what the red first token
    /// says, on every node of the configs under `fixtures/` and on route heads
    /// written in odd ways.
    #[test]
    fn green_reads_equal_red_reads() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
        let mut texts: Vec<String> = vec![
            "route[\"QUOTED\"] { exit; }\nroute[12] { exit; }\nroute { exit; }\nroute[] { }\n\
             onreply_route[X] { }\nonreply_route { }\nevent_route[tm:local-request] { }\n\
             failure_route[F] { }\nbranch_route[B] { }\nonsend_route { }\nreply_route { }\n\
             request_route { route[N] { } }\nroute[ A ] {\nroute[\"x\" y] {}\n#!ifdef X\nroute[D] {}\n#!endif\n"
                .to_string(),
        ];
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "cfg") {
                    if let Ok(t) = std::fs::read_to_string(&p) {
                        texts.push(t);
                    }
                }
            }
        }
        let mut seen = 0;
        for t in &texts {
            let parse = kcfg_syntax::parse(t);
            for n in parse.syntax_node().descendants() {
                let Some(block) = RouteBlock::cast(n.clone()) else {
                    continue;
                };
                seen += 1;
                let (kind, name) = block_head(&block);
                assert_eq!(kind, block.kind(), "{}", n.text());
                if kind.is_some() {
                    assert_eq!(name, block.name(), "{}", n.text());
                    assert_eq!(
                        block.keyword().map(|k| k.text_range().start()),
                        Some(n.text_range().start())
                    );
                }
            }
        }
        assert!(seen > 100, "{seen}");
        // `call_name` (green) reads what the red first token says
        let mut calls = 0;
        for t in &texts {
            let parse = kcfg_syntax::parse(t);
            for n in parse.syntax_node().descendants() {
                let red = n
                    .first_token()
                    .filter(|t| matches!(t.kind(), IDENT | ROUTE_KW))
                    .map(|t| t.text().to_string());
                assert_eq!(call_name(&n), red, "{}", n.text());
                calls += usize::from(n.kind() == CALL);
            }
        }
        assert!(calls > 1000, "{calls}");
        // `first_arg_range` (green) is the range of the first argument's red node
        for t in &texts {
            let parse = kcfg_syntax::parse(t);
            for n in parse.syntax_node().descendants() {
                assert_eq!(
                    first_arg_range(&n),
                    n.children()
                        .find(|a| a.kind() == ARG_LIST)
                        .and_then(|a| a.first_child())
                        .map(|a| a.text_range()),
                    "{}",
                    n.text()
                );
            }
        }
    }
}
