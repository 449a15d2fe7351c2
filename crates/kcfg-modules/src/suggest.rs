//! "Did you mean ...?" suggestions.

/// The candidate closest to `word`, if it is close enough to be a plausible
/// typo.
///
/// Closeness is the Damerau–Levenshtein distance (insertions, deletions,
/// substitutions and transpositions of adjacent characters). A candidate is
/// accepted when its distance is at most `max(1, len / 4)`, where `len` is the
/// character count of `word` (so 1 edit for short words, 3 for a 12-letter
/// name). Among accepted candidates the smallest distance wins, then the
/// highest Jaro–Winkler similarity (which favours a shared prefix), then the
/// lexicographically smallest, so the result is deterministic.
///
/// An exact match is returned as is (distance 0); callers that only want
/// suggestions for unknown words should check membership first. An empty
/// `word` gets no suggestion.
///
/// ```
/// use kcfg_modules::suggest;
/// let names = ["sl_send_reply", "t_relay", "t_reply"];
/// assert_eq!(suggest("sl_send_rply", names), Some("sl_send_reply"));
/// assert_eq!(suggest("completely_else", names), None);
/// ```
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wlen = word.chars().count();
    if wlen == 0 {
        return None;
    }
    let max = std::cmp::max(1, wlen / 4);
    let bag = Bag::new(word);
    let mut best: Option<(usize, f64, &'a str)> = None;
    for cand in candidates {
        // Cheap pre-filters: the distance is at least the length difference,
        // and at least the bag distance.
        if cand.chars().count().abs_diff(wlen) > max || bag.further_than(cand, max) {
            continue;
        }
        let d = strsim::damerau_levenshtein(word, cand);
        if d > max {
            continue;
        }
        let jw = strsim::jaro_winkler(word, cand);
        let better = match best {
            None => true,
            Some((bd, bjw, bc)) => d < bd || (d == bd && (jw > bjw || (jw == bjw && cand < bc))),
        };
        if better {
            best = Some((d, jw, cand));
        }
    }
    best.map(|(_, _, c)| c)
}

/// The bytes of an ASCII word, counted, for the bag distance of a candidate:
/// the larger of the number of the word's characters the candidate lacks
/// and of the candidate's characters the word lacks (each counted with its
/// multiplicity). An insertion, deletion or substitution changes it by at
/// most 1 and a transposition not at all, so it is a lower bound of the
/// Damerau–Levenshtein distance, and far cheaper: no candidate whose bag
/// distance is over the limit needs the full distance.
struct Bag {
    /// `None`: the word is not ASCII (no filtering)
    counts: Option<[u8; 128]>,
    len: usize,
}

impl Bag {
    fn new(word: &str) -> Bag {
        let mut counts = [0u8; 128];
        let ascii = word.is_ascii() && word.len() < 256 && {
            for b in word.bytes() {
                counts[usize::from(b)] += 1;
            }
            true
        };
        Bag {
            counts: ascii.then_some(counts),
            len: word.len(),
        }
    }

    /// Is the bag distance of `cand` over `max`? (`false` when either is
    /// not ASCII: then nothing is known.)
    fn further_than(&self, cand: &str, max: usize) -> bool {
        let Some(mut left) = self.counts else {
            return false;
        };
        if !cand.is_ascii() {
            return false;
        }
        // the word's characters not matched yet, the candidate's unmatched
        let (mut missing, mut extra) = (self.len, 0usize);
        for b in cand.bytes() {
            let n = &mut left[usize::from(b)];
            if *n > 0 {
                *n -= 1;
                missing -= 1;
            } else {
                extra += 1;
                if extra > max {
                    return true;
                }
            }
        }
        missing > max
    }
}

#[cfg(test)]
mod tests {
    use super::suggest;
    use crate::{db, KamailioVersion};

    fn names() -> impl Iterator<Item = &'static str> {
        db(KamailioVersion::V6_0).function_names()
    }

    #[test]
    fn typo_in_sl_send_reply() {
        assert_eq!(suggest("sl_send_rply", names()), Some("sl_send_reply"));
    }

    #[test]
    fn doubled_letter_in_t_relay() {
        assert_eq!(suggest("t_rellay", names()), Some("t_relay"));
    }

    #[test]
    fn transposition_counts_as_one_edit() {
        assert_eq!(suggest("t_realy", names()), Some("t_relay"));
    }

    #[test]
    fn unrelated_word_gets_nothing() {
        assert_eq!(suggest("frobnicate_the_widget", names()), None);
        assert_eq!(suggest("xyzzy", names()), None);
    }

    #[test]
    fn empty_word_gets_nothing() {
        assert_eq!(suggest("", ["a", "b"]), None);
    }

    #[test]
    fn exact_match_is_returned() {
        assert_eq!(suggest("t_relay", names()), Some("t_relay"));
    }

    #[test]
    fn threshold_scales_with_length() {
        // 4 chars: 1 edit allowed, 2 refused.
        assert_eq!(suggest("abcd", ["abce"]), Some("abce"));
        assert_eq!(suggest("abcd", ["abef"]), None);
        // 12 chars: 3 edits allowed.
        assert_eq!(
            suggest("abcdefghijkl", ["abcdefghixyz"]),
            Some("abcdefghixyz")
        );
        assert_eq!(suggest("abcdefghijkl", ["abcdefgwxyzl"]), None);
    }

    #[test]
    fn ties_prefer_shared_prefix_then_order() {
        // both at distance 1; jaro-winkler favours the one sharing the prefix
        assert_eq!(suggest("t_relax", ["x_relay", "t_relay"]), Some("t_relay"));
        assert_eq!(suggest("ab", ["ac", "ad"]), Some("ac"));
        assert_eq!(suggest("ab", ["ad", "ac"]), Some("ac"));
    }

    #[test]
    fn pv_and_modparam_suggestions() {
        let d = db(KamailioVersion::V6_0);
        assert_eq!(
            suggest("fr_timr", d.modparams("tm").iter().map(|p| p.name)),
            Some("fr_timer")
        );
        assert!(suggest("rU", d.pv_classes().map(|p| p.name)).is_some());
    }

    /// The filters change nothing: the same answer as a search that
    /// computes every distance, over every function, modparam, PV class
    /// and module name of the knowledge base with typos made from them.
    #[test]
    fn filtered_search_equals_full_search() {
        fn full<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
            let wlen = word.chars().count();
            let max = std::cmp::max(1, wlen / 4);
            let mut best: Option<(usize, f64, &'a str)> = None;
            for &cand in candidates {
                let d = strsim::damerau_levenshtein(word, cand);
                if d > max || wlen == 0 {
                    continue;
                }
                let jw = strsim::jaro_winkler(word, cand);
                let better = match best {
                    None => true,
                    Some((bd, bjw, bc)) => {
                        d < bd || (d == bd && (jw > bjw || (jw == bjw && cand < bc)))
                    }
                };
                if better {
                    best = Some((d, jw, cand));
                }
            }
            best.map(|(_, _, c)| c)
        }
        let d = db(KamailioVersion::V6_0);
        let functions: Vec<&str> = d.function_names().collect();
        let modules: Vec<&str> = d.modules().map(|m| m.name).collect();
        let pvs: Vec<&str> = d.pv_classes().map(|p| p.name).collect();
        let mut words: Vec<String> = Vec::new();
        for (i, w) in functions
            .iter()
            .chain(&modules)
            .chain(&pvs)
            .enumerate()
            .step_by(7)
        {
            let b = w.as_bytes();
            let k = i % b.len().max(1);
            let mut typo = w.to_string();
            match i % 5 {
                0 => typo.insert(k, 'x'),
                1 if !b.is_empty() => {
                    typo.remove(k);
                }
                2 if k + 1 < b.len() => {
                    typo = format!(
                        "{}{}{}{}",
                        &w[..k],
                        &w[k + 1..k + 2],
                        &w[k..k + 1],
                        &w[k + 2..]
                    )
                }
                3 => typo = typo.to_uppercase(),
                _ => typo.push_str("_é"),
            }
            words.push(typo);
        }
        words.extend(["", "x", "é", "t_relay", "sl_send_rply", "ab"].map(String::from));
        let mut found = 0;
        for list in [&functions, &modules, &pvs] {
            for w in &words {
                let got = suggest(w, list.iter().copied());
                assert_eq!(got, full(w, list), "{w:?}");
                found += usize::from(got.is_some());
            }
        }
        assert!(found > words.len() / 2, "{found} of {}", words.len() * 3);
    }
}
