//! Preprocessor structure: directive lines, `#!ifdef` groups and their arms.
//!
//! Kamailio's preprocessor runs inside its lexer, so an `#!ifdef` arm may hold
//! any tokens, even half a statement. kcfg wants both: arms as tree nodes (so
//! the formatter and the editor see inactive code) and no false syntax errors.
//!
//! * A group whose arms each balance `()`, `{}` and `[]` on their own is
//!   *balanced*: the parser turns it into a `PP_IF` node with one `PP_ARM` per
//!   arm and parses every arm.
//! * A group that is not balanced (`#!ifdef X` / `if (a) {` / `#!else` /
//!   `if (b) {` / `#!endif`) cannot be parsed arm by arm. Here the arm that
//!   Kamailio would take with the defines in effect (the file's own `#!define`s
//!   plus [`crate::ParseOptions::defines`]) stays in the token stream and the
//!   other arms become single `INACTIVE_CODE` trivia tokens.

use crate::lexer::Token;
use crate::SyntaxKind::{self, *};

/// Kamailio's `MAX_IFDEFS` (cfg.lex): deeper nesting is an error there.
pub const MAX_IFDEF_DEPTH: usize = 512;

/// What a preprocessor directive line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    Define,
    TryDef,
    Redefine,
    Undef,
    TryUndef,
    DefExp,
    IfDef,
    IfNDef,
    IfExp,
    Else,
    EndIf,
    Subst,
    DefEnv,
    Include,
    Import,
    Marker,
}

impl Directive {
    /// Classify the text of a `PP_KEYWORD` token (`#!define`, `!!ifdef`, `include_file`, ...).
    pub fn from_keyword(text: &str) -> Directive {
        let word = text
            .trim_start_matches("//!")
            .trim_start_matches("#!")
            .trim_start_matches("!!");
        match word {
            "define" | "def" => Directive::Define,
            "trydefine" | "trydef" => Directive::TryDef,
            "redefine" | "redef" => Directive::Redefine,
            "undefine" | "undef" => Directive::Undef,
            "tryundefine" | "tryundef" => Directive::TryUndef,
            "defexp" | "defexps" => Directive::DefExp,
            "ifdef" => Directive::IfDef,
            "ifndef" => Directive::IfNDef,
            "ifexp" => Directive::IfExp,
            "else" => Directive::Else,
            "endif" => Directive::EndIf,
            "subst" | "substdef" | "substdefs" => Directive::Subst,
            "defenv" | "defenvs" | "trydefenv" | "trydefenvs" => Directive::DefEnv,
            "include_file" => Directive::Include,
            "import_file" => Directive::Import,
            _ => Directive::Marker,
        }
    }

    pub fn opens_group(self) -> bool {
        matches!(
            self,
            Directive::IfDef | Directive::IfNDef | Directive::IfExp
        )
    }

    /// The CST node kind a line of this directive becomes at item/statement level.
    pub fn node_kind(self) -> SyntaxKind {
        match self {
            Directive::Define | Directive::TryDef | Directive::Redefine | Directive::DefExp => {
                PP_DEFINE
            }
            Directive::Undef | Directive::TryUndef => PP_UNDEF,
            Directive::Subst => PP_SUBST,
            Directive::DefEnv => PP_DEFENV,
            Directive::Include | Directive::Import => PP_INCLUDE,
            Directive::Marker => PP_MARKER,
            _ => PP_DIRECTIVE,
        }
    }
}

/// One directive line: tokens `first..end` (the newline is not included).
#[derive(Debug, Clone)]
pub struct PpLine {
    pub first: usize,
    pub end: usize,
    pub directive: Directive,
    /// index into [`PpStructure::groups`] for ifdef/else/endif lines
    pub group: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Group {
    /// indices into [`PpStructure::lines`]: the opening line, the `#!else` lines, the `#!endif`
    pub lines: Vec<usize>,
    pub closed: bool,
    pub balanced: bool,
    /// the arm Kamailio takes with the parse's defines (None: no arm, or the
    /// whole group sits in an arm not taken)
    pub active: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PpError {
    pub offset: u32,
    pub len: u32,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct PpStructure {
    pub lines: Vec<PpLine>,
    pub groups: Vec<Group>,
}

fn offsets(tokens: &[Token]) -> Vec<u32> {
    let mut off = Vec::with_capacity(tokens.len() + 1);
    let mut pos = 0;
    for t in tokens {
        off.push(pos);
        pos += t.len;
    }
    off.push(pos);
    off
}

/// Find directive lines and ifdef groups in a token stream.
fn scan(
    tokens: &[Token],
    text: &str,
    off: &[u32],
    errors: Option<&mut Vec<PpError>>,
) -> PpStructure {
    let mut st = PpStructure::default();
    let mut stack: Vec<usize> = Vec::new();
    let mut errs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].kind != PP_KEYWORD {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < tokens.len() && matches!(tokens[end].kind, PP_NAME | PP_BODY | WHITESPACE) {
            end += 1;
        }
        let kw = &text[off[i] as usize..off[i + 1] as usize];
        let directive = Directive::from_keyword(kw);
        let line_idx = st.lines.len();
        let mut group = None;
        match directive {
            d if d.opens_group() && stack.len() >= MAX_IFDEF_DEPTH => {
                errs.push(PpError {
                    offset: off[i],
                    len: off[i + 1] - off[i],
                    message: format!(
                        "more than {MAX_IFDEF_DEPTH} nested `#!ifdef`s: Kamailio stops here (MAX_IFDEFS)"
                    ),
                });
            }
            d if d.opens_group() => {
                let g = st.groups.len();
                st.groups.push(Group {
                    lines: vec![line_idx],
                    closed: false,
                    balanced: true,
                    active: None,
                });
                stack.push(g);
                group = Some(g);
            }
            Directive::Else | Directive::EndIf => match stack.last().copied() {
                Some(g) => {
                    st.groups[g].lines.push(line_idx);
                    group = Some(g);
                    if directive == Directive::EndIf {
                        st.groups[g].closed = true;
                        stack.pop();
                    }
                }
                None => errs.push(PpError {
                    offset: off[i],
                    len: off[i + 1] - off[i],
                    message: format!("`{kw}` without a matching `#!ifdef`/`#!ifndef`"),
                }),
            },
            _ => {}
        }
        st.lines.push(PpLine {
            first: i,
            end,
            directive,
            group,
        });
        i = end;
    }
    for g in stack {
        let line = &st.lines[st.groups[g].lines[0]];
        errs.push(PpError {
            offset: off[line.first],
            len: off[line.first + 1] - off[line.first],
            message: "this `#!ifdef` is never closed: `#!endif` is missing".into(),
        });
    }
    if let Some(e) = errors {
        e.extend(errs);
    }
    st
}

/// Token range `(start, end)` of arm `k` of group `g` (after its directive line,
/// up to the next directive line of the group, or the end of input).
fn arm_range(st: &PpStructure, g: usize, k: usize, ntokens: usize) -> (usize, usize) {
    let grp = &st.groups[g];
    let start = st.lines[grp.lines[k]].end;
    let end = grp.lines.get(k + 1).map_or(ntokens, |&l| st.lines[l].first);
    (start, end)
}

/// Tokens that cannot start a self-contained arm: the arm continues
/// something before the group (`#!ifdef X` / `else { ... }`, `|| $a`).
fn continues_before(k: SyntaxKind) -> bool {
    matches!(
        k,
        ELSE_KW
            | PIPE2
            | AMP2
            | OR_KW
            | AND_KW
            | PLUS
            | EQ2
            | NEQ
            | MATCH
            | R_PAREN
            | COMMA
            | DOT
            | EQ
            | COLON
    )
}

/// Tokens that cannot end a self-contained arm.
fn continues_after(k: SyntaxKind) -> bool {
    matches!(
        k,
        PIPE2
            | AMP2
            | OR_KW
            | AND_KW
            | PLUS
            | EQ2
            | NEQ
            | MATCH
            | L_PAREN
            | COMMA
            | DOT
            | EQ
            | IF_KW
            | ELSE_KW
    )
}

fn significant(k: SyntaxKind) -> bool {
    !k.is_trivia() && !k.is_pp_line_piece() && k != PP_KEYWORD
}

fn arm_balanced(tokens: &[Token], range: (usize, usize), inactive: &[bool]) -> bool {
    let (mut p, mut b, mut k) = (0i32, 0i32, 0i32);
    let mut first = true;
    let mut last = None;
    for (i, t) in tokens.iter().enumerate().take(range.1).skip(range.0) {
        if inactive[i] || !significant(t.kind) {
            continue;
        }
        if first && continues_before(t.kind) {
            return false;
        }
        first = false;
        last = Some(t.kind);
        match t.kind {
            L_PAREN => p += 1,
            R_PAREN => p -= 1,
            L_BRACE => b += 1,
            R_BRACE => b -= 1,
            L_BRACK => k += 1,
            R_BRACK => k -= 1,
            _ => {}
        }
        if p < 0 || b < 0 || k < 0 {
            return false;
        }
    }
    p == 0 && b == 0 && k == 0 && !last.is_some_and(continues_after)
}

/// Which arm of each group Kamailio takes with these defines (None: no arm).
fn active_arms(
    st: &PpStructure,
    tokens: &[Token],
    text: &str,
    off: &[u32],
    predefined: &[String],
) -> Vec<Option<usize>> {
    let mut defs: Vec<String> = predefined
        .iter()
        .map(|d| d.split('=').next().unwrap_or(d).to_string())
        .collect();
    let mut active = vec![None; st.groups.len()];
    // stack of (group, taking, parent_active, arm index)
    let mut stack: Vec<(usize, bool, bool, usize)> = Vec::new();
    let is_active =
        |stack: &Vec<(usize, bool, bool, usize)>| stack.last().is_none_or(|s| s.1 && s.2);
    let name_of = |line: &PpLine| {
        (line.first..line.end)
            .find(|&i| tokens[i].kind == PP_NAME)
            .map(|i| text[off[i] as usize..off[i + 1] as usize].to_string())
    };
    for line in &st.lines {
        let here = is_active(&stack);
        match line.directive {
            Directive::IfDef | Directive::IfNDef | Directive::IfExp => {
                let g = line.group.unwrap_or(0);
                let cond = match line.directive {
                    Directive::IfDef => name_of(line).is_some_and(|n| defs.contains(&n)),
                    Directive::IfNDef => !name_of(line).is_some_and(|n| defs.contains(&n)),
                    _ => false,
                };
                if here && cond {
                    active[g] = Some(0);
                }
                stack.push((g, cond, here, 0));
            }
            Directive::Else => {
                if let Some(top) = stack.last_mut() {
                    top.1 = !top.1;
                    top.3 += 1;
                    if top.1 && top.2 {
                        active[top.0] = Some(top.3);
                    }
                }
            }
            Directive::EndIf => {
                stack.pop();
            }
            Directive::Define | Directive::TryDef | Directive::Redefine | Directive::DefExp
                if here =>
            {
                if let Some(n) = name_of(line) {
                    if !defs.contains(&n) {
                        defs.push(n);
                    }
                }
            }
            Directive::Undef | Directive::TryUndef if here => {
                if let Some(n) = name_of(line) {
                    defs.retain(|d| *d != n);
                }
            }
            _ => {}
        }
    }
    active
}

/// Turn the inactive arms of unbalanced groups into `INACTIVE_CODE` tokens
/// and describe the directive structure of the resulting token stream.
pub fn process(
    tokens: Vec<Token>,
    text: &str,
    predefined: &[String],
    errors: &mut Vec<PpError>,
) -> (Vec<Token>, PpStructure) {
    let off = offsets(&tokens);
    let st = scan(&tokens, text, &off, Some(errors));
    if st.groups.is_empty() {
        return (tokens, st);
    }

    // inner groups close first: process groups in order of their endif
    let mut order: Vec<usize> = (0..st.groups.len()).collect();
    let last_line = |g: usize| *st.groups[g].lines.last().unwrap_or(&0);
    order.sort_by_key(|&g| last_line(g));
    let arms = active_arms(&st, &tokens, text, &off, predefined);
    let mut inactive = vec![false; tokens.len()];
    let mut unbalanced_at: Vec<u32> = Vec::new();
    for g in order {
        let grp = &st.groups[g];
        let narms = if grp.closed {
            grp.lines.len() - 1
        } else {
            grp.lines.len()
        };
        let balanced = (0..narms)
            .all(|k| arm_balanced(&tokens, arm_range(&st, g, k, tokens.len()), &inactive));
        if balanced {
            continue;
        }
        unbalanced_at.push(off[st.lines[grp.lines[0]].first]);
        for k in 0..narms {
            if arms[g] == Some(k) {
                continue;
            }
            let (s, e) = arm_range(&st, g, k, tokens.len());
            for flag in inactive.iter_mut().take(e).skip(s) {
                *flag = true;
            }
        }
    }
    if unbalanced_at.is_empty() {
        let mut st = st;
        for (g, a) in arms.into_iter().enumerate() {
            st.groups[g].active = a;
        }
        return (tokens, st);
    }
    // merge runs of inactive tokens
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if inactive[i] {
            let mut len = 0;
            while i < tokens.len() && inactive[i] {
                len += tokens[i].len;
                i += 1;
            }
            out.push(Token {
                kind: INACTIVE_CODE,
                len,
            });
        } else {
            out.push(tokens[i]);
            i += 1;
        }
    }
    let off2 = offsets(&out);
    let mut st2 = scan(&out, text, &off2, None);
    for g in 0..st2.groups.len() {
        let at = off2[st2.lines[st2.groups[g].lines[0]].first];
        st2.groups[g].balanced = !unbalanced_at.contains(&at);
    }
    let arms2 = active_arms(&st2, &out, text, &off2, predefined);
    for (g, a) in arms2.into_iter().enumerate() {
        st2.groups[g].active = a;
    }
    (out, st2)
}

/// Byte ranges of the arms that are not taken with the parse's defines
/// (errors inside them are not Kamailio's errors for this define set).
pub fn inactive_ranges(st: &PpStructure, tokens: &[Token]) -> Vec<(u32, u32)> {
    let off = offsets(tokens);
    let mut out = Vec::new();
    for g in 0..st.groups.len() {
        let grp = &st.groups[g];
        let narms = if grp.closed {
            grp.lines.len() - 1
        } else {
            grp.lines.len()
        };
        for k in 0..narms {
            if grp.active == Some(k) {
                continue;
            }
            let (s, e) = arm_range(st, g, k, tokens.len());
            if s < e {
                out.push((off[s], off[e]));
            }
        }
    }
    out
}
