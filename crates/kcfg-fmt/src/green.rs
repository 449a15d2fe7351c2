//! Walks over rowan's green tree. The red tree (`SyntaxNode`) allocates a
//! cursor for every node and token it visits; the green tree is what the
//! parser built, so walking it directly (a stack of child iterators, offsets
//! counted by hand) costs no allocation per token. The formatter's hot paths
//! (the printer, the safety check, finding the items to keep) use these.

use kcfg_syntax::{KamailioLanguage, SyntaxKind, TextRange, TextSize};
use rowan::{Children, GreenNodeData, Language, NodeOrToken};

use crate::is_space;

#[inline]
pub(crate) fn kind(raw: rowan::SyntaxKind) -> SyntaxKind {
    KamailioLanguage::kind_from_raw(raw)
}

/// The tokens of a green node in order: kind, text and start offset.
pub(crate) struct Tokens<'a> {
    stack: Vec<Children<'a>>,
    offset: u32,
}

impl<'a> Tokens<'a> {
    /// The tokens of `node`, whose first byte is at `offset`.
    pub(crate) fn new(node: &'a GreenNodeData, offset: TextSize) -> Self {
        let mut stack = Vec::with_capacity(16);
        stack.push(node.children());
        Tokens {
            stack,
            offset: offset.into(),
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (SyntaxKind, &'a str, TextSize);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.stack.last_mut()?;
            match top.next() {
                None => {
                    self.stack.pop();
                }
                Some(NodeOrToken::Node(n)) => self.stack.push(n.children()),
                Some(NodeOrToken::Token(t)) => {
                    let at = self.offset;
                    self.offset += u32::from(t.text_len());
                    return Some((kind(t.kind()), t.text(), TextSize::from(at)));
                }
            }
        }
    }
}

/// The tokens that are not whitespace, newlines or line continuations.
pub(crate) fn significant(
    node: &GreenNodeData,
    offset: TextSize,
) -> impl Iterator<Item = (SyntaxKind, &str, TextSize)> {
    Tokens::new(node, offset).filter(|(k, _, _)| !is_space(*k))
}

/// From the first to the last token of `node` that is not whitespace
/// (empty at `offset` when there is none).
pub(crate) fn content_range(node: &GreenNodeData, offset: TextSize) -> TextRange {
    let mut first = None;
    let mut last = None;
    for (_, text, at) in significant(node, offset) {
        if first.is_none() {
            first = Some(at);
        }
        last = Some(at + TextSize::of(text));
    }
    match (first, last) {
        (Some(s), Some(e)) => TextRange::new(s, e),
        _ => TextRange::empty(offset),
    }
}
