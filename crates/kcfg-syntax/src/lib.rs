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
pub use parser::grammar_facts::{
    is_keyword_flag_name, BARE_CORE_ACTIONS, CORE_ACTIONS, NUMBER_WORDS,
};
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
    inactive_code: bool,
    include_decisions: Hint,
    pieces: Pieces,
}

/// A conservative hint about a parse ([`Parse::has_include_decisions`]):
/// two parses of the same text with the same options may differ in it (a
/// [`reparse`]d tree answers `true`), so it takes no part in comparisons.
#[derive(Debug, Clone, Copy)]
struct Hint(bool);

impl PartialEq for Hint {
    fn eq(&self, _: &Hint) -> bool {
        true
    }
}

impl Eq for Hint {}

/// How a tree built in two pieces ([`split_parse`]) was made: how many of the
/// file node's children the first piece holds, and the rayon worker that
/// built each piece. Only [`Parse`]'s `Drop` reads it; it takes no part in
/// comparisons (trees are equal however they were built).
#[derive(Debug, Clone, Copy, Default)]
struct Pieces(Option<(usize, usize, usize)>);

impl PartialEq for Pieces {
    fn eq(&self, _: &Pieces) -> bool {
        true
    }
}

impl Eq for Pieces {}

impl Drop for Parse {
    /// A large tree is freed by two threads: each takes part of the file
    /// node's children, the file node itself goes first. Freeing is one
    /// atomic decrement per shared token or node, and most of a parse's cost
    /// on large files. A tree built in two pieces on two workers is freed by
    /// the same workers where it can, each the piece it built: mimalloc frees a block on
    /// the thread that allocated it without the atomic cross-thread path
    /// (that path cost about 150 M instructions per 10 MiB tree, in about
    /// half of the drops, depending on which worker took which half).
    /// Otherwise each thread takes half of the children by size.
    fn drop(&mut self) {
        if usize::from(self.green.text_len()) < PARALLEL_MIN_BYTES {
            return;
        }
        let root = std::mem::replace(
            &mut self.green,
            GreenNode::new(SyntaxKind::SOURCE_FILE.into(), std::iter::empty()),
        );
        let mut first: Vec<_> = root.children().map(|c| c.to_owned()).collect();
        let (at, workers) = match self.pieces.0 {
            Some((at, a, b)) if at <= first.len() => (at, (a != b).then_some((a, b))),
            _ => {
                let half = u32::from(root.text_len()) / 2;
                let mut size = 0;
                let at = first
                    .iter()
                    .position(|c| {
                        size += u32::from(c.text_len());
                        size >= half
                    })
                    .unwrap_or(first.len());
                (at, None)
            }
        };
        let second = first.split_off(at);
        // the file node goes; its children stay, held by the two halves
        drop(root);
        match workers {
            Some((_, b)) => {
                // each of the two jobs frees the piece its thread built if
                // that piece is still there, else the other one (`join`, not
                // a broadcast: no job waits for every worker of the pool)
                let halves = [
                    std::sync::Mutex::new(Some(first)),
                    std::sync::Mutex::new(Some(second)),
                ];
                let free = || {
                    let order = if rayon::current_thread_index() == Some(b) {
                        [1, 0]
                    } else {
                        [0, 1]
                    };
                    for i in order {
                        if let Some(half) = halves[i].lock().ok().and_then(|mut h| h.take()) {
                            drop(half);
                            return;
                        }
                    }
                };
                rayon::join(free, free);
            }
            None => {
                rayon::join(move || drop(first), move || drop(second));
            }
        }
    }
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
    /// Whether the tree may hold `INACTIVE_CODE` tokens (the arms of
    /// `#!ifdef` groups that do not parse arm by arm, see [`pp`]); when false
    /// it holds none, and a caller looking for them need not walk the tree.
    pub fn has_inactive_code(&self) -> bool {
        self.inactive_code
    }
    /// Whether the parse left a decision to the files the config includes
    /// ([`ParseOptions::includes_resolved`] false) outside the `#!ifdef`
    /// arms not taken: a bare name it did not report because an include may
    /// define it, or a block empty but for arms an include's defines could
    /// change. When false, a parse of the same text with `includes_resolved`
    /// and no more defines gives the same errors and warnings (its errors in
    /// arms not taken may differ). (Conservatively true for a tree from
    /// [`reparse`].)
    pub fn has_include_decisions(&self) -> bool {
        self.include_decisions.0
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
    parse_with_split_from(text, options, PARALLEL_MIN_BYTES)
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
    tokens_with_split_from(text, options, PARALLEL_MIN_BYTES)
}

/// [`tokens_with`] with the size from which the work is split in two pieces
/// (for tests: the result must not depend on it).
#[doc(hidden)]
pub fn tokens_with_split_from(
    text: &str,
    options: &ParseOptions,
    min_bytes: usize,
) -> (Vec<(SyntaxKind, TextRange)>, SyntaxErrors) {
    let (out, errors, _) = parse_inner_split(text, options, Output::Tokens(Vec::new()), min_bytes);
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
    /// the green tree (`None` as the request), and how it was built
    Tree(Option<GreenNode>, Pieces),
    /// the tokens of the tree: kind and start offset
    Tokens(Vec<(SyntaxKind, u32)>),
}

/// Texts from this size on have their tree built in two pieces, on two
/// threads when the machine has them (see [`split_parse`]). Real configs are
/// far smaller; generated and concatenated ones are not.
pub(crate) const PARALLEL_MIN_BYTES: usize = 1 << 20;

fn parse_inner(text: &str, options: &ParseOptions, want: Output) -> (Output, SyntaxErrors) {
    let (out, errors, _) = parse_inner_split(text, options, want, PARALLEL_MIN_BYTES);
    (out, errors)
}

/// [`parse_with`] with the size from which the tree is built in two pieces
/// (for tests: the result must not depend on it).
#[doc(hidden)]
pub fn parse_with_split_from(text: &str, options: &ParseOptions, min_bytes: usize) -> Parse {
    let (out, errors, (inactive_code, include_decisions)) = parse_inner_split(
        text,
        options,
        Output::Tree(None, Pieces::default()),
        min_bytes,
    );
    let Output::Tree(Some(green), pieces) = out else {
        unreachable!("the parser builds a tree")
    };
    Parse {
        green,
        errors: errors.errors,
        warnings: errors.warnings,
        inactive_errors: errors.inactive_errors,
        inactive_code,
        include_decisions: Hint(include_decisions),
        pieces,
    }
}

fn parse_inner_split(
    text: &str,
    options: &ParseOptions,
    want: Output,
    split_from: usize,
) -> (Output, SyntaxErrors, (bool, bool)) {
    // rowan ranges are u32: beyond 4 GiB nothing here is meaningful
    assert!(text.len() < u32::MAX as usize, "input larger than 4 GiB");
    let lexer::LexOut {
        tokens,
        offsets,
        sig,
        errors: lex_errors,
        lines,
    } = lexer::tokenize_split_from(text, split_from);
    let mut pp_errors = Vec::new();
    let lexed = Some((lines, offsets));
    let (tokens, pp, offsets) =
        pp::process_tokens(tokens, lexed, text, &options.defines, &mut pp_errors);
    // the lexer's significant tokens, unless the preprocessor made arms
    // inactive (other tokens then)
    let sig = if pp.has_inactive_code {
        parser::significant(&tokens, &pp)
    } else {
        debug_assert_eq!(sig, parser::significant(&tokens, &pp));
        sig
    };
    let include_decisions = std::sync::Mutex::new(Vec::new());
    let parser = parser::Parser::new(
        text,
        &tokens,
        &offsets,
        &pp,
        &sig,
        &options.defines,
        options.core_params.as_deref(),
        options.includes_resolved,
        matches!(want, Output::Tree(..)),
        None,
    )
    .noting_include_decisions(&include_decisions);
    let (out, mut errors) = match want {
        Output::Nothing => (Output::Nothing, parser.parse().1),
        Output::Tree(..) if text.len() >= split_from => {
            let (first, second, errors, workers) = split_parse(parser, &tokens, &sig, &pp);
            let mut pieces = Pieces::default();
            let green = match (first.map(sink::Sink::finish), second) {
                (Some(a), Some(b)) => {
                    let b = b.finish();
                    if let Some((wa, wb)) = workers {
                        pieces = Pieces(Some((a.children().len(), wa, wb)));
                    }
                    let children: Vec<_> = a
                        .children()
                        .chain(b.children())
                        .map(|c| c.to_owned())
                        .collect();
                    Some(GreenNode::new(SyntaxKind::SOURCE_FILE.into(), children))
                }
                (a, _) => a,
            };
            (Output::Tree(green, pieces), errors)
        }
        Output::Tree(..) => {
            let (green, errors) = parser.parse();
            (Output::Tree(green, Pieces::default()), errors)
        }
        Output::Tokens(_) if text.len() >= split_from => {
            let (first, second, errors, _) =
                split_parse(parser.recording_tokens(), &tokens, &sig, &pp);
            let mut recorded = first.map(sink::Sink::finish_tokens).unwrap_or_default();
            if let Some(b) = second {
                recorded.extend_from_slice(&b.finish_tokens());
            }
            (Output::Tokens(recorded), errors)
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
    let is_inactive_at = |at: u32| {
        let i = inactive.partition_point(|&(s, _)| s <= at);
        i > 0 && at < inactive[i - 1].1
    };
    let is_inactive = |e: &SyntaxError| is_inactive_at(u32::from(e.range.start()));
    let (inactive_errors, errors): (Vec<_>, Vec<_>) = errors.into_iter().partition(is_inactive);
    let warnings = warnings.into_iter().filter(|w| !is_inactive(w)).collect();
    (
        out,
        SyntaxErrors {
            errors,
            warnings,
            inactive_errors,
        },
        (
            pp.has_inactive_code,
            // (a decision inside an arm not taken could only change the
            // inactive-arm errors)
            include_decisions
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .into_iter()
                .any(|at| !is_inactive_at(at)),
        ),
    )
}

/// How often the work was split in two (for tests): `[0]` parses whose
/// first piece went on to the end ([`split_parse`]), `[1]` parses joined
/// from two pieces, `[2]` and `[3]` the same for the lexer's halves split
/// inside a segment.
#[doc(hidden)]
pub static SPLITS: [std::sync::atomic::AtomicUsize; 4] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

/// What [`split_parse`] returns: the sinks of the first and (when the two
/// pieces were joined) the second piece, the errors, and the rayon workers
/// that built the two pieces.
type SplitPieces<'t> = (
    Option<sink::Sink<'t>>,
    Option<sink::Sink<'t>>,
    Vec<SyntaxError>,
    Option<(usize, usize)>,
);

/// Parse in two pieces: the grammar and the tree of the file's second half
/// run on another thread, from a top-level item start near the middle
/// ([`split_point`]), while this thread parses from the start and stops
/// there if it arrives between items with nothing open (no block, no
/// `#!ifdef` group, no pending directive line, no nesting error): then the
/// second piece is exactly what a whole parse would have built from there:
/// both sinks are returned (the file node takes both trees' children, or the
/// recorded tokens are concatenated). If the first piece does
/// not stop there (the point was inside an item), it simply goes on to the
/// end of the file and the second piece is dropped. Either way the tree and
/// the errors are those of a parse in one piece (the builders' caches share
/// fewer tokens across the pieces; the trees are equal).
fn split_parse<'t>(
    mut first: parser::Parser<'t>,
    tokens: &[lexer::Token],
    sig: &[u32],
    pp: &pp::PpStructure,
) -> SplitPieces<'t> {
    let Some(c) = split_point(tokens, sig, pp) else {
        let (sink, errors, _) = first.run();
        return (sink, None, errors, None);
    };
    first.stop_at(c);
    let second = first.fork_at(c);
    // (each piece notes the rayon worker that built it, for the drop)
    let (((a, mut errors, stopped), wa), ((b, more, _), wb)) = rayon::join(
        move || (first.run(), rayon::current_thread_index()),
        move || (second.run(), rayon::current_thread_index()),
    );
    SPLITS[usize::from(stopped)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if !stopped {
        return (a, None, errors, None);
    }
    errors.extend(more);
    (a, b, errors, wa.zip(wb))
}

/// A significant token near the middle of the file where a top-level item
/// most likely starts: a route block header (`route[`, `request_route {`),
/// `modparam` or `loadmodule`, first on its line, after a `}`, `;` or `)`, with only trivia between them
/// (no directive line), outside every `#!ifdef` group. [`split_parse`]
/// checks that the parse really is between items there.
fn split_point(tokens: &[lexer::Token], sig: &[u32], pp: &pp::PpStructure) -> Option<usize> {
    use SyntaxKind::*;
    let mut spans: Vec<(usize, usize)> = pp
        .groups
        .iter()
        .filter_map(|g| {
            let first = pp.lines[*g.lines.first()?].first;
            let end = pp.lines[*g.lines.last()?].end;
            Some((first, end))
        })
        .collect();
    spans.sort_unstable();
    let mut reach = 0;
    let max_end: Vec<usize> = spans
        .iter()
        .map(|s| {
            reach = reach.max(s.1);
            reach
        })
        .collect();
    let in_group = |r: usize| {
        let i = spans.partition_point(|s| s.0 < r);
        i > 0 && max_end[i - 1] > r
    };
    let n = sig.len();
    // after the middle first, then before it
    (n / 2..n * 3 / 4)
        .chain((n / 4..n / 2).rev())
        .filter(|&c| c > 0)
        .find(|&c| {
            let r = sig[c] as usize;
            let prev = sig[c - 1] as usize;
            let k = tokens[r].kind;
            let next = sig.get(c + 1).map(|&i| tokens[i as usize].kind);
            (k.is_route_keyword() && matches!(next, Some(L_BRACK | L_BRACE))
                || matches!(
                    k,
                    MODPARAM_KW | MODPARAMX_KW | LOADMODULE_KW | LOADMODULEX_KW
                ))
                && matches!(tokens[prev].kind, R_BRACE | SEMICOLON | R_PAREN)
                && tokens[prev + 1..r].iter().all(|t| t.kind.is_trivia())
                && tokens[prev + 1..r].iter().any(|t| t.kind == NEWLINE)
                && pp.lines[pp.lines.partition_point(|l| l.first <= prev)..]
                    .first()
                    .is_none_or(|l| l.first >= r)
                && !in_group(r)
        })
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
    defined: &rustc_hash::FxHashSet<&str>,
) -> Vec<SyntaxError> {
    let (tokens, lex_errors) = lexer::tokenize(text);
    let mut pp_errors = Vec::new();
    // no defines for the preprocessor: the snippet is one line, so a directive
    // in it takes the rest of the line and every `#!ifdef` arm is empty
    let (tokens, pp, offsets) = pp::process_tokens(tokens, None, text, &[], &mut pp_errors);
    let sig = parser::significant(&tokens, &pp);
    let mut parser = parser::Parser::new(
        text,
        &tokens,
        &offsets,
        &pp,
        &sig,
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
