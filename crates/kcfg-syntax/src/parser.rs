//! The event parser. It sees only significant tokens (no trivia, no
//! preprocessor line pieces) and emits [`Event`]s; it knows nothing of trees.
//! `sink.rs` turns the events and the raw tokens into a rowan green tree.
//! The events of each top-level item go to the sink as soon as the item is
//! parsed, so the event buffer stays small (and in the CPU's cache) however
//! large the file is.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::borrow::Cow;
use std::num::NonZeroU32;

use crate::lexer::Token;
use crate::pp::{Directive, PpStructure};
use crate::sink::Sink;
use crate::SyntaxKind::{self, *};
use crate::{SyntaxError, TextRange, TextSize};

pub(crate) mod grammar;
pub(crate) mod grammar_facts {
    pub use super::grammar::{is_keyword_flag_name, BARE_CORE_ACTIONS, CORE_ACTIONS, NUMBER_WORDS};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Start {
        kind: SyntaxKind,
        /// distance to the Start event of the node that wraps this one
        forward_parent: Option<NonZeroU32>,
    },
    Finish,
    /// consume the next significant token, as `kind` (usually its own)
    Token {
        kind: SyntaxKind,
    },
    /// consume directive line `line` (index into `PpStructure::lines`) as a node of `kind`
    PpLine {
        line: u32,
        kind: SyntaxKind,
    },
    Tombstone,
}

/// Limits that keep the parser bounded on hostile input.
pub(crate) const MAX_DEPTH: u32 = 256;

/// An operand as `cfg.y`'s `exp_elem` rules see it: `myself` may only be
/// compared (`==`, `!=`; `=~` with it on the right) with `uri`, `from_uri`,
/// `to_uri`, `src_ip`, `dst_ip`, `snd_ip` or `to_ip`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Operand {
    /// the bare keyword `myself` (not a define)
    Myself(TextRange),
    /// `uri`, `from_uri`, `to_uri`, `src_ip`, `dst_ip`, `snd_ip`, `to_ip`
    UriOrIp,
    Other,
}

pub(crate) struct Parser<'t> {
    text: &'t str,
    tokens: &'t [Token],
    /// start offset of each token, and the end of the text
    offsets: &'t [u32],
    /// indices of significant tokens in `tokens` ([`significant`])
    sig: &'t [u32],
    pos: usize,
    pp: &'t PpStructure,
    next_pp: usize,
    /// groups whose arms are being parsed, innermost last
    pp_open: Vec<usize>,
    /// events not yet handed to the sink
    pub(crate) events: Vec<Event>,
    /// number of events handed to the sink before `events[0]`
    events_base: u32,
    /// builds the tree from the events (None: only the errors are wanted)
    sink: Option<Sink<'t>>,
    pub(crate) errors: Vec<SyntaxError>,
    depth: u32,
    depth_error_reported: bool,
    extra_defines: &'t [String],
    pub(crate) core_params: Option<&'t [String]>,
    pub(crate) includes_resolved: bool,
    /// parsing a define's value: do not validate define values again
    pub(crate) validating_define: bool,
    /// `#!ifdef` groups parsed as nodes so far (a block holding one is not empty)
    pub(crate) pp_if_count: u32,
    /// statements parsed in arms Kamailio takes, and groups whose taken arm
    /// is not known for sure (an `#!ifexp`, an unbalanced group, defines
    /// from the environment or from includes not read): a block whose only
    /// statements sit in arms not taken is empty for Kamailio
    pub(crate) active_stmts: u32,
    pub(crate) uncertain_groups: u32,
    /// no `#!defenv` and no unread include can change which arms are taken
    pub(crate) defines_certain: bool,
    /// inside the arguments of a core action (hosts, flag and route names are bare there)
    pub(crate) core_args: u32,
    /// what the last operand parsed was, for the `myself` rules of
    /// Kamailio's grammar ([`grammar`]'s `expr_bp_inner`)
    pub(crate) operand: Operand,
    /// set by a bare name operand only (read right after it)
    pub(crate) bare: Operand,
    /// the next expression is the right side of `==`, `!=`, `=~`, `eq`, ...
    pub(crate) comparison_rhs: bool,
    /// the file includes others: defines may come from them
    pub(crate) has_includes: bool,
    /// Set when the parse makes a decision that the defines of included
    /// files could change (see [`Parser::noting_include_decisions`]).
    pub(crate) include_note: Option<&'t std::sync::Mutex<Vec<u32>>>,
    /// names defined by `#!define` & co. anywhere in the file, and the parse's
    /// defines (a define's value is checked with the names of its file)
    defined: Cow<'t, HashSet<&'t str>>,
    /// see [`Parser::define_value`]
    define_values: HashMap<&'t str, Option<&'t str>>,
    /// define name → its value when that is not a valid expression (the
    /// check parses the value, so it is done once per name)
    pub(crate) define_checks: HashMap<String, Option<String>>,
    steps: u32,
    /// stop at the top-level loop when `pos` reaches this significant token
    /// and the parser is between items there ([`Parser::fork_at`])
    stop_at: usize,
    /// it did stop there
    pub(crate) stopped: bool,
}

/// Indices (into `tokens`) of the tokens the grammar sees: whitespace inside
/// a directive line is part of the line, and so are the PP pieces, so only
/// tokens outside lines are significant.
pub(crate) fn significant(tokens: &[Token], pp: &PpStructure) -> Vec<u32> {
    let mut sig = vec![0u32; tokens.len()];
    if tokens.len() < crate::pp::PARALLEL_MIN_TOKENS {
        let n = significant_in(tokens, &pp.lines, 0, &mut sig);
        sig.truncate(n);
        return sig;
    }
    // two halves at once, each into its half of `sig`
    let mid = tokens.len() / 2;
    let (a, b) = sig.split_at_mut(mid);
    let (n, m) = rayon::join(
        || significant_in(tokens, &pp.lines, 0, a),
        || significant_in(tokens, &pp.lines, mid, b),
    );
    sig.copy_within(mid..mid + m, n);
    sig.truncate(n + m);
    sig
}

/// [`significant`] of the tokens `from..from + out.len()`, written to `out`;
/// returns how many there are.
fn significant_in(
    tokens: &[Token],
    lines: &[crate::pp::PpLine],
    from: usize,
    out: &mut [u32],
) -> usize {
    let to = from + out.len();
    // (written without a branch on the kind: trivia and significant
    // tokens alternate too irregularly for the branch predictor)
    let mut n = 0;
    let mut push_range = |a: usize, b: usize| {
        let (a, b) = (a.max(from), b.min(to));
        if a >= b {
            return;
        }
        for (t, i) in tokens[a..b].iter().zip(a as u32..) {
            out[n] = i;
            n += usize::from(!t.kind.is_trivia() && !t.kind.is_pp_line_piece());
        }
    };
    // the lines that end after `from`
    let mut i = from;
    for l in &lines[lines.partition_point(|l| l.end <= from)..] {
        if l.first >= to {
            break;
        }
        push_range(i, l.first);
        i = i.max(l.end);
    }
    push_range(i, to);
    n
}

impl<'t> Parser<'t> {
    fn defined_names(
        text: &'t str,
        tokens: &'t [Token],
        pp: &'t PpStructure,
        offsets: &[u32],
        extra_defines: &'t [String],
    ) -> HashSet<&'t str> {
        let mut set: HashSet<&'t str> = extra_defines
            .iter()
            .map(|d| d.split('=').next().unwrap_or(d))
            .collect();
        let active = crate::pp::active_lines(pp);
        for (l, _) in pp.lines.iter().zip(&active).filter(|(_, &a)| a) {
            if !matches!(
                l.directive,
                Directive::Define
                    | Directive::TryDef
                    | Directive::Redefine
                    | Directive::DefExp
                    | Directive::DefEnv
                    | Directive::Subst
            ) {
                continue;
            }
            for i in l.first..l.end {
                match tokens[i].kind {
                    PP_NAME => {
                        set.insert(&text[offsets[i] as usize..offsets[i + 1] as usize]);
                    }
                    // #!substdef "!NAME!value!g" defines NAME too
                    PP_BODY if l.directive == Directive::Subst => {
                        let body = text[offsets[i] as usize..offsets[i + 1] as usize].trim();
                        let inner = body.trim_matches('"').trim_matches('\'');
                        if let Some(delim) = inner.chars().next() {
                            if let Some(name) = inner[delim.len_utf8()..].split(delim).next() {
                                set.insert(name);
                            }
                        }
                    }
                    // #!defenv NAME=ENV or #!defenv ENV
                    PP_BODY if l.directive == Directive::DefEnv => {
                        let body = &text[offsets[i] as usize..offsets[i + 1] as usize];
                        let name = body.split('=').next().unwrap_or(body).trim();
                        set.insert(name);
                    }
                    _ => {}
                }
            }
        }
        set
    }

    /// The value each define of this file gives its name (the last
    /// `#!define`, or a `#!substdef`; None for a define without a value).
    fn define_values(
        text: &'t str,
        tokens: &'t [Token],
        pp: &'t PpStructure,
        offsets: &[u32],
    ) -> HashMap<&'t str, Option<&'t str>> {
        let mut values = HashMap::default();
        let active = crate::pp::active_lines(pp);
        for (l, _) in pp.lines.iter().zip(&active).filter(|(_, &a)| a) {
            let toks = l.first..l.end;
            let text_of = |i: usize| &text[offsets[i] as usize..offsets[i + 1] as usize];
            match l.directive {
                Directive::Define | Directive::TryDef | Directive::Redefine => {
                    let name = toks.clone().find(|&i| tokens[i].kind == PP_NAME);
                    if let Some(name) = name.map(text_of) {
                        let value = toks.clone().find(|&i| tokens[i].kind == PP_BODY);
                        values.insert(name, value.map(text_of));
                    }
                }
                Directive::Subst if text_of(l.first).contains("substdef") => {
                    if let Some(b) = toks.clone().find(|&i| tokens[i].kind == PP_BODY) {
                        let b = text_of(b);
                        let inner = b.trim().trim_matches('"').trim_matches('\'');
                        let mut parts = inner
                            .chars()
                            .next()
                            .map(|d| inner[d.len_utf8()..].split(d))
                            .into_iter()
                            .flatten();
                        if let Some(name) = parts.next() {
                            values.insert(name, parts.next());
                        }
                    }
                }
                _ => {}
            }
        }
        values
    }

    /// The value a define of this file gives `name` (the last `#!define`, or a `#!substdef`).
    pub(crate) fn define_value(&self, name: &str) -> Option<String> {
        let mut value = self.define_values.get(name).copied().flatten();
        // then `NAME=VALUE` given by the caller (`-D`, or read from includes)
        if value.is_none() {
            value = self
                .extra_defines
                .iter()
                .filter_map(|d| d.split_once('='))
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .next_back();
        }
        // a define without a value, or a multi-line one: not checked
        value
            .filter(|v| !v.contains('\\') && !v.trim().is_empty())
            .map(str::to_string)
    }

    pub(crate) fn defined_names_of_parse(&self) -> &HashSet<&'t str> {
        &self.defined
    }

    pub(crate) fn is_defined(&self, name: &str) -> bool {
        self.defined.contains(name)
    }

    /// Text of the n-th significant token before the current one (1 = the previous).
    pub(crate) fn prev_text(&self, n: usize) -> &'t str {
        if n > self.pos {
            return "";
        }
        let i = self.sig[self.pos - n] as usize;
        &self.text[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    pub(crate) fn text_of(&self, range: TextRange) -> &'t str {
        &self.text[range]
    }

    /// A parser over `tokens` (with their `offsets`, see [`crate::pp::offsets`]).
    /// With `build_tree`, [`Parser::parse`] also returns the green tree (see
    /// also [`Parser::recording_tokens`]).
    /// `defined`: the names to treat as defined, when not those of this text
    /// and `extra_defines`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        text: &'t str,
        tokens: &'t [Token],
        offsets: &'t [u32],
        pp: &'t PpStructure,
        sig: &'t [u32],
        extra_defines: &'t [String],
        core_params: Option<&'t [String]>,
        includes_resolved: bool,
        build_tree: bool,
        defined: Option<&'t HashSet<&'t str>>,
    ) -> Self {
        Parser {
            extra_defines,
            core_params,
            includes_resolved,
            validating_define: false,
            text,
            tokens,
            offsets,
            sig,
            pos: 0,
            pp,
            next_pp: 0,
            pp_open: Vec::new(),
            events: Vec::new(),
            events_base: 0,
            sink: build_tree.then(|| Sink::new(text, tokens, offsets, pp, false)),
            errors: Vec::new(),
            depth: 0,
            depth_error_reported: false,
            pp_if_count: 0,
            active_stmts: 0,
            uncertain_groups: 0,
            defines_certain: !pp.lines.iter().any(|l| {
                l.directive == Directive::DefEnv
                    || !includes_resolved
                        && matches!(l.directive, Directive::Include | Directive::Import)
            }),
            core_args: 0,
            operand: Operand::Other,
            bare: Operand::Other,
            comparison_rhs: false,
            has_includes: pp
                .lines
                .iter()
                .any(|l| matches!(l.directive, Directive::Include | Directive::Import)),
            defined: match defined {
                Some(names) => Cow::Borrowed(names),
                None => Cow::Owned(Self::defined_names(
                    text,
                    tokens,
                    pp,
                    offsets,
                    extra_defines,
                )),
            },
            define_values: Self::define_values(text, tokens, pp, offsets),
            define_checks: HashMap::default(),
            steps: 0,
            stop_at: usize::MAX,
            stopped: false,
            include_note: None,
        }
    }

    /// Stop the top-level loop at significant token `c` if the parser is
    /// between two items there, in its initial state but for the position
    /// ([`Parser::at_clean_split`]); [`Parser::stopped`] says whether it did.
    /// Otherwise it parses to the end as usual.
    pub(crate) fn stop_at(&mut self, c: usize) {
        self.stop_at = c;
    }

    /// Is this the stop point, with nothing open: no node but the file's, no
    /// `#!ifdef` group, no pending directive line, no nesting error? Then
    /// the rest of the file parses as it would from a fresh parser placed
    /// here ([`Parser::fork_at`]).
    pub(crate) fn at_clean_split(&self) -> bool {
        self.pos == self.stop_at
            && self.depth == 0
            && self.core_args == 0
            && self.pp_open.is_empty()
            && !self.depth_error_reported
            && self.pending_pp().is_none()
            && self.events.is_empty()
    }

    /// A parser for the rest of the file from significant token `c` (a
    /// top-level item start), as the parser would be at `c` if it got there
    /// between items: same text, tokens and defines; its tree holds the
    /// file's tokens from `c` on.
    pub(crate) fn fork_at(&self, c: usize) -> Parser<'t> {
        let raw = self.sig[c] as usize;
        let next_pp = self.pp.lines.partition_point(|l| l.first < raw);
        Parser {
            extra_defines: self.extra_defines,
            core_params: self.core_params,
            includes_resolved: self.includes_resolved,
            validating_define: self.validating_define,
            text: self.text,
            tokens: self.tokens,
            offsets: self.offsets,
            sig: self.sig,
            pos: c,
            pp: self.pp,
            next_pp,
            pp_open: Vec::new(),
            events: Vec::new(),
            events_base: 0,
            sink: self.sink.as_ref().map(|s| s.new_at(raw, next_pp)),
            errors: Vec::new(),
            depth: 0,
            depth_error_reported: false,
            pp_if_count: 0,
            active_stmts: 0,
            uncertain_groups: 0,
            defines_certain: self.defines_certain,
            core_args: 0,
            operand: Operand::Other,
            bare: Operand::Other,
            comparison_rhs: false,
            has_includes: self.has_includes,
            defined: self.defined.clone(),
            define_values: self.define_values.clone(),
            define_checks: HashMap::default(),
            steps: 0,
            stop_at: usize::MAX,
            stopped: false,
            include_note: self.include_note,
        }
    }

    /// Note in `at` where the parse leaves a decision to the files the
    /// config includes (a bare name not defined here, a block empty but for
    /// `#!ifdef` arms an include's defines could change): the start of the
    /// error a parse with the includes' defines could report there.
    pub(crate) fn noting_include_decisions(mut self, at: &'t std::sync::Mutex<Vec<u32>>) -> Self {
        self.include_note = Some(at);
        self
    }

    /// A decision left to the included files at `range` (see
    /// [`Parser::noting_include_decisions`]).
    pub(crate) fn note_include_decision(&self, range: TextRange) {
        if let Some(at) = self.include_note {
            at.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(range.start().into());
        }
    }

    pub(crate) fn parse(mut self) -> (Option<rowan::GreenNode>, Vec<SyntaxError>) {
        grammar::source_file(&mut self);
        self.flush_events();
        (self.sink.map(Sink::finish), self.errors)
    }

    /// Parse; the sink with what it built, the errors, and whether the parse
    /// stopped at the point set with [`Parser::stop_at`] (then the sink holds
    /// the tokens before it only).
    pub(crate) fn run(mut self) -> (Option<Sink<'t>>, Vec<SyntaxError>, bool) {
        grammar::source_file(&mut self);
        self.flush_events();
        (self.sink, self.errors, self.stopped)
    }

    /// Record the tokens of the tree (kind, start offset) instead of building
    /// it: [`Parser::parse_tokens`] returns them.
    pub(crate) fn recording_tokens(mut self) -> Self {
        self.sink = Some(Sink::new(
            self.text,
            self.tokens,
            self.offsets,
            self.pp,
            true,
        ));
        self
    }

    /// [`Parser::parse`] of a parser made with [`Parser::recording_tokens`].
    pub(crate) fn parse_tokens(mut self) -> (Vec<(SyntaxKind, u32)>, Vec<SyntaxError>) {
        grammar::source_file(&mut self);
        self.flush_events();
        (
            self.sink.map(Sink::finish_tokens).unwrap_or_default(),
            self.errors,
        )
    }

    /// Open the file node (its events are not a marker's: they go to the
    /// sink before the file is parsed to the end).
    pub(crate) fn start_file(&mut self) {
        debug_assert!(self.events_base == 0 && self.events.is_empty());
        self.events.push(Event::Start {
            kind: SOURCE_FILE,
            forward_parent: None,
        });
    }

    pub(crate) fn finish_file(&mut self) {
        if self.stopped {
            // the file node of the first piece ends before the stop token
            let end = self.sig[self.pos] as usize;
            if let Some(sink) = &mut self.sink {
                sink.end = end;
            }
        }
        self.events.push(Event::Finish);
    }

    /// Hand the events so far to the sink. Only between top-level items:
    /// no marker may point into them any more.
    pub(crate) fn flush_events(&mut self) {
        if let Some(sink) = &mut self.sink {
            sink.process(&mut self.events);
        }
        self.events_base += self.events.len() as u32;
        self.events.clear();
    }

    // ---- token access ----

    fn raw_index(&self, n: usize) -> Option<usize> {
        self.sig.get(self.pos + n).map(|&i| i as usize)
    }

    pub(crate) fn nth(&self, n: usize) -> SyntaxKind {
        self.raw_index(n).map_or(EOF, |i| self.tokens[i].kind)
    }

    pub(crate) fn current(&self) -> SyntaxKind {
        self.nth(0)
    }

    pub(crate) fn at(&self, kind: SyntaxKind) -> bool {
        self.current() == kind
    }

    pub(crate) fn at_eof(&self) -> bool {
        self.pos >= self.sig.len()
    }

    /// Whether the lexer is in Kamailio's compatibility mode (a `#!KAMAILIO`
    /// or `#!OPENSER` marker is the last marker before the n-th significant
    /// token), where `$name` is a `PVAR` token rather than an `AVP_OR_PVAR`.
    pub(crate) fn kamailio_compat_at(&self, n: usize) -> bool {
        let Some(raw) = self.raw_index(n) else {
            return false;
        };
        let before = self.pp.lines.partition_point(|l| l.first < raw);
        self.pp.lines[..before]
            .iter()
            .rev()
            .filter(|l| l.directive == crate::pp::Directive::Marker)
            .find_map(|l| {
                let kw =
                    &self.text[self.offsets[l.first] as usize..self.offsets[l.first + 1] as usize];
                match kw.trim_start_matches(['#', '!', '/']) {
                    "KAMAILIO" | "OPENSER" => Some(true),
                    "SER" | "MAXCOMPAT" | "ALL" => Some(false),
                    _ => None,
                }
            })
            .unwrap_or(false)
    }

    pub(crate) fn nth_text(&self, n: usize) -> &'t str {
        match self.raw_index(n) {
            Some(i) => &self.text[self.offsets[i] as usize..self.offsets[i + 1] as usize],
            None => "",
        }
    }

    /// Range of the n-th significant token (an empty range at the end for EOF).
    pub(crate) fn nth_range(&self, n: usize) -> TextRange {
        match self.raw_index(n) {
            Some(i) => TextRange::new(self.offsets[i].into(), self.offsets[i + 1].into()),
            None => {
                let end = TextSize::from(self.text.len() as u32);
                TextRange::empty(end)
            }
        }
    }

    /// Is there no trivia between the current token and the next one?
    pub(crate) fn next_is_adjacent(&self) -> bool {
        match (self.raw_index(0), self.raw_index(1)) {
            (Some(a), Some(b)) => b == a + 1,
            _ => false,
        }
    }

    /// Is the current token right after the previous one (no trivia between)?
    pub(crate) fn next_is_adjacent_to_prev(&self) -> bool {
        match self.raw_index(0) {
            Some(cur) if self.pos > 0 => self.sig[self.pos - 1] as usize + 1 == cur,
            _ => false,
        }
    }

    /// Does a newline stand between the previous significant token and the current one?
    pub(crate) fn newline_before_current(&self) -> bool {
        let Some(cur) = self.raw_index(0) else {
            return true;
        };
        if self.pos == 0 {
            return true;
        }
        let prev = self.sig[self.pos - 1] as usize;
        self.tokens[prev + 1..cur].iter().any(|t| {
            matches!(t.kind, NEWLINE | PP_KEYWORD | INACTIVE_CODE)
                || (t.kind == COMMENT)
                || (t.kind == BLOCK_COMMENT)
        }) || self.text[self.offsets[prev + 1] as usize..self.offsets[cur] as usize].contains('\n')
    }

    /// End offset of the previous significant token.
    pub(crate) fn prev_end(&self) -> TextSize {
        if self.pos == 0 {
            return 0.into();
        }
        let prev = self.sig[self.pos - 1] as usize;
        self.offsets[prev + 1].into()
    }

    // ---- preprocessor lines ----

    /// The next directive line not yet consumed, if it comes before the current token.
    pub(crate) fn pending_pp(&self) -> Option<usize> {
        let line = self.pp.lines.get(self.next_pp)?;
        match self.raw_index(0) {
            Some(cur) if line.first > cur => None,
            _ => Some(self.next_pp),
        }
    }

    pub(crate) fn pp_line(&self, idx: usize) -> &'t crate::pp::PpLine {
        &self.pp.lines[idx]
    }

    pub(crate) fn pp_group_balanced(&self, g: usize) -> bool {
        self.pp.groups[g].balanced
    }

    pub(crate) fn pp_is_open(&self, g: usize) -> bool {
        self.pp_open.contains(&g)
    }

    pub(crate) fn pp_push(&mut self, g: usize) {
        self.pp_open.push(g);
    }

    pub(crate) fn pp_pop(&mut self) {
        self.pp_open.pop();
    }

    /// Consume the pending directive line `idx` as a node of `kind`.
    pub(crate) fn bump_pp(&mut self, idx: usize, kind: SyntaxKind) {
        debug_assert_eq!(Some(idx), self.pending_pp());
        self.events.push(Event::PpLine {
            line: idx as u32,
            kind,
        });
        self.next_pp = idx + 1;
    }

    /// Skip (leave to the sink as trivia) all directive lines before the current token.
    fn skip_pending_pp(&mut self) {
        while let Some(idx) = self.pending_pp() {
            if self.raw_index(0).is_none() {
                break;
            }
            self.next_pp = idx + 1;
        }
    }

    pub(crate) fn pp_directive(&self, idx: usize) -> Directive {
        self.pp.lines[idx].directive
    }

    // ---- consuming ----

    pub(crate) fn bump_any(&mut self) {
        if self.at_eof() {
            return;
        }
        self.skip_pending_pp();
        self.events.push(Event::Token {
            kind: self.current(),
        });
        self.pos += 1;
        self.steps += 1;
    }

    pub(crate) fn bump(&mut self, kind: SyntaxKind) {
        debug_assert_eq!(self.current(), kind);
        self.bump_any();
    }

    /// Consume the current token but give it another kind in the tree.
    pub(crate) fn bump_remap(&mut self, kind: SyntaxKind) {
        if self.at_eof() {
            return;
        }
        self.skip_pending_pp();
        self.events.push(Event::Token { kind });
        self.pos += 1;
    }

    pub(crate) fn eat(&mut self, kind: SyntaxKind) -> bool {
        if self.at(kind) {
            self.bump_any();
            true
        } else {
            false
        }
    }

    // ---- errors ----

    pub(crate) fn error_at(
        &mut self,
        range: TextRange,
        message: impl Into<String>,
    ) -> &mut SyntaxError {
        self.errors.push(SyntaxError::new(range, message));
        self.errors.last_mut().unwrap()
    }

    /// An error at the current token.
    pub(crate) fn error(&mut self, message: impl Into<String>) -> &mut SyntaxError {
        let r = self.nth_range(0);
        let e = self.error_at(r, message);
        e.unexpected = Some(r);
        e
    }

    /// `expected X` at the current token; for a missing `;` the error points
    /// right after the previous token, where the `;` belongs.
    pub(crate) fn expect(&mut self, kind: SyntaxKind) -> bool {
        if self.eat(kind) {
            return true;
        }
        let found = self.nth_range(0);
        let found_desc = self.found_desc();
        if kind == SEMICOLON {
            let at = TextRange::empty(self.prev_end());
            let e = self.error_at(at, format!("missing `;` (found {found_desc})"));
            e.unexpected = Some(found);
            e.hint = Some("add `;` at the end of the statement".into());
        } else {
            let e = self.error(format!("expected {}, found {found_desc}", kind.describe()));
            e.unexpected = Some(found);
        }
        false
    }

    pub(crate) fn found_desc(&self) -> String {
        if self.at_eof() {
            return "end of file".into();
        }
        let t = self.nth_text(0);
        if t.len() > 24 || t.contains('\n') {
            self.current().describe().to_string()
        } else {
            format!("`{t}`")
        }
    }

    /// Wrap the current token in an ERROR node with a message.
    pub(crate) fn err_and_bump(&mut self, message: impl Into<String>) {
        let m = self.start();
        let r = self.nth_range(0);
        let e = self.error_at(r, message);
        e.unexpected = Some(r);
        self.bump_any();
        m.complete(self, ERROR);
    }

    // ---- nesting limit ----

    /// Enter a nested construct; false (and one error) when too deep.
    pub(crate) fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            if !self.depth_error_reported {
                self.depth_error_reported = true;
                let r = self.nth_range(0);
                self.error_at(
                    r,
                    format!("nesting deeper than {MAX_DEPTH} levels: kcfg stops parsing this part"),
                );
            }
            return false;
        }
        self.depth += 1;
        true
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    pub(crate) fn too_deep(&self) -> bool {
        self.depth_error_reported
    }

    // ---- markers ----

    pub(crate) fn start(&mut self) -> Marker {
        let pos = self.events_base + self.events.len() as u32;
        self.events.push(Event::Tombstone);
        Marker::new(pos)
    }

    /// The event of a marker at global position `pos`.
    fn event_mut(&mut self, pos: u32) -> &mut Event {
        &mut self.events[(pos - self.events_base) as usize]
    }
}

pub(crate) struct Marker {
    pos: u32,
    #[cfg(debug_assertions)]
    done: bool,
}

impl Marker {
    fn new(pos: u32) -> Self {
        Marker {
            pos,
            #[cfg(debug_assertions)]
            done: false,
        }
    }

    #[cfg_attr(not(debug_assertions), allow(unused_mut))]
    pub(crate) fn complete(mut self, p: &mut Parser, kind: SyntaxKind) -> CompletedMarker {
        #[cfg(debug_assertions)]
        {
            self.done = true;
        }
        let event = p.event_mut(self.pos);
        if let Event::Tombstone = event {
            *event = Event::Start {
                kind,
                forward_parent: None,
            };
        }
        p.events.push(Event::Finish);
        CompletedMarker { pos: self.pos }
    }

    #[cfg_attr(not(debug_assertions), allow(unused_mut))]
    pub(crate) fn abandon(mut self, p: &mut Parser) {
        #[cfg(debug_assertions)]
        {
            self.done = true;
        }
        if self.pos + 1 == p.events_base + p.events.len() as u32 {
            if let Some(Event::Tombstone) = p.events.last() {
                p.events.pop();
            }
        }
    }
}

#[cfg(debug_assertions)]
impl Drop for Marker {
    fn drop(&mut self) {
        if !self.done && !std::thread::panicking() {
            panic!("marker must be completed or abandoned");
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) struct CompletedMarker {
    pos: u32,
}

impl CompletedMarker {
    /// Start a new node that will contain this one (for binary expressions).
    pub(crate) fn precede(self, p: &mut Parser) -> Marker {
        let new = p.start();
        if let Event::Start { forward_parent, .. } = p.event_mut(self.pos) {
            *forward_parent = NonZeroU32::new(new.pos - self.pos);
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walks over all tokens that run in two halves on large files give
    /// what one walk gives: the offsets, the directive lines, the
    /// significant tokens.
    #[test]
    fn halves_equal_one_walk() {
        let unit = "#!define X 1\nroute[A] {\n#!ifdef X\n\txlog(\"$ru\\n\");\n#!else\n\t$var(a) = 1; # c\n#!endif\n}\n";
        let text = unit.repeat((1 << 20) / unit.len() * 2);
        let (tokens, _) = crate::lexer::tokenize(&text);
        assert!(tokens.len() >= crate::pp::PARALLEL_MIN_TOKENS);
        let mut pos = 0;
        let mut serial: Vec<u32> = tokens
            .iter()
            .map(|t| {
                pos += t.len;
                pos - t.len
            })
            .collect();
        serial.push(pos);
        assert_eq!(crate::pp::offsets(&tokens), serial);
        let mut errors = Vec::new();
        let (tokens, pp) = crate::pp::process(tokens, &text, &[], &mut errors);
        let keywords = tokens
            .iter()
            .filter(|t| t.kind == SyntaxKind::PP_KEYWORD)
            .count();
        assert_eq!(pp.lines.len(), keywords);
        let mut one = vec![0u32; tokens.len()];
        let n = significant_in(&tokens, &pp.lines, 0, &mut one);
        one.truncate(n);
        assert_eq!(significant(&tokens, &pp), one);
    }
}
