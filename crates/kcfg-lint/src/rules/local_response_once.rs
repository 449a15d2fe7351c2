//! KC213 `local-response-once`.

use kcfg_modules::KamailioVersion;
use kcfg_syntax::ast::{AstNode, RouteKind};

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC213",
    name: "local-response-once",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`event_route[tm:local-response]` runs only for the first reply tm makes in each Kamailio 5.6 process",
    what: "Finds an active `event_route[tm:local-response]` block when the target is Kamailio 5.6 (`--kamailio-version 5.6` or `kamailio-version` in `kcfg.toml`). On 6.0 and later it is not reported.",
    why: "tm runs this route after it sends a reply it made itself (`t_reply`, the automatic `100 trying`, the `200` to a CANCEL). In Kamailio 5.6 (`_reply_light` in tm/t_reply.c) the route is looked up only once per process, on the first such reply, and the lookup's result is not kept: the route runs for that first reply of each worker process and never again. Measured with Kamailio 5.6.3 (one worker, `fixtures/runtime/tmevents.*`): the route logged the `100 trying` of the first INVITE and nothing for the later `100 trying` and `t_reply` replies. Kamailio 6.0 keeps the route's index and runs it every time. Accounting, logging or counters written there silently stop after the first reply.",
    example: "loadmodule \"tm.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tt_newtran();\n\tt_reply(\"404\", \"Not Found\");\n\texit;\n}\nevent_route[tm:local-response] {\n\txlog(\"L_INFO\", \"replied $rs\\n\");\n}\n",
    fix: "Do the work where the reply is sent (next to `t_reply`), or upgrade to Kamailio 6.0, where the route runs for every local reply.",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tt_newtran();\n\tt_reply(\"404\", \"Not Found\");\n\txlog(\"L_INFO\", \"replied 404\\n\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if ctx.model.version >= KamailioVersion::V6_0 || !ctx.mentions("tm:local-response") {
        return;
    }
    for r in ctx.routes() {
        if r.kind != RouteKind::Event
            || r.route.is_none()
            || r.name.as_deref() != Some("tm:local-response")
        {
            continue;
        }
        let at = r
            .block
            .name_node()
            .map_or_else(|| r.block.syntax().text_range(), |n| n.text_range());
        out.push(
            Finding::new(
                r.file,
                at,
                "in Kamailio 5.6 this route runs only for the first reply tm makes in each process",
            )
            .help("5.6 looks the route up once per process and does not keep it (fixed in 6.0): do the work where the reply is sent"),
        );
    }
}
