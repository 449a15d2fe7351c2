//! KC306 `t-relay-result-unchecked`.

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::{call_name, stmt_call};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC306",
    name: "t-relay-result-unchecked",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "`t_relay()` as a statement: a failure to forward is ignored",
    what: "Finds `t_relay()` (and `t_relay_to_udp/tcp/tls/sctp`, `t_forward_nonack*`) called as a statement, whose result nothing tests. Relaying under an `if` that calls `t_check_trans()` or tests for ACK or CANCEL is not reported: an ACK gets no reply, and tm has already answered a CANCEL it matched.",
    why: "When forwarding fails (DNS, no route to the next hop, a closed TCP connection) `t_relay()` returns a negative value and sends nothing to the caller: the caller retransmits until its own timer fires. The stock config tests it: `if (!t_relay()) { sl_reply_error(); }`.",
    example: "loadmodule \"tm.so\"\nrequest_route {\n\tt_relay();\n\texit;\n}\n",
    fix: "Test the result and reply on failure: `if (!t_relay()) { sl_reply_error(); }`.",
    fixed_example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nrequest_route {\n\tif (!t_relay()) {\n\t\tsl_reply_error();\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

const RELAY: &[&str] = &[
    "t_relay",
    "t_relay_to_udp",
    "t_relay_to_tcp",
    "t_relay_to_tls",
    "t_relay_to_sctp",
    "t_forward_nonack",
    "t_forward_nonack_udp",
    "t_forward_nonack_tcp",
    "t_forward_nonack_tls",
];

/// Whether the statement runs only for ACK or CANCEL: under an `if` whose
/// condition calls `t_check_trans()` (the usual guard of both) or tests the
/// method for ACK or CANCEL. No reply can be sent to an ACK, and tm has
/// answered a CANCEL it matched already.
fn for_ack_or_cancel(stmt: &kcfg_syntax::SyntaxNode) -> bool {
    stmt.ancestors()
        .take_while(|a| a.kind() != ROUTE_BLOCK)
        .filter(|a| a.kind() == IF_STMT)
        .filter_map(|i| i.children().next())
        .any(|cond| {
            let t = cond.text().to_string();
            t.contains("t_check_trans") || t.contains("\"ACK\"") || t.contains("\"CANCEL\"")
        })
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // the statements `f(...);` whose (first) call relays, found from the
    // calls by name: few calls relay
    for (file, call, name) in ctx.calls() {
        if !RELAY.contains(&name.as_str()) {
            continue;
        }
        let Some(stmt) = call.parent().filter(|p| p.kind() == EXPR_STMT) else {
            continue;
        };
        if stmt_call(&stmt).as_ref() != Some(call) {
            continue;
        }
        let (file, stmt, call) = (*file, &stmt, call.clone());
        let Some(r) = ctx.route_of(file, stmt) else {
            continue;
        };
        {
            let stmt = stmt.clone();
            let Some(name) = call_name(&call) else {
                continue;
            };
            if RELAY.contains(&name.as_str()) && !for_ack_or_cancel(&stmt) {
                out.push(
                    Finding::new(r.file, call.text_range(), format!("the result of `{name}()` is not checked: when forwarding fails, the caller gets no reply"))
                        .help(format!("`if (!{name}()) {{ sl_reply_error(); }}`")),
                );
            }
        }
    }
}
