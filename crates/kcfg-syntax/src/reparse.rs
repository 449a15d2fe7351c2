//! Incremental reparse: the parse of an edited text from the parse of the
//! text before the edit, when the edit stays inside one token whose content
//! the parser does not look at (a string, a comment, a run of spaces).
//!
//! The result is always the parse [`crate::parse_with`] gives for the new
//! text: the tree is identical (the one token replaced through rowan, the
//! rest of the green tree shared) and so are the errors (those after the
//! token shifted by the edit's length change). Every edit that could change
//! anything else falls back to a full parse: the edited token must relex
//! alone as exactly one token of the same kind without errors, must not
//! take part in a preprocessor line, must not be touched by an error, and
//! neither its old nor its new text may hold `#!`/`!!` (directive lines
//! are cut before lexing) or, for strings and spaces, a newline.

use rowan::{TextRange, TextSize};

use crate::{lexer, Parse, ParseOptions, SyntaxError, SyntaxKind, SyntaxNode};

/// The length of the common prefix of two byte strings (compared 64 bytes
/// at a time first: a keystroke in a large file compares megabytes).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + CHUNK <= n && a[i..i + CHUNK] == b[i..i + CHUNK] {
        i += CHUNK;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The length of the common suffix of two byte strings.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const CHUNK: usize = 64;
    let n = a.len().min(b.len());
    let (a, b) = (&a[a.len() - n..], &b[b.len() - n..]);
    let mut i = 0; // bytes matched from the end
    while i + CHUNK <= n && a[n - i - CHUNK..n - i] == b[n - i - CHUNK..n - i] {
        i += CHUNK;
    }
    while i < n && a[n - i - 1] == b[n - i - 1] {
        i += 1;
    }
    i
}

/// The smallest replacement that turns `old` into `new`: the range of `old`
/// it removes and the range of `new` it inserts (common prefix and suffix
/// kept, both on character boundaries).
pub fn text_diff(old: &str, new: &str) -> (TextRange, TextRange) {
    let ob = old.as_bytes();
    let nb = new.as_bytes();
    let mut p = common_prefix(ob, nb);
    while !old.is_char_boundary(p) || !new.is_char_boundary(p) {
        p -= 1;
    }
    let max_s = ob.len().min(nb.len()) - p;
    let mut s = common_suffix(&ob[p..], &nb[p..]).min(max_s);
    while !old.is_char_boundary(ob.len() - s) || !new.is_char_boundary(nb.len() - s) {
        s -= 1;
    }
    let size = |n: usize| TextSize::from(n as u32);
    (
        TextRange::new(size(p), size(ob.len() - s)),
        TextRange::new(size(p), size(nb.len() - s)),
    )
}

/// The parse of `new_text` with `options`, reusing `old` (the parse of
/// `old_text` with the same options) when the difference between the texts
/// is an edit inside one string, comment or run of spaces. Always equal to
/// `parse_with(new_text, options)`.
pub fn reparse(old: &Parse, old_text: &str, new_text: &str, options: &ParseOptions) -> Parse {
    if old_text == new_text {
        return old.clone();
    }
    let (deleted, inserted) = text_diff(old_text, new_text);
    try_reparse_token(old, old_text, deleted, &new_text[inserted])
        .unwrap_or_else(|| crate::parse_with(new_text, options))
}

/// Token kinds whose text the parser never reads: replacing one by another
/// token of the same kind leaves every decision of the lexer, the
/// preprocessor and the parser as it was.
fn opaque(kind: SyntaxKind) -> bool {
    use SyntaxKind::*;
    matches!(
        kind,
        STRING | SQ_STRING | COMMENT | BLOCK_COMMENT | WHITESPACE
    )
}

/// The parse after replacing `deleted` (a range of `old_text`) by `insert`,
/// when that edit stays inside one opaque token; `None` when a full parse is
/// needed.
pub fn try_reparse_token(
    old: &Parse,
    old_text: &str,
    deleted: TextRange,
    insert: &str,
) -> Option<Parse> {
    use SyntaxKind::*;
    if deleted.end() > TextSize::of(old_text) {
        return None;
    }
    let root = SyntaxNode::new_root(old.green.clone());
    // the token holding the edit: the edit starts after its first character
    // (so nothing before the token can join it) and ends inside or at its end
    let token = match root.token_at_offset(deleted.start()) {
        rowan::TokenAtOffset::None => return None,
        rowan::TokenAtOffset::Single(t) => t,
        rowan::TokenAtOffset::Between(l, _) => l,
    };
    let tr = token.text_range();
    if !(tr.start() < deleted.start() && deleted.end() <= tr.end()) {
        return None;
    }
    let kind = token.kind();
    if !opaque(kind) {
        return None;
    }
    // a token of a directive line (`#!define X "..."`, `include_file "..."`)
    if token.parent_ancestors().any(|n| {
        matches!(
            n.kind(),
            PP_DEFINE | PP_UNDEF | PP_SUBST | PP_DEFENV | PP_INCLUDE | PP_MARKER | PP_DIRECTIVE
        )
    }) {
        return None;
    }
    let old_tok = token.text();
    let rel = deleted - tr.start();
    let mut new_tok = String::with_capacity(old_tok.len() + insert.len());
    new_tok.push_str(&old_tok[..usize::from(rel.start())]);
    new_tok.push_str(insert);
    new_tok.push_str(&old_tok[usize::from(rel.end())..]);
    let risky = |t: &str| {
        t.contains("#!")
            || t.contains("!!")
            || (matches!(kind, STRING | SQ_STRING | WHITESPACE | COMMENT)
                && (t.contains('\n') || t.contains('\r')))
    };
    if risky(old_tok) || risky(&new_tok) || new_tok.is_empty() {
        return None;
    }
    // the new text must lex alone as one token of the same kind
    let (tokens, lex_errors) = lexer::tokenize(&new_tok);
    if !lex_errors.is_empty()
        || tokens.len() != 1
        || tokens[0].kind != kind
        || tokens[0].len as usize != new_tok.len()
    {
        return None;
    }
    // no error may touch the token (an error message may quote it)
    let touches = |r: TextRange| r.start() <= tr.end() && tr.start() <= r.end();
    let all = old
        .errors
        .iter()
        .chain(&old.warnings)
        .chain(&old.inactive_errors);
    for e in all {
        if touches(e.range) || e.unexpected.is_some_and(touches) {
            return None;
        }
    }
    let delta = new_tok.len() as i64 - old_tok.len() as i64;
    let shift_pos = |p: TextSize| -> TextSize {
        if p >= tr.end() {
            TextSize::from((u32::from(p) as i64 + delta) as u32)
        } else {
            p
        }
    };
    let shift = |r: TextRange| TextRange::new(shift_pos(r.start()), shift_pos(r.end()));
    let shift_all = |v: &[SyntaxError]| -> Vec<SyntaxError> {
        v.iter()
            .map(|e| SyntaxError {
                range: shift(e.range),
                message: e.message.clone(),
                hint: e.hint.clone(),
                unexpected: e.unexpected.map(shift),
            })
            .collect()
    };
    let green_token = rowan::GreenToken::new(rowan::SyntaxKind(kind as u16), &new_tok);
    let green = token.replace_with(green_token);
    Some(Parse {
        green,
        errors: shift_all(&old.errors),
        warnings: shift_all(&old.warnings),
        inactive_errors: shift_all(&old.inactive_errors),
        // the same kinds of tokens as before
        inactive_code: old.inactive_code,
        // not known without the parser: the conservative answer
        include_decisions: crate::Hint(true),
        // the file node's children are the same ones (one replaced)
        pieces: old.pieces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text_diff` equals the byte-by-byte common prefix and suffix, for
    /// edits at every place of a text longer than the comparison chunks.
    #[test]
    fn text_diff_equals_a_byte_scan() {
        fn slow(old: &str, new: &str) -> (TextRange, TextRange) {
            let (ob, nb) = (old.as_bytes(), new.as_bytes());
            let mut p = ob.iter().zip(nb).take_while(|(a, b)| a == b).count();
            while !old.is_char_boundary(p) || !new.is_char_boundary(p) {
                p -= 1;
            }
            let max_s = ob.len().min(nb.len()) - p;
            let mut s = ob
                .iter()
                .rev()
                .zip(nb.iter().rev())
                .take(max_s)
                .take_while(|(a, b)| a == b)
                .count();
            while !old.is_char_boundary(ob.len() - s) || !new.is_char_boundary(nb.len() - s) {
                s -= 1;
            }
            let size = |n: usize| TextSize::from(n as u32);
            (
                TextRange::new(size(p), size(ob.len() - s)),
                TextRange::new(size(p), size(nb.len() - s)),
            )
        }
        let base: String = (0..300)
            .map(|i| {
                if i % 37 == 0 {
                    '\u{e9}'
                } else {
                    char::from(b'a' + (i % 7) as u8)
                }
            })
            .collect();
        for at in (0..base.len()).filter(|&i| base.is_char_boundary(i)) {
            for insert in ["", "x", "aa", "\u{e9}", "abcabcabc"] {
                for del in [0, 1, 2, 70] {
                    let mut end = (at + del).min(base.len());
                    while !base.is_char_boundary(end) {
                        end += 1;
                    }
                    let new = format!("{}{insert}{}", &base[..at], &base[end..]);
                    assert_eq!(
                        text_diff(&base, &new),
                        slow(&base, &new),
                        "{at} {insert:?} {del}"
                    );
                    assert_eq!(
                        text_diff(&new, &base),
                        slow(&new, &base),
                        "{at} {insert:?} {del}"
                    );
                }
            }
        }
        assert_eq!(text_diff("", ""), slow("", ""));
        assert_eq!(text_diff(&base, &base), slow(&base, &base));
    }

    const CFG: &str = "#!KAMAILIO\n#!define WITH_X\n#!define DBURL \"mysql://x\"\nloadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timer\", 3000) # a comment\n/* block\n   comment */\n#!ifdef WITH_X\nroute[A] {\n\txlog(\"L_INFO\", \"in A: $ru\\n\");\n}\n#!else\nroute[A] {\n\texit;\n}\n#!endif\nrequest_route {\n\tif ($rU == 'alice') {\n\t\troute(A);   # call A\n\t}\n\tt_relay();\n}\n";

    fn options() -> ParseOptions {
        ParseOptions {
            defines: vec!["WITH_X".into()],
            ..Default::default()
        }
    }

    /// Apply the edit at every position of `needle` in CFG (first match),
    /// reparse incrementally and compare with a fresh parse; returns whether
    /// the token path was taken.
    fn check(old: &str, at: usize, del: usize, insert: &str) -> bool {
        let opts = options();
        let old_parse = crate::parse_with(old, &opts);
        let mut new = String::new();
        new.push_str(&old[..at]);
        new.push_str(insert);
        new.push_str(&old[at + del..]);
        let fresh = crate::parse_with(&new, &opts);
        let (d, i) = text_diff(old, &new);
        let fast = try_reparse_token(&old_parse, old, d, &new[i]);
        let took = fast.is_some();
        let inc = reparse(&old_parse, old, &new, &opts);
        assert_eq!(inc.syntax_node().to_string(), new, "text of the tree");
        assert_eq!(
            inc.green(),
            fresh.green(),
            "tree for edit {at}+{del} {insert:?}"
        );
        assert_eq!(inc, fresh, "errors for edit {at}+{del} {insert:?}");
        if let Some(f) = fast {
            assert_eq!(f, fresh);
        }
        took
    }

    fn at(needle: &str) -> usize {
        CFG.find(needle).unwrap_or_else(|| panic!("{needle}"))
    }

    #[test]
    fn diff_is_minimal_and_on_char_boundaries() {
        let (d, i) = text_diff("abcdef", "abXdef");
        assert_eq!(
            (d, i),
            (
                TextRange::new(2.into(), 3.into()),
                TextRange::new(2.into(), 3.into())
            )
        );
        let (d, i) = text_diff("aé", "aè");
        assert_eq!(d, TextRange::new(1.into(), 3.into()));
        assert_eq!(i, TextRange::new(1.into(), 3.into()));
        let (d, i) = text_diff("aaa", "aaaa");
        assert_eq!((d.len(), i.len()), (0.into(), 1.into()));
        let (d, _) = text_diff("", "x");
        assert_eq!(d, TextRange::empty(0.into()));
    }

    #[test]
    fn edits_inside_strings_comments_and_spaces_take_the_token_path() {
        // inside a string argument
        assert!(check(CFG, at("in A") + 2, 0, "xyz"));
        assert!(check(CFG, at("in A"), 2, ""));
        assert!(check(CFG, at("L_INFO") + 1, 1, "é"));
        // single-quoted string
        assert!(check(CFG, at("alice") + 1, 0, "q"));
        // line comment, also at its end
        assert!(check(CFG, at("a comment") + 2, 0, "nice "));
        assert!(check(CFG, at("# a comment") + 11, 0, "!"));
        // block comment over two lines
        assert!(check(CFG, at("block") + 2, 0, "--"));
        // spaces before a comment
        assert!(check(CFG, at("   # call A") + 1, 1, ""));
        assert!(check(CFG, at("   # call A") + 1, 0, "\t"));
        // an edit inside an #!ifdef arm
        assert!(check(CFG, at("$ru") - 2, 0, "ab"));
    }

    #[test]
    fn edits_that_change_structure_fall_back_to_a_full_parse() {
        // a quote closing the string early
        assert!(!check(CFG, at("in A") + 2, 0, "\""));
        // a newline in a string or a comment
        assert!(!check(CFG, at("in A") + 2, 0, "\n"));
        assert!(!check(CFG, at("a comment") + 2, 0, "\n"));
        // a comment that becomes a directive
        assert!(!check(CFG, at("# a comment") + 1, 0, "!"));
        assert!(!check(CFG, at("# call A") + 1, 0, "!define Y"));
        // closing a block comment early, opening a nested one
        assert!(!check(CFG, at("block") + 2, 0, "*/"));
        assert!(!check(CFG, at("block") + 2, 0, "/*"));
        // braces
        assert!(!check(CFG, at("{\n\txlog") + 1, 0, "}"));
        assert!(!check(CFG, at("{\n\txlog"), 1, ""));
        assert!(!check(CFG, at("in A") + 2, 0, "\"); }"));
        // at the edges of a block and of a string
        assert!(!check(CFG, at("\"in A"), 0, "x"));
        assert!(!check(CFG, at("\"in A"), 1, ""));
        assert!(!check(CFG, at("}\n#!else"), 0, " "));
        assert!(!check(CFG, at("}\n#!else") + 1, 0, " "));
        // inside a directive line
        assert!(!check(CFG, at("mysql://x") + 2, 0, "y"));
        assert!(!check(CFG, at("#!define WITH_X") + 8, 0, "  "));
        // #! lines added, removed
        assert!(!check(CFG, at("#!endif"), 0, "#!endif\n"));
        assert!(!check(CFG, at("#!else"), 7, ""));
        // identifiers and keywords
        assert!(!check(CFG, at("t_relay"), 0, "x"));
        assert!(!check(CFG, at("exit"), 4, "drop"));
        // spaces that would join tokens
        assert!(!check(CFG, at("   # call A"), 3, ""));
    }

    #[test]
    fn errors_after_the_token_are_shifted() {
        // a missing `;` after the edited string
        let text = "request_route {\n\txlog(\"L_INFO\", \"abc\")\n\texit;\n}\n";
        let i = text.find("abc").unwrap() + 1;
        assert!(check(text, i, 0, "zz"));
        assert!(check(text, i, 1, ""));
        let old = crate::parse_with(text, &options());
        assert!(!old.errors().is_empty());
    }

    #[test]
    fn errors_touching_the_token_force_a_full_parse() {
        // an unterminated string is an error on the token itself
        let text = "request_route {\n\txlog(\"abc);\n}\n";
        let i = text.find("abc").unwrap() + 1;
        assert!(!check(text, i, 0, "z"));
    }

    #[test]
    fn every_single_character_edit_of_the_sample_agrees_with_a_fresh_parse() {
        let mut fast = 0;
        for i in 0..CFG.len() {
            if !CFG.is_char_boundary(i) {
                continue;
            }
            for ins in ["x", " ", "\"", "#", "}", "\n", "!", "*/", "'"] {
                fast += usize::from(check(CFG, i, 0, ins));
            }
            let next = CFG[i..].chars().next().map_or(0, char::len_utf8);
            if next > 0 {
                fast += usize::from(check(CFG, i, next, ""));
                fast += usize::from(check(CFG, i, next, "y"));
            }
        }
        assert!(fast > 100, "the token path was taken {fast} times");
    }
}
