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
    let mut best: Option<(usize, f64, &'a str)> = None;
    for cand in candidates {
        // Cheap pre-filter: the distance is at least the length difference.
        if cand.chars().count().abs_diff(wlen) > max {
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
}
