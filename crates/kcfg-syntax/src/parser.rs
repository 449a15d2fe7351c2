//! The event parser. It sees only significant tokens (no trivia, no
//! preprocessor line pieces) and emits [`Event`]s; it knows nothing of trees.
//! `sink.rs` turns the events and the raw tokens into a rowan green tree.

use crate::lexer::Token;
use crate::pp::{Directive, PpStructure};
use crate::SyntaxKind::{self, *};
use crate::{SyntaxError, TextRange, TextSize};

pub(crate) mod grammar;
pub(crate) mod grammar_facts {
    pub use super::grammar::{BARE_CORE_ACTIONS, CORE_ACTIONS};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    Start {
        kind: SyntaxKind,
        forward_parent: Option<u32>,
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

pub(crate) struct Parser<'t> {
    text: &'t str,
    tokens: &'t [Token],
    offsets: Vec<u32>,
    /// indices of significant tokens in `tokens`
    sig: Vec<u32>,
    pos: usize,
    pp: &'t PpStructure,
    next_pp: usize,
    /// groups whose arms are being parsed, innermost last
    pp_open: Vec<usize>,
    pub(crate) events: Vec<Event>,
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
    /// inside the arguments of a core action (hosts, flag and route names are bare there)
    pub(crate) core_args: u32,
    /// the file includes others: defines may come from them
    pub(crate) has_includes: bool,
    /// names defined by `#!define` & co. anywhere in the file, and the parse's defines
    defined: std::collections::HashSet<&'t str>,
    steps: u32,
}

impl<'t> Parser<'t> {
    fn defined_names(
        text: &'t str,
        tokens: &'t [Token],
        pp: &'t PpStructure,
        offsets: &[u32],
    ) -> std::collections::HashSet<&'t str> {
        let mut set = std::collections::HashSet::new();
        for l in &pp.lines {
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

    /// The value a define of this file gives `name` (the last `#!define`, or a `#!substdef`).
    pub(crate) fn define_value(&self, name: &str) -> Option<String> {
        let mut value = None;
        for l in &self.pp.lines {
            let toks = l.first..l.end;
            let text_of =
                |i: usize| &self.text[self.offsets[i] as usize..self.offsets[i + 1] as usize];
            match l.directive {
                Directive::Define | Directive::TryDef | Directive::Redefine => {
                    let n = toks
                        .clone()
                        .find(|&i| self.tokens[i].kind == PP_NAME)
                        .map(text_of);
                    if n == Some(name) {
                        value = toks
                            .clone()
                            .find(|&i| self.tokens[i].kind == PP_BODY)
                            .map(|i| text_of(i).to_string());
                    }
                }
                Directive::Subst if text_of(l.first).contains("substdef") => {
                    if let Some(b) = toks
                        .clone()
                        .find(|&i| self.tokens[i].kind == PP_BODY)
                        .map(text_of)
                    {
                        let inner = b.trim().trim_matches('"').trim_matches('\'');
                        let mut parts = inner
                            .chars()
                            .next()
                            .map(|d| inner[d.len_utf8()..].split(d))
                            .into_iter()
                            .flatten();
                        if parts.next() == Some(name) {
                            value = parts.next().map(str::to_string);
                        }
                    }
                }
                _ => {}
            }
        }
        // then `NAME=VALUE` given by the caller (`-D`, or read from includes)
        if value.is_none() {
            value = self
                .extra_defines
                .iter()
                .filter_map(|d| d.split_once('='))
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
                .next_back();
        }
        // a define without a value, or a multi-line one: not checked
        value.filter(|v| !v.contains('\\') && !v.trim().is_empty())
    }

    pub(crate) fn all_defined_names(&self) -> Vec<String> {
        self.defined
            .iter()
            .map(|s| s.to_string())
            .chain(
                self.extra_defines
                    .iter()
                    .map(|d| d.split('=').next().unwrap_or(d).to_string()),
            )
            .collect()
    }

    pub(crate) fn is_defined(&self, name: &str) -> bool {
        self.defined.contains(name)
            || self
                .extra_defines
                .iter()
                .any(|d| d.split('=').next() == Some(name))
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

    pub(crate) fn new(
        text: &'t str,
        tokens: &'t [Token],
        pp: &'t PpStructure,
        extra_defines: &'t [String],
        core_params: Option<&'t [String]>,
        includes_resolved: bool,
    ) -> Self {
        let mut offsets = Vec::with_capacity(tokens.len() + 1);
        let mut sig = Vec::new();
        let mut pos = 0u32;
        for (i, t) in tokens.iter().enumerate() {
            offsets.push(pos);
            pos += t.len;
            if !t.kind.is_trivia() && !t.kind.is_pp_line_piece() {
                sig.push(i as u32);
            }
        }
        offsets.push(pos);
        // whitespace inside a directive line is part of the line, and so are
        // the PP pieces: only tokens outside lines are significant
        let mut in_line = vec![false; tokens.len()];
        for l in &pp.lines {
            for f in in_line.iter_mut().take(l.end).skip(l.first) {
                *f = true;
            }
        }
        sig.retain(|&i| !in_line[i as usize]);
        let offsets_for_defines = offsets.clone();
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
            errors: Vec::new(),
            depth: 0,
            depth_error_reported: false,
            pp_if_count: 0,
            core_args: 0,
            has_includes: pp
                .lines
                .iter()
                .any(|l| matches!(l.directive, Directive::Include | Directive::Import)),
            defined: Self::defined_names(text, tokens, pp, &offsets_for_defines),
            steps: 0,
        }
    }

    pub(crate) fn parse(mut self) -> (Vec<Event>, Vec<SyntaxError>) {
        grammar::source_file(&mut self);
        (self.events, self.errors)
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
        let pos = self.events.len() as u32;
        self.events.push(Event::Tombstone);
        Marker::new(pos)
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

    pub(crate) fn complete(mut self, p: &mut Parser, kind: SyntaxKind) -> CompletedMarker {
        #[cfg(debug_assertions)]
        {
            self.done = true;
        }
        let idx = self.pos as usize;
        if let Event::Tombstone = p.events[idx] {
            p.events[idx] = Event::Start {
                kind,
                forward_parent: None,
            };
        }
        p.events.push(Event::Finish);
        CompletedMarker { pos: self.pos }
    }

    pub(crate) fn abandon(mut self, p: &mut Parser) {
        #[cfg(debug_assertions)]
        {
            self.done = true;
        }
        let idx = self.pos as usize;
        if idx == p.events.len() - 1 {
            if let Event::Tombstone = p.events[idx] {
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
        if let Event::Start { forward_parent, .. } = &mut p.events[self.pos as usize] {
            *forward_parent = Some(new.pos - self.pos);
        }
        new
    }
}
