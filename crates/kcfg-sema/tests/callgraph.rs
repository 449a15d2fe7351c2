//! The route call graph (`Model::call_graph`) and its checks: KC130
//! (function misused through a sub-route), KC131 (unused route), KC132
//! (recursive routes), KC133 (async function naming an undefined route).
//! That real Kamailio 5.6.3 accepts and starts the configs these checks
//! report is shown by the `graph_*` cases of `common::CASES`, which
//! `differential.rs` runs against it.

use kcfg_sema::{
    BlockKind, BlockKinds, EdgeKind, KamailioVersion, MemoryLoader, Model, RouteTable, SemaOptions,
};

fn build(text: &str) -> Model {
    let opts = SemaOptions {
        version: KamailioVersion::V6_0,
        ..Default::default()
    };
    Model::build("/cfg/kamailio.cfg", text, &MemoryLoader::new(), &opts)
}

fn route(m: &Model, table: RouteTable, name: Option<&str>) -> usize {
    m.routes
        .iter()
        .position(|r| r.table == table && r.name.as_deref() == name)
        .unwrap_or_else(|| panic!("no {table:?} {name:?}"))
}

fn codes(m: &Model) -> Vec<(&'static str, u32)> {
    m.diagnostics
        .iter()
        .map(|d| (d.code, m.file(d.file).line_of(d.range)))
        .collect()
}

const MODULES: &str = "loadmodule \"pv.so\"\nloadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"tmx.so\"\nloadmodule \"siputils.so\"\nloadmodule \"cfgutils.so\"\nloadmodule \"async.so\"\n";

#[test]
fn nodes_edges_and_kinds() {
    let text = format!(
        "{MODULES}\
route[RELAY] {{
\tt_on_failure(\"F\");
\tt_on_reply(\"R\");
\tt_on_branch(\"B\");
\tt_on_branch_failure(\"BF\");
\tt_relay();
}}
route[LOG] {{
\txlog(\"x\");
}}
failure_route[F] {{
\troute(LOG);
\troute_if_exists(\"RELAY\");
}}
onreply_route[R] {{
\troute(LOG);
}}
branch_route[B] {{
\tdrop;
}}
event_route[tm:branch-failure:BF] {{
\tdrop;
}}
event_route[htable:mod-init] {{
\tdrop;
}}
onsend_route {{
\tdrop;
}}
reply_route {{
\tdrop;
}}
request_route {{
\troute(RELAY);
\t$var(r) = \"LOG\";
\troute($var(r));
\tasync_route(\"RESUME\", \"1\");
}}
route[RESUME] {{
\troute(LOG);
}}
"
    );
    let m = build(&text);
    let g = m.call_graph();
    let relay = route(&m, RouteTable::Request, Some("RELAY"));
    let log = route(&m, RouteTable::Request, Some("LOG"));
    let f = route(&m, RouteTable::Failure, Some("F"));
    let r = route(&m, RouteTable::OnReply, Some("R"));
    let b = route(&m, RouteTable::Branch, Some("B"));
    let bf = route(&m, RouteTable::Event, Some("tm:branch-failure:BF"));
    let ev = route(&m, RouteTable::Event, Some("htable:mod-init"));
    let onsend = route(&m, RouteTable::OnSend, None);
    let reply = route(&m, RouteTable::OnReply, None);
    let main = route(&m, RouteTable::Request, None);
    let resume = route(&m, RouteTable::Request, Some("RESUME"));

    // entry points
    let mut entries: Vec<usize> = g.entries().collect();
    entries.sort_unstable();
    let mut want = vec![f, r, b, bf, ev, onsend, reply, main, resume];
    want.sort_unstable();
    assert_eq!(entries, want);
    assert!(!g.is_entry(relay) && !g.is_entry(log));

    // edges out of RELAY: four arms
    let arms: Vec<(&str, usize)> = g
        .callees(relay)
        .map(|e| (e.function.as_str(), e.callee))
        .collect();
    assert_eq!(
        arms,
        [
            ("t_on_failure", f),
            ("t_on_reply", r),
            ("t_on_branch", b),
            ("t_on_branch_failure", bf)
        ]
    );
    assert!(g.callees(relay).all(|e| e.kind == EdgeKind::Arm));
    // route_if_exists is a call: RELAY runs as a failure route too
    let back = g.callers(relay).find(|e| e.caller == Some(f)).unwrap();
    assert_eq!(back.kind, EdgeKind::Call);
    assert_eq!(back.function, "route_if_exists");
    assert_eq!(
        g.reached_as(relay),
        BlockKinds::only(BlockKind::Request).with(BlockKind::Failure)
    );
    // LOG: from the failure route, the tm reply route and RESUME (a request route)
    assert_eq!(
        g.reached_as(log),
        [BlockKind::Request, BlockKind::Failure, BlockKind::OnReplyTm]
            .into_iter()
            .collect::<BlockKinds>()
    );
    let callers: Vec<Option<usize>> = g.callers(log).map(|e| e.caller).collect();
    assert_eq!(callers, [Some(f), Some(r), Some(resume)]);
    // async_route resumes RESUME as a request route
    let e = g.callers(resume).next().unwrap();
    assert_eq!((e.kind, e.caller), (EdgeKind::Resume, Some(main)));
    assert_eq!(g.reached_as(resume), BlockKinds::only(BlockKind::Request));
    // the route call with an expression
    assert_eq!(g.dynamic_calls().len(), 1);
    assert_eq!(g.dynamic_calls()[0].table, RouteTable::Request);
    // paths
    let p = g.path_as(BlockKind::OnReplyTm, log).unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].caller, Some(r));
    assert!(g.path_as(BlockKind::Branch, log).is_none());
    assert!(g.path_as(BlockKind::Failure, f).unwrap().is_empty());
    assert!(g.cycles().is_empty());
    // the edges name their call sites
    let e = g
        .edges()
        .iter()
        .find(|e| e.function == "t_on_failure")
        .unwrap();
    assert_eq!(&m.file(e.file).text[e.name_range], "\"F\"");
    assert_eq!(&m.file(e.file).text[e.range], "t_on_failure(\"F\")");
    assert_eq!(e.guard, BlockKinds::ALL);
    // a clean config: no KC13x
    assert!(
        codes(&m).iter().all(|(c, _)| !c.starts_with("KC13")),
        "{:#?}",
        m.diagnostics
    );
}

#[test]
fn misuse_through_a_chain_says_the_path() {
    let text = format!(
        "{MODULES}\
failure_route[F] {{
\troute(A);
}}
route[A] {{
\troute(B);
}}
route[B] {{
\tsl_send_reply(\"500\", \"x\");
}}
request_route {{
\tt_on_failure(\"F\");
\troute(B);
\tt_relay();
}}
"
    );
    let m = build(&text);
    assert_eq!(codes(&m), [("KC130", 15)]);
    let d = &m.diagnostics[0];
    assert_eq!(d.severity, kcfg_sema::Severity::Warning);
    assert_eq!(
        d.message,
        "`sl_send_reply` cannot be used in failure_route, and route[B] runs as one: failure_route[F] → route[A] → route[B]"
    );
    let help = d.help.as_deref().unwrap();
    assert!(
        help.contains("it is allowed in: request_route, event_route"),
        "{help}"
    );
    // labels on the two route() calls of the path
    let labels: Vec<(&str, &str)> = d
        .labels
        .iter()
        .map(|(r, l)| (&m.file(d.file).text[*r], l.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            ("route(A)", "failure_route[F] calls route[A]"),
            ("route(B)", "route[A] calls route[B]")
        ]
    );
}

#[test]
fn misuse_from_several_kinds_is_one_finding() {
    let text = format!(
        "{MODULES}\
failure_route[F] {{
\troute(X);
}}
branch_route[B] {{
\troute(X);
}}
route[X] {{
\tsl_send_reply(\"500\", \"x\");
}}
request_route {{
\tt_on_failure(\"F\");
\tt_on_branch(\"B\");
\tt_relay();
}}
"
    );
    let m = build(&text);
    assert_eq!(codes(&m), [("KC130", 15)]);
    assert!(
        m.diagnostics[0]
            .message
            .starts_with("`sl_send_reply` cannot be used in failure_route or branch_route, and route[X] runs as those: failure_route[F] → route[X]; branch_route[B] → route[X]"),
        "{}",
        m.diagnostics[0].message
    );
}

/// route[X] reached from a failure route, a tm reply route and a branch
/// route, with the call under `cond`: which kinds are reported.
fn guarded(cond: &str, call: &str) -> Vec<&'static str> {
    let text = format!(
        "{MODULES}\
failure_route[F] {{
\troute(X);
}}
onreply_route[R] {{
\troute(X);
}}
branch_route[B] {{
\troute(X);
}}
route[X] {{
\tif ({cond}) {{
\t\t{call};
\t}}
}}
request_route {{
\tt_on_failure(\"F\");
\tt_on_reply(\"R\");
\tt_on_branch(\"B\");
\tt_relay();
}}
"
    );
    let m = build(&text);
    let Some(d) = m.diagnostics.iter().find(|d| d.code == "KC130") else {
        return Vec::new();
    };
    let kinds = d.message.split(", and ").next().unwrap();
    ["failure_route", "onreply_route[NAME]", "branch_route"]
        .into_iter()
        .filter(|k| kinds.contains(k))
        .collect()
}

#[test]
fn conditions_that_tell_the_block_kind() {
    let reply = "sl_send_reply(\"500\", \"x\")";
    let all = ["failure_route", "onreply_route[NAME]", "branch_route"];
    assert_eq!(guarded("$rU == \"a\"", reply), all);
    assert_eq!(guarded("t_is_request_route()", reply), Vec::<&str>::new());
    assert_eq!(guarded("t_is_failure_route()", reply), ["failure_route"]);
    assert_eq!(
        guarded("!t_is_failure_route()", reply),
        ["onreply_route[NAME]", "branch_route"]
    );
    assert_eq!(
        guarded("not t_is_failure_route()", reply),
        ["onreply_route[NAME]", "branch_route"]
    );
    assert_eq!(guarded("is_reply()", reply), ["onreply_route[NAME]"]);
    assert_eq!(
        guarded("is_request()", reply),
        ["failure_route", "branch_route"]
    );
    assert_eq!(
        guarded("is_request() && t_is_branch_route()", reply),
        ["branch_route"]
    );
    assert_eq!(
        guarded("is_request() and !t_is_branch_route()", reply),
        ["failure_route"]
    );
    assert_eq!(
        guarded("t_is_failure_route() || is_reply()", reply),
        ["failure_route", "onreply_route[NAME]"]
    );
    assert_eq!(guarded("(t_is_failure_route()) || $x", reply), all);
    assert_eq!(
        guarded("!(t_is_failure_route() || is_reply())", reply),
        ["branch_route"]
    );
    assert_eq!(
        guarded("$x && !is_request()", reply),
        ["onreply_route[NAME]"]
    );
}

#[test]
fn else_and_else_if_arms() {
    let text = format!(
        "{MODULES}\
failure_route[F] {{
\troute(X);
}}
onreply_route[R] {{
\tif (is_reply()) {{
\t\tdrop;
\t}} else {{
\t\troute(X);
\t}}
}}
route[X] {{
\tif (t_is_request_route()) {{
\t\tsl_send_reply(\"500\", \"a\");
\t}} else if (t_is_failure_route()) {{
\t\tt_reply(\"500\", \"b\");
\t}} else {{
\t\tsl_send_reply(\"500\", \"c\");
\t}}
}}
request_route {{
\tt_on_failure(\"F\");
\tt_on_reply(\"R\");
\troute(X);
\tt_relay();
}}
"
    );
    let m = build(&text);
    // the else arm runs where X is neither a request nor a failure route:
    // nowhere, since the reply route only calls it for a request (never)
    let g = m.call_graph();
    let x = route(&m, RouteTable::Request, Some("X"));
    assert_eq!(
        g.reached_as(x),
        BlockKinds::only(BlockKind::Request).with(BlockKind::Failure)
    );
    let e = g
        .callers(x)
        .find(|e| e.function == "route" && e.guard != BlockKinds::ALL)
        .unwrap();
    assert!(!e.guard.contains(BlockKind::OnReplyTm));
    assert_eq!(codes(&m), []);
}

#[test]
fn tests_of_the_request_are_not_reported_in_failure_and_branch_routes() {
    // check_route_param is REQUEST_ROUTE only; as a test its answer is the
    // same in failure_route and branch_route (the stock config does this)
    let test = "if (check_route_param(\"nat=yes\")) { setflag(1); }";
    let text = |from: &str| {
        format!(
            "{MODULES}loadmodule \"rr.so\"\n{from}[N] {{\n\troute(X);\n}}\nroute[X] {{\n\t{test}\n\tcheck_route_param(\"nat=yes\");\n}}\nrequest_route {{\n\tt_on_failure(\"N\");\n\tt_on_branch(\"N\");\n\tt_on_reply(\"N\");\n\tt_relay();\n}}\n"
        )
    };
    let kc130 = |m: &Model| -> Vec<(&'static str, u32)> {
        codes(m)
            .into_iter()
            .filter(|(c, _)| *c == "KC130")
            .collect()
    };
    let m = build(&text("failure_route"));
    // only the statement is reported
    assert_eq!(kc130(&m), [("KC130", 14)]);
    let m = build(&text("branch_route"));
    assert_eq!(kc130(&m), [("KC130", 14)]);
    let m = build(&text("onreply_route"));
    // a reply is not the request: both are reported
    assert_eq!(kc130(&m), [("KC130", 13), ("KC130", 14)]);
}

#[test]
fn unused_routes() {
    let text = format!(
        "{MODULES}\
route[NEVER] {{
\troute(ALSO_NEVER);
}}
route[ALSO_NEVER] {{
\tdrop;
}}
route[SELF] {{
\troute(SELF);
}}
route[FROM_MODPARAM] {{
\tdrop;
}}
route[FROM_STRING] {{
\tdrop;
}}
failure_route[MANAGE_FAILURE] {{
\tdrop;
}}
failure_route[UNARMED] {{
\tdrop;
}}
event_route[tm:branch-failure:NEVER_ARMED] {{
\tdrop;
}}
event_route[tm:local-request] {{
\tdrop;
}}
modparam(\"pv\", \"varset\", \"x=s:FROM_MODPARAM\")
request_route {{
\tt_on_failure(\"MANAGE_FAILUR\");
\txlog(\"route FROM_STRING\");
\tt_relay();
}}
"
    );
    let m = build(&text);
    let unused: Vec<String> = m
        .diagnostics
        .iter()
        .filter(|d| d.code == "KC131")
        .map(|d| m.file(d.file).text[d.range].to_string())
        .collect();
    // ALSO_NEVER is called (from an unused route); MANAGE_FAILURE is what the
    // misspelt t_on_failure meant (KC111 says so)
    assert_eq!(
        unused,
        [
            "route[NEVER]",
            "route[SELF]",
            "failure_route[UNARMED]",
            "event_route[tm:branch-failure:NEVER_ARMED]"
        ]
    );
    let d = m
        .diagnostics
        .iter()
        .find(|d| d.message.starts_with("failure_route[UNARMED]"))
        .unwrap();
    assert_eq!(
        d.message,
        "failure_route[UNARMED] is never used: no `t_on_failure(\"UNARMED\")` arms it, so tm never runs it"
    );
    let d = m
        .diagnostics
        .iter()
        .find(|d| {
            d.message
                .starts_with("event_route[tm:branch-failure:NEVER_ARMED]")
        })
        .unwrap();
    assert!(d
        .help
        .as_deref()
        .unwrap()
        .contains("t_on_branch_failure(\"NEVER_ARMED\")"));
    assert!(codes(&m).contains(&("KC111", 37)), "{:?}", codes(&m));
    assert!(codes(&m).contains(&("KC132", 15)), "{:?}", codes(&m));
}

#[test]
fn unused_routes_are_not_judged_in_fragments_or_with_dynamic_names() {
    // no request_route: a file meant to be included
    let m = build("route[A] {\n\tdrop;\n}\nfailure_route[F] {\n\tdrop;\n}\n");
    assert_eq!(codes(&m), []);
    // a dynamic t_on_failure may arm any failure route; route() any route
    let text = format!(
        "{MODULES}failure_route[F] {{\n\tdrop;\n}}\nroute[A] {{\n\tdrop;\n}}\nrequest_route {{\n\tt_on_failure(\"$var(f)\");\n\troute_if_exists(\"$var(r)\");\n\tt_relay();\n}}\n"
    );
    let m = build(&text);
    assert_eq!(codes(&m), []);
    assert_eq!(m.call_graph().dynamic_calls().len(), 2);
}

#[test]
fn recursion() {
    let text = format!(
        "{MODULES}\
route[A] {{
\troute(B);
}}
route[B] {{
\troute(C);
}}
route[C] {{
\tif ($var(i) < 3) {{
\t\troute(A);
\t}}
}}
route[D] {{
\troute(D);
}}
request_route {{
\troute(A);
\troute(D);
}}
"
    );
    let m = build(&text);
    assert_eq!(codes(&m), [("KC132", 16), ("KC132", 20)]);
    assert_eq!(
        m.diagnostics[0].message,
        "route[A] calls itself through other routes: route[A] → route[B] → route[C] → route[A]"
    );
    assert_eq!(m.diagnostics[0].labels.len(), 2);
    assert_eq!(m.diagnostics[1].message, "route[D] calls itself");
    let g = m.call_graph();
    let ids = |names: &[&str]| -> Vec<usize> {
        names
            .iter()
            .map(|n| route(&m, RouteTable::Request, Some(n)))
            .collect()
    };
    assert_eq!(g.cycles(), vec![ids(&["A", "B", "C"]), ids(&["D"])]);
}

#[test]
fn a_long_chain_and_a_long_cycle_do_not_overflow() {
    let mut text = String::from(MODULES);
    let n = 20_000;
    for i in 0..n {
        text.push_str(&format!("route[R{i}] {{\n\troute(R{});\n}}\n", (i + 1) % n));
    }
    text.push_str("request_route {\n\troute(R0);\n}\n");
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let m = build(&text);
            codes(&m)
        })
        .unwrap();
    let codes = h.join().unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].0, "KC132");
}

#[test]
fn async_functions_naming_undefined_routes() {
    let text = format!(
        "{MODULES}async_workers = 1\nloadmodule \"http_async_client.so\"\nroute[OK] {{\n\tdrop;\n}}\nrequest_route {{\n\tasync_task_route(\"OK\");\n\tasync_task_route(\"NOPE\");\n\tt_continue(\"1\", \"2\", \"GONE\");\n\thttp_async_query(\"http://x\", \"OK\");\n\troute_if_exists(\"MAYBE\");\n}}\n"
    );
    let m = build(&text);
    let found: Vec<(&str, u32)> = codes(&m)
        .into_iter()
        .filter(|(c, _)| c.starts_with("KC13"))
        .collect();
    assert_eq!(found, [("KC133", 15), ("KC133", 16)]);
    assert!(m
        .diagnostics
        .iter()
        .any(|d| d.message.contains("`t_continue` names `route[GONE]`")));
}

#[test]
fn findings_in_included_files_keep_labels_in_their_file() {
    let mut files = MemoryLoader::new();
    files.insert(
        "/cfg/routes.cfg",
        "route[X] {\n\tsl_send_reply(\"500\", \"x\");\n}\n",
    );
    let text = format!(
        "{MODULES}include_file \"routes.cfg\"\nfailure_route[F] {{\n\troute(X);\n}}\nrequest_route {{\n\tt_on_failure(\"F\");\n\tt_relay();\n}}\n"
    );
    let opts = SemaOptions {
        cwd: Some("/cfg".into()),
        ..Default::default()
    };
    let m = Model::build("/cfg/kamailio.cfg", text, &files, &opts);
    assert_eq!(m.diagnostics.len(), 1, "{:#?}", m.diagnostics);
    let d = &m.diagnostics[0];
    assert_eq!(d.code, "KC130");
    assert!(m.file(d.file).path.ends_with("routes.cfg"));
    // the route(X) call is in the main file: no label in routes.cfg
    assert!(d.labels.is_empty());
    assert!(d.message.ends_with("failure_route[F] → route[X]"));
}
