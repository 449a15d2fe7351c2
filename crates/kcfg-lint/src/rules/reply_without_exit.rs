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
    what: "Finds a statement that sends a final reply (`sl_send_reply`, `send_reply`, `t_reply`, ... with a code of 200 or more) in a request route, after which the script goes on with other statements instead of `exit`, `drop` or `return`. Logging and assignments right after the reply are skipped over; a reply at the end of a route block is not reported.",
    why: "Replying does not stop the script. Measured on Kamailio 5.6.3: `sl_send_reply(\"480\", \"first\"); xlog(...); sl_send_reply(\"500\", \"second\");` sends both replies to the caller. Typically the request also falls through to `t_relay()`: a reply and a forwarded request.",
    example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"PUBLISH\")) {\n\t\tsl_send_reply(\"404\", \"Not here\");\n\t}\n\tt_relay();\n\texit;\n}\n",
    fix: "Add `exit;` after the reply.",
    fixed_example: "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"PUBLISH\")) {\n\t\tsl_send_reply(\"404\", \"Not here\");\n\t\texit;\n\t}\n\tif (!t_relay()) {\n\t\tsl_reply_error();\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

const QUIET: &[&str] = &[
    "xlog",
    "xdbg",
    "xinfo",
    "xnotice",
    "xwarn",
    "xerr",
    "xbug",
    "xcrit",
    "xalert",
    "xlogl",
    "log",
    "setflag",
    "resetflag",
    "setbflag",
    "resetbflag",
    "setsflag",
    "resetsflag",
    "acc_log_request",
    "acc_db_request",
];

/// The first statement that runs after `stmt` and is not a log call or an
/// assignment: `Ok(Some(s))`, `Ok(None)` at the end of the route block,
/// `Err(())` when it cannot tell (a loop, a preprocessor arm).
fn next_effective(stmt: &SyntaxNode) -> Result<Option<SyntaxNode>, ()> {
    let mut cur = stmt.clone();
    loop {
        let parent = cur.parent().ok_or(())?;
        let stmts = statements(&parent);
        let pos = stmts.iter().position(|s| s == &cur).ok_or(())?;
        for s in &stmts[pos + 1..] {
            let quiet = s.kind() == ASSIGN_STMT
                || stmt_call(s)
                    .and_then(|c| call_name(&c))
                    .is_some_and(|n| QUIET.contains(&n.as_str()));
            if !quiet {
                return Ok(Some(s.clone()));
            }
        }
        // end of this block: climb
        let up = match parent.kind() {
            BLOCK => parent.parent().ok_or(())?,
            _ => return Err(()), // the end of a case falls through: cannot tell
        };
        match up.kind() {
            ROUTE_BLOCK => return Ok(None),
            IF_STMT => cur = up,
            ELSE_BRANCH => cur = up.parent().ok_or(())?,
            SWITCH_STMT => cur = up,
            CASE_CLAUSE => cur = up.parent().and_then(|b| b.parent()).ok_or(())?,
            _ => return Err(()),
        }
        if cur.kind() == ELSE_BRANCH {
            cur = cur.parent().ok_or(())?;
        }
    }
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for r in ctx.routes() {
        if !ctx.kinds(r).contains(BlockKind::Request) {
            continue;
        }
        for stmt in kcfg_syntax::ast::AstNode::syntax(&r.block)
            .descendants()
            .filter(|n| n.kind() == EXPR_STMT)
        {
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
            let Ok(Some(mut next)) = next_effective(&stmt) else {
                continue;
            };
            // `break` in a case: what follows the switch
            while next.kind() == BREAK_STMT {
                let Some(sw) = next
                    .ancestors()
                    .find(|a| matches!(a.kind(), SWITCH_STMT | WHILE_STMT | ROUTE_BLOCK))
                else {
                    break;
                };
                if sw.kind() != SWITCH_STMT {
                    break;
                }
                match next_effective(&sw) {
                    Ok(Some(n)) => next = n,
                    _ => break,
                }
            }
            if next.kind() == BREAK_STMT {
                continue;
            }
            if matches!(next.kind(), EXIT_STMT | DROP_STMT | RETURN_STMT) {
                continue;
            }
            let next_text: String = next
                .text()
                .to_string()
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(40)
                .collect();
            out.push(
                Finding::new(
                    r.file,
                    call.text_range(),
                    format!(
                        "`{name}` does not stop the script: `{}` runs next",
                        next_text.trim()
                    ),
                )
                .label(next.text_range(), "runs after the reply")
                .help("add `exit;` after the reply"),
            );
        }
    }
}
