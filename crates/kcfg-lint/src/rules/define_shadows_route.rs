//! KC403 `define-shadows-route`.

use kcfg_syntax::SyntaxKind::{IDENT, ROUTE_NAME};

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC403",
    name: "define-shadows-route",
    category: Category::Preprocessor,
    severity: Severity::Warning,
    summary: "`#!define` with the name of a route block: the route is renamed to the define's value",
    what: "Finds a `#!define`/`#!trydef`/`#!redefine`/`#!substdef` (in effect) whose name is also the unquoted name of a `route`, `failure_route`, `onreply_route` or `branch_route` block.",
    why: "Kamailio's lexer replaces a defined name wherever it appears as an identifier, so `route[RELAY]` and `route(RELAY)` both become the define's value (measured on 5.6.3: with `#!define RELAY 1` the config is accepted and `route(RELAY)` runs `route[1]`). Everything that names the route in a string no longer finds it: `t_on_failure(\"MANAGE_FAILURE\")`, `t_on_reply(\"...\")`, a name computed at run time (`route($var(r))`), timer and event modparams. With an empty define (`#!define RELAY`, the usual form of a feature switch) `kamailio -c` fails with `invalid route statement` and `bad route argument`, far from the define; with a value that is another route's name the two routes collide.",
    example: "#!define MANAGE_FAILURE 2\nloadmodule \"tm.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tt_on_failure(\"MANAGE_FAILURE\");\n\tt_relay();\n\texit;\n}\nfailure_route[MANAGE_FAILURE] {\n\txlog(\"L_INFO\", \"failed\\n\");\n}\n",
    fix: "Give the define another name (feature switches are usually `WITH_...`, constants `FLT_...`/`T_...`).",
    fixed_example: "#!define FLT_FAILURE 2\nloadmodule \"tm.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tt_on_failure(\"MANAGE_FAILURE\");\n\tt_relay();\n\texit;\n}\nfailure_route[MANAGE_FAILURE] {\n\txlog(\"L_INFO\", \"failed\\n\");\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    use kcfg_syntax::ast::RouteKind;
    if ctx.model.defines.is_empty() {
        return;
    }
    // the first bytes and lengths of the define names: most route names
    // are ruled out without a look-up in the defines
    let mut first = [false; 256];
    let mut lengths = 0u64; // bit `len` for lengths below 64, bit 63 for the others
    for name in ctx.model.defines.keys() {
        if let Some(&b) = name.as_bytes().first() {
            first[usize::from(b)] = true;
        }
        lengths |= 1 << name.len().min(63);
    }
    let maybe_define = |t: &str| {
        t.as_bytes().first().is_some_and(|&b| first[usize::from(b)])
            && lengths & (1 << t.len().min(63)) != 0
            && ctx.model.defines.contains_key(t)
    };
    for r in ctx.routes() {
        if r.kind == RouteKind::Event || r.kind == RouteKind::Request {
            continue;
        }
        // only a name written as an identifier is replaced (not "RELAY");
        // the name node and its identifier are read from the green tree
        // first (no red nodes or tokens): most route names are no define
        let kind_of = <kcfg_syntax::KamailioLanguage as rowan::Language>::kind_from_raw;
        let block = kcfg_syntax::ast::AstNode::syntax(&r.block).green();
        let ident = block
            .children()
            .find_map(|c| c.into_node().filter(|n| kind_of(n.kind()) == ROUTE_NAME))
            .and_then(|name| {
                name.children()
                    .find_map(|c| c.into_token().filter(|t| kind_of(t.kind()) == IDENT))
            });
        if !ident.is_some_and(|t| maybe_define(t.text())) {
            continue;
        }
        let Some(name) = r.block.name_node() else {
            continue;
        };
        let Some(tok) = name
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == IDENT)
        else {
            continue;
        };
        let Some(d) = ctx.model.defines.get(tok.text()) else {
            continue;
        };
        let value = match d.value.as_deref() {
            Some("") => {
                "nothing (`kamailio -c` then fails with `invalid route statement`)".to_string()
            }
            Some(v) => format!("`{v}`"),
            None => "a value known only when Kamailio starts".to_string(),
        };
        let keyword = r
            .block
            .keyword()
            .map_or_else(|| "route".to_string(), |k| k.text().to_string());
        let mut f = Finding::new(
            r.file,
            tok.text_range(),
            format!(
                "`{}` is a define: {keyword}[{}] is renamed to {value}",
                tok.text(),
                tok.text()
            ),
        )
        .help("rename the define; names of the route in strings (t_on_failure(\"...\"), route($var(x))) no longer find it");
        if let kcfg_sema::DefineOrigin::Directive { file, range } = d.origin {
            if file == r.file {
                f = f.label(range, "defined here");
            }
        }
        out.push(f);
    }
}
