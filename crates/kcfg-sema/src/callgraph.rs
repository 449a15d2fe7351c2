//! The route call graph: which route block names which, and as what kind
//! of block each route runs.
//!
//! Nodes are the route blocks of [`crate::Model::routes`] (by index).
//! Edges are the places that name a route:
//!
//! * [`EdgeKind::Call`]: `route(NAME)` and cfgutils' `route_if_exists("NAME")`
//!   run `route[NAME]` inside the caller, as the caller's block kind;
//! * [`EdgeKind::Arm`]: tm's `t_on_failure`, `t_on_reply`, `t_on_branch` and
//!   `t_on_branch_failure` name a `failure_route`, `onreply_route`,
//!   `branch_route` or `event_route[tm:branch-failure:NAME]` that tm runs
//!   later, as that block's own kind;
//! * [`EdgeKind::Resume`]: async's `async_route`, `async_ms_route`,
//!   `async_task_route`, `async_task_group_route`, `async_task_data`,
//!   `async_task_group_data`, tmx' `t_continue`, http_async_client's
//!   `http_async_query`, and the routes of rtimer's `exec` and timer's
//!   `declare_timer` modparams run `route[NAME]` later, as a request route.
//!
//! Entry points run without being named by a call: `request_route` (and
//! `route`/`route[0]`), `reply_route`/`onreply_route`/`onreply_route[0]`,
//! `onsend_route` and every `event_route` but `tm:branch-failure:*`; the
//! targets of arm and resume edges are entry points too.
//!
//! [`CallGraph::reached_as`] is the set of block kinds a route runs as: its
//! own kind for every block but a named `route[X]`, plus what flows in
//! through call edges. A call site inside `if (is_request())`,
//! `if (is_reply())`, `if (t_is_failure_route())` (and the other `t_is_*`
//! of tmx) only passes the kinds the condition lets through; `!`, `&&`,
//! `||`, `else` and `else if` are followed.
//!
//! Checks on the graph: KC130 (a module function in a route that runs as
//! a block kind the function's flags do not allow — Kamailio checks a call
//! only against the block it is written in; a call whose result is only
//! tested, like `if (check_route_param(...))`, is not reported for
//! failure and branch routes, which handle the same request as
//! request_route), KC131 (unused route), KC132 (recursion through
//! `route()`), KC133 (an async function naming an undefined route).
//! `route(NAME)` and `t_on_*` naming undefined routes stay KC110/KC111 of
//! `checks.rs`, which resolve names the same way.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;

use kcfg_modules::{BlockKind, BlockKinds, FunctionVariant};
use kcfg_syntax::{SyntaxKind, SyntaxNode, TextRange};

use crate::defines::Const;
use crate::diagnostic::{codes, FileIdx, SemaDiagnostic};
use crate::model::{CallSite, RouteTable, TableMap, Walker};

/// How an edge reaches its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// `route(NAME)`, `route_if_exists("NAME")`: runs inside the caller, as
    /// the caller's block kind.
    Call,
    /// `t_on_failure("NAME")` and friends: tm runs the route later, as the
    /// route's own kind.
    Arm,
    /// `async_route("NAME", ...)`, `t_continue(..., "NAME")`,
    /// `http_async_query(..., "NAME")`, rtimer/timer modparams: the route
    /// runs later, as a request route.
    Resume,
}

/// One place that names a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The route the call is in (index in [`crate::Model::routes`]);
    /// `None` for a modparam.
    pub caller: Option<usize>,
    /// The route named (index in [`crate::Model::routes`]).
    pub callee: usize,
    /// How the route is reached.
    pub kind: EdgeKind,
    /// The function (`route`, `t_on_failure`, `async_route`, ...), or the
    /// modparam (`rtimer.exec`).
    pub function: String,
    /// The file of the call.
    pub file: FileIdx,
    /// The whole call (`route(X)`) or modparam value.
    pub range: TextRange,
    /// The argument that names the route.
    pub name_range: TextRange,
    /// The block kinds in which the call can run at all, after the
    /// conditions around it (`if (is_reply()) { route(X); }`);
    /// [`BlockKinds::ALL`] when nothing restricts it.
    pub guard: BlockKinds,
}

/// A call that names a route with an expression kcfg cannot evaluate
/// (`route($var(r))`, `t_on_failure("$var(f)")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicCall {
    /// The route the call is in, `None` outside route blocks.
    pub caller: Option<usize>,
    /// The function.
    pub function: String,
    /// The table the name is looked up in.
    pub table: RouteTable,
    /// The file of the call.
    pub file: FileIdx,
    /// The whole call.
    pub range: TextRange,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// edge indices
    callers: Vec<usize>,
    callees: Vec<usize>,
    /// the kinds the route runs as by itself
    seed: BlockKinds,
    reached: BlockKinds,
    entry: bool,
}

/// The route call graph of a [`crate::Model`] (see [`crate::Model::call_graph`]).
///
/// ```
/// use kcfg_sema::{BlockKind, EdgeKind, MemoryLoader, Model, SemaOptions};
/// let text = "loadmodule \"tm.so\"\n\
///             failure_route[F] {\n\troute(LOG);\n}\n\
///             route[LOG] {\n\tdrop;\n}\n\
///             request_route {\n\tt_on_failure(\"F\");\n\tt_relay();\n}\n";
/// let m = Model::build("k.cfg", text, &MemoryLoader::new(), &SemaOptions::default());
/// let g = m.call_graph();
/// let log = m.routes.iter().position(|r| r.name.as_deref() == Some("LOG")).unwrap();
/// let f = m.routes.iter().position(|r| r.name.as_deref() == Some("F")).unwrap();
/// assert!(g.reached_as(log).contains(BlockKind::Failure));
/// assert_eq!(g.callers(log).next().unwrap().caller, Some(f));
/// assert_eq!(g.callers(f).next().unwrap().kind, EdgeKind::Arm);
/// assert!(g.is_entry(f) && !g.is_entry(log));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CallGraph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    dynamic: Vec<DynamicCall>,
}

impl CallGraph {
    /// Every edge, in the order Kamailio reads the calls.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The edges that name `route` (an index in [`crate::Model::routes`]).
    pub fn callers(&self, route: usize) -> impl Iterator<Item = &Edge> + '_ {
        self.nodes
            .get(route)
            .into_iter()
            .flat_map(|n| n.callers.iter().map(|&e| &self.edges[e]))
    }

    /// The edges from calls inside `route`.
    pub fn callees(&self, route: usize) -> impl Iterator<Item = &Edge> + '_ {
        self.nodes
            .get(route)
            .into_iter()
            .flat_map(|n| n.callees.iter().map(|&e| &self.edges[e]))
    }

    /// The block kinds `route` runs as: a `failure_route` as
    /// [`BlockKind::Failure`], a `route[X]` as every kind of the blocks it
    /// is called from (empty when it is never called).
    pub fn reached_as(&self, route: usize) -> BlockKinds {
        self.nodes
            .get(route)
            .map_or(BlockKinds::EMPTY, |n| n.reached)
    }

    /// Whether `route` runs without a `route()` call: the request, reply
    /// and onsend routes, event routes, and routes armed by `t_on_*` or
    /// resumed by async functions.
    pub fn is_entry(&self, route: usize) -> bool {
        self.nodes.get(route).is_some_and(|n| n.entry)
    }

    /// The entry points (see [`CallGraph::is_entry`]).
    pub fn entries(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].entry)
    }

    /// Calls that name a route with an expression (`route($var(x))`).
    pub fn dynamic_calls(&self) -> &[DynamicCall] {
        &self.dynamic
    }

    /// How `route` comes to run as `kind`: the chain of call edges from a
    /// block that runs as `kind` by itself down to `route` (empty when
    /// `route` is such a block). `None` when it never runs as `kind`.
    pub fn path_as(&self, kind: BlockKind, route: usize) -> Option<Vec<&Edge>> {
        let node = self.nodes.get(route)?;
        if !node.reached.contains(kind) {
            return None;
        }
        // breadth-first, backwards along call edges that carry `kind`
        let mut via: HashMap<usize, Option<usize>> = HashMap::default();
        via.insert(route, None);
        let mut queue = VecDeque::from([route]);
        while let Some(r) = queue.pop_front() {
            if self.nodes[r].seed.contains(kind) {
                let mut path = Vec::new();
                let mut cur = r;
                while let Some(Some(e)) = via.get(&cur) {
                    path.push(&self.edges[*e]);
                    cur = self.edges[*e].callee;
                }
                return Some(path);
            }
            for &e in &self.nodes[r].callers {
                let edge = &self.edges[e];
                let Some(caller) = edge.caller else { continue };
                if edge.kind != EdgeKind::Call
                    || !edge.guard.contains(kind)
                    || !self.nodes[caller].reached.contains(kind)
                    || via.contains_key(&caller)
                {
                    continue;
                }
                via.insert(caller, Some(e));
                queue.push_back(caller);
            }
        }
        None
    }

    /// Groups of routes that call each other through `route()` (strongly
    /// connected components with a cycle), each sorted, in document order.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let succ = |v: usize| {
            self.nodes[v]
                .callees
                .iter()
                .map(|&e| &self.edges[e])
                .filter(|e| e.kind == EdgeKind::Call)
                .map(|e| e.callee)
        };
        let mut out: Vec<Vec<usize>> = Vec::new();
        tarjan(self.nodes.len(), succ, |c| {
            if c.len() > 1
                || self
                    .callees(c[0])
                    .any(|e| e.kind == EdgeKind::Call && e.callee == c[0])
            {
                let mut c = c.to_vec();
                c.sort_unstable();
                out.push(c);
            }
        });
        out.sort();
        out
    }
}

/// Tarjan's strongly connected components, iterative (a chain of 20,000
/// `route()` calls must not overflow the stack): `emit` gets each
/// component (in reverse topological order).
fn tarjan<I: Iterator<Item = usize>>(
    n: usize,
    succ: impl Fn(usize) -> I,
    mut emit: impl FnMut(&[usize]),
) {
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    for start in 0..n {
        if index[start] != UNSEEN {
            continue;
        }
        // (node, its successors not yet looked at)
        let mut work: Vec<(usize, I)> = vec![(start, succ(start))];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some((v, ws)) = work.last_mut() {
            let v = *v;
            if let Some(w) = ws.next() {
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, succ(w)));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((u, _)) = work.last() {
                low[*u] = low[*u].min(low[v]);
            }
            if low[v] == index[v] {
                let at = stack.iter().rposition(|&w| w == v).unwrap_or(0);
                for &w in &stack[at..] {
                    on_stack[w] = false;
                }
                emit(&stack[at..]);
                stack.truncate(at);
            }
        }
    }
}

// ------------------------------------------------------------ route-naming functions

/// A function that names a route block in one of its arguments.
struct RouteArg {
    function: &'static str,
    /// the module that exports it (checked against the knowledge base in
    /// the tests)
    module: &'static str,
    arg: usize,
    table: RouteTable,
    /// what tm puts before the name (`tm:branch-failure:`)
    prefix: &'static str,
    kind: EdgeKind,
}

const fn ra(
    function: &'static str,
    module: &'static str,
    arg: usize,
    table: RouteTable,
    prefix: &'static str,
    kind: EdgeKind,
) -> RouteArg {
    RouteArg {
        function,
        module,
        arg,
        table,
        prefix,
        kind,
    }
}

/// Functions whose argument is a route name (from the modules' docs and
/// fixups: `fixup_on_failure`, `fixup_async_route`, `fixup_t_continue`, ...).
#[rustfmt::skip]
const ROUTE_ARGS: &[RouteArg] = &[
    ra("t_on_failure", "tm", 0, RouteTable::Failure, "", EdgeKind::Arm),
    ra("t_on_reply", "tm", 0, RouteTable::OnReply, "", EdgeKind::Arm),
    ra("t_on_branch", "tm", 0, RouteTable::Branch, "", EdgeKind::Arm),
    ra("t_on_branch_failure", "tm", 0, RouteTable::Event, "tm:branch-failure:", EdgeKind::Arm),
    ra("route_if_exists", "cfgutils", 0, RouteTable::Request, "", EdgeKind::Call),
    ra("async_route", "async", 0, RouteTable::Request, "", EdgeKind::Resume),
    ra("async_ms_route", "async", 0, RouteTable::Request, "", EdgeKind::Resume),
    ra("async_task_route", "async", 0, RouteTable::Request, "", EdgeKind::Resume),
    ra("async_task_group_route", "async", 0, RouteTable::Request, "", EdgeKind::Resume),
    ra("async_task_data", "async", 0, RouteTable::Request, "", EdgeKind::Resume),
    ra("async_task_group_data", "async", 0, RouteTable::Request, "", EdgeKind::Resume),
    ra("t_continue", "tmx", 2, RouteTable::Request, "", EdgeKind::Resume),
    ra("http_async_query", "http_async_client", 1, RouteTable::Request, "", EdgeKind::Resume),
];

/// Conditions that tell the block kind: (function, kinds where it can be
/// true, kinds where it can be false). onsend and event routes see both
/// requests and replies.
fn guard_function(name: &str) -> Option<(BlockKinds, BlockKinds)> {
    use BlockKind::*;
    let set = |ks: &[BlockKind]| ks.iter().copied().collect::<BlockKinds>();
    let not = |ks: &[BlockKind]| {
        BlockKind::ALL
            .into_iter()
            .filter(|k| !ks.contains(k))
            .collect::<BlockKinds>()
    };
    let requests = [Request, Failure, Branch, OnSend, Event];
    let replies = [OnReplyCore, OnReplyTm, OnSend, Event];
    Some(match name {
        "is_request" => (set(&requests), set(&replies)),
        "is_reply" => (set(&replies), set(&requests)),
        "t_is_request_route" => (set(&[Request]), not(&[Request])),
        "t_is_failure_route" => (set(&[Failure]), not(&[Failure])),
        "t_is_branch_route" => (set(&[Branch]), not(&[Branch])),
        "t_is_reply_route" => (set(&[OnReplyTm]), not(&[OnReplyTm])),
        _ => return None,
    })
}

/// (kinds where `cond` can be true, kinds where it can be false).
fn eval_cond(cond: &SyntaxNode, depth: u32) -> (BlockKinds, BlockKinds) {
    use SyntaxKind::*;
    const ANY: (BlockKinds, BlockKinds) = (BlockKinds::ALL, BlockKinds::ALL);
    if depth > 64 {
        return ANY;
    }
    let tokens = || {
        cond.children_with_tokens()
            .filter_map(|e| e.into_token())
            .filter(|t| !t.kind().is_trivia())
    };
    match cond.kind() {
        PAREN_EXPR => cond
            .children()
            .next()
            .map_or(ANY, |c| eval_cond(&c, depth + 1)),
        PREFIX_EXPR if tokens().any(|t| matches!(t.kind(), BANG | NOT_KW)) => {
            let (t, f) = cond
                .children()
                .next()
                .map_or(ANY, |c| eval_cond(&c, depth + 1));
            (f, t)
        }
        BIN_EXPR => {
            let op = tokens().next().map(|t| t.kind());
            let mut kids = cond.children();
            let (Some(a), Some(b)) = (kids.next(), kids.next()) else {
                return ANY;
            };
            let (ta, fa) = eval_cond(&a, depth + 1);
            let (tb, fb) = eval_cond(&b, depth + 1);
            match op {
                Some(AMP2 | AND_KW) => (intersect(ta, tb), fa.union(fb)),
                Some(PIPE2 | OR_KW) => (ta.union(tb), intersect(fa, fb)),
                _ => ANY,
            }
        }
        CALL => {
            let name = tokens().next();
            let no_args = cond
                .children()
                .find(|c| c.kind() == ARG_LIST)
                .is_none_or(|l| l.children().next().is_none());
            match name {
                Some(n) if no_args => guard_function(n.text()).unwrap_or(ANY),
                _ => ANY,
            }
        }
        _ => ANY,
    }
}

fn intersect(a: BlockKinds, b: BlockKinds) -> BlockKinds {
    a.intersection(b)
}

/// For every call under a condition that tells the block kind: the kinds
/// it can run in, keyed by (file, call range).
fn guards(w: &Walker<'_>) -> HashMap<(FileIdx, TextRange), BlockKinds> {
    let mut out = HashMap::default();
    let mut memos = w.route_cache.map(|c| c.lock());
    for (i, f) in w.files.iter().enumerate() {
        let t = &f.text;
        if !(t.contains("is_request") || t.contains("is_reply") || t.contains("t_is_")) {
            continue;
        }
        let mut found = Vec::new();
        let mut memo = memos.as_deref_mut().map(|m| &mut m.guards);
        guard_walk(
            f.parse.syntax_node(),
            BlockKinds::ALL,
            &mut memo,
            &mut found,
        );
        out.extend(found.into_iter().map(|(r, m)| ((FileIdx(i), r), m)));
    }
    out
}

/// The memo of [`guard_walk`] over route blocks (whose masks start at
/// "all kinds"): a pure function of the block's tree.
pub(crate) type GuardMemo = crate::memo::Memo<(), (TextRange, BlockKinds)>;

/// The calls under `start` that run only for some block kinds (`if
/// (is_request())`...), with those kinds; route blocks reached with every
/// kind possible are taken from `memo` when it has them.
fn guard_walk(
    start: SyntaxNode,
    mask: BlockKinds,
    memo: &mut Option<&mut GuardMemo>,
    out: &mut Vec<(TextRange, BlockKinds)>,
) {
    let mut stack: Vec<(SyntaxNode, BlockKinds)> = vec![(start, mask)];
    while let Some((node, mask)) = stack.pop() {
        if node.kind() == SyntaxKind::ROUTE_BLOCK && mask == BlockKinds::ALL {
            if let Some(memo) = memo.as_deref_mut() {
                let ctx = memo.intern(());
                let green = node.green().into_owned();
                let base = node.text_range().start();
                if let Some(events) = memo.get(&green, ctx) {
                    out.extend(events.iter().map(|(r, m)| (*r + base, *m)));
                    continue;
                }
                let mut found = Vec::new();
                guard_walk(node, mask, &mut None, &mut found);
                memo.insert(
                    green,
                    ctx,
                    found.iter().map(|(r, m)| (*r - base, *m)).collect(),
                );
                out.extend(found);
                continue;
            }
        }
        if node.kind() == SyntaxKind::CALL && mask != BlockKinds::ALL {
            out.push((node.text_range(), mask));
        }
        if node.kind() == SyntaxKind::IF_STMT {
            // the condition of each arm; an arm runs where all earlier
            // conditions can be false and its own can be true
            let mut earlier_false = mask;
            let mut cond: Option<(BlockKinds, BlockKinds)> = None;
            for child in node.children() {
                match child.kind() {
                    SyntaxKind::BLOCK => {
                        let t = cond.map_or(BlockKinds::ALL, |c| c.0);
                        stack.push((child, intersect(earlier_false, t)));
                        if let Some((_, f)) = cond.take() {
                            earlier_false = intersect(earlier_false, f);
                        }
                    }
                    SyntaxKind::ELSE_BRANCH => {
                        let own = child
                            .children()
                            .find(|c| c.kind() != SyntaxKind::BLOCK)
                            .map(|c| eval_cond(&c, 0));
                        for g in child.children() {
                            let m = if g.kind() == SyntaxKind::BLOCK {
                                intersect(earlier_false, own.map_or(BlockKinds::ALL, |c| c.0))
                            } else {
                                earlier_false
                            };
                            stack.push((g, m));
                        }
                        if let Some((_, f)) = own {
                            earlier_false = intersect(earlier_false, f);
                        }
                    }
                    _ => {
                        if cond.is_none() {
                            cond = Some(eval_cond(&child, 0));
                        }
                        stack.push((child, mask));
                    }
                }
            }
            continue;
        }
        for child in node.children() {
            stack.push((child, mask));
        }
    }
}

// ------------------------------------------------------------ building

fn const_text(c: &Const) -> std::borrow::Cow<'_, str> {
    match c {
        Const::Str(s) | Const::Ident(s) => s.as_str().into(),
        Const::Int(v) => v.to_string().into(),
    }
}

/// The slot key of a route: unnamed blocks are Kamailio's slot `"0"`.
fn slot_of(r: &crate::Route) -> (RouteTable, &str) {
    (r.table, r.name.as_deref().unwrap_or("0"))
}

struct Builder {
    graph: CallGraph,
    /// per edge: the sequence number of its call
    edge_seq: Vec<u32>,
    /// routes of each slot, in order
    slots: TableMap<Vec<usize>>,
    /// tables named by a call kcfg cannot evaluate
    dynamic_tables: HashSet<RouteTable>,
    /// names that `route()`/`t_on_*` use but no block has (KC110/KC111)
    undefined: Vec<(RouteTable, String)>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add_edges(
        &mut self,
        caller: Option<usize>,
        table: RouteTable,
        name: &str,
        kind: EdgeKind,
        function: &str,
        (file, range, name_range, seq): (FileIdx, TextRange, TextRange, u32),
        guard: BlockKinds,
    ) -> bool {
        let Some(targets) = self.slots.get(table, name) else {
            return false;
        };
        for &callee in targets {
            let e = self.graph.edges.len();
            self.graph.edges.push(Edge {
                caller,
                callee,
                kind,
                function: function.to_string(),
                file,
                range,
                name_range,
                guard,
            });
            self.edge_seq.push(seq);
            self.graph.nodes[callee].callers.push(e);
            if let Some(c) = caller {
                self.graph.nodes[c].callees.push(e);
            }
        }
        true
    }

    fn dynamic(&mut self, c: &CallSite, table: RouteTable) {
        self.dynamic_tables.insert(table);
        self.graph.dynamic.push(DynamicCall {
            caller: c.route,
            function: c.name().to_string(),
            table,
            file: c.file,
            range: c.range,
        });
    }
}

/// The route named by rtimer's `exec` (`"timer=t1;route=NAME"`) or timer's
/// `declare_timer` (`"t1=NAME,1000,fast,enable"`) modparam.
fn modparam_route(module: &str, param: &str, value: &str) -> Option<String> {
    let v = value.trim().trim_matches('"').trim_matches('\'');
    let name = if module.eq_ignore_ascii_case("rtimer") && param == "exec" {
        v.split(';')
            .find_map(|p| p.trim().strip_prefix("route="))?
            .trim()
    } else if module.eq_ignore_ascii_case("timer") && param == "declare_timer" {
        v.split_once('=')?.1.split(',').next()?.trim()
    } else {
        return None;
    };
    (!name.is_empty() && !name.contains('$')).then(|| name.to_string())
}

/// Build the graph and run the checks that follow it (KC130–KC133).
pub(crate) fn run(w: &mut Walker<'_>) -> CallGraph {
    let mut b = Builder {
        graph: CallGraph {
            nodes: vec![Node::default(); w.routes.len()],
            edges: Vec::new(),
            dynamic: Vec::new(),
        },
        edge_seq: Vec::new(),
        slots: TableMap::default(),
        dynamic_tables: HashSet::default(),
        undefined: Vec::new(),
    };
    for (i, r) in w.routes.iter().enumerate() {
        let (table, name) = slot_of(r);
        b.slots.get_or_insert_with(table, name, Vec::new).push(i);
    }
    let guards = guards(w);
    let guard_of = |c: &CallSite| {
        guards
            .get(&(c.file, c.range))
            .copied()
            .unwrap_or(BlockKinds::ALL)
    };
    let mut undefined_async: Vec<(CallSite, String, TextRange)> = Vec::new();
    for c in &w.calls {
        if c.is_route_kw {
            let Some((arg, name_range)) = c.first_arg() else {
                continue;
            };
            let name = arg.as_ref().map(const_text);
            match name {
                Some(n) if !n.contains('$') && c.nargs == Some(1) => {
                    let site = (c.file, c.range, name_range, c.seq);
                    if !b.add_edges(
                        c.route,
                        RouteTable::Request,
                        &n,
                        EdgeKind::Call,
                        "route",
                        site,
                        guard_of(c),
                    ) {
                        b.undefined.push((RouteTable::Request, n.into_owned()));
                    }
                }
                _ => b.dynamic(c, RouteTable::Request),
            }
            continue;
        }
        let Some(ra) = ROUTE_ARGS.iter().find(|r| {
            r.function == c.name()
                && w.db
                    .functions(c.name())
                    .iter()
                    .any(|v| v.module == r.module)
        }) else {
            continue;
        };
        let Some((arg, name_range)) = c.arg(ra.arg) else {
            continue;
        };
        let name = match (arg, ra.kind) {
            // tm takes the name as a string (as the undefined-route check)
            (Some(Const::Str(s)), EdgeKind::Arm) => s.as_str().into(),
            (Some(_), EdgeKind::Arm) => continue,
            (Some(a), _) => const_text(a),
            (None, _) => {
                b.dynamic(c, ra.table);
                continue;
            }
        };
        if name.contains('$') {
            b.dynamic(c, ra.table);
            continue;
        }
        // `t_on_failure("0")` resets the route
        if ra.kind == EdgeKind::Arm && (name.is_empty() || name == "0") {
            continue;
        }
        let full = format!("{}{name}", ra.prefix);
        let site = (c.file, c.range, name_range, c.seq);
        let found = b.add_edges(
            c.route,
            ra.table,
            &full,
            ra.kind,
            ra.function,
            site,
            guard_of(c),
        );
        if !found && ra.kind == EdgeKind::Resume {
            undefined_async.push((c.clone(), name.into_owned(), name_range));
        } else if !found {
            b.undefined.push((ra.table, full));
        }
    }
    for mp in &w.modparams {
        let (Some((module, _)), Some((param, _)), Some((_, text, range))) =
            (&mp.module, &mp.param, &mp.value)
        else {
            continue;
        };
        if let Some(name) = modparam_route(module, param, text) {
            let site = (mp.file, *range, *range, mp.seq);
            let function = format!("{}.{param}", module.to_ascii_lowercase());
            b.add_edges(
                None,
                RouteTable::Request,
                &name,
                EdgeKind::Resume,
                &function,
                site,
                BlockKinds::ALL,
            );
        }
    }

    // seeds and entry points
    for (i, r) in w.routes.iter().enumerate() {
        let (table, name) = slot_of(r);
        let own = r.block_kind.map_or(BlockKinds::EMPTY, BlockKinds::only);
        let node = &mut b.graph.nodes[i];
        let by_itself = match table {
            RouteTable::Request | RouteTable::OnReply => name == "0",
            RouteTable::OnSend => true,
            RouteTable::Event => !name.starts_with("tm:branch-failure:"),
            RouteTable::Failure | RouteTable::Branch => false,
        };
        if table != RouteTable::Request || by_itself {
            node.seed = own;
        }
        node.entry = by_itself;
    }
    for e in &b.graph.edges {
        if e.kind != EdgeKind::Call {
            let n = &mut b.graph.nodes[e.callee];
            n.entry = true;
            if e.kind == EdgeKind::Resume {
                n.seed = n.seed.with(BlockKind::Request);
            }
        }
    }
    // propagate the kinds along call edges to a fixed point
    let mut queue: VecDeque<usize> = VecDeque::new();
    for (i, n) in b.graph.nodes.iter_mut().enumerate() {
        n.reached = n.seed;
        if !n.reached.is_empty() {
            queue.push_back(i);
        }
    }
    while let Some(v) = queue.pop_front() {
        let from = b.graph.nodes[v].reached;
        for k in 0..b.graph.nodes[v].callees.len() {
            let e = &b.graph.edges[b.graph.nodes[v].callees[k]];
            if e.kind != EdgeKind::Call {
                continue;
            }
            let add = intersect(from, e.guard);
            let callee = e.callee;
            let n = &mut b.graph.nodes[callee];
            if add.union(n.reached) != n.reached {
                n.reached = n.reached.union(add);
                queue.push_back(callee);
            }
        }
    }

    misuse_through_routes(w, &b.graph, &guards);
    unused_routes(w, &b);
    recursive_routes(w, &b);
    for (c, name, range) in undefined_async {
        let d = SemaDiagnostic::new(
            codes::UNDEFINED_ASYNC_ROUTE,
            c.file,
            range,
            format!(
                "`{}` names `route[{name}]`, which does not exist: Kamailio accepts it and fails when it resumes the message",
                c.name()
            ),
        )
        .with_help(format!("define it with `route[{name}] {{ ... }}`"));
        w.report(c.seq, d);
    }
    b.graph
}

// ------------------------------------------------------------ checks

fn kind_name(k: BlockKind) -> &'static str {
    match k {
        BlockKind::Request => "request_route",
        BlockKind::Failure => "failure_route",
        BlockKind::OnReplyCore => "onreply_route (unnamed or [0])",
        BlockKind::OnReplyTm => "onreply_route[NAME]",
        BlockKind::Branch => "branch_route",
        BlockKind::OnSend => "onsend_route",
        BlockKind::Event => "event_route",
    }
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// `route[A] → route[B]` for a path that starts at a block running as the
/// kind by itself.
fn path_text(w: &Walker<'_>, path: &[&Edge], target: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    match path.first().and_then(|e| e.caller) {
        Some(start) => parts.push(w.routes[start].display()),
        None => parts.push(w.routes[target].display()),
    }
    for e in path {
        parts.push(w.routes[e.callee].display());
    }
    parts.join(" → ")
}

/// A module function in a route that is reached from a block kind the
/// function does not allow: Kamailio checks a function only against the
/// block it is written in (KC105) and never follows `route()`.
fn misuse_through_routes(
    w: &mut Walker<'_>,
    g: &CallGraph,
    guards: &HashMap<(FileIdx, TextRange), BlockKinds>,
) {
    let mut found = Vec::new();
    for c in &w.calls {
        if c.is_route_kw {
            continue;
        }
        let Some(r) = c.route else { continue };
        let route = &w.routes[r];
        let Some(own) = route.block_kind else {
            continue;
        };
        let guard = guards
            .get(&(c.file, c.range))
            .copied()
            .unwrap_or(BlockKinds::ALL);
        let others: Vec<BlockKind> = intersect(g.reached_as(r), guard)
            .iter()
            .filter(|k| *k != own)
            .collect();
        if others.is_empty() || w.db.core_action(c.name()).is_some() {
            continue;
        }
        let Some(n) = c.nargs else { continue };
        let variants: Vec<&'static FunctionVariant> =
            w.db.functions(c.name())
                .iter()
                .filter(|v| v.accepts_nargs(n))
                .filter(|v| {
                    w.modules.iter().any(|m| {
                        m.loaded && m.seq < c.seq && m.module.is_some_and(|x| x.name == v.module)
                    })
                })
                .collect();
        // unknown, or already wrong where it is written: other checks say so
        if !variants.iter().any(|v| v.allowed_in.contains(own)) {
            continue;
        }
        let mut bad: Vec<BlockKind> = others
            .into_iter()
            .filter(|k| !variants.iter().any(|v| v.allowed_in.contains(*k)))
            .collect();
        // failure_route and branch_route handle the same request as
        // request_route: a test of it (a call whose result is used) gives
        // the same answer there; only actions are reported
        if bad
            .iter()
            .any(|k| matches!(k, BlockKind::Failure | BlockKind::Branch))
            && is_tested(w, c)
        {
            bad.retain(|k| !matches!(k, BlockKind::Failure | BlockKind::Branch));
        }
        if bad.is_empty() {
            continue;
        }
        found.push((c.clone(), r, bad, variants));
    }
    for (c, r, bad, variants) in found {
        let route = w.routes[r].display();
        let mut paths = Vec::new();
        let mut labels: Vec<(TextRange, String)> = Vec::new();
        for k in &bad {
            let Some(path) = g.path_as(*k, r) else {
                continue;
            };
            paths.push(path_text(w, &path, r));
            for e in path {
                if e.file == c.file && !labels.iter().any(|(rg, _)| *rg == e.range) {
                    let from = e.caller.map_or(String::new(), |x| w.routes[x].display());
                    labels.push((
                        e.range,
                        format!("{from} calls {}", w.routes[e.callee].display()),
                    ));
                }
            }
        }
        let kinds: Vec<String> = bad.iter().map(|k| kind_name(*k).to_string()).collect();
        let allowed: Vec<&str> = BlockKind::ALL
            .into_iter()
            .filter(|k| variants.iter().any(|v| v.allowed_in.contains(*k)))
            .map(kind_name)
            .collect();
        let mut d = SemaDiagnostic::new(
            codes::FUNCTION_MISUSED_THROUGH_ROUTE,
            c.file,
            c.range,
            format!(
                "`{}` cannot be used in {}, and {route} runs as {}: {}",
                c.name(),
                or_list(&kinds),
                if bad.len() == 1 { "one" } else { "those" },
                paths.join("; ")
            ),
        )
        .with_help(format!(
            "it is allowed in: {}. Kamailio checks {route} only as a request route and accepts this; \
             move the call out of {route}, call {route} only from blocks that allow it, \
             or test the block kind first (e.g. `if (t_is_request_route())`, `if (is_request())`)",
            allowed.join(", ")
        ));
        for (rg, m) in labels {
            d = d.with_label(rg, m);
        }
        w.report(c.seq, d);
    }
}

/// Whether the result of a call is used (in a condition, an expression or
/// an assignment) rather than the call being a statement of its own.
fn is_tested(w: &Walker<'_>, c: &CallSite) -> bool {
    let root = w.files[c.file.0].parse.syntax_node();
    let node = match root.covering_element(c.range) {
        kcfg_syntax::SyntaxElement::Node(n) => n,
        kcfg_syntax::SyntaxElement::Token(t) => match t.parent() {
            Some(p) => p,
            None => return false,
        },
    };
    let node = node
        .ancestors()
        .find(|n| n.kind() == SyntaxKind::CALL && n.text_range() == c.range);
    node.and_then(|n| n.parent())
        .is_some_and(|p| p.kind() != SyntaxKind::EXPR_STMT)
}

fn arm_function(table: RouteTable, name: &str) -> Option<(&'static str, &str)> {
    match table {
        RouteTable::Failure => Some(("t_on_failure", name)),
        RouteTable::OnReply => Some(("t_on_reply", name)),
        RouteTable::Branch => Some(("t_on_branch", name)),
        RouteTable::Event => name
            .strip_prefix("tm:branch-failure:")
            .map(|n| ("t_on_branch_failure", n)),
        _ => None,
    }
}

/// Which of `names` are mentioned as strings anywhere: a string argument
/// of a function (not `route()`) or one of its words, a word of a modparam
/// value (another module may run the route: the unused-route check does
/// not guess). One pass over the arguments, without copying their words.
fn mentioned<'n>(w: &Walker<'_>, names: &HashSet<&'n str>) -> HashSet<&'n str> {
    let mut hit: HashSet<&'n str> = HashSet::default();
    if names.is_empty() {
        return hit;
    }
    // a few names: a string that holds none of them is not split (most
    // strings; `contains` is a vectorised search)
    let few: Option<Vec<&str>> = (names.len() <= 8).then(|| names.iter().copied().collect());
    // the words of `s` (and `s` itself when `whole`) that are names
    let words = |s: &str, whole: bool, hit: &mut HashSet<&'n str>| {
        if few
            .as_ref()
            .is_some_and(|few| !few.iter().any(|n| s.contains(n)))
        {
            return;
        }
        let split = s.split(|ch: char| !(ch.is_alphanumeric() || "_-.".contains(ch)));
        hit.extend(
            split
                .filter(|t| !t.is_empty())
                .filter_map(|t| names.get(t).copied()),
        );
        if let Some(n) = names.get(s).filter(|_| whole) {
            hit.insert(n);
        }
    };
    for c in &w.calls {
        if c.is_route_kw {
            continue;
        }
        for (arg, _) in c.args() {
            if let Some(Const::Str(s) | Const::Ident(s)) = arg {
                words(s, true, &mut hit);
            }
        }
    }
    for mp in &w.modparams {
        let (Some(_), Some(_), Some((_, text, _))) = (&mp.module, &mp.param, &mp.value) else {
            continue;
        };
        words(text, false, &mut hit);
    }
    hit
}

/// Route blocks that nothing names: no `route()` call, no `t_on_*`, no
/// async function, no string that mentions the name, and no entry point.
/// Not checked for a table that a call names with an expression
/// (`route($var(r))`), nor in a config without `request_route`.
fn unused_routes(w: &mut Walker<'_>, b: &Builder) {
    // a file without `request_route` is a fragment meant to be included:
    // whether its routes are used is decided by the config that includes it
    if b.slots.get(RouteTable::Request, "0").is_none() {
        return;
    }
    // a route that an undefined name was probably meant for ("did you
    // mean") is reported there, not again as unused
    let mut meant: HashSet<(RouteTable, &str)> = HashSet::default();
    for (table, name) in &b.undefined {
        if name.chars().count() < 3 {
            continue;
        }
        let names = b.slots.names(*table);
        if let Some(s) = kcfg_modules::suggest(name, names) {
            meant.insert((*table, s));
        }
    }
    let mut keys: Vec<(RouteTable, &str, &Vec<usize>)> = b.slots.iter().collect();
    keys.sort_by_key(|(_, _, v)| v[0]);
    let mut found = Vec::new();
    let mut candidates = Vec::new();
    for (table, name, routes) in keys {
        let first = routes[0];
        if routes.iter().any(|&r| b.graph.nodes[r].entry)
            || b.dynamic_tables.contains(&table)
            || (table == RouteTable::Event && !name.starts_with("tm:branch-failure:"))
            || matches!(table, RouteTable::OnSend)
            || name == "0"
        {
            continue;
        }
        let called = routes.iter().any(|&r| {
            b.graph.nodes[r]
                .callers
                .iter()
                .any(|&e| b.graph.edges[e].caller != Some(r))
        });
        let short = name.strip_prefix("tm:branch-failure:").unwrap_or(name);
        if called || meant.contains(&(table, name)) {
            continue;
        }
        candidates.push((first, table, name, short));
    }
    // routes mentioned as strings anywhere are not reported
    let names: HashSet<&str> = candidates
        .iter()
        .flat_map(|(_, _, name, short)| [*name, *short])
        .collect();
    let mentions = mentioned(w, &names);
    for (first, table, name, short) in candidates {
        if mentions.contains(name) || mentions.contains(short) {
            continue;
        }
        found.push((first, table, name.to_string()));
    }
    for (first, table, name) in found {
        let r = &w.routes[first];
        let (message, help) = match arm_function(table, &name) {
            Some((f, n)) => (
                format!(
                    "{} is never used: no `{f}(\"{n}\")` arms it, so tm never runs it",
                    r.display()
                ),
                format!("remove it, or arm it with `{f}(\"{n}\");` before the request is relayed"),
            ),
            None => (
                format!(
                    "{} is never used: no `route({name})` calls it, and Kamailio does not run it by itself",
                    r.display()
                ),
                format!("remove it, or call it with `route({name});`"),
            ),
        };
        let d =
            SemaDiagnostic::new(codes::UNUSED_ROUTE, r.file, r.head_range, message).with_help(help);
        let seq = w.route_seqs[first];
        w.report(seq, d);
    }
}

/// Routes that call themselves through `route()`: Kamailio accepts it and
/// at run time drops the message once the nesting passes
/// `max_recursive_level`.
fn recursive_routes(w: &mut Walker<'_>, b: &Builder) {
    let g = &b.graph;
    let mut found = Vec::new();
    for comp in g.cycles() {
        let start = comp[0];
        let members: HashSet<usize> = comp.iter().copied().collect();
        // the shortest cycle through `start`, by breadth-first search
        let mut via: HashMap<usize, usize> = HashMap::default();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(v) = queue.pop_front() {
            for &e in &g.nodes[v].callees {
                let edge = &g.edges[e];
                if edge.kind != EdgeKind::Call || !members.contains(&edge.callee) {
                    continue;
                }
                if edge.callee == start {
                    closing = Some(e);
                    break 'search;
                }
                if let std::collections::hash_map::Entry::Vacant(s) = via.entry(edge.callee) {
                    s.insert(e);
                    queue.push_back(edge.callee);
                }
            }
        }
        let Some(closing) = closing else { continue };
        let mut path = vec![closing];
        let mut cur = g.edges[closing].caller.unwrap_or(start);
        while cur != start {
            let Some(&e) = via.get(&cur) else { break };
            path.push(e);
            cur = g.edges[e].caller.unwrap_or(start);
        }
        path.reverse();
        found.push((start, path));
    }
    for (start, path) in found {
        let closing = &g.edges[*path.last().expect("a cycle has an edge")];
        let mut names = vec![w.routes[start].display()];
        names.extend(path.iter().map(|&e| w.routes[g.edges[e].callee].display()));
        let message = if path.len() == 1 {
            format!("{} calls itself", w.routes[start].display())
        } else {
            format!(
                "{} calls itself through other routes: {}",
                w.routes[start].display(),
                names.join(" → ")
            )
        };
        let mut d = SemaDiagnostic::new(
            codes::RECURSIVE_ROUTE,
            closing.file,
            closing.range,
            message,
        )
        .with_help(
            "Kamailio accepts recursion, but drops the message once route() calls nest deeper than \
             `max_recursive_level`; make sure the recursion ends, or use a `while` loop",
        );
        for &e in &path[..path.len() - 1] {
            let edge = &g.edges[e];
            if edge.file == closing.file {
                d = d.with_label(edge.range, "part of the cycle");
            }
        }
        let seq = b.edge_seq[*path.last().expect("a cycle has an edge")];
        w.report(seq, d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The routes KC131 (unused route) reports in `text`.
    fn unused(text: &str) -> Vec<String> {
        let m = crate::Model::build(
            "k.cfg",
            text,
            &crate::MemoryLoader::new(),
            &crate::SemaOptions::default(),
        );
        m.diagnostics
            .iter()
            .filter(|d| d.code == codes::UNUSED_ROUTE)
            .map(|d| d.message.clone())
            .collect()
    }

    #[test]
    fn a_route_named_in_a_string_or_modparam_is_not_unused() {
        let head = "loadmodule \"tm.so\"\nloadmodule \"xlog.so\"\n";
        let body = "request_route {\n\txlog(\"L_INFO\", \"$ru\\n\");\n}\n";
        let routes = "route[A] {\n\texit;\n}\nroute[B] {\n\texit;\n}\n";
        // nothing names them: both reported
        let both = unused(&format!("{head}{body}{routes}"));
        assert_eq!(both.len(), 2, "{both:?}");
        for (mention, left) in [
            // a whole string argument, a word of one, a word of a modparam value
            ("\txlog(\"L_INFO\", \"A\");\n", "route[B] "),
            ("\txlog(\"L_INFO\", \"go to B now\");\n", "route[A] "),
            ("", "route[B] "),
        ] {
            let modparam = if mention.is_empty() {
                "modparam(\"tm\", \"fr_timer_avp\", \"x;A y\")\n"
            } else {
                ""
            };
            let text = format!(
                "{head}{modparam}request_route {{\n{mention}\txlog(\"L_INFO\", \"x\");\n}}\n{routes}"
            );
            let found = unused(&text);
            assert_eq!(found.len(), 1, "{text}\n{found:?}");
            assert!(found[0].contains(left), "{text}\n{found:?}");
        }
    }

    #[test]
    fn route_naming_functions_exist_in_the_knowledge_base() {
        for v in kcfg_modules::KamailioVersion::ALL {
            let db = kcfg_modules::db(v);
            for r in ROUTE_ARGS {
                let f = db.functions(r.function);
                assert!(
                    f.iter().any(|x| x.module == r.module
                        && x.nparams.is_some_and(|n| usize::from(n) > r.arg)),
                    "{v:?}: {}",
                    r.function
                );
            }
            for g in [
                "is_request",
                "is_reply",
                "t_is_request_route",
                "t_is_failure_route",
                "t_is_branch_route",
                "t_is_reply_route",
            ] {
                assert!(!db.functions(g).is_empty(), "{g}");
                assert!(guard_function(g).is_some());
            }
        }
    }

    #[test]
    fn modparam_routes() {
        assert_eq!(
            modparam_route("rtimer", "exec", "\"timer=t1;route=TIMER\""),
            Some("TIMER".into())
        );
        assert_eq!(
            modparam_route("timer", "declare_timer", "\"t1=TROUTE,1000,fast,enable\""),
            Some("TROUTE".into())
        );
        assert_eq!(
            modparam_route("rtimer", "timer", "\"name=t1;interval=1\""),
            None
        );
        assert_eq!(modparam_route("tm", "exec", "\"route=X\""), None);
    }

    #[test]
    fn tarjan_finds_cycles_iteratively() {
        // 0 → 1 → 2 → 0, 3 → 3, 4 → 5
        let succ = |v: usize| {
            match v {
                0 => vec![1],
                1 => vec![2],
                2 => vec![0],
                3 => vec![3],
                4 => vec![5],
                _ => vec![],
            }
            .into_iter()
        };
        let mut comps: Vec<Vec<usize>> = Vec::new();
        tarjan(6, succ, |c| {
            let mut c = c.to_vec();
            c.sort();
            comps.push(c);
        });
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1, 2], vec![3], vec![4], vec![5]]);
        // a long chain: one component per node, the last node's first
        let n = 100_000;
        let mut comps = Vec::new();
        tarjan(n, |v| (v + 1..n).take(1), |c| comps.push(c.to_vec()));
        assert_eq!(comps.len(), n);
        assert_eq!(comps[0], vec![n - 1]);
    }
}
