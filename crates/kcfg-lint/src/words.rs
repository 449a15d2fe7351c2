//! Which of the words rules ask [`crate::Ctx::mentions`] about the files
//! hold: all of them in one pass, the answers of the large top-level nodes
//! (route blocks) kept across lints by green node.
//!
//! A word found in a file's text lies inside one top-level node or inside
//! the text between the nodes kept: a node is kept only when no word can
//! run over its ends (at each end one of the two bytes around it is in no
//! word), and no word holds a byte that is in no word.

use rowan::{GreenNode, NodeOrToken};

use crate::cache::{NodeMemo, NodeMemoRun};
use crate::LintCache;

/// The words (at most 32). None holds whitespace.
pub(crate) const WORDS: [&str; 13] = [
    "has_totag",
    "avp(",
    "break",
    "Ts",
    "Tf",
    "jansson_get",
    "tm:local-response",
    "mq_add",
    "sql_pvquery",
    "sql_",
    "t_reply",
    "loose_route",
    "cfgengine",
];

const fn word_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < WORDS.len() {
        let b = WORDS[i].as_bytes();
        let mut j = 0;
        while j < b.len() {
            t[b[j] as usize] = true;
            j += 1;
        }
        i += 1;
    }
    t
}

/// Whether a byte occurs in one of the words.
static WORD_BYTE: [bool; 256] = word_bytes();

/// Top-level nodes shorter than this are searched with the text around
/// them (a memo look-up costs about what their search does).
const MIN_LEN: usize = 64;

/// The answers of the top-level nodes the last lint met (bit `i`:
/// `WORDS[i]`), by green node ([`crate::cache::NodeMemo`]).
pub(crate) type Memo = NodeMemo<u32>;

/// When the nodes of a file not found in the memo hold this many bytes or
/// more (the first lint of a file), each word is searched once in the
/// whole text and its matches given to the nodes they lie in: one search
/// per node and word costs more than the search itself.
const BULK: usize = 8192;

struct Search {
    finders: Vec<memchr::memmem::Finder<'static>>,
}

impl Search {
    fn new() -> Search {
        Search {
            finders: WORDS.iter().map(memchr::memmem::Finder::new).collect(),
        }
    }

    /// The words `text` holds, as bits; the text between the nodes kept
    /// holds none when none of its bytes is in a word.
    fn find(&self, text: &[u8]) -> u32 {
        if !text.iter().any(|&b| WORD_BYTE[usize::from(b)]) {
            return 0;
        }
        let mut found = 0;
        for (i, f) in self.finders.iter().enumerate() {
            if f.find(text).is_some() {
                found |= 1 << i;
            }
        }
        found
    }
}

/// Whether no word runs over offset `at` of `text` (one of the bytes
/// before and after it is in no word).
fn split_at(text: &[u8], at: usize) -> bool {
    at == 0
        || at >= text.len()
        || !WORD_BYTE[usize::from(text[at - 1])]
        || !WORD_BYTE[usize::from(text[at])]
}

/// The words the texts hold (bit `i` for `WORDS[i]`), each text with the
/// root of its syntax tree; with a cache, the answers of the large
/// top-level nodes are taken from its memo and kept there, without one
/// each text is searched whole.
pub(crate) fn found<'a>(
    cache: Option<&LintCache>,
    files: impl Iterator<Item = (&'a str, &'a GreenNode)>,
) -> u32 {
    let Some(cache) = cache else {
        let search = Search::new();
        return files.fold(0, |found, (text, _)| found | search.find(text.as_bytes()));
    };
    let mut run = NodeMemoRun::new(crate::cache::take(&cache.words));
    let found = found_with(files, &mut run);
    cache.hit(crate::cache::Which::Words, run.hits());
    crate::cache::put(&cache.words, run.finish());
    found
}

fn found_with<'a>(
    files: impl Iterator<Item = (&'a str, &'a GreenNode)>,
    memo: &mut NodeMemoRun<u32>,
) -> u32 {
    let search = Search::new();
    let mut found = 0;
    for (text, root) in files {
        let b = text.as_bytes();
        if usize::from(root.text_len()) != b.len() {
            // not the tree of this text: search it all
            found |= search.find(b);
            continue;
        }
        // the start of the text not searched yet, the offset of the child
        let (mut pos, mut at) = (0, 0);
        // the nodes not in the memo: start, end, their entry in it
        let mut misses: Vec<(usize, usize, usize)> = Vec::new();
        for child in root.children() {
            let (start, end) = (at, at + usize::from(child.text_len()));
            at = end;
            let NodeOrToken::Node(node) = child else {
                continue;
            };
            if end - start < MIN_LEN || !split_at(b, start) || !split_at(b, end) {
                continue;
            }
            found |= search.find(&b[pos..start]);
            pos = end;
            match memo.get(node) {
                Some(&bits) => found |= bits,
                // searched below
                None => misses.push((start, end, memo.insert(node, 0))),
            }
        }
        found |= search.find(&b[pos..]);
        if misses.iter().map(|m| m.1 - m.0).sum::<usize>() >= BULK {
            // every match of each word (no word overlaps itself, so the
            // matches that do not overlap are all), given to its node
            for (i, f) in search.finders.iter().enumerate() {
                let len = WORDS[i].len();
                for p in f.find_iter(b) {
                    let k = misses.partition_point(|m| m.0 <= p);
                    if let Some(&(_, end, e)) = k.checked_sub(1).map(|k| &misses[k]) {
                        if p + len <= end {
                            *memo.found_mut(e) |= 1 << i;
                        }
                    }
                }
            }
        } else {
            for &(start, end, e) in &misses {
                *memo.found_mut(e) = search.find(&b[start..end]);
            }
        }
        for &(_, _, e) in &misses {
            found |= *memo.found_mut(e);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words found with the memo are those a search of the whole text
    /// finds: texts where the words sit in route blocks, between them,
    /// at their ends, edited (reparsed, the other blocks' trees shared) and
    /// searched again from the memo.
    #[test]
    fn memo_equals_whole_text_search() {
        let route = |body: &str| {
            format!("route[R] {{\n\txlog(\"L_INFO\", \"a long enough body for the memo {body}\\n\");\n}}\n")
        };
        let texts = [
            format!("{}{}{}", route(""), route("break"), route("")),
            format!("#!define X sql_\n{}{}", route("x"), route("y")),
            format!("{}has_totag(){}", route(""), route("avp(")),
            format!("{}{}Ts", route("T"), route("s")),
            format!("{}{}", route("T").trim_end(), route("s")),
            format!("{}/* cfgengine */{}", route(""), route("")),
            format!(
                "{}tm:local-response{}",
                route("tm:"),
                route("local-response")
            ),
            format!(
                "x{}y",
                route("mq_add loose_route t_reply sql_pvquery jansson_get Tf")
            ),
            String::new(),
            // many blocks: their first search is one per word
            (0..150)
                .map(|i| route(["", "break", "Tf", "mq_add"][i % 4]))
                .collect::<String>(),
            (0..150)
                .map(|i| route(if i == 149 { "sql_" } else { "" }))
                .collect::<String>(),
        ];
        // (the bulk search relies on it)
        for w in WORDS {
            assert!(
                (1..w.len()).all(|k| !w.ends_with(&w[..k])),
                "{w} overlaps itself"
            );
        }
        let plain = |t: &str| {
            WORDS.iter().enumerate().fold(
                0u32,
                |m, (i, w)| {
                    if t.contains(w) {
                        m | (1 << i)
                    } else {
                        m
                    }
                },
            )
        };
        let cache = LintCache::default();
        let search = |t: &str, parse: &kcfg_syntax::Parse, what: &str| {
            let got = found(Some(&cache), [(t, parse.green())].into_iter());
            assert_eq!(got, plain(t), "{what}: {t:?}");
            let without = found(None, [(t, parse.green())].into_iter());
            assert_eq!(without, plain(t), "{what} without a cache: {t:?}");
        };
        for (k, t) in texts.iter().enumerate() {
            let parse = kcfg_syntax::parse(t);
            search(t, &parse, &format!("text {k}"));
            search(t, &parse, &format!("text {k} again"));
            // edits inside the strings of the last block: the others' trees
            // are kept
            for (e, word) in ["sql_pvquery", "", "brea", "k"].iter().enumerate() {
                let Some(at) = t.rfind("memo") else { continue };
                let edited = format!("{}{word}{}", &t[..at], &t[at..]);
                let reparsed = kcfg_syntax::reparse::reparse(
                    &parse,
                    t,
                    &edited,
                    &kcfg_syntax::ParseOptions::default(),
                );
                search(&edited, &reparsed, &format!("text {k} edit {e}"));
            }
        }
        assert!(cache.hits()[0] > 0, "the memo was used");
    }
}
