//! KC305 `var-read-before-write`.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashSet};

use rowan::{GreenNode, GreenNodeData};

use kcfg_syntax::ast::RouteKind;
use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::{SyntaxNode, TextRange, TextSize};

use crate::ctx::{call_args, call_name, pv_parts, string_value, RouteInfo};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC305",
    name: "var-read-before-write",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "`$var(x)` read before it is written while handling the message: it holds the previous message's value",
    what: "Follows each route Kamailio runs by itself (request_route, reply, failure, branch and event routes) in statement order, through `route()` calls (each sub-route at its first call), and finds the first read of each `$var` that no assignment before it wrote. The branches of an `if` start from what was written before the `if`; after it, a name counts as written when any branch wrote it (a deliberate choice: in real configs the write and the read are often tied to the same condition, e.g. a query result read only when the query succeeded, which kcfg cannot see); writes in loops and `switch` cases count as they appear; a string argument made only of PVs (an output parameter such as `jansson_get`'s or `sql_pvquery`'s result list) counts as a write. A self-referencing assignment (`$var(n) = $var(n) + 1;`) is taken as a counter kept across messages on purpose and not reported.",
    why: "`$var` variables belong to the worker process, not to the message, and keep their value between messages. A `$var` read before it is set in the current message holds whatever the previous message handled by the same process left in it (or 0).",
    example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"BYE\")) {\n\t\txlog(\"L_INFO\", \"call of $var(caller) ends\\n\");\n\t}\n\t$var(caller) = $fU;\n\texit;\n}\n",
    fix: "Set the variable before it is read in every message (`$var(caller) = $fU;` first), or keep per-call data where it belongs (`$dlg_var`, `$avp`, a header).",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\t$var(caller) = $fU;\n\tif (is_method(\"BYE\")) {\n\t\txlog(\"L_INFO\", \"call of $var(caller) ends\\n\");\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

struct Walk<'c, 'a> {
    ctx: &'c Ctx<'a>,
    /// per file: where `var(` and `route` start in its text (sorted; found
    /// when a walk first needs them)
    marks: &'c [OnceCell<Marks>],
    written: HashSet<String>,
    reported: BTreeSet<String>,
    stack: Vec<usize>,
    walked: HashSet<usize>,
    out: Vec<Finding>,
    /// the `route(name)` lookups of the walk in order: the name and the
    /// index in `ctx.routes()` it found
    lookups: Vec<(String, Option<usize>)>,
    /// the block being walked: `None` the entry route, `Some(k)` the
    /// sub-route of `lookups[k]`
    cur: Option<usize>,
    /// for each finding of `out`, the block it is in (as `cur`)
    origin: Vec<Option<usize>>,
}

/// The offsets of `var(` and `route` in a file's text: whether a subtree
/// mentions either is two binary searches instead of two text scans.
struct Marks {
    var: Vec<usize>,
    route: Vec<usize>,
    len: usize,
}

impl Marks {
    fn new(text: &str) -> Marks {
        Marks {
            var: memchr::memmem::find_iter(text.as_bytes(), "var(").collect(),
            route: memchr::memmem::find_iter(text.as_bytes(), "route").collect(),
            len: text.len(),
        }
    }

    /// Whether `var(` or `route` lies wholly inside `range` (`true` for a
    /// range outside the text).
    fn mentioned(&self, range: TextRange) -> bool {
        let (s, e) = (usize::from(range.start()), usize::from(range.end()));
        if e > self.len {
            return true;
        }
        let within = |v: &[usize], n: usize| {
            let i = v.partition_point(|&o| o < s);
            v.get(i).is_some_and(|&o| o + n <= e)
        };
        within(&self.var, 4) || within(&self.route, 5)
    }
}

fn var_of(text: &str) -> Option<String> {
    if !text.contains("var(") {
        return None;
    }
    match pv_parts(text)? {
        (c, Some(i), _) if c == "var" => Some(i),
        _ => None,
    }
}

/// The `$var` names of a string made only of PVs separated by commas,
/// `None` when it holds anything else.
fn pv_list(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let p = part.trim();
        if !p.starts_with('$') || kcfg_syntax::pvar::parse_pv(p).is_err() {
            return None;
        }
        let spans = kcfg_syntax::pvar::scan_format(p);
        if spans.len() != 1 || spans[0].start != 0 || spans[0].end != p.len() {
            return None;
        }
        if let Some(v) = var_of(p) {
            out.push(v);
        }
    }
    Some(out)
}

impl Walk<'_, '_> {
    fn read(&mut self, r: &RouteInfo, name: String, range: TextRange) {
        if !self.written.contains(&name) && self.reported.insert(name.clone()) {
            self.origin.push(self.cur);
            self.out.push(
                Finding::new(r.file, range, format!("`$var({name})` is read before anything writes it for this message: it holds the previous message's value"))
                    .help(format!("set `$var({name})` at the start of the route, or on every path before this")),
            );
        }
    }

    /// `if`: each branch starts from what was written before it; after the
    /// `if`, a name counts as written when any branch wrote it (writes and
    /// reads are often tied to the same condition, `if (query ok) {...}`).
    fn if_stmt(&mut self, r: &RouteInfo, n: &SyntaxNode) {
        let mut cur = self.written.clone();
        let mut result: Option<HashSet<String>> = None;
        let mut has_else = false;
        let mut parts: Vec<SyntaxNode> = Vec::new();
        for c in n.children() {
            if c.kind() == ELSE_BRANCH {
                if !c.children().any(|x| x.kind() == PAREN_EXPR) {
                    has_else = true;
                }
                parts.extend(c.children());
            } else {
                parts.push(c);
            }
        }
        for p in parts {
            self.written = cur.clone();
            self.node(r, &p);
            if p.kind() == BLOCK || p.kind() == IF_STMT {
                let w = std::mem::take(&mut self.written);
                result = Some(match result {
                    None => w,
                    Some(acc) => acc.union(&w).cloned().collect(),
                });
            } else {
                cur = self.written.clone();
            }
        }
        let mut result = result.unwrap_or_else(|| cur.clone());
        if !has_else {
            result.extend(cur);
        }
        self.written = result;
    }

    fn node(&mut self, r: &RouteInfo, n: &SyntaxNode) {
        // a subtree without `var(` and without a route call reads and
        // writes nothing this rule follows
        let ctx = self.ctx;
        let marks = self.marks[r.file.0].get_or_init(|| Marks::new(&ctx.model.file(r.file).text));
        if !marks.mentioned(n.text_range()) {
            return;
        }
        match n.kind() {
            IF_STMT => self.if_stmt(r, n),
            ASSIGN_STMT => {
                let mut ch = n.children();
                let lhs = ch.next();
                let lhs_var = lhs
                    .as_ref()
                    .and_then(crate::ctx::pv_token)
                    .and_then(|t| var_of(t.text()));
                for rest in ch {
                    // `$var(n) = $var(n) + 1;` is a counter kept on purpose
                    // across messages
                    if let Some(v) = &lhs_var {
                        if rest
                            .descendants_with_tokens()
                            .filter_map(|e| e.into_token())
                            .any(|t| t.kind() == PVAR && var_of(t.text()).as_ref() == Some(v))
                        {
                            self.written.insert(v.clone());
                        }
                    }
                    self.node(r, &rest);
                }
                if let Some(l) = lhs {
                    if let Some(t) = crate::ctx::pv_token(&l) {
                        if let Some(v) = var_of(t.text()) {
                            self.written.insert(v);
                            return;
                        }
                    }
                    self.node(r, &l);
                }
            }
            CALL => {
                let name = call_name(n).unwrap_or_default();
                let args = call_args(n);
                if name == "route" {
                    let target = args.first().map(|a| a.text().to_string());
                    let callee = target.and_then(|t| {
                        let name = t.trim_matches('"');
                        let i = self.ctx.sub_route(name);
                        self.lookups.push((name.to_string(), i));
                        i
                    });
                    if let Some(i) = callee {
                        // a route walked once already wrote what it writes
                        // and reported what it reads
                        if !self.stack.contains(&i)
                            && self.stack.len() < 32
                            && self.walked.insert(i)
                        {
                            self.stack.push(i);
                            let routes = self.ctx.routes();
                            let callee = routes[i].clone();
                            let outer = self.cur.replace(self.lookups.len() - 1);
                            if let Some(b) = callee.block.body() {
                                self.node(&callee, kcfg_syntax::ast::AstNode::syntax(&b));
                            }
                            self.cur = outer;
                            self.stack.pop();
                        }
                    }
                    return;
                }
                for a in &args {
                    // a string that is only PVs (`"$var(a)"`, `"$var(a), $avp(b)"`)
                    // is an output parameter
                    let pv_only = a.kind() == STRING_LIT && a.text().to_string().contains('$');
                    if let Some(list) = pv_only
                        .then(|| string_value(a))
                        .flatten()
                        .and_then(|s| pv_list(&s))
                    {
                        self.written.extend(list);
                        continue;
                    }
                    self.node(r, a);
                }
            }
            _ => {
                // children in order; tokens read from the green tree (no
                // cursor allocated for each token)
                use rowan::Language;
                let mut kids = n.children();
                let green = n.green();
                let mut offset = n.text_range().start();
                for c in green.children() {
                    let t = match c {
                        rowan::NodeOrToken::Node(g) => {
                            if let Some(child) = kids.next() {
                                self.node(r, &child);
                            }
                            offset += g.text_len();
                            continue;
                        }
                        rowan::NodeOrToken::Token(t) => t,
                    };
                    let start = offset;
                    offset += t.text_len();
                    let text = t.text();
                    match kcfg_syntax::KamailioLanguage::kind_from_raw(t.kind()) {
                        PVAR => {
                            if let Some(v) = var_of(text) {
                                self.read(r, v, TextRange::at(start, t.text_len()));
                            }
                        }
                        STRING if text.contains("var(") => {
                            for p in kcfg_syntax::pvar::scan_format(text) {
                                if let Some(v) = var_of(&text[p.start..p.end]) {
                                    let range = TextRange::at(
                                        start + TextSize::from(p.start as u32),
                                        TextSize::from((p.end - p.start) as u32),
                                    );
                                    self.read(r, v, range);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The address of a route block's green node.
fn green_addr(r: &RouteInfo) -> usize {
    let g = kcfg_syntax::ast::AstNode::syntax(&r.block).green();
    &*g as *const GreenNodeData as usize
}

fn block_start(r: &RouteInfo) -> TextSize {
    kcfg_syntax::ast::AstNode::syntax(&r.block)
        .text_range()
        .start()
}

/// The walk of one entry route, kept for the next lint: it depends only
/// on the blocks walked (their trees) and on which blocks the `route(name)`
/// lookups found, so while the entry block's green node is the same and
/// every lookup finds a block with the same file and green node, the walk
/// reads and writes the same names in the same order and finds the same
/// findings, at the same offsets in their blocks.
pub(crate) struct Walked {
    /// the entry block's green node (held: its address names no other
    /// node while the memo lives)
    entry: GreenNode,
    /// the lookups of the walk in order: the name and the block it found
    /// (file and green node)
    lookups: Vec<(String, Option<(usize, GreenNode)>)>,
    /// the findings, their ranges relative to the start of their block:
    /// `None` the entry block, `Some(k)` the block of `lookups[k]`
    findings: Vec<(Option<usize>, Finding)>,
}

/// The walks of the entry routes of the last lint, by file and green node
/// of the entry block. Bounded: a lint keeps only the entries it met.
pub(crate) type Memo = rustc_hash::FxHashMap<(usize, usize), Walked>;

impl Walked {
    /// The findings of the walk from `r` if the walk kept is the walk `r`
    /// would take now (`None` otherwise).
    fn replay(&self, ctx: &Ctx<'_>, r: &RouteInfo) -> Option<Vec<Finding>> {
        if green_addr(r) != &*self.entry as *const GreenNodeData as usize {
            return None;
        }
        let routes = ctx.routes();
        let mut starts = Vec::with_capacity(self.lookups.len());
        for (name, found) in &self.lookups {
            match (ctx.sub_route(name), found) {
                (None, None) => starts.push(None),
                (Some(i), Some((file, green))) => {
                    let b = &routes[i];
                    if b.file.0 != *file
                        || green_addr(b) != &**green as *const GreenNodeData as usize
                    {
                        return None;
                    }
                    starts.push(Some((b.file, block_start(b))));
                }
                _ => return None,
            }
        }
        let entry = (r.file, block_start(r));
        Some(
            self.findings
                .iter()
                .map(|(k, f)| {
                    let (file, start) = match k {
                        None => entry,
                        Some(k) => starts[*k].unwrap_or(entry),
                    };
                    let mut f = f.clone();
                    f.file = file;
                    f.range += start;
                    f
                })
                .collect(),
        )
    }
}

/// Walk the entry route `r` (its body `body`): its findings and, when
/// `keep`, the walk to keep.
fn walk(
    ctx: &Ctx<'_>,
    marks: &[OnceCell<Marks>],
    r: &RouteInfo,
    body: &SyntaxNode,
    keep: bool,
) -> (Vec<Finding>, Option<Walked>) {
    let mut w = Walk {
        ctx,
        marks,
        written: HashSet::new(),
        reported: BTreeSet::new(),
        stack: Vec::new(),
        walked: HashSet::new(),
        out: Vec::new(),
        lookups: Vec::new(),
        cur: None,
        origin: Vec::new(),
    };
    w.node(r, body);
    if !keep {
        return (w.out, None);
    }
    let routes = ctx.routes();
    let start_of = |k: Option<usize>| match k.and_then(|k| w.lookups[k].1) {
        Some(i) => block_start(&routes[i]),
        None => block_start(r),
    };
    let findings = w
        .out
        .iter()
        .zip(&w.origin)
        .map(|(f, &k)| {
            let mut f = f.clone();
            f.range -= start_of(k);
            (k, f)
        })
        .collect();
    let lookups = w
        .lookups
        .into_iter()
        .map(|(name, i)| {
            let found = i.map(|i| {
                let b = &routes[i];
                let green = kcfg_syntax::ast::AstNode::syntax(&b.block)
                    .green()
                    .into_owned();
                (b.file.0, green)
            });
            (name, found)
        })
        .collect();
    let kept = Walked {
        entry: kcfg_syntax::ast::AstNode::syntax(&r.block)
            .green()
            .into_owned(),
        lookups,
        findings,
    };
    (w.out, Some(kept))
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some(cache) = ctx.cache() else {
        check_with(ctx, out, None);
        return;
    };
    let mut old = crate::cache::take(&cache.var_read);
    let mut new = Memo::default();
    let replayed = check_with(ctx, out, Some((&mut old, &mut new)));
    cache.hit(crate::cache::Which::VarRead, replayed);
    crate::cache::put(&cache.var_read, new);
}

/// [`check`] with the walks of the last lint (`old` of `memo`), keeping
/// those of this one in `new`; how many entry routes were not walked
/// again. Without `memo` every entry route is walked and none kept.
fn check_with(
    ctx: &Ctx<'_>,
    out: &mut Vec<Finding>,
    mut memo: Option<(&mut Memo, &mut Memo)>,
) -> usize {
    let mut replayed = 0;
    let marks: Vec<OnceCell<Marks>> = ctx.model.files.iter().map(|_| OnceCell::new()).collect();
    for r in ctx.routes() {
        if r.kind == RouteKind::Route || r.route.is_none() {
            continue;
        }
        let Some(body) = r.block.body() else { continue };
        let body = kcfg_syntax::ast::AstNode::syntax(&body);
        let Some((old, new)) = memo.as_mut() else {
            out.extend(walk(ctx, &marks, r, body, false).0);
            continue;
        };
        let key = (r.file.0, green_addr(r));
        if let Some(kept) = old.remove(&key) {
            if let Some(found) = kept.replay(ctx, r) {
                out.extend(found);
                new.insert(key, kept);
                replayed += 1;
                continue;
            }
        }
        if let Some(kept) = new.get(&key) {
            // the same block twice (a copy of the entry route)
            if let Some(found) = kept.replay(ctx, r) {
                out.extend(found);
                replayed += 1;
                continue;
            }
        }
        let (found, kept) = walk(ctx, &marks, r, body, true);
        out.extend(found);
        new.extend(kept.map(|k| (key, k)));
    }
    replayed
}

#[cfg(test)]
mod tests {
    use super::*;
    use kcfg_sema::{MemoryLoader, Model, SemaOptions};

    fn options() -> SemaOptions {
        SemaOptions {
            version: kcfg_modules::KamailioVersion::V5_6,
            ..Default::default()
        }
    }

    /// The model of `text`, its tree reparsed from `prev` (the green nodes
    /// of the blocks the edit does not touch are shared).
    fn model(text: &str, prev: Option<&Model>) -> Model {
        let parser = |_: &std::path::Path, t: &str, o: &kcfg_syntax::ParseOptions| match prev {
            Some(m) => kcfg_syntax::reparse::reparse(&m.files[0].parse, &m.files[0].text, t, o),
            None => kcfg_syntax::parse_with(t, o),
        };
        Model::build_with_parser("k.cfg", text, &MemoryLoader::new(), &options(), &parser)
    }

    const TEXT: &str = "# a comment\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\troute(A);\n\troute(B);\n\tif ($var(y) == 1) {\n\t\texit;\n\t}\n\texit;\n}\nfailure_route[F] {\n\troute(B);\n\texit;\n}\nroute[A] {\n\txlog(\"L_INFO\", \"a\\n\");\n}\nroute[B] {\n\t$var(x) = 1;\n\txlog(\"L_INFO\", \"b $var(z)\\n\");\n}\n";

    /// The walks kept from the lint before give the findings a fresh walk
    /// gives: edits inside a sub-route's string (a read appears, moves,
    /// goes), an edit before every route (all offsets move), the same
    /// model twice (every entry route replayed).
    #[test]
    fn memo_equals_fresh_walk() {
        let texts = [
            TEXT.to_string(),
            TEXT.to_string(),
            TEXT.replace("\"a\\n\"", "\"a $var(x)\\n\""),
            TEXT.replace("\"a\\n\"", "\"aa $var(x)\\n\""),
            TEXT.replace("\"a\\n\"", "\"aa $var(x)\\n\"")
                .replace("# a comment", "# a longer comment"),
            TEXT.replace("\"a\\n\"", "\"aa $var(x)\\n\"")
                .replace("# a comment", "# a longer comment")
                .replace("\"b $var(z)", "\"b $var(w)"),
            TEXT.replace("# a comment", "# a longer comment"),
        ];
        let mut memo = Memo::default();
        let mut prev: Option<Model> = None;
        let mut findings = Vec::new();
        for (k, text) in texts.iter().enumerate() {
            let m = model(text, prev.as_ref());
            let ctx = Ctx::new(&m);
            let mut got = Vec::new();
            let mut new = Memo::default();
            let replayed = check_with(&ctx, &mut got, Some((&mut memo, &mut new)));
            memo = new;
            let fresh_model = model(text, None);
            let fresh_ctx = Ctx::new(&fresh_model);
            let mut want = Vec::new();
            check_with(&fresh_ctx, &mut want, None);
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "text {k}");
            // request_route and failure_route
            match k {
                0 => assert_eq!(replayed, 0),
                // the same text (the same tree), a comment edited: both
                1 | 4 => assert_eq!(replayed, 2, "text {k}"),
                // route A edited: only failure_route, which does not call it
                2 | 3 => assert_eq!(replayed, 1, "text {k}"),
                // route B edited: both walked again
                5 => assert_eq!(replayed, 0, "text {k}"),
                _ => {}
            }
            findings.push(
                got.iter()
                    .map(|f| (f.range, f.message.clone()))
                    .collect::<Vec<_>>(),
            );
            prev = Some(m);
        }
        // the edits changed the findings: a read appears in route A, moves
        // with the text before it, and the one in route B changes
        assert_eq!(findings[0].len() + 1, findings[2].len());
        assert_ne!(findings[2], findings[3]);
        assert_ne!(findings[3], findings[4]);
        assert_ne!(findings[4], findings[5]);
    }
}
