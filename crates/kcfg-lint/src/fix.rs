//! Automatic fixes and applying them.

use kcfg_syntax::TextRange;

/// Whether a fix keeps the meaning of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Applicability {
    /// Keeps the meaning: `kcfg check --fix`.
    Safe,
    /// May change behaviour: only with `--unsafe-fixes`.
    Unsafe,
}

/// One text replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// What to replace.
    pub range: TextRange,
    /// The new text.
    pub replacement: String,
}

/// A fix: edits in the finding's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does ("replace `.` with `+`").
    pub message: String,
    /// Safe or unsafe.
    pub applicability: Applicability,
    /// Non-overlapping edits.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix of one edit.
    pub fn replace(
        applicability: Applicability,
        message: impl Into<String>,
        range: TextRange,
        replacement: impl Into<String>,
    ) -> Fix {
        Fix {
            message: message.into(),
            applicability,
            edits: vec![Edit {
                range,
                replacement: replacement.into(),
            }],
        }
    }
}

/// Apply the fixes whose applicability is allowed to `text`; fixes whose
/// edits overlap an edit already taken are left for the next round (the
/// caller lints again and repeats until nothing changes). Returns the new
/// text and how many fixes were applied.
pub fn apply_fixes<'a>(
    text: &str,
    fixes: impl IntoIterator<Item = &'a Fix>,
    unsafe_fixes: bool,
) -> (String, usize) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    let mut fixes: Vec<&Fix> = fixes
        .into_iter()
        .filter(|f| unsafe_fixes || f.applicability == Applicability::Safe)
        .collect();
    fixes.sort_by_key(|f| f.edits.first().map(|e| e.range.start()));
    for f in fixes {
        let overlaps = f.edits.iter().any(|e| {
            taken.iter().any(|t| {
                e.range.start() < t.range.end() && t.range.start() < e.range.end()
                    || e.range == t.range
            })
        });
        let in_bounds = f.edits.iter().all(|e| {
            usize::from(e.range.end()) <= text.len()
                && text.is_char_boundary(e.range.start().into())
                && text.is_char_boundary(e.range.end().into())
        });
        if overlaps || !in_bounds {
            continue;
        }
        taken.extend(f.edits.iter());
        applied += 1;
    }
    taken.sort_by_key(|e| std::cmp::Reverse(e.range.start()));
    let mut out = text.to_string();
    for e in taken {
        out.replace_range(
            usize::from(e.range.start())..usize::from(e.range.end()),
            &e.replacement,
        );
    }
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let r = |a: u32, b: u32| TextRange::new(a.into(), b.into());
        let f1 = Fix::replace(Applicability::Safe, "a", r(0, 2), "xy");
        let f2 = Fix::replace(Applicability::Safe, "b", r(1, 3), "z");
        let f3 = Fix::replace(Applicability::Unsafe, "c", r(4, 5), "Q");
        let (t, n) = apply_fixes("abcdef", [&f1, &f2, &f3], false);
        assert_eq!((t.as_str(), n), ("xycdef", 1));
        let (t, n) = apply_fixes("abcdef", [&f1, &f3], true);
        assert_eq!((t.as_str(), n), ("xycdQf", 2));
    }
}
