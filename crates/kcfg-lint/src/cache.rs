//! [`LintCache`]: what the rules remember from one lint to the next of the
//! same config, owned by the caller; and [`NodeMemo`], the ordered memo by
//! green node two of those memos are.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use rowan::{GreenNode, GreenNodeData};

/// The memos the rules keep across lints of successive versions of one
/// config (the language server keeps one per root file, next to its
/// `kcfg_sema::RouteCache`): the words of the large top-level nodes
/// ([`crate::Ctx::mentions`]), KC504's names of those nodes, KC305's walks
/// of the entry routes, all by green node. The findings are those of a
/// lint without it; it only saves work when an edit leaves most route
/// blocks' trees as they were. Each memo keeps only what the last lint
/// with this cache met (bounded by the size of that config); two configs
/// linted alternately need a cache each. A lint without one
/// ([`crate::lint`]) neither reads nor records memos.
#[derive(Default)]
pub struct LintCache {
    pub(crate) words: Mutex<crate::words::Memo>,
    pub(crate) unused_module: Mutex<crate::rules::unused_module::Memo>,
    pub(crate) var_read: Mutex<crate::rules::var_read_before_write::Memo>,
    /// entries reused, per memo (see [`LintCache::hits`])
    hits: [AtomicUsize; 3],
}

/// The memos of a [`LintCache`], for [`LintCache::hits`].
#[derive(Clone, Copy)]
pub(crate) enum Which {
    Words = 0,
    UnusedModule = 1,
    VarRead = 2,
}

impl LintCache {
    /// How many entries its memos hold: the top-level nodes of the words
    /// and of KC504, the entry routes of KC305 (what the last lint with it
    /// kept).
    pub fn sizes(&self) -> [usize; 3] {
        [
            lock(&self.words).len(),
            lock(&self.unused_module).len(),
            lock(&self.var_read).len(),
        ]
    }

    /// How many memo entries the lints with this cache reused so far (the
    /// same three memos as [`LintCache::sizes`]).
    pub fn hits(&self) -> [usize; 3] {
        self.hits.each_ref().map(|h| h.load(Relaxed))
    }

    pub(crate) fn hit(&self, which: Which, n: usize) {
        self.hits[which as usize].fetch_add(n, Relaxed);
    }
}

/// Take the memo out of `m` (a panic in a lint leaves it empty).
pub(crate) fn take<T: Default>(m: &Mutex<T>) -> T {
    std::mem::take(&mut *lock(m))
}

/// Put `memo` back into `m`.
pub(crate) fn put<T>(m: &Mutex<T>, memo: T) {
    *lock(m) = memo;
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How far after the last entry found a node is looked for.
const LOOKAHEAD: usize = 4;

/// What a lint found about the top-level nodes it met, in order: address
/// of the green node (held: the address names no other node while the
/// memo lives), the node, what was found (`P`). The next lint meets the
/// same nodes in the same order but for the few an edit replaced: it looks
/// for each node a few entries after the last one it found (no hashing).
/// Bounded: a lint keeps only the nodes it met.
pub(crate) struct NodeMemo<P> {
    entries: Vec<(usize, GreenNode, P)>,
}

impl<P> Default for NodeMemo<P> {
    fn default() -> Self {
        NodeMemo {
            entries: Vec::new(),
        }
    }
}

impl<P> NodeMemo<P> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// One lint's use of a [`NodeMemo`]: the entries of the last lint it reads
/// and those it keeps (the nodes met, in order).
pub(crate) struct NodeMemoRun<P> {
    old: Vec<(usize, GreenNode, P)>,
    new: Vec<(usize, GreenNode, P)>,
    /// the entry of `old` after the last one found
    next: usize,
    /// how many entries of `new` were not found in `old`
    inserted: usize,
}

impl<P: Clone> NodeMemoRun<P> {
    pub(crate) fn new(old: NodeMemo<P>) -> NodeMemoRun<P> {
        NodeMemoRun {
            new: Vec::with_capacity(old.entries.len()),
            old: old.entries,
            next: 0,
            inserted: 0,
        }
    }

    /// What the last lint found about `node` (kept for the next one), if
    /// it met the node a few entries after the last one found.
    #[inline]
    pub(crate) fn get(&mut self, node: &GreenNodeData) -> Option<&P> {
        let key = node as *const GreenNodeData as usize;
        let ahead = self.old.get(self.next..).unwrap_or_default();
        let i = ahead.iter().take(LOOKAHEAD).position(|e| e.0 == key)?;
        self.new.push(ahead[i].clone());
        self.next += i + 1;
        self.new.last().map(|e| &e.2)
    }

    /// Keep `found` for `node` (not found by [`NodeMemoRun::get`]); the
    /// number of its entry (for [`NodeMemoRun::found_mut`]).
    #[inline]
    pub(crate) fn insert(&mut self, node: &GreenNodeData, found: P) -> usize {
        let key = node as *const GreenNodeData as usize;
        self.new.push((key, node.to_owned(), found));
        self.inserted += 1;
        self.new.len() - 1
    }

    /// How many nodes were found in the last lint's entries so far.
    pub(crate) fn hits(&self) -> usize {
        self.new.len() - self.inserted
    }

    /// What is kept for the entry `i` of [`NodeMemoRun::insert`].
    #[inline]
    pub(crate) fn found_mut(&mut self, i: usize) -> &mut P {
        &mut self.new[i].2
    }

    /// What is kept so far.
    pub(crate) fn kept(&self) -> impl Iterator<Item = &P> {
        self.new.iter().map(|e| &e.2)
    }

    /// The memo for the next lint: the nodes met.
    pub(crate) fn finish(self) -> NodeMemo<P> {
        NodeMemo { entries: self.new }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lint_cache_is_send_and_sync() {
        fn check<T: Send + Sync + Default>() {}
        check::<super::LintCache>();
    }
}
