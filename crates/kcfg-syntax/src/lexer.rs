//! The lexer: a logos token enum for Kamailio's INITIAL lexer state, with
//! callbacks for the tokens that Kamailio reads in a state of their own
//! (strings, comments, pseudo-variables, preprocessor lines), and a small
//! driver for the one state logos cannot express (`event_route[name]`).
//!
//! The lexer never fails: every byte of the input lands in exactly one token.
//! Broken pieces (an unterminated string, a stray byte) become tokens too,
//! and a [`LexError`] says what is wrong with them.

use logos::Logos;

use crate::SyntaxKind::{self, *};

/// One token: its kind and its length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: SyntaxKind,
    pub len: u32,
}

/// A lexical problem at `offset..offset+len`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub offset: u32,
    pub len: u32,
    pub message: String,
    /// Kamailio does not reject this (it skips unknown characters)
    pub warning: bool,
}

/// A directive line as the lexer emits it: its tokens `first..end` (the
/// `PP_KEYWORD` and the `PP_NAME`/`PP_BODY`/`WHITESPACE` pieces after it),
/// what it does, its keyword's range, and its name (the `PP_NAME` token, if
/// any) with a [`name_hash`] of the name's text. The preprocessor builds its
/// structure from these without reading the token array and the text again:
/// in a large file each directive line there was a cache miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexLine {
    pub first: u32,
    pub end: u32,
    pub directive: crate::pp::Directive,
    pub kw_start: u32,
    pub kw_len: u32,
    pub name_start: u32,
    /// 0: the line has no name
    pub name_len: u32,
    pub name_hash: u64,
}

/// A hash of a `#!define` name (FxHash's step over its bytes), to look names
/// up without reading their text when none is defined.
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    let mut h: u64 = name.len() as u64;
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    h
}

/// What the lexer produces: the tokens, the errors, the directive lines.
#[derive(Default)]
pub(crate) struct LexOut {
    pub tokens: Vec<Token>,
    /// the start offset of each token, and (once the whole text is lexed)
    /// the end of the text: written segment by segment while the segment's
    /// tokens are still in the CPU's cache
    pub offsets: Vec<u32>,
    /// the indices of the significant tokens (neither trivia nor a piece of
    /// a directive line: what the grammar sees), written with the offsets
    pub sig: Vec<u32>,
    pub errors: Vec<LexError>,
    pub lines: Vec<LexLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Comment,
    Marker,
    Directive,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x08 | 0x0c)
}

fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_id_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A directive word after `#!` / `!!`: whether Kamailio recognises it only
/// with whitespace after it, and whether its line may continue with `\` +
/// newline (defines). `None` for other words. (A `match`: compiled to a
/// test of the length and a few comparisons, not a scan of a list.)
fn directive_word(word: &[u8]) -> Option<(bool, bool)> {
    Some(match word {
        b"define" | b"def" | b"trydefine" | b"trydef" | b"redefine" | b"redef" | b"defexp"
        | b"defexps" => (true, true),
        b"undefine" | b"undef" | b"tryundefine" | b"tryundef" | b"ifdef" | b"ifndef" | b"ifexp" => {
            (true, false)
        }
        b"defenv" | b"defenvs" | b"trydefenv" | b"trydefenvs" | b"else" | b"endif" | b"subst"
        | b"substdef" | b"substdefs" | b"include_file" | b"import_file" => (false, false),
        _ => return None,
    })
}

/// The compatibility markers (`#!KAMAILIO`, ...).
fn is_marker(word: &[u8]) -> bool {
    matches!(
        word,
        b"KAMAILIO" | b"OPENSER" | b"SER" | b"MAXCOMPAT" | b"ALL"
    )
}

/// `#!define X \` + newline: Kamailio takes the `\` as the first character
/// of the value (DEFINE_EOL's `.` rule), so the line does not continue.
fn backslash_starts_value(after: &[u8]) -> bool {
    let mut i = after.iter().take_while(|&&b| is_ws(b)).count();
    i += after[i..].iter().take_while(|&&b| is_id_char(b)).count();
    i += after[i..]
        .iter()
        .take_while(|&&b| is_ws(b) && b != b'\r')
        .count();
    after.get(i) == Some(&b'\\')
        && (after.get(i + 1) == Some(&b'\n')
            || (after.get(i + 1) == Some(&b'\r') && after.get(i + 2) == Some(&b'\n')))
}

/// The first byte of `s` that is `a` or `b`, eight bytes at a time (long
/// comments, strings and lines are most of the bytes of a config).
fn find_either(s: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // the zero bytes of `w` flagged in their top bit; the lowest flag is exact
    // (a borrow can only raise false flags above a true zero byte)
    let zeros = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut i = 0;
    while let Some(w) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(w.try_into().unwrap());
        let found = zeros(w ^ (ONES * u64::from(a))) | zeros(w ^ (ONES * u64::from(b)));
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s[i..].iter().position(|&c| c == a || c == b).map(|p| i + p)
}

/// Length of the line starting at `s` (up to, not including, `\n`).
fn line_len(s: &[u8]) -> usize {
    find_either(s, b'\n', b'\n').unwrap_or(s.len())
}

/// Length of a directive line with `\`-newline continuations.
fn continued_line_len(s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'\n' => {
                if i > 0 && s[i - 1] == b'\\' || (i > 1 && s[i - 1] == b'\r' && s[i - 2] == b'\\') {
                    i += 1;
                    continue;
                }
                return i;
            }
            _ => i += 1,
        }
    }
    s.len()
}

/// Classify what follows a preprocessor prefix (`#!` or `!!`) at `rest`
/// (which starts right after the prefix). Returns the length of the whole
/// line after the prefix if it is a directive or a marker.
fn classify_prefixed(rest: &[u8], allow_marker: bool) -> Option<(LineKind, usize)> {
    let wlen = rest.iter().take_while(|&&b| is_id_char(b)).count();
    let word = &rest[..wlen];
    let after = &rest[wlen..];
    if allow_marker && is_marker(word) {
        // `{COM_LINE}!{KAMAILIO_CFG}{CR}`: the newline must follow at once
        if after.first() == Some(&b'\n')
            || (after.first() == Some(&b'\r') && after.get(1) == Some(&b'\n'))
            || after.is_empty()
        {
            let l = line_len(rest);
            return Some((LineKind::Marker, l));
        }
        return None;
    }
    let (needs_space_after, continues_with_backslash) = directive_word(word)?;
    if needs_space_after && !after.first().is_some_and(|&b| is_ws(b)) {
        return None;
    }
    if matches!(word, b"else" | b"endif") {
        // `{PREP_START}{ENDIF}{EAT_ABLE}*{CR}`: anything else on the line
        // makes it a plain comment in Kamailio's lexer
        let l = line_len(after);
        if !after[..l].iter().all(|&b| is_ws(b)) {
            return None;
        }
    }
    let l = if continues_with_backslash && !backslash_starts_value(after) {
        wlen + continued_line_len(after)
    } else {
        wlen + line_len(after)
    };
    Some((LineKind::Directive, l))
}

fn lex_hash(lex: &mut logos::Lexer<'_, LogosToken>) -> LineKind {
    let rest = lex.remainder().as_bytes();
    if rest.first() == Some(&b'!') {
        if let Some((kind, l)) = classify_prefixed(&rest[1..], true) {
            lex.bump(1 + l);
            return kind;
        }
    }
    lex.bump(line_len(rest));
    LineKind::Comment
}

fn lex_slashslash(lex: &mut logos::Lexer<'_, LogosToken>) -> LineKind {
    let rest = lex.remainder().as_bytes();
    if rest.first() == Some(&b'!') {
        let wlen = rest[1..].iter().take_while(|&&b| is_id_char(b)).count();
        if is_marker(&rest[1..1 + wlen]) {
            lex.bump(line_len(rest));
            return LineKind::Marker;
        }
    }
    lex.bump(line_len(rest));
    LineKind::Comment
}

fn lex_block_comment(lex: &mut logos::Lexer<'_, LogosToken>) -> bool {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while let Some(p) = find_either(&rest[i..], b'/', b'*') {
        i += p;
        if rest[i] == b'/' && rest.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if rest[i] == b'*' && rest.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                lex.bump(i);
                return true;
            }
        } else {
            i += 1;
        }
    }
    lex.bump(rest.len());
    false
}

fn lex_dq_string(lex: &mut logos::Lexer<'_, LogosToken>) -> bool {
    let rest = lex.remainder().as_bytes();
    let mut i = 0;
    while let Some(p) = rest.get(i..).and_then(|r| find_either(r, b'"', b'\\')) {
        i += p;
        if rest[i] == b'"' {
            lex.bump(i + 1);
            return true;
        }
        // `\` escapes the next byte
        i += 2;
    }
    lex.bump(rest.len());
    false
}

fn lex_sq_string(lex: &mut logos::Lexer<'_, LogosToken>) -> bool {
    let rest = lex.remainder().as_bytes();
    match find_either(rest, b'\'', b'\'') {
        Some(i) => {
            lex.bump(i + 1);
            true
        }
        None => {
            lex.bump(rest.len());
            false
        }
    }
}

/// Balanced `(...)` as Kamailio's PVAR_P state reads it: only parentheses
/// count (quotes do not), and the PV cannot span a newline.
/// `s` starts at the `(`. Returns (length, closed).
fn balanced_parens(s: &[u8]) -> (usize, bool) {
    let mut depth = 0usize;
    for (i, &b) in s.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return (i + 1, true);
                }
            }
            b'\n' => return (i, false),
            _ => {}
        }
    }
    (s.len(), false)
}

/// `$...` after the `$`. Returns whether the PV is well-formed.
fn lex_pvar(lex: &mut logos::Lexer<'_, LogosToken>) -> PvShape {
    let rest = lex.remainder().as_bytes();
    match rest.first() {
        Some(b'(') => {
            let (l, ok) = balanced_parens(rest);
            lex.bump(l);
            if ok {
                PvShape::Ok
            } else {
                PvShape::Unclosed
            }
        }
        Some(b'?') => {
            lex.bump(1);
            PvShape::Ok
        }
        Some(&b) if is_id_start(b) => {
            let idl = rest.iter().take_while(|&&b| is_id_char(b)).count();
            let id = &rest[..idl];
            let after = &rest[idl..];
            // old-style AVP with a track/class prefix: $f.name, $tu.name, $g.name
            let avp_pref = matches!(
                id,
                b"f" | b"t" | b"fr" | b"fu" | b"fd" | b"tr" | b"tu" | b"td" | b"g"
            );
            if avp_pref && after.first() == Some(&b'.') {
                let nl = after[1..].iter().take_while(|&&b| is_id_char(b)).count();
                lex.bump(idl + 1 + nl);
                return if nl > 0 { PvShape::Ok } else { PvShape::Broken };
            }
            match after.first() {
                Some(b'(') => {
                    let (l, ok) = balanced_parens(after);
                    lex.bump(idl + l);
                    if ok {
                        PvShape::Ok
                    } else {
                        PvShape::Unclosed
                    }
                }
                Some(b'[') => {
                    // `$name[idx]`: Kamailio's old AVP syntax (ATTR state)
                    match after.iter().position(|&b| b == b']' || b == b'\n') {
                        Some(p) if after[p] == b']' => {
                            lex.bump(idl + p + 1);
                            PvShape::Ok
                        }
                        _ => {
                            lex.bump(idl);
                            PvShape::Ok
                        }
                    }
                }
                _ => {
                    lex.bump(idl);
                    PvShape::Ok
                }
            }
        }
        _ => PvShape::Broken,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PvShape {
    Ok,
    Unclosed,
    Broken,
}

fn lex_include(lex: &mut logos::Lexer<'_, LogosToken>) -> bool {
    // include_file / import_file must be a whole word
    let rest = lex.remainder().as_bytes();
    if rest.first().is_some_and(|&b| is_id_char(b)) {
        let l = rest.iter().take_while(|&&b| is_id_char(b)).count();
        lex.bump(l);
        return false;
    }
    lex.bump(line_len(rest));
    true
}

#[derive(Logos, Debug, Clone, Copy, PartialEq)]
enum LogosToken {
    #[regex(r"[ \t\r\x08\x0c]+")]
    Whitespace,
    #[token("\n")]
    Newline,
    #[regex(r"\\\r?\n")]
    LineContinuation,
    #[token("#", lex_hash)]
    Hash(LineKind),
    #[token("//", lex_slashslash)]
    SlashSlash(LineKind),
    #[token("/*", lex_block_comment)]
    BlockComment(bool),
    #[token("\"", lex_dq_string)]
    DqString(bool),
    #[token("'", lex_sq_string)]
    SqString(bool),
    #[token("$", lex_pvar)]
    Pvar(PvShape),
    #[token("include_file", lex_include)]
    #[token("import_file", lex_include)]
    Include(bool),

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBrack,
    #[token("]")]
    RBrack,
    #[token(",")]
    Comma,
    #[token(";")]
    Semicolon,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("%")]
    Percent,
    /// `%name`, `%f.name`, `%name[1]`: SER's AVP syntax (Kamailio's ATTR state)
    #[regex(r"%[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?(\[[0-9]*\])?")]
    AttrAvp,
    #[token("=")]
    Eq,
    #[token("+=")]
    PlusEq,
    #[token("==")]
    Eq2,
    #[token("!=")]
    Neq,
    #[token("=~")]
    Match,
    #[token("!~")]
    NotMatch,
    #[token(">")]
    Gt,
    #[token("<")]
    Lt,
    #[token(">=")]
    Gte,
    #[token("<=")]
    Lte,
    #[token("!")]
    Bang,
    #[token("~")]
    Tilde,
    #[token("&")]
    Amp,
    #[token("&&")]
    Amp2,
    #[token("|")]
    Pipe,
    #[token("||")]
    Pipe2,
    #[token("^")]
    Caret,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("@")]
    At,
    #[token("(int)")]
    IntCast,
    #[token("(str)")]
    StrCast,

    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("switch")]
    Switch,
    #[token("case")]
    Case,
    #[token("default")]
    Default,
    #[token("while")]
    While,
    #[token("return")]
    Return,
    #[token("exit")]
    Exit,
    #[token("drop")]
    Drop,
    #[token("break")]
    Break,
    #[token("route")]
    Route,
    #[token("request_route")]
    RequestRoute,
    #[token("failure_route")]
    FailureRoute,
    #[token("onreply_route")]
    OnreplyRoute,
    #[token("reply_route")]
    ReplyRoute,
    #[token("branch_route")]
    BranchRoute,
    #[token("onsend_route")]
    OnsendRoute,
    #[token("event_route")]
    EventRoute,
    #[token("loadmodule")]
    Loadmodule,
    #[token("loadmodulex")]
    Loadmodulex,
    #[token("loadpath")]
    #[token("mpath")]
    Loadpath,
    #[token("modparam")]
    Modparam,
    #[token("modparamx")]
    Modparamx,
    #[token("cfgengine")]
    Cfgengine,
    #[token("desc")]
    Desc,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("mod")]
    Mod,
    #[token("eq")]
    EqKw,
    #[token("ne")]
    NeKw,
    #[token("ieq")]
    IeqKw,
    #[token("ine")]
    IneKw,
    #[token("defined")]
    Defined,
    #[token("strlen")]
    Strlen,
    #[token("strempty")]
    Strempty,
    #[token("selval")]
    Selval,

    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Ident,
    #[regex(r"[0-9][A-Za-z0-9_]*")]
    Number,
    #[regex(r"([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|([0-9a-fA-F]{1,4}:){1,7}(:[0-9a-fA-F]{1,4}){1,7}|:(:[0-9a-fA-F]{1,4}){1,7}|([0-9a-fA-F]{1,4}:){1,7}:|::")]
    Ipv6,
}

fn map_token(t: LogosToken) -> SyntaxKind {
    use LogosToken as T;
    match t {
        T::Whitespace => WHITESPACE,
        T::Newline => NEWLINE,
        T::LineContinuation => LINE_CONTINUATION,
        T::Hash(LineKind::Comment) | T::SlashSlash(LineKind::Comment) => COMMENT,
        T::Hash(_) | T::SlashSlash(_) => PP_KEYWORD,
        T::BlockComment(_) => BLOCK_COMMENT,
        T::DqString(_) => STRING,
        T::SqString(_) => SQ_STRING,
        T::Pvar(_) => PVAR,
        T::Include(true) => PP_KEYWORD,
        T::Include(false) => IDENT,
        T::LParen => L_PAREN,
        T::RParen => R_PAREN,
        T::LBrace => L_BRACE,
        T::RBrace => R_BRACE,
        T::LBrack => L_BRACK,
        T::RBrack => R_BRACK,
        T::Comma => COMMA,
        T::Semicolon => SEMICOLON,
        T::Colon => COLON,
        T::Dot => DOT,
        T::Star => STAR,
        T::Slash => SLASH,
        T::Plus => PLUS,
        T::Minus => MINUS,
        T::Percent => PERCENT,
        T::AttrAvp => PVAR,
        T::Eq => EQ,
        T::PlusEq => PLUS_EQ,
        T::Eq2 => EQ2,
        T::Neq => NEQ,
        T::Match => MATCH,
        T::NotMatch => NOT_MATCH,
        T::Gt => GT,
        T::Lt => LT,
        T::Gte => GTE,
        T::Lte => LTE,
        T::Bang => BANG,
        T::Tilde => TILDE,
        T::Amp => AMP,
        T::Amp2 => AMP2,
        T::Pipe => PIPE,
        T::Pipe2 => PIPE2,
        T::Caret => CARET,
        T::Shl => SHL,
        T::Shr => SHR,
        T::At => AT,
        T::IntCast => INT_CAST,
        T::StrCast => STR_CAST,
        T::If => IF_KW,
        T::Else => ELSE_KW,
        T::Switch => SWITCH_KW,
        T::Case => CASE_KW,
        T::Default => DEFAULT_KW,
        T::While => WHILE_KW,
        T::Return => RETURN_KW,
        T::Exit => EXIT_KW,
        T::Drop => DROP_KW,
        T::Break => BREAK_KW,
        T::Route => ROUTE_KW,
        T::RequestRoute => REQUEST_ROUTE_KW,
        T::FailureRoute => FAILURE_ROUTE_KW,
        T::OnreplyRoute => ONREPLY_ROUTE_KW,
        T::ReplyRoute => REPLY_ROUTE_KW,
        T::BranchRoute => BRANCH_ROUTE_KW,
        T::OnsendRoute => ONSEND_ROUTE_KW,
        T::EventRoute => EVENT_ROUTE_KW,
        T::Loadmodule => LOADMODULE_KW,
        T::Loadmodulex => LOADMODULEX_KW,
        T::Loadpath => LOADPATH_KW,
        T::Modparam => MODPARAM_KW,
        T::Modparamx => MODPARAMX_KW,
        T::Cfgengine => CFGENGINE_KW,
        T::Desc => DESC_KW,
        T::And => AND_KW,
        T::Or => OR_KW,
        T::Not => NOT_KW,
        T::Mod => MOD_KW,
        T::EqKw => EQ_KW,
        T::NeKw => NE_KW,
        T::IeqKw => IEQ_KW,
        T::IneKw => INE_KW,
        T::Defined => DEFINED_KW,
        T::Strlen => STRLEN_KW,
        T::Strempty => STREMPTY_KW,
        T::Selval => SELVAL_KW,
        T::Ident => IDENT,
        T::Number => NUMBER,
        T::Ipv6 => IPV6,
    }
}

/// `[a-zA-Z][0-9a-zA-Z-]*(":"[a-zA-Z][0-9a-zA-Z_-]*)+`
fn event_route_name_len(s: &[u8]) -> usize {
    let first = |s: &[u8]| s.first().is_some_and(|b| b.is_ascii_alphabetic());
    if !first(s) {
        return 0;
    }
    let mut i = 1 + s[1..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-')
        .count();
    let mut parts = 0;
    while s.get(i) == Some(&b':') && first(&s[i + 1..]) {
        i += 2;
        i += s[i..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .count();
        parts += 1;
    }
    if parts == 0 {
        0
    } else {
        i
    }
}

/// Split a preprocessor line (keyword + rest), which starts at offset `pos`
/// of the file, into its pieces, and note it in `out.lines`.
fn split_pp_line(text: &str, pos: usize, out: &mut LexOut) {
    let first = out.tokens.len();
    let name = split_pp_line_tokens(text, &mut out.tokens);
    let kw_len = out.tokens[first].len;
    let (name_start, name_len) = name.map_or((0, 0), |(s, l)| (pos + s, l));
    out.lines.push(LexLine {
        first: first as u32,
        end: out.tokens.len() as u32,
        directive: crate::pp::Directive::from_keyword(&text[..kw_len as usize]),
        kw_start: pos as u32,
        kw_len,
        name_start: name_start as u32,
        name_len: name_len as u32,
        name_hash: name.map_or(0, |(s, l)| name_hash(&text.as_bytes()[s..s + l])),
    });
}

/// The tokens of [`split_pp_line`]; returns the range of the name in `text`
/// (offset, length), if the line has one.
fn split_pp_line_tokens(text: &str, out: &mut Vec<Token>) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    // keyword: prefix + word
    let prefix = if text.starts_with("#!") || text.starts_with("!!") || text.starts_with("//!") {
        if text.starts_with("//!") {
            3
        } else {
            2
        }
    } else {
        0
    };
    let wlen = b[prefix..].iter().take_while(|&&c| is_id_char(c)).count();
    let kw_len = prefix + wlen;
    let word = &text[prefix..kw_len];
    out.push(Token {
        kind: PP_KEYWORD,
        len: kw_len as u32,
    });
    let mut i = kw_len;
    let push_ws = |i: &mut usize, out: &mut Vec<Token>| {
        let l = b[*i..].iter().take_while(|&&c| is_ws(c)).count();
        if l > 0 {
            out.push(Token {
                kind: WHITESPACE,
                len: l as u32,
            });
            *i += l;
        }
    };
    push_ws(&mut i, out);
    let takes_name = matches!(
        word,
        "define"
            | "def"
            | "trydefine"
            | "trydef"
            | "redefine"
            | "redef"
            | "undefine"
            | "undef"
            | "tryundefine"
            | "tryundef"
            | "defexp"
            | "defexps"
            | "ifdef"
            | "ifndef"
    );
    let mut name = None;
    if takes_name {
        let nl = b[i..].iter().take_while(|&&c| is_id_char(c)).count();
        if nl > 0 {
            out.push(Token {
                kind: PP_NAME,
                len: nl as u32,
            });
            name = Some((i, nl));
            i += nl;
        }
        push_ws(&mut i, out);
    }
    if i < b.len() {
        // body, with trailing whitespace split off
        let end = b.len() - b[i..].iter().rev().take_while(|&&c| is_ws(c)).count();
        if end > i {
            out.push(Token {
                kind: PP_BODY,
                len: (end - i) as u32,
            });
        }
        if b.len() > end {
            out.push(Token {
                kind: WHITESPACE,
                len: (b.len() - end) as u32,
            });
        }
    }
    name
}

/// Offsets of the lines that hold an `#!ifdef`/`#!ifndef`/`#!ifexp`/
/// `#!else`/`#!endif` directive (after optional leading whitespace).
///
/// Kamailio skips inactive arms character by character, looking only for
/// these directives, so a broken string or comment inside an arm never hides
/// the `#!endif`. kcfg lexes the text between these lines separately for the
/// same effect.
fn group_directive_lines(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    // a directive starts with `#!` or `!!` after the line's blanks: look at
    // each `!` (few in a config) instead of at each line
    for p in memchr::memchr_iter(b'!', b) {
        if p == 0 || !matches!(b[p - 1], b'#' | b'!') {
            continue;
        }
        let at = p - 1;
        let line = at
            - b[..at]
                .iter()
                .rev()
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
        if line > 0 && b[line - 1] != b'\n' {
            continue;
        }
        // the word first: most directive lines are defines, and
        // classifying them (their continued lines) is the costly part
        let wlen = b[at + 2..].iter().take_while(|&&c| is_id_char(c)).count();
        if matches!(
            &b[at + 2..at + 2 + wlen],
            b"ifdef" | b"ifndef" | b"ifexp" | b"else" | b"endif"
        ) && matches!(
            classify_prefixed(&b[at + 2..], false),
            Some((LineKind::Directive, _))
        ) {
            out.push(line);
        }
    }
    out
}

/// [`group_directive_lines`] as it was first written, line by line (the
/// reference for its test).
#[cfg(test)]
fn group_directive_lines_by_line(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut line = 0usize;
    loop {
        let ws = b[line..]
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        let at = line + ws;
        if matches!(b.get(at), Some(b'#' | b'!'))
            && (b[at..].starts_with(b"#!") || b[at..].starts_with(b"!!"))
        {
            let wlen = b[at + 2..].iter().take_while(|&&c| is_id_char(c)).count();
            if matches!(
                &b[at + 2..at + 2 + wlen],
                b"ifdef" | b"ifndef" | b"ifexp" | b"else" | b"endif"
            ) && matches!(
                classify_prefixed(&b[at + 2..], false),
                Some((LineKind::Directive, _))
            ) {
                out.push(line);
            }
        }
        line += line_len(&b[line..]) + 1;
        if line >= b.len() {
            break;
        }
    }
    out
}

/// Tokenize a whole file. Never fails; the tokens cover the input exactly.
pub fn tokenize(text: &str) -> (Vec<Token>, Vec<LexError>) {
    let out = tokenize_split_from(text, crate::PARALLEL_MIN_BYTES);
    (out.tokens, out.errors)
}

/// [`tokenize`], in two halves on two threads from `min_bytes` of text on
/// (see [`tokenize_halves`]); the result does not depend on it.
pub(crate) fn tokenize_split_from(text: &str, min_bytes: usize) -> LexOut {
    if text.len() >= min_bytes && text.len() >= 2 {
        return tokenize_halves(text);
    }
    let mut cuts = group_directive_lines(text);
    cuts.push(text.len());
    let mut out = LexOut::with_capacity(text.len() / 3 + 64);
    tokenize_segments(text, 0, &cuts, &mut out);
    out.offsets.push(text.len() as u32);
    out
}

impl LexOut {
    fn with_capacity(tokens: usize) -> Self {
        LexOut {
            tokens: Vec::with_capacity(tokens),
            offsets: Vec::with_capacity(tokens + 1),
            sig: Vec::with_capacity(tokens / 2),
            ..LexOut::default()
        }
    }
}

/// Lex the segments `[start, cuts[0])`, `[cuts[0], cuts[1])`, ... (each with
/// a lexer of its own, see [`group_directive_lines`]).
fn tokenize_segments(text: &str, mut start: usize, cuts: &[usize], out: &mut LexOut) {
    for &cut in cuts {
        if cut > start {
            tokenize_segment(text, start, cut, usize::MAX, out);
        }
        start = cut;
    }
}

/// [`tokenize`] in two halves at once. The segment boundaries are found on
/// both halves of the text (lines are independent there). The second half
/// starts at a segment boundary near the middle if there is one, else at the
/// start of a line near the middle, inside a segment: then the first half's
/// lexer must arrive at that offset between two tokens, outside an event
/// route name, for the second half's tokens to be the ones it would have
/// produced (the lexer looks only forward); if it does not, it goes on to the
/// end of the segment and the second half's tokens of that segment are
/// dropped.
fn tokenize_halves(text: &str) -> LexOut {
    let b = text.as_bytes();
    let len = text.len();
    // the line start at or after the middle
    let mid = b[len / 2..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(len, |i| len / 2 + i + 1);
    let (mut cuts, more) = rayon::join(
        || group_directive_lines(&text[..mid]),
        || {
            let mut c = if mid < len {
                group_directive_lines(&text[mid..])
            } else {
                Vec::new()
            };
            for x in &mut c {
                *x += mid;
            }
            c
        },
    );
    // (a line of the first half's scan that runs past `mid` cannot be: the
    // scan stops at the end of its text, and `mid` starts a line)
    cuts.extend(more);
    cuts.retain(|&c| c > 0 && c < len);
    cuts.push(len);
    // segment boundaries within the middle quarter of the text: split there
    let near = cuts
        .iter()
        .copied()
        .filter(|&c| c >= len * 3 / 8 && c <= len * 5 / 8)
        .min_by_key(|&c| c.abs_diff(len / 2));
    let (split, seg) = match near {
        Some(c) => (c, None),
        None => {
            // the segment holding `mid`
            let i = cuts.partition_point(|&c| c <= mid);
            let seg_start = if i == 0 { 0 } else { cuts[i - 1] };
            if mid >= len || mid == seg_start {
                (mid.min(len), None)
            } else {
                (mid, Some((seg_start, cuts[i])))
            }
        }
    };
    let first_cuts = cuts.partition_point(|&c| c <= split);
    let ((mut out, stopped), (rest, tail, tail_errors, tail_lines)) = rayon::join(
        || {
            // (room for the second half's tokens too: they are appended)
            let mut out = LexOut::with_capacity(len / 3 + 64);
            let mut stopped = true;
            match seg {
                None => tokenize_segments(text, 0, &cuts[..first_cuts], &mut out),
                Some((s, e)) => {
                    let before = cuts.partition_point(|&c| c <= s);
                    tokenize_segments(text, 0, &cuts[..before], &mut out);
                    stopped = tokenize_segment(text, s, e, split, &mut out);
                }
            }
            (out, stopped)
        },
        || {
            let mut out = LexOut::with_capacity((len - split) / 3 + 64);
            // the rest of the segment split inside (if any) first
            let start = match seg {
                Some((_, e)) => {
                    tokenize_segment(text, split, e, usize::MAX, &mut out);
                    e
                }
                None => split,
            };
            let tail = (out.tokens.len(), out.errors.len(), out.lines.len());
            tokenize_segments(text, start, &cuts[first_cuts..], &mut out);
            (out, tail.0, tail.1, tail.2)
        },
    );
    if seg.is_some() {
        crate::SPLITS[2 + usize::from(stopped)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // (when the first half did not stop at the split, it lexed the rest of
    // that segment itself: the second half's tokens of it are dropped)
    let (tail, tail_errors, tail_lines) = if stopped {
        (0, 0, 0)
    } else {
        (tail, tail_errors, tail_lines)
    };
    // (a token index `i` of the second half becomes `i - tail + base`)
    let base = out.tokens.len() as u32;
    let at = |i: u32| i - tail as u32 + base;
    out.tokens.extend_from_slice(&rest.tokens[tail..]);
    out.offsets.extend_from_slice(&rest.offsets[tail..]);
    let sig_tail = rest.sig.partition_point(|&i| (i as usize) < tail);
    out.sig.extend(rest.sig[sig_tail..].iter().map(|&i| at(i)));
    out.offsets.push(len as u32);
    out.errors.extend(rest.errors.into_iter().skip(tail_errors));
    out.lines
        .extend(rest.lines[tail_lines..].iter().map(|l| LexLine {
            first: at(l.first),
            end: at(l.end),
            ..*l
        }));
    out
}

/// [`lex_segment`], then the offsets of the segment's tokens and the
/// indices of its significant ones.
fn tokenize_segment(full: &str, base: usize, end: usize, stop: usize, out: &mut LexOut) -> bool {
    let first = out.tokens.len();
    let stopped = lex_segment(full, base, end, stop, out);
    let mut pos = base as u32;
    out.offsets.extend(out.tokens[first..].iter().map(|t| {
        let at = pos;
        pos += t.len;
        at
    }));
    // (without a branch on the kind: trivia and significant tokens
    // alternate too irregularly for the branch predictor)
    let new = out.tokens.len() - first;
    let n0 = out.sig.len();
    out.sig.resize(n0 + new, 0);
    let mut n = n0;
    for (t, i) in out.tokens[first..].iter().zip(first as u32..) {
        out.sig[n] = i;
        n += usize::from(!t.kind.is_trivia() && !t.kind.is_pp_line_piece());
    }
    out.sig.truncate(n);
    stopped
}

/// Lex `full[base..end]`, one logos lexer for the whole segment. Two things
/// are read by hand before asking logos for the next token: event route names
/// (a lexer state of their own in Kamailio) and `!!define`-style directive
/// lines (`!!` is otherwise two `!` tokens).
///
/// With `stop` (an offset, `usize::MAX` for none): stop there and return
/// true if a token ends there and no event route name is being read;
/// otherwise lex to `end` and return false.
fn lex_segment(full: &str, base: usize, end: usize, stop: usize, out: &mut LexOut) -> bool {
    let text = &full[base..end];
    let mut lex = LogosToken::lexer(text);
    // event_route[...] state: 0 none, 1 after the keyword, 2 after `[`
    let mut evrt = 0u8;
    loop {
        let rest = lex.remainder();
        let Some(&first) = rest.as_bytes().first() else {
            break;
        };
        let pos = base + (text.len() - rest.len());
        if pos == stop && evrt == 0 {
            return true;
        }
        // event route names are read in a state of their own
        if evrt == 2 {
            let l = event_route_name_len(rest.as_bytes());
            if l > 0 {
                out.tokens.push(Token {
                    kind: EVENT_ROUTE_NAME,
                    len: l as u32,
                });
                lex.bump(l);
                evrt = 0;
                continue;
            }
        }
        // `!!define` and friends
        if first == b'!' && rest.starts_with("!!") {
            if let Some((LineKind::Directive, l)) = classify_prefixed(&rest.as_bytes()[2..], false)
            {
                split_pp_line(&rest[..2 + l], pos, out);
                lex.bump(2 + l);
                continue;
            }
        }
        let (kind, len) = match lex.next() {
            Some(Ok(t)) => {
                let len = lex.span().len();
                let kind = map_token(t);
                match t {
                    LogosToken::Hash(LineKind::Directive | LineKind::Marker)
                    | LogosToken::SlashSlash(LineKind::Marker)
                    | LogosToken::Include(true) => {
                        split_pp_line(&rest[..len], pos, out);
                        continue;
                    }
                    LogosToken::BlockComment(false) => out.errors.push(LexError {
                        offset: pos as u32,
                        len: 2,
                        message: "unterminated block comment: `/*` without `*/`".into(),
                        warning: false,
                    }),
                    LogosToken::DqString(false) | LogosToken::SqString(false) => {
                        out.errors.push(LexError {
                            offset: pos as u32,
                            len: 1,
                            message: "unterminated string: the closing quote is missing".into(),
                            warning: false,
                        })
                    }
                    LogosToken::Pvar(PvShape::Unclosed) => out.errors.push(LexError {
                        offset: pos as u32,
                        len: len as u32,
                        message: "unclosed `(` in pseudo-variable".into(),
                        warning: false,
                    }),
                    LogosToken::Pvar(PvShape::Broken) => out.errors.push(LexError {
                        offset: pos as u32,
                        len: len.max(1) as u32,
                        message: "`$` must be followed by a pseudo-variable name".into(),
                        warning: false,
                    }),
                    _ => {}
                }
                (kind, len)
            }
            Some(Err(())) => {
                // one whole character
                let len = rest.chars().next().map_or(1, char::len_utf8);
                if lex.span().len() != len {
                    // logos skipped more than that: go on right after the character
                    lex = LogosToken::lexer(text);
                    lex.bump(pos - base + len);
                }
                out.errors.push(LexError {
                    offset: pos as u32,
                    len: len as u32,
                    message: format!(
                        "unexpected character `{}`: Kamailio skips it silently",
                        rest[..len].escape_debug()
                    ),
                    warning: true,
                });
                (ERROR_TOKEN, len)
            }
            None => break,
        };
        match kind {
            EVENT_ROUTE_KW => evrt = 1,
            L_BRACK if evrt == 1 => evrt = 2,
            k if k.is_trivia() && evrt != 0 && matches!(k, WHITESPACE | NEWLINE) => {}
            _ => evrt = 0,
        }
        out.tokens.push(Token {
            kind,
            len: len as u32,
        });
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_directive_lines_found_by_bang_equal_line_by_line() {
        let mut texts: Vec<String> = vec![
            "#!ifdef A\n!!ifdef B\n  #!else\n\t#!endif\n#!endif\n".into(),
            "x = !a; #!ifdef no\n !!endif\n#!!ifdef X\n!#!else\n#!ifdefX\n#!ifdef".into(),
            "!!\n#!\n!\n#\n \t#!ifndef Y // c\r\n#!endif\r\n".into(),
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus");
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(t) = std::fs::read_to_string(&p) {
                    texts.push(t);
                }
            }
        }
        assert!(texts.len() > 100);
        for t in &texts {
            // every prefix ending in a directive line's middle too
            for end in [t.len(), t.len() / 2, t.len() / 3] {
                let mut end = end;
                while !t.is_char_boundary(end) {
                    end -= 1;
                }
                let s = &t[..end];
                assert_eq!(
                    group_directive_lines(s),
                    group_directive_lines_by_line(s),
                    "{s:?}"
                );
            }
        }
    }

    fn kinds(s: &str) -> Vec<(SyntaxKind, String)> {
        let (toks, _) = tokenize(s);
        let mut pos = 0;
        toks.iter()
            .map(|t| {
                let text = s[pos..pos + t.len as usize].to_string();
                pos += t.len as usize;
                (t.kind, text)
            })
            .filter(|(k, _)| *k != WHITESPACE)
            .collect()
    }

    #[test]
    fn pvars() {
        let k =
            kinds("$ru $var(x) $(ru{uri.user}{s.tolower}) $avp(s:x) $sht(t=>$ci) $? $f.x $foo[1]");
        let pv: Vec<_> = k.iter().map(|(k, t)| (*k, t.as_str())).collect();
        assert_eq!(
            pv,
            vec![
                (PVAR, "$ru"),
                (PVAR, "$var(x)"),
                (PVAR, "$(ru{uri.user}{s.tolower})"),
                (PVAR, "$avp(s:x)"),
                (PVAR, "$sht(t=>$ci)"),
                (PVAR, "$?"),
                (PVAR, "$f.x"),
                (PVAR, "$foo[1]"),
            ]
        );
    }

    #[test]
    fn preprocessor_lines() {
        let k =
            kinds("#!define X 1\n#!ifdef X\n#!endif\n#!endif // c\n#!KAMAILIO\n# c\n!!trydef Y\n");
        let got: Vec<_> = k.iter().map(|(k, t)| (*k, t.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (PP_KEYWORD, "#!define"),
                (PP_NAME, "X"),
                (PP_BODY, "1"),
                (NEWLINE, "\n"),
                (PP_KEYWORD, "#!ifdef"),
                (PP_NAME, "X"),
                (NEWLINE, "\n"),
                (PP_KEYWORD, "#!endif"),
                (NEWLINE, "\n"),
                (COMMENT, "#!endif // c"),
                (NEWLINE, "\n"),
                (PP_KEYWORD, "#!KAMAILIO"),
                (NEWLINE, "\n"),
                (COMMENT, "# c"),
                (NEWLINE, "\n"),
                (PP_KEYWORD, "!!trydef"),
                (PP_NAME, "Y"),
                (NEWLINE, "\n"),
            ]
        );
    }

    #[test]
    fn multiline_define() {
        let k = kinds("#!define X a \\\n b\nx");
        assert_eq!(k[2], (PP_BODY, "a \\\n b".to_string()));
        assert_eq!(k[4], (IDENT, "x".to_string()));
    }

    #[test]
    fn event_route_name() {
        let k = kinds("event_route[tm:branch-failure:x] { }");
        assert_eq!(k[2], (EVENT_ROUTE_NAME, "tm:branch-failure:x".to_string()));
    }

    #[test]
    fn nested_block_comment_and_strings() {
        let k = kinds("/* a /* b */ c */ \"x\\\"y\" 'a\\'");
        assert_eq!(k[0].0, BLOCK_COMMENT);
        assert_eq!(k[1], (STRING, "\"x\\\"y\"".to_string()));
        assert_eq!(k[2], (SQ_STRING, "'a\\'".to_string()));
    }

    #[test]
    fn numbers_ips_casts() {
        let k = kinds("0x1F 10b ::1 fe80::1 (int)$x 1.2.3.4");
        let got: Vec<_> = k.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            got,
            vec![
                NUMBER, NUMBER, IPV6, IPV6, INT_CAST, PVAR, NUMBER, DOT, NUMBER, DOT, NUMBER, DOT,
                NUMBER
            ]
        );
    }

    #[test]
    fn covers_input_even_when_broken() {
        for s in [
            "\"abc",
            "/* x",
            "$(a",
            "$",
            "\u{1F600}`",
            "#!define",
            "a\\\nb",
            "include_file",
        ] {
            let (toks, _) = tokenize(s);
            let total: u32 = toks.iter().map(|t| t.len).sum();
            assert_eq!(total as usize, s.len(), "{s:?}");
        }
    }
}
