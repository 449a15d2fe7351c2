//! KC204 `break-in-route-called-from-loop`.

use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC204",
    name: "break-in-route-called-from-loop",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`break` in a sub-route called from a `while` loop does not leave the caller's loop",
    what: "Finds `break` outside any `while`/`switch` of its own route block, in a `route[NAME]` that some `route(NAME)` call inside a `while` loop runs.",
    why: "Measured on Kamailio 5.6.3 (requests sent to a running instance): `break` inside `while` leaves the loop and inside `switch` leaves the switch, as in C. Outside them it ends the current route block like `return` (old SER configs use it that way). In a sub-route called from a loop it therefore only returns from the sub-route: the caller's loop goes on (a loop of 3 that called `route(BRK)` with a `break` ran all 3 times). Kamailio has no `continue` either (a syntax error, KC001): loops need a flag.",
    example: "loadmodule \"pv.so\"\nroute[CHECK] {\n\tif ($var(i) == 2) {\n\t\tbreak;\n\t}\n}\nrequest_route {\n\t$var(i) = 0;\n\twhile ($var(i) < 5) {\n\t\t$var(i) = $var(i) + 1;\n\t\troute(CHECK);\n\t}\n\texit;\n}\n",
    fix: "Return a value from the sub-route and break in the loop itself: `if (!route(CHECK)) { break; }` with `return -1;` in the sub-route.",
    fixed_example: "loadmodule \"pv.so\"\nroute[CHECK] {\n\tif ($var(i) == 2) {\n\t\treturn -1;\n\t}\n\treturn 1;\n}\nrequest_route {\n\t$var(i) = 0;\n\twhile ($var(i) < 5) {\n\t\t$var(i) = $var(i) + 1;\n\t\tif (!route(CHECK)) {\n\t\t\tbreak;\n\t\t}\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // names of routes called from inside a while loop, with the call
    if !ctx.mentions("break") {
        return;
    }
    let mut from_loop: Vec<(String, kcfg_syntax::TextRange, kcfg_sema::FileIdx)> = Vec::new();
    for (file, call, name) in ctx.calls() {
        let (file, name) = (*file, name.as_str());
        if name != "route" {
            continue;
        }
        let in_loop = call
            .ancestors()
            .take_while(|a| a.kind() != ROUTE_BLOCK)
            .any(|a| a.kind() == WHILE_STMT);
        if let (true, Some(arg)) = (in_loop, crate::ctx::call_args(call).first()) {
            from_loop.push((
                arg.text().to_string().trim_matches('"').to_string(),
                call.text_range(),
                file,
            ));
        }
    }
    if from_loop.is_empty() {
        return;
    }
    for r in ctx.routes() {
        if r.kind != kcfg_syntax::ast::RouteKind::Route {
            continue;
        }
        let Some(name) = &r.name else { continue };
        let Some((_, call, call_file)) = from_loop.iter().find(|(n, ..)| n == name) else {
            continue;
        };
        for n in kcfg_syntax::ast::AstNode::syntax(&r.block).descendants() {
            if n.kind() != BREAK_STMT {
                continue;
            }
            let inside = n
                .ancestors()
                .take_while(|a| a.kind() != ROUTE_BLOCK)
                .any(|a| matches!(a.kind(), WHILE_STMT | SWITCH_STMT));
            if !inside {
                let mut f = Finding::new(r.file, n.text_range(), format!("`break` returns from route[{name}]; it does not leave the loop that calls it"))
                    .help("return -1 here and write `if (!route(NAME)) { break; }` in the loop");
                if *call_file == r.file {
                    f = f.label(*call, "called inside a `while` loop here");
                }
                out.push(f);
            }
        }
    }
}
