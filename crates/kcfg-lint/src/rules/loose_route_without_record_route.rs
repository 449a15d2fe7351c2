//! KC307 `loose-route-without-record-route`.

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC307",
    name: "loose-route-without-record-route",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "`loose_route()` used, but no `record_route()` anywhere",
    what: "Finds configs (with a `request_route`; fragments meant to be included are skipped) that call `loose_route()` but never `record_route()`, `record_route_preset()` or `record_route_advertised_address()` in the file or its includes.",
    why: "`loose_route()` routes in-dialog requests by the Route headers that this proxy inserted into the dialog with `record_route()` when the dialog was created. Without Record-Route the proxy is not in the route set: in-dialog requests (ACK, BYE, re-INVITE) bypass it or, when they come to it anyway, have no Route header to follow.",
    example: "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"siputils.so\"\nrequest_route {\n\tif (has_totag()) {\n\t\tif (loose_route()) {\n\t\t\tt_relay();\n\t\t}\n\t\texit;\n\t}\n\tt_relay();\n\texit;\n}\n",
    fix: "Call `record_route()` for dialog-forming requests (INVITE, SUBSCRIBE) before relaying them.",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"siputils.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (has_totag()) {\n\t\tif (loose_route()) {\n\t\t\tt_relay();\n\t\t}\n\t\texit;\n\t}\n\tif (is_method(\"INVITE|SUBSCRIBE\")) {\n\t\trecord_route();\n\t}\n\tt_relay();\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("loose_route") {
        return;
    }
    // a fragment without request_route is included by a config that may
    // record-route elsewhere
    if !ctx
        .routes()
        .iter()
        .any(|r| r.kind == kcfg_syntax::ast::RouteKind::Request)
    {
        return;
    }
    let calls = ctx.calls();
    if calls.iter().any(|(_, _, n)| n.starts_with("record_route")) {
        return;
    }
    if let Some((file, call, _)) = calls.iter().find(|(_, _, n)| n == "loose_route") {
        out.push(
            Finding::new(*file, call.text_range(), "`loose_route()` is used but nothing calls `record_route()`: in-dialog requests will not come through this proxy")
                .help("call `record_route()` for INVITE and SUBSCRIBE before relaying them"),
        );
    }
}
