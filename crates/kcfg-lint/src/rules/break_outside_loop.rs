//! KC204 `break-outside-loop`.

use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC204",
    name: "break-outside-loop",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`break` outside `while` and `switch` ends the whole route block",
    what: "Finds `break` that is not inside a `while` loop or a `switch` case of the same route block.",
    why: "Measured on Kamailio 5.6.3 (request sent to a running instance): `break` inside `while` leaves the loop and inside `switch` leaves the switch, as in C; anywhere else it ends the current route block like `return`. In `request_route` that ends the processing of the message without a reply; in a sub-route called from a loop it returns to the caller, whose loop goes on. Kamailio has no `continue` (a syntax error, KC001).",
    example: "loadmodule \"sl.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"OPTIONS\")) {\n\t\tbreak;\n\t}\n\tsl_send_reply(\"404\", \"Not here\");\n\texit;\n}\n",
    fix: "Say what you mean: `exit;` to stop processing, `return;` to leave a sub-route, or restructure the condition.",
    fixed_example: "loadmodule \"sl.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"OPTIONS\")) {\n\t\texit;\n\t}\n\tsl_send_reply(\"404\", \"Not here\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.routes() {
        for n in kcfg_syntax::ast::AstNode::syntax(&r.block).descendants() {
            if n.kind() != BREAK_STMT {
                continue;
            }
            let inside = n
                .ancestors()
                .take_while(|a| a.kind() != ROUTE_BLOCK)
                .any(|a| matches!(a.kind(), WHILE_STMT | SWITCH_STMT));
            if !inside {
                let what = if matches!(r.kind, kcfg_syntax::ast::RouteKind::Route) {
                    "`break` outside a loop or switch returns from this route"
                } else {
                    "`break` outside a loop or switch ends this route block (no reply is sent)"
                };
                out.push(
                    Finding::new(r.file, n.text_range(), what)
                        .help("write `exit;` or `return;` to say which is meant"),
                );
            }
        }
    }
}
