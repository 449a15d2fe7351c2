//! KC504 `unused-module`.

use std::collections::{HashMap, HashSet};

use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC504",
    name: "unused-module",
    category: Category::Hygiene,
    severity: Severity::Info,
    summary: "module loaded but nothing of it is used: no function, PV, transformation, event route or modparam",
    what: "Finds a `loadmodule` of a module that, by the knowledge base of the chosen version, exports script functions, PVs or transformations, when the config uses none of them (as a word outside comments: in the code, in strings, in define values), defines none of its event routes, sets none of its parameters and mentions its name nowhere else. The rule is conservative and never reports: modules that export an API to other modules (a function scripts cannot call, such as tm's `load_tm`, usrloc's `ul_bind_usrloc`, sl's `bind_sl`, maxfwd's `bind_maxfwd`: another module may bind it, and which one does is not in the knowledge base; in 5.6.3 that is 71 of the 249 modules); modules that export nothing scripts can use (database drivers, `ctl`); modules whose effect needs no script call (`tls`, `tlsa`, `kex`, `corex`, `tmx` (transaction statistics), `jsonrpcs`, `xmlrpc`, `xhttp_rpc`, `counters`, `cfg_rpc`, `debugger`, `topoh`, `topos`, `sipcapture`, `log_systemd`, `log_custom`: RPC commands, statistics, connection handling, log engines); configs run by another `cfgengine` (KEMI scripts call functions kcfg does not see); and configs without `request_route` (route fragments, module-loading tests).",
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
    "tmx",
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

/// What the config names: identifier-shaped words (with their counts),
/// PV classes (`$name`, `$(name`) and transformation classes (`{name.`),
/// borrowed from the text.
/// Only the words asked about are counted (`want`): a bit per (first
/// byte, length) pair skips the others without hashing them.
#[derive(Default, Clone)]
struct Names<'t> {
    words: HashMap<&'t str, u32, Fnv>,
    pvs: HashSet<&'t str, Fnv>,
    trs: HashSet<&'t str, Fnv>,
    /// bit `len % 64` of `shape[first byte]` is set for a wanted word
    shape: Vec<u64>,
}

/// FNV-1a: the words are short and not attacker-chosen; std's SipHash was
/// most of the rule's cost on the stock config.
#[derive(Default)]
struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Fnv = std::hash::BuildHasherDefault<FnvHasher>;

/// Word bytes (`[A-Za-z0-9_]`) and the bytes `scan_code` stops at.
const fn table(special: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if special {
            matches!(c, b'#' | b'/' | b'"' | b'\'')
        } else {
            c.is_ascii_alphanumeric() || c == b'_'
        };
        i += 1;
    }
    t
}
static WORD: [bool; 256] = table(false);
static SPECIAL: [bool; 256] = table(true);

impl<'t> Names<'t> {
    /// Counting only `wanted` (and every PV and transformation class).
    fn wanting<'w>(wanted: impl IntoIterator<Item = &'w str>) -> Names<'t> {
        let mut n = Names {
            shape: vec![0; 256],
            ..Names::default()
        };
        for w in wanted {
            let (Some(&b), l) = (w.as_bytes().first(), w.len()) else {
                continue;
            };
            n.shape[usize::from(b)] |= 1 << (l % 64);
        }
        n
    }

    fn scan(&mut self, text: &'t str) {
        let b = text.as_bytes();
        let is_w = |c: u8| WORD[usize::from(c)];
        let mut i = 0;
        while i < b.len() {
            if !is_w(b[i]) {
                i += 1;
                while i < b.len() && !is_w(b[i]) {
                    i += 1;
                }
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
            if self.shape[usize::from(b[s])] & (1 << ((i - s) % 64)) != 0 {
                *self.words.entry(w).or_default() += 1;
            }
        }
    }

    /// Scan a whole config text without its comments (`# ...` except `#!`
    /// directives, `/* ... */`); strings are scanned too (PVs in them).
    fn scan_code(&mut self, text: &'t str) {
        let b = text.as_bytes();
        let mut seg = 0; // start of the current code segment
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'#' if b.get(i + 1) != Some(&b'!') => {
                    self.scan(&text[seg..i]);
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
                    seg = i;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    self.scan(&text[seg..i]);
                    i = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
                    seg = i;
                }
                q @ (b'"' | b'\'') => {
                    // a string: skip to its end (a `#` in it is no comment)
                    i += 1;
                    while i < b.len() && b[i] != q {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                _ => {
                    i += 1;
                    while i < b.len() && !SPECIAL[usize::from(b[i])] {
                        i += 1;
                    }
                }
            }
        }
        self.scan(&text[seg.min(b.len())..]);
    }

    fn count(&self, w: &str) -> u32 {
        self.words.get(w).copied().unwrap_or(0)
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
    // route fragments and module-loading tests have no request_route
    if !ctx
        .routes()
        .iter()
        .any(|r| r.kind == kcfg_syntax::ast::RouteKind::Request)
    {
        return;
    }
    let cands = candidates(ctx);
    if cands.is_empty() {
        return;
    }
    // KEMI scripts call functions kcfg does not see
    if ctx.mentions("cfgengine")
        && ctx
            .nodes(CFGENGINE)
            .any(|(file, n)| !ctx.text(file, n).contains("native"))
    {
        return;
    }
    // the words looked up below
    let wanted = cands.iter().flat_map(|(_, module)| {
        std::iter::once(module.name)
            .chain(module.exports_name)
            .chain(module.functions().iter().map(|f| f.name))
    });
    let mut names = Names::wanting(wanted);
    let mut in_loads = names.clone();
    for (_, f) in ctx.files() {
        names.scan_code(&f.text);
    }
    // the loadmodule arguments themselves are no use
    for m in &ctx.model.modules {
        let f = ctx.model.file(m.file);
        if let Some(t) = f.text.get(std::ops::Range::<usize>::from(m.range)) {
            in_loads.scan(t);
        }
    }
    let used_word = |w: &str| names.count(w) > in_loads.count(w);
    // event routes: `event_route[name:...]`
    let events: Vec<&str> = ctx
        .routes()
        .iter()
        .filter(|r| r.kind == kcfg_syntax::ast::RouteKind::Event)
        .filter_map(|r| {
            let n = r.block.name_node()?;
            let t = &ctx.model.file(r.file).text[n.text_range()];
            Some(t.trim_matches(|c: char| c == '[' || c == ']' || c == '"' || c.is_whitespace()))
        })
        .collect();
    for (i, module) in cands {
        let m = &ctx.model.modules[i];
        let functions = module.functions();
        let used = used_word(module.name)
            || module.exports_name.is_some_and(used_word)
            || functions.iter().any(|f| used_word(f.name))
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
