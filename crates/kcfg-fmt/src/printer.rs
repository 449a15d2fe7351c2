//! The printer: one walk over the syntax tree that writes every token as it
//! is and decides only the whitespace between tokens.
//!
//! Each token that is not trivia gets a *break* kind from its place in the
//! tree: a statement or top-level item starts a new line ([`Brk::Forced`]), a
//! block's `{` and an `else` after `}` join the previous line ([`Brk::Join`]),
//! an unbraced `if` body or an `else` after one keeps the user's choice at the
//! statement's level ([`Brk::KeepStructural`]), and any other token keeps the
//! user's line break as a continuation line one level deeper
//! ([`Brk::KeepCont`]). On the same line, [`Printer::space`] decides between
//! one space and none.
//!
//! Comments stay where they are: a comment on the line of a token stays at
//! the end of that line; a comment on a line of its own is indented like the
//! next token. Preprocessor lines go to column 0 and are written as they are,
//! text of inactive `#!ifdef` arms byte for byte with the whitespace around
//! it. Top-level items with errors are copied byte for byte.

use kcfg_syntax::SyntaxKind::{self, *};
use kcfg_syntax::{SyntaxNode, TextRange, TextSize};
use rowan::{Children, GreenNodeData, NodeOrToken};
#[cfg(test)]
use std::path::Path;

use crate::green::kind as green_kind;
use crate::{is_space, trim_comment, FormatOptions, IndentStyle};

/// A token of the green tree with what the printer needs of its place: a
/// copy (no reference count, no allocation), unlike rowan's `SyntaxToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tok<'a> {
    kind: SyntaxKind,
    text: &'a str,
    start: TextSize,
    /// the kind of the node that holds it
    parent: SyntaxKind,
}

impl<'a> Tok<'a> {
    #[inline]
    fn kind(&self) -> SyntaxKind {
        self.kind
    }
    #[inline]
    fn text(&self) -> &'a str {
        self.text
    }
    #[inline]
    fn text_range(&self) -> TextRange {
        TextRange::at(self.start, TextSize::of(self.text))
    }
}

/// Continuation lines are indented this many levels deeper than their
/// statement, as in Kamailio's own configs: two inside route blocks (so a
/// long condition does not line up with the body below it), one for
/// top-level items (`modparam("acc", "log_extra",` + a string on the next line).
fn continuation(level: usize) -> usize {
    if level == 0 {
        1
    } else {
        level + 2
    }
}

/// Where a token may go relative to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Brk {
    /// on a new line at this level
    Forced(usize),
    /// on the previous line (unless a line comment or directive ends it)
    Join,
    /// on a new line at this level if the user had a line break, else joined
    KeepStructural(usize),
    /// like `KeepStructural`, for a continuation line inside a statement
    KeepCont(usize),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Gap {
    newlines: usize,
    ws: bool,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    Block { opened: bool },
    Case { opened: bool },
    Body,
}

struct Printer<'a> {
    text: &'a str,
    opts: &'a FormatOptions,
    nl: &'static str,
    out: String,
    level: usize,
    gap: Gap,
    /// the last significant token written, when nothing but a space came since
    prev_tok: Option<Tok<'a>>,
    /// the last thing written is a comment on the current line
    prev_comment: bool,
    /// the last thing written is a block's `{` (no blank lines after it)
    after_open_brace: bool,
    /// the last thing written ends its line (line comment, directive)
    need_newline: bool,
    /// the last thing written is raw text: the next gap is copied as it is
    after_raw: bool,
    /// the last thing written is an item kept as it is: a comment after it on
    /// the same line is kept as it is too
    after_verbatim: bool,
    pending_item: Option<Brk>,
    pending_comments: Vec<(Tok<'a>, Gap)>,
    frames: Vec<Frame>,
    skip_until: TextSize,
    verbatim: &'a [Kept],
    /// the kind and end of the last token written (any kind)
    last: Option<(SyntaxKind, TextSize)>,
    /// where the current output line may be wrapped (see [`Printer::end_line`])
    breaks: Vec<BreakAt>,
    /// `out.len()` after the last text written as it is (a kept item, the
    /// blanks next to one, a directive): a line that holds such text is not
    /// wrapped
    raw_mark: usize,
    /// `out.len()` after the last token of code written (a comment at the end
    /// of a line does not count for its width)
    code_end: usize,
    /// how many `(` are open
    depth: u32,
}

/// A place where a long line may be broken: the space after a `,` of an
/// argument list or after `&&`/`||`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BreakAt {
    /// the byte of that space in the output
    pos: usize,
    /// how many `(` are open there: the outermost places are used first
    depth: u32,
    /// the level of the line that would start there
    cont: usize,
}

/// The range of a node from its first to its last token that is not
/// whitespace.
pub(crate) fn content_range(node: &SyntaxNode) -> TextRange {
    crate::green::content_range(&node.green(), node.text_range().start())
}

/// A top-level item kept as it is (it holds a syntax error): what the
/// printer needs of it, as plain data (a `SyntaxNode` cannot go to another
/// thread).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kept {
    kind: SyntaxKind,
    /// the node
    range: TextRange,
    /// what is written: from its first to its last token that is not
    /// whitespace (with the blanks after a lone directive keyword)
    content: TextRange,
    /// the kind of the last token written
    last: Option<SyntaxKind>,
}

impl Kept {
    fn new(n: &SyntaxNode) -> Self {
        let mut r = content_range(n);
        // a directive keyword with nothing after it keeps the blanks after
        // it, as in `directive`: without them the line reads as a comment
        // (`#!ifdef ` in an unclosed group; found by the fmt fuzz target)
        let last = n.token_at_offset(r.end()).left_biased();
        if !r.is_empty() && last.is_some_and(|t| t.kind() == PP_KEYWORD) {
            let end = n.text_range().end();
            let tail = &n.text().to_string()[usize::from(r.end() - n.text_range().start())..];
            if !tail.is_empty() && !tail.contains('\n') {
                r = TextRange::new(r.start(), end);
            }
        }
        Kept {
            kind: n.kind(),
            range: n.text_range(),
            content: r,
            last: n.token_at_offset(r.end()).left_biased().map(|t| t.kind()),
        }
    }
}

/// From this size on the text is printed in two halves at once (see
/// [`print_split`]), as the parser parses it (`kcfg_syntax`).
pub(crate) const PARALLEL_MIN_BYTES: usize = 1 << 20;

pub(crate) fn print(
    root: &SyntaxNode,
    text: &str,
    opts: &FormatOptions,
    verbatim: &[SyntaxNode],
    final_newline: bool,
) -> String {
    print_split_from(
        root,
        text,
        opts,
        verbatim,
        final_newline,
        PARALLEL_MIN_BYTES,
    )
}

/// [`print`], printed in two halves from `min_bytes` of text on (for tests:
/// the result must not depend on it).
pub(crate) fn print_split_from(
    root: &SyntaxNode,
    text: &str,
    opts: &FormatOptions,
    verbatim: &[SyntaxNode],
    final_newline: bool,
    min_bytes: usize,
) -> String {
    let verbatim: Vec<Kept> = verbatim.iter().map(Kept::new).collect();
    let verbatim = &verbatim[..];
    if text.len() >= min_bytes {
        if let Some(out) = print_split(root, text, opts, verbatim, final_newline) {
            return out;
        }
    }
    let mut p = Printer::new(text, opts, verbatim);
    let green = root.green();
    let mut walk = Walk::new(&green, root.text_range().start());
    walk.run(&mut p, usize::MAX);
    p.finish(final_newline)
}

/// Print the file in two halves on two threads. The second half's printer
/// starts a few top-level items before the middle (its first lines are
/// thrown away) so that, at the middle, it has met what the whole file's
/// printer has: if both are in the same state there ([`Printer::state`]: the
/// same open line, pending comments, blank lines, previous token, levels,
/// ...), the rest is printed the same way, and the output is the first half's
/// up to its open line followed by the second's from that line. If not, the
/// first half's printer goes on to the end.
fn print_split(
    root: &SyntaxNode,
    text: &str,
    opts: &FormatOptions,
    verbatim: &[Kept],
    final_newline: bool,
) -> Option<String> {
    let green = root.green();
    let start = root.text_range().start();
    // the first top-level node with half of the text behind it, and the
    // start of the second printer three nodes before it
    let half = start + TextSize::from(u32::from(green.text_len()) / 2);
    let mut offset = start;
    let mut nodes_before: Vec<usize> = Vec::new();
    let mut mid = None;
    for (i, c) in green.children().enumerate() {
        if offset >= half && c.as_node().is_some() && nodes_before.len() >= 4 {
            mid = Some(i);
            break;
        }
        if c.as_node().is_some() {
            nodes_before.push(i);
        }
        offset += c.text_len();
    }
    let mid = mid?;
    let warm = nodes_before[nodes_before.len() - 3];
    let split = Split {
        green: &green,
        start,
        text,
        opts,
        verbatim,
        final_newline,
    };
    let (joined, out) = split.print(mid, warm, true);
    crate::PRINT_SPLITS[usize::from(joined)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(out)
}

/// A file printed in two halves ([`print_split`]).
struct Split<'a> {
    green: &'a GreenNodeData,
    start: TextSize,
    text: &'a str,
    opts: &'a FormatOptions,
    verbatim: &'a [Kept],
    final_newline: bool,
}

impl Split<'_> {
    /// The output, and whether it was joined from two printers: one from the
    /// start to top-level child `mid`, one from child `warm` to the end (on
    /// two threads with `parallel`).
    fn print(&self, mid: usize, warm: usize, parallel: bool) -> (bool, String) {
        let first = || {
            let mut p = Printer::new(self.text, self.opts, self.verbatim);
            let mut walk = Walk::new(self.green, self.start);
            walk.run(&mut p, mid);
            (p, walk)
        };
        let second = || {
            let mut p = Printer::new(self.text, self.opts, self.verbatim);
            let mut walk = Walk::new(self.green, self.start);
            walk.skip(warm);
            walk.run(&mut p, mid);
            let state = p.state();
            let from = p.line_start();
            walk.run(&mut p, usize::MAX);
            (state, from, p.finish(self.final_newline))
        };
        let (mut first, (state, from, out)) = if parallel {
            rayon::join(first, second)
        } else {
            (first(), second())
        };
        let (ref mut p, ref mut walk) = first;
        if p.state() == state {
            let ls = p.line_start();
            let mut all = std::mem::take(&mut p.out);
            all.truncate(ls);
            all.push_str(&out[from..]);
            return (true, all);
        }
        walk.run(p, usize::MAX);
        let (p, _) = first;
        (false, p.finish(self.final_newline))
    }
}

/// The walk over the tree: a stack of (node kind, its remaining children),
/// the file node at the bottom; it stops between two children of the file
/// node when asked.
struct Walk<'g> {
    stack: Vec<(SyntaxKind, Children<'g>)>,
    offset: TextSize,
    /// children of the file node taken so far
    taken: usize,
    entered: bool,
}

impl<'g> Walk<'g> {
    fn new(green: &'g GreenNodeData, offset: TextSize) -> Self {
        let mut stack = Vec::with_capacity(32);
        stack.push((green_kind(green.kind()), green.children()));
        Walk {
            stack,
            offset,
            taken: 0,
            entered: false,
        }
    }

    /// Pass over the first `n` children of the file node without printing.
    fn skip(&mut self, n: usize) {
        while self.taken < n {
            let Some(c) = self.stack[0].1.next() else {
                return;
            };
            self.offset += c.text_len();
            self.taken += 1;
        }
    }

    /// Print up to (not including) child `until` of the file node, or to the end.
    fn run<'a>(&mut self, p: &mut Printer<'a>, until: usize)
    where
        'g: 'a,
    {
        if !self.entered {
            self.entered = true;
            p.enter(self.stack[0].0, None);
        }
        loop {
            let top = self.stack.len() == 1;
            let Some((parent, children)) = self.stack.last_mut() else {
                return;
            };
            let parent = *parent;
            if top && self.taken >= until {
                return;
            }
            let Some(child) = children.next() else {
                self.stack.pop();
                p.leave(parent, self.stack.last().map(|(k, _)| *k));
                continue;
            };
            if top {
                self.taken += 1;
            }
            match child {
                NodeOrToken::Node(n) => {
                    let kind = green_kind(n.kind());
                    if parent == SOURCE_FILE {
                        if let Some(v) = p.verbatim_at(self.offset, n) {
                            p.verbatim_node(&v);
                            self.offset += n.text_len();
                            continue;
                        }
                    }
                    p.enter(kind, Some(parent));
                    self.stack.push((kind, n.children()));
                }
                NodeOrToken::Token(t) => {
                    let tok = Tok {
                        kind: green_kind(t.kind()),
                        text: t.text(),
                        start: self.offset,
                        parent,
                    };
                    self.offset += t.text_len();
                    if matches!(tok.kind, PP_KEYWORD | PP_NAME | PP_BODY) {
                        let rest = self.stack.last().map(|(_, c)| c.clone());
                        p.on_directive(tok, rest.expect("the token's siblings"));
                    } else {
                        p.on_token(tok);
                    }
                }
            }
        }
    }
}

/// What decides how a printer goes on ([`print_split`]): every field but the
/// output, whose open line counts (its text, and the output positions on it,
/// relative to its start: places to break it, kept text, code end).
#[derive(Debug, PartialEq, Eq)]
struct State<'a> {
    level: usize,
    gap: Gap,
    prev_tok: Option<Tok<'a>>,
    flags: [bool; 5],
    pending_item: Option<Brk>,
    pending_comments: Vec<(Tok<'a>, Gap)>,
    frames: Vec<Frame>,
    skip_until: TextSize,
    last: Option<(SyntaxKind, TextSize)>,
    breaks: Vec<(usize, u32, usize)>,
    raw_mark: usize,
    code_end: usize,
    depth: u32,
    line: String,
    out_empty: bool,
}

/// CRLF when most line ends of the input are CRLF, else LF.
fn line_ending(text: &str) -> &'static str {
    let b = text.as_bytes();
    let (mut lf, mut crlf) = (0usize, 0usize);
    for i in memchr::memchr_iter(b'\n', b) {
        lf += 1;
        crlf += usize::from(i > 0 && b[i - 1] == b'\r');
    }
    if lf > 0 && crlf * 2 > lf {
        "\r\n"
    } else {
        "\n"
    }
}

fn is_stmt(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        EXPR_STMT
            | ASSIGN_STMT
            | IF_STMT
            | SWITCH_STMT
            | WHILE_STMT
            | RETURN_STMT
            | EXIT_STMT
            | DROP_STMT
            | BREAK_STMT
            | EMPTY_STMT
    )
}

/// An unbraced body of `if`/`else`/`while`.
fn is_body_stmt(kind: SyntaxKind, parent: Option<SyntaxKind>) -> bool {
    is_stmt(kind) && matches!(parent, Some(IF_STMT | ELSE_BRANCH | WHILE_STMT))
}

#[inline]
fn parent_kind(t: &Tok<'_>) -> Option<SyntaxKind> {
    Some(t.parent)
}

/// Parentheses whose inside has no spaces: calls, groups, builtins, modparam.
fn paren_ctx(p: Option<SyntaxKind>) -> bool {
    matches!(p, Some(ARG_LIST | PAREN_EXPR | BUILTIN_EXPR | MODPARAM))
}

/// A binary operator, or the `=` of an assignment or cfg variable.
fn is_operator(t: &Tok<'_>) -> bool {
    match parent_kind(t) {
        Some(BIN_EXPR) => !matches!(t.kind(), L_PAREN | R_PAREN),
        Some(ASSIGN_STMT) => t.kind() != SEMICOLON,
        Some(CFG_VAR) => t.kind() == EQ,
        _ => false,
    }
}

/// Whether `a` and `b` written with nothing between them still lex as the
/// same two tokens.
fn can_join(a: &Tok<'_>, b: &Tok<'_>) -> bool {
    // `! !define_x` must not become `!!define_x` (a `!!define` directive)
    if a.text().ends_with('!') && b.text().starts_with('!') {
        return false;
    }
    let s = format!("{}{}", a.text(), b.text());
    let (toks, _) = kcfg_syntax::lexer::tokenize(&s);
    toks.len() == 2
        && toks[0].kind == a.kind()
        && toks[1].kind == b.kind()
        && toks[0].len as usize == a.text().len()
}

impl<'a> Printer<'a> {
    fn new(text: &'a str, opts: &'a FormatOptions, verbatim: &'a [Kept]) -> Self {
        Printer {
            text,
            opts,
            nl: line_ending(text),
            // room for the result (the first of two printers gets the whole
            // result appended): a little more than the text, more with
            // space indentation (untouched capacity costs nothing)
            out: String::with_capacity(match opts.indent_style {
                IndentStyle::Tab => text.len() + text.len() / 8,
                IndentStyle::Space => text.len() + text.len() / 8 * (opts.indent_width.max(1) + 1),
            }),
            level: 0,
            gap: Gap::default(),
            prev_tok: None,
            prev_comment: false,
            after_open_brace: false,
            need_newline: false,
            after_raw: false,
            after_verbatim: false,
            pending_item: None,
            pending_comments: Vec::new(),
            frames: Vec::new(),
            skip_until: TextSize::from(0),
            verbatim,
            last: None,
            breaks: Vec::new(),
            raw_mark: 0,
            code_end: 0,
            depth: 0,
        }
    }

    /// Where the output's open line starts.
    fn line_start(&self) -> usize {
        self.out.rfind('\n').map_or(0, |i| i + 1)
    }

    /// See [`State`].
    fn state(&self) -> State<'a> {
        let ls = self.line_start();
        let rel = |pos: usize| pos.saturating_sub(ls);
        State {
            level: self.level,
            gap: self.gap,
            prev_tok: self.prev_tok,
            flags: [
                self.prev_comment,
                self.after_open_brace,
                self.need_newline,
                self.after_raw,
                self.after_verbatim,
            ],
            pending_item: self.pending_item,
            pending_comments: self.pending_comments.clone(),
            frames: self.frames.clone(),
            skip_until: self.skip_until,
            last: self.last,
            breaks: self
                .breaks
                .iter()
                .filter(|b| b.pos > ls)
                .map(|b| (b.pos - ls, b.depth, b.cont))
                .collect(),
            raw_mark: rel(self.raw_mark),
            code_end: rel(self.code_end),
            depth: self.depth,
            line: self.out[ls..].to_string(),
            out_empty: self.out.is_empty(),
        }
    }

    /// The item kept as it is that is the top-level node `n` at `offset`.
    fn verbatim_at(&self, offset: TextSize, n: &GreenNodeData) -> Option<Kept> {
        if self.verbatim.is_empty() {
            return None;
        }
        let i = self
            .verbatim
            .binary_search_by_key(&offset, |v| v.range.start())
            .ok()?;
        let v = self.verbatim[i];
        (v.range.len() == n.text_len() && v.kind == green_kind(n.kind())).then_some(v)
    }

    fn enter(&mut self, kind: SyntaxKind, parent: Option<SyntaxKind>) {
        match parent {
            Some(SOURCE_FILE | BLOCK | PP_ARM) => {
                self.pending_item = Some(if kind == EMPTY_STMT {
                    Brk::KeepStructural(self.level)
                } else {
                    Brk::Forced(self.level)
                });
            }
            Some(CASE_CLAUSE) => {
                if let Some(Frame::Case { opened: true }) = self.frames.last() {
                    self.pending_item = Some(Brk::Forced(self.level));
                }
            }
            Some(IF_STMT | ELSE_BRANCH | WHILE_STMT) if is_stmt(kind) => {
                self.level += 1;
                self.frames.push(Frame::Body);
                self.pending_item = Some(Brk::KeepStructural(self.level));
            }
            _ => {}
        }
        match kind {
            BLOCK => self.frames.push(Frame::Block { opened: false }),
            CASE_CLAUSE => self.frames.push(Frame::Case { opened: false }),
            _ => {}
        }
    }

    fn leave(&mut self, kind: SyntaxKind, parent: Option<SyntaxKind>) {
        let pop = matches!(kind, BLOCK | CASE_CLAUSE) || is_body_stmt(kind, parent);
        if pop {
            if let Some(
                Frame::Block { opened: true } | Frame::Case { opened: true } | Frame::Body,
            ) = self.frames.pop()
            {
                self.level = self.level.saturating_sub(1);
            }
        }
    }

    /// A piece of a preprocessor line; `rest`: the siblings after it.
    fn on_directive(&mut self, t: Tok<'_>, rest: Children<'_>) {
        if t.start < self.skip_until {
            return;
        }
        self.last = Some((t.kind, t.text_range().end()));
        self.directive(&t, rest);
    }

    fn on_token(&mut self, t: Tok<'a>) {
        if t.text_range().start() < self.skip_until {
            return;
        }
        if !is_space(t.kind()) {
            self.last = Some((t.kind(), t.text_range().end()));
        }
        let g = t.text_range();
        match t.kind() {
            WHITESPACE => {
                self.extend_gap(g);
                self.gap.ws = true;
            }
            NEWLINE | LINE_CONTINUATION => {
                self.extend_gap(g);
                self.gap.ws = true;
                self.gap.newlines += 1;
            }
            COMMENT | BLOCK_COMMENT => self.comment(t),
            INACTIVE_CODE | ERROR_TOKEN => self.raw(&t),
            _ => self.token(t),
        }
    }

    fn extend_gap(&mut self, r: TextRange) {
        if self.gap.start == self.gap.end {
            self.gap.start = r.start().into();
        }
        self.gap.end = r.end().into();
    }

    fn reset_gap(&mut self, at: TextSize) {
        self.gap = Gap {
            start: at.into(),
            end: at.into(),
            ..Gap::default()
        };
    }

    fn newlines(&mut self, blank: usize) {
        self.end_line();
        // a string left open runs to the next `#!ifdef`/`#!else`/`#!endif`
        // line and ends with its line break: add nothing to it
        if self.out.ends_with('\n') {
            return;
        }
        for _ in 0..=blank {
            self.out.push_str(self.nl);
        }
    }

    fn indent(&mut self, level: usize) {
        match self.opts.indent_style {
            IndentStyle::Tab => self.out.extend(std::iter::repeat_n('\t', level)),
            IndentStyle::Space => self
                .out
                .extend(std::iter::repeat_n(' ', level * self.opts.indent_width)),
        }
    }

    fn blanks(&self, gap: &Gap) -> usize {
        if self.after_open_brace {
            0
        } else {
            gap.newlines
                .saturating_sub(1)
                .min(self.opts.max_blank_lines)
        }
    }

    /// The next token shares its line with an item kept as it is (an item
    /// with an error): it stays there, with the blanks between as they are.
    fn same_line_as_kept(&self) -> bool {
        self.after_verbatim
            && self.gap.newlines == 0
            && !self.need_newline
            && self.pending_comments.is_empty()
    }

    /// Write the original gap as it is (after raw text).
    fn raw_gap(&mut self) {
        let g = &self.text[self.gap.start..self.gap.end];
        self.out.push_str(g);
        self.raw_mark = self.out.len();
    }

    fn wrote(&mut self, at: TextSize) {
        self.after_raw = false;
        self.after_verbatim = false;
        self.reset_gap(at);
    }

    fn token(&mut self, tok: Tok<'a>) {
        let kind = tok.kind();
        let parent = parent_kind(&tok);
        let in_block = parent == Some(BLOCK);
        let closing = kind == R_BRACE && in_block;
        if closing {
            if let Some(Frame::Block { opened }) = self.frames.last_mut() {
                if *opened {
                    *opened = false;
                    self.level = self.level.saturating_sub(1);
                }
            }
        }
        let brk = if closing {
            self.pending_item = None;
            Brk::Forced(self.level)
        } else if let Some(b) = self.pending_item.take() {
            b
        } else if kind == L_BRACE && in_block {
            Brk::Join
        } else if kind == ELSE_KW {
            let after_block = self
                .prev_tok
                .as_ref()
                .is_some_and(|p| p.kind() == R_BRACE && parent_kind(p) == Some(BLOCK));
            if after_block && !self.prev_comment {
                Brk::Join
            } else {
                Brk::KeepStructural(self.level)
            }
        } else {
            Brk::KeepCont(continuation(self.level))
        };
        let line_level = match brk {
            Brk::Forced(l) | Brk::KeepStructural(l) | Brk::KeepCont(l) => l,
            Brk::Join => self.level,
        };
        self.flush_comments(if closing { line_level + 1 } else { line_level });
        if self.after_raw || self.same_line_as_kept() {
            self.raw_gap();
        } else if self.out.is_empty() {
            self.indent(line_level);
        } else {
            let newline = self.need_newline
                || match brk {
                    Brk::Forced(_) => true,
                    Brk::Join => false,
                    Brk::KeepStructural(_) | Brk::KeepCont(_) => self.gap.newlines > 0,
                };
            if newline {
                let blank = match brk {
                    Brk::Forced(_) if !closing => self.blanks(&self.gap),
                    _ => 0,
                };
                self.newlines(blank);
                self.indent(line_level);
            } else if self.space(&tok, brk) {
                if self.can_break_after() {
                    self.breaks.push(BreakAt {
                        pos: self.out.len(),
                        depth: self.depth,
                        cont: continuation(self.level),
                    });
                }
                self.out.push(' ');
            }
        }
        self.out.push_str(tok.text());
        self.code_end = self.out.len();
        match kind {
            L_PAREN => self.depth += 1,
            R_PAREN => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.after_open_brace = false;
        if kind == L_BRACE && in_block {
            if let Some(Frame::Block { opened }) = self.frames.last_mut() {
                if !*opened {
                    *opened = true;
                    self.level += 1;
                }
            }
            self.after_open_brace = true;
        } else if kind == COLON && parent == Some(CASE_CLAUSE) {
            if let Some(Frame::Case { opened }) = self.frames.last_mut() {
                if !*opened {
                    *opened = true;
                    self.level += 1;
                }
            }
        }
        self.need_newline = false;
        self.prev_comment = false;
        let end = tok.text_range().end();
        self.prev_tok = Some(tok);
        self.wrote(end);
    }

    /// Whether the space about to be written after the previous token may
    /// become a line break: after a `,` between arguments (of a call,
    /// `modparam`, a builtin), after `&&`/`||`/`and`/`or`.
    fn can_break_after(&self) -> bool {
        if self.prev_comment || self.opts.line_width == 0 {
            return false;
        }
        let Some(a) = &self.prev_tok else {
            return false;
        };
        matches!(
            (a.kind, a.parent),
            (COMMA, ARG_LIST | MODPARAM | BUILTIN_EXPR) | (AMP2 | PIPE2 | AND_KW | OR_KW, BIN_EXPR)
        )
    }

    /// The current output line ends: when it is longer than `line-width`
    /// (its code: a comment at its end does not count) and has places where
    /// it may be broken, break it there (see [`wrap`]).
    fn end_line(&mut self) {
        if self.breaks.is_empty() {
            return;
        }
        let mut breaks = std::mem::take(&mut self.breaks);
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        // text kept as it is on this line: no line break may be added to it
        if self.raw_mark > line_start || self.code_end <= line_start {
            breaks.clear();
            self.breaks = breaks;
            return;
        }
        // places before a line break inside a token (a string over several
        // lines) are on a line already ended
        breaks.retain(|b| b.pos > line_start && b.pos < self.code_end);
        let tab = self.opts.indent_width.max(1);
        let line = &self.out[line_start..self.code_end];
        let mut chosen = Vec::new();
        if width(line, tab) > self.opts.line_width {
            let rel: Vec<BreakAt> = breaks
                .iter()
                .map(|b| BreakAt {
                    pos: b.pos - line_start,
                    ..*b
                })
                .collect();
            wrap(
                line,
                &rel,
                0,
                line.len(),
                0,
                self.opts.line_width,
                tab,
                &mut chosen,
            );
        }
        if !chosen.is_empty() {
            chosen.sort_unstable_by_key(|b| b.pos);
            let tail = self.out.split_off(line_start);
            let mut last = 0;
            for b in chosen {
                self.out.push_str(&tail[last..b.pos]);
                self.out.push_str(self.nl);
                self.indent(b.cont);
                last = b.pos + 1;
            }
            self.out.push_str(&tail[last..]);
        }
        breaks.clear();
        self.breaks = breaks;
    }

    /// One space or none between two tokens on the same line.
    fn space(&self, b: &Tok<'_>, brk: Brk) -> bool {
        let ws = self.gap.ws;
        if self.prev_comment {
            return ws;
        }
        let Some(a) = &self.prev_tok else {
            return ws;
        };
        let want = if b.kind() == SEMICOLON {
            Some(false)
        } else if matches!(brk, Brk::KeepStructural(_) | Brk::Join) {
            Some(true)
        } else {
            rule(a, b)
        };
        match want {
            Some(false) if ws => !can_join(a, b),
            Some(s) => s,
            None => ws,
        }
    }

    fn comment(&mut self, tok: Tok<'a>) {
        let end = tok.text_range().end();
        let line = tok.kind() == COMMENT;
        // (comments waiting for the next token go first: a comment right
        // after one of them waits too, or the two would change places)
        if (self.after_raw || (self.after_verbatim && self.gap.newlines == 0))
            && self.pending_comments.is_empty()
        {
            self.raw_gap();
            self.push_comment(&tok);
        } else if !self.out.is_empty()
            && self.gap.newlines == 0
            && !self.need_newline
            && self.pending_comments.is_empty()
        {
            // at the end of the line of the previous token (or inline): the
            // blanks before it as they are, so aligned comments stay aligned
            if self.gap.ws {
                // blanks before a comment at the end of a line (not text
                // kept as it is: the line may still be wrapped)
                self.out.push_str(&self.text[self.gap.start..self.gap.end]);
            } else if line {
                self.out.push(' ');
            }
            self.push_comment(&tok);
        } else {
            self.pending_comments.push((tok, self.gap));
            self.reset_gap(end);
            return;
        }
        self.need_newline = line;
        self.prev_comment = true;
        self.wrote(end);
    }

    fn push_comment(&mut self, tok: &Tok<'_>) {
        if tok.kind() == COMMENT {
            // with CRLF line ends the lexer leaves the `\r` in the comment
            let t = trim_comment(tok.text());
            self.out.push_str(if self.nl == "\r\n" {
                t
            } else {
                tok.text().trim_end_matches([' ', '\t'])
            });
        } else {
            self.out.push_str(tok.text());
        }
    }

    /// Write the comments that stand on lines of their own, at `level`.
    fn flush_comments(&mut self, level: usize) {
        if self.pending_comments.is_empty() {
            return;
        }
        for (tok, gap) in std::mem::take(&mut self.pending_comments) {
            if self.after_raw {
                self.out.push_str(&self.text[gap.start..gap.end]);
                self.after_raw = false;
            } else if self.out.is_empty() {
                self.indent(level);
            } else if gap.newlines == 0 && !self.need_newline {
                if gap.ws {
                    self.out.push(' ');
                }
            } else {
                let blank = self.blanks(&gap);
                self.newlines(blank);
                // a commented-out directive at column 0 stays there
                let col0 = gap.end == usize::from(tok.text_range().start())
                    && self.text[..gap.end].ends_with('\n')
                    && tok.text().starts_with("##!");
                if !col0 {
                    self.indent(level);
                }
            }
            self.push_comment(&tok);
            self.need_newline = tok.kind() == COMMENT;
            self.after_open_brace = false;
            self.prev_comment = true;
        }
    }

    /// A preprocessor line: its pieces as they are, at column 0 (`#!...`,
    /// `!!...`) or at the current level (`include_file`, `import_file`).
    fn directive(&mut self, first: &Tok<'_>, rest: Children<'_>) {
        let start = first.text_range().start();
        let mut end = first.text_range().end();
        let keyword_end = end;
        let mut ws_after_keyword = None;
        let mut at = end;
        for el in rest {
            at += el.text_len();
            match green_kind(el.kind()) {
                PP_NAME | PP_BODY => end = at,
                WHITESPACE if end == keyword_end && ws_after_keyword.is_none() => {
                    ws_after_keyword = Some(at)
                }
                WHITESPACE => {}
                _ => break,
            }
        }
        // a keyword with nothing after it but blanks (`#!define ` and the line
        // end) keeps them: without, Kamailio's lexer (and ours) reads the line
        // as a comment, not as a directive (found by the fmt fuzz target)
        if end == keyword_end {
            if let Some(ws) = ws_after_keyword {
                end = ws;
            }
        }
        self.skip_until = end;
        let mut text = &self.text[usize::from(start)..usize::from(end)];
        if self.nl == "\r\n" {
            text = text.strip_suffix('\r').unwrap_or(text);
        }
        let col0 = text.starts_with("#!") || text.starts_with("!!");
        self.pending_item = None;
        self.flush_comments(self.level);
        if self.after_raw || self.same_line_as_kept() {
            self.raw_gap();
        } else {
            if !self.out.is_empty() {
                let blank = self.blanks(&self.gap);
                self.newlines(blank);
            }
            if !col0 {
                self.indent(self.level);
            }
        }
        self.out.push_str(text);
        self.raw_mark = self.out.len();
        self.need_newline = true;
        self.after_open_brace = false;
        self.prev_comment = false;
        self.prev_tok = None;
        self.wrote(end);
    }

    /// Text kept byte for byte with the whitespace before it: an inactive
    /// `#!ifdef` arm, a character Kamailio skips.
    fn raw(&mut self, t: &Tok<'_>) {
        self.flush_comments(self.level);
        self.end_line();
        let gap = &self.text[self.gap.start..self.gap.end];
        // blanks as Kamailio's lexer eats them (EAT_ABLE), `\r` included
        const BLANKS: [char; 5] = [' ', '\t', '\r', '\x0c', '\x08'];
        let g = gap.trim_start_matches(BLANKS);
        let starts_line = g.starts_with('\n')
            || (g.is_empty() && t.text().trim_start_matches(BLANKS).starts_with('\n'));
        if self.need_newline && !starts_line {
            self.out.push_str(self.nl);
        }
        self.out.push_str(gap);
        self.out.push_str(t.text());
        self.raw_mark = self.out.len();
        self.need_newline = false;
        self.after_open_brace = false;
        self.prev_comment = false;
        self.prev_tok = None;
        self.reset_gap(t.text_range().end());
        self.after_raw = true;
    }

    /// A top-level item with a syntax error: copied byte for byte.
    fn verbatim_node(&mut self, n: &Kept) {
        let r = n.content;
        if r.is_empty() {
            return;
        }
        self.pending_item = None;
        // whitespace inside the node around its tokens belongs to the gaps
        let node = n.range;
        let lead = &self.text[usize::from(node.start())..usize::from(r.start())];
        if !lead.is_empty() {
            self.extend_gap(TextRange::new(node.start(), r.start()));
            self.gap.ws = true;
            self.gap.newlines += lead.matches('\n').count();
        }
        self.flush_comments(self.level);
        // an item with an error stays on the line it shares with the item
        // before it: the line break could change how the error is read
        let same_line = self.pending_comments.is_empty()
            && !self.out.is_empty()
            && self.gap.newlines == 0
            && !self.need_newline
            && !self.prev_comment;
        if self.after_raw || same_line {
            self.raw_gap();
        } else if !self.out.is_empty() {
            let blank = self.blanks(&self.gap);
            self.newlines(blank);
            self.indent(self.level);
        }
        self.out
            .push_str(&self.text[usize::from(r.start())..usize::from(r.end())]);
        self.raw_mark = self.out.len();
        let last = n.last;
        self.need_newline = matches!(last, Some(COMMENT | PP_KEYWORD | PP_NAME | PP_BODY));
        self.last = last.map(|k| (k, r.end()));
        self.after_open_brace = false;
        self.prev_comment = false;
        self.prev_tok = None;
        self.wrote(r.end());
        self.after_verbatim = true;
        let trail = &self.text[usize::from(r.end())..usize::from(node.end())];
        if !trail.is_empty() {
            self.extend_gap(TextRange::new(r.end(), node.end()));
            self.gap.ws = true;
            self.gap.newlines += trail.matches('\n').count();
        }
    }

    fn finish(mut self, final_newline: bool) -> String {
        self.flush_comments(self.level);
        self.end_line();
        // a token that runs to the end of the input because it is not
        // terminated (a string, a block comment, ...) would take the newline in
        let open_at_end = self.last.is_some_and(|(k, end)| {
            usize::from(end) == self.text.len()
                && matches!(
                    k,
                    STRING
                        | SQ_STRING
                        | BLOCK_COMMENT
                        | PVAR
                        | PP_BODY
                        | ERROR_TOKEN
                        | INACTIVE_CODE
                )
        });
        if final_newline
            && !self.after_raw
            && !open_at_end
            && !self.out.is_empty()
            && !self.out.ends_with('\n')
        {
            self.out.push_str(self.nl);
        }
        self.out
    }
}

/// Spacing between two tokens on one line where the style has a rule:
/// `Some(true)` one space, `Some(false)` none, `None` as the user wrote it.
fn rule(a: &Tok<'_>, b: &Tok<'_>) -> Option<bool> {
    let (ak, bk) = (a.kind(), b.kind());
    let (ap, bp) = (parent_kind(a), parent_kind(b));
    let list = |p: Option<SyntaxKind>| matches!(p, Some(ARG_LIST | MODPARAM | BUILTIN_EXPR));
    if bk == COMMA && list(bp) {
        return Some(false);
    }
    if ak == COMMA && list(ap) {
        return Some(true);
    }
    if bk == L_BRACE && bp == Some(BLOCK) {
        return Some(true);
    }
    if ak == R_BRACE && bk == ELSE_KW {
        return Some(true);
    }
    if ak == L_PAREN && paren_ctx(ap) {
        return Some(false);
    }
    if bk == R_PAREN && paren_ctx(bp) {
        return Some(false);
    }
    if bk == L_PAREN && list(bp) {
        return Some(false);
    }
    if matches!(ak, IF_KW | WHILE_KW | SWITCH_KW) {
        return Some(true);
    }
    if is_operator(a) || is_operator(b) {
        return Some(true);
    }
    if ap == Some(PREFIX_EXPR) && matches!(ak, BANG | MINUS | TILDE) {
        return Some(false);
    }
    if matches!(ak, INT_CAST | STR_CAST) {
        return Some(false);
    }
    if ak == LOADPATH_KW && bk == EQ {
        return None;
    }
    if ak.is_route_keyword() && bk == L_BRACK && bp == Some(ROUTE_NAME) {
        return Some(false);
    }
    if (ak == L_BRACK && ap == Some(ROUTE_NAME)) || (bk == R_BRACK && bp == Some(ROUTE_NAME)) {
        return Some(false);
    }
    if ak == RETURN_KW && bk == L_PAREN {
        return None;
    }
    if matches!(
        ak,
        LOADMODULE_KW | LOADMODULEX_KW | LOADPATH_KW | CASE_KW | RETURN_KW | NOT_KW
    ) {
        return Some(true);
    }
    if bk == COLON && bp == Some(CASE_CLAUSE) {
        return Some(false);
    }
    None
}

/// Columns of `s`, a tab counting `tab`.
fn width(s: &str, tab: usize) -> usize {
    if s.is_ascii() {
        s.len() + s.bytes().filter(|&b| b == b'\t').count() * (tab - 1)
    } else {
        s.chars().map(|c| if c == '\t' { tab } else { 1 }).sum()
    }
}

/// Choose where to break `line[start..end]`, which starts at column `col`,
/// so that its lines fit in `max` columns where they can. Of the places
/// inside it, only the outermost ones (fewest open `(`) are used, greedily:
/// a piece between two of them stays on the line when it fits, else it starts
/// a new line at its continuation level. A piece that does not fit on a line
/// of its own is broken the same way at its own places, and the piece after
/// it starts a new line. The choice depends only on the text of the line, so
/// formatting the result again breaks nothing more (each line of it either
/// fits or is one piece that cannot be broken further by these rules).
#[allow(clippy::too_many_arguments)]
fn wrap(
    line: &str,
    breaks: &[BreakAt],
    start: usize,
    end: usize,
    col: usize,
    max: usize,
    tab: usize,
    chosen: &mut Vec<BreakAt>,
) {
    if col + width(&line[start..end], tab) <= max {
        return;
    }
    let inner: Vec<BreakAt> = breaks
        .iter()
        .filter(|b| b.pos > start && b.pos < end)
        .copied()
        .collect();
    let Some(depth) = inner.iter().map(|b| b.depth).min() else {
        return;
    };
    let outer: Vec<BreakAt> = inner.into_iter().filter(|b| b.depth == depth).collect();
    // the first piece, on the line it starts
    let first_end = outer[0].pos;
    let w = width(&line[start..first_end], tab);
    let mut at = if col + w > max {
        wrap(line, breaks, start, first_end, col, max, tab, chosen);
        usize::MAX
    } else {
        col + w
    };
    for (i, b) in outer.iter().enumerate() {
        let piece_start = b.pos + 1;
        let piece_end = outer.get(i + 1).map_or(end, |n| n.pos);
        let w = width(&line[piece_start..piece_end], tab);
        if at != usize::MAX && at + 1 + w <= max {
            at += 1 + w;
            continue;
        }
        chosen.push(*b);
        let c = b.cont * tab;
        if c + w > max {
            wrap(line, breaks, piece_start, piece_end, c, max, tab, chosen);
            at = usize::MAX;
        } else {
            at = c + w;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The premise of [`print_split`]: two printers in the same [`State`]
    /// print the rest the same way. Every top-level node of every corpus file
    /// is tried as the middle, with the second printer starting one and three
    /// nodes before it; whenever the states agree, the joined output must be
    /// the one printer's.
    #[test]
    fn joined_at_any_node_equals_one_printer() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus");
        let mut stack = vec![dir];
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("corpus") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "cfg") {
                    files.push(p);
                }
            }
        }
        files.sort();
        let opts = FormatOptions {
            line_width: 60,
            ..FormatOptions::default()
        };
        let (mut joined, mut not) = (0, 0);
        for path in files.iter().step_by(3) {
            let text = std::fs::read_to_string(path).expect("UTF-8 corpus file");
            let parse = kcfg_syntax::parse(&text);
            let root = parse.syntax_node();
            let green = root.green();
            let split = Split {
                green: &green,
                start: root.text_range().start(),
                text: &text,
                opts: &opts,
                verbatim: &[],
                final_newline: true,
            };
            let one = split.print(usize::MAX, 0, false).1;
            let nodes: Vec<usize> = green
                .children()
                .enumerate()
                .filter(|(_, c)| c.as_node().is_some())
                .map(|(i, _)| i)
                .collect();
            for (k, &mid) in nodes.iter().enumerate() {
                for back in [1, 3] {
                    let warm = nodes[k.saturating_sub(back)];
                    let (j, out) = split.print(mid, warm, false);
                    if j {
                        joined += 1;
                        assert!(
                            out == one,
                            "{}: joined at node {mid} (from {warm})",
                            path.display()
                        );
                    } else {
                        not += 1;
                    }
                }
            }
        }
        eprintln!("joined {joined}, not joined {not}");
        assert!(
            joined > 1000 && not > 10,
            "joined {joined}, not joined {not}"
        );
    }
}
