//! What Kamailio parses *inside* route blocks: pseudo-variables and
//! transformations (in expressions and inside string parameters),
//! assignments to read-only PVs, literal parameters that must be numbers,
//! regular expressions, xlog levels, and `event_route` names.
//!
//! Every rule mirrors a piece of Kamailio 5.6.3 and was checked against the
//! real binary (`tests/exprs_differential.rs`):
//!
//! * PVs in expressions are parsed by the cfg parser (`cfg.y` rules `pvar`
//!   and `avp_pvar` → `pv_cache_get` → `pv_locate_name` +
//!   `pv_parse_spec2`): `kamailio -c` fails with "Can't get from cache".
//!   Without a `#!KAMAILIO` marker the lexer is in "max compat" mode and a
//!   bare `$name` that is no PV silently becomes the AVP `$avp(name)`.
//! * String parameters of module functions are handed to the function's
//!   fixup only at start-up (`fix_actions`). The fixups that read PVs call
//!   `pv_parse_format` (format strings: every `$` starts a PV, `$$` is a
//!   `$`), `pv_parse_spec` (one PV), `str2sint` (numbers) or `regcomp`.
//!   Which fixup reads what is in [`param_kinds`], taken from `mod_fix.c`,
//!   `sr_module.c` and the modules' sources.
//! * `=~` with a constant right side is compiled by `fix_match_rve` at
//!   start-up with `REG_EXTENDED|REG_NOSUB|REG_ICASE`; function parameters
//!   by `fixup_regexp_*` with `REG_EXTENDED|REG_ICASE|REG_NEWLINE`. kcfg
//!   compiles them with the same POSIX `regcomp` (through `libc`).
//!   textops' `subst*` functions hand their `/re/repl/flags` parameter to
//!   `subst_parser` (`core/re.c`), which splits it at unescaped separators,
//!   parses PVs in the replacement, reads the flags `i`/`s`/`g` and
//!   compiles the regex with `REG_EXTENDED|REG_NEWLINE` (`i`: `|REG_ICASE`,
//!   `s`: without `REG_NEWLINE`); kcfg does the same ([`subst_problem`]).
//! * xlog reads only the third character of a level (`L_NOSUCH` logs at
//!   `L_NOTICE`); other levels fail at start-up.
//! * `event_route[...]`: any `word:word` name is accepted and simply never
//!   runs when no module fires it. Names only a module's documentation
//!   shows (`htable:init`), and a dynamic family without its suffix
//!   (`htable:expired` instead of `htable:expired:<table>`) never run.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::cell::Cell;

use kcfg_modules::{db, suggest, Db, KamailioVersion, PvClass};
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::pp::Directive;
use kcfg_syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

use crate::defines::{self, Const, Define, DefineOrigin, Defines};
use crate::diagnostic::{codes, FileIdx, SemaDiagnostic};
use crate::model::{RouteTable, Walker};

pub(crate) fn run(w: &mut Walker<'_>) {
    let loaded_all: Vec<&'static str> = w
        .modules
        .iter()
        .filter(|m| m.loaded)
        .filter_map(|m| m.module.map(|x| x.name))
        .collect();
    let budget = Cell::new(SUGGESTION_BUDGET);
    let mut out: Vec<(u32, SemaDiagnostic)> = Vec::new();
    let before = LoadedBefore::new(w);
    let mut memos = w.route_cache.map(|c| c.lock());
    let mut sites = match memos.as_deref_mut() {
        Some(m) => {
            // the route bodies an earlier build checked clean: the walk
            // leaves out their sites that need no check
            m.clean.start(w.options.version, &loaded_all, &before.sets);
            collect(w, Some((&mut m.sites, &mut m.clean, &before)))
        }
        None => collect(w, None),
    };
    let mut blocks = std::mem::take(&mut sites.blocks);
    // whether the check of a site of `block` with the modules of
    // `before.sets[k]` may be skipped; else what it found is noted after it
    let skip = |blocks: &[BlockSites], block: Option<u32>, k: usize| {
        block.is_some_and(|b| blocks[b as usize].clean_k == Some(k))
    };
    let note = |blocks: &mut [BlockSites], block: Option<u32>, k: usize, clean: bool| {
        if let Some(b) = block {
            let b = &mut blocks[b as usize];
            if !clean || b.k.is_some_and(|x| x != k) {
                b.dirty = true;
            }
            b.k = Some(k);
        }
    };
    for pv in &sites.pvs {
        let k = before.index(pv.seq);
        if skip(&blocks, pv.block, k) {
            continue;
        }
        let (spent, found) = (budget.get(), out.len());
        expr_pv(w, (&loaded_all, &budget, &before), pv, &mut out);
        // clean: nothing found, and no "did you mean" search (one could
        // run: the budget was not used up)
        let clean = out.len() == found && spent > 0 && budget.get() == spent;
        note(&mut blocks, pv.block, k, clean);
    }
    // the arguments earlier builds found nothing in (language server)
    let mut params = memos.as_mut().map(|m| {
        m.params.start(w.options.version, &loaded_all);
        &mut m.params
    });
    for c in &sites.calls {
        let k = before.index(w.calls[c.1.call].seq);
        if skip(&blocks, c.1.block, k) {
            continue;
        }
        let (spent, found) = (budget.get(), out.len());
        call_params(
            w,
            (&loaded_all, &budget, &before),
            c,
            &mut out,
            params.as_deref_mut(),
        );
        let clean = out.len() == found && spent > 0 && budget.get() == spent;
        note(&mut blocks, c.1.block, k, clean);
    }
    if let Some(m) = memos.as_mut() {
        m.clean.end_checks(&blocks);
    }
    drop(memos);
    for m in &sites.matches {
        match_regex(m, &mut out);
    }
    event_routes(w, &loaded_all, &sites, &mut out);
    for (seq, d) in out {
        w.report(seq, d);
    }
}

// ====================================================================
// Collecting what to check: a walk like the model's (same active arms,
// same include order), remembering the last sequence number seen so the
// findings sort where Kamailio would meet them.
// ====================================================================

/// The lexer's compatibility mode (`#!KAMAILIO`, `#!SER`, `#!MAXCOMPAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compat {
    /// default, `#!MAXCOMPAT`, `#!ALL`: a bare `$name` that is no PV is an AVP
    Max,
    /// `#!KAMAILIO`, `#!OPENSER`: every `$...` is a PV
    Kamailio,
    /// `#!SER`: `$...` are SER attributes; not checked
    Ser,
}

struct PvSite {
    file: FileIdx,
    /// the memoised route body it is in ([`Sites::blocks`])
    block: Option<u32>,
    seq: u32,
    token_range: TextRange,
    text: String,
    compat: Compat,
    /// the PV is the left side of an assignment
    assigned: bool,
}

/// A constant argument of a call: its value as Kamailio hands it to the
/// fixup, and where each byte of the value comes from (for string literals).
#[derive(Debug, Clone)]
pub(crate) struct ArgValue {
    value: String,
    range: TextRange,
    /// source offset of every byte of `value` (only for a single literal)
    offsets: Option<Vec<TextSize>>,
}

impl ArgValue {
    /// The source range of the value bytes `a..b` (the whole argument when
    /// the value does not map onto the source).
    fn sub_range(&self, a: usize, b: usize) -> TextRange {
        let Some(offs) = &self.offsets else {
            return self.range;
        };
        if a >= offs.len() || b <= a {
            return self.range;
        }
        let start = offs[a];
        let end = offs
            .get(b)
            .copied()
            .unwrap_or_else(|| self.range.end() - TextSize::from(1));
        if end <= start {
            return TextRange::new(start, start + TextSize::from(1));
        }
        TextRange::new(start, end)
    }
}

impl ArgValue {
    /// The value with its ranges made relative to `base`.
    fn shifted_back(&self, base: TextSize) -> ArgValue {
        ArgValue {
            value: self.value.clone(),
            range: self.range - base,
            offsets: self
                .offsets
                .as_ref()
                .map(|o| o.iter().map(|x| *x - base).collect()),
        }
    }

    /// The value with its relative ranges placed at `base`.
    fn shifted(&self, base: TextSize) -> ArgValue {
        ArgValue {
            value: self.value.clone(),
            range: self.range + base,
            offsets: self
                .offsets
                .as_ref()
                .map(|o| o.iter().map(|x| *x + base).collect()),
        }
    }
}

// ====================================================================
// The memo of route bodies (the language server's per-route reuse)
// ====================================================================

/// What the site walk met in a route body, with ranges relative to the
/// start of the route block, in walk order. Sequence numbers and the
/// compat mode are not stored: the replay takes them from the walk, as
/// the walk itself does.
#[derive(Debug)]
pub(crate) enum Event {
    /// a `CALL` node (its arguments as constants, whether or not the model
    /// has a call site there: the replay looks the site up)
    Call {
        range: TextRange,
        args: Vec<Option<ArgValue>>,
    },
    Pv {
        token_range: TextRange,
        text: String,
        assigned: bool,
    },
    Match {
        value: ArgValue,
    },
    Strings(Vec<String>),
}

/// The memo of the site walk.
pub(crate) type SiteMemo = crate::memo::Memo<CtxKey, Event>;

struct Recording {
    base: TextSize,
    events: Vec<Event>,
    /// the body holds something that changes the walk's context (a
    /// preprocessor directive, an include, a nested block): not memoised
    impure: bool,
}

/// The context a route body is walked in: what the walk reads besides the
/// body's own tree (the calls of the model are looked up at replay).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CtxKey {
    compat: Compat,
    defines: Vec<(String, Option<String>)>,
}

struct CallArgs {
    /// index into `w.calls`
    call: usize,
    /// the memoised route body it is in ([`Sites::blocks`])
    block: Option<u32>,
    /// `None` for an argument that is not a constant
    args: Vec<Option<ArgValue>>,
}

struct MatchSite {
    file: FileIdx,
    seq: u32,
    value: ArgValue,
}

#[derive(Default)]
struct Sites {
    pvs: Vec<PvSite>,
    calls: Vec<(FileIdx, CallArgs)>,
    matches: Vec<MatchSite>,
    /// every string literal of the active code (event route names used as
    /// function arguments or in modparams)
    strings: HashSet<String>,
    /// the route bodies walked or replayed through the memo, in walk order
    blocks: Vec<BlockSites>,
}

/// A route body of [`Sites::blocks`]: its sites are those whose `block`
/// is its index.
pub(crate) struct BlockSites {
    /// its events as the memo holds them (`None`: not memoised, such as a
    /// body holding a preprocessor directive)
    events: Option<std::sync::Arc<[Event]>>,
    compat: Compat,
    /// set when an earlier build checked the same events clean with the
    /// modules of `LoadedBefore::sets[k]`
    clean_k: Option<usize>,
    /// the `LoadedBefore` index of its sites checked in this build
    k: Option<usize>,
    /// a site checked in this build found something, spent or could not
    /// spend the "did you mean" budget, or had another `k`
    dirty: bool,
}

struct Collector<'w, 'a> {
    w: &'w Walker<'a>,
    /// the memo of route bodies, when the caller keeps one
    cache: Option<&'w mut SiteMemo>,
    /// the memo of the bodies checked clean, and the modules loaded before
    /// each point
    clean: Option<(&'w mut CleanMemo, &'w LoadedBefore)>,
    /// the interned entry context (defines, compat) of the memo; `None`
    /// after anything that may change it
    ctx_id: Option<u32>,
    /// the define table's generation when `ctx_id` was interned
    ctx_generation: u64,
    /// what the walk of the current route body met, while it is recorded
    rec: Option<Recording>,
    defines: Defines,
    compat: Compat,
    seq: u32,
    in_route: bool,
    calls: HashMap<(FileIdx, TextRange), usize>,
    routes: HashMap<(FileIdx, TextRange), usize>,
    children: HashMap<(FileIdx, TextRange), FileIdx>,
    sites: Sites,
    /// the index in `sites.blocks` of the memoised route body being walked
    /// or replayed
    block: Option<u32>,
    depth: usize,
}

fn collect<'w>(
    w: &'w Walker<'_>,
    cache: Option<(&'w mut SiteMemo, &'w mut CleanMemo, &'w LoadedBefore)>,
) -> Sites {
    let (cache, clean) = match cache {
        Some((sites, clean, before)) => (Some(sites), Some((clean, before))),
        None => (None, None),
    };
    let mut c = Collector {
        w,
        cache,
        clean,
        ctx_id: None,
        ctx_generation: 0,
        rec: None,
        defines: Defines::default(),
        compat: Compat::Max,
        seq: 0,
        in_route: false,
        calls: w
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.file, c.range), i))
            .collect(),
        routes: w
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.file, r.range), i))
            .collect(),
        children: w
            .files
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.included_from.map(|(p, r)| ((p, r), FileIdx(i))))
            .collect(),
        sites: Sites::default(),
        block: None,
        depth: 0,
    };
    for d in &w.options.defines {
        let def = defines::parse_cli_define(d);
        if !def.name.is_empty() {
            c.defines.insert(def);
        }
    }
    if let Some(f) = w.files.first() {
        let root = f.parse.syntax_node();
        c.walk_children(FileIdx(0), &root);
    }
    c.sites
}

fn first_token(node: &SyntaxNode, kind: SyntaxKind) -> Option<kcfg_syntax::SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == kind)
}

impl Collector<'_, '_> {
    fn walk_children(&mut self, file: FileIdx, node: &SyntaxNode) {
        for child in node.children() {
            self.walk(file, &child);
        }
    }

    fn walk(&mut self, file: FileIdx, node: &SyntaxNode) {
        use SyntaxKind::*;
        if matches!(
            node.kind(),
            PP_IF | PP_DEFINE | PP_UNDEF | PP_SUBST | PP_DEFENV | PP_MARKER | PP_INCLUDE
        ) {
            // the defines or the compat mode may change: a route body
            // holding such a directive is not memoised, and the context
            // of the routes after it is interned again
            self.ctx_id = None;
            if let Some(r) = &mut self.rec {
                r.impure = true;
            }
        }
        match node.kind() {
            PP_IF => self.pp_if(file, node),
            PP_DEFINE => self.pp_define(file, node),
            PP_UNDEF => {
                if let Some(t) = first_token(node, PP_NAME) {
                    self.defines.remove(t.text());
                }
            }
            PP_SUBST => {
                if let Some((name, value)) =
                    ast::PpSubst::cast(node.clone()).and_then(|s| s.defined_name_value())
                {
                    self.defines.insert(Define {
                        name,
                        value: Some(value),
                        origin: DefineOrigin::CommandLine,
                    });
                }
            }
            PP_DEFENV => {
                if let Some(body) = first_token(node, PP_BODY) {
                    let text = body.text().trim();
                    let name = text.split_once('=').map_or(text, |(n, _)| n).trim();
                    if !name.is_empty() {
                        self.defines.insert(Define {
                            name: name.to_string(),
                            value: None,
                            origin: DefineOrigin::CommandLine,
                        });
                    }
                }
            }
            PP_MARKER => {
                if let Some(t) = first_token(node, PP_KEYWORD) {
                    let word = t
                        .text()
                        .trim()
                        .trim_start_matches("#!")
                        .trim_start_matches("!!");
                    self.compat = match word {
                        "KAMAILIO" | "OPENSER" => Compat::Kamailio,
                        "SER" => Compat::Ser,
                        "MAXCOMPAT" | "ALL" => Compat::Max,
                        _ => self.compat,
                    };
                }
            }
            PP_INCLUDE => {
                let Some(&child) = self.children.get(&(file, node.text_range())) else {
                    return;
                };
                let f = &self.w.files[child.0];
                if f.included_in_route || self.depth > crate::MAX_INCLUDE_DEPTH + 1 {
                    return;
                }
                let root = f.parse.syntax_node();
                self.depth += 1;
                self.walk_children(child, &root);
                self.depth -= 1;
            }
            ROUTE_BLOCK => {
                if let Some(&i) = self.routes.get(&(file, node.text_range())) {
                    self.seq = self.seq.max(self.w.route_seqs[i]);
                }
                let prev = std::mem::replace(&mut self.in_route, true);
                if let Some(r) = &mut self.rec {
                    // a block inside a recorded body: not memoised
                    r.impure = true;
                    self.walk_children(file, node);
                } else if self.cache.is_some() {
                    self.route_body(file, node);
                } else {
                    self.walk_children(file, node);
                }
                self.in_route = prev;
            }
            MODPARAM => {
                let strings: Vec<String> = node
                    .descendants()
                    .filter_map(ast::StringLit::cast)
                    .map(|s| lit_value(&s).value)
                    .collect();
                if let Some(r) = &mut self.rec {
                    r.events.push(Event::Strings(strings.clone()));
                }
                self.sites.strings.extend(strings);
            }
            CALL if self.in_route => {
                let range = node.text_range();
                let found = self.calls.get(&(file, range)).copied();
                if found.is_some() || self.rec.is_some() {
                    let args: Vec<Option<ArgValue>> = ast::Call::cast(node.clone())
                        .map(|c| c.args().map(|a| self.const_value(&a, 0)).collect())
                        .unwrap_or_default();
                    if let Some(r) = &mut self.rec {
                        let base = r.base;
                        r.events.push(Event::Call {
                            range: range - base,
                            args: args
                                .iter()
                                .map(|a| a.as_ref().map(|a| a.shifted_back(base)))
                                .collect(),
                        });
                    }
                    if let Some(i) = found {
                        self.call_site(file, i, args);
                    }
                }
                self.walk_children(file, node);
            }
            ASSIGN_STMT if self.in_route => {
                let lhs = ast::AssignStmt::cast(node.clone()).and_then(|a| a.lhs());
                for child in node.children() {
                    let is_lhs = lhs.as_ref() == Some(&child);
                    if is_lhs && child.kind() == PV_EXPR {
                        self.pv(file, &child, true);
                    } else {
                        self.walk(file, &child);
                    }
                }
            }
            PV_EXPR if self.in_route => self.pv(file, node, false),
            BIN_EXPR if self.in_route => {
                let is_match = node
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .any(|t| t.kind() == MATCH);
                if is_match {
                    if let Some(rhs) = node.children().nth(1) {
                        if let Some(value) = self.const_value(&rhs, 0) {
                            if let Some(r) = &mut self.rec {
                                r.events.push(Event::Match {
                                    value: value.shifted_back(r.base),
                                });
                            }
                            self.sites.matches.push(MatchSite {
                                file,
                                seq: self.seq,
                                value,
                            });
                        }
                    }
                }
                self.walk_children(file, node);
            }
            _ => self.walk_children(file, node),
        }
    }

    /// A call site of the model: its arguments are checked later.
    fn call_site(&mut self, file: FileIdx, i: usize, args: Vec<Option<ArgValue>>) {
        self.seq = self.seq.max(self.w.calls[i].seq);
        for a in args.iter().flatten() {
            if !self.sites.strings.contains(&a.value) {
                self.sites.strings.insert(a.value.clone());
            }
        }
        self.sites.calls.push((
            file,
            CallArgs {
                call: i,
                block: self.block,
                args,
            },
        ));
    }

    /// The body of a route block with a memo: replayed when the same
    /// body (green node) was walked in the same context before, otherwise
    /// walked and recorded.
    fn route_body(&mut self, file: FileIdx, node: &SyntaxNode) {
        let Some(cache) = self.cache.as_deref_mut() else {
            self.walk_children(file, node);
            return;
        };
        let ctx = match self.ctx_id {
            Some(id) if self.ctx_generation == self.defines.generation() => id,
            _ => {
                let key = CtxKey {
                    compat: self.compat,
                    defines: self.defines.snapshot(),
                };
                let id = cache.intern(key);
                self.ctx_id = Some(id);
                self.ctx_generation = self.defines.generation();
                id
            }
        };
        let green = node.green().into_owned();
        let base = node.text_range().start();
        let block = self.sites.blocks.len();
        self.sites.blocks.push(BlockSites {
            events: None,
            compat: self.compat,
            clean_k: None,
            k: None,
            dirty: false,
        });
        let outer = self.block.replace(block as u32);
        if let Some(events) = cache.get(&green, ctx) {
            self.sites.blocks[block].events = Some(events.clone());
            let clean_k = match &mut self.clean {
                Some((memo, _)) => memo.known_clean(&self.sites.blocks[block]),
                None => None,
            };
            self.sites.blocks[block].clean_k = clean_k;
            self.replay(file, base, &events, clean_k);
            self.block = outer;
            return;
        }
        self.rec = Some(Recording {
            base,
            events: Vec::new(),
            impure: false,
        });
        self.walk_children(file, node);
        self.block = outer;
        let rec = self.rec.take().unwrap_or_else(|| Recording {
            base,
            events: Vec::new(),
            impure: true,
        });
        if !rec.impure {
            if let Some(cache) = self.cache.as_deref_mut() {
                self.sites.blocks[block].events = Some(cache.insert(green, ctx, rec.events));
            }
        }
    }

    /// What the walk of a memoised route body at `base` does; with
    /// `clean_k`, the body was checked clean before with the modules of
    /// `LoadedBefore::sets[k]`, and its sites with that `k` are left out.
    fn replay(&mut self, file: FileIdx, base: TextSize, events: &[Event], clean_k: Option<usize>) {
        let clean_at = |this: &Self, seq: u32| {
            clean_k.is_some() && this.clean.as_ref().map(|(_, b)| b.index(seq)) == clean_k
        };
        for e in events {
            match e {
                Event::Call { range, args } => {
                    let range = *range + base;
                    if let Some(&i) = self.calls.get(&(file, range)) {
                        if clean_at(self, self.w.calls[i].seq) {
                            // what the site means besides its check
                            self.seq = self.seq.max(self.w.calls[i].seq);
                            for a in args.iter().flatten() {
                                if !self.sites.strings.contains(&a.value) {
                                    self.sites.strings.insert(a.value.clone());
                                }
                            }
                            continue;
                        }
                        let args = args
                            .iter()
                            .map(|a| a.as_ref().map(|a| a.shifted(base)))
                            .collect();
                        self.call_site(file, i, args);
                    }
                }
                Event::Pv { .. } if clean_at(self, self.seq) => {}
                Event::Pv {
                    token_range,
                    text,
                    assigned,
                } => self.sites.pvs.push(PvSite {
                    file,
                    block: self.block,
                    seq: self.seq,
                    token_range: *token_range + base,
                    text: text.clone(),
                    compat: self.compat,
                    assigned: *assigned,
                }),
                Event::Match { value } => self.sites.matches.push(MatchSite {
                    file,
                    seq: self.seq,
                    value: value.shifted(base),
                }),
                Event::Strings(v) => self.sites.strings.extend(v.iter().cloned()),
            }
        }
    }

    fn pv(&mut self, file: FileIdx, node: &SyntaxNode, assigned: bool) {
        let Some(tok) = first_token(node, SyntaxKind::PVAR) else {
            return;
        };
        if let Some(r) = &mut self.rec {
            r.events.push(Event::Pv {
                token_range: tok.text_range() - r.base,
                text: tok.text().to_string(),
                assigned,
            });
        }
        self.sites.pvs.push(PvSite {
            file,
            block: self.block,
            seq: self.seq,
            token_range: tok.text_range(),
            text: tok.text().to_string(),
            compat: self.compat,
            assigned,
        });
    }

    /// The arms of `#!ifdef`/`#!ifndef`/`#!else` taken with the defines
    /// known now, as the model's walk takes them.
    fn pp_if(&mut self, file: FileIdx, node: &SyntaxNode) {
        let mut taking = false;
        for arm in node.children().filter(|n| n.kind() == SyntaxKind::PP_ARM) {
            let Some(dir) = arm
                .children()
                .find(|n| n.kind() == SyntaxKind::PP_DIRECTIVE)
            else {
                continue;
            };
            let Some(kw) = first_token(&dir, SyntaxKind::PP_KEYWORD) else {
                continue;
            };
            let defined = first_token(&dir, SyntaxKind::PP_NAME)
                .is_some_and(|n| self.defines.contains(n.text()));
            taking = match Directive::from_keyword(kw.text()) {
                Directive::IfDef => defined,
                Directive::IfNDef => !defined,
                Directive::IfExp => false,
                Directive::Else => !taking,
                _ => taking,
            };
            if taking {
                self.walk_children(file, &arm);
            }
        }
    }

    fn pp_define(&mut self, _file: FileIdx, node: &SyntaxNode) {
        let Some(kw) = first_token(node, SyntaxKind::PP_KEYWORD) else {
            return;
        };
        let Some(name) = first_token(node, SyntaxKind::PP_NAME) else {
            return;
        };
        let directive = Directive::from_keyword(kw.text());
        if directive == Directive::TryDef && self.defines.contains(name.text()) {
            return;
        }
        if directive == Directive::Define && self.defines.contains(name.text()) {
            // "already defined": Kamailio stops; the first value stays
            return;
        }
        let value = first_token(node, SyntaxKind::PP_BODY).map(|t| t.text().trim().to_string());
        self.defines.insert(Define {
            name: name.text().to_string(),
            value: if directive == Directive::DefExp {
                None
            } else {
                Some(value.unwrap_or_default())
            },
            origin: DefineOrigin::CommandLine,
        });
    }

    /// The value of a constant expression as Kamailio's `rval_get_str`
    /// gives it to a fixup: string literals (escapes processed), numbers,
    /// defines, and `+` of constants. `None` when not constant.
    fn const_value(&self, node: &SyntaxNode, depth: usize) -> Option<ArgValue> {
        use SyntaxKind::*;
        if depth > 64 {
            return None;
        }
        let range = node.text_range();
        match node.kind() {
            STRING_LIT => ast::StringLit::cast(node.clone()).map(|s| lit_value(&s)),
            LITERAL => {
                let toks: Vec<_> = node
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .filter(|t| !t.kind().is_trivia())
                    .collect();
                let n = match toks.as_slice() {
                    [n] if n.kind() == NUMBER => defines::parse_number(n.text())?,
                    [m, n] if m.kind() == MINUS && n.kind() == NUMBER => {
                        -defines::parse_number(n.text())?
                    }
                    _ => return None,
                };
                Some(ArgValue {
                    value: (n as i32).to_string(),
                    range,
                    offsets: None,
                })
            }
            NAME_REF => {
                let text = node.text().to_string();
                if !defines::is_identifier(&text) || !self.defines.contains(&text) {
                    return None;
                }
                let value = match self.defines.resolve_ident(&text)? {
                    Const::Str(s) => unescape(&s, TextSize::from(0)).0,
                    Const::Int(n) => (n as i32).to_string(),
                    Const::Ident(_) => return None,
                };
                Some(ArgValue {
                    value,
                    range,
                    offsets: None,
                })
            }
            PAREN_EXPR => {
                let inner = node.children().next()?;
                let mut v = self.const_value(&inner, depth + 1)?;
                v.range = range;
                Some(v)
            }
            BIN_EXPR => {
                let plus = node
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .filter(|t| !t.kind().is_trivia())
                    .all(|t| t.kind() == PLUS);
                let mut kids = node.children();
                let (l, r) = (kids.next()?, kids.next()?);
                if !plus || kids.next().is_some() {
                    return None;
                }
                // the type follows the left operand: only string + x is a
                // concatenation kcfg can evaluate
                if !matches!(l.kind(), STRING_LIT | BIN_EXPR | PAREN_EXPR) {
                    return None;
                }
                let a = self.const_value(&l, depth + 1)?;
                if a.value.parse::<i64>().is_ok() && l.kind() != STRING_LIT {
                    return None;
                }
                let b = self.const_value(&r, depth + 1)?;
                Some(ArgValue {
                    value: a.value + &b.value,
                    range,
                    offsets: None,
                })
            }
            _ => None,
        }
    }
}

/// The value of a string literal as Kamailio's lexer builds it: escapes
/// of double-quoted pieces processed, single-quoted pieces raw, adjacent
/// pieces joined. Offsets map when the literal is a single piece.
fn lit_value(s: &ast::StringLit) -> ArgValue {
    let pieces: Vec<_> = s
        .syntax()
        .children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| matches!(t.kind(), SyntaxKind::STRING | SyntaxKind::SQ_STRING))
        .collect();
    let mut value = String::new();
    let mut offsets = Vec::new();
    for t in &pieces {
        let text = t.text();
        if text.len() < 2 {
            continue;
        }
        // without the quotes (the last character of an unterminated
        // string may be a multi-byte one)
        let mut chars = text.chars();
        chars.next();
        chars.next_back();
        let inner = chars.as_str();
        let base = t.text_range().start() + TextSize::from(1);
        if t.kind() == SyntaxKind::SQ_STRING {
            value.push_str(inner);
            offsets.extend((0..inner.len()).map(|i| base + TextSize::from(i as u32)));
        } else {
            let (v, o) = unescape(inner, base);
            value.push_str(&v);
            offsets.extend(o);
        }
    }
    ArgValue {
        value,
        range: s.syntax().text_range(),
        offsets: (pieces.len() == 1).then_some(offsets),
    }
}

/// Kamailio's escapes in double-quoted strings (`cfg.lex`, state STRING1):
/// `\n \r \a \t \" \\`, `\xH[H]`, `\ooo` (2-3 octal digits), an escaped
/// newline is dropped; any other `\` stays as it is. Returns the value and
/// the source offset of each of its bytes (`base` is the offset of `s`).
fn unescape(s: &str, base: TextSize) -> (String, Vec<TextSize>) {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut offs = Vec::with_capacity(b.len());
    let at = |i: usize| base + TextSize::from(i as u32);
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            offs.push(at(i));
            i += 1;
            continue;
        }
        let c = b[i + 1];
        let simple = match c {
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b'a' => Some(0x07),
            b't' => Some(b'\t'),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            offs.push(at(i));
            i += 2;
            continue;
        }
        if c == b'x' {
            let n = b[i + 2..]
                .iter()
                .take(2)
                .take_while(|x| x.is_ascii_hexdigit())
                .count();
            if n > 0 {
                let h = std::str::from_utf8(&b[i + 2..i + 2 + n]).unwrap_or("0");
                out.push(u8::from_str_radix(h, 16).unwrap_or(0));
                offs.push(at(i));
                i += 2 + n;
                continue;
            }
        }
        let n = b[i + 1..]
            .iter()
            .take(3)
            .take_while(|x| (b'0'..=b'7').contains(x))
            .count();
        if n >= 2 {
            let o = std::str::from_utf8(&b[i + 1..i + 1 + n]).unwrap_or("0");
            out.push(u32::from_str_radix(o, 8).unwrap_or(0) as u8);
            offs.push(at(i));
            i += 1 + n;
            continue;
        }
        if c == b'\n' {
            i += 2;
            continue;
        }
        if c == b'\r' && b.get(i + 2) == Some(&b'\n') {
            i += 3;
            continue;
        }
        out.push(b'\\');
        offs.push(at(i));
        i += 1;
    }
    (String::from_utf8_lossy(&out).into_owned(), offs)
}

// ====================================================================
// Pseudo-variables as Kamailio parses them (pvapi.c)
// ====================================================================

/// `is_pv_valid_char`: the characters of a PV class name.
fn pv_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'?'
}

/// `pv_locate_name`: how many bytes of `s` (starting with `$`) the PV
/// takes. `Err` with what is wrong and where.
fn locate_name(s: &[u8]) -> Result<usize, Finding> {
    if s.len() < 2 {
        return Err(Finding::syntax(
            0,
            1,
            "a `$` at the end of the string does not start a pseudo-variable",
            "write `$$` for a literal `$`",
        ));
    }
    if s[1] == b'$' {
        return Ok(2);
    }
    if s[1] == b'(' {
        let mut n = 1;
        for (i, &c) in s.iter().enumerate().skip(2) {
            if c == b'(' {
                n += 1;
            } else if c == b')' {
                n -= 1;
            }
            if n == 0 {
                return Ok(i + 1);
            }
        }
        return Err(Finding::syntax(
            0,
            s.len(),
            "`$(` without its closing `)`",
            "close the pseudo-variable with `)`",
        ));
    }
    let mut i = 1;
    while i < s.len() && pv_name_char(s[i]) {
        i += 1;
    }
    if i >= s.len() || s[i] != b'(' {
        return Ok(i);
    }
    let mut n = 1;
    for (j, &c) in s.iter().enumerate().skip(i + 1) {
        if c == b'(' {
            n += 1;
        } else if c == b')' {
            n -= 1;
        }
        if n == 0 {
            return Ok(j + 1);
        }
    }
    Err(Finding::syntax(
        0,
        s.len(),
        "the inner name of this pseudo-variable has no closing `)`",
        "close the name with `)`",
    ))
}

/// What kind of finding: decides the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FindingKind {
    Pv,
    Transform,
}

/// A problem in a PV text, with byte offsets into that text.
#[derive(Debug, Clone)]
struct Finding {
    kind: FindingKind,
    start: usize,
    end: usize,
    message: String,
    help: Option<String>,
}

impl Finding {
    fn syntax(start: usize, end: usize, msg: &str, help: &str) -> Finding {
        Finding {
            kind: FindingKind::Pv,
            start,
            end,
            message: msg.to_string(),
            help: Some(help.to_string()),
        }
    }
    fn shifted(mut self, by: usize) -> Finding {
        self.start += by;
        self.end += by;
        self
    }
}

/// What the PV checks need to know: the version and which modules are
/// loaded at the point Kamailio parses the PV.
struct PvCx<'a> {
    db: &'static Db,
    version: KamailioVersion,
    /// modules loaded when Kamailio parses this PV
    loaded: &'a [&'static str],
    /// every module the config loads
    loaded_all: &'a [&'static str],
    /// how many more "did you mean" searches over all PV classes may run
    /// (they dominate the time of a config with thousands of unknown PVs)
    suggestions: &'a Cell<usize>,
}

/// "Did you mean" searches for unknown PVs per config.
const SUGGESTION_BUDGET: usize = 500;

/// The result of a successful parse.
struct Parsed {
    class: &'static PvClass,
    has_trans: bool,
}

impl PvCx<'_> {
    fn is_loaded(&self, m: &str) -> bool {
        m == "core" || self.loaded.contains(&m)
    }

    fn loadmodule_of(&self, m: &str) -> String {
        self.db
            .module(m)
            .map_or_else(|| format!("{m}.so"), |x| x.loadmodule.to_string())
    }

    /// The class `name` as Kamailio's `pv_lookup_spec_name` finds it.
    fn class(&self, name: &str, at: (usize, usize)) -> Result<&'static PvClass, Finding> {
        let mk = |message: String, help: Option<String>| Finding {
            kind: FindingKind::Pv,
            start: at.0,
            end: at.1,
            message,
            help,
        };
        if let Some(c) = self.db.pv_class(name).filter(|_| !name.is_empty()) {
            if c.modules.iter().any(|m| self.is_loaded(m)) {
                return Ok(c);
            }
            let m = c.modules[0];
            if c.modules.iter().any(|m| self.loaded_all.contains(m)) {
                return Err(mk(
                    format!(
                        "`${name}` is provided by module `{m}`, which is loaded only after this point"
                    ),
                    Some(format!(
                        "move `loadmodule \"{}\"` before the route blocks: Kamailio parses PVs while it reads the config",
                        self.loadmodule_of(m)
                    )),
                ));
            }
            let which = if c.modules.len() > 1 {
                format!(
                    "modules {}",
                    c.modules
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            } else {
                format!("module `{m}`")
            };
            return Err(mk(
                format!("`${name}` is provided by {which}, which is not loaded"),
                Some(format!("add `loadmodule \"{}\"`", self.loadmodule_of(m))),
            ));
        }
        if name.is_empty() {
            return Err(mk(
                "`$` is not followed by a pseudo-variable name".to_string(),
                Some("write `$$` for a literal `$`".to_string()),
            ));
        }
        let others: Vec<KamailioVersion> = KamailioVersion::ALL
            .into_iter()
            .filter(|v| *v != self.version && db(*v).pv_class(name).is_some())
            .collect();
        if let Some(v) = others.first() {
            let m = db(*v).pv_class(name).map_or("?", |c| c.modules[0]);
            return Err(mk(
                format!(
                    "`${name}` does not exist in Kamailio {}, only in {} (module `{m}`)",
                    self.version.full(),
                    others
                        .iter()
                        .map(|v| v.full())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(version_help(self.version)),
            ));
        }
        let mut help = None;
        // "$fU." / "$rU?": the name ran on into `.`/`?`
        let trimmed = name.trim_end_matches(['.', '?']);
        if trimmed.len() < name.len() && !trimmed.is_empty() && self.db.pv_class(trimmed).is_some()
        {
            help = Some(format!(
                "Kamailio reads `.` and `?` as part of a PV name: write `$({trimmed})` to end the name before `{}`",
                &name[trimmed.len()..]
            ));
        }
        if help.is_none() && self.suggestions.get() > 0 {
            self.suggestions.set(self.suggestions.get() - 1);
            let near_loaded = suggest(
                name,
                self.db
                    .pv_classes()
                    .filter(|c| c.modules.iter().any(|m| self.is_loaded(m)))
                    .map(|c| c.name),
            );
            help = match near_loaded {
                Some(s) => Some(format!("did you mean `${s}`?")),
                None => suggest(name, self.db.pv_classes().map(|c| c.name)).map(|s| {
                    let m = self.db.pv_class(s).map_or("?", |c| c.modules[0]);
                    format!("did you mean `${s}` (module `{m}`, not loaded)?")
                }),
            };
        }
        let help = help.or_else(|| {
            Some(format!(
                "no module of Kamailio {} provides it; keep values of your own in `$var(name)` or `$avp(name)`",
                self.version.full()
            ))
        });
        Err(mk(format!("unknown pseudo-variable `${name}`"), help))
    }

    /// Parse and check one PV (`text` starts with `$` and is exactly what
    /// `pv_locate_name` delimited), the way `pv_parse_spec2` does.
    fn spec(&self, text: &str, depth: usize) -> Result<Option<Parsed>, Finding> {
        let s = text.as_bytes();
        let n = s.len();
        let mut p = 1;
        let mut state = 0;
        if s.get(p) == Some(&b'(') {
            p += 1;
            state = 1;
        }
        if s.get(p) == Some(&b'$') {
            p += 1;
            if state == 1 && s.get(p) != Some(&b')') {
                return Err(Finding::syntax(0, n, "`$($` must be `$($)`", "write `$$`"));
            }
            return Ok(None);
        }
        let name_start = p;
        while p < n && pv_name_char(s[p]) {
            p += 1;
        }
        let name = &text[name_start..p];
        let name_at = (0, n);
        if state == 1 {
            match s.get(p) {
                Some(b')') => {}
                Some(b'(') => {
                    p += 1;
                    state = 2;
                }
                Some(b'[') => {
                    p += 1;
                    state = 3;
                }
                Some(b'{') => {
                    p += 1;
                    state = 4;
                }
                _ => {
                    return Err(Finding::syntax(
                        p.min(n.saturating_sub(1)),
                        n,
                        &format!("unexpected `{}` in `{text}`", char_at(text, p)),
                        "inside `$( )` a name can be followed only by `(name)`, `[index]` or `{transformation}`",
                    ));
                }
            }
        } else if s.get(p) == Some(&b'(') {
            p += 1;
            state = 5;
        }
        let class = self.class(name, name_at)?;
        let named = state == 2 || state == 5;
        if class.has_name && !named {
            return Err(Finding {
                kind: FindingKind::Pv,
                start: 0,
                end: n,
                message: format!("`${name}` needs an inner name: `${name}(name)`"),
                help: Some(format!("write it as `{}`", class.syntax)),
            });
        }
        if named {
            if !class.has_name {
                return Err(Finding {
                    kind: FindingKind::Pv,
                    start: 0,
                    end: n,
                    message: format!("`${name}` takes no inner name"),
                    help: Some(format!("write it as `${name}`")),
                });
            }
            let open = p;
            let close = matching(&s[p - 1..], b'(', b')').map(|e| p - 1 + e);
            let Some(close) = close else {
                return Err(Finding::syntax(
                    0,
                    n,
                    "the inner name has no closing `)`",
                    "close it with `)`",
                ));
            };
            if close == open {
                return Err(Finding {
                    kind: FindingKind::Pv,
                    start: 0,
                    end: n,
                    message: format!("`${name}()` has an empty inner name"),
                    help: Some(format!("write it as `{}`", class.syntax)),
                });
            }
            p = close;
            if state == 2 {
                p += 1;
                match s.get(p) {
                    Some(b')') => {
                        return Ok(Some(Parsed {
                            class,
                            has_trans: false,
                        }))
                    }
                    Some(b'[') => {
                        p += 1;
                        state = 3;
                    }
                    Some(b'{') => {
                        p += 1;
                        state = 4;
                    }
                    _ => {
                        return Err(Finding::syntax(
                            p.min(n.saturating_sub(1)),
                            n,
                            &format!("unexpected `{}` in `{text}`", char_at(text, p)),
                            "after the name only `[index]`, `{transformation}` or `)` may follow",
                        ))
                    }
                }
            } else {
                // $name(inner): done
                return Ok(Some(Parsed {
                    class,
                    has_trans: false,
                }));
            }
        }
        if state == 3 {
            if !class.has_index {
                return Err(Finding {
                    kind: FindingKind::Pv,
                    start: 0,
                    end: n,
                    message: format!("`${name}` takes no index"),
                    help: Some(if name.starts_with("xav") {
                        format!("the index goes inside the name: `${name}(name[0])`")
                    } else {
                        format!("write it as `{}`", class.syntax)
                    }),
                });
            }
            let Some(e) = matching(&s[p - 1..], b'[', b']').map(|e| p - 1 + e) else {
                return Err(Finding::syntax(
                    0,
                    n,
                    "the index has no closing `]`",
                    "close it with `]`",
                ));
            };
            if e == p {
                return Err(Finding::syntax(
                    0,
                    n,
                    "empty index `[]`",
                    "give an index: `[0]`, `[-1]`, `[*]`",
                ));
            }
            p = e + 1;
            match s.get(p) {
                Some(b')') => {
                    return Ok(Some(Parsed {
                        class,
                        has_trans: false,
                    }))
                }
                Some(b'{') => {
                    p += 1;
                    state = 4;
                }
                _ => {
                    return Err(Finding::syntax(
                        p.min(n.saturating_sub(1)),
                        n,
                        &format!("unexpected `{}` in `{text}`", char_at(text, p)),
                        "after the index only `{transformation}` or `)` may follow",
                    ))
                }
            }
        }
        if state == 4 {
            // the chain ends at the `)` that closes `$(`
            let end = n - 1;
            if s.get(end) != Some(&b')') {
                return Err(Finding::syntax(
                    0,
                    n,
                    "`$(` without its closing `)`",
                    "close it with `)`",
                ));
            }
            self.transforms(text, p - 1, end, depth)?;
            return Ok(Some(Parsed {
                class,
                has_trans: true,
            }));
        }
        Ok(Some(Parsed {
            class,
            has_trans: false,
        }))
    }

    /// `tr_lookup`: the chain `{...}{...}` in `text[start..end]`.
    fn transforms(
        &self,
        text: &str,
        start: usize,
        end: usize,
        depth: usize,
    ) -> Result<(), Finding> {
        let s = text.as_bytes();
        let mut p = start;
        loop {
            while p < end && matches!(s[p], b' ' | b'\t' | b'\n') {
                p += 1;
            }
            if p >= end {
                return Ok(());
            }
            if s[p] != b'{' {
                return Err(Finding {
                    kind: FindingKind::Transform,
                    start: p,
                    end,
                    message: format!("unexpected `{}` after a transformation", char_at(text, p)),
                    help: Some("transformations are written `{class.name,param,...}`".into()),
                });
            }
            let Some(close) = matching(&s[p..end], b'{', b'}').map(|e| p + e) else {
                return Err(Finding {
                    kind: FindingKind::Transform,
                    start: p,
                    end,
                    message: "transformation without its closing `}`".into(),
                    help: Some("close it with `}`".into()),
                });
            };
            self.transform(text, p, close + 1, depth)?;
            p = close + 1;
        }
    }

    /// One `{class.sub,params}` at `text[a..b]`.
    fn transform(&self, text: &str, a: usize, b: usize, depth: usize) -> Result<(), Finding> {
        let body = &text[a + 1..b - 1];
        let tr = &text[a..b];
        let err = |message: String, help: Option<String>| Finding {
            kind: FindingKind::Transform,
            start: a,
            end: b,
            message,
            help,
        };
        let Some(dot) = body.find('.') else {
            return Err(err(
                format!("transformation `{tr}` has no class: write `{{class.name}}`"),
                Some("e.g. `{s.len}`, `{uri.user}`".into()),
            ));
        };
        let class = &body[..dot];
        let rest = &body[dot + 1..];
        let params = split_top(rest);
        let sub = params[0].trim();
        let sub_lc = sub.to_ascii_lowercase();
        let params = &kamailio_params(class, &sub_lc, rest, &params[1..]);
        let subs = self.db.transformation_class(class);
        if subs.is_empty() {
            let others: Vec<&str> = KamailioVersion::ALL
                .into_iter()
                .filter(|v| *v != self.version && db(*v).transformation_class_exists(class))
                .map(|v| v.full())
                .collect();
            if !others.is_empty() {
                return Err(err(
                    format!(
                        "transformation class `{class}` does not exist in Kamailio {}, only in {}",
                        self.version.full(),
                        others.join(", ")
                    ),
                    Some(version_help(self.version)),
                ));
            }
            let known: Vec<&str> = self
                .db
                .transformation_classes()
                .filter(|c| {
                    self.db
                        .transformation_class(c)
                        .first()
                        .is_some_and(|t| self.is_loaded(t.module))
                })
                .collect();
            return Err(err(
                format!("unknown transformation class `{class}` in `{tr}`"),
                did_you_mean(suggest(class, self.db.transformation_classes())).or_else(|| {
                    Some(format!(
                        "the classes of the loaded modules are: {}",
                        known.join(", ")
                    ))
                }),
            ));
        }
        let module = subs[0].module;
        if !self.is_loaded(module) {
            return Err(err(
                format!(
                    "transformation class `{class}` is provided by module `{module}`, which is not loaded"
                ),
                Some(format!(
                    "add `loadmodule \"{}\"`",
                    self.loadmodule_of(module)
                )),
            ));
        }
        let Some(t) = self.db.transformation(class, &sub_lc) else {
            let others: Vec<&str> = KamailioVersion::ALL
                .into_iter()
                .filter(|v| *v != self.version && db(*v).transformation(class, &sub_lc).is_some())
                .map(|v| v.full())
                .collect();
            if !others.is_empty() {
                return Err(err(
                    format!(
                        "transformation `{{{class}.{sub}}}` does not exist in Kamailio {}, only in {}",
                        self.version.full(),
                        others.join(", ")
                    ),
                    Some(version_help(self.version)),
                ));
            }
            let help = match suggest(&sub_lc, subs.iter().map(|t| t.name)) {
                Some(s) => format!("did you mean `{{{class}.{s}}}`?"),
                None if subs.len() <= 12 => format!(
                    "class `{class}` has: {}",
                    subs.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                ),
                None => format!(
                    "the {} names of class `{class}` are in the documentation of module `{module}`",
                    subs.len()
                ),
            };
            return Err(err(
                format!("unknown transformation `{{{class}.{sub}}}`"),
                Some(help),
            ));
        };
        if t.unmatchable {
            return Err(err(
                format!(
                    "Kamailio {} cannot match `{{{class}.{sub}}}`: its parser compares the name with the wrong length",
                    self.version.full()
                ),
                Some("this transformation cannot be used in this version".into()),
            ));
        }
        let got = params.len();
        if got < usize::from(t.min_params) || got > usize::from(t.max_params) {
            let want = if t.min_params == t.max_params {
                format!("{}", t.min_params)
            } else {
                format!("{} to {}", t.min_params, t.max_params)
            };
            let plural = if t.max_params == 1 { "" } else { "s" };
            return Err(err(
                format!("`{{{class}.{sub}}}` takes {want} parameter{plural}, not {got}"),
                Some(format!(
                    "parameters follow the name, separated by commas: `{{{class}.{sub}{}}}`",
                    ",p".repeat(usize::from(t.min_params.max(1).min(t.max_params.max(1))))
                )),
            ));
        }
        // parameters that are PVs are parsed as PVs
        if depth < 8 {
            let mut off = a + 1 + dot + 1 + split_top(rest)[0].len() + 1;
            for p in params {
                let trimmed = p.trim_start();
                let lead = p.len() - trimmed.len();
                if trimmed.starts_with('$') {
                    let base = off + lead;
                    let n = locate_name(trimmed.as_bytes()).map_err(|f| f.shifted(base))?;
                    self.spec(&trimmed[..n], depth + 1)
                        .map_err(|f| f.shifted(base))?;
                }
                off += p.len() + 1;
            }
        }
        Ok(())
    }
}

fn version_help(v: KamailioVersion) -> String {
    format!(
        "the config is checked for Kamailio {} (`--kamailio-version`); use what this version has",
        v.full()
    )
}

fn char_at(text: &str, p: usize) -> String {
    text.get(p..)
        .and_then(|r| r.chars().next())
        .map_or_else(|| "end of text".to_string(), |c| c.to_string())
}

fn did_you_mean(s: Option<&str>) -> Option<String> {
    s.map(|s| format!("did you mean `{s}`?"))
}

use kcfg_syntax::pvar::{matching, split_params as split_top};

/// The parameters of a transformation as Kamailio 5.6's `pv_trans.c` reads
/// them, from the comma-split ones (`split`, slices of `rest`): the
/// separator of `{s.select,N,C}` is one raw character (`,` too, or an
/// escape `\\`, `\n`, `\r`, `\t`), and the one string parameter of
/// `{s.count,C}`, `{s.before,C}`, `{s.after,C}`, `{s.rbefore,C}`,
/// `{s.rafter,C}` and `{param.count,C}` (`_tr_parse_sparamx` with its comma
/// flag) keeps the `,` that ends it, so `{s.count,,}` counts commas.
fn kamailio_params<'a>(class: &str, sub: &str, rest: &'a str, split: &[&'a str]) -> Vec<&'a str> {
    let from = |p: &str| &rest[p.as_ptr() as usize - rest.as_ptr() as usize..];
    match (class, sub, split) {
        ("s", "select", [index, sep, more @ ..]) if !more.is_empty() => {
            let raw = from(sep);
            let c = raw.trim_end_matches([' ', '\t', '\n']);
            if c.len() == 1 || matches!(c, "\\\\" | "\\n" | "\\r" | "\\t") {
                vec![index, raw]
            } else {
                split.to_vec()
            }
        }
        ("s", "count" | "before" | "after" | "rbefore" | "rafter", [p, ""])
        | ("param", "count", [p, ""])
            if !p.trim_start().starts_with('$') =>
        {
            vec![from(p)]
        }
        _ => split.to_vec(),
    }
}

/// The first problem of a format string (`pv_parse_format`: Kamailio
/// stops at the first one), with byte offsets into `value`.
fn format_string(cx: &PvCx<'_>, value: &str) -> Option<Finding> {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let n = match locate_name(&b[i..]) {
            Ok(n) => n,
            Err(f) => return Some(f.shifted(i)),
        };
        if let Err(f) = cx.spec(&value[i..i + n], 0) {
            return Some(f.shifted(i));
        }
        i += n;
    }
    None
}

/// One PV spec (`pv_parse_spec`) given as a whole parameter.
fn single_pv(cx: &PvCx<'_>, value: &str) -> Option<Finding> {
    let t = value.trim();
    let lead = value.len() - value.trim_start().len();
    let n = match locate_name(t.as_bytes()) {
        Ok(n) => n,
        Err(f) => return Some(f.shifted(lead)),
    };
    cx.spec(&t[..n], 0).err().map(|f| f.shifted(lead))
}

// ====================================================================
// PVs in expressions (kamailio -c)
// ====================================================================

/// The modules loaded before each point of the config: built once per
/// build (the sets change only at `loadmodule` statements), looked up per
/// site.
pub(crate) struct LoadedBefore {
    /// sequence numbers of the modules that are loaded, sorted
    seqs: Vec<u32>,
    /// `sets[k]`: the modules (in `w.modules` order) loaded before a point
    /// that follows `k` of them
    sets: Vec<Vec<&'static str>>,
}

impl LoadedBefore {
    pub(crate) fn new(w: &Walker<'_>) -> LoadedBefore {
        let mut seqs: Vec<u32> = w
            .modules
            .iter()
            .filter(|m| m.loaded && m.module.is_some())
            .map(|m| m.seq)
            .collect();
        seqs.sort_unstable();
        seqs.dedup();
        // a point after `k` of them: the modules at or before the k-th
        let upto = |last: u32| -> Vec<&'static str> {
            w.modules
                .iter()
                .filter(|m| m.loaded && m.seq <= last)
                .filter_map(|m| m.module.map(|x| x.name))
                .collect()
        };
        let mut sets = vec![Vec::new()];
        sets.extend(seqs.iter().map(|&s| upto(s)));
        LoadedBefore { seqs, sets }
    }

    /// The modules loaded when Kamailio reads the item with sequence `seq`.
    pub(crate) fn at(&self, seq: u32) -> &[&'static str] {
        &self.sets[self.index(seq)]
    }

    /// The index in `sets` of [`LoadedBefore::at`].
    pub(crate) fn index(&self, seq: u32) -> usize {
        self.seqs.partition_point(|&s| s < seq)
    }
}

fn expr_pv(
    w: &Walker<'_>,
    (loaded_all, suggestions, before): (&[&'static str], &Cell<usize>, &LoadedBefore),
    pv: &PvSite,
    out: &mut Vec<(u32, SemaDiagnostic)>,
) {
    let text = pv.text.as_str();
    if pv.compat == Compat::Ser || !text.starts_with('$') || text == "$" {
        return;
    }
    let bare = !text.starts_with("$(") && !text.contains('(');
    // SER AVP syntax the lexer reads as attributes: `$f.x`, `$x[1]`
    if bare && (text.contains('.') || text.contains('[')) {
        return;
    }
    let loaded = before.at(pv.seq);
    let cx = PvCx {
        db: w.db,
        version: w.options.version,
        loaded,
        loaded_all,
        suggestions,
    };
    let b = text.as_bytes();
    let res = locate_name(b).and_then(|n| cx.spec(&text[..n.min(text.len())], 0));
    let base = pv.token_range.start();
    let range_of = |f: &Finding| {
        let s = f.start.min(text.len());
        let e = f.end.clamp(s, text.len());
        if e > s {
            TextRange::new(
                base + TextSize::from(s as u32),
                base + TextSize::from(e as u32),
            )
        } else {
            pv.token_range
        }
    };
    match res {
        Err(f) if bare && pv.compat == Compat::Max => {
            // a name that is no PV anywhere is an AVP on purpose (SER style)
            let name = &text[1..];
            if !KamailioVersion::ALL
                .into_iter()
                .any(|v| db(v).pv_class(name).is_some())
            {
                return;
            }
            let d = SemaDiagnostic::new(
                codes::PV_READ_AS_AVP,
                pv.file,
                pv.token_range,
                format!(
                    "`{text}` is not a pseudo-variable here, so Kamailio reads it as the AVP `$avp({name})`: {}",
                    lowercase_first(&f.message)
                ),
            )
            .with_help(match f.help {
                Some(h) => format!("{h}; write `$avp({name})` if an AVP is meant (with `#!KAMAILIO` at the top Kamailio rejects unknown names)"),
                None => format!("write `$avp({name})` if an AVP is meant (with `#!KAMAILIO` at the top Kamailio rejects unknown names)"),
            });
            out.push((pv.seq, d));
        }
        Err(f) => {
            let code = match f.kind {
                FindingKind::Pv => codes::UNKNOWN_PV,
                FindingKind::Transform => codes::UNKNOWN_TRANSFORMATION,
            };
            let d = SemaDiagnostic::new(code, pv.file, range_of(&f), f.message.clone())
                .with_help_opt(f.help.clone());
            out.push((pv.seq, d));
        }
        Ok(Some(p)) if pv.assigned => {
            if !p.class.settable {
                let d = SemaDiagnostic::new(
                    codes::READ_ONLY_PV,
                    pv.file,
                    pv.token_range,
                    format!("`${}` is read-only: it cannot be assigned", p.class.name),
                )
                .with_help(read_only_help(p.class.name));
                out.push((pv.seq, d));
            } else if p.has_trans {
                let d = SemaDiagnostic::new(
                    codes::READ_ONLY_PV,
                    pv.file,
                    pv.token_range,
                    format!("`{text}` has transformations: a PV with transformations cannot be assigned"),
                )
                .with_help("assign the PV without the transformations and apply them where the value is read");
                out.push((pv.seq, d));
            }
        }
        Ok(_) => {}
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// How to change what a read-only PV shows.
fn read_only_help(class: &str) -> String {
    match class {
        "rm" | "ci" | "si" | "sp" | "pr" | "proto" | "rv" | "cs" | "ua" | "rb" | "ml" | "Ri"
        | "Rp" => {
            "it shows a part of the received message or connection; keep a modified copy in a `$var(...)`".to_string()
        }
        _ => "keep the value in a `$var(...)` or `$avp(...)` instead".to_string(),
    }
}

// ====================================================================
// String parameters of module functions (start-up fixups)
// ====================================================================

/// The arguments of module functions whose check found nothing, kept
/// across builds of one config (the language server's reuse, issue #7):
/// the check of a constant argument ([`check_param`]) reads the function's
/// name, the argument's place and count, its parameter kind and value, the
/// Kamailio version and the modules the config loads, and nothing else
/// (ranges only go into findings); the "did you mean" budget changes only
/// what a finding says, and an argument whose check spent some of it, or
/// was checked with none of it left, is not kept. Holds the arguments the last build checked.
#[derive(Default)]
pub(crate) struct ParamMemo {
    /// the version and the loaded modules the entries hold for
    ctx: Option<(KamailioVersion, Vec<&'static str>)>,
    /// `name \0 index \0 count \0 value` → the parameter kinds it was
    /// clean for, and the last build that met it
    clean: rustc_hash::FxHashMap<String, (Vec<Param>, u32)>,
    /// the current build
    build: u32,
    /// the key of the last [`ParamMemo::known_clean`] question
    key: String,
    kind: Option<Param>,
    /// how many argument checks were skipped
    pub hits: usize,
}

impl ParamMemo {
    /// Start a build in this context (entries of another are dropped).
    fn start(&mut self, version: KamailioVersion, loaded: &[&'static str]) {
        if self
            .ctx
            .as_ref()
            .is_none_or(|(v, l)| *v != version || l != loaded)
        {
            self.clean.clear();
            self.ctx = Some((version, loaded.to_vec()));
        }
    }

    /// Whether this argument was checked clean before (also remembers the
    /// question for [`ParamMemo::insert_clean`]).
    fn known_clean(&mut self, fname: &str, i: usize, n: usize, kind: Param, value: &str) -> bool {
        fn number(s: &mut String, mut x: usize) {
            let mut digits = [0u8; 20];
            let mut k = digits.len();
            loop {
                k -= 1;
                digits[k] = b'0' + (x % 10) as u8;
                x /= 10;
                if x == 0 {
                    break;
                }
            }
            s.extend(digits[k..].iter().map(|&d| char::from(d)));
        }
        self.key.clear();
        self.key.push_str(fname);
        self.key.push('\0');
        number(&mut self.key, i);
        self.key.push('\0');
        number(&mut self.key, n);
        self.key.push('\0');
        self.key.push_str(value);
        self.kind = Some(kind);
        match self.clean.get_mut(self.key.as_str()) {
            Some((kinds, used)) if kinds.contains(&kind) => {
                *used = self.build;
                self.hits += 1;
                true
            }
            _ => false,
        }
    }

    /// Remember the last question's argument as clean.
    fn insert_clean(&mut self) {
        let Some(kind) = self.kind.take() else { return };
        let build = self.build;
        let entry = match self.clean.get_mut(self.key.as_str()) {
            Some(e) => e,
            None => self
                .clean
                .entry(self.key.clone())
                .or_insert_with(|| (Vec::new(), build)),
        };
        entry.1 = build;
        if !entry.0.contains(&kind) {
            entry.0.push(kind);
        }
    }

    /// Keep what this build met, drop the rest.
    pub(crate) fn end_build(&mut self) {
        let build = self.build;
        self.clean.retain(|_, (_, used)| *used == build);
        self.build = self.build.wrapping_add(1);
    }
}

/// The route bodies whose PV and argument checks found nothing, kept
/// across builds of one config (the language server's reuse, issue #7).
/// A body is known by its events in the site memo ([`SiteMemo`]): the same
/// `Arc` means the same sites (PV texts, constant arguments, calls) walked
/// in the same context (defines, compat mode), and the model walk, whose
/// call sites the checks read, is a function of the same tree and
/// defines. The checks of those sites read besides only the Kamailio
/// version, the loaded modules (all of them, and those loaded before the
/// site: `LoadedBefore::sets[k]`, kept with the entry) and the "did you
/// mean" budget, which a clean site did not touch although it could. Holds
/// the bodies the last build met; an entry keeps its events alive, so
/// their address cannot name other events while it exists.
#[derive(Default)]
pub(crate) struct CleanMemo {
    /// the version, the loaded modules and `LoadedBefore::sets` the
    /// entries hold for
    ctx: Option<CleanCtx>,
    /// the address of a body's events → (the events, the compat mode, `k`,
    /// the last build that met it)
    clean: rustc_hash::FxHashMap<usize, CleanEntry>,
    /// the current build
    build: u32,
    /// how many bodies' checks were skipped
    pub hits: usize,
}

/// The version, the loaded modules and `LoadedBefore::sets` of a [`CleanMemo`].
type CleanCtx = (KamailioVersion, Vec<&'static str>, Vec<Vec<&'static str>>);

/// A body's events, its compat mode, `k`, and the last build that met it.
type CleanEntry = (std::sync::Arc<[Event]>, Compat, usize, u32);

fn events_key(events: &std::sync::Arc<[Event]>) -> usize {
    std::sync::Arc::as_ptr(events).cast::<()>() as usize
}

impl CleanMemo {
    /// Start a build in this context (entries of another are dropped).
    fn start(
        &mut self,
        version: KamailioVersion,
        loaded: &[&'static str],
        sets: &[Vec<&'static str>],
    ) {
        if self
            .ctx
            .as_ref()
            .is_none_or(|(v, l, s)| *v != version || l != loaded || s != sets)
        {
            self.clean.clear();
            self.ctx = Some((version, loaded.to_vec(), sets.to_vec()));
        }
    }

    /// The `k` of a body checked clean before (marks it met by this build).
    fn known_clean(&mut self, b: &BlockSites) -> Option<usize> {
        let events = b.events.as_ref()?;
        let (_, compat, k, used) = self.clean.get_mut(&events_key(events))?;
        if *compat != b.compat {
            return None;
        }
        *used = self.build;
        Some(*k)
    }

    /// After the checks: remember the bodies whose checked sites were all
    /// clean (count the skipped ones).
    fn end_checks(&mut self, blocks: &[BlockSites]) {
        // a body met twice (equal routes share their green node) is kept
        // only when clean at every place
        let mut dirty: HashSet<usize> = HashSet::default();
        for b in blocks {
            if let Some(e) = &b.events {
                if b.clean_k.is_none() && (b.dirty || b.k.is_none()) {
                    dirty.insert(events_key(e));
                }
            }
        }
        for b in blocks {
            let Some(e) = &b.events else { continue };
            let key = events_key(e);
            if b.clean_k.is_some() {
                self.hits += 1;
            } else if let (Some(k), false) = (b.k, dirty.contains(&key)) {
                self.clean.insert(key, (e.clone(), b.compat, k, self.build));
            }
        }
        for key in dirty {
            self.clean.remove(&key);
        }
    }

    /// Keep what this build met, drop the rest.
    pub(crate) fn end_build(&mut self) {
        let build = self.build;
        self.clean.retain(|_, e| e.3 == build);
        self.build = self.build.wrapping_add(1);
    }
}

/// What a fixup does with one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Param {
    /// not checked
    Any,
    /// `pv_parse_format`: a format string
    Fmt,
    /// `fixup_var_pve_str_*`: PV, AVP, select or format string
    FmtOrVar,
    /// `FPARAM_INT|FPARAM_PVS` (igp): a number or one PV
    IntOrPv,
    /// `FPARAM_INT`: a signed number (`str2sint`)
    Int,
    /// `str2int`: an unsigned number
    UInt,
    /// `fixup_var_int_*`: PV, AVP, select, or a number
    VarInt,
    /// `FPARAM_PVS`: one PV
    Pv,
    /// `regcomp` with these flags
    Regex(RegexFlags),
    /// `fixup_t_check_status`: PV, AVP, select, or a regex
    VarRegex,
    /// `fixup_substre`: a `/re/repl/flags` substitution (`subst_parser`)
    Subst,
    /// xlog's level
    Level,
    /// xlog's syslog facility
    Facility,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegexFlags {
    /// `REG_EXTENDED|REG_ICASE|REG_NEWLINE` (`fixup_regexp_null`, `FPARAM_REGEX`)
    Fixup,
    /// `REG_EXTENDED|REG_ICASE` (`fixup_regexpNL_none`)
    NoNewline,
    /// `REG_EXTENDED|REG_NOSUB|REG_ICASE` (`=~`)
    Match,
    /// `subst_parser`: `REG_EXTENDED|REG_NEWLINE`, `|REG_ICASE` with flag
    /// `i`, without `REG_NEWLINE` with flag `s`
    Subst { icase: bool, newline: bool },
}

/// The parameter kinds of a fixup, by parameter number (1-based → index
/// 0), for a function with `n` parameters. `None` for fixups kcfg does not
/// know (their parameters are not checked). Read from Kamailio 5.6.3:
/// `core/mod_fix.c`, `core/sr_module.c`, and the modules named.
fn param_kinds(fixup: &str, n: usize) -> Option<Vec<Param>> {
    use Param::*;
    let all = |p: Param| vec![p; n];
    let re = Regex(RegexFlags::Fixup);
    Some(match fixup {
        // mod_fix.c: FIXUP_F_SPVE_T and friends
        "fixup_spve_null" => vec![Fmt],
        "fixup_spve_spve" => vec![Fmt, Fmt],
        "fixup_spve_all" | "fixup_vstr_all" => all(Fmt),
        "fixup_spve_igp" => vec![Fmt, IntOrPv],
        "fixup_spve_spve_igp" | "fixup_ssi" => vec![Fmt, Fmt, IntOrPv],
        "fixup_sssi" => vec![Fmt, Fmt, Fmt, IntOrPv],
        "fixup_ssii" => vec![Fmt, Fmt, IntOrPv, IntOrPv],
        "fixup_spve_pvar" => vec![Fmt, Pv],
        "fixup_spve_str" => vec![Fmt, Any],
        "fixup_spve_uint" => vec![Fmt, Int],
        "fixup_none_spve" => vec![Any, Fmt],
        "fixup_igp_null" => vec![IntOrPv],
        "fixup_igp_igp" => vec![IntOrPv, IntOrPv],
        "fixup_igp_all" => all(IntOrPv),
        "fixup_igp_spve" => vec![IntOrPv, Fmt],
        "fixup_igp_pvar" => vec![IntOrPv, Pv],
        "fixup_igp_pvar_pvar" => vec![IntOrPv, Pv, Pv],
        "fixup_igp_regexp" => vec![IntOrPv, re],
        "fixup_regexp_null" => vec![re],
        "fixup_regexp_regexp" => vec![re, re],
        "fixup_uint_null" => vec![UInt],
        "fixup_uint_uint" => vec![UInt, UInt],
        "fixup_pvar_null" | "fixup_pvar_none" | "fixup_pvar_str" | "fixup_pvar_str_str" => {
            vec![Pv]
        }
        "fixup_pvar_pvar" => vec![Pv, Pv],
        "fixup_pvar_pvar_pvar" => vec![Pv, Pv, Pv],
        "fixup_pvar_all" => all(Pv),
        "fixup_pvar_uint" => vec![Pv, UInt],
        // sr_module.c
        "fixup_int_1" => vec![Int],
        "fixup_int_2" => vec![Any, Int],
        "fixup_int_12" => vec![Int, Int],
        "fixup_var_int_1" => vec![VarInt],
        "fixup_var_int_2" => vec![Any, VarInt],
        "fixup_var_int_12" => vec![VarInt, VarInt],
        "fixup_var_pve_12" => vec![Fmt, Fmt],
        "fixup_var_pve_str_1" => vec![FmtOrVar],
        "fixup_var_pve_str_2" => vec![Any, FmtOrVar],
        "fixup_var_pve_str_12" => vec![FmtOrVar, FmtOrVar],
        "fixup_regex_1" => vec![re],
        "fixup_regex_2" => vec![Any, re],
        "fixup_regex_12" => vec![re, re],
        // textops.c
        "fixup_regexp_none" => vec![re, Any],
        "fixup_regexpNL_none" => vec![Regex(RegexFlags::NoNewline), Any],
        "fixup_substre" => vec![Subst],
        "fixup_subst_hf" => vec![Any, Subst, Any],
        "add_header_fixup" => vec![Fmt, Any],
        // xlog.c
        "xdbg_fixup" | "xdbgl_fixup" => vec![Fmt],
        "xlog_fixup" | "xlogl_fixup" => vec![Level, Fmt],
        "xlog3_fixup" | "xlogl3_fixup" => vec![Facility, Level, Fmt],
        // sl.c: code, reason
        "fixup_sl_reply" => vec![VarInt, FmtOrVar],
        // tm.c
        "fixup_t_reply" => vec![VarInt, Any],
        "fixup_t_check_status" => vec![VarRegex],
        // rr_mod.c
        "it_list_fixup" => all(Fmt),
        // sqlops.c: connection, query, result
        "fixup_sql_query" => vec![Any, Fmt, Any],
        _ => return None,
    })
}

/// Functions whose first parameter is a SIP reply code.
const REPLY_FUNCTIONS: &[&str] = &[
    "sl_send_reply",
    "sl_reply",
    "send_reply",
    "t_reply",
    "t_send_reply",
];

/// xlog's levels by the third character (`xlog_fixup_helper`).
const XLOG_LEVELS: &[(u8, &str)] = &[
    (b'A', "L_ALERT"),
    (b'B', "L_BUG"),
    (b'C', "L_CRIT2"),
    (b'E', "L_ERR"),
    (b'W', "L_WARN"),
    (b'N', "L_NOTICE"),
    (b'I', "L_INFO"),
    (b'D', "L_DBG"),
];

/// The level names xlog documents.
const XLOG_LEVEL_NAMES: &[&str] = &[
    "L_ALERT", "L_BUG", "L_CRIT2", "L_CRIT", "L_ERR", "L_WARN", "L_NOTICE", "L_INFO", "L_DBG",
];

/// `str2facility` (core/dprint.c), compared case-insensitively.
const FACILITIES: &[&str] = &[
    "LOG_AUTH",
    "LOG_CRON",
    "LOG_DAEMON",
    "LOG_KERN",
    "LOG_LOCAL0",
    "LOG_LOCAL1",
    "LOG_LOCAL2",
    "LOG_LOCAL3",
    "LOG_LOCAL4",
    "LOG_LOCAL5",
    "LOG_LOCAL6",
    "LOG_LOCAL7",
    "LOG_LPR",
    "LOG_MAIL",
    "LOG_NEWS",
    "LOG_USER",
    "LOG_UUCP",
    "LOG_AUTHPRIV",
    "LOG_FTP",
    "LOG_SYSLOG",
];

/// `str2sint`: optional sign and digits, in `int` range (an empty string
/// is 0).
fn str2sint(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    let v: i64 = digits.parse().ok()?;
    let v = if neg { -v } else { v };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&v)
        .then_some(v)
}

/// `str2int`: optional `+` and digits, in `unsigned int` range.
fn str2uint(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    digits
        .parse::<u64>()
        .ok()
        .filter(|v| *v <= u64::from(u32::MAX))
}

/// Why a literal is no number, and how to write it.
fn number_help(v: &str) -> String {
    let t = v.trim();
    if t != v && str2sint(t).is_some() {
        return format!("remove the spaces: `\"{t}\"`");
    }
    if let Some(n) = defines::parse_number(t).filter(|_| t.len() > 1) {
        return format!("write it in decimal: `{n}`");
    }
    "give a decimal number, or a pseudo-variable holding one".to_string()
}

fn call_params(
    w: &Walker<'_>,
    (loaded_all, suggestions, before): (&[&'static str], &Cell<usize>, &LoadedBefore),
    (file, c): &(FileIdx, CallArgs),
    out: &mut Vec<(u32, SemaDiagnostic)>,
    mut memo: Option<&mut ParamMemo>,
) {
    let site = &w.calls[c.call];
    if site.is_route_kw || site.route.is_none() {
        return;
    }
    let Some(n) = site.nargs.filter(|n| *n == c.args.len()) else {
        return;
    };
    if w.db.core_action(site.name()).is_some() {
        return;
    }
    let loaded = before.at(site.seq);
    let variants: Vec<_> =
        w.db.functions(site.name())
            .iter()
            .filter(|v| loaded.contains(&v.module) && v.accepts_nargs(n))
            .collect();
    let Some(first) = variants.first() else {
        return;
    };
    // several modules with the same function: only when they agree
    let kinds = first.fixup.and_then(|f| param_kinds(f, n));
    if variants
        .iter()
        .any(|v| v.fixup.and_then(|f| param_kinds(f, n)) != kinds)
    {
        return;
    }
    let Some(kinds) = kinds else {
        return;
    };
    let cx = PvCx {
        db: w.db,
        version: w.options.version,
        loaded: loaded_all,
        loaded_all,
        suggestions,
    };
    let fname = site.name();
    for (i, arg) in c.args.iter().enumerate() {
        let Some(arg) = arg else {
            continue;
        };
        let kind = kinds.get(i).copied().unwrap_or(Param::Any);
        if let Some(m) = memo.as_deref_mut() {
            if m.known_clean(fname, i, n, kind, &arg.value) {
                continue;
            }
        }
        let budget = suggestions.get();
        let found = check_param(&cx, fname, i, n, kind, arg, *file);
        // nothing found and no "did you mean" search spent while some of
        // the budget was left (with none left, a check that would spend
        // some cannot show it): the same argument finds nothing in this
        // context again and spends nothing
        if found.is_none() && budget > 0 && suggestions.get() == budget {
            if let Some(m) = memo.as_deref_mut() {
                m.insert_clean();
            }
        }
        if let Some(d) = found {
            let error = d.severity == crate::Severity::Error;
            out.push((site.seq, d));
            // Kamailio stops at the first parameter that fails
            if error {
                return;
            }
        }
    }
}

/// "the parameter of `f`" / "parameter 2 of `f`", written when a finding
/// needs it.
struct Which<'a> {
    fname: &'a str,
    i: usize,
    n: usize,
}

impl std::fmt::Display for Which<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.n == 1 {
            write!(f, "the parameter of `{}`", self.fname)
        } else {
            write!(f, "parameter {} of `{}`", self.i + 1, self.fname)
        }
    }
}

fn check_param(
    cx: &PvCx<'_>,
    fname: &str,
    i: usize,
    n: usize,
    kind: Param,
    arg: &ArgValue,
    file: FileIdx,
) -> Option<SemaDiagnostic> {
    let v = arg.value.as_str();
    // written only into findings (most arguments have none)
    let which = Which { fname, i, n };
    let pv_finding = |f: Finding, what: &str| -> SemaDiagnostic {
        let range = arg.sub_range(f.start, f.end);
        let place = if what == "format" {
            if n == 1 {
                format!("the format string of `{fname}`")
            } else {
                format!("the format string in parameter {} of `{fname}`", i + 1)
            }
        } else {
            which.to_string()
        };
        SemaDiagnostic::new(
            codes::BAD_PV_IN_STRING,
            file,
            range,
            format!("in {place}: {}", f.message),
        )
        .with_help_opt(Some(match f.help {
            Some(h) => {
                format!("{h}; Kamailio parses this string only when it starts, and then fails")
            }
            None => "Kamailio parses this string only when it starts, and then fails".to_string(),
        }))
    };
    let literal = |message: String, help: String| -> SemaDiagnostic {
        SemaDiagnostic::new(codes::INVALID_LITERAL_PARAM, file, arg.range, message)
            .with_help(format!("{help}; Kamailio fails at start-up"))
    };
    let is_var = |s: &str| s.starts_with('$') || s.starts_with('@');
    match kind {
        Param::Any => None,
        Param::Fmt => format_string(cx, v).map(|f| pv_finding(f, "format")),
        Param::FmtOrVar => {
            if is_var(v.trim_start()) {
                return None;
            }
            format_string(cx, v).map(|f| pv_finding(f, "format"))
        }
        Param::IntOrPv => {
            if v.trim_start().starts_with('$') {
                return single_pv(cx, v).map(|f| pv_finding(f, "a number or a pseudo-variable"));
            }
            if let Some(x) = str2sint(v) {
                return reply_code(fname, i, x, arg, file);
            }
            Some(literal(
                format!("{which} must be a number or a pseudo-variable, not `\"{v}\"`"),
                number_help(v),
            ))
        }
        Param::Int | Param::UInt => {
            let ok = if kind == Param::Int {
                str2sint(v).is_some()
            } else {
                str2uint(v).is_some()
            };
            if ok {
                return None;
            }
            let what = if kind == Param::Int {
                "a number"
            } else {
                "a non-negative number"
            };
            Some(literal(
                format!("{which} must be {what}, not `\"{v}\"`"),
                number_help(v),
            ))
        }
        Param::VarInt => {
            if is_var(v) {
                return None;
            }
            match str2sint(v) {
                Some(x) => reply_code(fname, i, x, arg, file),
                None => Some(literal(
                    format!("{which} must be a number or a pseudo-variable, not `\"{v}\"`"),
                    number_help(v),
                )),
            }
        }
        Param::Pv => {
            if !v.trim_start().starts_with('$') {
                return Some(literal(
                    format!("{which} must be a pseudo-variable, not `\"{v}\"`"),
                    "give a pseudo-variable such as `\"$var(x)\"` or `\"$avp(x)\"`".to_string(),
                ));
            }
            single_pv(cx, v).map(|f| pv_finding(f, "a pseudo-variable"))
        }
        Param::Regex(flags) => {
            regex_problem(v, flags).map(|e| invalid_regex(arg, file, &which, &e))
        }
        Param::VarRegex => {
            if is_var(v.trim_start()) {
                return None;
            }
            regex_problem(v, RegexFlags::Fixup).map(|e| invalid_regex(arg, file, &which, &e))
        }
        Param::Subst => match subst_problem(cx, v)? {
            SubstProblem::Pv(f) => Some(pv_finding(f, "the replacement")),
            SubstProblem::Syntax {
                start,
                end,
                message,
                help,
            } => Some(
                SemaDiagnostic::new(
                    codes::INVALID_REGEX,
                    file,
                    arg.sub_range(start, end),
                    format!(
                        "invalid substitution `{}` in {which}: {message}",
                        v.escape_debug()
                    ),
                )
                .with_help(format!(
                    "{help}; Kamailio fails at start-up (\"bad subst. re\")"
                )),
            ),
            SubstProblem::Regex { start, end, err } => {
                let re = &v[start..end];
                Some(
                    SemaDiagnostic::new(
                        codes::INVALID_REGEX,
                        file,
                        arg.sub_range(start, end),
                        format!(
                            "invalid regular expression `{}` in the substitution of {which}: {err}",
                            re.escape_debug()
                        ),
                    )
                    .with_help(format!(
                        "{}; Kamailio fails at start-up (\"bad subst. re\")",
                        regex_hint(re, &err)
                    )),
                )
            }
        },
        Param::Level => xlog_level(cx, v, arg, file, &which, &pv_finding),
        Param::Facility => {
            if FACILITIES.iter().any(|f| f.eq_ignore_ascii_case(v)) {
                return None;
            }
            Some(literal(
                format!("{which} must be a syslog facility, not `\"{v}\"`"),
                did_you_mean(suggest(&v.to_ascii_uppercase(), FACILITIES.iter().copied()))
                    .unwrap_or_else(|| {
                        "use one of LOG_LOCAL0..LOG_LOCAL7, LOG_USER, LOG_DAEMON, ...".into()
                    }),
            ))
        }
    }
}

/// A reply code outside 100..699: Kamailio sends it as it is.
fn reply_code(
    fname: &str,
    i: usize,
    code: i64,
    arg: &ArgValue,
    file: FileIdx,
) -> Option<SemaDiagnostic> {
    if i != 0 || !REPLY_FUNCTIONS.contains(&fname) || (100..=699).contains(&code) {
        return None;
    }
    Some(
        SemaDiagnostic::new(
            codes::REPLY_CODE_OUT_OF_RANGE,
            file,
            arg.range,
            format!("`{code}` is not a SIP reply code: `{fname}` needs a code from 100 to 699"),
        )
        .with_help("Kamailio does not check it and sends an invalid status line"),
    )
}

fn xlog_level(
    cx: &PvCx<'_>,
    v: &str,
    arg: &ArgValue,
    file: FileIdx,
    which: &Which<'_>,
    pv_finding: &dyn Fn(Finding, &str) -> SemaDiagnostic,
) -> Option<SemaDiagnostic> {
    let b = v.as_bytes();
    if b.len() < 2 {
        return Some(
            SemaDiagnostic::new(
                codes::INVALID_LITERAL_PARAM,
                file,
                arg.range,
                format!("`\"{v}\"` is not a log level in {which}"),
            )
            .with_help("use L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO or L_DBG, or a pseudo-variable holding a level number; Kamailio fails at start-up"),
        );
    }
    if b[0] == b'$' {
        return single_pv(cx, v).map(|f| pv_finding(f, "a log level"));
    }
    // the "did you mean" search only runs for a level that is reported
    let near = || {
        suggest(v, XLOG_LEVEL_NAMES.iter().copied())
            .or_else(|| suggest(&v.to_ascii_uppercase(), XLOG_LEVEL_NAMES.iter().copied()))
    };
    let Some((_, level)) = XLOG_LEVELS.iter().find(|(c, _)| b.get(2) == Some(c)) else {
        return Some(
            SemaDiagnostic::new(
                codes::INVALID_LITERAL_PARAM,
                file,
                arg.range,
                format!("unknown log level `\"{v}\"` in {which}"),
            )
            .with_help(format!(
                "{}Kamailio reads the third character of the level and fails at start-up",
                near().map_or_else(
                    || "use L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO or L_DBG; "
                        .to_string(),
                    |s| format!("did you mean `{s}`? ")
                )
            )),
        );
    };
    if XLOG_LEVEL_NAMES.contains(&v) {
        return None;
    }
    Some(
        SemaDiagnostic::new(
            codes::UNKNOWN_XLOG_LEVEL,
            file,
            arg.range,
            format!("unknown log level `\"{v}\"`: Kamailio reads only its third character and logs at {level}"),
        )
        .with_help(
            near().map_or_else(
                || "use L_ALERT, L_BUG, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO or L_DBG".to_string(),
                |s| format!("did you mean `{s}`?"),
            ),
        ),
    )
}

// ====================================================================
// Regular expressions (POSIX regcomp, as Kamailio compiles them)
// ====================================================================

/// The error `regcomp` gives for `re` with Kamailio's flags, if any.
#[cfg(unix)]
fn regex_problem(re: &str, flags: RegexFlags) -> Option<String> {
    use std::ffi::CString;
    // a C string ends at the first NUL, as Kamailio's does
    let re = re.split('\0').next().unwrap_or("");
    let c = CString::new(re).ok()?;
    let cflags = match flags {
        RegexFlags::Fixup => libc::REG_EXTENDED | libc::REG_ICASE | libc::REG_NEWLINE,
        RegexFlags::NoNewline => libc::REG_EXTENDED | libc::REG_ICASE,
        RegexFlags::Match => libc::REG_EXTENDED | libc::REG_NOSUB | libc::REG_ICASE,
        RegexFlags::Subst { icase, newline } => {
            libc::REG_EXTENDED
                | if icase { libc::REG_ICASE } else { 0 }
                | if newline { libc::REG_NEWLINE } else { 0 }
        }
    };
    // SAFETY: `regex_t` is plain data that regcomp initialises; it is
    // freed with regfree only when regcomp succeeded; the pattern is a
    // valid NUL-terminated C string that outlives the calls.
    unsafe {
        let mut r: libc::regex_t = std::mem::zeroed();
        let rc = libc::regcomp(&mut r, c.as_ptr(), cflags);
        if rc == 0 {
            libc::regfree(&mut r);
            return None;
        }
        let mut buf = [0u8; 256];
        let len = libc::regerror(rc, &r, buf.as_mut_ptr().cast(), buf.len());
        let msg = std::ffi::CStr::from_bytes_until_nul(&buf[..len.min(buf.len())])
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "invalid regular expression".to_string());
        Some(msg)
    }
}

#[cfg(not(unix))]
fn regex_problem(_re: &str, _flags: RegexFlags) -> Option<String> {
    None
}

/// A hint for the messages of glibc's `regerror`.
fn regex_hint(re: &str, err: &str) -> String {
    let e = err.to_ascii_lowercase();
    if e.contains("unmatched [") || (e == "invalid regular expression" && re.contains('[')) {
        "close the bracket expression with `]` (write `\\\\[` for a literal `[`)".to_string()
    } else if e.contains("unmatched (") || e.contains("unmatched )") {
        "balance the parentheses (write `\\\\(` for a literal `(`)".to_string()
    } else if e.contains("preceding") {
        "`*`, `+`, `?` and `{` need something before them (write `\\\\*` for a literal `*`)"
            .to_string()
    } else if e.contains("\\{") {
        "a repetition is written `{m}`, `{m,}` or `{m,n}` with m <= n".to_string()
    } else if e.contains("trailing backslash") {
        "a `\\` at the end escapes nothing".to_string()
    } else if e.contains("range end") {
        "a range `a-z` must go upwards".to_string()
    } else {
        "Kamailio compiles it as a POSIX extended regular expression".to_string()
    }
}

fn invalid_regex(
    arg: &ArgValue,
    file: FileIdx,
    which: &dyn std::fmt::Display,
    err: &str,
) -> SemaDiagnostic {
    SemaDiagnostic::new(
        codes::INVALID_REGEX,
        file,
        arg.range,
        format!(
            "invalid regular expression `{}` in {which}: {err}",
            arg.value.escape_debug()
        ),
    )
    .with_help(format!(
        "{}; Kamailio fails at start-up",
        regex_hint(&arg.value, err)
    ))
}

/// What `subst_parser` (core/re.c) rejects in a `/re/repl/flags`
/// expression; byte offsets are into the value.
#[derive(Debug)]
enum SubstProblem {
    /// the expression's shape: too short, separators, flags
    Syntax {
        start: usize,
        end: usize,
        message: String,
        help: String,
    },
    /// a PV in the replacement (`pv_parse_spec` in `parse_repl`)
    Pv(Finding),
    /// `regcomp` rejects the regex at `start..end`
    Regex {
        start: usize,
        end: usize,
        err: String,
    },
}

/// `subst_parser` step by step ([`crate::subst::split`]), each PV of the
/// replacement checked as `pv_parse_spec` would; the regex is compiled last,
/// with `REG_EXTENDED|REG_NEWLINE` (`i`: `|REG_ICASE`, `s`: without
/// `REG_NEWLINE`).
fn subst_problem(cx: &PvCx<'_>, value: &str) -> Option<SubstProblem> {
    use crate::subst::SplitError;
    let v = value.split('\0').next().unwrap_or("");
    let syntax = |start: usize, end: usize, message: String, help: String| {
        Some(SubstProblem::Syntax {
            start,
            end,
            message,
            help,
        })
    };
    let sep_c = || v.chars().next().unwrap_or('/');
    let pv = |p: usize| -> Result<usize, Option<Finding>> {
        let n = locate_name(&v.as_bytes()[p..]).map_err(|f| Some(f.shifted(p)))?;
        let spec = v.get(p..p + n).ok_or(None)?;
        cx.spec(spec, 0).map_err(|f| Some(f.shifted(p)))?;
        Ok(n)
    };
    let parts = match crate::subst::split(v, pv) {
        Ok(parts) => parts,
        Err(SplitError::Pv(None)) => return None,
        Err(SplitError::Pv(Some(f))) => return Some(SubstProblem::Pv(f)),
        Err(SplitError::TooShort) => {
            return syntax(
                0,
                v.len(),
                "the expression is too short".into(),
                "write it as `/regex/replacement/flags`, e.g. `/^sip:(.*)@/sip:\\1@/`".into(),
            )
        }
        Err(SplitError::BackslashSeparator) => {
            return syntax(
                0,
                1,
                "`\\` cannot be the separator".into(),
                "start the expression with its separator, e.g. `/`".into(),
            )
        }
        Err(SplitError::NoRegexEnd) => {
            let sep_c = sep_c();
            return syntax(
                0,
                v.len(),
                format!("no `{sep_c}` ends the regular expression"),
                format!("write it as `{sep_c}regex{sep_c}replacement{sep_c}`"),
            );
        }
        Err(SplitError::NoReplacement { re_end }) => {
            let sep_c = sep_c();
            return syntax(
                re_end,
                v.len(),
                format!("the replacement is missing: there is nothing after the second `{sep_c}`"),
                format!("end the replacement with `{sep_c}`: `{v}{sep_c}` for an empty one"),
            );
        }
        Err(SplitError::NoReplacementEnd { re_end }) => {
            let sep_c = sep_c();
            return syntax(
                re_end + 1,
                v.len(),
                format!("no `{sep_c}` ends the replacement"),
                format!(
                    "end the replacement with `{sep_c}` (write `\\{sep_c}` for a literal `{sep_c}`)"
                ),
            );
        }
        Err(SplitError::Flag(i)) => {
            let flag = v.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
            return syntax(
                i,
                i + flag.len_utf8(),
                format!("unknown flag `{flag}`"),
                "the flags are `i` (ignore case), `s` (`.` matches a newline too) and `g` (replace every match)".into(),
            );
        }
    };
    let re = parts.regex()?;
    let flags = RegexFlags::Subst {
        icase: parts.icase,
        newline: parts.newline,
    };
    regex_problem(re, flags).map(|err| SubstProblem::Regex {
        start: 1,
        end: parts.re_end,
        err,
    })
}

fn match_regex(m: &MatchSite, out: &mut Vec<(u32, SemaDiagnostic)>) {
    if let Some(e) = regex_problem(&m.value.value, RegexFlags::Match) {
        out.push((
            m.seq,
            invalid_regex(&m.value, m.file, &"the right side of `=~`", &e),
        ));
    }
}

// ====================================================================
// event_route names
// ====================================================================

/// Event-route families whose names a module builds from run-time data,
/// which the knowledge base does not record (Kamailio 5.6.3 and 6.0.7
/// sources): `(prefix, module, where the names come from)`. erlang runs
/// `erlang:<name>` for the registered name an Erlang node sends to
/// (`handle_emsg.c`), so any name can run (`None`); nats runs
/// `nats:<subject>` for the subjects of its `subject_queue_group` modparam
/// (`nats_mod.c`), so the subject must appear in a string of the config.
/// `Some((modparam, what it gives, what follows the name in its value))`.
type RuntimeSource = Option<(&'static str, &'static str, &'static str)>;
const RUNTIME_EVENT_ROUTE_NAMES: &[(&str, &str, RuntimeSource)] = &[
    ("erlang:", "erlang", None),
    (
        "nats:",
        "nats",
        Some((
            "subject_queue_group",
            "the subjects of its `subject_queue_group` modparam",
            ":QUEUE_GROUP",
        )),
    ),
];

/// Whether `name` is a member of a family the code builds: a dynamic-suffix
/// route the code fires + its separator + a non-empty suffix.
fn in_dynamic_family(db: &Db, name: &str) -> bool {
    db.event_routes()
        .filter(|e| e.dynamic_suffix && !e.from_doc_only)
        .any(|e| {
            name.strip_prefix(e.name)
                .and_then(|rest| rest.strip_prefix(e.suffix_separator.unwrap_or("")))
                .is_some_and(|suffix| !suffix.is_empty())
        })
}

/// The event routes a module's code runs, dynamic ones as `family:<name>`.
fn module_event_routes(db: &Db, module: &str) -> Vec<String> {
    db.event_routes()
        .filter(|e| !e.from_doc_only && e.modules.contains(&module))
        .map(|e| {
            if e.dynamic_suffix {
                format!("{}{}<name>", e.name, e.suffix_separator.unwrap_or(""))
            } else {
                e.name.to_string()
            }
        })
        .collect()
}

fn event_routes(
    w: &Walker<'_>,
    loaded_all: &[&'static str],
    sites: &Sites,
    out: &mut Vec<(u32, SemaDiagnostic)>,
) {
    let version = w.options.version;
    let is_loaded = |m: &str| m == "core" || loaded_all.contains(&m);
    for (i, r) in w.routes.iter().enumerate() {
        if r.table != RouteTable::Event {
            continue;
        }
        let Some(name) = r.name.as_deref() else {
            continue;
        };
        let seq = w.route_seqs[i];
        let code_names = |module: Option<&str>| -> Vec<&'static str> {
            w.db.event_routes()
                .filter(|e| !e.from_doc_only)
                .filter(|e| module.is_none_or(|m| e.modules.contains(&m)))
                .map(|e| e.name)
                .collect()
        };
        // modules that build names from run-time data the knowledge base
        // does not record
        if let Some((prefix, module, from)) = RUNTIME_EVENT_ROUTE_NAMES
            .iter()
            .find(|(p, ..)| name.starts_with(p))
        {
            let suffix = &name[prefix.len()..];
            if is_loaded(module) && w.db.event_route(name).is_none_or(|e| e.from_doc_only) {
                let Some((param, what, tail)) = from else {
                    continue;
                };
                if sites.strings.iter().any(|s| s.contains(suffix)) {
                    continue;
                }
                let d = SemaDiagnostic::new(
                    codes::UNKNOWN_EVENT_ROUTE,
                    r.file,
                    r.head_range,
                    format!(
                        "module `{module}` runs `event_route[{prefix}<name>]` only for {what}, and no string of this config names `{suffix}`: the route never runs"
                    ),
                )
                .with_help(format!(
                    "subscribe to the subject: `modparam(\"{module}\", \"{param}\", \"{suffix}{tail}\")`"
                ));
                out.push((seq, d));
                continue;
            }
        }
        if let Some(e) = w.db.event_route(name) {
            if e.modules.iter().any(|m| is_loaded(m)) {
                // a family the code only runs with a suffix
                // (`htable:expired:<table>`, `tm:branch-failure:<name>`)
                if e.dynamic_suffix && !e.exact_name && e.name == name {
                    let sep = e.suffix_separator.unwrap_or("");
                    let module = e
                        .modules
                        .iter()
                        .find(|m| is_loaded(m))
                        .copied()
                        .unwrap_or("?");
                    let d = SemaDiagnostic::new(
                        codes::UNKNOWN_EVENT_ROUTE,
                        r.file,
                        r.head_range,
                        format!(
                            "module `{module}` runs `event_route[{name}{sep}<name>]`, never `event_route[{name}]` without a name: the route never runs"
                        ),
                    )
                    .with_help(format!("add the name: `event_route[{name}{sep}NAME]`"));
                    out.push((seq, d));
                    continue;
                }
                // names only the documentation shows: the module never runs
                // them, unless the name is one of a family the code builds
                // (`htable:expired:mytable`) or the config hands it to a
                // function or modparam (`evrexec:timer`, `rms:after_play`)
                if e.from_doc_only
                    && e.name == name
                    && !in_dynamic_family(w.db, name)
                    && !sites.strings.iter().any(|s| s.contains(name))
                {
                    let module = e.modules[0];
                    let near = suggest(name, code_names(None).into_iter().filter(|n| *n != name));
                    let help = match near {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => {
                            let runs = module_event_routes(w.db, module);
                            if runs.is_empty() {
                                format!("module `{module}` runs only the event routes the config names (in its modparams or function parameters)")
                            } else {
                                format!("module `{module}` runs: {}", runs.join(", "))
                            }
                        }
                    };
                    let d = SemaDiagnostic::new(
                        codes::UNKNOWN_EVENT_ROUTE,
                        r.file,
                        r.head_range,
                        format!(
                            "`event_route[{name}]` is named in the documentation of module `{module}`, but the module never runs it"
                        ),
                    )
                    .with_help(help);
                    out.push((seq, d));
                }
                continue;
            }
            let m = e
                .modules
                .iter()
                .find(|m| **m != "core")
                .copied()
                .unwrap_or("?");
            let lm =
                w.db.module(m)
                    .map_or_else(|| format!("{m}.so"), |x| x.loadmodule.to_string());
            let d = SemaDiagnostic::new(
                codes::UNKNOWN_EVENT_ROUTE,
                r.file,
                r.head_range,
                format!("`event_route[{name}]` is run by module `{m}`, which is not loaded: the route never runs"),
            )
            .with_help(format!("add `loadmodule \"{lm}\"`"));
            out.push((seq, d));
            continue;
        }
        // a name the config hands to a function or a modparam (rtimer,
        // evrexec, rtp_media_server, ...) is a route it runs itself
        if sites.strings.iter().any(|s| s.contains(name)) {
            continue;
        }
        let others: Vec<KamailioVersion> = KamailioVersion::ALL
            .into_iter()
            .filter(|v| *v != version && db(*v).event_route(name).is_some())
            .collect();
        let mut d = SemaDiagnostic::new(
            codes::UNKNOWN_EVENT_ROUTE,
            r.file,
            r.head_range,
            format!("no module runs `event_route[{name}]`: Kamailio accepts the name, but the route never runs"),
        );
        if !others.is_empty() {
            d.message = format!(
                "`event_route[{name}]` does not exist in Kamailio {}, only in {}: the route never runs",
                version.full(),
                others.iter().map(|v| v.full()).collect::<Vec<_>>().join(", ")
            );
            out.push((seq, d));
            continue;
        }
        let prefix = name.split(':').next().unwrap_or("");
        let module_names = code_names(Some(prefix));
        let near = suggest(name, code_names(None));
        let help = match (near, module_names.is_empty()) {
            (Some(s), _) => format!("did you mean `{s}`?"),
            (None, false) => format!("module `{prefix}` runs: {}", module_names.join(", ")),
            (None, true) => {
                "event route names are `module:event`; see the module's documentation".to_string()
            }
        };
        d = d.with_help(help);
        out.push((seq, d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx56(loaded: &'static [&'static str]) -> PvCx<'static> {
        PvCx {
            db: db(KamailioVersion::V5_6),
            version: KamailioVersion::V5_6,
            loaded,
            loaded_all: loaded,
            suggestions: Box::leak(Box::new(Cell::new(SUGGESTION_BUDGET))),
        }
    }

    #[test]
    fn locate_like_kamailio() {
        assert_eq!(locate_name(b"$ru is").unwrap(), 3);
        assert_eq!(locate_name(b"$fU.").unwrap(), 4);
        assert_eq!(locate_name(b"$rU? x").unwrap(), 4);
        assert_eq!(locate_name(b"$$x").unwrap(), 2);
        assert_eq!(locate_name(b"$(ru{s.len}) x").unwrap(), 12);
        assert_eq!(locate_name(b"$var(a(b)) x").unwrap(), 10);
        assert_eq!(locate_name(b"$ x").unwrap(), 1);
        assert!(locate_name(b"$").is_err());
        assert!(locate_name(b"$(ru").is_err());
        assert!(locate_name(b"$var(a").is_err());
    }

    #[test]
    fn specs() {
        let cx = cx56(&["pv"]);
        assert!(cx.spec("$ru", 0).is_ok());
        assert!(cx.spec("$var(x)", 0).is_ok());
        assert!(cx.spec("$(var(x){s.len})", 0).is_ok());
        assert!(cx.spec("$(avp(x)[*])", 0).is_ok());
        assert!(cx.spec("$(ru{s.substr,1,2}{s.tolower})", 0).is_ok());
        assert!(cx.spec("$(ru{ s.len } {s.int})", 0).is_err()); // class " s"
        assert!(cx.spec("$(ru{s.len} {s.int})", 0).is_ok());
        assert!(cx.spec("$$", 0).is_ok());
        assert!(cx.spec("$(err.class)", 0).is_ok());
        assert!(cx.spec("$(ru{s.substr,$var(a),1})", 0).is_ok());
        let e = |t: &str| cx.spec(t, 0).err().unwrap();
        assert!(e("$nosuch")
            .message
            .contains("unknown pseudo-variable `$nosuch`"));
        assert!(e("$var").message.contains("needs an inner name"));
        assert!(e("$ru(x)").message.contains("takes no inner name"));
        assert!(e("$(ru[1])").message.contains("takes no index"));
        assert!(e("$(var(x)[1])").message.contains("takes no index"));
        assert!(e("$dlg_var(x)")
            .message
            .contains("modules `dialog` or `ims_dialog`"));
        assert_eq!(e("$(ru{s.nosuch})").kind, FindingKind::Transform);
        assert!(e("$(ru{s.substr,1})")
            .message
            .contains("takes 2 parameters, not 1"));
        assert!(e("$(ru{s.len,})")
            .message
            .contains("takes 0 parameters, not 1"));
        assert!(e("$(ru{json.encode})").message.contains("not loaded"));
        assert!(e("$(ru{nosuch.len})")
            .message
            .contains("unknown transformation class"));
        assert!(e("$(ru{s.substr,$nosuch(x),1})")
            .message
            .contains("$nosuch"));
        assert!(e("$fU.").help.unwrap().contains("$(fU)"));
        let f = e("$(ru{s.substrr,1,2})");
        assert!(f.help.unwrap().contains("{s.substr}"), "{:?}", f.message);
        let cxj = cx56(&["pv", "json"]);
        assert!(cxj
            .spec("$(ru{json.encode})", 0)
            .err()
            .unwrap()
            .message
            .contains("cannot match"));
        assert!(cxj.spec("$(ru{json.parse,a})", 0).is_ok());
    }

    #[test]
    fn format_strings_like_pv_parse_format() {
        let cx = cx56(&["pv"]);
        assert!(format_string(&cx, "from $fu to $(tu{uri.user}) $var(x) $$ 5").is_none());
        assert!(format_string(&cx, "cost $ 5").is_some());
        assert!(format_string(&cx, "end$").is_some());
        let f = format_string(&cx, "a $nosuch b").unwrap();
        assert_eq!((f.start, f.end), (2, 9));
        let f = format_string(&cx, "a $(ru{s.x}) b").unwrap();
        assert_eq!(f.kind, FindingKind::Transform);
    }

    #[test]
    fn escapes_like_the_lexer() {
        let (v, o) = unescape(r#"a\n\t\"\\\.\x41\101\q"#, TextSize::from(10));
        assert_eq!(v, "a\n\t\"\\\\.AA\\q");
        assert_eq!(o.len(), v.len());
        assert_eq!(o[0], TextSize::from(10));
        assert_eq!(o[1], TextSize::from(11));
    }

    #[test]
    fn numbers_like_str2sint() {
        assert_eq!(str2sint("404"), Some(404));
        assert_eq!(str2sint("-1"), Some(-1));
        assert_eq!(str2sint(""), Some(0));
        assert_eq!(str2sint(" 404"), None);
        assert_eq!(str2sint("0x194"), None);
        assert_eq!(str2sint("3000000000"), None);
        assert_eq!(str2uint("-1"), None);
        assert_eq!(str2uint("+5"), Some(5));
    }

    #[test]
    fn regexes_with_posix_flags() {
        assert!(regex_problem("^sip:[0-9]+@", RegexFlags::Match).is_none());
        assert!(regex_problem("([a-z", RegexFlags::Match).is_some());
        assert!(regex_problem("a**", RegexFlags::Fixup).is_none());
        assert!(regex_problem("(", RegexFlags::Fixup).is_some());
        assert!(regex_problem("\\d+", RegexFlags::Fixup).is_none());
    }

    #[test]
    fn fixup_table() {
        assert_eq!(param_kinds("fixup_spve_all", 3), Some(vec![Param::Fmt; 3]));
        assert_eq!(
            param_kinds("xlog_fixup", 2),
            Some(vec![Param::Level, Param::Fmt])
        );
        assert_eq!(param_kinds("no_such_fixup", 1), None);
    }
}
