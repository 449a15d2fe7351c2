//! KC202 `cached-time-after-slow-call`.

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::{call_name, pv_parts};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC202",
    name: "cached-time-after-slow-call",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`$Ts`/`$Tf` (the time the message arrived) read after a slow call or in a loop, where the current time is meant",
    what: "Finds `$Ts` and `$Tf` read inside a `while` loop or after a call that can take long (HTTP, SQL, sleep, exec, ...) in the same route block.",
    why: "`$Ts` and `$Tf` are taken once per message and cached: they do not change while the message is processed. A timestamp written after an HTTP query or a loop with `$Ts` is the arrival time, not the time of the event, and durations computed from it are zero. `$TS` and `$TF` read the clock each time. (Kamailio 5.6.3 source, `modules/pv/pv_time.c`: `pv_get_times`/`pv_get_timef` use `msg_set_time(msg)`, which stores the time in the message once; `pv_get_timenows`/`pv_get_timenowf` call `time(NULL)`.)",
    example: "loadmodule \"http_client.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\thttp_client_query(\"http://127.0.0.1/x\", \"$var(r)\");\n\txlog(\"L_INFO\", \"answered at $Ts\\n\");\n\texit;\n}\n",
    fix: "Read the real clock with `$TS` (seconds) or `$TF` (formatted); keep `$Ts` only for the arrival time of the message.",
    fixed_example: "loadmodule \"http_client.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\thttp_client_query(\"http://127.0.0.1/x\", \"$var(r)\");\n\txlog(\"L_INFO\", \"answered at $TS\\n\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// Functions that can block for a noticeable time.
pub const SLOW: &[&str] = &[
    "http_client_query",
    "http_client_get",
    "http_client_post",
    "http_connect",
    "http_connect_raw",
    "http_get_redirect",
    "http_query",
    "sql_query",
    "sql_xquery",
    "sql_pvquery",
    "sql_query_async",
    "avp_db_query",
    "avp_db_load",
    "sleep",
    "usleep",
    "jsonrpc_exec",
    "exec_msg",
    "exec_avp",
    "exec_cmd",
    "ldap_search",
    "redis_cmd",
    "mongodb_find",
    "mongodb_cmd",
    "lua_run",
    "python_exec",
    "perl_exec",
    "jsdt_run",
    "rest_get",
    "rest_post",
];

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("Ts") && !ctx.mentions("Tf") {
        return;
    }
    for r in ctx.routes() {
        let Some(body) = r.block.body() else { continue };
        let mut slow: Option<(kcfg_syntax::TextRange, String)> = None;
        for el in kcfg_syntax::ast::AstNode::syntax(&body).descendants_with_tokens() {
            if let Some(n) = el.as_node() {
                if n.kind() == CALL {
                    if let Some(name) = call_name(n) {
                        if SLOW.contains(&name.as_str()) && slow.is_none() {
                            slow = Some((n.text_range(), name));
                        }
                    }
                }
                continue;
            }
            let Some(t) = el.as_token() else { continue };
            if !(t.text().contains("Ts") || t.text().contains("Tf")) {
                continue;
            }
            let texts: Vec<(String, kcfg_syntax::TextRange)> = match t.kind() {
                PVAR => vec![(t.text().to_string(), t.text_range())],
                STRING => kcfg_syntax::pvar::scan_format(t.text())
                    .into_iter()
                    .map(|p| {
                        let s =
                            t.text_range().start() + kcfg_syntax::TextSize::from(p.start as u32);
                        (
                            t.text()[p.start..p.end].to_string(),
                            kcfg_syntax::TextRange::at(
                                s,
                                kcfg_syntax::TextSize::from((p.end - p.start) as u32),
                            ),
                        )
                    })
                    .collect(),
                _ => continue,
            };
            for (text, range) in texts {
                let Some((class, _, _)) = pv_parts(&text) else {
                    continue;
                };
                if class != "Ts" && class != "Tf" {
                    continue;
                }
                let in_loop = t
                    .parent_ancestors()
                    .take_while(|a| a.kind() != ROUTE_BLOCK)
                    .any(|a| a.kind() == WHILE_STMT);
                let real = if class == "Ts" { "$TS" } else { "$TF" };
                if let Some((sr, name)) = &slow {
                    out.push(
                        Finding::new(r.file, range, format!("`${class}` is the arrival time of the message, not the time after `{name}()`"))
                            .help(format!("use `{real}` to read the clock now"))
                            .label(*sr, "this call can take a while"),
                    );
                } else if in_loop {
                    out.push(
                        Finding::new(r.file, range, format!("`${class}` does not change between loop iterations: it is the arrival time of the message"))
                            .help(format!("use `{real}` to read the clock now")),
                    );
                }
            }
        }
    }
}
