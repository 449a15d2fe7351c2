//! KC302 `sl-reply-after-t-newtran`.

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::{call_name, statements};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;
use kcfg_syntax::SyntaxNode;

pub const META: RuleMeta = RuleMeta {
    code: "KC302",
    name: "sl-reply-after-t-newtran",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "stateless reply (`sl_send_reply`) after `t_newtran()` created a transaction",
    what: "Finds `sl_send_reply`/`sl_reply` that run with the transaction of a `t_newtran()` in the same route block: in the statements after `t_newtran();` (up to one that ends the block), after `if (!t_newtran()) { ...; exit; }`, or inside `if (t_newtran()) { ... }`. A stateless reply in the failure branch of `if (!t_newtran())` is right and not reported.",
    why: "After `t_newtran()` the request has a transaction; a stateless reply bypasses it, so the transaction keeps no reply. Measured on Kamailio 5.6.3 (a MESSAGE and its retransmission sent to a running instance): with `t_newtran(); sl_send_reply(\"403\", ...)` the retransmission got no answer at all (tm absorbed it), while with `t_reply` tm answered it with the stored 403. Callers over UDP keep retransmitting until their own timer fires. `t_reply` (or `send_reply`, which picks the right one) replies through the transaction.",
    example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nrequest_route {\n\tt_newtran();\n\tsl_send_reply(\"403\", \"Forbidden\");\n\texit;\n}\n",
    fix: "Use `t_reply(...)` (or `send_reply(...)`) after `t_newtran()`.",
    fixed_example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nrequest_route {\n\tt_newtran();\n\tt_reply(\"403\", \"Forbidden\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// The statements that run with the transaction of this `t_newtran()`
/// call: after `t_newtran();` the rest of its block (up to a statement
/// that ends it); after `if (!t_newtran()) { ... }` the rest of the block
/// around the `if`; inside `if (t_newtran()) { ... }` that block.
fn scope(call: &SyntaxNode) -> Vec<SyntaxNode> {
    let Some(parent) = call.parent() else {
        return Vec::new();
    };
    let rest_of = |stmt: &SyntaxNode| -> Vec<SyntaxNode> {
        let Some(b) = stmt.parent() else {
            return Vec::new();
        };
        let stmts = statements(&b);
        let pos = stmts
            .iter()
            .position(|s| s == stmt)
            .map_or(stmts.len(), |p| p + 1);
        let mut out = Vec::new();
        for s in &stmts[pos..] {
            out.push(s.clone());
            if matches!(s.kind(), EXIT_STMT | DROP_STMT | RETURN_STMT | BREAK_STMT) {
                break;
            }
        }
        out
    };
    match parent.kind() {
        EXPR_STMT => rest_of(&parent),
        PAREN_EXPR | PREFIX_EXPR => {
            // climb `(!t_newtran())` to the if
            let negated = parent.kind() == PREFIX_EXPR
                || parent.parent().is_some_and(|g| g.kind() == PREFIX_EXPR);
            let Some(if_stmt) = call.ancestors().find(|a| a.kind() == IF_STMT) else {
                return Vec::new();
            };
            let cond = if_stmt.children().next();
            if !cond
                .as_ref()
                .is_some_and(|c| c.text_range().contains_range(call.text_range()))
            {
                return Vec::new();
            }
            let only = cond
                .as_ref()
                .is_some_and(|c| c.descendants().filter(|d| d.kind() == CALL).count() == 1);
            if !only {
                return Vec::new(); // `if (a && !t_newtran())`: cannot tell
            }
            if negated {
                // only when the failure branch ends the block
                let ends = if_stmt
                    .children()
                    .find(|c| c.kind() == BLOCK)
                    .is_some_and(|b| {
                        statements(&b).iter().any(|s| {
                            matches!(s.kind(), EXIT_STMT | DROP_STMT | RETURN_STMT | BREAK_STMT)
                        })
                    });
                if ends {
                    rest_of(&if_stmt)
                } else {
                    Vec::new()
                }
            } else {
                if_stmt
                    .children()
                    .find(|c| c.kind() == BLOCK)
                    .into_iter()
                    .collect()
            }
        }
        _ => Vec::new(),
    }
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (file, n, name) in ctx.calls() {
        if name != "t_newtran" {
            continue;
        }
        let Some(r) = ctx.route_of(*file, n) else {
            continue;
        };
        {
            for stmt in scope(n) {
                for c in stmt
                    .descendants_with_tokens()
                    .filter_map(|e| e.into_node())
                    .filter(|c| c.kind() == CALL)
                {
                    if let Some(f @ ("sl_send_reply" | "sl_reply")) = call_name(&c).as_deref() {
                        out.push(
                            Finding::new(
                                r.file,
                                c.text_range(),
                                format!("`{f}` after `t_newtran()` bypasses the transaction"),
                            )
                            .label(n.text_range(), "the transaction is created here")
                            .help("reply with `t_reply(...)` or `send_reply(...)`"),
                        );
                    }
                }
            }
        }
    }
}
