//! `kcfg-fmt`: a formatter for Kamailio's `kamailio.cfg` that never changes
//! meaning.
//!
//! ```
//! let out = kcfg_fmt::format(
//!     "request_route{\nif(is_method(\"OPTIONS\")){sl_send_reply(\"200\",\"OK\");exit;}\n}\n",
//!     &kcfg_fmt::FormatOptions::default(),
//! )
//! .unwrap();
//! assert_eq!(
//!     out,
//!     "request_route {\n\tif (is_method(\"OPTIONS\")) {\n\t\tsl_send_reply(\"200\", \"OK\");\n\t\texit;\n\t}\n}\n"
//! );
//! ```
//!
//! The formatter walks the lossless syntax tree of `kcfg-syntax` and only
//! decides the whitespace *between* tokens: every token is written as it is.
//! After formatting, the result is parsed again and checked (see [`verify`]):
//! the same sequence of non-whitespace tokens (comments, inactive `#!ifdef`
//! arms and stray characters included), and the same syntax errors. If a check
//! fails, the caller gets a [`FormatError`] and must keep the original text.
//!
//! Top-level items (a route block, a `modparam`, an `#!ifdef` group, ...) that
//! hold a syntax error are copied byte for byte; the rest of the file is
//! formatted. The library does no IO.

mod green;
mod printer;
mod range;

use kcfg_syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

pub use range::{format_range, RangeEdit};

/// How to indent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndentStyle {
    /// one tab per level (Kamailio's own configs)
    #[default]
    Tab,
    /// `indent_width` spaces per level
    Space,
}

/// The formatter's options (`[format]` in `kcfg.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatOptions {
    pub indent_style: IndentStyle,
    /// spaces per level with [`IndentStyle::Space`] (default 4)
    pub indent_width: usize,
    /// the most blank lines kept in a row (default 2)
    pub max_blank_lines: usize,
    /// The width lines should stay within (default 100; a tab counts
    /// `indent_width` columns): a longer line is broken after `&&`/`||` and
    /// after argument commas where it has them (see `docs/formatting.md`).
    /// The user's own line breaks inside a statement are kept.
    pub line_width: usize,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            indent_style: IndentStyle::Tab,
            indent_width: 4,
            max_blank_lines: 2,
            line_width: 100,
        }
    }
}

/// Why a text was not formatted. The caller keeps the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The formatted text failed a safety check (a bug in the formatter): it
    /// would have changed tokens, comments or errors.
    Unsafe {
        /// what differs
        message: String,
        /// 1-based line in the original text where the difference starts
        line: usize,
    },
    /// The requested range is not inside the text.
    BadRange,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Unsafe { message, line } => write!(
                f,
                "formatting would change the meaning near line {line} ({message}); the file was left as it is (please report this)"
            ),
            FormatError::BadRange => write!(f, "the range is outside the text"),
        }
    }
}

impl std::error::Error for FormatError {}

/// The result of [`format_detailed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formatted {
    /// the formatted text
    pub text: String,
    /// regions of the original text copied unchanged, and why
    pub skipped: Vec<Skipped>,
}

/// A top-level item copied byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// its bytes in the original text
    pub range: TextRange,
    pub reason: SkipReason,
}

/// Why an item is left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// it holds a syntax error or a character Kamailio skips
    SyntaxError,
    /// an `#!ifdef` arm in it that is not taken without defines (e.g. text
    /// kept for documentation) does not parse
    InactiveError,
    /// it holds an `#!ifdef` arm that opens or closes more braces than it
    /// matches, so its indentation depends on the defines
    UnbalancedIfdef,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::SyntaxError => "it has a syntax error",
            SkipReason::InactiveError => {
                "an `#!ifdef` arm in it that is not taken without defines does not parse"
            }
            SkipReason::UnbalancedIfdef => {
                "an `#!ifdef` arm in it does not balance its braces, so its indentation depends on the defines"
            }
        })
    }
}

/// Format a whole config.
pub fn format(text: &str, options: &FormatOptions) -> Result<String, FormatError> {
    format_detailed(text, options).map(|f| f.text)
}

/// Format a whole config and say which regions were left alone.
pub fn format_detailed(text: &str, options: &FormatOptions) -> Result<Formatted, FormatError> {
    let parse = kcfg_syntax::parse(text);
    let result = format_checked(text, &parse, options).map(|(f, _)| f);
    free_tree(parse);
    result
}

/// Drop the tree of an input, or not (see [`leak_trees_at_exit`]).
pub(crate) fn free_tree(parse: kcfg_syntax::Parse) {
    if LEAK_TREES.load(std::sync::atomic::Ordering::Relaxed) {
        // freeing a tree costs a fifth of a format (drop of many `Arc`s)
        std::mem::forget(parse);
    }
}

/// Every token of a text (whitespace included), with the kinds its tree has.
pub(crate) type TokenList = Vec<(SyntaxKind, TextRange)>;

/// Format and check. Besides the result: the tokens of the result, from the
/// check's re-parse (`None` when the result is the input: then they are the
/// input's).
pub(crate) fn format_checked(
    text: &str,
    parse: &kcfg_syntax::Parse,
    options: &FormatOptions,
) -> Result<(Formatted, Option<TokenList>), FormatError> {
    let (out, skipped) = format_parsed(parse, text, options);
    // Nothing changed (an already formatted file, the common case of
    // `--check` and format-on-save): the result is the input, so its parse
    // is the input's parse, token for token and error for error (the parser
    // is a function of the text); there is nothing to re-parse or compare.
    if out == text {
        return Ok((Formatted { text: out, skipped }, None));
    }
    match verify_parses(text, parse, &out) {
        Ok(tokens) => Ok((Formatted { text: out, skipped }, Some(tokens))),
        // The line break added at the end of a file that has none can move
        // an error at the end of the input into an `#!ifdef` arm left open;
        // such a file keeps its missing final line break.
        Err(e) if !text.ends_with('\n') && out.ends_with('\n') => {
            let out = print(parse, text, options, false);
            if out == text {
                return Ok((Formatted { text: out, skipped }, None));
            }
            let tokens = verify_parses(text, parse, &out).map_err(|_| e)?;
            Ok((Formatted { text: out, skipped }, Some(tokens)))
        }
        Err(e) => Err(e),
    }
}

static LEAK_TREES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Let [`format`] and [`format_detailed`] skip freeing the syntax tree of
/// their input. Only for a process that exits once its output is written
/// (the `kcfg` binary calls it); a long-running caller must not.
pub fn leak_trees_at_exit() {
    LEAK_TREES.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn print(
    parse: &kcfg_syntax::Parse,
    text: &str,
    options: &FormatOptions,
    final_newline: bool,
) -> String {
    print_with(
        parse,
        text,
        options,
        final_newline,
        printer::PARALLEL_MIN_BYTES,
    )
}

/// [`print`] with the size from which the printer splits its work.
fn print_with(
    parse: &kcfg_syntax::Parse,
    text: &str,
    options: &FormatOptions,
    final_newline: bool,
    min_bytes: usize,
) -> String {
    let root = parse.syntax_node();
    let nodes: Vec<SyntaxNode> = kept_items(&root, parse, text)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    printer::print_split_from(&root, text, options, &nodes, final_newline, min_bytes)
}

/// Format a parsed config without checking the result: the printer alone (for
/// benchmarks and for callers that verify themselves with [`verify`]).
pub fn format_parsed(
    parse: &kcfg_syntax::Parse,
    text: &str,
    options: &FormatOptions,
) -> (String, Vec<Skipped>) {
    let root = parse.syntax_node();
    let items = kept_items(&root, parse, text);
    let skipped = items
        .iter()
        .map(|(n, reason)| Skipped {
            range: printer::content_range(n),
            reason: *reason,
        })
        .collect();
    let nodes: Vec<SyntaxNode> = items.into_iter().map(|(n, _)| n).collect();
    (printer::print(&root, text, options, &nodes, true), skipped)
}

/// How often a text was printed in two halves (for tests): `[0]` the second
/// half's printer was not in the first's state at the middle (the first went
/// on to the end), `[1]` the halves were joined.
#[doc(hidden)]
pub static PRINT_SPLITS: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

/// [`format_parsed`]'s text, printed in two halves from `min_bytes` of text
/// on (by default from 1 MiB on); for tests: the result must not depend on it.
#[doc(hidden)]
pub fn print_split_from(
    parse: &kcfg_syntax::Parse,
    text: &str,
    options: &FormatOptions,
    min_bytes: usize,
) -> String {
    print_with(parse, text, options, true, min_bytes)
}

/// Check that `after` says what `before` says: the same non-whitespace tokens
/// (comments compared without trailing blanks), the same syntax errors.
pub fn verify(before: &str, after: &str) -> Result<(), FormatError> {
    if before == after {
        // the same text parses the same way
        return Ok(());
    }
    verify_parses(before, &kcfg_syntax::parse(before), after).map(drop)
}

/// The check of [`verify`], with the tree of `before` at hand. `after` is
/// only tokenised (its tree is not built: that would cost as much as the
/// parse of `before`), with the token kinds its tree would have; these
/// tokens are the result.
pub(crate) fn verify_parses(
    before: &str,
    pb: &kcfg_syntax::Parse,
    after: &str,
) -> Result<TokenList, FormatError> {
    let (after_tokens, pa) = kcfg_syntax::tokens_with(after, &kcfg_syntax::ParseOptions::default());
    let line_of = |offset: TextSize| -> usize {
        let o = usize::from(offset).min(before.len());
        before.as_bytes()[..o]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let mut ta = after_tokens
        .iter()
        .filter(|(k, _)| !is_space(*k))
        .map(|&(k, r)| (k, &after[r], r.start()));
    let mut last = TextSize::from(0);
    for (bk, bt, bat) in green::significant(pb.green(), TextSize::from(0)) {
        last = bat;
        match ta.next() {
            Some((ak, at, _)) if same_token((ak, at), (bk, bt)) => {}
            Some((ak, at, _)) => {
                return Err(FormatError::Unsafe {
                    message: format!("{bk:?} `{}` became {ak:?} `{}`", short(bt), short(at)),
                    line: line_of(bat),
                })
            }
            None => {
                return Err(FormatError::Unsafe {
                    message: format!("{bk:?} `{}` disappeared", short(bt)),
                    line: line_of(bat),
                })
            }
        }
    }
    if let Some((ak, at, _)) = ta.next() {
        return Err(FormatError::Unsafe {
            message: format!("{ak:?} `{}` appeared", short(at)),
            line: line_of(last),
        });
    }
    // the same messages; their order may change when a token moves at the
    // end of the file (errors are sorted by the token they point at)
    let msgs = |e: &[kcfg_syntax::SyntaxError]| {
        let mut m = e.iter().map(|e| e.message.clone()).collect::<Vec<_>>();
        m.sort_unstable();
        m
    };
    for (what, b, a) in [
        ("syntax errors", pb.errors(), &pa.errors[..]),
        (
            "errors in inactive arms",
            pb.inactive_errors(),
            &pa.inactive_errors[..],
        ),
        ("warnings", pb.warnings(), &pa.warnings[..]),
    ] {
        if msgs(b) != msgs(a) {
            let line = b
                .iter()
                .zip(a.iter())
                .find(|(x, y)| x.message != y.message)
                .or(b.iter().zip(a.iter()).next_back())
                .map_or(1, |(x, _)| line_of(x.range.start()));
            return Err(FormatError::Unsafe {
                message: format!("the {what} differ ({} before, {} after)", b.len(), a.len()),
                line,
            });
        }
    }
    Ok(after_tokens)
}

fn short(s: &str) -> String {
    let mut t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t.replace('\n', "\\n").replace('\r', "\\r")
}

fn same_token((ak, at): (SyntaxKind, &str), (bk, bt): (SyntaxKind, &str)) -> bool {
    ak == bk
        && if ak == SyntaxKind::COMMENT {
            trim_comment(at) == trim_comment(bt)
        } else {
            at == bt
        }
}

/// A line comment without its trailing blanks (the formatter drops them).
pub(crate) fn trim_comment(s: &str) -> &str {
    s.trim_end_matches([' ', '\t', '\r'])
}

/// Every token but whitespace, newlines and line continuations, in order:
/// the sequence formatting must not change (comments, inactive arms and
/// stray characters included).
pub fn significant_tokens(root: &SyntaxNode) -> impl Iterator<Item = kcfg_syntax::SyntaxToken> {
    root.descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| !is_space(t.kind()))
}

pub(crate) fn is_space(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::LINE_CONTINUATION
    )
}

/// The top-level items copied byte for byte, in order: those that hold a
/// syntax error, an error of an inactive arm or a stray character, and those
/// with an inactive `#!ifdef` arm that does not balance its braces.
fn kept_items(
    root: &SyntaxNode,
    parse: &kcfg_syntax::Parse,
    text: &str,
) -> Vec<(SyntaxNode, SkipReason)> {
    // the top-level items (nodes) of the green tree, with their offsets
    let mut items: Vec<(&rowan::GreenNodeData, TextSize)> = Vec::new();
    let mut offset = TextSize::from(0);
    for child in parse.green().children() {
        if let rowan::NodeOrToken::Node(n) = child {
            items.push((n, offset));
        }
        offset += child.text_len();
    }
    if items.is_empty() {
        return Vec::new();
    }
    let mut marked: Vec<Option<SkipReason>> = vec![None; items.len()];
    if parse.has_inactive_code() && (text.contains("#!") || text.contains("!!")) {
        for (i, (n, at)) in items.iter().enumerate() {
            let unbalanced = green::Tokens::new(n, *at)
                .any(|(k, t, _)| k == SyntaxKind::INACTIVE_CODE && brace_balance(t) != 0);
            if unbalanced {
                marked[i] = Some(SkipReason::UnbalancedIfdef);
            }
        }
    }
    // item bounds from their first to their last token: trivia at their
    // edges moves when formatting, tokens do not
    let bounds: Vec<TextRange> = if parse.errors().is_empty()
        && parse.warnings().is_empty()
        && parse.inactive_errors().is_empty()
    {
        Vec::new()
    } else {
        items
            .iter()
            .map(|(n, at)| green::content_range(n, *at))
            .collect()
    };
    let all = (parse.errors().iter().chain(parse.warnings()))
        .map(|e| (e, SkipReason::SyntaxError))
        .chain(
            parse
                .inactive_errors()
                .iter()
                .map(|e| (e, SkipReason::InactiveError)),
        );
    for (e, reason) in all {
        let mut lo = e.range.start();
        let mut hi = e.range.end();
        if let Some(u) = e.unexpected {
            lo = lo.min(u.start());
            hi = hi.max(u.end());
        }
        // the items that overlap [lo, hi) (for an empty range: that hold lo);
        // when none does (the error sits in trivia between items or at the
        // end), the items on both sides. Item bounds are token bounds, so the
        // choice does not change when formatting moves whitespace.
        let mut any = false;
        let first = bounds.partition_point(|b| b.end() <= lo);
        for (i, b) in bounds.iter().enumerate().skip(first) {
            let start = b.start();
            if (lo < hi && start >= hi) || (lo == hi && start > lo) {
                break;
            }
            marked[i] = Some(reason);
            any = true;
        }
        if !any {
            if first > 0 {
                marked[first - 1] = Some(reason);
            }
            if first < items.len() {
                marked[first] = Some(reason);
            }
        }
    }
    if marked.iter().all(Option::is_none) {
        return Vec::new();
    }
    root.children()
        .zip(marked)
        .filter_map(|(n, m)| m.map(|r| (n, r)))
        .collect()
}

/// `{` minus `}` in a piece of config (strings and comments do not count).
fn brace_balance(text: &str) -> i64 {
    let (tokens, _) = kcfg_syntax::lexer::tokenize(text);
    tokens
        .iter()
        .map(|t| match t.kind {
            SyntaxKind::L_BRACE => 1,
            SyntaxKind::R_BRACE => -1,
            _ => 0,
        })
        .sum()
}
