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
    what: "Follows each route Kamailio runs by itself (request_route, reply, failure, branch and event routes) in statement order, through `route()` calls, and finds the first read of each `$var` that no assignment before it wrote. A name counts as written after an `if` only when every branch writes it (a write in an `if` without `else` does not count after it); writes in loops and `switch` cases count as they appear; a string argument that is exactly one `$var` (an output parameter such as `jansson_get`'s) counts as a write.",
    why: "`$var` variables belong to the worker process, not to the message, and keep their value between messages. A `$var` read before it is set in the current message holds whatever the previous message handled by the same process left in it (or 0).",
    example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"INVITE\")) {\n\t\t$var(caller) = $fU;\n\t}\n\txlog(\"L_INFO\", \"caller $var(caller)\\n\");\n\texit;\n}\n",
    fix: "Initialise the variable at the start of the route (`$var(caller) = \"\";`) or set it on every path.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\t$var(caller) = \"\";\n\tif (is_method(\"INVITE\")) {\n\t\t$var(caller) = $fU;\n\t}\n\txlog(\"L_INFO\", \"caller $var(caller)\\n\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

struct Walk<'c, 'a> {
    ctx: &'c Ctx<'a>,
    written: HashSet<String>,
    reported: BTreeSet<String>,
    stack: Vec<usize>,
    out: Vec<Finding>,
}

fn var_of(text: &str) -> Option<String> {
    match pv_parts(text)? {
        (c, Some(i), _) if c == "var" => Some(i),
        _ => None,
    }
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
    /// `if`, a name counts as written when every branch (and the
    /// fall-through without `else`) wrote it.
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
                    Some(acc) => acc.intersection(&w).cloned().collect(),
                });
            } else {
                cur = self.written.clone();
            }
        }
        let mut result = result.unwrap_or_else(|| cur.clone());
        if !has_else {
            result.retain(|x| cur.contains(x));
        }
        self.written = result;
    }

    fn node(&mut self, r: &RouteInfo, n: &SyntaxNode) {
        match n.kind() {
            IF_STMT => self.if_stmt(r, n),
            ASSIGN_STMT => {
                let mut ch = n.children();
                let lhs = ch.next();
                for rest in ch {
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
                        let t = t.trim_matches('"').to_string();
                        self.ctx.routes().iter().position(|x| {
                            x.kind == RouteKind::Route
                                && x.name.as_deref() == Some(t.as_str())
                                && x.route.is_some()
                        })
                    });
                    if let Some(i) = callee {
                        if !self.stack.contains(&i) && self.stack.len() < 32 {
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
                    if let Some(v) = string_value(a).and_then(|s| var_of(s.trim())) {
                        if string_value(a).is_some_and(|s| {
                            s.trim().starts_with("$var(") && s.trim().ends_with(')')
                        }) {
                            self.written.insert(v);
                            continue;
                        }
                    }
                    self.node(r, a);
                }
            }
            _ => {
                for c in n.children_with_tokens() {
                    if let Some(c) = c.as_node() {
                        self.node(r, c);
                        continue;
                    }
                    let Some(t) = c.as_token() else { continue };
                    {
                        match t.kind() {
                            PVAR => {
                                if let Some(v) = var_of(t.text()) {
                                    self.read(r, v, t.text_range());
                                }
                            }
                            STRING => {
                                for p in kcfg_syntax::pvar::scan_format(t.text()) {
                                    if let Some(v) = var_of(&t.text()[p.start..p.end]) {
                                        let range = TextRange::at(
                                            t.text_range().start() + TextSize::from(p.start as u32),
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
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.routes() {
        if r.kind == RouteKind::Route || r.route.is_none() {
            continue;
        }
        let Some(body) = r.block.body() else { continue };
        let mut w = Walk {
            ctx,
            written: HashSet::new(),
            reported: BTreeSet::new(),
            stack: Vec::new(),
            out: Vec::new(),
        };
        w.node(r, kcfg_syntax::ast::AstNode::syntax(&body));
        out.extend(w.out);
    }
}
