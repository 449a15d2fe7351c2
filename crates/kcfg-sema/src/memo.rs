//! Memos of route bodies kept across builds of successive versions of one
//! config (the language server's per-route reuse, issue #7).
//!
//! A walk over a route body that reads nothing but the body's tree and a
//! small context (the defines in effect, ...) is recorded as a list of
//! events with ranges relative to the route block's start; the next build
//! that meets the same green node in the same context replays the events
//! instead of walking the tree. Green nodes are compared by identity: the
//! language server's incremental parse keeps the nodes of the routes an
//! edit does not touch, and an entry keeps its node alive, so an address
//! cannot name another node while the entry exists. A body the walk cannot
//! record faithfully (a preprocessor directive, an include, a nested
//! block: anything that changes the walk's state) is not memoised.

use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, Mutex};

/// A route block's green node (by address) and its interned context.
pub(crate) type Key = (usize, u32);

pub(crate) fn key(node: &kcfg_syntax::GreenNode, ctx: u32) -> Key {
    (std::ptr::from_ref(&**node).cast::<()>() as usize, ctx)
}

struct Entry<E> {
    /// the node whose address is the key (kept alive by the entry)
    node: kcfg_syntax::GreenNode,
    events: Arc<[E]>,
    /// the last build that used it
    used: u32,
}

/// The hash of a green node's content (rowan hashes kinds, lengths and
/// token texts): an edit the parser could not apply token-wise builds a
/// new tree whose unchanged routes are equal to the old ones but not the
/// same nodes; they are found by content.
pub(crate) fn content_hash(node: &kcfg_syntax::GreenNode) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(node)
}

/// One memo: contexts `C` interned to small ids, bodies to their events.
pub(crate) struct Memo<C, E> {
    ctxs: Vec<C>,
    /// the bodies the last build and this one used (an entry is marked
    /// with the build that used it last: a hit costs one lookup, not a
    /// move from one map to another)
    map: HashMap<Key, Entry<E>>,
    /// (content hash, context) → key of an entry with that content
    by_hash: HashMap<(u64, u32), Key>,
    /// the current build
    build: u32,
    /// how many bodies were replayed
    hits: usize,
}

impl<C, E> Default for Memo<C, E> {
    fn default() -> Self {
        Memo {
            ctxs: Vec::new(),
            map: HashMap::default(),
            by_hash: HashMap::default(),
            build: 0,
            hits: 0,
        }
    }
}

impl<C: PartialEq, E> Memo<C, E> {
    const MAX_CTXS: usize = 64;

    /// The id of a context.
    pub(crate) fn intern(&mut self, ctx: C) -> u32 {
        if let Some(i) = self.ctxs.iter().position(|k| *k == ctx) {
            return i as u32;
        }
        if self.ctxs.len() >= Self::MAX_CTXS {
            // ids are reused: nothing recorded under the old ones may stay
            self.ctxs.clear();
            self.map.clear();
            self.by_hash.clear();
        }
        self.ctxs.push(ctx);
        (self.ctxs.len() - 1) as u32
    }

    /// The events of `node` in context `ctx`, when an earlier walk
    /// recorded them.
    pub(crate) fn get(&mut self, node: &kcfg_syntax::GreenNode, ctx: u32) -> Option<Arc<[E]>> {
        let k = key(node, ctx);
        let build = self.build;
        if let Some(e) = self.map.get_mut(&k) {
            e.used = build;
            self.hits += 1;
            return Some(e.events.clone());
        }
        // the same content in another node
        let hash = content_hash(node);
        let other = self.by_hash.get(&(hash, ctx))?;
        let e = self.map.get(other).filter(|e| e.node == *node)?;
        let events = e.events.clone();
        self.hits += 1;
        self.by_hash.insert((hash, ctx), k);
        self.map.insert(
            k,
            Entry {
                node: node.clone(),
                events: events.clone(),
                used: build,
            },
        );
        Some(events)
    }

    /// Record the events of `node` in context `ctx` (returned as stored).
    pub(crate) fn insert(
        &mut self,
        node: kcfg_syntax::GreenNode,
        ctx: u32,
        events: Vec<E>,
    ) -> Arc<[E]> {
        let k = key(&node, ctx);
        let hash = content_hash(&node);
        let events: Arc<[E]> = Arc::from(events);
        self.by_hash.insert((hash, ctx), k);
        self.map.insert(
            k,
            Entry {
                node,
                events: events.clone(),
                used: self.build,
            },
        );
        events
    }

    /// Keep what this build used, drop the rest: a memo holds one build's
    /// bodies at most.
    fn end_build(&mut self) {
        let build = self.build;
        self.map.retain(|_, e| e.used == build);
        let map = &self.map;
        self.by_hash.retain(|_, k| map.contains_key(k));
        self.build = self.build.wrapping_add(1);
    }
}

#[derive(Default)]
pub(crate) struct Memos {
    /// the model walk of route bodies (call sites)
    pub walk: Memo<crate::model::WalkCtx, crate::model::WalkEvent>,
    /// the PV/argument site walk of `exprs`
    pub sites: crate::exprs::SiteMemo,
    /// the block-kind guards of calls (`if (is_reply())`) of the call graph
    pub guards: crate::callgraph::GuardMemo,
    /// the arguments of module functions whose check found nothing
    pub params: crate::exprs::ParamMemo,
    /// the route bodies whose PV and argument checks found nothing
    pub clean: crate::exprs::CleanMemo,
}

impl Memos {
    pub(crate) fn end_build(&mut self) {
        self.walk.end_build();
        self.sites.end_build();
        self.guards.end_build();
        self.params.end_build();
        self.clean.end_build();
    }
}

/// The memos of route bodies of kcfg-sema's walks, kept by a caller that
/// builds successive versions of the same config (the language server
/// keeps one per root file; see [`crate::Model::build_cached`]). The model
/// built with it equals the model built without it. Holds what one build
/// used; use one per config.
#[derive(Default)]
pub struct RouteCache {
    inner: Mutex<Memos>,
}

impl std::fmt::Debug for RouteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RouteCache")
    }
}

impl RouteCache {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Memos> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many route bodies builds with this cache replayed instead of
    /// walking (for tests).
    pub fn hits(&self) -> usize {
        let m = self.lock();
        m.walk.hits + m.sites.hits + m.guards.hits
    }

    /// How many argument checks builds with this cache skipped (arguments
    /// an earlier build found clean in the same context; for tests).
    pub fn param_hits(&self) -> usize {
        self.lock().params.hits
    }

    /// How many route bodies builds with this cache did not check for PVs
    /// and arguments again, because an earlier build checked the same body
    /// clean in the same context (for tests).
    pub fn clean_hits(&self) -> usize {
        self.lock().clean.hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryLoader, Model, SemaOptions};
    use kcfg_modules::KamailioVersion;
    use kcfg_syntax::{Parse, ParseOptions};
    use std::cell::RefCell;
    use std::path::Path;

    const BASE: &str = "#!define WITH_X\n#!define REPLY \"404\"\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"$ru $nosuch\\n\");\n\troute(A);\n#!ifdef WITH_X\n\tt_on_failure(\"F\");\n#!endif\n}\nroute[A] {\n\tsl_send_reply(REPLY, \"x\");\n\t$si = 1;\n\tif ($rU =~ \"(\") { route(B); }\n}\nroute[B] {\n\txlog(\"L_NOSUCH\", \"$fu\\n\");\n\tno_such();\n}\nfailure_route[F] {\n\tt_relay();\n}\n";

    /// The model as far as the checks go: diagnostics, routes, calls.
    fn summary(m: &Model) -> String {
        format!("{:?}\n{:?}\n{:?}", m.diagnostics, m.routes, m.call_graph())
    }

    /// An edit of the tests below: from, to, the version, whether the
    /// cache statistic grows, a text the diagnostics must hold ("": none).
    type Edit<'a> = (&'a str, &'a str, KamailioVersion, bool, &'a str);

    /// Builds `base`, then each edit of it in turn, with `cache` and a
    /// parser that reuses the green nodes of the previous text where it can
    /// (as the language server's parse cache does): every cached build
    /// equals a fresh one, the statistic `hits` grows exactly where the edit
    /// says, and the diagnostics hold the edit's text.
    fn cached_edits(
        base: &str,
        first: KamailioVersion,
        edits: &[Edit],
        hits: fn(&RouteCache) -> usize,
    ) {
        let cache = &RouteCache::default();
        let last: RefCell<Option<(String, Parse)>> = RefCell::new(None);
        let parser = |_: &Path, text: &str, o: &ParseOptions| {
            let p = match &*last.borrow() {
                Some((t, p)) => kcfg_syntax::reparse::reparse(p, t, text, o),
                None => kcfg_syntax::parse_with(text, o),
            };
            *last.borrow_mut() = Some((text.to_string(), p.clone()));
            p
        };
        let loader = MemoryLoader::new();
        let opts = |version| SemaOptions {
            version,
            ..SemaOptions::default()
        };
        let mut text = base.to_string();
        let m = Model::build_cached(
            "k.cfg",
            text.as_str(),
            &loader,
            &opts(first),
            &parser,
            cache,
        );
        assert_eq!(
            summary(&m),
            summary(&Model::build("k.cfg", text.as_str(), &loader, &opts(first)))
        );
        for &(from, to, version, reuse, must) in edits {
            assert!(text.contains(from), "{from}");
            text = text.replacen(from, to, 1);
            let before = hits(cache);
            let cached = Model::build_cached(
                "k.cfg",
                text.as_str(),
                &loader,
                &opts(version),
                &parser,
                cache,
            );
            let fresh = Model::build("k.cfg", text.as_str(), &loader, &opts(version));
            assert_eq!(summary(&cached), summary(&fresh), "after {from:?} → {to:?}");
            assert_eq!(hits(cache) > before, reuse, "reuse after {from:?} → {to:?}");
            assert!(
                must.is_empty() || cached.diagnostics.iter().any(|d| d.message.contains(must)),
                "{must}: {:?}",
                cached.diagnostics
            );
        }
    }

    #[test]
    fn cached_builds_equal_fresh_builds_and_reuse_route_bodies() {
        let v = SemaOptions::default().version;
        // (from, to, whether some route body is reused)
        let edits: &[(&str, &str, bool)] = &[
            // in a string (token reparse)
            ("$nosuch", "$nosuchx", true),
            // structural (full parse: bodies found by content)
            ("\tno_such();\n", "\tno_such(1);\n", true),
            // lines above later routes
            ("route[A] {\n", "\n\nroute[A] {\n", true),
            // a define changes the context of every route after it
            ("#!define REPLY \"404\"", "#!define REPLY \"4x4\"", false),
            ("t_relay();", "t_relay(); $var(x) = $nope;", true),
            ("#!define WITH_X\n", "", false),
            ("$fu", "$fu $x", true),
            // a route named by a define: its head (the resolved name) is
            // memoised with the body, in the defines' context
            ("route[B] {", "#!define BB \"B\"\nroute[BB] {", true),
            ("no_such(1)", "no_such(2)", true),
            ("#!define BB \"B\"", "#!define BB \"C\"", true),
        ];
        let edits: Vec<Edit> = edits.iter().map(|&(f, t, r)| (f, t, v, r, "")).collect();
        cached_edits(BASE, v, &edits, RouteCache::hits);
    }

    /// The argument checks an earlier build found clean are skipped in the
    /// same context (version, loaded modules) and run again in another; the
    /// model equals a fresh build after every edit.
    #[test]
    fn argument_checks_reused_equal_fresh_checks() {
        let base = "#!define LVL \"L_INFO\"\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"xlog.so\"\nloadmodule \"dialog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"a $dlg(h_id)\\n\");\n\troute(A);\n}\nroute[A] {\n\txlog(LVL, \"b $ru\\n\");\n\tsl_send_reply(\"404\", \"x\");\n\tt_on_failure(\"F\");\n}\nfailure_route[F] {\n\txlog(\"L_WARN\", \"c $rm\\n\");\n}\n";
        // (from, to, version, whether argument checks are reused, a text
        // the diagnostics must hold)
        let v56 = KamailioVersion::V5_6;
        let edits: &[Edit] = &[
            ("b $ru", "b $ruX", v56, true, "ruX"),
            ("\"L_WARN\"", "\"L_WARNX\"", v56, true, "L_WARNX"),
            ("\"404\"", "\"4x4\"", v56, true, "4x4"),
            ("route[A] {\n", "\n\nroute[A] {\n", v56, true, ""),
            (
                "#!define LVL \"L_INFO\"",
                "#!define LVL \"L_NOPE\"",
                v56,
                true,
                "L_NOPE",
            ),
            // another context: every argument is checked again
            ("loadmodule \"dialog.so\"\n", "", v56, false, "dlg"),
            ("", "", KamailioVersion::V6_0, false, ""),
            ("c $rm", "c $rm $rU", KamailioVersion::V6_0, true, ""),
        ];
        cached_edits(base, v56, edits, RouteCache::param_hits);
    }

    /// The PV and argument checks of a route body an earlier build found
    /// clean are skipped when the body's sites and their context (version,
    /// loaded modules, the modules loaded before the body, defines) are the
    /// same, and run again when any of them changed; the model equals a
    /// fresh build after every edit.
    /// An argument checked when the "did you mean" budget was used up is
    /// not kept as clean (its check could not show whether it would spend
    /// some of the budget), one checked with budget left is.
    #[test]
    fn arguments_checked_without_suggestion_budget_are_not_kept() {
        let parser = |_: &Path, text: &str, o: &ParseOptions| kcfg_syntax::parse_with(text, o);
        let loader = MemoryLoader::new();
        let opts = SemaOptions::default();
        let config = |unknown: usize| {
            let mut t =
                String::from("loadmodule \"sl.so\"\nloadmodule \"pv.so\"\nrequest_route {\n");
            for i in 0..unknown {
                t.push_str(&format!("\t$var(a) = $nosuchpv{i};\n"));
            }
            t.push_str("\tsl_send_reply(\"404\", \"Not Here\");\n}\n");
            t
        };
        // (unknown PVs before the call, whether its arguments are kept)
        for (unknown, kept) in [(600, false), (10, true)] {
            let cache = RouteCache::default();
            let text = config(unknown);
            for _ in 0..2 {
                let m = Model::build_cached("k.cfg", &text, &loader, &opts, &parser, &cache);
                assert_eq!(
                    summary(&m),
                    summary(&Model::build("k.cfg", &text, &loader, &opts))
                );
            }
            assert_eq!(cache.param_hits() > 0, kept, "{unknown} unknown PVs");
        }
    }

    #[test]
    fn clean_route_bodies_reused_equal_fresh_checks() {
        const A: &str = "route[A] {\n\txlog(LVL, \"b $dlg(h_id)\\n\");\n\t$var(x) = $dlg(h_id);\n\tsl_send_reply(\"404\", \"x\");\n}\n";
        const DLG: &str = "loadmodule \"dialog.so\"\n";
        let base = format!("#!define LVL \"L_INFO\"\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"xlog.so\"\nloadmodule \"pv.so\"\nrequest_route {{\n\txlog(\"L_INFO\", \"a\\n\");\n\troute(A);\n\troute(B);\n}}\n{DLG}{A}route[B] {{\n\txlog(\"L_INFO\", \"c $rm\\n\");\n}}\n");
        let (dlg_a, a_dlg) = (format!("{DLG}{A}"), format!("{A}{DLG}"));
        let v56 = KamailioVersion::V5_6;
        // (from, to, version, whether some body's checks are skipped, a
        // text the diagnostics must hold)
        let edits: &[Edit] = &[
            // route[A] is clean and unchanged
            ("c $rm", "c $rmX", v56, true, "rmX"),
            ("c $rmX", "c $rm", v56, true, ""),
            // the loaded modules: every body is checked again
            (DLG, "", v56, false, "dlg"),
            (A, &dlg_a, v56, false, ""),
            ("c $rm", "c $rmX", v56, true, "rmX"),
            // the same modules, but dialog loaded only after route[A]: its
            // `$dlg` in an expression is unknown there
            (&dlg_a, &a_dlg, v56, true, "dlg"),
            ("c $rmX", "c $rmY", v56, true, "dlg"),
            (&a_dlg, &dlg_a, v56, true, "rmY"),
            ("c $rmY", "c $rm", v56, true, ""),
            // a define (the bodies after it are walked again)
            (
                "#!define LVL \"L_INFO\"",
                "#!define LVL \"L_NOPE\"",
                v56,
                false,
                "L_NOPE",
            ),
            (
                "#!define LVL \"L_NOPE\"",
                "#!define LVL \"L_INFO\"",
                v56,
                false,
                "",
            ),
            ("c $rm", "c $rmX", v56, true, "rmX"),
            // the version
            ("", "", KamailioVersion::V6_0, false, "rmX"),
            ("c $rmX", "c $rm", KamailioVersion::V6_0, true, ""),
        ];
        cached_edits(&base, v56, edits, RouteCache::clean_hits);
    }
}
