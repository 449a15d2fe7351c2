//! Preprocessor structure: directive lines, `#!ifdef` groups and their arms.
//!
//! Kamailio's preprocessor runs inside its lexer, so an `#!ifdef` arm may hold
//! any tokens, even half a statement. kcfg wants both: arms as tree nodes (so
//! the formatter and the editor see inactive code) and no false syntax errors.
//!
//! * A group whose arms each balance `()`, `{}` and `[]` on their own is
//!   *balanced*: the parser turns it into a `PP_IF` node with one `PP_ARM` per
//!   arm and parses every arm.
//! * A group that is not balanced (`#!ifdef X` / `if (a) {` / `#!else` /
//!   `if (b) {` / `#!endif`) cannot be parsed arm by arm. Here the arm that
//!   Kamailio would take with the defines in effect (the file's own `#!define`s
//!   plus [`crate::ParseOptions::defines`]) stays in the token stream and the
//!   other arms become single `INACTIVE_CODE` trivia tokens.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::lexer::{name_hash, LexLine, Token};
use crate::SyntaxKind::{self, *};

/// Kamailio's `MAX_IFDEFS` (cfg.lex): deeper nesting is an error there.
pub const MAX_IFDEF_DEPTH: usize = 512;

/// What a preprocessor directive line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    Define,
    TryDef,
    Redefine,
    Undef,
    TryUndef,
    DefExp,
    IfDef,
    IfNDef,
    IfExp,
    Else,
    EndIf,
    Subst,
    DefEnv,
    Include,
    Import,
    Marker,
}

impl Directive {
    /// Classify the text of a `PP_KEYWORD` token (`#!define`, `!!ifdef`, `include_file`, ...).
    pub fn from_keyword(text: &str) -> Directive {
        // `trim_start_matches` with a `&str` pattern, without its searcher
        let mut word = text;
        for prefix in ["//!", "#!", "!!"] {
            while let Some(rest) = word.strip_prefix(prefix) {
                word = rest;
            }
        }
        match word {
            "define" | "def" => Directive::Define,
            "trydefine" | "trydef" => Directive::TryDef,
            "redefine" | "redef" => Directive::Redefine,
            "undefine" | "undef" => Directive::Undef,
            "tryundefine" | "tryundef" => Directive::TryUndef,
            "defexp" | "defexps" => Directive::DefExp,
            "ifdef" => Directive::IfDef,
            "ifndef" => Directive::IfNDef,
            "ifexp" => Directive::IfExp,
            "else" => Directive::Else,
            "endif" => Directive::EndIf,
            "subst" | "substdef" | "substdefs" => Directive::Subst,
            "defenv" | "defenvs" | "trydefenv" | "trydefenvs" => Directive::DefEnv,
            "include_file" => Directive::Include,
            "import_file" => Directive::Import,
            _ => Directive::Marker,
        }
    }

    pub fn opens_group(self) -> bool {
        matches!(
            self,
            Directive::IfDef | Directive::IfNDef | Directive::IfExp
        )
    }

    /// The CST node kind a line of this directive becomes at item/statement level.
    pub fn node_kind(self) -> SyntaxKind {
        match self {
            Directive::Define | Directive::TryDef | Directive::Redefine | Directive::DefExp => {
                PP_DEFINE
            }
            Directive::Undef | Directive::TryUndef => PP_UNDEF,
            Directive::Subst => PP_SUBST,
            Directive::DefEnv => PP_DEFENV,
            Directive::Include | Directive::Import => PP_INCLUDE,
            Directive::Marker => PP_MARKER,
            _ => PP_DIRECTIVE,
        }
    }
}

/// One directive line: tokens `first..end` (the newline is not included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PpLine {
    pub first: usize,
    pub end: usize,
    pub directive: Directive,
    /// index into [`PpStructure::groups`] for ifdef/else/endif lines
    pub group: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// indices into [`PpStructure::lines`]: the opening line, the `#!else` lines, the `#!endif`
    pub lines: Vec<usize>,
    pub closed: bool,
    pub balanced: bool,
    /// the arm Kamailio takes with the parse's defines (None: no arm, or the
    /// whole group sits in an arm not taken)
    pub active: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PpError {
    pub offset: u32,
    pub len: u32,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct PpStructure {
    pub lines: Vec<PpLine>,
    pub groups: Vec<Group>,
    /// arms of unbalanced groups were turned into `INACTIVE_CODE` tokens
    /// (false: the tokens hold none)
    pub has_inactive_code: bool,
}

/// From this many tokens on, the walks over all tokens below run in two
/// halves on two threads (about 1 MiB of text; see [`crate::split_parse`]).
pub(crate) const PARALLEL_MIN_TOKENS: usize = 1 << 18;

/// The start offset of each token, and the end of the text.
pub(crate) fn offsets(tokens: &[Token]) -> Vec<u32> {
    if tokens.len() >= PARALLEL_MIN_TOKENS {
        return offsets_halves(tokens);
    }
    let mut off = Vec::with_capacity(tokens.len() + 1);
    let mut pos = 0;
    for t in tokens {
        off.push(pos);
        pos += t.len;
    }
    off.push(pos);
    off
}

/// [`offsets`] in two halves at once (the second starts at the sum of the
/// first half's lengths).
fn offsets_halves(tokens: &[Token]) -> Vec<u32> {
    let mid = tokens.len() / 2;
    let (a, b) = tokens.split_at(mid);
    let base: u32 = a.iter().map(|t| t.len).sum();
    let mut off = vec![0u32; tokens.len() + 1];
    let (oa, ob) = off.split_at_mut(mid);
    let fill = |out: &mut [u32], toks: &[Token], mut pos: u32| {
        for (o, t) in out.iter_mut().zip(toks) {
            *o = pos;
            pos += t.len;
        }
        pos
    };
    let (_, end) = rayon::join(|| fill(oa, a, 0), || fill(ob, b, base));
    off[tokens.len()] = end;
    off
}

/// Indices of the `PP_KEYWORD` tokens (where directive lines start).
fn keyword_indices(tokens: &[Token]) -> Vec<usize> {
    let find = |toks: &[Token], base: usize| -> Vec<usize> {
        toks.iter()
            .enumerate()
            .filter(|(_, t)| t.kind == PP_KEYWORD)
            .map(|(i, _)| base + i)
            .collect()
    };
    if tokens.len() < PARALLEL_MIN_TOKENS {
        return find(tokens, 0);
    }
    let mid = tokens.len() / 2;
    let (mut a, b) = rayon::join(|| find(&tokens[..mid], 0), || find(&tokens[mid..], mid));
    a.extend(b);
    a
}

/// The directive lines of a token stream, as the lexer notes them
/// ([`LexLine`]), found in the tokens (for a stream the lexer did not make
/// as it is: with `INACTIVE_CODE` tokens).
fn find_lines(tokens: &[Token], text: &str, off: &[u32]) -> Vec<LexLine> {
    let mut lines = Vec::new();
    let mut next = 0;
    for i in keyword_indices(tokens) {
        if i < next {
            // (a keyword inside the previous line: never, its pieces are
            // names, bodies and whitespace)
            continue;
        }
        let mut end = i + 1;
        while end < tokens.len() && matches!(tokens[end].kind, PP_NAME | PP_BODY | WHITESPACE) {
            end += 1;
        }
        let kw = &text[off[i] as usize..off[i + 1] as usize];
        let name = (i..end).find(|&t| tokens[t].kind == PP_NAME);
        let (name_start, name_len) = name.map_or((0, 0), |t| (off[t], off[t + 1] - off[t]));
        let name_text = &text.as_bytes()[name_start as usize..(name_start + name_len) as usize];
        lines.push(LexLine {
            first: i as u32,
            end: end as u32,
            directive: Directive::from_keyword(kw),
            kw_start: off[i],
            kw_len: off[i + 1] - off[i],
            name_start,
            name_len,
            name_hash: name.map_or(0, |_| name_hash(name_text)),
        });
        next = end;
    }
    lines
}

/// The directive lines (`lines`, one [`PpLine`] each) and ifdef groups of a
/// token stream.
fn scan(lines: &[LexLine], text: &str, errors: Option<&mut Vec<PpError>>) -> PpStructure {
    let mut st = PpStructure::default();
    st.lines.reserve(lines.len());
    let mut stack: Vec<usize> = Vec::new();
    let mut errs = Vec::new();
    for l in lines {
        let (i, end, directive) = (l.first as usize, l.end as usize, l.directive);
        let kw_range = || l.kw_start as usize..(l.kw_start + l.kw_len) as usize;
        let line_idx = st.lines.len();
        let mut group = None;
        match directive {
            d if d.opens_group() && stack.len() >= MAX_IFDEF_DEPTH => {
                errs.push(PpError {
                    offset: l.kw_start,
                    len: l.kw_len,
                    message: format!(
                        "more than {MAX_IFDEF_DEPTH} nested `#!ifdef`s: Kamailio stops here (MAX_IFDEFS)"
                    ),
                });
            }
            d if d.opens_group() => {
                let g = st.groups.len();
                st.groups.push(Group {
                    lines: vec![line_idx],
                    closed: false,
                    balanced: true,
                    active: None,
                });
                stack.push(g);
                group = Some(g);
            }
            Directive::Else | Directive::EndIf => match stack.last().copied() {
                Some(g) => {
                    st.groups[g].lines.push(line_idx);
                    group = Some(g);
                    if directive == Directive::EndIf {
                        st.groups[g].closed = true;
                        stack.pop();
                    }
                }
                None => errs.push(PpError {
                    offset: l.kw_start,
                    len: l.kw_len,
                    message: format!(
                        "`{}` without a matching `#!ifdef`/`#!ifndef`",
                        &text[kw_range()]
                    ),
                }),
            },
            _ => {}
        }
        st.lines.push(PpLine {
            first: i,
            end,
            directive,
            group,
        });
    }
    for g in stack {
        let line = &lines[st.groups[g].lines[0]];
        errs.push(PpError {
            offset: line.kw_start,
            len: line.kw_len,
            message: "this `#!ifdef` is never closed: `#!endif` is missing".into(),
        });
    }
    if let Some(e) = errors {
        e.extend(errs);
    }
    st
}

/// Token range `(start, end)` of arm `k` of group `g` (after its directive line,
/// up to the next directive line of the group, or the end of input).
fn arm_range(st: &PpStructure, g: usize, k: usize, ntokens: usize) -> (usize, usize) {
    let grp = &st.groups[g];
    let start = st.lines[grp.lines[k]].end;
    let end = grp.lines.get(k + 1).map_or(ntokens, |&l| st.lines[l].first);
    (start, end)
}

/// Tokens that cannot start a self-contained arm: the arm continues
/// something before the group (`#!ifdef X` / `else { ... }`, `|| $a`).
fn continues_before(k: SyntaxKind) -> bool {
    matches!(
        k,
        ELSE_KW
            | PIPE2
            | AMP2
            | OR_KW
            | AND_KW
            | PLUS
            | EQ2
            | NEQ
            | MATCH
            | R_PAREN
            | COMMA
            | DOT
            | EQ
            | COLON
    )
}

/// Tokens that cannot end a self-contained arm.
fn continues_after(k: SyntaxKind) -> bool {
    matches!(
        k,
        PIPE2
            | AMP2
            | OR_KW
            | AND_KW
            | PLUS
            | EQ2
            | NEQ
            | MATCH
            | L_PAREN
            | COMMA
            | DOT
            | EQ
            | IF_KW
            | ELSE_KW
    )
}

fn significant(k: SyntaxKind) -> bool {
    !k.is_trivia() && !k.is_pp_line_piece() && k != PP_KEYWORD
}

/// What the significant tokens of a stretch of code say about whether it can
/// be an arm of its own: its first and last token, and for `()`, `{}` and `[]`
/// the net depth and the lowest depth reached. Shapes of neighbouring
/// stretches combine ([`Shape::then`]), so a group's arms are checked from
/// the shapes of the groups inside them, without reading those again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shape {
    first: Option<SyntaxKind>,
    last: Option<SyntaxKind>,
    depth: [i32; 3],
    lowest: [i32; 3],
}

impl Shape {
    fn push(&mut self, kind: SyntaxKind) {
        self.first = self.first.or(Some(kind));
        self.last = Some(kind);
        let (i, d) = match kind {
            L_PAREN => (0, 1),
            R_PAREN => (0, -1),
            L_BRACE => (1, 1),
            R_BRACE => (1, -1),
            L_BRACK => (2, 1),
            R_BRACK => (2, -1),
            _ => return,
        };
        self.depth[i] += d;
        self.lowest[i] = self.lowest[i].min(self.depth[i]);
    }

    /// This stretch followed by `next`.
    fn then(self, next: Shape) -> Shape {
        let mut out = Shape {
            first: self.first.or(next.first),
            last: next.last.or(self.last),
            ..Shape::default()
        };
        for i in 0..3 {
            out.depth[i] = self.depth[i] + next.depth[i];
            out.lowest[i] = self.lowest[i].min(self.depth[i] + next.lowest[i]);
        }
        out
    }

    /// An arm of this shape stands on its own: brackets balance (and never
    /// close more than is open), and it neither starts nor ends in the middle
    /// of an expression.
    fn self_contained(&self) -> bool {
        !self.first.is_some_and(continues_before)
            && self.lowest == [0; 3]
            && self.depth == [0; 3]
            && !self.last.is_some_and(continues_after)
    }
}

/// For each directive line, whether Kamailio reads it with the parse's
/// defines: every enclosing `#!ifdef` group has that line in its taken arm.
/// Group lines (`#!ifdef`, `#!else`, `#!endif`) count as in the enclosing
/// arm. Needs the groups' `active` arms decided ([`process`]).
pub(crate) fn active_lines(st: &PpStructure) -> Vec<bool> {
    let mut out = Vec::with_capacity(st.lines.len());
    // (group, arm index of the line being read)
    let mut stack: Vec<(usize, usize)> = Vec::new();
    let mut inactive_depth = 0usize; // entries of `stack` whose arm is not taken
    let taken = |st: &PpStructure, g: usize, arm: usize| st.groups[g].active == Some(arm);
    for line in &st.lines {
        match (line.directive, line.group) {
            (d, Some(g)) if d.opens_group() => {
                out.push(inactive_depth == 0);
                stack.push((g, 0));
                if !taken(st, g, 0) {
                    inactive_depth += 1;
                }
            }
            (Directive::Else, Some(g)) if stack.last().is_some_and(|t| t.0 == g) => {
                let top = stack.last_mut().expect("checked");
                let was = taken(st, g, top.1);
                top.1 += 1;
                let now = taken(st, g, top.1);
                match (was, now) {
                    (true, false) => inactive_depth += 1,
                    (false, true) => inactive_depth -= 1,
                    _ => {}
                }
                out.push(inactive_depth == 0 || (was && inactive_depth == 1));
            }
            (Directive::EndIf, Some(g)) if stack.last().is_some_and(|t| t.0 == g) => {
                let (g, arm) = stack.pop().expect("checked");
                if !taken(st, g, arm) {
                    inactive_depth -= 1;
                }
                out.push(inactive_depth == 0);
            }
            _ => out.push(inactive_depth == 0),
        }
    }
    out
}

/// Which arm of each group Kamailio takes with these defines (None: no arm).
///
/// `lines` are the [`LexLine`]s of `st.lines` (index for index): the names
/// are looked up by their hash, and their text read only when a defined
/// name has the same hash.
fn active_arms(
    st: &PpStructure,
    lines: &[LexLine],
    text: &str,
    predefined: &[String],
) -> Vec<Option<usize>> {
    let mut defs = Defs::default();
    for d in predefined {
        let name = d.split('=').next().unwrap_or(d);
        defs.insert(name_hash(name.as_bytes()), name);
    }
    let mut active = vec![None; st.groups.len()];
    // stack of (group, taking, parent_active, arm index)
    let mut stack: Vec<(usize, bool, bool, usize)> = Vec::new();
    let is_active =
        |stack: &Vec<(usize, bool, bool, usize)>| stack.last().is_none_or(|s| s.1 && s.2);
    let name_of = |l: &LexLine| {
        (l.name_len > 0).then(|| {
            let start = l.name_start as usize;
            (l.name_hash, start..start + l.name_len as usize)
        })
    };
    for (line, lex) in st.lines.iter().zip(lines) {
        let name_of = || name_of(lex);
        let here = is_active(&stack);
        match line.directive {
            Directive::IfDef | Directive::IfNDef | Directive::IfExp => {
                let g = line.group.unwrap_or(0);
                let cond = match line.directive {
                    Directive::IfDef => name_of().is_some_and(|(h, n)| defs.contains(h, text, n)),
                    Directive::IfNDef => !name_of().is_some_and(|(h, n)| defs.contains(h, text, n)),
                    _ => false,
                };
                if here && cond {
                    active[g] = Some(0);
                }
                stack.push((g, cond, here, 0));
            }
            Directive::Else => {
                if let Some(top) = stack.last_mut() {
                    top.1 = !top.1;
                    top.3 += 1;
                    if top.1 && top.2 {
                        active[top.0] = Some(top.3);
                    }
                }
            }
            Directive::EndIf => {
                stack.pop();
            }
            Directive::Define | Directive::TryDef | Directive::Redefine | Directive::DefExp
                if here =>
            {
                if let Some((h, n)) = name_of() {
                    defs.insert(h, &text[n]);
                }
            }
            Directive::Undef | Directive::TryUndef if here => {
                if let Some((h, n)) = name_of() {
                    defs.remove(h, &text[n]);
                }
            }
            _ => {}
        }
    }
    active
}

/// A hasher that passes on the hash it is given ([`name_hash`]).
#[derive(Default)]
struct GivenHash(u64);

impl Hasher for GivenHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // (only `u64` keys are hashed here)
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The names `#!define`d so far, by their [`name_hash`].
#[derive(Default)]
struct Defs<'t> {
    by_hash: HashMap<u64, Vec<&'t str>, BuildHasherDefault<GivenHash>>,
}

impl<'t> Defs<'t> {
    /// Whether `text[name]` (with hash `hash`) is defined; the text is read
    /// only when a defined name has that hash.
    fn contains(&self, hash: u64, text: &str, name: std::ops::Range<usize>) -> bool {
        self.by_hash
            .get(&hash)
            .is_some_and(|names| names.contains(&&text[name]))
    }

    fn insert(&mut self, hash: u64, name: &'t str) {
        let names = self.by_hash.entry(hash).or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }

    fn remove(&mut self, hash: u64, name: &str) {
        if let Some(names) = self.by_hash.get_mut(&hash) {
            names.retain(|n| *n != name);
        }
    }
}

/// Number of arms of a group: one per directive line but the `#!endif`.
fn arm_count(grp: &Group) -> usize {
    if grp.closed {
        grp.lines.len() - 1
    } else {
        grp.lines.len()
    }
}

/// Decide which groups are balanced, and return the token ranges of the arms
/// that become inactive: every arm but the taken one of each unbalanced group.
///
/// Groups are decided innermost first, in the order of their last directive
/// line, and an arm counts the tokens that are still active at that moment,
/// so an unbalanced group inside an arm counts with its taken arm only. Each
/// token is read once: an arm's [`Shape`] is made of the shapes of the tokens
/// directly in it and of the groups inside it, decided before. The one arm
/// decided before the groups in it is the last arm of a group without
/// `#!endif` (it runs to the end of the input): it counts all its tokens,
/// unless an earlier group without `#!endif` made the rest of the input
/// inactive.
fn unbalanced_groups(
    st: &PpStructure,
    tokens: &[Token],
    arms: &[Option<usize>],
) -> (Vec<usize>, Vec<(usize, usize)>) {
    let ngroups = st.groups.len();
    let last_line = |g: usize| *st.groups[g].lines.last().unwrap_or(&0);
    // the group and arm each group sits in, and the groups directly in each arm
    let mut parent: Vec<Option<(usize, usize)>> = vec![None; ngroups];
    let mut open: Vec<(usize, usize)> = Vec::new();
    for line in &st.lines {
        match (line.directive, line.group) {
            (d, Some(g)) if d.opens_group() => {
                parent[g] = open.last().copied();
                open.push((g, 0));
            }
            (Directive::Else, Some(_)) => {
                if let Some(top) = open.last_mut() {
                    top.1 += 1;
                }
            }
            (Directive::EndIf, Some(_)) => {
                open.pop();
            }
            _ => {}
        }
    }
    // arm `k` of group `g` is arm number `first_arm[g] + k` overall; the
    // groups directly in arm `a` are `children[child_start[a]..child_start[a + 1]]`
    let mut first_arm = Vec::with_capacity(ngroups + 1);
    let mut narms_total = 0;
    for grp in &st.groups {
        first_arm.push(narms_total);
        narms_total += arm_count(grp);
    }
    let mut child_start = vec![0usize; narms_total + 1];
    for &(p, k) in parent.iter().flatten() {
        child_start[first_arm[p] + k + 1] += 1;
    }
    for a in 0..narms_total {
        child_start[a + 1] += child_start[a];
    }
    let mut children = vec![0usize; child_start[narms_total]];
    let mut fill = child_start.clone();
    for (g, p) in parent.iter().enumerate() {
        if let Some((p, k)) = *p {
            let a = first_arm[p] + k;
            children[fill[a]] = g;
            fill[a] += 1;
        }
    }
    // the last arms of groups without `#!endif` read all tokens to the end:
    // shapes of those suffixes, in one pass from the end
    let mut suffix_starts: Vec<usize> = (0..ngroups)
        .filter(|&g| !st.groups[g].closed)
        .map(|g| arm_range(st, g, arm_count(&st.groups[g]) - 1, tokens.len()).0)
        .collect();
    suffix_starts.sort_unstable();
    suffix_starts.dedup();
    let mut suffix: Vec<(usize, Shape)> = Vec::with_capacity(suffix_starts.len());
    let mut acc = Shape::default();
    let mut i = tokens.len();
    for &start in suffix_starts.iter().rev() {
        while i > start {
            i -= 1;
            if significant(tokens[i].kind) {
                let mut one = Shape::default();
                one.push(tokens[i].kind);
                acc = one.then(acc);
            }
        }
        suffix.push((start, acc));
    }
    suffix.reverse();

    let mut order: Vec<usize> = (0..ngroups).collect();
    order.sort_by_key(|&g| last_line(g));
    // what each decided group leaves in the arm around it
    let mut contribution = vec![Shape::default(); ngroups];
    // from here to the end, everything is inactive
    let mut dead_from = usize::MAX;
    let mut unbalanced = Vec::new();
    let mut inactive = Vec::new();
    let mut shapes = Vec::new();
    for g in order {
        let grp = &st.groups[g];
        let narms = arm_count(grp);
        shapes.clear();
        for k in 0..narms {
            let (s, e) = arm_range(st, g, k, tokens.len());
            let shape = if !grp.closed && k == narms - 1 {
                if s >= dead_from {
                    Shape::default()
                } else {
                    let at = suffix.binary_search_by_key(&s, |&(at, _)| at);
                    at.map_or_else(|_| Shape::default(), |at| suffix[at].1)
                }
            } else {
                let mut shape = Shape::default();
                let direct = |from: usize, to: usize, shape: &mut Shape| {
                    for t in &tokens[from.min(dead_from)..to.min(dead_from)] {
                        if significant(t.kind) {
                            shape.push(t.kind);
                        }
                    }
                };
                let mut at = s;
                let a = first_arm[g] + k;
                for &c in &children[child_start[a]..child_start[a + 1]] {
                    let cgrp = &st.groups[c];
                    let c_start = st.lines[cgrp.lines[0]].first;
                    let c_end = st.lines[last_line(c)].end;
                    direct(at, c_start, &mut shape);
                    shape = shape.then(contribution[c]);
                    at = c_end;
                }
                direct(at, e, &mut shape);
                shape
            };
            shapes.push(shape);
        }
        if shapes.iter().all(Shape::self_contained) {
            contribution[g] = shapes
                .iter()
                .fold(Shape::default(), |acc, &shape| acc.then(shape));
            continue;
        }
        unbalanced.push(g);
        contribution[g] = arms[g].map_or_else(Shape::default, |a| shapes[a]);
        for k in 0..narms {
            if arms[g] == Some(k) {
                continue;
            }
            let (s, e) = arm_range(st, g, k, tokens.len());
            inactive.push((s, e));
            if !grp.closed && k == narms - 1 {
                dead_from = dead_from.min(s);
            }
        }
    }
    (unbalanced, inactive)
}

/// Turn the inactive arms of unbalanced groups into `INACTIVE_CODE` tokens
/// and describe the directive structure of the resulting token stream.
pub fn process(
    tokens: Vec<Token>,
    text: &str,
    predefined: &[String],
    errors: &mut Vec<PpError>,
) -> (Vec<Token>, PpStructure) {
    let (tokens, st, _) = process_tokens(tokens, None, text, predefined, errors);
    (tokens, st)
}

/// [`process`], also returning the [`offsets`] of the resulting tokens.
/// `lexed`: the directive lines and the offsets the lexer noted while
/// making `tokens` (found in the tokens when `None`).
pub(crate) fn process_tokens(
    tokens: Vec<Token>,
    lexed: Option<(Vec<LexLine>, Vec<u32>)>,
    text: &str,
    predefined: &[String],
    errors: &mut Vec<PpError>,
) -> (Vec<Token>, PpStructure, Vec<u32>) {
    let (lines, off) = match lexed {
        Some((lines, off)) => {
            // (every parse of the tests and the fuzzers checks the lexer's
            // notes against the tokens)
            debug_assert_eq!(off, offsets(&tokens));
            debug_assert_eq!(lines, find_lines(&tokens, text, &off));
            (lines, off)
        }
        None => {
            let off = offsets(&tokens);
            (find_lines(&tokens, text, &off), off)
        }
    };
    let mut st = scan(&lines, text, Some(errors));
    if st.groups.is_empty() {
        return (tokens, st, off);
    }
    let arms = active_arms(&st, &lines, text, predefined);
    let (unbalanced, mut inactive) = unbalanced_groups(&st, &tokens, &arms);
    if unbalanced.is_empty() {
        for (g, a) in arms.into_iter().enumerate() {
            st.groups[g].active = a;
        }
        return (tokens, st, off);
    }
    let unbalanced_at: rustc_hash::FxHashSet<u32> = unbalanced
        .iter()
        .map(|&g| off[st.lines[st.groups[g].lines[0]].first])
        .collect();
    // merge runs of inactive tokens
    inactive.retain(|&(s, e)| s < e);
    inactive.sort_unstable();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    let mut runs = inactive.into_iter().peekable();
    while let Some((s, mut e)) = runs.next() {
        while let Some(&(s2, e2)) = runs.peek() {
            if s2 > e {
                break;
            }
            e = e.max(e2);
            runs.next();
        }
        let s = s.max(i);
        out.extend_from_slice(&tokens[i..s]);
        out.push(Token {
            kind: INACTIVE_CODE,
            len: off[e] - off[s],
        });
        i = e;
    }
    out.extend_from_slice(&tokens[i..]);
    let off2 = offsets(&out);
    let lines2 = find_lines(&out, text, &off2);
    let mut st2 = scan(&lines2, text, None);
    for g in 0..st2.groups.len() {
        let at = off2[st2.lines[st2.groups[g].lines[0]].first];
        st2.groups[g].balanced = !unbalanced_at.contains(&at);
    }
    let arms2 = active_arms(&st2, &lines2, text, predefined);
    for (g, a) in arms2.into_iter().enumerate() {
        st2.groups[g].active = a;
    }
    st2.has_inactive_code = true;
    (out, st2, off2)
}

/// Byte ranges of the arms that are not taken with the parse's defines
/// (errors inside them are not Kamailio's errors for this define set).
pub fn inactive_ranges(st: &PpStructure, tokens: &[Token]) -> Vec<(u32, u32)> {
    inactive_ranges_at(st, &offsets(tokens))
}

/// [`inactive_ranges`] with the tokens' [`offsets`].
pub(crate) fn inactive_ranges_at(st: &PpStructure, off: &[u32]) -> Vec<(u32, u32)> {
    let ntokens = off.len() - 1;
    let mut out = Vec::new();
    for g in 0..st.groups.len() {
        let grp = &st.groups[g];
        let narms = if grp.closed {
            grp.lines.len() - 1
        } else {
            grp.lines.len()
        };
        for k in 0..narms {
            if grp.active == Some(k) {
                continue;
            }
            let (s, e) = arm_range(st, g, k, ntokens);
            if s < e {
                out.push((off[s], off[e]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are told apart by their text when their hashes are equal.
    #[test]
    fn defs_with_equal_hashes() {
        let text = "AB";
        let mut defs = Defs::default();
        defs.insert(7, "A");
        assert!(defs.contains(7, text, 0..1));
        assert!(
            !defs.contains(7, text, 1..2),
            "B has A's hash, not its text"
        );
        assert!(!defs.contains(8, text, 0..1));
        defs.insert(7, "B");
        defs.insert(7, "B");
        assert!(defs.contains(7, text, 1..2));
        defs.remove(7, "A");
        assert!(!defs.contains(7, text, 0..1));
        assert!(defs.contains(7, text, 1..2));
        assert_eq!(name_hash(b"WITH_DEBUG"), name_hash(b"WITH_DEBUG"));
        assert_ne!(name_hash(b"WITH_DEBUG"), name_hash(b"WITH_DEBUF"));
        assert_ne!(name_hash(b"A"), name_hash(b"A\0"));
    }

    /// The directive lines, token offsets and significant tokens the lexer
    /// notes are those found in (and computed from) its tokens,
    /// lexed whole and in halves (blank lines in front move the middle over
    /// every line), also where the halves' lexers disagree about a segment
    /// (a block comment over the middle).
    #[test]
    fn lexer_lines_equal_lines_found_in_tokens() {
        let texts = [
            "#!KAMAILIO\n#!define WITH_A\n#!ifdef WITH_A\nx=1\n#!else\nx=2\n#!endif\n",
            "!!define B 1\r\n#!ifndef B\r\n  #!trydef C \\\n  continued\n#!endif \r\n",
            "include_file \"a.cfg\"\n#!undef A\n#!substdef \"/x/y/\"\n//!KAMAILIO\n#!ifdef\n",
            "/* a comment\n#!define IN_COMMENT\nstill */\n#!ifdef X\nroute{}\n#!endif\n#!define Z",
            "#!ifdef A\n#!ifdef B\n#!else\n#!endif\n#!else garbage\n#!endif\nimport_file \"b\"\n",
        ];
        for text in texts {
            for pad in 0..2 * text.len() {
                let text = "\n".repeat(pad) + text;
                for min_bytes in [usize::MAX, 0] {
                    let out = crate::lexer::tokenize_split_from(&text, min_bytes);
                    let off = offsets(&out.tokens);
                    let found = find_lines(&out.tokens, &text, &off);
                    assert!(!found.is_empty(), "{text:?}");
                    assert_eq!(out.lines, found, "{text:?} from {min_bytes}");
                    assert_eq!(out.offsets, off, "{text:?} from {min_bytes}");
                    let (tokens, st) = process(out.tokens, &text, &[], &mut Vec::new());
                    if !st.has_inactive_code {
                        let sig = crate::parser::significant(&tokens, &st);
                        assert_eq!(out.sig, sig, "{text:?} from {min_bytes}");
                    }
                }
            }
        }
    }

    fn shape_of(kinds: &[SyntaxKind]) -> Shape {
        let mut shape = Shape::default();
        for &k in kinds {
            shape.push(k);
        }
        shape
    }

    /// Joining the shapes of two stretches gives the shape of the whole, so
    /// a group can reuse the shapes of the groups inside it.
    #[test]
    fn shapes_join_like_one_pass() {
        let kinds = [
            R_PAREN, L_PAREN, IDENT, R_PAREN, R_BRACE, L_BRACE, L_BRACK, COMMA, R_BRACK, ELSE_KW,
            L_BRACE, R_BRACE, R_BRACE, L_PAREN,
        ];
        for i in 0..=kinds.len() {
            for j in i..=kinds.len() {
                let joined = shape_of(&kinds[..i])
                    .then(shape_of(&kinds[i..j]))
                    .then(shape_of(&kinds[j..]));
                assert_eq!(joined, shape_of(&kinds), "split at {i}, {j}");
            }
        }
    }

    #[test]
    fn self_contained_arms() {
        assert!(shape_of(&[]).self_contained());
        assert!(shape_of(&[IDENT, L_PAREN, R_PAREN, SEMICOLON]).self_contained());
        assert!(!shape_of(&[R_BRACE, L_BRACE]).self_contained());
        assert!(!shape_of(&[IF_KW, L_PAREN, IDENT, R_PAREN, L_BRACE]).self_contained());
        assert!(!shape_of(&[ELSE_KW, L_BRACE, R_BRACE]).self_contained());
        assert!(!shape_of(&[IDENT, PIPE2]).self_contained());
    }
}
