//! KC302 `sl-reply-after-t-newtran`.

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::call_name;
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC302",
    name: "sl-reply-after-t-newtran",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "stateless reply (`sl_send_reply`) after `t_newtran()` created a transaction",
    what: "Finds `sl_send_reply`/`sl_reply` after a `t_newtran()` call in the same route block.",
    why: "After `t_newtran()` the request has a transaction; a stateless reply bypasses it, so the transaction stays without a final reply and absorbs retransmissions until it times out, and the caller may see a second reply from tm. `t_reply` (or `send_reply`, which picks the right one) replies through the transaction.",
    example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nrequest_route {\n\tt_newtran();\n\tsl_send_reply(\"403\", \"Forbidden\");\n\texit;\n}\n",
    fix: "Use `t_reply(...)` (or `send_reply(...)`) after `t_newtran()`.",
    fixed_example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nrequest_route {\n\tt_newtran();\n\tt_reply(\"403\", \"Forbidden\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.routes() {
        let mut newtran = None;
        for n in kcfg_syntax::ast::AstNode::syntax(&r.block)
            .descendants()
            .filter(|n| n.kind() == CALL)
        {
            match call_name(&n).as_deref() {
                Some("t_newtran") => newtran = newtran.or(Some(n.text_range())),
                Some(f @ ("sl_send_reply" | "sl_reply")) => {
                    if let Some(t) = newtran {
                        out.push(
                            Finding::new(
                                r.file,
                                n.text_range(),
                                format!("`{f}` after `t_newtran()` bypasses the transaction"),
                            )
                            .label(t, "the transaction is created here")
                            .help("reply with `t_reply(...)` or `send_reply(...)`"),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}
