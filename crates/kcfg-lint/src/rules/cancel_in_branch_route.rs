//! KC209 `cancel-in-branch-route`.

use kcfg_modules::BlockKind;
use kcfg_syntax::SyntaxKind::*;

use crate::ctx::{bin_operands, call_args, call_name, pv_token, string_value};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC209",
    name: "cancel-in-branch-route",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "a branch_route that tests for CANCEL: CANCEL never runs branch routes",
    what: "Finds `is_method(\"CANCEL\")` or `$rm == \"CANCEL\"` in a `branch_route` or in a route that only branch routes call.",
    why: "tm runs branch routes for the branches of a request it forwards. `t_relay()` of a CANCEL does not create branches: it cancels the INVITE's branches. Measured on Kamailio 5.6.3: an INVITE relayed with `t_on_branch(\"B\")` ran branch_route[B]; its CANCEL, relayed with `t_on_branch(\"B\"); t_relay();`, was answered `200 canceling` and never ran branch_route[B]. The code under the test never runs, and the CANCEL handling the author meant is missing.",
    example: "loadmodule \"tm.so\"\nloadmodule \"textops.so\"\nloadmodule \"xlog.so\"\nbranch_route[B] {\n\tif (is_method(\"CANCEL\")) {\n\t\txlog(\"L_INFO\", \"cancel\\n\");\n\t}\n}\nrequest_route {\n\tt_on_branch(\"B\");\n\tt_relay();\n\texit;\n}\n",
    fix: "Handle CANCEL in request_route: `if (is_method(\"CANCEL\")) { if (t_check_trans()) { t_relay(); } exit; }`.",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"textops.so\"\nloadmodule \"xlog.so\"\nbranch_route[B] {\n\txlog(\"L_INFO\", \"branch\\n\");\n}\nrequest_route {\n\tif (is_method(\"CANCEL\")) {\n\t\tif (t_check_trans()) {\n\t\t\tt_relay();\n\t\t}\n\t\texit;\n\t}\n\tt_on_branch(\"B\");\n\tt_relay();\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.routes() {
        let kinds = ctx.kinds(r);
        if !(kinds.contains(BlockKind::Branch) && kinds.len() == 1) {
            continue;
        }
        for n in kcfg_syntax::ast::AstNode::syntax(&r.block).descendants() {
            let hit = match n.kind() {
                CALL => {
                    call_name(&n).as_deref() == Some("is_method")
                        && call_args(&n)
                            .first()
                            .and_then(string_value)
                            .is_some_and(|v| {
                                v.to_ascii_uppercase().split('|').any(|m| m == "CANCEL")
                            })
                }
                BIN_EXPR => {
                    let (a, b) = bin_operands(&n);
                    let method = |x: &Option<kcfg_syntax::SyntaxNode>| {
                        x.as_ref().is_some_and(|x| {
                            pv_token(x).is_some_and(|t| t.text() == "$rm") || x.text() == "method"
                        })
                    };
                    let cancel = |x: &Option<kcfg_syntax::SyntaxNode>| {
                        x.as_ref()
                            .and_then(string_value)
                            .is_some_and(|v| v.eq_ignore_ascii_case("CANCEL"))
                    };
                    (method(&a) && cancel(&b)) || (method(&b) && cancel(&a))
                }
                _ => false,
            };
            if hit {
                out.push(
                    Finding::new(r.file, n.text_range(), "CANCEL never runs a branch_route: this test is never true here")
                        .help("handle CANCEL in request_route: `if (is_method(\"CANCEL\")) { if (t_check_trans()) { t_relay(); } exit; }`"),
                );
            }
        }
    }
}
