//! Builds the rowan green tree from the parser's events and the raw tokens.
//! Trivia is attached here: before a node starts, pending whitespace and
//! comments go to the parent, so a node begins at its first real token.
//! Directive lines that the parser did not claim become `PP_DIRECTIVE` nodes
//! wherever they stand.

use rowan::{GreenNode, GreenNodeBuilder};

use crate::lexer::Token;
use crate::parser::Event;
use crate::pp::PpStructure;
use crate::SyntaxKind::{self, *};

pub(crate) struct Sink<'t> {
    text: &'t str,
    tokens: &'t [Token],
    pp: &'t PpStructure,
    /// next raw token to emit
    raw: usize,
    offset: usize,
    /// next directive line not yet emitted
    next_line: usize,
    builder: GreenNodeBuilder<'static>,
}

impl<'t> Sink<'t> {
    pub(crate) fn new(text: &'t str, tokens: &'t [Token], pp: &'t PpStructure) -> Self {
        Sink {
            text,
            tokens,
            pp,
            raw: 0,
            offset: 0,
            next_line: 0,
            builder: GreenNodeBuilder::new(),
        }
    }

    fn token(&mut self, kind: SyntaxKind) {
        let len = self.tokens[self.raw].len as usize;
        let text = &self.text[self.offset..self.offset + len];
        self.builder.token(kind.into(), text);
        self.offset += len;
        self.raw += 1;
    }

    fn is_line_start(&self, i: usize) -> Option<usize> {
        let l = self.pp.lines.get(self.next_line)?;
        (l.first == i).then_some(self.next_line)
    }

    /// Emit a directive line as a node of `kind`.
    fn line(&mut self, idx: usize, kind: SyntaxKind) {
        let l = &self.pp.lines[idx];
        let end = l.end;
        self.builder.start_node(kind.into());
        while self.raw < end {
            let k = self.tokens[self.raw].kind;
            self.token(k);
        }
        self.builder.finish_node();
        self.next_line = idx + 1;
    }

    /// Emit trivia (and unclaimed directive lines when `lines` is set) up to
    /// the next significant token.
    fn flush(&mut self, lines: bool) {
        while self.raw < self.tokens.len() {
            if let Some(idx) = self.is_line_start(self.raw) {
                if !lines {
                    return;
                }
                self.line(idx, PP_DIRECTIVE);
                continue;
            }
            let k = self.tokens[self.raw].kind;
            if !k.is_trivia() {
                return;
            }
            self.token(k);
        }
    }

    pub(crate) fn finish(mut self, mut events: Vec<Event>) -> GreenNode {
        let mut forward = Vec::new();
        for i in 0..events.len() {
            match std::mem::replace(&mut events[i], Event::Tombstone) {
                Event::Start {
                    kind,
                    forward_parent,
                } => {
                    // collect the chain of forward parents (outermost last)
                    forward.push(kind);
                    let mut idx = i;
                    let mut fp = forward_parent;
                    while let Some(d) = fp {
                        idx += d as usize;
                        fp = match std::mem::replace(&mut events[idx], Event::Tombstone) {
                            Event::Start {
                                kind,
                                forward_parent,
                            } => {
                                forward.push(kind);
                                forward_parent
                            }
                            _ => unreachable!("forward parent is not a Start event"),
                        };
                    }
                    let outermost_is_file = forward.last() == Some(&SOURCE_FILE);
                    if !outermost_is_file {
                        self.flush(false);
                    }
                    for kind in forward.drain(..).rev() {
                        self.builder.start_node(kind.into());
                    }
                }
                Event::Finish => {
                    if i == events.len() - 1 {
                        // the file node: everything left goes in
                        self.flush(true);
                        while self.raw < self.tokens.len() {
                            let k = self.tokens[self.raw].kind;
                            self.token(k);
                        }
                    }
                    self.builder.finish_node();
                }
                Event::Token { kind } => {
                    self.flush(true);
                    if self.raw < self.tokens.len() {
                        self.token(kind);
                    }
                }
                Event::PpLine { line, kind } => {
                    // emit earlier unclaimed lines and trivia first
                    let first = self.pp.lines[line as usize].first;
                    while self.raw < first {
                        if let Some(idx) = self.is_line_start(self.raw) {
                            self.line(idx, PP_DIRECTIVE);
                            continue;
                        }
                        let k = self.tokens[self.raw].kind;
                        self.token(k);
                    }
                    self.line(line as usize, kind);
                }
                Event::Tombstone => {}
            }
        }
        self.builder.finish()
    }
}
