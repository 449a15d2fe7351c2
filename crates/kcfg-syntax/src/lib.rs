//! `kcfg-syntax`: the lossless syntax tree of Kamailio's `kamailio.cfg`.
//!
//! ```
//! let parse = kcfg_syntax::parse("request_route {\n\tsl_send_reply(\"404\", \"Not here\");\n}\n");
//! assert!(parse.errors().is_empty());
//! assert_eq!(parse.syntax_node().to_string(), "request_route {\n\tsl_send_reply(\"404\", \"Not here\");\n}\n");
//! ```
//!
//! Pipeline: text → [`lexer`] (logos) → tokens → [`pp`] (directive structure)
//! → `parser` (events) → `sink` (rowan green tree). Parsing never fails and
//! never panics; the tree always covers the input byte for byte, and the
//! problems found are a list of [`SyntaxError`]s with precise ranges.

pub mod ast;
pub mod lexer;
mod line_index;
mod parser;
pub mod pp;
pub mod pvar;
pub mod reparse;
mod sink;
mod syntax_kind;

pub use line_index::{LineCol, LineIndex, WideEncoding, WideLineCol};
pub use parser::grammar_facts::{BARE_CORE_ACTIONS, CORE_ACTIONS};
pub use rowan::{GreenNode, TextRange, TextSize};
pub use syntax_kind::{KamailioLanguage, SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

/// A syntax error: where, what, and (when the fix is obvious) a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// where the problem is (for a missing `;`: right after the previous token)
    pub range: TextRange,
    pub message: String,
    pub hint: Option<String>,
    /// the token the parser could not accept, when it differs from `range`
    /// (Kamailio reports errors at this token)
    pub unexpected: Option<TextRange>,
}

impl SyntaxError {
    pub fn new(range: TextRange, message: impl Into<String>) -> Self {
        SyntaxError {
            range,
            message: message.into(),
            hint: None,
            unexpected: None,
        }
    }
}

/// Options of a parse.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Names defined before the file starts, `NAME` or `NAME=VALUE` (like
    /// `kamailio -D`). They decide which arm of an `#!ifdef` group is kept when
    /// the group cannot be parsed arm by arm (see [`pp`]), and which bare names
    /// are define uses.
    pub defines: Vec<String>,
    /// The core parameter names Kamailio's lexer knows (each is a token of its
    /// own, so an unknown name is a syntax error there). `None` skips the check;
    /// the caller takes the names from the knowledge base of the Kamailio
    /// version it checks for (`kcfg-modules`).
    pub core_params: Option<Vec<String>>,
    /// `defines` already holds every name the file's includes define (the
    /// caller read them), so bare names can be checked in files with includes.
    pub includes_resolved: bool,
}

/// The result of parsing: the green tree and the errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parse {
    green: GreenNode,
    errors: Vec<SyntaxError>,
    warnings: Vec<SyntaxError>,
    inactive_errors: Vec<SyntaxError>,
}

impl Parse {
    pub fn green(&self) -> &GreenNode {
        &self.green
    }
    pub fn syntax_node(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green.clone())
    }
    pub fn tree(&self) -> ast::SourceFile {
        ast::SourceFile {
            syntax: self.syntax_node(),
        }
    }
    /// The syntax errors Kamailio would report for this define set.
    pub fn errors(&self) -> &[SyntaxError] {
        &self.errors
    }
    /// Problems Kamailio does not reject (e.g. a stray character it skips).
    pub fn warnings(&self) -> &[SyntaxError] {
        &self.warnings
    }
    /// Syntax errors inside `#!ifdef` arms not taken with this define set:
    /// Kamailio never sees that text, but another define set would.
    pub fn inactive_errors(&self) -> &[SyntaxError] {
        &self.inactive_errors
    }
    /// A debug dump of the tree (kinds, ranges and token texts).
    pub fn debug_tree(&self) -> String {
        format!("{:#?}", self.syntax_node())
    }
}

/// Input that is not UTF-8: where the first bad byte is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8 {
    pub offset: usize,
}

impl std::fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the file is not valid UTF-8: bad byte at offset {}",
            self.offset
        )
    }
}

impl std::error::Error for NotUtf8 {}

/// Check that bytes are UTF-8 and give them back as text.
pub fn decode(bytes: &[u8]) -> Result<&str, NotUtf8> {
    std::str::from_utf8(bytes).map_err(|e| NotUtf8 {
        offset: e.valid_up_to(),
    })
}

pub fn parse(text: &str) -> Parse {
    parse_with(text, &ParseOptions::default())
}

pub fn parse_with(text: &str, options: &ParseOptions) -> Parse {
    let (out, errors) = parse_inner(text, options, Output::Tree(None));
    let Output::Tree(Some(green)) = out else {
        unreachable!("the parser builds a tree")
    };
    Parse {
        green,
        errors: errors.errors,
        warnings: errors.warnings,
        inactive_errors: errors.inactive_errors,
    }
}

/// The errors and warnings of a parse, without its tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyntaxErrors {
    /// [`Parse::errors`]
    pub errors: Vec<SyntaxError>,
    /// [`Parse::warnings`]
    pub warnings: Vec<SyntaxError>,
    /// [`Parse::inactive_errors`]
    pub inactive_errors: Vec<SyntaxError>,
}

/// What [`parse_with`] reports, without building the tree: the same errors,
/// warnings and inactive errors for about half the work (for a caller that
/// already has a tree of the text, parsed with other options).
pub fn syntax_errors_with(text: &str, options: &ParseOptions) -> SyntaxErrors {
    parse_inner(text, options, Output::Nothing).1
}

/// The tokens [`parse_with`]'s tree would hold, in order, each as its kind
/// and range, with the same errors, without building the tree: for a caller
/// that compares token streams (the formatter's check of its own output)
/// and does not need the nodes. About the cost of [`syntax_errors_with`].
pub fn tokens_with(
    text: &str,
    options: &ParseOptions,
) -> (Vec<(SyntaxKind, TextRange)>, SyntaxErrors) {
    let (out, errors) = parse_inner(text, options, Output::Tokens(Vec::new()));
    let Output::Tokens(starts) = out else {
        unreachable!("the parser records tokens")
    };
    let mut tokens = Vec::with_capacity(starts.len());
    for (i, &(kind, start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len() as u32, |t| t.1);
        tokens.push((kind, TextRange::new(start.into(), end.into())));
    }
    (tokens, errors)
}

/// What [`parse_inner`] produces besides the errors.
enum Output {
    Nothing,
    /// the green tree (`None` as the request)
    Tree(Option<GreenNode>),
    /// the tokens of the tree: kind and start offset
    Tokens(Vec<(SyntaxKind, u32)>),
}

fn parse_inner(text: &str, options: &ParseOptions, want: Output) -> (Output, SyntaxErrors) {
    // rowan ranges are u32: beyond 4 GiB nothing here is meaningful
    assert!(text.len() < u32::MAX as usize, "input larger than 4 GiB");
    let (tokens, lex_errors) = lexer::tokenize(text);
    let mut pp_errors = Vec::new();
    let (tokens, pp, offsets) = pp::process_tokens(tokens, text, &options.defines, &mut pp_errors);
    let parser = parser::Parser::new(
        text,
        &tokens,
        &offsets,
        &pp,
        &options.defines,
        options.core_params.as_deref(),
        options.includes_resolved,
        matches!(want, Output::Tree(_)),
        None,
    );
    let (out, mut errors) = match want {
        Output::Nothing => (Output::Nothing, parser.parse().1),
        Output::Tree(_) => {
            let (green, errors) = parser.parse();
            (Output::Tree(green), errors)
        }
        Output::Tokens(_) => {
            let (tokens, errors) = parser.recording_tokens().parse_tokens();
            (Output::Tokens(tokens), errors)
        }
    };
    let mut warnings = Vec::new();
    for e in lex_errors {
        let err = SyntaxError::new(range(e.offset, e.len), e.message);
        if e.warning {
            warnings.push(err);
        } else {
            errors.push(err);
        }
    }
    for e in pp_errors {
        errors.push(SyntaxError::new(range(e.offset, e.len), e.message));
    }
    check_define_names(text, &tokens, &offsets, &pp, &mut errors);
    // in the order Kamailio meets them: by the token it could not accept
    errors.sort_by_key(|e| (e.unexpected.unwrap_or(e.range).start(), e.range.start()));
    // one error per cascade: drop errors that start where an earlier one did
    errors.dedup_by(|b, a| {
        a.range.start() == b.range.start() || a.unexpected.is_some() && a.unexpected == b.unexpected
    });
    // the inactive arms as sorted disjoint ranges: one binary search per error
    let mut inactive = pp::inactive_ranges_at(&pp, &offsets);
    inactive.sort_unstable();
    inactive.dedup_by(|next, prev| {
        let overlaps = next.0 <= prev.1;
        if overlaps {
            prev.1 = prev.1.max(next.1);
        }
        overlaps
    });
    let is_inactive = |e: &SyntaxError| {
        let at = u32::from(e.range.start());
        let i = inactive.partition_point(|&(s, _)| s <= at);
        i > 0 && at < inactive[i - 1].1
    };
    let (inactive_errors, errors): (Vec<_>, Vec<_>) = errors.into_iter().partition(is_inactive);
    let warnings = warnings.into_iter().filter(|w| !is_inactive(w)).collect();
    (
        out,
        SyntaxErrors {
            errors,
            warnings,
            inactive_errors,
        },
    )
}

fn range(offset: u32, len: u32) -> TextRange {
    TextRange::at(offset.into(), len.into())
}

/// `#!define A-B`: Kamailio stops with "'-' not allowed".
fn check_define_names(
    text: &str,
    tokens: &[lexer::Token],
    offsets: &[u32],
    pp: &pp::PpStructure,
    errors: &mut Vec<SyntaxError>,
) {
    for l in &pp.lines {
        for i in l.first..l.end {
            if tokens[i].kind == SyntaxKind::PP_NAME
                && tokens
                    .get(i + 1)
                    .is_some_and(|t| t.kind == SyntaxKind::PP_BODY)
                && text[offsets[i + 1] as usize..].starts_with('-')
            {
                let mut e = SyntaxError::new(
                    TextRange::new(offsets[i].into(), (offsets[i + 1] + 1).into()),
                    "`-` is not allowed in a define name",
                );
                e.hint = Some("use `_` instead: Kamailio stops at the `-`".into());
                errors.push(e);
            }
        }
    }
}

/// Parse the snippet that checks a define's value, with the names of the
/// parse it comes from defined; returns its errors. The inner parse does not
/// validate define values again.
pub(crate) fn parse_define_value(
    text: &str,
    defined: &std::collections::HashSet<&str>,
) -> Vec<SyntaxError> {
    let (tokens, lex_errors) = lexer::tokenize(text);
    let mut pp_errors = Vec::new();
    // no defines for the preprocessor: the snippet is one line, so a directive
    // in it takes the rest of the line and every `#!ifdef` arm is empty
    let (tokens, pp, offsets) = pp::process_tokens(tokens, text, &[], &mut pp_errors);
    let mut parser = parser::Parser::new(
        text,
        &tokens,
        &offsets,
        &pp,
        &[],
        None,
        true,
        false,
        Some(defined),
    );
    parser.validating_define = true;
    let (_, errors) = parser.parse();
    let mut all: Vec<SyntaxError> = errors;
    all.extend(
        lex_errors
            .into_iter()
            .filter(|e| !e.warning)
            .map(|e| SyntaxError::new(range(e.offset, e.len), e.message)),
    );
    all
}
