//! KC504 `unused-module`.

use std::collections::HashSet;

use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC504",
    name: "unused-module",
    category: Category::Hygiene,
    severity: Severity::Info,
    summary: "module loaded but nothing of it is used: no function, PV, transformation, event route or modparam",
    what: "Finds a `loadmodule` of a module that, by the knowledge base of the chosen version, exports script functions, PVs or transformations, when the config uses none of them (as a word outside comments: in the code, in strings, in define values), defines none of its event routes, sets none of its parameters and mentions its name nowhere else. The rule is conservative and never reports: modules that export an API to other modules (a function scripts cannot call, such as tm's `load_tm`, usrloc's `ul_bind_usrloc`, sl's `bind_sl`, maxfwd's `bind_maxfwd`: another module may bind it, and which one does is not in the knowledge base; in 5.6.3 that is 71 of the 249 modules); modules that export nothing scripts can use (database drivers, `ctl`); modules whose effect needs no script call (`tls`, `tlsa`, `kex`, `corex`, `jsonrpcs`, `xmlrpc`, `xhttp_rpc`, `counters`, `cfg_rpc`, `debugger`, `topoh`, `topos`, `sipcapture`, `log_systemd`, `log_custom`: RPC commands, statistics, connection handling, log engines); and configs run by another `cfgengine` (KEMI scripts call functions kcfg does not see).",
    why: "A module loaded for nothing costs memory in every process, start-up time, and often its own processes, timers or database connections; it also makes the reader believe a feature (accounting, NAT pings, presence) is active when it is not, typically after a `route` using it was deleted or commented out.",
    example: "loadmodule \"tm.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tt_relay();\n\texit;\n}\n",
    fix: "Delete the `loadmodule` line (and the module's `modparam` lines), or restore the code that used it.",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"relaying $rm\\n\");\n\tt_relay();\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// Modules whose effect needs no script call (RPC transports and commands,
/// statistics, connection handling, log engines, message rewriting), which
/// the knowledge base cannot tell (it has no RPC exports or callbacks).
const ACT_ON_THEIR_OWN: &[&str] = &[
    "tls",
    "tlsa",
    "kex",
    "corex",
    "jsonrpcs",
    "xmlrpc",
    "xhttp_rpc",
    "ctl",
    "counters",
    "cfg_rpc",
    "debugger",
    "topoh",
    "topos",
    "sipcapture",
    "log_systemd",
    "log_custom",
];

/// What the config names: identifier-shaped words, PV classes (`$name`,
/// `$(name`) and transformation classes (`{name.`), borrowed from the text.
#[derive(Default)]
struct Names<'t> {
    words: HashSet<&'t str>,
    pvs: HashSet<&'t str>,
    trs: HashSet<&'t str>,
}

impl<'t> Names<'t> {
    fn scan(&mut self, text: &'t str) {
        let b = text.as_bytes();
        let is_w = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut i = 0;
        while i < b.len() {
            if !is_w(b[i]) {
                i += 1;
                continue;
            }
            let s = i;
            while i < b.len() && is_w(b[i]) {
                i += 1;
            }
            let w = &text[s..i];
            let before = if s > 0 { b[s - 1] } else { b' ' };
            let before2 = if s > 1 { b[s - 2] } else { b' ' };
            if before == b'$' || (before == b'(' && before2 == b'$') {
                self.pvs.insert(w);
            } else if before == b'{' && i < b.len() && b[i] == b'.' {
                self.trs.insert(w);
            }
            self.words.insert(w);
        }
    }
}

/// The modules the rule may report: loaded, known, script-visible, no API
/// for other modules, not acting on their own.
fn candidates(ctx: &Ctx<'_>) -> Vec<(usize, &'static kcfg_modules::Module)> {
    let mut out = Vec::new();
    for (i, m) in ctx.model.modules.iter().enumerate() {
        let Some(module) = m.module else { continue };
        if !m.loaded || ACT_ON_THEIR_OWN.contains(&module.name) {
            continue;
        }
        let functions = module.functions();
        if functions.iter().any(|f| !f.script_callable) {
            continue; // an API for other modules
        }
        let script_visible = functions.iter().any(|f| f.script_callable)
            || !module.pv_classes.is_empty()
            || !module.transformation_classes.is_empty();
        if script_visible {
            out.push((i, module));
        }
    }
    out
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    use rowan::{NodeOrToken, WalkEvent};
    let cands = candidates(ctx);
    if cands.is_empty() {
        return;
    }
    // KEMI scripts call functions kcfg does not see
    if ctx.mentions("cfgengine")
        && ctx
            .nodes(CFGENGINE)
            .any(|(_, n)| !n.text().to_string().contains("native"))
    {
        return;
    }
    let mut names = Names::default();
    let mut events: Vec<&str> = Vec::new();
    for (_, f) in ctx.files() {
        let root = f.parse.syntax_node();
        // one walk; the loadmodule arguments themselves are no use
        let mut in_load = 0u32;
        for ev in root.preorder_with_tokens() {
            match ev {
                WalkEvent::Enter(NodeOrToken::Node(n)) if n.kind() == LOADMODULE => in_load += 1,
                WalkEvent::Leave(NodeOrToken::Node(n)) if n.kind() == LOADMODULE => in_load -= 1,
                WalkEvent::Enter(NodeOrToken::Token(t)) if in_load == 0 => {
                    let text = &f.text[t.text_range()];
                    match t.kind() {
                        EVENT_ROUTE_NAME => events.push(text.trim_matches('"')),
                        STRING | SQ_STRING | PVAR | IDENT | PP_BODY | PP_NAME | INACTIVE_CODE => {
                            names.scan(text)
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    for (i, module) in cands {
        let m = &ctx.model.modules[i];
        let functions = module.functions();
        let used = names.words.contains(module.name)
            || module.exports_name.is_some_and(|n| names.words.contains(n))
            || functions.iter().any(|f| names.words.contains(f.name))
            || module.pv_classes.iter().any(|p| names.pvs.contains(*p))
            || module
                .transformation_classes
                .iter()
                .any(|t| names.trs.contains(*t))
            || events.iter().any(|e| {
                e.split(':').next() == Some(module.name)
                    || module.event_routes.iter().any(|r| e.starts_with(r))
            });
        if used {
            continue;
        }
        out.push(
            Finding::new(
                m.file,
                m.arg_range,
                format!(
                    "module `{}` is loaded but nothing of it is used (no function, PV, transformation, event route or parameter)",
                    module.name
                ),
            )
            .help("delete the loadmodule line, or restore the code that used it"),
        );
    }
}
