//! KC504 `unused-module`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::SyntaxNode;
use rowan::GreenNodeData;

use crate::cache::{NodeMemo, NodeMemoRun};
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
        self.scan_code_to(text, 0, text.len());
    }

    /// [`Names::scan_code`] of the constructs (comments, strings, runs of
    /// other bytes) that start in `from..end`, `from` being outside any
    /// comment or string; returns where the last one ends (`end` or past
    /// it) and whether a comment or string ran to the end of `text`
    /// without its end.
    fn scan_code_to(&mut self, text: &'t str, from: usize, end: usize) -> (usize, bool) {
        let b = text.as_bytes();
        let mut seg = from; // start of the current code segment
        let mut i = from;
        let mut open = false;
        while i < end {
            match b[i] {
                b'#' if b.get(i + 1) != Some(&b'!') => {
                    self.scan(&text[seg..i]);
                    i = match memchr::memchr(b'\n', &b[i..]) {
                        Some(k) => i + k,
                        None => {
                            open = true;
                            b.len()
                        }
                    };
                    seg = i;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    self.scan(&text[seg..i]);
                    i = match text[i + 2..].find("*/") {
                        Some(e) => i + 2 + e + 2,
                        None => {
                            open = true;
                            b.len()
                        }
                    };
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
                    if i >= b.len() {
                        open = true;
                    }
                    i += 1;
                }
                _ => {
                    i += 1;
                    while i < end && !SPECIAL[usize::from(b[i])] {
                        i += 1;
                    }
                }
            }
        }
        self.scan(&text[seg.min(b.len())..i.min(b.len())]);
        (i, open)
    }

    /// [`Names::scan_code`] of a file's text, with the names of its big
    /// top-level nodes (route blocks) taken from `memo` when the same
    /// green node was scanned before with the same wanted words. A node's
    /// names are its own only when the scan of the whole text splits
    /// there: the node starts outside any comment or string after a
    /// whitespace byte (no word, PV or transformation runs into it), ends
    /// with a byte that is no word byte, `$`, `(`, `{` or a byte
    /// `scan_code` stops at (none runs out of it), and no comment or
    /// string in it runs past its end; other nodes are scanned with the
    /// text around them.
    fn scan_file(&mut self, text: &'t str, root: &SyntaxNode, memo: &mut MemoRun<'_>) {
        let b = text.as_bytes();
        let mut pos = 0;
        // the children read from the green tree (no red node for each)
        let green = root.green();
        let mut offset = usize::from(root.text_range().start());
        for child in green.children() {
            let (start, end) = (offset, offset + usize::from(child.text_len()));
            offset = end;
            let rowan::NodeOrToken::Node(node) = child else {
                continue;
            };
            if end - start < MEMO_MIN_LEN || start < pos || end > b.len() {
                continue;
            }
            let last = b[end - 1];
            if WORD[usize::from(last)]
                || SPECIAL[usize::from(last)]
                || matches!(last, b'$' | b'(' | b'{')
                || (start > 0 && !b[start - 1].is_ascii_whitespace())
            {
                continue;
            }
            // the text before the node
            let (at, _) = self.scan_code_to(text, pos, start);
            pos = at;
            if at != start {
                continue; // a string or comment runs into the node
            }
            let Some(entry) = memo.entry(node, &text[start..end]) else {
                continue; // scanned with the text after it
            };
            memo.add(&entry);
            pos = end;
        }
        self.scan_code_to(text, pos, b.len());
    }

    fn count(&self, w: &str) -> u32 {
        self.words.get(w).copied().unwrap_or(0)
    }
}

/// Top-level nodes shorter than this are scanned with the text around
/// them (a memo lookup would cost what their scan does).
const MEMO_MIN_LEN: usize = 64;

/// The names found in a top-level node's text alone, by their number in
/// the memo's [`Interner`]: (name, count) of the wanted words, the PV and
/// transformation classes.
#[derive(Default)]
struct NodeNames {
    words: Vec<(u32, u32)>,
    pvs: Vec<u32>,
    trs: Vec<u32>,
}

/// A number for each name the memoised nodes hold: adding a node's names
/// to a lint's totals is indexing, no hashing. Kept with the memo (the
/// numbers of its entries); bounded with it (see [`MemoRun::finish`]).
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32, Fnv>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(name.to_string(), id);
        id
    }
}

/// The names of the top-level nodes the last lint met, by green node
/// ([`NodeMemo`]; `None`: the node's scan is not its own, a comment or
/// string runs past its end), for one set of wanted words (`shape`;
/// another set drops every entry).
#[derive(Default)]
pub(crate) struct Memo {
    shape: Vec<u64>,
    nodes: NodeMemo<Option<Arc<NodeNames>>>,
    /// the numbers of the names in `nodes`
    names: Interner,
}

impl Memo {
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }
}

/// One lint's use of the memo: the entries it reads and the ones it keeps
/// (the nodes met).
struct MemoRun<'m> {
    shape: &'m [u64],
    nodes: NodeMemoRun<Option<Arc<NodeNames>>>,
    names: Interner,
    /// the names of the nodes taken from the memo so far, by number:
    /// word counts, whether each PV and transformation class was seen
    words: Vec<u32>,
    pvs: Vec<bool>,
    trs: Vec<bool>,
}

impl<'m> MemoRun<'m> {
    fn new(shape: &'m [u64], memo: Memo) -> MemoRun<'m> {
        let old = if memo.shape == shape {
            memo
        } else {
            Memo::default()
        };
        MemoRun {
            shape,
            nodes: NodeMemoRun::new(old.nodes),
            names: old.names,
            words: Vec::new(),
            pvs: Vec::new(),
            trs: Vec::new(),
        }
    }

    /// The names of a node whose text is `text`, remembered or found now.
    fn entry(&mut self, green: &GreenNodeData, text: &str) -> Option<Arc<NodeNames>> {
        if let Some(e) = self.nodes.get(green) {
            return e.clone();
        }
        let mut n = Names {
            shape: self.shape.to_vec(),
            ..Names::default()
        };
        let (_, open) = n.scan_code_to(text, 0, text.len());
        let names = &mut self.names;
        let e = (!open).then(|| {
            Arc::new(NodeNames {
                words: n.words.iter().map(|(w, &c)| (names.id(w), c)).collect(),
                pvs: n.pvs.iter().map(|w| names.id(w)).collect(),
                trs: n.trs.iter().map(|w| names.id(w)).collect(),
            })
        });
        self.nodes.insert(green, e.clone());
        e
    }

    /// Add a node's names to the totals.
    fn add(&mut self, e: &NodeNames) {
        let n = self.names.ids.len();
        if self.words.len() < n {
            self.words.resize(n, 0);
            self.pvs.resize(n, false);
            self.trs.resize(n, false);
        }
        for &(id, c) in &e.words {
            self.words[id as usize] += c;
        }
        for &id in &e.pvs {
            self.pvs[id as usize] = true;
        }
        for &id in &e.trs {
            self.trs[id as usize] = true;
        }
    }

    fn id(&self, name: &str) -> Option<usize> {
        self.names.ids.get(name).map(|&id| id as usize)
    }

    /// How often the memoised nodes hold the word `w`.
    fn count(&self, w: &str) -> u32 {
        self.id(w)
            .and_then(|id| self.words.get(id).copied())
            .unwrap_or(0)
    }

    fn has_pv(&self, p: &str) -> bool {
        self.id(p)
            .is_some_and(|id| self.pvs.get(id).copied().unwrap_or(false))
    }

    fn has_tr(&self, t: &str) -> bool {
        self.id(t)
            .is_some_and(|id| self.trs.get(id).copied().unwrap_or(false))
    }

    /// The memo to keep: this run's nodes (their names numbered anew when
    /// the numbers grew well past what the nodes hold).
    fn finish(self) -> Memo {
        let live: usize = self
            .nodes
            .kept()
            .filter_map(|e| e.as_ref())
            .map(|e| e.words.len() + e.pvs.len() + e.trs.len())
            .sum();
        let shape = self.shape.to_vec();
        if self.names.ids.len() > 1024 + 4 * live {
            // entries hold numbers of the old interner: start afresh
            return Memo {
                shape,
                ..Memo::default()
            };
        }
        Memo {
            shape,
            nodes: self.nodes.finish(),
            names: self.names,
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
    let cache = ctx.cache();
    let shape = names.shape.clone();
    // without a cache: an empty run, the files scanned whole
    let taken = cache.map(|c| crate::cache::take(&c.unused_module));
    let mut memo = MemoRun::new(&shape, taken.unwrap_or_default());
    for (_, f) in ctx.files() {
        if cache.is_some() {
            names.scan_file(&f.text, &f.parse.syntax_node(), &mut memo);
        } else {
            names.scan_code(&f.text);
        }
    }
    // the loadmodule arguments themselves are no use
    for m in &ctx.model.modules {
        let f = ctx.model.file(m.file);
        if let Some(t) = f.text.get(std::ops::Range::<usize>::from(m.range)) {
            in_loads.scan(t);
        }
    }
    let used_word = |w: &str| names.count(w) + memo.count(w) > in_loads.count(w);
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
            || module
                .pv_classes
                .iter()
                .any(|p| names.pvs.contains(*p) || memo.has_pv(p))
            || module
                .transformation_classes
                .iter()
                .any(|t| names.trs.contains(*t) || memo.has_tr(t))
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
    if let Some(c) = cache {
        c.hit(crate::cache::Which::UnusedModule, memo.nodes.hits());
        crate::cache::put(&c.unused_module, memo.finish());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Found = (Vec<(String, u32)>, Vec<String>, Vec<String>);

    fn found(n: &Names<'_>) -> Found {
        let mut w: Vec<_> = n.words.iter().map(|(w, &c)| (w.to_string(), c)).collect();
        let mut p: Vec<_> = n.pvs.iter().map(|w| w.to_string()).collect();
        let mut t: Vec<_> = n.trs.iter().map(|w| w.to_string()).collect();
        w.sort();
        p.sort();
        t.sort();
        (w, p, t)
    }

    /// `scan_file` with the memo carried from the scans before.
    fn memo_scan(
        text: &str,
        root: &SyntaxNode,
        wanted: &[&str],
        memo: &mut Memo,
    ) -> (Found, usize) {
        let mut n = Names::wanting(wanted.iter().copied());
        let shape = n.shape.clone();
        let mut run = MemoRun::new(&shape, std::mem::take(memo));
        n.scan_file(text, root, &mut run);
        let hits = run.nodes.hits();
        // the names of the text: those scanned here and the memo's
        let mut words: HashMap<String, u32> =
            n.words.iter().map(|(w, &c)| (w.to_string(), c)).collect();
        let mut pvs: HashSet<String> = n.pvs.iter().map(|w| w.to_string()).collect();
        let mut trs: HashSet<String> = n.trs.iter().map(|w| w.to_string()).collect();
        for name in run.names.ids.keys() {
            if run.count(name) > 0 {
                *words.entry(name.clone()).or_default() += run.count(name);
            }
            if run.has_pv(name) {
                pvs.insert(name.clone());
            }
            if run.has_tr(name) {
                trs.insert(name.clone());
            }
        }
        *memo = run.finish();
        let mut w: Vec<_> = words.into_iter().collect();
        let mut p: Vec<_> = pvs.into_iter().collect();
        let mut t: Vec<_> = trs.into_iter().collect();
        w.sort();
        p.sort();
        t.sort();
        ((w, p, t), hits)
    }

    fn plain_scan(text: &str, wanted: &[&str]) -> Found {
        let mut n = Names::wanting(wanted.iter().copied());
        n.scan_code(text);
        found(&n)
    }

    const ROUTE: &str = "route[R] {\n\tif ($rU == \"user\") {\n\t\txlog(\"L_INFO\", \"route: $ru $(avp(x)) $(ru{s.len}) from $si\\n\");\n\t\tt_relay();\n\t}\n}\n";

    /// The memoised scan finds what the scan of the whole text finds: the
    /// same tree scanned again (from the memo), edited texts, nodes a
    /// string or comment runs into or out of, nodes glued to `$`, words
    /// wanted by one scan and not the other on the same tree (fails when
    /// the memo is kept across different wanted words).
    #[test]
    fn memo_scan_equals_whole_text_scan() {
        let texts = [
            format!("loadmodule \"tm.so\"\n{ROUTE}{ROUTE}request_route {{\n\troute(R);\n}}\n"),
            format!("{ROUTE}# comment t_relay\n{ROUTE}/* t_relay {ROUTE} */{ROUTE}"),
            format!("{ROUTE}\"open string {ROUTE}\"{ROUTE}"),
            format!("{ROUTE}#{ROUTE}\n{ROUTE}"),
            format!("x = \"{ROUTE}\n{ROUTE}"),
            format!("{}{ROUTE}", ROUTE.replace("t_relay", "sl_send_reply")),
            format!("{ROUTE}route[S] {{\n\txlog(\"unterminated t_relay);\n}}\n{ROUTE}"),
            format!("{ROUTE}route[S] {{\n\t# t_relay\n}}{ROUTE}$"),
            format!("{ROUTE}/*{ROUTE}"),
        ];
        let wanteds: [&[&str]; 3] = [
            &["t_relay", "xlog", "tm"],
            &["sl_send_reply", "route", "avp"],
            &["t_relay", "xlog", "tm", "user", "si"],
        ];
        let mut memo = Memo::default();
        for round in 0..2 {
            for (k, text) in texts.iter().enumerate() {
                let parse = kcfg_syntax::parse(text);
                let root = parse.syntax_node();
                for wanted in wanteds {
                    let want = plain_scan(text, wanted);
                    let (got, _) = memo_scan(text, &root, wanted, &mut memo);
                    assert_eq!(got, want, "round {round} text {k} {wanted:?}");
                    // the same tree again: from the memo
                    let (again, hits) = memo_scan(text, &root, wanted, &mut memo);
                    assert_eq!(again, want, "again: round {round} text {k}");
                    if k == 0 {
                        assert!(hits >= 2, "the route blocks come from the memo");
                    }
                }
            }
        }
        // the memo keeps only the nodes of the last scan
        assert!(
            memo.len()
                <= kcfg_syntax::parse(&texts[8])
                    .syntax_node()
                    .children()
                    .count()
        );
    }
}
