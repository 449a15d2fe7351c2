//! KC301 `reply-without-exit`.

use kcfg_modules::BlockKind;
use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::SyntaxNode;

use crate::ctx::{call_args, call_name, statements, stmt_call, string_value, REPLY_FUNCTIONS};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC301",
    name: "reply-without-exit",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "a final reply followed by more processing instead of `exit`",
    what: "Finds a statement that sends a final reply (`sl_send_reply`, `send_reply`, `t_reply`, ... with a code of 200 or more) in a request route, after which the script can reach another reply or a forwarding call (`t_relay`, `forward`, ..., also inside a sub-route called with `route()`) before an `exit`, `drop`, `return` or the end of the route block. Work after the reply that neither answers nor forwards (logging, cleanup, accounting) is not reported.",
    why: "Replying does not stop the script. Measured on Kamailio 5.6.3: `sl_send_reply(\"480\", \"first\"); xlog(...); sl_send_reply(\"500\", \"second\");` sends both replies to the caller. Typically the request also falls through to `t_relay()`: a reply and a forwarded request.",
    example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"PUBLISH\")) {\n\t\tsl_send_reply(\"404\", \"Not here\");\n\t}\n\tt_relay();\n\texit;\n}\n",
    fix: "Add `exit;` after the reply.",
    fixed_example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"PUBLISH\")) {\n\t\tsl_send_reply(\"404\", \"Not here\");\n\t\texit;\n\t}\n\tif (!t_relay()) {\n\t\tsl_reply_error();\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// Functions that send the request on or answer it.
const ANSWERS: &[&str] = &[
    "t_relay",
    "t_relay_to",
    "t_relay_to_udp",
    "t_relay_to_tcp",
    "t_relay_to_tls",
    "t_relay_to_sctp",
    "t_forward_nonack",
    "t_forward_nonack_udp",
    "t_forward_nonack_tcp",
    "t_forward_nonack_tls",
    "forward",
    "forward_udp",
    "forward_tcp",
    "forward_tls",
    "t_forward",
    "t_forward_uri",
    "sl_send_reply",
    "sl_reply",
    "send_reply",
    "sl_reply_error",
    "send_reply_error",
    "t_reply",
    "t_send_reply",
    "t_reply_error",
];

/// The statements that may run after `stmt`, up to a statement that ends
/// the block (`exit`, `drop`, `return`, a `break` that is not in a loop or
/// switch) or the end of the route block. `None` when kcfg cannot follow
/// (the end of a `switch` case, a loop, a preprocessor arm).
fn following(stmt: &SyntaxNode) -> Option<Vec<SyntaxNode>> {
    let mut out = Vec::new();
    let mut cur = stmt.clone();
    loop {
        let parent = cur.parent()?;
        let stmts = statements(&parent);
        let pos = stmts.iter().position(|s| s == &cur)?;
        for s in &stmts[pos + 1..] {
            if ends(s) {
                return Some(out);
            }
            if s.kind() == BREAK_STMT {
                // leaves the switch: go on after it
                let sw = s
                    .ancestors()
                    .find(|a| matches!(a.kind(), SWITCH_STMT | WHILE_STMT))?;
                if sw.kind() == WHILE_STMT {
                    return None;
                }
                out.extend(following(&sw)?);
                return Some(out);
            }
            out.push(s.clone());
        }
        if parent.kind() != BLOCK {
            return None; // the end of a case falls through; a PP arm
        }
        let up = parent.parent()?;
        cur = match up.kind() {
            ROUTE_BLOCK => return Some(out),
            IF_STMT => up,
            ELSE_BRANCH => up.parent()?,
            _ => return None,
        };
    }
}

/// `exit`, `drop`, `return`, or `break` outside loops and switches.
fn ends(s: &SyntaxNode) -> bool {
    match s.kind() {
        EXIT_STMT | DROP_STMT | RETURN_STMT => true,
        BREAK_STMT => !s
            .ancestors()
            .take_while(|a| a.kind() != ROUTE_BLOCK)
            .any(|a| matches!(a.kind(), SWITCH_STMT | WHILE_STMT)),
        _ => false,
    }
}

/// The first call under `n` that answers or forwards, following `route()`
/// calls into their routes (a few levels deep).
fn first_answer(ctx: &Ctx<'_>, n: &SyntaxNode, depth: usize) -> Option<(SyntaxNode, String)> {
    for c in n.descendants().filter(|c| c.kind() == CALL) {
        let name = call_name(&c)?;
        if ANSWERS.contains(&name.as_str()) {
            return Some((c, name));
        }
        if name == "route" && depth < 4 {
            let target = call_args(&c)
                .first()
                .map(|a| a.text().to_string().trim_matches('"').to_string());
            let callee = target
                .as_deref()
                .and_then(|t| ctx.sub_route(t))
                .map(|i| &ctx.routes()[i]);
            if let Some(body) = callee.and_then(|r| r.block.body()) {
                if first_answer(ctx, kcfg_syntax::ast::AstNode::syntax(&body), depth + 1).is_some()
                {
                    return Some((c.clone(), format!("route({})", target.unwrap_or_default())));
                }
            }
        }
    }
    None
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // the statements `f(...);` whose (first) call replies, found from the
    // calls by name: few calls reply
    for (file, call, name) in ctx.calls() {
        if !REPLY_FUNCTIONS.contains(&name.as_str()) {
            continue;
        }
        let Some(stmt) = call.parent().filter(|p| p.kind() == EXPR_STMT) else {
            continue;
        };
        if stmt_call(&stmt).as_ref() != Some(call) {
            continue;
        }
        let (file, stmt) = (*file, &stmt);
        let Some(r) = ctx.route_of(file, stmt) else {
            continue;
        };
        if !ctx.kinds(r).contains(BlockKind::Request) {
            continue;
        }
        {
            let stmt = stmt.clone();
            let Some(call) = stmt_call(&stmt) else {
                continue;
            };
            let Some(name) = call_name(&call) else {
                continue;
            };
            if !REPLY_FUNCTIONS.contains(&name.as_str()) {
                continue;
            }
            // provisional replies are meant to be followed by more work
            let code = call_args(&call).first().and_then(|a| {
                string_value(a).or_else(|| (a.kind() == LITERAL).then(|| a.text().to_string()))
            });
            if code.as_deref().is_some_and(|c| c.trim().starts_with('1')) {
                continue;
            }
            let Some(next) = following(&stmt) else {
                continue;
            };
            let Some((answer, what)) = next.iter().find_map(|s| first_answer(ctx, s, 0)) else {
                continue;
            };
            out.push(
                Finding::new(r.file, call.text_range(), format!("`{name}` does not stop the script: `{what}` can run after it and answer or forward the request again"))
                    .label(answer.text_range(), "runs after the reply")
                    .help("add `exit;` after the reply"),
            );
        }
    }
}
