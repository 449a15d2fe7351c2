//! KC212 `break-outside-loop`.

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::call_args;
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC212",
    name: "break-outside-loop",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`break` outside `while` and `switch` in a sub-route: it returns 0 and the caller goes on",
    what: "Finds `break` inside no `while` and no `switch` of its `route[NAME]` block. A `break` in a sub-route that a `while` loop calls is KC204's (it is not reported twice). Only sub-routes after whose `route(NAME)` call the caller goes on are reported (the call is tested, or followed by a statement other than `exit`/`drop`/`return`/`break`); routes that modules run by name (async replies) are not. In `request_route`, `failure_route`, `onreply_route`, `branch_route` and `event_route` blocks such a `break` ends the block, which is what old SER configs mean by it, and is not reported.",
    why: "Kamailio has no `continue` (a syntax error) and `break` is only a loop or switch exit; elsewhere Kamailio does not complain, it ends the current route block with the value 0 and goes on in the caller. Measured on Kamailio 5.6.3 (an `event_route` run at start-up): after a `break` in `route[SUB]` the rest of SUB is skipped, the caller continues with `$rc` = 0 and `if (route(SUB))` takes the false branch; a `break` in the event route itself ends it. Unlike `return 0`, it does not stop the script, and unlike `exit`, the request goes on through the caller: a `break` written to \"stop here\" (or as `continue`) silently does something else.",
    example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nroute[CHECK] {\n\tif ($var(skip) == 1) {\n\t\tbreak;\n\t}\n\txlog(\"L_INFO\", \"checked\\n\");\n}\nrequest_route {\n\troute(CHECK);\n\txlog(\"L_INFO\", \"next\\n\");\n\texit;\n}\n",
    fix: "Write what is meant: `return -1;` (or `return 1;`) to leave the route with a value the caller tests, `exit;` to stop processing the message.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nroute[CHECK] {\n\tif ($var(skip) == 1) {\n\t\treturn -1;\n\t}\n\txlog(\"L_INFO\", \"checked\\n\");\n}\nrequest_route {\n\troute(CHECK);\n\txlog(\"L_INFO\", \"next\\n\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("break") {
        return;
    }
    // sub-routes called inside a `while` loop are KC204's; a sub-route is
    // reported only when a caller goes on after `route(NAME)` (not the
    // module-run routes of async replies, not `route(X); exit;`)
    let mut from_loop: Vec<String> = Vec::new();
    let mut goes_on: Vec<String> = Vec::new();
    for (_, call, name) in ctx.calls() {
        if name != "route" {
            continue;
        }
        let Some(arg) = call_args(call).first().map(|a| a.text().to_string()) else {
            continue;
        };
        let arg = arg.trim_matches('"').to_string();
        let in_loop = call
            .ancestors()
            .take_while(|a| a.kind() != ROUTE_BLOCK)
            .any(|a| a.kind() == WHILE_STMT);
        if in_loop {
            from_loop.push(arg.clone());
        }
        if caller_goes_on(call) {
            goes_on.push(arg);
        }
    }
    for (file, n) in ctx.nodes(BREAK_STMT) {
        let inside = n
            .ancestors()
            .take_while(|a| a.kind() != ROUTE_BLOCK)
            .any(|a| matches!(a.kind(), WHILE_STMT | SWITCH_STMT));
        if inside {
            continue;
        }
        let Some(r) = ctx.route_of(file, n) else {
            continue;
        };
        // top-level blocks: `break` ends the block, as old SER configs mean it
        let (Some(name), kcfg_syntax::ast::RouteKind::Route) = (&r.name, r.kind) else {
            continue;
        };
        if name == "0" || from_loop.iter().any(|x| x == name) || !goes_on.iter().any(|x| x == name)
        {
            continue; // route[0] is request_route
        }
        let what = format!("route[{name}]");
        out.push(
            Finding::new(
                file,
                n.text_range(),
                format!("`break` outside `while` and `switch` ends {what} with the value 0; the caller goes on"),
            )
            .help("write `return -1;` to leave the route with a value, or `exit;` to stop the script"),
        );
    }
}

/// Whether the script goes on after this `route(...)` call: it is tested
/// (`if (route(X))`), or followed by a statement other than `exit`/`drop`/
/// `return`, or is the last statement of a nested block.
fn caller_goes_on(call: &kcfg_syntax::SyntaxNode) -> bool {
    let Some(stmt) = call.parent().filter(|p| p.kind() == EXPR_STMT) else {
        return true; // used in a condition or an expression
    };
    let next = stmt
        .next_sibling()
        .into_iter()
        .chain(std::iter::successors(stmt.next_sibling(), |n| {
            n.next_sibling()
        }))
        .find(|n| crate::ctx::is_statement(n.kind()));
    match next {
        Some(n) => !matches!(n.kind(), EXIT_STMT | DROP_STMT | RETURN_STMT | BREAK_STMT),
        // last in its block: the route body's end ends the route too
        None => stmt
            .parent()
            .and_then(|b| b.parent())
            .is_some_and(|p| p.kind() != ROUTE_BLOCK),
    }
}
