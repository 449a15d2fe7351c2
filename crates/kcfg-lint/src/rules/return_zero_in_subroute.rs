//! KC304 `return-zero-in-subroute`.

use kcfg_syntax::ast::RouteKind;
use kcfg_syntax::SyntaxKind::*;

use crate::{
    Applicability, Category, Ctx, Finding, Fix, FixAvailability, KamailioVerdict, RuleMeta,
};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC304",
    name: "return-zero-in-subroute",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "`return 0` in a sub-route stops the whole script like `exit`",
    what: "Finds `return 0;` in a `route[NAME]` block.",
    why: "In Kamailio's script a return value of 0 ends the processing of the message, not only the sub-route; negative values are false and positive values true for the caller. Measured on Kamailio 5.6.3: after `route(R)` whose body ends with `return 0;`, nothing of the caller runs any more and no reply is sent, while `return -1;` and `return 1;` come back with `$rc` -1 and 1. Authors usually mean \"false\".",
    example: "loadmodule \"sl.so\"\nroute[CHECK] {\n\treturn 0;\n}\nrequest_route {\n\tif (!route(CHECK)) {\n\t\tsl_send_reply(\"403\", \"Forbidden\");\n\t\texit;\n\t}\n\tsl_send_reply(\"200\", \"OK\");\n\texit;\n}\n",
    fix: "Return `-1` for false (and `1` for true). If stopping the script is intended, write `exit;` (unsafe fix: the same behaviour, said plainly).",
    fixed_example: "loadmodule \"sl.so\"\nroute[CHECK] {\n\treturn -1;\n}\nrequest_route {\n\tif (!route(CHECK)) {\n\t\tsl_send_reply(\"403\", \"Forbidden\");\n\t\texit;\n\t}\n\tsl_send_reply(\"200\", \"OK\");\n\texit;\n}\n",
    fix_availability: FixAvailability::Unsafe,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (file, n) in ctx.nodes(RETURN_STMT) {
        let Some(r) = ctx.route_of(file, n) else {
            continue;
        };
        if r.kind != RouteKind::Route {
            continue;
        }
        {
            let mut v = n.children().next();
            while let Some(p) = v.clone().filter(|p| p.kind() == PAREN_EXPR) {
                v = p.children().next();
            }
            let Some(v) = v else { continue };
            if v.kind() == LITERAL && v.text() == "0" {
                out.push(
                    Finding::new(
                        r.file,
                        n.text_range(),
                        "`return 0` stops the whole script, not only this route",
                    )
                    .help("return -1 for false; write `exit;` if stopping is intended")
                    .fix(Fix::replace(
                        Applicability::Unsafe,
                        "replace with `exit;` (same behaviour)",
                        n.text_range(),
                        "exit;",
                    )),
                );
            }
        }
    }
}
