//! JavaScript scripts (app_jsdt), read with `ressa` (the parser decides
//! whether the script is valid JavaScript) and its tokenizer `ress` (the
//! token stream gives the `KSR` calls and the `function` declarations).
//! Strings, comments, regular expression and template literals are single
//! tokens, so text inside them never looks like a call.

use ress::tokens::{Keyword, Punct, StringLit, Token};

use crate::{KemiCall, ScriptFacts};

/// Deeper bracket nesting than this is refused before parsing: the parser
/// is recursive.
const MAX_DEPTH: usize = 200;

/// The calls and function definitions of a JavaScript script.
pub(crate) fn facts(text: &str) -> ScriptFacts {
    let mut facts = ScriptFacts::default();
    let mut toks: Vec<(Token<&str>, std::ops::Range<usize>)> = Vec::new();
    let mut depth = 0usize;
    for item in ress::Scanner::new(text) {
        match item {
            Ok(item) => {
                if item.token.is_eof() {
                    break;
                }
                if item.token.is_comment() {
                    continue;
                }
                match &item.token {
                    Token::Punct(Punct::OpenParen | Punct::OpenBrace | Punct::OpenBracket) => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            let at = item.span.start.min(text.len());
                            facts.syntax_errors.push((
                                at..at,
                                format!("brackets nested deeper than {MAX_DEPTH} levels"),
                            ));
                            return facts;
                        }
                    }
                    Token::Punct(Punct::CloseParen | Punct::CloseBrace | Punct::CloseBracket) => {
                        depth = depth.saturating_sub(1);
                    }
                    _ => {}
                }
                toks.push((item.token, item.span.start..item.span.end));
            }
            Err(e) => {
                let at = offset(text, e.line, e.column);
                facts.syntax_errors.push((at..at, e.msg.clone()));
                return facts;
            }
        }
    }
    if let Err(e) = parse(text) {
        let at = e.position().map_or(0, |p| offset(text, p.line, p.column));
        facts.syntax_errors.push((at..at, e.to_string()));
        return facts;
    }
    let punct = |i: usize, p: Punct| matches!(toks.get(i), Some((Token::Punct(q), _)) if *q == p);
    let ident = |i: usize| match toks.get(i) {
        Some((Token::Ident(n), _)) => Some(n.as_ref().to_string()),
        // `KSR.x.exit`, `KSR.hdr.remove`: keywords are property names too
        Some((Token::Keyword(k), _)) => Some(k.as_str().to_string()),
        _ => None,
    };
    for i in 0..toks.len() {
        // `function name(`
        if matches!(toks[i].0, Token::Keyword(Keyword::Function(_))) {
            if let Some((Token::Ident(n), _)) = toks.get(i + 1) {
                facts.functions.push(n.as_ref().to_string());
            }
            continue;
        }
        // `name = function`, `var name = function`
        if punct(i, Punct::Equal)
            && matches!(
                toks.get(i + 1),
                Some((Token::Keyword(Keyword::Function(_)), _))
            )
        {
            if let (Some((Token::Ident(n), _)), false) = (
                i.checked_sub(1).and_then(|j| toks.get(j)),
                i >= 2 && punct(i - 2, Punct::Period),
            ) {
                facts.functions.push(n.as_ref().to_string());
            }
        }
        // `KSR` not preceded by `.` (x.KSR.y is something else)
        if !matches!(&toks[i].0, Token::Ident(n) if n.as_ref() == "KSR")
            || (i > 0 && punct(i - 1, Punct::Period))
        {
            continue;
        }
        let mut path = Vec::new();
        let mut j = i + 1;
        while punct(j, Punct::Period) {
            let Some(n) = ident(j + 1) else { break };
            path.push(n);
            j += 2;
        }
        if path.is_empty() || !punct(j, Punct::OpenParen) {
            continue;
        }
        // the arguments: commas at depth 1
        let mut depth = 0usize;
        let mut commas = 0usize;
        let mut any = false;
        let mut last_comma = false;
        let mut spread = false;
        let mut first_string: Option<String> = None;
        let mut end = None;
        for (k, (t, r)) in toks.iter().enumerate().skip(j) {
            match t {
                Token::Punct(Punct::OpenParen | Punct::OpenBracket | Punct::OpenBrace) => {
                    depth += 1;
                    if depth > 1 {
                        any = true;
                        last_comma = false;
                    }
                }
                Token::Punct(Punct::CloseParen | Punct::CloseBracket | Punct::CloseBrace) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(r.end);
                        break;
                    }
                }
                // `${` of a template literal: the parts count as one argument
                t if t.is_template_head() => {
                    depth += 1;
                    any = true;
                    last_comma = false;
                }
                t if t.is_template_tail() => {
                    depth = depth.saturating_sub(1);
                }
                Token::Punct(Punct::Comma) if depth == 1 => {
                    commas += 1;
                    last_comma = true;
                }
                _ => {
                    if depth == 1 {
                        if matches!(t, Token::Punct(Punct::Ellipsis)) {
                            spread = true;
                        }
                        if k == j + 1 {
                            if let (
                                Token::String(StringLit::Single(s) | StringLit::Double(s)),
                                true,
                            ) = (
                                t,
                                punct(k + 1, Punct::CloseParen) || punct(k + 1, Punct::Comma),
                            ) {
                                first_string = Some(s.content.to_string());
                            }
                        }
                    }
                    any = true;
                    last_comma = false;
                }
            }
        }
        let Some(end) = end else { continue };
        let nargs = if !any {
            0
        } else if last_comma {
            commas
        } else {
            commas + 1
        };
        facts.calls.push(KemiCall {
            path,
            nargs: (!spread).then_some(nargs),
            range: toks[i].1.start..end,
            first_string_arg: first_string,
        });
    }
    facts
}

/// Parse the whole script (as a script, not a module: app_jsdt evaluates
/// the file with Duktape).
fn parse(text: &str) -> Result<(), ressa::Error> {
    let mut p = ressa::Parser::new(text)?;
    p.parse().map(|_| ())
}

/// The byte offset of a 1-based line and a column, clamped to the line.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line.max(1) {
            let mut at = start + column.saturating_sub(1).min(l.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return at;
        }
        start += l.len();
    }
    text.len()
}
