//! The resolved model of a config and the walk that builds it.
//!
//! The walk visits the main file's tree in document order. Like Kamailio's
//! lexer it follows `include_file`/`import_file` where they stand, takes
//! only the `#!ifdef` arms that are active with the defines known at that
//! point, and keeps the defines table up to date. Everything the checks
//! need is copied out of the syntax trees into plain data with a global
//! sequence number, so "loaded before" means what it means to Kamailio.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kcfg_modules::{db, BlockKind, Db, KamailioVersion};
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::pp::Directive;
use kcfg_syntax::{LineIndex, Parse, ParseOptions, SyntaxKind, SyntaxNode, TextRange};

use crate::defines::{self, Const, Define, DefineOrigin, Defines};
use crate::diagnostic::{codes, FileIdx, SemaDiagnostic};
use crate::loader::FileLoader;

/// Kamailio stops with "too many includes" beyond this nesting depth.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// Options of an analysis.
#[derive(Debug, Clone, Default)]
pub struct SemaOptions {
    /// The Kamailio version whose knowledge base is used.
    pub version: KamailioVersion,
    /// `-D NAME` / `-D NAME=VALUE` (Kamailio's `-A`), defined before the
    /// file starts.
    pub defines: Vec<String>,
    /// The directory relative `include_file` paths are tried against first
    /// (Kamailio uses its current directory). `None`: the path as written,
    /// which a [`crate::FsLoader`] resolves against the process's current
    /// directory.
    pub cwd: Option<PathBuf>,
}

/// One file of the config: the main file or an included one.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path it was read from (as resolved, not canonicalised).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// Its syntax tree (parsed with the defines in effect where it is
    /// included). Syntax errors of included files are in `parse.errors()`.
    pub parse: Parse,
    /// The including file and the range of the include directive, `None`
    /// for the main file.
    pub included_from: Option<(FileIdx, TextRange)>,
    /// Included from inside a route block. Kamailio reads such a file as
    /// statements of that block, but it is parsed here as a file of its own:
    /// its syntax errors are not meaningful and its calls are not checked.
    pub included_in_route: bool,
    line_index: LineIndex,
}

impl SourceFile {
    /// Line/column lookups for this file's text.
    pub fn line_index(&self) -> &LineIndex {
        &self.line_index
    }

    /// 1-based line of an offset.
    pub fn line_of(&self, range: TextRange) -> u32 {
        self.line_index.line_col(range.start()).line + 1
    }
}

/// A `loadmodule` statement.
#[derive(Debug, Clone)]
pub struct LoadedModule {
    /// The argument after define substitution (`tm.so`, `/usr/lib/.../tm.so`).
    pub arg: String,
    /// The module it names, if the knowledge base knows it.
    pub module: Option<&'static kcfg_modules::Module>,
    /// The file of the statement.
    pub file: FileIdx,
    /// The whole statement.
    pub range: TextRange,
    /// The argument.
    pub arg_range: TextRange,
    /// Whether Kamailio loads it: false for an unknown module or a second
    /// load of the same module (both are errors).
    pub loaded: bool,
    pub(crate) seq: u32,
}

/// The route table a block belongs to (Kamailio keeps one per type; names
/// are unique within a table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteTable {
    /// `request_route`, `route`, `route[NAME]`
    Request,
    /// `failure_route[NAME]`
    Failure,
    /// `onreply_route`, `reply_route`, `onreply_route[NAME]`
    OnReply,
    /// `branch_route[NAME]`
    Branch,
    /// `onsend_route`
    OnSend,
    /// `event_route[NAME]`
    Event,
}

impl RouteTable {
    /// The block keyword of the table (`failure_route`).
    pub fn keyword(self) -> &'static str {
        match self {
            RouteTable::Request => "route",
            RouteTable::Failure => "failure_route",
            RouteTable::OnReply => "onreply_route",
            RouteTable::Branch => "branch_route",
            RouteTable::OnSend => "onsend_route",
            RouteTable::Event => "event_route",
        }
    }

    /// Every table, in declaration order (`table as usize` is its index).
    pub(crate) const ALL: [RouteTable; 6] = [
        RouteTable::Request,
        RouteTable::Failure,
        RouteTable::OnReply,
        RouteTable::Branch,
        RouteTable::OnSend,
        RouteTable::Event,
    ];
}

/// A map from (route table, name) with one map per table, so that a name
/// is looked up as a `&str` (no key is built per lookup: the language
/// server looks up every `route()` call on every keystroke).
#[derive(Debug, Clone)]
pub(crate) struct TableMap<V>([rustc_hash::FxHashMap<String, V>; 6]);

impl<V> Default for TableMap<V> {
    fn default() -> Self {
        TableMap(Default::default())
    }
}

impl<V> TableMap<V> {
    pub(crate) fn get(&self, table: RouteTable, name: &str) -> Option<&V> {
        self.0[table as usize].get(name)
    }

    /// The value of (table, name), made by `new` when there is none.
    pub(crate) fn get_or_insert_with(
        &mut self,
        table: RouteTable,
        name: &str,
        new: impl FnOnce() -> V,
    ) -> &mut V {
        let map = &mut self.0[table as usize];
        if !map.contains_key(name) {
            map.insert(name.to_string(), new());
        }
        map.get_mut(name).expect("inserted above")
    }

    /// The names of one table.
    pub(crate) fn names(&self, table: RouteTable) -> impl Iterator<Item = &str> {
        self.0[table as usize].keys().map(String::as_str)
    }

    /// Every entry, table by table (in no order within a table).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (RouteTable, &str, &V)> {
        RouteTable::ALL.into_iter().flat_map(move |t| {
            self.0[t as usize]
                .iter()
                .map(move |(n, v)| (t, n.as_str(), v))
        })
    }
}

/// A route block.
#[derive(Debug, Clone)]
pub struct Route {
    /// Its table.
    pub table: RouteTable,
    /// The keyword as written (`request_route`, `reply_route`, ...).
    pub keyword: String,
    /// The name as Kamailio stores it: quotes removed, numbers normalised
    /// (`route[0x1]` → `1`), defines substituted; `None` when unnamed.
    pub name: Option<String>,
    /// The route type module functions are checked against.
    pub block_kind: Option<BlockKind>,
    /// The file of the block.
    pub file: FileIdx,
    /// The whole block.
    pub range: TextRange,
    /// The keyword and the `[name]`.
    pub head_range: TextRange,
    /// Whether the body has at least one action (a body of only `;` has
    /// none, and Kamailio then treats the route as empty).
    pub has_actions: bool,
}

impl Route {
    /// `request_route`, `route[NAME]`, `failure_route[NAME]`, ...
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) => format!("{}[{}]", self.keyword, n),
            None => self.keyword.clone(),
        }
    }
}

/// The resolved model of one config (the main file and what it includes)
/// for one Kamailio version.
#[derive(Debug, Clone)]
pub struct Model {
    /// The version the config was checked for.
    pub version: KamailioVersion,
    /// The files, main file first, then included files in the order they
    /// were first read.
    pub files: Vec<SourceFile>,
    /// `loadmodule` statements in the order Kamailio runs them.
    pub modules: Vec<LoadedModule>,
    /// Route blocks in order.
    pub routes: Vec<Route>,
    /// The defines in effect at the end of the config.
    pub defines: BTreeMap<String, Define>,
    /// What the checks found, in the order Kamailio reads the config.
    pub diagnostics: Vec<SemaDiagnostic>,
    call_graph: crate::callgraph::CallGraph,
    symbols: std::sync::OnceLock<crate::symbols::SymbolTable>,
}

impl Model {
    /// Analyse the config whose main file is `path` with text `text`.
    ///
    /// Relative include paths are tried against [`SemaOptions::cwd`] first,
    /// then against the including file's directory, as Kamailio does.
    ///
    /// ```
    /// use kcfg_sema::{MemoryLoader, Model, SemaOptions};
    /// use kcfg_modules::KamailioVersion;
    /// let text = "loadmodule \"sl.so\"\nrequest_route {\n\tt_relay();\n}\n";
    /// let opts = SemaOptions { version: KamailioVersion::V5_6, ..Default::default() };
    /// let model = Model::build("kamailio.cfg", text, &MemoryLoader::new(), &opts);
    /// assert_eq!(model.diagnostics[0].code, "KC103");
    /// assert!(model.diagnostics[0].help.as_deref().unwrap().contains("loadmodule \"tm.so\""));
    /// ```
    pub fn build(
        path: impl AsRef<Path>,
        text: impl Into<String>,
        loader: &dyn FileLoader,
        options: &SemaOptions,
    ) -> Model {
        Model::build_with_parser(path, text, loader, options, &|_, text, o| {
            kcfg_syntax::parse_with(text, o)
        })
    }

    /// [`Model::build`] with the files parsed by `parser` (called with the
    /// file's path, text and parse options), which must return what
    /// [`kcfg_syntax::parse_with`] returns: the language server passes a
    /// parser that reuses the trees of earlier versions of the text.
    pub fn build_with_parser(
        path: impl AsRef<Path>,
        text: impl Into<String>,
        loader: &dyn FileLoader,
        options: &SemaOptions,
        parser: &dyn Fn(&Path, &str, &ParseOptions) -> kcfg_syntax::Parse,
    ) -> Model {
        Model::build_inner(path, text, loader, options, parser, None)
    }

    fn build_inner(
        path: impl AsRef<Path>,
        text: impl Into<String>,
        loader: &dyn FileLoader,
        options: &SemaOptions,
        parser: &dyn Fn(&Path, &str, &ParseOptions) -> kcfg_syntax::Parse,
        cache: Option<&crate::RouteCache>,
    ) -> Model {
        Model::walk_only(path, text, loader, options, parser, cache, None).finish()
    }

    /// The first half of [`Model::build_cached`]: the files are read and
    /// parsed and the route bodies walked; [`Walked::finish`] runs the
    /// checks and the call graph and returns the model `build_cached`
    /// returns. `on_tree` is told of the tree of each file (but those
    /// included inside a route block) as soon as it is parsed, in file
    /// order: the checks do not change the trees, and the language server
    /// collects the lint's nodes from them on another thread meanwhile.
    pub fn walk_cached<'a>(
        path: impl AsRef<Path>,
        text: impl Into<String>,
        loader: &'a dyn FileLoader,
        options: &'a SemaOptions,
        parser: &'a dyn Fn(&Path, &str, &ParseOptions) -> kcfg_syntax::Parse,
        cache: &'a crate::RouteCache,
        on_tree: &'a mut OnTree<'a>,
    ) -> Walked<'a> {
        let on_tree = Some(on_tree);
        Model::walk_only(path, text, loader, options, parser, Some(cache), on_tree)
    }

    fn walk_only<'a>(
        path: impl AsRef<Path>,
        text: impl Into<String>,
        loader: &'a dyn FileLoader,
        options: &'a SemaOptions,
        parser: &'a dyn Fn(&Path, &str, &ParseOptions) -> kcfg_syntax::Parse,
        cache: Option<&'a crate::RouteCache>,
        on_tree: Option<&'a mut OnTree<'a>>,
    ) -> Walked<'a> {
        let mut w = Walker::new(loader, options);
        w.parser = Some(parser);
        w.route_cache = cache;
        w.on_tree = on_tree;
        let mut w = Model::walk_main(w, path, text);
        w.on_tree = None;
        Walked { w }
    }

    fn walk_main<'a>(
        mut w: Walker<'a>,
        path: impl AsRef<Path>,
        text: impl Into<String>,
    ) -> Walker<'a> {
        let (options, loader) = (w.options, w.loader);
        for d in &options.defines {
            let def = defines::parse_cli_define(d);
            if !def.name.is_empty() {
                w.defines.insert(def);
            }
        }
        let path = path.as_ref().to_path_buf();
        let canonical = loader.canonical(&path);
        let root = w.add_file(path, text.into(), None);
        w.stack.push(canonical);
        let node = w.files[root.0].parse.syntax_node();
        w.walk_children(root, &node);
        w.stack.pop();
        w
    }

    /// [`Model::build_with_parser`] with a memo of route bodies kept
    /// across builds of successive versions of the same config: the result
    /// is the same, the work on route bodies that did not change is not
    /// done again.
    pub fn build_cached(
        path: impl AsRef<Path>,
        text: impl Into<String>,
        loader: &dyn FileLoader,
        options: &SemaOptions,
        parser: &dyn Fn(&Path, &str, &ParseOptions) -> kcfg_syntax::Parse,
        cache: &crate::RouteCache,
    ) -> Model {
        Model::build_inner(path, text, loader, options, parser, Some(cache))
    }

    /// The file at `idx`.
    pub fn file(&self, idx: FileIdx) -> &SourceFile {
        &self.files[idx.0]
    }

    /// The include chain of a file: `[(including file, include directive)]`
    /// from the main file down to the file's own include.
    pub fn include_chain(&self, idx: FileIdx) -> Vec<(FileIdx, TextRange)> {
        let mut chain = Vec::new();
        let mut cur = idx;
        while let Some((parent, range)) = self.files[cur.0].included_from {
            chain.push((parent, range));
            cur = parent;
            if chain.len() > self.files.len() {
                break;
            }
        }
        chain.reverse();
        chain
    }

    /// Modules Kamailio loads, in order.
    pub fn loaded_modules(&self) -> impl Iterator<Item = &'static kcfg_modules::Module> + '_ {
        self.modules
            .iter()
            .filter(|m| m.loaded)
            .filter_map(|m| m.module)
    }

    /// The route blocks of a table with a given (normalised) name; `None`
    /// for the unnamed blocks.
    pub fn routes_named<'a>(
        &'a self,
        table: RouteTable,
        name: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Route> + 'a {
        self.routes
            .iter()
            .filter(move |r| r.table == table && r.name.as_deref() == name)
    }

    /// The route call graph: which route names which, and as what block
    /// kinds each route runs.
    pub fn call_graph(&self) -> &crate::callgraph::CallGraph {
        &self.call_graph
    }

    /// The symbol table: variables, hash tables, flags and modparams of all
    /// files (built on first use; `kcfg check` alone does not need it).
    pub fn symbols(&self) -> &crate::symbols::SymbolTable {
        self.symbols.get_or_init(|| {
            let mut table = crate::symbols::SymbolTable::default();
            for (i, f) in self.files.iter().enumerate() {
                table.collect(FileIdx(i), &f.parse.syntax_node());
            }
            table
        })
    }

    /// Whether the model has an error-severity diagnostic.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }
}

// ------------------------------------------------------------------ walk data

/// What an argument or value stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Int,
    Str,
    Unknown,
}

#[derive(Debug, Clone)]
pub(crate) struct CallSite {
    pub file: FileIdx,
    pub seq: u32,
    pub route: Option<usize>,
    /// the whole call, `name(...)`: Kamailio reports at its `)`
    pub range: TextRange,
    pub is_route_kw: bool,
    /// None when it cannot be known (a define that may hold a comma, an error node)
    pub nargs: Option<usize>,
    /// the name and arguments, shared by the replays of a memoised route
    /// body (no copy per keystroke)
    shared: std::sync::Arc<CallText>,
}

/// The name and arguments of a call, with ranges relative to the call's
/// start (the same for every copy of a route body).
#[derive(Debug)]
struct CallText {
    /// the name after define substitution
    name: String,
    /// every argument as a constant (when it is one), with its range
    args: Vec<(Option<Const>, TextRange)>,
}

impl CallSite {
    /// The name after define substitution.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Argument `i` as a constant (when it is one), with its range.
    pub fn arg(&self, i: usize) -> Option<(&Option<Const>, TextRange)> {
        let base = self.range.start();
        self.shared.args.get(i).map(|(v, r)| (v, *r + base))
    }

    /// The first argument (see [`CallSite::arg`]).
    pub fn first_arg(&self) -> Option<(&Option<Const>, TextRange)> {
        self.arg(0)
    }

    /// Every argument as a constant (when it is one), with its range.
    pub fn args(&self) -> impl ExactSizeIterator<Item = (&Option<Const>, TextRange)> + '_ {
        let base = self.range.start();
        self.shared.args.iter().map(move |(v, r)| (v, *r + base))
    }

    /// The same call at `range` (a route body's call replayed at another
    /// offset).
    fn moved(&self, seq: u32, route: Option<usize>, range: TextRange) -> CallSite {
        CallSite {
            file: self.file,
            seq,
            route,
            range,
            is_route_kw: self.is_route_kw,
            nargs: self.nargs,
            shared: self.shared.clone(),
        }
    }
}

/// One name of a `flags` or `avpflags` declaration (`flags FLT_ACC: 1, FLT_NAT`).
#[derive(Debug, Clone)]
pub(crate) struct FlagDecl {
    pub file: FileIdx,
    pub seq: u32,
    /// `avpflags` (else `flags`)
    pub avp: bool,
    pub name: String,
    /// the position after `:`, when given
    pub pos: Option<i64>,
    /// the name (and its position)
    pub range: TextRange,
}

#[derive(Debug, Clone)]
pub(crate) struct ModParamSite {
    pub file: FileIdx,
    pub seq: u32,
    pub module: Option<(String, TextRange)>,
    pub param: Option<(String, TextRange)>,
    pub value: Option<(ValueKind, String, TextRange)>,
    /// the value when it is a string constant (after define substitution)
    pub value_str: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct GlobalSite {
    pub file: FileIdx,
    pub seq: u32,
    pub name: String,
    pub range: TextRange,
    /// the value, when it is a single token kcfg can classify (and the
    /// name is no define)
    pub value: Option<GlobalValue>,
}

/// The token a core parameter's value is to Kamailio's lexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ValueToken {
    /// `STRING`: a quoted string (adjacent pieces joined), quotes removed
    Str(String),
    /// `NUMBER`: digits, or a number word (`yes`, `off`, `ipv4`, ...)
    Number(String),
    /// `MINUS NUMBER`
    NegNumber(String),
    /// `ID`: a bare word that is no number word (and no define)
    Ident(String),
}

/// The value of a `name = value` core parameter.
#[derive(Debug, Clone)]
pub(crate) struct GlobalValue {
    pub token: ValueToken,
    /// the value as written
    pub range: TextRange,
    /// the define the value was written as, if any
    pub via_define: Option<String>,
}

/// Words Kamailio's lexer returns as `NUMBER` (`YES`, `NO`, `INET`,
/// `INET6` in `cfg.lex`); case-sensitive, whole words only.
pub(crate) const NUMBER_WORDS: &[&str] = &[
    "yes", "true", "on", "enable", "no", "false", "off", "disable", "inet", "INET", "ipv4", "IPv4",
    "IPV4", "inet6", "INET6", "ipv6", "IPv6", "IPV6",
];

/// Whether `t` is one `NUMBER` token to Kamailio's lexer: decimal without
/// a leading 0, `0x` hex, `0` octal, `[01]+b` binary.
pub(crate) fn is_kamailio_number(t: &str) -> bool {
    let all = |s: &str, f: fn(u8) -> bool| !s.is_empty() && s.bytes().all(f);
    t == "0"
        || (t.starts_with(|c: char| ('1'..='9').contains(&c)) && all(t, |b| b.is_ascii_digit()))
        || t.strip_prefix("0x")
            .is_some_and(|h| all(h, |b| b.is_ascii_hexdigit()))
        || t.strip_prefix('0')
            .is_some_and(|o| all(o, |b| (b'0'..=b'7').contains(&b)))
        || t.strip_suffix('b')
            .is_some_and(|b| all(b, |c| c == b'0' || c == b'1'))
}

/// A config read, parsed and walked, its checks not run yet (see
/// [`Model::walk_cached`]).
pub struct Walked<'a> {
    w: Walker<'a>,
}

impl Walked<'_> {
    /// Run the checks and build the call graph: the model.
    pub fn finish(self) -> Model {
        self.finish_inner(None)
    }

    /// [`Walked::finish`], giving `early` a copy of the model without its
    /// diagnostics (everything else as `finish` returns it: the modules'
    /// `loaded`, the call graph) as soon as it is known, before the checks
    /// that only add diagnostics run: the language server lints that copy
    /// on another thread meanwhile.
    pub fn finish_early(self, mut early: impl FnMut(Model)) -> Model {
        self.finish_inner(Some(&mut early))
    }

    fn finish_inner(self, early: Option<&mut dyn FnMut(Model)>) -> Model {
        let cache = self.w.route_cache;
        let model = self.w.finish_with(early);
        if let Some(cache) = cache {
            cache.lock().end_build();
        }
        model
    }
}

pub(crate) struct Walker<'a> {
    pub loader: &'a dyn FileLoader,
    pub options: &'a SemaOptions,
    pub db: &'static Db,
    pub files: Vec<SourceFile>,
    pub defines: Defines,
    /// (seq, diagnostic)
    pub diags: Vec<(u32, SemaDiagnostic)>,
    pub stack: Vec<PathBuf>,
    pub seq: u32,
    pub modules: Vec<LoadedModule>,
    pub routes: Vec<Route>,
    pub route_seqs: Vec<u32>,
    pub calls: Vec<CallSite>,
    pub modparams: Vec<ModParamSite>,
    pub globals: Vec<GlobalSite>,
    pub flag_decls: Vec<FlagDecl>,
    cur_route: Option<usize>,
    /// `#!subst`/`#!substdef` rules read so far, applied to later strings
    subst_rules: Vec<crate::subst::SubstRule>,
    /// parses the files (see [`Model::build_with_parser`])
    parser: Option<FileParser<'a>>,
    /// the memo of route bodies (see [`Model::build_cached`])
    pub route_cache: Option<&'a crate::RouteCache>,
    /// the interned context of the route memo and the define table's
    /// generation it was interned at
    walk_ctx: Option<(u64, u32)>,
    /// while a route body is recorded: whether it met something the memo
    /// cannot replay
    rec_impure: Option<bool>,
    /// told of each file's tree as it is parsed (see [`Model::walk_cached`])
    on_tree: Option<&'a mut OnTree<'a>>,
}

/// The context of the model walk of a route body: the defines (call
/// names, argument constants). Bodies are memoised only without `#!subst`
/// rules.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WalkCtx {
    defines: Vec<(String, Option<String>)>,
}

/// What the model walk of a route body did: the call sites it added (file,
/// route and ranges relative to the block, sequence numbers relative to
/// the block's), and how many sequence numbers it took.
#[derive(Debug)]
pub(crate) enum WalkEvent {
    /// the block's head (first event)
    Head(RouteHead),
    Call(CallSite),
    Seqs(u32),
}

/// A route block's head, as [`Walker::route_head`] reads it.
enum Head {
    Route(RouteHead),
    /// a name kcfg cannot resolve (a define it does not know)
    Unnamed,
    /// no block keyword kcfg knows
    None,
}

/// What a route block's head gives its [`Route`], with the head's range
/// relative to the block.
#[derive(Debug, Clone)]
pub(crate) struct RouteHead {
    table: RouteTable,
    keyword: String,
    name: Option<String>,
    block_kind: Option<BlockKind>,
    head_range: TextRange,
    has_actions: bool,
}

/// What [`Model::walk_cached`] tells of each file's tree.
pub type OnTree<'a> = dyn FnMut(FileIdx, &kcfg_syntax::GreenNode) + 'a;

/// Parses a file for [`Model::build_with_parser`]: path, text, options in.
type FileParser<'a> = &'a dyn Fn(&Path, &str, &ParseOptions) -> kcfg_syntax::Parse;

impl<'a> Walker<'a> {
    fn new(loader: &'a dyn FileLoader, options: &'a SemaOptions) -> Walker<'a> {
        Walker {
            loader,
            options,
            db: db(options.version),
            files: Vec::new(),
            defines: Defines::default(),
            diags: Vec::new(),
            stack: Vec::new(),
            seq: 0,
            modules: Vec::new(),
            routes: Vec::new(),
            route_seqs: Vec::new(),
            calls: Vec::new(),
            modparams: Vec::new(),
            globals: Vec::new(),
            flag_decls: Vec::new(),
            cur_route: None,
            subst_rules: Vec::new(),
            parser: None,
            route_cache: None,
            walk_ctx: None,
            rec_impure: None,
            on_tree: None,
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn report(&mut self, seq: u32, d: SemaDiagnostic) {
        self.diags.push((seq, d));
    }

    fn add_file(
        &mut self,
        path: PathBuf,
        text: String,
        included_from: Option<(FileIdx, TextRange)>,
    ) -> FileIdx {
        let parse_options = ParseOptions {
            defines: self.defines.names(),
            // unknown core parameters are KC112 here, with defines and
            // other versions taken into account
            ..ParseOptions::default()
        };
        let parse = match self.parser {
            Some(parser) => parser(&path, &text, &parse_options),
            None => kcfg_syntax::parse_with(&text, &parse_options),
        };
        let line_index = LineIndex::shared(&text);
        self.files.push(SourceFile {
            path,
            text,
            parse,
            included_from,
            included_in_route: included_from.is_some() && self.cur_route.is_some(),
            line_index,
        });
        let idx = FileIdx(self.files.len() - 1);
        if let Some(on_tree) = &mut self.on_tree {
            let f = &self.files[idx.0];
            if !f.included_in_route {
                on_tree(idx, f.parse.green());
            }
        }
        idx
    }

    /// The checks and the call graph: the model. With `early`, the call
    /// graph is built before the checks that only add diagnostics, and
    /// `early` gets a copy of the model without diagnostics before they run
    /// (the reports are put back in the order of the plain path before they
    /// are sorted).
    fn finish_with(mut self, early: Option<&mut dyn FnMut(Model)>) -> Model {
        let call_graph = match early {
            None => {
                crate::checks::run(&mut self);
                crate::callgraph::run(&mut self)
            }
            Some(early) => {
                crate::checks::loadmodules(&mut self);
                let a = self.diags.len();
                let call_graph = crate::callgraph::run(&mut self);
                let b = self.diags.len();
                early(Model {
                    version: self.options.version,
                    files: self.files.clone(),
                    modules: self.modules.clone(),
                    routes: self.routes.clone(),
                    defines: self.defines.to_map(),
                    diagnostics: Vec::new(),
                    call_graph: call_graph.clone(),
                    symbols: std::sync::OnceLock::new(),
                });
                crate::checks::run_after_loadmodules(&mut self);
                // the checks' reports, then the call graph's, as `run` then
                // `callgraph::run` make them
                self.diags[a..].rotate_left(b - a);
                call_graph
            }
        };
        let mut diags = std::mem::take(&mut self.diags);
        diags.sort_by_key(|(seq, d)| (*seq, d.range.start()));
        Model {
            version: self.options.version,
            files: self.files,
            modules: self.modules,
            routes: self.routes,
            defines: self.defines.into_map(),
            diagnostics: diags.into_iter().map(|(_, d)| d).collect(),
            call_graph,
            symbols: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn walk_children(&mut self, file: FileIdx, node: &SyntaxNode) {
        for child in node.children() {
            self.walk_node(file, &child);
        }
    }

    fn walk_node(&mut self, file: FileIdx, node: &SyntaxNode) {
        use SyntaxKind::*;
        if let Some(impure) = &mut self.rec_impure {
            *impure |= !matches!(node.kind(), CALL)
                && matches!(
                    node.kind(),
                    PP_IF
                        | PP_DEFINE
                        | PP_UNDEF
                        | PP_SUBST
                        | PP_DEFENV
                        | PP_INCLUDE
                        | LOADMODULE
                        | MODPARAM
                        | GLOBAL_PARAM
                        | ROUTE_BLOCK
                );
        }
        match node.kind() {
            PP_IF => self.walk_pp_if(file, node),
            PP_DEFINE => self.pp_define(file, node),
            PP_UNDEF => {
                if let Some(name) = token_text(node, PP_NAME) {
                    self.defines.remove(&name);
                }
            }
            PP_SUBST => self.pp_subst(file, node),
            PP_DEFENV => self.pp_defenv(file, node),
            PP_INCLUDE => self.include(file, node),
            LOADMODULE => self.loadmodule(file, node),
            MODPARAM => self.modparam(file, node),
            GLOBAL_PARAM => self.global_param(file, node),
            FLAGS_DECL => self.flags_decl(file, node),
            ROUTE_BLOCK => self.route_block(file, node),
            CALL => {
                self.call(file, node);
                self.walk_children(file, node);
            }
            _ => self.walk_children(file, node),
        }
    }

    /// Take the arms of `#!ifdef`/`#!ifndef`/`#!else` that are active with
    /// the defines known now (each `#!else` flips the condition, as in
    /// Kamailio). `#!ifexp` is not evaluated: its arm counts as not taken.
    fn walk_pp_if(&mut self, file: FileIdx, node: &SyntaxNode) {
        let mut taking = false;
        for arm in node.children().filter(|n| n.kind() == SyntaxKind::PP_ARM) {
            let Some(dir) = arm
                .children()
                .find(|n| n.kind() == SyntaxKind::PP_DIRECTIVE)
            else {
                continue;
            };
            let Some(kw) = token_text(&dir, SyntaxKind::PP_KEYWORD) else {
                continue;
            };
            let name = token_text(&dir, SyntaxKind::PP_NAME);
            let defined = name.as_deref().is_some_and(|n| self.defines.contains(n));
            taking = match Directive::from_keyword(&kw) {
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

    fn pp_define(&mut self, file: FileIdx, node: &SyntaxNode) {
        let Some(kw) = token_text(node, SyntaxKind::PP_KEYWORD) else {
            return;
        };
        let Some(name_tok) = first_token(node, SyntaxKind::PP_NAME) else {
            return;
        };
        let name = name_tok.text().to_string();
        let value = first_token(node, SyntaxKind::PP_BODY).map(|t| t.text().trim().to_string());
        let directive = Directive::from_keyword(&kw);
        let def = Define {
            name: name.clone(),
            value: if directive == Directive::DefExp {
                None
            } else {
                Some(value.unwrap_or_default())
            },
            origin: DefineOrigin::Directive {
                file,
                range: name_tok.text_range(),
            },
        };
        match directive {
            Directive::TryDef => {
                if !self.defines.contains(&name) {
                    self.defines.insert(def);
                }
            }
            Directive::Redefine => self.defines.insert(def),
            _ => {
                if self.already_defined(file, &name, name_tok.text_range()) {
                    return;
                }
                self.defines.insert(def);
            }
        }
    }

    /// `#!define X` of a defined `X`: Kamailio stops with "already defined".
    fn already_defined(&mut self, file: FileIdx, name: &str, range: TextRange) -> bool {
        let Some(prev) = self.defines.get(name) else {
            return false;
        };
        let where_ = match &prev.origin {
            DefineOrigin::CommandLine => "on the command line (-D)".to_string(),
            DefineOrigin::Directive { file: f, range: r } => self.place(*f, *r, file),
        };
        let mut d = SemaDiagnostic::new(
            codes::DUPLICATE_DEFINE,
            file,
            range,
            format!("`{name}` is already defined {where_}"),
        )
        .with_help(
            "use `#!redefine` to change its value, or `#!trydef` to define it only when it is not defined yet",
        );
        if let DefineOrigin::Directive { file: f, range: r } = prev.origin {
            if f == file {
                d = d.with_label(r, "first defined here");
            }
        }
        let seq = self.next_seq();
        self.report(seq, d);
        true
    }

    /// `#!substdef "/NAME/value/"` defines NAME too; `#!subst` does not.
    /// Both add a rule that rewrites the strings read after it.
    fn pp_subst(&mut self, file: FileIdx, node: &SyntaxNode) {
        let Some(kw) = token_text(node, SyntaxKind::PP_KEYWORD) else {
            return;
        };
        let Some(body) = first_token(node, SyntaxKind::PP_BODY) else {
            return;
        };
        let text = body.text().trim();
        let inner = defines::unquote(text).unwrap_or(text);
        if let Some(rule) = crate::subst::SubstRule::parse(inner) {
            self.subst_rules.push(rule);
        }
        if !kw.contains("substdef") {
            return;
        }
        let mut chars = inner.chars();
        let Some(delim) = chars.next() else {
            return;
        };
        let rest = chars.as_str();
        let mut parts = rest.split(delim);
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
            return;
        };
        if name.is_empty() {
            return;
        }
        let range = body.text_range();
        if self.already_defined(file, name, range) {
            return;
        }
        self.defines.insert(Define {
            name: name.to_string(),
            value: Some(value.to_string()),
            origin: DefineOrigin::Directive { file, range },
        });
    }

    /// `#!defenv NAME=VAR` / `#!defenv VAR`: defined when Kamailio runs; the
    /// value is not known here (no environment is read).
    fn pp_defenv(&mut self, file: FileIdx, node: &SyntaxNode) {
        let Some(body) = first_token(node, SyntaxKind::PP_BODY) else {
            return;
        };
        let text = body.text().trim();
        let name = text.split_once('=').map_or(text, |(n, _)| n).trim();
        if name.is_empty() {
            return;
        }
        self.defines.insert(Define {
            name: name.to_string(),
            value: None,
            origin: DefineOrigin::Directive {
                file,
                range: body.text_range(),
            },
        });
    }

    /// "at line N" in the same file, "at FILE:N" in another.
    pub(crate) fn place(&self, f: FileIdx, r: TextRange, from: FileIdx) -> String {
        let line = self.files[f.0].line_of(r);
        if f == from {
            format!("at line {line}")
        } else {
            format!("at {}:{line}", self.files[f.0].path.display())
        }
    }

    fn include(&mut self, file: FileIdx, node: &SyntaxNode) {
        let Some(inc) = ast::PpInclude::cast(node.clone()) else {
            return;
        };
        let Some(written) = inc.path().filter(|p| !p.is_empty()) else {
            return;
        };
        let range = node.text_range();
        let seq = self.next_seq();
        let is_import = inc.is_import();
        let p = PathBuf::from(&written);
        let mut candidates = Vec::new();
        if p.is_absolute() {
            candidates.push(p.clone());
        } else {
            candidates.push(match &self.options.cwd {
                Some(c) => c.join(&p),
                None => p.clone(),
            });
            if let Some(dir) = self.files[file.0].path.parent() {
                let c = dir.join(&p);
                if !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
        }
        let mut found = None;
        for c in &candidates {
            match self.loader.read(c) {
                Ok(text) => {
                    found = Some((c.clone(), text));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    let d = SemaDiagnostic::new(
                        codes::MISSING_INCLUDE,
                        file,
                        range,
                        format!("cannot read included file `{}`: {e}", c.display()),
                    );
                    self.report(seq, d);
                    return;
                }
            }
        }
        let Some((path, text)) = found else {
            if !is_import {
                let tried = candidates
                    .iter()
                    .map(|c| format!("`{}`", c.display()))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let d = SemaDiagnostic::new(
                    codes::MISSING_INCLUDE,
                    file,
                    range,
                    format!("included file `{written}` not found (tried {tried})"),
                )
                .with_help("Kamailio stops here; use `import_file` if the file is optional");
                self.report(seq, d);
            }
            return;
        };
        let canonical = self.loader.canonical(&path);
        if let Some(pos) = self.stack.iter().position(|s| *s == canonical) {
            let mut chain: Vec<String> = self.stack[pos..]
                .iter()
                .map(|s| s.display().to_string())
                .collect();
            chain.push(canonical.display().to_string());
            let d = SemaDiagnostic::new(
                codes::INCLUDE_CYCLE,
                file,
                range,
                format!("include cycle: {}", chain.join(" → ")),
            )
            .with_help("Kamailio follows it until it has too many nested includes, then stops");
            self.report(seq, d);
            return;
        }
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            let d = SemaDiagnostic::new(
                codes::INCLUDE_TOO_DEEP,
                file,
                range,
                format!("too many nested includes: Kamailio allows {MAX_INCLUDE_DEPTH} levels"),
            );
            self.report(seq, d);
            return;
        }
        let idx = self.add_file(path, text, Some((file, range)));
        self.stack.push(canonical);
        let root = self.files[idx.0].parse.syntax_node();
        self.walk_children(idx, &root);
        self.stack.pop();
    }

    /// A string literal's value after the `#!subst` rules read so far.
    fn string_value(&self, s: &ast::StringLit) -> String {
        let v = ast::string_value(s);
        if self.subst_rules.is_empty() {
            v
        } else {
            crate::subst::apply_all(&self.subst_rules, v)
        }
    }

    /// A constant argument: a string, a number or a (define) name.
    pub(crate) fn const_of(&self, node: &SyntaxNode) -> Option<Const> {
        match node.kind() {
            SyntaxKind::STRING_LIT => {
                ast::StringLit::cast(node.clone()).map(|s| Const::Str(self.string_value(&s)))
            }
            SyntaxKind::LITERAL => {
                let toks: Vec<_> = node
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .filter(|t| !t.kind().is_trivia())
                    .collect();
                match toks.as_slice() {
                    [n] if n.kind() == SyntaxKind::NUMBER => {
                        defines::parse_number(n.text()).map(Const::Int)
                    }
                    [m, n] if m.kind() == SyntaxKind::MINUS && n.kind() == SyntaxKind::NUMBER => {
                        defines::parse_number(n.text()).map(|v| Const::Int(-v))
                    }
                    _ => None,
                }
            }
            SyntaxKind::NAME_REF => {
                let text = node.text().to_string();
                if defines::is_identifier(&text) {
                    self.defines.resolve_ident(&text)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    fn loadmodule(&mut self, file: FileIdx, node: &SyntaxNode) {
        let seq = self.next_seq();
        let Some(arg) = node
            .children()
            .find(|n| matches!(n.kind(), SyntaxKind::STRING_LIT | SyntaxKind::NAME_REF))
        else {
            return;
        };
        let text = match self.const_of(&arg) {
            Some(Const::Str(s)) | Some(Const::Ident(s)) => s,
            _ => return,
        };
        self.modules.push(LoadedModule {
            module: self.db.module_by_file(&text),
            arg: text,
            file,
            range: node.text_range(),
            arg_range: arg.text_range(),
            loaded: false,
            seq,
        });
    }

    /// `flags NAME[: N], ...` / `avpflags NAME, ...`: the names as written
    /// (Kamailio's lexer would have replaced a define, which leaves no
    /// name: such entries are skipped).
    fn flags_decl(&mut self, file: FileIdx, node: &SyntaxNode) {
        let seq = self.next_seq();
        let mut elements = node
            .children_with_tokens()
            .filter(|e| !e.kind().is_trivia());
        let avp = elements
            .next()
            .and_then(|e| e.into_token())
            .is_some_and(|t| t.text() == "avpflags");
        // the declaration a `: N` after it belongs to
        let mut last: Option<usize> = None;
        for e in elements {
            let name = match &e {
                // (a define: Kamailio's lexer replaced it, no name is left)
                kcfg_syntax::SyntaxElement::Token(t) if t.kind() == SyntaxKind::IDENT => {
                    (!self.defines.contains(t.text())).then(|| t.text().to_string())
                }
                kcfg_syntax::SyntaxElement::Node(n) if n.kind() == SyntaxKind::STRING_LIT => {
                    match self.const_of(n) {
                        Some(Const::Str(name)) => Some(name),
                        _ => None,
                    }
                }
                kcfg_syntax::SyntaxElement::Token(t) if t.kind() == SyntaxKind::COLON => continue,
                kcfg_syntax::SyntaxElement::Token(t) if t.kind() == SyntaxKind::NUMBER => {
                    if let Some(d) = last.and_then(|i| self.flag_decls.get_mut(i)) {
                        d.pos = defines::parse_number(t.text());
                        d.range = d.range.cover(t.text_range());
                    }
                    last = None;
                    continue;
                }
                _ => {
                    last = None;
                    continue;
                }
            };
            last = name.map(|name| {
                self.flag_decls.push(FlagDecl {
                    file,
                    seq,
                    avp,
                    name,
                    pos: None,
                    range: e.text_range(),
                });
                self.flag_decls.len() - 1
            });
        }
    }

    fn modparam(&mut self, file: FileIdx, node: &SyntaxNode) {
        let seq = self.next_seq();
        let args: Vec<SyntaxNode> = node
            .children()
            .find(|n| n.kind() == SyntaxKind::ARG_LIST)
            .map(|a| a.children().collect())
            .unwrap_or_default();
        let name_arg = |i: usize| -> Option<(String, TextRange)> {
            let n = args.get(i)?;
            match self.const_of(n)? {
                Const::Str(s) => Some((s, n.text_range())),
                _ => None,
            }
        };
        let module = name_arg(0);
        let param = name_arg(1);
        let value_str = args.get(2).and_then(|n| match self.const_of(n) {
            Some(Const::Str(s)) => Some(s),
            _ => None,
        });
        let value = args.get(2).map(|n| {
            let text = n.text().to_string();
            let kind = match (n.kind(), self.const_of(n)) {
                (SyntaxKind::PV_EXPR, _) => ValueKind::Unknown,
                (_, Some(Const::Int(_))) => ValueKind::Int,
                (_, Some(Const::Str(_))) => ValueKind::Str,
                _ => ValueKind::Unknown,
            };
            (kind, text, n.text_range())
        });
        self.modparams.push(ModParamSite {
            file,
            seq,
            module,
            param,
            value,
            value_str,
        });
    }

    fn global_param(&mut self, file: FileIdx, node: &SyntaxNode) {
        let seq = self.next_seq();
        let Some(p) = ast::GlobalParam::cast(node.clone()) else {
            return;
        };
        let Some(name) = p.name() else {
            return;
        };
        if name.kind() != SyntaxKind::IDENT && !name.kind().is_keyword() {
            return;
        }
        let name_text = name.text().to_string();
        let value = if self.defines.contains(&name_text) {
            None
        } else {
            node.children()
                .find(|n| n.kind() == SyntaxKind::PARAM_VALUE)
                .and_then(|v| self.global_value(&v))
        };
        self.globals.push(GlobalSite {
            file,
            seq,
            name: name_text,
            range: name.text_range(),
            value,
        });
    }

    /// Classify a core parameter's value as Kamailio's lexer reads it,
    /// after define substitution. `None` for anything but one token (or
    /// one string), and for what kcfg cannot know.
    fn global_value(&self, v: &SyntaxNode) -> Option<GlobalValue> {
        use kcfg_syntax::SyntaxElement as NodeOrToken;
        let parts: Vec<_> = v
            .children_with_tokens()
            .filter(|e| !e.kind().is_trivia())
            .collect();
        let range = v.text_range();
        let word = |w: &str| {
            if NUMBER_WORDS.contains(&w) {
                ValueToken::Number(w.to_string())
            } else {
                ValueToken::Ident(w.to_string())
            }
        };
        let (token, via_define) = match parts.as_slice() {
            [NodeOrToken::Node(n)] if n.kind() == SyntaxKind::STRING_LIT => {
                let s = ast::StringLit::cast(n.clone())?;
                (ValueToken::Str(self.string_value(&s)), None)
            }
            [NodeOrToken::Token(t)] if t.kind() == SyntaxKind::NUMBER => {
                if !is_kamailio_number(t.text()) {
                    return None;
                }
                (ValueToken::Number(t.text().to_string()), None)
            }
            [NodeOrToken::Token(m), NodeOrToken::Token(t)]
                if m.kind() == SyntaxKind::MINUS && t.kind() == SyntaxKind::NUMBER =>
            {
                if !is_kamailio_number(t.text()) {
                    return None;
                }
                (ValueToken::NegNumber(t.text().to_string()), None)
            }
            [NodeOrToken::Token(t)] if t.kind() == SyntaxKind::IDENT || t.kind().is_keyword() => {
                let text = t.text();
                if !defines::is_identifier(text) {
                    return None;
                }
                if !self.defines.contains(text) {
                    (word(text), None)
                } else {
                    let token = match self.defines.resolve_ident(text)? {
                        Const::Str(s) => ValueToken::Str(s),
                        Const::Int(n) if n < 0 => ValueToken::NegNumber((-n).to_string()),
                        Const::Int(n) => ValueToken::Number(n.to_string()),
                        Const::Ident(w) => word(&w),
                    };
                    (token, Some(text.to_string()))
                }
            }
            _ => return None,
        };
        Some(GlobalValue {
            token,
            range,
            via_define,
        })
    }

    fn route_block(&mut self, file: FileIdx, node: &SyntaxNode) {
        let seq = self.next_seq();
        // a block walked before in the same context: its head and body
        // from the memo (the head's name resolution and kind lookup are a
        // pure function of the block and the defines, as the body's walk)
        let memo = self.walk_memo_ctx();
        let green = memo.map(|_| node.green().into_owned());
        if let (Some((cache, ctx)), Some(green)) = (memo, &green) {
            let hit = cache.lock().walk.get(green, ctx);
            if let Some(events) = hit {
                if let Some(WalkEvent::Head(head)) = events.first() {
                    self.push_route(file, node, seq, head.clone());
                    let prev = self.cur_route.replace(self.routes.len() - 1);
                    self.replay(file, node, &events[1..]);
                    self.cur_route = prev;
                    return;
                }
            }
        }
        let head = match self.route_head(node) {
            Head::Route(head) => head,
            // a name kcfg cannot resolve: the block is left out of the table
            Head::Unnamed => return self.walk_children(file, node),
            Head::None => return,
        };
        self.push_route(file, node, seq, head.clone());
        let prev = self.cur_route.replace(self.routes.len() - 1);
        match (memo, green) {
            (Some((cache, ctx)), Some(green)) => {
                self.record_body(file, node, cache, ctx, green, head);
            }
            _ => self.walk_children(file, node),
        }
        self.cur_route = prev;
    }

    /// The head of a route block (ranges relative to the block).
    fn route_head(&self, node: &SyntaxNode) -> Head {
        let Some(rb) = ast::RouteBlock::cast(node.clone()) else {
            return Head::None;
        };
        let Some(kw) = rb.keyword() else {
            return Head::None;
        };
        let table = match kw.kind() {
            SyntaxKind::ROUTE_KW | SyntaxKind::REQUEST_ROUTE_KW => RouteTable::Request,
            SyntaxKind::FAILURE_ROUTE_KW => RouteTable::Failure,
            SyntaxKind::ONREPLY_ROUTE_KW | SyntaxKind::REPLY_ROUTE_KW => RouteTable::OnReply,
            SyntaxKind::BRANCH_ROUTE_KW => RouteTable::Branch,
            SyntaxKind::ONSEND_ROUTE_KW => RouteTable::OnSend,
            SyntaxKind::EVENT_ROUTE_KW => RouteTable::Event,
            _ => return Head::None,
        };
        let name_node = rb.name_node();
        let name = name_node.as_ref().and_then(|n| self.route_name(n));
        if name_node.is_some() && name.is_none() {
            return Head::Unnamed;
        }
        let keyword = kw.text().to_string();
        let block_kind = self.db.block_kind(&keyword, name.as_deref());
        let head_end = name_node
            .as_ref()
            .map_or(kw.text_range().end(), |n| n.text_range().end());
        let has_actions = rb.body().is_some_and(|b| has_actions(b.syntax()));
        let base = node.text_range().start();
        Head::Route(RouteHead {
            table,
            keyword,
            name,
            block_kind,
            head_range: TextRange::new(kw.text_range().start(), head_end) - base,
            has_actions,
        })
    }

    fn push_route(&mut self, file: FileIdx, node: &SyntaxNode, seq: u32, head: RouteHead) {
        let range = node.text_range();
        self.routes.push(Route {
            table: head.table,
            keyword: head.keyword,
            name: head.name,
            block_kind: head.block_kind,
            file,
            range,
            head_range: head.head_range + range.start(),
            has_actions: head.has_actions,
        });
        self.route_seqs.push(seq);
    }

    /// The route cache and the id of the walk's context, when route bodies
    /// can be memoised here (not while recording another body, nor with
    /// `#!subst` rules).
    fn walk_memo_ctx(&mut self) -> Option<(&'a crate::memo::RouteCache, u32)> {
        let cache = self.route_cache?;
        if self.rec_impure.is_some() || !self.subst_rules.is_empty() {
            return None;
        }
        let generation = self.defines.generation();
        let ctx = match self.walk_ctx {
            Some((g, id)) if g == generation => id,
            _ => {
                let id = cache.lock().walk.intern(WalkCtx {
                    defines: self.defines.snapshot(),
                });
                self.walk_ctx = Some((generation, id));
                id
            }
        };
        Some((cache, ctx))
    }

    /// The calls of a memoised body, at this block's place.
    fn replay(&mut self, file: FileIdx, node: &SyntaxNode, events: &[WalkEvent]) {
        let base = node.text_range().start();
        let seq0 = self.seq;
        for e in events {
            match e {
                WalkEvent::Call(c) => {
                    let site = CallSite {
                        file,
                        ..c.moved(seq0 + c.seq, self.cur_route, c.range + base)
                    };
                    self.calls.push(site);
                }
                WalkEvent::Seqs(n) => self.seq = seq0 + n,
                WalkEvent::Head(_) => {}
            }
        }
    }

    /// Walk a route block's children and remember what the walk did (its
    /// head first), when it read nothing but the block and the context.
    fn record_body(
        &mut self,
        file: FileIdx,
        node: &SyntaxNode,
        cache: &crate::memo::RouteCache,
        ctx: u32,
        green: kcfg_syntax::GreenNode,
        head: RouteHead,
    ) {
        let base = node.text_range().start();
        let seq0 = self.seq;
        let state = |w: &Walker<'_>| {
            (
                w.files.len(),
                w.diags.len(),
                w.modules.len(),
                w.routes.len(),
                w.modparams.len(),
                w.globals.len(),
                w.defines.generation(),
                w.stack.len(),
            )
        };
        let before = state(self);
        let calls0 = self.calls.len();
        self.rec_impure = Some(false);
        self.walk_children(file, node);
        let impure = self.rec_impure.take().unwrap_or(true);
        if impure || state(self) != before {
            return;
        }
        let mut events = Vec::with_capacity(self.calls.len() - calls0 + 2);
        events.push(WalkEvent::Head(head));
        for c in &self.calls[calls0..] {
            if c.file != file || c.route != self.cur_route || c.seq <= seq0 {
                return;
            }
            events.push(WalkEvent::Call(c.moved(c.seq - seq0, None, c.range - base)));
        }
        events.push(WalkEvent::Seqs(self.seq - seq0));
        cache.lock().walk.insert(green, ctx, events);
    }

    /// The name of `[...]` as Kamailio stores it.
    fn route_name(&self, n: &SyntaxNode) -> Option<String> {
        if let Some(s) = n.children().find(|c| c.kind() == SyntaxKind::STRING_LIT) {
            return ast::StringLit::cast(s).map(|s| self.string_value(&s));
        }
        let t = n
            .children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| {
                !t.kind().is_trivia()
                    && !matches!(t.kind(), SyntaxKind::L_BRACK | SyntaxKind::R_BRACK)
            })?;
        match t.kind() {
            SyntaxKind::NUMBER => defines::parse_number(t.text()).map(|v| v.to_string()),
            SyntaxKind::EVENT_ROUTE_NAME => Some(t.text().to_string()),
            _ => match self.defines.resolve_ident(t.text())? {
                Const::Str(s) | Const::Ident(s) => Some(s),
                Const::Int(v) => Some(v.to_string()),
            },
        }
    }

    fn call(&mut self, file: FileIdx, node: &SyntaxNode) {
        let seq = self.next_seq();
        let Some(call) = ast::Call::cast(node.clone()) else {
            return;
        };
        let Some(name_tok) = call.name() else {
            return;
        };
        let is_route_kw = name_tok.kind() == SyntaxKind::ROUTE_KW;
        let written = name_tok.text().to_string();
        let name = if self.defines.contains(&written) {
            match self.defines.resolve_ident(&written) {
                Some(Const::Ident(s)) => s,
                _ => return,
            }
        } else {
            written
        };
        let args: Vec<SyntaxNode> = call.args().collect();
        let unknowable = args.iter().any(|a| {
            a.kind() == SyntaxKind::ERROR
                || (a.kind() == SyntaxKind::NAME_REF
                    && self.defines.may_contain_comma(&a.text().to_string()))
        }) || call.arg_list().is_some_and(|l| {
            l.syntax()
                .children_with_tokens()
                .filter_map(|e| e.into_token())
                .filter(|t| t.kind() == SyntaxKind::COMMA)
                .count()
                + 1
                != args.len()
                && !args.is_empty()
        });
        let base = node.text_range().start();
        let arg_consts = args
            .iter()
            .map(|a| (self.const_of(a), a.text_range() - base))
            .collect();
        self.calls.push(CallSite {
            file,
            seq,
            route: self.cur_route,
            range: node.text_range(),
            is_route_kw,
            nargs: (!unknowable).then_some(args.len()),
            shared: std::sync::Arc::new(CallText {
                name,
                args: arg_consts,
            }),
        });
    }
}

/// Whether a block holds an action: any statement but a lone `;`
/// (`#!ifdef` arms are looked into).
fn has_actions(block: &SyntaxNode) -> bool {
    use SyntaxKind::*;
    block.children().any(|c| match c.kind() {
        EMPTY_STMT | PP_DIRECTIVE => false,
        PP_IF | PP_ARM => has_actions(&c),
        _ => true,
    })
}

fn first_token(node: &SyntaxNode, kind: SyntaxKind) -> Option<kcfg_syntax::SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == kind)
}

fn token_text(node: &SyntaxNode, kind: SyntaxKind) -> Option<String> {
    first_token(node, kind).map(|t| t.text().to_string())
}
