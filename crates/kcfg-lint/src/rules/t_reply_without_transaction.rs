//! KC308 `t-reply-without-transaction`.

use kcfg_syntax::ast::{AstNode, RouteKind};
use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC308",
    name: "t-reply-without-transaction",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "`t_reply` in `request_route` before anything made a transaction: Kamailio sends no reply",
    what: "Finds `t_reply(...)` in the `request_route` block itself when no call before it in that block (in any branch) can make or find a transaction: no `t_newtran`, `t_relay`, `t_check_trans`, `t_lookup_request` or other `t_*` function (but `t_reply`), no function of tm, tmx, async, http_async_client, evapi, uac, msilo or sms, no `route(...)` (a sub-route may make one) and no KEMI call. Calls inside a `while` loop are not reported (an earlier iteration may have made the transaction). Sub-routes are not looked at.",
    why: "`t_reply` replies through the request's transaction; it does not make one. Without it, tm logs `cannot send a t_reply to a message for which no T-state has been established` and returns -1, and the caller gets no answer and retransmits until its own timer fires. Measured with Kamailio 5.6.3 (`fixtures/runtime/tmevents.*`): `t_reply(\"404\", ...)` on a new MESSAGE sent nothing and set `$rc` to -1, while `t_newtran(); t_reply(\"486\", ...)` answered. `sl_send_reply` replies statelessly, and `send_reply` picks stateful or stateless by whether a transaction exists.",
    example: "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nrequest_route {\n\tif (is_method(\"MESSAGE\")) {\n\t\tt_reply(\"404\", \"Not Here\");\n\t\texit;\n\t}\n\tsl_send_reply(\"403\", \"Forbidden\");\n\texit;\n}\n",
    fix: "Make the transaction first (`t_newtran();` before `t_reply`), or reply statelessly with `sl_send_reply` (or `send_reply`).",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nrequest_route {\n\tif (is_method(\"MESSAGE\")) {\n\t\tt_newtran();\n\t\tt_reply(\"404\", \"Not Here\");\n\t\texit;\n\t}\n\tsl_send_reply(\"403\", \"Forbidden\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// Modules whose functions make, find or suspend a transaction (or run
/// code kcfg cannot see).
const TRANSACTION_MODULES: &[&str] = &[
    "tm",
    "tmx",
    "async",
    "http_async_client",
    "evapi",
    "uac",
    "msilo",
    "sms",
    "app_lua",
    "app_python",
    "app_python3",
    "app_python3s",
    "app_jsdt",
    "app_perl",
    "app_ruby",
    "app_sqlang",
];

fn may_make_transaction(ctx: &Ctx<'_>, name: &str) -> bool {
    if name == "t_reply" || name == "t_send_reply" {
        return false;
    }
    if name == "route" || name.starts_with("t_") {
        return true;
    }
    let db = kcfg_modules::db(ctx.model.version);
    db.functions(name)
        .iter()
        .any(|f| TRANSACTION_MODULES.contains(&f.module))
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("t_reply") {
        return;
    }
    let calls = ctx.calls();
    for (file, call, name) in calls {
        if name != "t_reply" {
            continue;
        }
        let Some(r) = ctx.route_of(*file, call) else {
            continue;
        };
        if r.kind != RouteKind::Request || r.route.is_none() {
            continue;
        }
        let in_loop = call
            .ancestors()
            .take_while(|a| a.kind() != ROUTE_BLOCK)
            .any(|a| a.kind() == WHILE_STMT);
        if in_loop {
            continue;
        }
        let block = r.block.syntax().text_range();
        let start = call.text_range().start();
        let made_before = calls.iter().any(|(f, c, n)| {
            f == file
                && block.contains_range(c.text_range())
                && c.text_range().start() < start
                && may_make_transaction(ctx, n)
        });
        if made_before {
            continue;
        }
        let head = crate::ctx::call_head(call);
        out.push(
            Finding::new(
                *file,
                head,
                "`t_reply` before any transaction exists: Kamailio sends no reply and returns -1",
            )
            .help("call `t_newtran()` first, or reply with `sl_send_reply` / `send_reply`"),
        );
    }
}
