//! Python scripts (app_python3, app_python3s, app_python), read with
//! `rustpython-parser`: the parser decides whether the script is valid
//! Python; its token stream gives the `KSR` calls and the `def`s.

use rustpython_parser::text_size::TextRange;
use rustpython_parser::{lexer, Mode, Tok};

use crate::{KemiCall, ScriptFacts};

fn span(r: TextRange) -> std::ops::Range<usize> {
    usize::from(r.start())..usize::from(r.end())
}

/// The calls and function definitions of a Python script.
pub(crate) fn facts(text: &str) -> ScriptFacts {
    let mut facts = ScriptFacts::default();
    if let Err(e) = rustpython_parser::parse(text, Mode::Module, "<script>") {
        let at = usize::from(e.offset).min(text.len());
        facts.syntax_errors.push((at..at, e.error.to_string()));
        return facts;
    }
    let toks: Vec<(Tok, TextRange)> = lexer::lex(text, Mode::Module)
        .filter_map(Result::ok)
        .collect();
    let is_name =
        |i: usize, n: &str| matches!(toks.get(i), Some((Tok::Name { name }, _)) if name == n);
    for i in 0..toks.len() {
        if let (Tok::Def, Some((Tok::Name { name }, _))) = (&toks[i].0, toks.get(i + 1)) {
            facts.functions.push(name.clone());
            continue;
        }
        // `KSR` not preceded by `.` (x.KSR.y is something else)
        if !is_name(i, "KSR") || (i > 0 && matches!(toks[i - 1].0, Tok::Dot)) {
            continue;
        }
        let mut path = Vec::new();
        let mut j = i + 1;
        while let (Some((Tok::Dot, _)), Some((Tok::Name { name }, _))) =
            (toks.get(j), toks.get(j + 1))
        {
            path.push(name.clone());
            j += 2;
        }
        if path.is_empty() || !matches!(toks.get(j), Some((Tok::Lpar, _))) {
            continue;
        }
        // the arguments: commas at depth 1
        let mut depth = 0usize;
        let mut commas = 0usize;
        let mut any = false;
        let mut last_comma = false;
        let mut starred = false;
        let mut first_string: Option<String> = None;
        let mut end = None;
        for (k, (t, r)) in toks.iter().enumerate().skip(j) {
            match t {
                Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                    depth += 1;
                    if depth > 1 {
                        any = true;
                        last_comma = false;
                    }
                }
                Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(r.end());
                        break;
                    }
                }
                Tok::Comma if depth == 1 => {
                    commas += 1;
                    last_comma = true;
                }
                Tok::Newline => {}
                _ => {
                    if depth == 1 {
                        if (matches!(t, Tok::Star | Tok::DoubleStar)) && (last_comma || k == j + 1)
                        {
                            starred = true;
                        }
                        if k == j + 1 {
                            if let (Tok::String { value, .. }, Some((Tok::Rpar | Tok::Comma, _))) =
                                (t, toks.get(k + 1))
                            {
                                first_string = Some(value.clone());
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
            nargs: (!starred).then_some(nargs),
            range: span(TextRange::new(toks[i].1.start(), end)),
            first_string_arg: first_string,
        });
    }
    facts
}
