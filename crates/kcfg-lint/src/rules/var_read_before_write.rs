//! KC305 `var-read-before-write`.

use std::collections::{BTreeSet, HashSet};

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
    /// per file: where `var(` and `route` start in its text (sorted)
    marks: &'c [Marks],
    written: HashSet<String>,
    reported: BTreeSet<String>,
    stack: Vec<usize>,
    walked: HashSet<usize>,
    out: Vec<Finding>,
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
        if !self.marks[r.file.0].mentioned(n.text_range()) {
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
                    let callee = target.and_then(|t| self.ctx.sub_route(t.trim_matches('"')));
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
                            if let Some(b) = callee.block.body() {
                                self.node(&callee, kcfg_syntax::ast::AstNode::syntax(&b));
                            }
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

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let marks: Vec<Marks> = ctx
        .model
        .files
        .iter()
        .map(|f| Marks::new(&f.text))
        .collect();
    for r in ctx.routes() {
        if r.kind == RouteKind::Route || r.route.is_none() {
            continue;
        }
        let Some(body) = r.block.body() else { continue };
        let mut w = Walk {
            ctx,
            marks: &marks,
            written: HashSet::new(),
            reported: BTreeSet::new(),
            stack: Vec::new(),
            walked: HashSet::new(),
            out: Vec::new(),
        };
        w.node(r, kcfg_syntax::ast::AstNode::syntax(&body));
        out.extend(w.out);
    }
}
