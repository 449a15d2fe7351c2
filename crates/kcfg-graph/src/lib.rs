//! The route call graph of a config ([`kcfg_sema::Model::call_graph`]) as
//! Graphviz DOT, a Mermaid flowchart, or SVG.
//!
//! Nodes are the route blocks. Edges are the places that name a route:
//! `route(X)` (solid), tm's `t_on_failure`/`t_on_reply`/`t_on_branch`/
//! `t_on_branch_failure` (dashed, "arm": tm runs the route later) and
//! async resumes (`async_route`, `t_continue`, rtimer's `exec`, …; dashed).
//! Several calls of the same kind between the same two routes are drawn as
//! one edge with a count. A modparam that names a route (rtimer, timer) is
//! a node of its own.
//!
//! Roots are the routes Kamailio runs by itself: `request_route`, the core
//! reply route, `onsend_route`, event routes, and routes a modparam names.
//! A route no path from a root reaches is *unreachable* (red, dashed
//! border). When a call names routes of a table with an expression
//! (`route($var(r))`), no route of that table is marked unreachable, and
//! the call is drawn to a `?` node. Nor is a route whose name a string
//! mentions (`"NAME"`): a module function kcfg does not know as a route
//! runner may run it (IMS's `assign_server_unreg("ROUTE", ...)`), as the
//! unused-route check (KC131) also assumes.
//!
//! SVG is laid out by `layout-rs` (pure Rust), so no Graphviz is needed.
//! **Coverage** colouring (which routes a `kcfg run`/`kcfg test` executed)
//! is designed as [`Coverage`] but cannot be filled yet: kcfg has no
//! runtime.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt::Write as _;

use kcfg_sema::{EdgeKind, Model, RouteTable};

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// `request_route`, core `reply_route`/`onreply_route`, `onsend_route`
    Entry,
    /// `event_route[...]`
    Event,
    /// `failure_route`, `branch_route`, named `onreply_route`: armed by tm
    Armed,
    /// `route[NAME]`
    Sub,
    /// a modparam naming a route (`rtimer.exec`)
    ModParam,
    /// the unknown target of `route($var(x))`
    Dynamic,
}

/// A node of the drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Stable id (`r3`, `m0`, `dyn`).
    pub id: String,
    /// `request_route`, `route[RELAY]`, `modparam rtimer.exec`.
    pub label: String,
    /// Its kind.
    pub kind: NodeKind,
    /// Reached from a root (always true for roots).
    pub reachable: bool,
    /// `file:line` of the block.
    pub location: Option<String>,
}

/// An edge of the drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// Node id of the caller.
    pub from: String,
    /// Node id of the route named.
    pub to: String,
    /// How it is reached.
    pub kind: EdgeKind,
    /// The function (`route`, `t_on_failure`, `async_route`).
    pub function: String,
    /// How many call sites this edge stands for.
    pub count: usize,
}

/// The call graph prepared for drawing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteGraph {
    /// Nodes in document order (modparam and dynamic nodes last).
    pub nodes: Vec<Node>,
    /// Edges in the order of their first call site.
    pub edges: Vec<GraphEdge>,
}

/// Which routes a run executed (from a `kcfg run`/`kcfg test` report).
///
/// Not produced by anything yet: kcfg has no runtime. When it has one,
/// [`RouteGraph::with_coverage`] is where the colouring is to go.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Labels of the routes that ran (`route[RELAY]`).
    pub executed: HashSet<String>,
}

/// The reason `--coverage` is refused.
pub const COVERAGE_UNAVAILABLE: &str = "coverage colouring needs a coverage report of `kcfg run`/`kcfg test`, and kcfg has no runtime yet (see the open issue for the reference runtime); no graph is coloured by coverage";

impl RouteGraph {
    /// Build the drawing of `model`'s call graph.
    pub fn from_model(model: &Model) -> RouteGraph {
        let g = model.call_graph();
        let routes = &model.routes;
        let mut nodes: Vec<Node> = routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let kind = match r.table {
                    RouteTable::Event => NodeKind::Event,
                    RouteTable::Failure | RouteTable::Branch => NodeKind::Armed,
                    RouteTable::OnReply if r.name.as_deref().is_some_and(|n| n != "0") => {
                        NodeKind::Armed
                    }
                    RouteTable::Request if r.name.as_deref().is_some_and(|n| n != "0") => {
                        NodeKind::Sub
                    }
                    _ => NodeKind::Entry,
                };
                let f = model.file(r.file);
                Node {
                    id: format!("r{i}"),
                    label: r.display(),
                    kind,
                    reachable: false,
                    location: Some(format!("{}:{}", f.path.display(), f.line_of(r.range))),
                }
            })
            .collect();

        // roots: what Kamailio runs by itself, and what a modparam names
        let mut roots: Vec<usize> = Vec::new();
        let mut modparam_nodes: BTreeMap<String, String> = BTreeMap::new();
        let mut edges: Vec<GraphEdge> = Vec::new();
        let add_edge = |edges: &mut Vec<GraphEdge>,
                        from: String,
                        to: String,
                        kind: EdgeKind,
                        function: &str| {
            if let Some(e) = edges
                .iter_mut()
                .find(|e| e.from == from && e.to == to && e.kind == kind && e.function == function)
            {
                e.count += 1;
            } else {
                edges.push(GraphEdge {
                    from,
                    to,
                    kind,
                    function: function.to_string(),
                    count: 1,
                });
            }
        };
        for (i, n) in nodes.iter().enumerate() {
            let tm_branch_failure = routes[i]
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("tm:branch-failure:"));
            if (n.kind == NodeKind::Entry || n.kind == NodeKind::Event) && !tm_branch_failure {
                roots.push(i);
            }
        }
        for e in g.edges() {
            let from = match e.caller {
                Some(c) => format!("r{c}"),
                None => {
                    let next = modparam_nodes.len();
                    let id = modparam_nodes
                        .entry(e.function.clone())
                        .or_insert_with(|| format!("m{next}"))
                        .clone();
                    roots.push(e.callee);
                    id
                }
            };
            add_edge(
                &mut edges,
                from,
                format!("r{}", e.callee),
                e.kind,
                &e.function,
            );
        }
        let dynamic_tables: HashSet<RouteTable> =
            g.dynamic_calls().iter().map(|d| d.table).collect();
        for d in g.dynamic_calls() {
            if let Some(c) = d.caller {
                add_edge(
                    &mut edges,
                    format!("r{c}"),
                    "dyn".to_string(),
                    EdgeKind::Call,
                    &d.function,
                );
            }
        }

        // reachability along every edge
        let mut seen = vec![false; routes.len()];
        let mut queue: VecDeque<usize> = roots.into_iter().collect();
        while let Some(r) = queue.pop_front() {
            if std::mem::replace(&mut seen[r], true) {
                continue;
            }
            for e in g.callees(r) {
                if !seen[e.callee] {
                    queue.push_back(e.callee);
                }
            }
        }
        // a route whose name a string mentions may be run by a module function kcfg does not
        // know as a route runner (IMS's `assign_server_unreg("ROUTE", ...)`): not marked
        let mentioned = |name: &str| {
            model.files.iter().any(|f| {
                f.text.contains(&format!("\"{name}\"")) || f.text.contains(&format!("'{name}'"))
            })
        };
        for (i, n) in nodes.iter_mut().enumerate() {
            n.reachable = seen[i]
                || dynamic_tables.contains(&routes[i].table)
                || routes[i].name.as_deref().is_some_and(mentioned);
        }
        for (function, id) in &modparam_nodes {
            nodes.push(Node {
                id: id.clone(),
                label: format!("modparam {function}"),
                kind: NodeKind::ModParam,
                reachable: true,
                location: None,
            });
        }
        if edges.iter().any(|e| e.to == "dyn") {
            nodes.push(Node {
                id: "dyn".to_string(),
                label: "? (route named by an expression)".to_string(),
                kind: NodeKind::Dynamic,
                reachable: true,
                location: None,
            });
        }
        RouteGraph { nodes, edges }
    }

    /// Colour by coverage. Always an error today: see [`COVERAGE_UNAVAILABLE`].
    pub fn with_coverage(self, _coverage: &Coverage) -> Result<RouteGraph, String> {
        Err(COVERAGE_UNAVAILABLE.to_string())
    }

    /// The routes no root reaches.
    pub fn unreachable(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| !n.reachable)
    }

    fn edge_label(e: &GraphEdge) -> String {
        let mut l = if e.kind == EdgeKind::Call && e.function == "route" {
            String::new()
        } else {
            e.function.clone()
        };
        if e.count > 1 {
            if !l.is_empty() {
                l.push(' ');
            }
            let _ = write!(l, "×{}", e.count);
        }
        l
    }

    /// Graphviz DOT.
    pub fn to_dot(&self) -> String {
        self.dot(false)
    }

    /// DOT; `for_layout`: for layout-rs, which draws no tooltips and shows
    /// `\n` literally (unreachable routes get a light red fill instead).
    fn dot(&self, for_layout: bool) -> String {
        let mut s = String::from("digraph routes {\n    rankdir=LR;\n    node [shape=box, fontsize=12];\n    edge [fontsize=10];\n");
        for n in &self.nodes {
            let fill = match n.kind {
                _ if !n.reachable && for_layout => "mistyrose",
                NodeKind::Entry => "lightblue",
                NodeKind::Event => "lightyellow",
                NodeKind::Armed => "lightgreen",
                NodeKind::Sub | NodeKind::Dynamic => "white",
                NodeKind::ModParam => "lightgray",
            };
            let mut label = dot_escape(&n.label);
            if !n.reachable {
                label.push_str(if for_layout {
                    " (unreachable)"
                } else {
                    "\\n(unreachable)"
                });
            }
            let _ = write!(
                s,
                "    {} [label=\"{label}\", style=filled, fillcolor={fill}",
                n.id
            );
            if !n.reachable {
                s.push_str(", color=red, fontcolor=red");
            }
            if let (Some(loc), false) = (&n.location, for_layout) {
                let _ = write!(s, ", tooltip=\"{}\"", dot_escape(loc));
            }
            s.push_str("];\n");
        }
        for e in &self.edges {
            let _ = write!(s, "    {} -> {}", e.from, e.to);
            let label = Self::edge_label(e);
            let mut attrs = Vec::new();
            if !label.is_empty() {
                attrs.push(format!("label=\"{}\"", dot_escape(&label)));
            }
            if e.kind != EdgeKind::Call {
                attrs.push("style=dashed".to_string());
            }
            if !attrs.is_empty() {
                let _ = write!(s, " [{}]", attrs.join(", "));
            }
            s.push_str(";\n");
        }
        s.push_str("}\n");
        s
    }

    /// A Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let mut s = String::from("flowchart LR\n");
        for n in &self.nodes {
            let mut label = mermaid_escape(&n.label);
            if !n.reachable {
                label.push_str("<br/>(unreachable)");
            }
            let _ = writeln!(s, "    {}[\"{}\"]", n.id, label);
        }
        for e in &self.edges {
            let arrow = if e.kind == EdgeKind::Call {
                "-->"
            } else {
                "-.->"
            };
            let label = Self::edge_label(e);
            if label.is_empty() {
                let _ = writeln!(s, "    {} {arrow} {}", e.from, e.to);
            } else {
                let _ = writeln!(
                    s,
                    "    {} {arrow}|\"{}\"| {}",
                    e.from,
                    mermaid_escape(&label),
                    e.to
                );
            }
        }
        s.push_str("    classDef entry fill:#add8e6,stroke:#333\n");
        s.push_str("    classDef event fill:#ffffe0,stroke:#333\n");
        s.push_str("    classDef armed fill:#90ee90,stroke:#333\n");
        s.push_str("    classDef unreachable stroke:#f00,color:#f00,stroke-dasharray:4 2\n");
        for (class, pred) in [
            ("entry", NodeKind::Entry),
            ("event", NodeKind::Event),
            ("armed", NodeKind::Armed),
        ] {
            let ids: Vec<&str> = self
                .nodes
                .iter()
                .filter(|n| n.kind == pred && n.reachable)
                .map(|n| n.id.as_str())
                .collect();
            if !ids.is_empty() {
                let _ = writeln!(s, "    class {} {class}", ids.join(","));
            }
        }
        let ids: Vec<&str> = self.unreachable().map(|n| n.id.as_str()).collect();
        if !ids.is_empty() {
            let _ = writeln!(s, "    class {} unreachable", ids.join(","));
        }
        s
    }

    /// SVG, laid out by `layout-rs` (no Graphviz needed).
    pub fn to_svg(&self) -> Result<String, String> {
        render_svg(&self.dot(true))
    }
}

/// Lay out a DOT graph with `layout-rs` and render it as SVG.
pub fn render_svg(dot: &str) -> Result<String, String> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let dot = dot.to_string();
    // layout-rs asserts on inputs it does not handle; never let that abort kcfg
    std::panic::catch_unwind(move || {
        let mut parser = DotParser::new(&dot);
        let tree = parser
            .process()
            .map_err(|e| format!("layout-rs cannot read the graph: {e}"))?;
        let mut gb = GraphBuilder::new();
        gb.visit_graph(&tree);
        let mut vg = gb.get();
        if vg.num_nodes() == 0 {
            return Ok(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"0\" height=\"0\"></svg>\n"
                    .to_string(),
            );
        }
        let mut svg = SVGWriter::new();
        vg.do_it(false, false, false, &mut svg);
        Ok(svg.finalize())
    })
    .unwrap_or_else(|_| {
        Err(
            "the SVG layout failed (layout-rs panicked); use --format dot with Graphviz"
                .to_string(),
        )
    })
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('[', "#91;")
        .replace(']', "#93;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kcfg_sema::{MemoryLoader, SemaOptions};

    fn graph(text: &str) -> RouteGraph {
        let m = Model::build("k.cfg", text, &MemoryLoader::new(), &SemaOptions::default());
        RouteGraph::from_model(&m)
    }

    const CFG: &str = "loadmodule \"tm.so\"\n\
        request_route {\n\troute(A);\n\troute(A);\n\tt_on_failure(\"F\");\n\tt_relay();\n}\n\
        route[A] {\n\tdrop;\n}\n\
        route[DEAD] {\n\troute(DEAD2);\n}\n\
        route[DEAD2] {\n\tdrop;\n}\n\
        failure_route[F] {\n\troute(A);\n}\n\
        event_route[tm:local-request] {\n\tdrop;\n}\n";

    #[test]
    fn nodes_edges_and_reachability() {
        let g = graph(CFG);
        let label = |id: &str| g.nodes.iter().find(|n| n.id == id).unwrap().label.clone();
        let unreachable: Vec<String> = g.unreachable().map(|n| n.label.clone()).collect();
        assert_eq!(unreachable, ["route[DEAD]", "route[DEAD2]"]);
        let e: Vec<(String, String, EdgeKind, usize)> = g
            .edges
            .iter()
            .map(|e| (label(&e.from), label(&e.to), e.kind, e.count))
            .collect();
        assert!(e.contains(&("request_route".into(), "route[A]".into(), EdgeKind::Call, 2)));
        assert!(e.contains(&(
            "request_route".into(),
            "failure_route[F]".into(),
            EdgeKind::Arm,
            1
        )));
        assert!(e.contains(&(
            "failure_route[F]".into(),
            "route[A]".into(),
            EdgeKind::Call,
            1
        )));
        assert!(e.contains(&(
            "route[DEAD]".into(),
            "route[DEAD2]".into(),
            EdgeKind::Call,
            1
        )));
    }

    #[test]
    fn dynamic_route_names_keep_routes_reachable() {
        let g = graph("request_route {\n\troute($var(x));\n}\nroute[X] {\n\tdrop;\n}\n");
        assert_eq!(g.unreachable().count(), 0);
        assert!(g.nodes.iter().any(|n| n.kind == NodeKind::Dynamic));
    }

    #[test]
    fn routes_named_in_strings_are_not_marked() {
        let g = graph("request_route {\n\tsome_async(\"LATER\");\n}\nroute[LATER] {\n\tdrop;\n}\n");
        assert_eq!(g.unreachable().count(), 0);
    }

    #[test]
    fn formats() {
        let g = graph(CFG);
        let dot = g.to_dot();
        assert!(dot.contains("label=\"t_on_failure\", style=dashed"));
        assert!(
            dot.contains("route[DEAD]\\n(unreachable)\", style=filled, fillcolor=white, color=red")
        );
        let mm = g.to_mermaid();
        assert!(mm.starts_with("flowchart LR\n"));
        assert!(mm.contains("-.->|\"t_on_failure\"|"));
        let svg = g.to_svg().unwrap();
        assert!(svg.contains("<svg") && svg.contains("route[DEAD2] (unreachable)"));
    }

    #[test]
    fn coverage_is_not_faked() {
        let g = graph(CFG);
        assert!(g.with_coverage(&Coverage::default()).is_err());
    }
}
