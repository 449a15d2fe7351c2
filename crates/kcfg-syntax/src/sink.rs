//! Builds the rowan green tree from the parser's events and the raw tokens.
//! Trivia is attached here: before a node starts, pending whitespace and
//! comments go to the parent, so a node begins at its first real token.
//! Directive lines that the parser did not claim become `PP_DIRECTIVE` nodes
//! wherever they stand.

use rowan::{GreenNode, GreenToken, NodeOrToken};

use crate::lexer::Token;
use crate::parser::Event;
use crate::pp::PpStructure;
use crate::SyntaxKind::{self, *};

pub(crate) struct Sink<'t> {
    text: &'t str,
    tokens: &'t [Token],
    /// start offset of each token, and the end of the text
    offsets: &'t [u32],
    pp: &'t PpStructure,
    /// next raw token to emit
    raw: usize,
    /// next directive line not yet emitted
    next_line: usize,
    /// its first token (`usize::MAX` when there is none)
    next_line_first: usize,
    /// the raw tokens this tree holds end here (the file's end, or where the
    /// second piece of a split parse starts)
    pub(crate) end: usize,
    builder: Builder,
}

impl<'t> Sink<'t> {
    pub(crate) fn new(
        text: &'t str,
        tokens: &'t [Token],
        offsets: &'t [u32],
        pp: &'t PpStructure,
        record: bool,
    ) -> Self {
        Sink {
            text,
            tokens,
            offsets,
            pp,
            raw: 0,
            next_line: 0,
            next_line_first: pp.lines.first().map_or(usize::MAX, |l| l.first),
            end: tokens.len(),
            builder: if record {
                // (a split parse appends the second piece's tokens)
                Builder::recording(tokens.len())
            } else {
                Builder::new(text.len())
            },
        }
    }

    /// A sink like this one (tree or recording) for the tokens from raw token
    /// `raw` on (the second piece of a split parse), whose first directive
    /// line not yet emitted is `next_line`.
    pub(crate) fn new_at(&self, raw: usize, next_line: usize) -> Self {
        let (text, tokens, offsets, pp) = (self.text, self.tokens, self.offsets, self.pp);
        let mut sink = Sink::new(text, tokens, offsets, pp, self.builder.record);
        sink.raw = raw;
        sink.next_line = next_line;
        sink.next_line_first = pp.lines.get(next_line).map_or(usize::MAX, |l| l.first);
        sink
    }

    #[inline]
    fn token(&mut self, kind: SyntaxKind) {
        let start = self.offsets[self.raw] as usize;
        let end = self.offsets[self.raw + 1] as usize;
        self.builder.token(kind, self.text, start, end);
        self.raw += 1;
    }

    fn is_line_start(&self, i: usize) -> Option<usize> {
        (self.next_line_first == i).then_some(self.next_line)
    }

    /// Emit a directive line as a node of `kind`.
    fn line(&mut self, idx: usize, kind: SyntaxKind) {
        let l = &self.pp.lines[idx];
        let end = l.end;
        self.builder.start_node(kind);
        while self.raw < end {
            let k = self.tokens[self.raw].kind;
            self.token(k);
        }
        self.builder.finish_node();
        self.next_line = idx + 1;
        self.next_line_first = self.pp.lines.get(idx + 1).map_or(usize::MAX, |l| l.first);
    }

    /// Emit trivia (and unclaimed directive lines when `lines` is set) up to
    /// the next significant token.
    fn flush(&mut self, lines: bool) {
        while self.raw < self.end {
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

    /// Build the tree for these events (the next ones of the parse; the
    /// parser hands them over item by item).
    pub(crate) fn process(&mut self, events: &mut [Event]) {
        let mut forward = Vec::new();
        for i in 0..events.len() {
            // (only forward parents are tombstoned: they come later)
            match events[i] {
                Event::Start {
                    kind,
                    forward_parent,
                } => {
                    // collect the chain of forward parents (outermost last)
                    forward.push(kind);
                    let mut idx = i;
                    let mut fp = forward_parent;
                    while let Some(d) = fp {
                        idx += d.get() as usize;
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
                        self.builder.start_node(kind);
                    }
                }
                Event::Finish => {
                    if self.builder.depth() == 1 {
                        // the file node: everything left goes in
                        self.flush(true);
                        while self.raw < self.end {
                            let k = self.tokens[self.raw].kind;
                            self.token(k);
                        }
                    }
                    self.builder.finish_node();
                }
                Event::Token { kind } => {
                    self.flush(true);
                    if self.raw < self.end {
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
    }

    /// The tree, once all events are processed.
    pub(crate) fn finish(self) -> GreenNode {
        self.builder.finish()
    }

    /// The tokens the tree would hold (kind, start offset), in order, once all
    /// events are processed by a sink made with `record`.
    pub(crate) fn finish_tokens(self) -> Vec<(SyntaxKind, u32)> {
        self.builder.recorded
    }
}

/// One step of FxHash (rustc's hasher): enough to spread pointers and
/// short texts over the cache slots.
#[inline]
fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95)
}

/// The text `full[start..start + len]` as one word when it has at most 8
/// bytes (zero-padded), else a hash of it. Words are read as 8-byte windows
/// of `full` (the last one overlapping), never through a buffer: filling a
/// buffer byte by byte and reading it back as a word stalls the CPU.
#[inline]
fn text_key(full: &[u8], start: usize, len: usize) -> u64 {
    let end = start + len;
    let word_at = |i: usize| u64::from_le_bytes(full[i..i + 8].try_into().unwrap());
    if len <= 8 {
        if len == 0 {
            return 0;
        }
        let unused = 64 - 8 * len as u32;
        if end >= 8 {
            // the 8 bytes that end with the text
            return word_at(end - 8) >> unused;
        }
        if full.len() >= start + 8 {
            // the 8 bytes that start with it
            return word_at(start) << unused >> unused;
        }
        let mut buf = [0u8; 8];
        buf[..len].copy_from_slice(&full[start..end]);
        return u64::from_le_bytes(buf);
    }
    let mut h = 0;
    let mut i = start;
    while i + 8 < end {
        h = mix(h, word_at(i));
        i += 8;
    }
    mix(h, word_at(end - 8))
}

/// The address of a child in an existing node (identity, for the node cache).
fn address(element: NodeOrToken<&rowan::GreenNodeData, &rowan::GreenTokenData>) -> u64 {
    match element {
        NodeOrToken::Node(n) => n as *const rowan::GreenNodeData as u64,
        NodeOrToken::Token(t) => t as *const rowan::GreenTokenData as u64,
    }
}

/// The address of a child about to go into a node.
fn own_address(element: &NodeOrToken<GreenNode, GreenToken>) -> u64 {
    match element {
        NodeOrToken::Node(n) => address(NodeOrToken::Node(n)),
        NodeOrToken::Token(t) => address(NodeOrToken::Token(t)),
    }
}

struct TokenSlot {
    /// [`text_key`]
    text: u64,
    /// kind and text length
    kind_len: u64,
    token: GreenToken,
}

struct NodeSlot {
    hash: u64,
    node: GreenNode,
}

/// Nodes with at most this many children, all from the caches, go through
/// the node cache (rowan's interner has the same limit): larger nodes rarely
/// repeat, and hashing them and evicting a cached node for them costs more
/// than the little they share.
const MAX_CACHED_CHILDREN: usize = 3;

/// Builds the green tree, like rowan's `GreenNodeBuilder`, but instead of
/// interning tables that grow with the file it has two fixed-size
/// direct-mapped caches, sized for the input: a token or small node equal to
/// one met recently is shared instead of allocated again. The caches stay in
/// the CPU's cache, the frequent `;`, ` `, `$var(x)`, `return;` hit, and a
/// miss costs an allocation at worst. Nodes are keyed by their kind and their
/// children's addresses: equal children are the same objects when they came
/// from the caches. Trees are equal either way; only the sharing differs.
struct Builder {
    /// slots are picked by the top bits of a hash (FxHash's low bits are weak)
    shift: u32,
    tokens: Vec<Option<TokenSlot>>,
    nodes: Vec<Option<NodeSlot>>,
    parents: Vec<(SyntaxKind, usize)>,
    /// the children of the open nodes, and whether each came from a cache
    children: Vec<(NodeOrToken<GreenNode, GreenToken>, bool)>,
    /// Record the tokens instead of building a tree: (kind, start offset) of
    /// each token the tree would hold ([`crate::tokens_with`]).
    record: bool,
    recorded: Vec<(SyntaxKind, u32)>,
}

impl Builder {
    fn new(text_len: usize) -> Self {
        // about one slot per 64 bytes of input, within limits: larger caches
        // share a little more, but their misses go to memory (measured on the
        // 10 MiB benchmark config: 2^11 slots beat 2^10, 2^12 and 2^14)
        let slots = (text_len / 64).next_power_of_two().clamp(1 << 8, 1 << 11);
        Builder {
            shift: 64 - slots.trailing_zeros(),
            tokens: std::iter::repeat_with(|| None).take(slots).collect(),
            nodes: std::iter::repeat_with(|| None).take(slots).collect(),
            parents: Vec::new(),
            // the file node's children stay here to the end: about one per
            // 200 bytes of a config (items and the trivia between them)
            children: Vec::with_capacity(text_len / 128 + 64),
            record: false,
            recorded: Vec::new(),
        }
    }

    /// A builder that only records the tokens (no caches, no nodes).
    /// (`ntokens`: room for this many recorded tokens)
    fn recording(ntokens: usize) -> Self {
        Builder {
            shift: 0,
            tokens: Vec::new(),
            nodes: Vec::new(),
            parents: Vec::new(),
            children: Vec::new(),
            record: true,
            recorded: Vec::with_capacity(ntokens),
        }
    }

    /// Number of open nodes.
    fn depth(&self) -> usize {
        self.parents.len()
    }

    /// Add the token `full[start..end]`. Its text is only sliced (with the
    /// char boundary checks that costs) when the cache cannot answer from
    /// the [`text_key`] alone.
    #[inline]
    fn token(&mut self, kind: SyntaxKind, full: &str, start: usize, end: usize) {
        if self.record {
            self.recorded.push((kind, start as u32));
            return;
        }
        let len = end - start;
        let key = text_key(full.as_bytes(), start, len);
        let kind_len = (len as u64) << 16 | kind as u64;
        let slot = &mut self.tokens[(mix(mix(0, kind_len), key) >> self.shift) as usize];
        let token = match slot {
            Some(s)
                if s.text == key
                    && s.kind_len == kind_len
                    && (len <= 8 || s.token.text().as_bytes() == &full.as_bytes()[start..end]) =>
            {
                s.token.clone()
            }
            _ => {
                let token = GreenToken::new(kind.into(), &full[start..end]);
                *slot = Some(TokenSlot {
                    text: key,
                    kind_len,
                    token: token.clone(),
                });
                token
            }
        };
        self.children.push((NodeOrToken::Token(token), true));
    }

    fn start_node(&mut self, kind: SyntaxKind) {
        self.parents.push((kind, self.children.len()));
    }

    fn finish_node(&mut self) {
        let (kind, first) = self.parents.pop().expect("finish_node without start_node");
        if self.record {
            return;
        }
        let children = &self.children[first..];
        let cached = children.len() <= MAX_CACHED_CHILDREN && children.iter().all(|c| c.1);
        if !cached {
            let node = GreenNode::new(kind.into(), self.children.drain(first..).map(|c| c.0));
            self.children.push((NodeOrToken::Node(node), false));
            return;
        }
        let mut hash = mix(0, kind as u64);
        for c in children {
            hash = mix(hash, own_address(&c.0));
        }
        let slot = &mut self.nodes[(hash >> self.shift) as usize];
        let node = match slot {
            Some(s)
                if s.hash == hash
                    && s.node.kind() == kind.into()
                    && s.node.children().len() == children.len()
                    && s.node
                        .children()
                        .zip(children)
                        .all(|(a, b)| address(a) == own_address(&b.0)) =>
            {
                let node = s.node.clone();
                self.children.truncate(first);
                node
            }
            _ => {
                let node = GreenNode::new(kind.into(), self.children.drain(first..).map(|c| c.0));
                *slot = Some(NodeSlot {
                    hash,
                    node: node.clone(),
                });
                node
            }
        };
        self.children.push((NodeOrToken::Node(node), true));
    }

    fn finish(mut self) -> GreenNode {
        assert!(self.parents.is_empty() && self.children.len() == 1);
        match self.children.pop() {
            Some((NodeOrToken::Node(node), _)) => node,
            _ => unreachable!("the root is a node"),
        }
    }
}
