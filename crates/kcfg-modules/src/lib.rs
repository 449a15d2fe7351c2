//! # kcfg-modules — the embedded Kamailio knowledge base
//!
//! Everything the kcfg toolchain knows about Kamailio itself lives here: which
//! modules exist, which script functions they export (with parameter counts and
//! the route blocks they may be called from), their modparams and types, the
//! pseudo-variable classes, transformations, event routes, KEMI functions and
//! the core language facts (global parameters, built-in actions, reserved
//! words, operators, preprocessor directives). One database exists per
//! supported Kamailio version ([`KamailioVersion`]); get it with [`db`].
//!
//! ```
//! use kcfg_modules::{db, BlockKind, KamailioVersion};
//! let d = db(KamailioVersion::V6_0);
//! let relay = d.functions("t_relay");
//! assert!(relay.iter().any(|f| f.nparams == Some(0) && f.allowed_in.contains(BlockKind::Request)));
//! assert!(d.module_by_file("/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so").is_some());
//! ```
//!
//! ## Design: generated static tables, binary search
//!
//! The source of truth is `data/kamailio-<version>.json` (extracted from the
//! Kamailio C sources; see `data/README.md`). Those files are about 2 MB each,
//! and a linter or language server starts often, so they are **not** parsed at
//! run time. Instead `build.rs` parses them once, at compile time, and writes
//! Rust source (`$OUT_DIR/kamailio_db.rs`, `include!`d below) that consists of
//! `static` arrays of plain structs: `&'static str` literals, integers,
//! booleans and references to other statics. The result:
//!
//! * **Start-up costs nothing.** The tables are in the binary's read-only data
//!   section, fully initialised by the linker. There is no parsing, no
//!   allocation, no `OnceLock`/lazy initialisation; `db()` returns a reference
//!   to a `static`.
//! * **Lookups are binary searches** over slices that `build.rs` sorted by the
//!   lookup key (byte-wise `str` order, the same order `str::cmp` uses):
//!   modules by name, function variants by name (a second copy of the
//!   script-callable variants), modparams by (module, name), PV classes,
//!   transformations by (class, sub-name), event routes, reserved words, and
//!   small `(spelling, index)` indexes for global parameters, actions and KEMI
//!   paths. All results borrow `'static` data, so callers can keep them
//!   without lifetimes getting in the way.
//! * **Per-module data are ranges.** A [`Module`] stores `(start, end)` into
//!   its version's function, modparam and KEMI tables, which are grouped by
//!   module, so [`Db::module_functions`] / [`Db::modparams`] return slices
//!   without searching the whole table.
//! * **Compile time stays small.** Every distinct string list (module lists of
//!   PVs, KEMI parameter lists, spellings, `#if` conditions) is emitted once as
//!   its own `static` and shared by all versions, and every table row is one
//!   flat struct literal.
//!
//! No fact is hand-typed in this crate: the enums ([`BlockKind`],
//! [`ParamType`], [`Assoc`]) mirror the *schema's* vocabulary, and `build.rs`
//! refuses data that uses values outside it. The `counts_match_json`
//! integration test re-reads the JSON and checks that every table is complete.
//!
//! ## Semantics worth knowing
//!
//! * Module names are Kamailio's *directory* names (`tm`, `pv`, `tlsa`), the
//!   thing `loadmodule "tm.so"` refers to.
//! * [`FunctionVariant::allowed_in`] is the *parse-time* check of
//!   `sr_cmd_flags_match()`; `route[...]` blocks are checked as request route.
//! * Preprocessor conditions (`cond`) are recorded, not decided.
//! * Event routes: Kamailio accepts any `word:word` name; the table lists the
//!   names modules fire, and [`Db::event_route`] also resolves the
//!   dynamic-suffix families (`htable:expired:<table>`,
//!   `tm:branch-failure:<name>`).

#![warn(missing_docs)]

use std::cmp::Ordering;
use std::fmt;

mod suggest;
pub use suggest::suggest;

#[allow(clippy::all, missing_docs)]
mod generated {
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/kamailio_db.rs"));
}

// ====================================================================
// Versions
// ====================================================================

/// A Kamailio version series the database knows.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KamailioVersion {
    /// 5.6 series, facts from tag 5.6.3 (Debian bookworm).
    V5_6,
    /// 6.0 series, facts from tag 6.0.7. The default.
    #[default]
    V6_0,
    /// Unreleased `master` snapshot; use only to look ahead.
    Master,
}

impl KamailioVersion {
    /// All versions, oldest first.
    pub const ALL: [Self; 3] = [Self::V5_6, Self::V6_0, Self::Master];

    /// Parses `"5.6"`, `"5.6.3"` (any patch level of the series), `"6.0"`,
    /// `"6.0.7"`, `"master"`. A leading `v` is allowed; case-insensitive.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s
            .strip_prefix('v')
            .or_else(|| s.strip_prefix('V'))
            .unwrap_or(s);
        if s.eq_ignore_ascii_case("master") {
            return Some(Self::Master);
        }
        let mut parts = s.split('.');
        let major = parts.next()?;
        let minor = parts.next()?;
        if let Some(patch) = parts.next() {
            if patch.is_empty() || !patch.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        if parts.next().is_some() {
            return None;
        }
        match (major, minor) {
            ("5", "6") => Some(Self::V5_6),
            ("6", "0") => Some(Self::V6_0),
            _ => None,
        }
    }

    /// Short name: `"5.6"`, `"6.0"`, `"master"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::V5_6 => "5.6",
            Self::V6_0 => "6.0",
            Self::Master => "master",
        }
    }

    /// The exact source the facts come from: `"5.6.3"`, `"6.0.7"`, `"master"`
    /// (the JSON's `source.tag`).
    pub fn full(&self) -> &'static str {
        match self {
            Self::V5_6 => generated::V56_TAG,
            Self::V6_0 => generated::V60_TAG,
            Self::Master => generated::VMA_TAG,
        }
    }
}

impl fmt::Display for KamailioVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KamailioVersion {
    type Err = UnknownVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or(UnknownVersion)
    }
}

/// Error of `KamailioVersion::from_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownVersion;

impl fmt::Display for UnknownVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown Kamailio version (expected 5.6, 6.0 or master)")
    }
}

impl std::error::Error for UnknownVersion {}

/// The database of one Kamailio version. Free: it is a `static`.
pub fn db(v: KamailioVersion) -> &'static Db {
    match v {
        KamailioVersion::V5_6 => &generated::V56_DB,
        KamailioVersion::V6_0 => &generated::V60_DB,
        KamailioVersion::Master => &generated::VMA_DB,
    }
}

/// Versions whose database has at least one script-callable function `name`.
pub fn versions_with_function(name: &str) -> Vec<KamailioVersion> {
    versions_where(|d| !d.functions(name).is_empty())
}

/// Versions that know the PV class `name` (without `$`).
pub fn versions_with_pv(name: &str) -> Vec<KamailioVersion> {
    versions_where(|d| d.pv_class(name).is_some())
}

/// Versions in which `module` has the modparam `name`.
pub fn versions_with_modparam(module: &str, name: &str) -> Vec<KamailioVersion> {
    versions_where(|d| d.modparam(module, name).next().is_some())
}

/// Versions that have the module (directory name).
pub fn versions_with_module(name: &str) -> Vec<KamailioVersion> {
    versions_where(|d| d.module(name).is_some())
}

/// Versions that have the KEMI function (`KSR.tm.t_relay` or `tm.t_relay`).
pub fn versions_with_kemi(ksr_path: &str) -> Vec<KamailioVersion> {
    versions_where(|d| d.kemi(ksr_path).is_some())
}

fn versions_where(f: impl Fn(&Db) -> bool) -> Vec<KamailioVersion> {
    KamailioVersion::ALL
        .into_iter()
        .filter(|v| f(db(*v)))
        .collect()
}

// ====================================================================
// Block kinds
// ====================================================================

/// Kinds of route block, as in the JSON's `core.block_kinds`: grouped by the
/// route type the cfg parser uses to check module functions in that block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlockKind {
    /// `request_route`, `route`, `route[name]` (REQUEST_ROUTE).
    Request,
    /// `failure_route[name]` (FAILURE_ROUTE).
    Failure,
    /// `onreply_route`, `reply_route`, `onreply_route[0]` (CORE_ONREPLY_ROUTE).
    OnReplyCore,
    /// `onreply_route[name]` (TM_ONREPLY_ROUTE).
    OnReplyTm,
    /// `branch_route[name]` (BRANCH_ROUTE).
    Branch,
    /// `onsend_route` (ONSEND_ROUTE).
    OnSend,
    /// `event_route[name]` (EVENT_ROUTE).
    Event,
}

impl BlockKind {
    /// All kinds, in bit order.
    pub const ALL: [Self; 7] = [
        Self::Request,
        Self::Failure,
        Self::OnReplyCore,
        Self::OnReplyTm,
        Self::Branch,
        Self::OnSend,
        Self::Event,
    ];

    /// The id used in the JSON (`"request"`, `"onreply_tm"`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Failure => "failure",
            Self::OnReplyCore => "onreply_core",
            Self::OnReplyTm => "onreply_tm",
            Self::Branch => "branch",
            Self::OnSend => "onsend",
            Self::Event => "event",
        }
    }

    /// Inverse of [`BlockKind::id`].
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A set of [`BlockKind`]s (one bit each).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct BlockKinds(u8);

impl BlockKinds {
    /// No kind.
    pub const EMPTY: Self = Self(0);
    /// Every kind.
    pub const ALL: Self = Self((1 << BlockKind::ALL.len()) - 1);

    /// The set with one kind.
    pub const fn only(k: BlockKind) -> Self {
        Self(k.bit())
    }
    /// Whether `k` is in the set.
    pub const fn contains(self, k: BlockKind) -> bool {
        self.0 & k.bit() != 0
    }
    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Number of kinds in the set.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// The set plus `k`.
    #[must_use]
    pub const fn with(self, k: BlockKind) -> Self {
        Self(self.0 | k.bit())
    }
    /// Union.
    #[must_use]
    pub const fn union(self, o: Self) -> Self {
        Self(self.0 | o.0)
    }
    /// Intersection.
    #[must_use]
    pub const fn intersection(self, o: Self) -> Self {
        Self(self.0 & o.0)
    }
    /// The raw bits (bit `i` = `BlockKind::ALL[i]`).
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// The kinds in the set, in [`BlockKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = BlockKind> {
        BlockKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

impl FromIterator<BlockKind> for BlockKinds {
    fn from_iter<I: IntoIterator<Item = BlockKind>>(it: I) -> Self {
        it.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl fmt::Debug for BlockKinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

// ====================================================================
// Table rows
// ====================================================================

/// A Kamailio module (a directory under `src/modules`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Module {
    /// Directory name, e.g. `tm`. This is the module's name everywhere here.
    pub name: &'static str,
    /// File to load, e.g. `tm.so`.
    pub loadmodule: &'static str,
    /// Name in the module's `module_exports` (differs for e.g. `tlsa` → `tls`);
    /// `None` for helper modules without an exports struct.
    pub exports_name: Option<&'static str>,
    /// Source file holding the exports struct.
    pub exports_file: Option<&'static str>,
    /// `.c` files of another module that this one `#include`s.
    pub sources_included_from: &'static [&'static str],
    /// PV classes the module registers (without `$`).
    pub pv_classes: &'static [&'static str],
    /// Transformation classes the module registers.
    pub transformation_classes: &'static [&'static str],
    /// Event routes the module fires, as listed by the module (may include
    /// documentation examples such as `htable:expired:mytable`).
    pub event_routes: &'static [&'static str],
    /// Engine-specific `KSR.x.*` functions (app_* modules only).
    pub kemi_x_functions: &'static [&'static str],
    version: KamailioVersion,
    fns: (u32, u32),
    params: (u32, u32),
    kemi: (u32, u32),
}

impl Module {
    /// The version this module entry belongs to.
    pub fn version(&self) -> KamailioVersion {
        self.version
    }
    /// Every `cmd_export_t` row of the module in source order, including the
    /// ones that are not script-callable (API bindings).
    pub fn functions(&self) -> &'static [FunctionVariant] {
        &db(self.version).funcs[self.fns.0 as usize..self.fns.1 as usize]
    }
    /// The module's modparams, sorted by name.
    pub fn params(&self) -> &'static [ModParam] {
        &db(self.version).params[self.params.0 as usize..self.params.1 as usize]
    }
    /// The module's KEMI exports, in source order.
    pub fn kemi(&self) -> &'static [KemiFunction] {
        &db(self.version).kemi[self.kemi.0 as usize..self.kemi.1 as usize]
    }
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.name)
            .field("loadmodule", &self.loadmodule)
            .field("exports_name", &self.exports_name)
            .field("version", &self.version)
            .field("functions", &self.functions().len())
            .field("params", &self.params().len())
            .field("kemi", &self.kemi().len())
            .finish()
    }
}

/// One `cmd_export_t` row: a script function with one parameter count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FunctionVariant {
    /// Function name as written in the cfg.
    pub name: &'static str,
    /// Module (directory name) exporting it.
    pub module: &'static str,
    /// Exact parameter count; `None` when variable or not for scripts.
    pub nparams: Option<u8>,
    /// Takes any number of parameters (VAR_PARAM_NO).
    pub var_params: bool,
    /// Block kinds in which the cfg parser accepts the call.
    pub allowed_in: BlockKinds,
    /// The numeric route-type flags (`flags_value`, e.g. `0xFFFFFFFF` for
    /// ANY_ROUTE).
    pub route_types: u32,
    /// C identifier of the fixup function, a hint at parameter types.
    pub fixup: Option<&'static str>,
    /// False for API-binding exports the cfg parser can never match.
    pub script_callable: bool,
    /// Preprocessor conditions the row sits under (e.g. `defined(USE_TCP)`).
    pub cond: &'static [&'static str],
}

impl FunctionVariant {
    /// Whether a call with `n` arguments matches this variant.
    pub fn accepts_nargs(&self, n: usize) -> bool {
        self.script_callable && (self.var_params || self.nparams.map(usize::from) == Some(n))
    }
}

/// Type of a modparam value (`param_export_t` type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// PARAM_INT: an integer.
    Int,
    /// PARAM_STR: a string (stored as `str`).
    Str,
    /// PARAM_STRING: a string (stored as `char*`).
    String,
    /// PARAM_VAR.
    Var,
}

impl ParamType {
    /// Whether a string value (`modparam("m","p","x")`) is accepted.
    pub fn accepts_string(self) -> bool {
        matches!(self, Self::Str | Self::String | Self::Var)
    }
    /// Whether an integer value (`modparam("m","p",1)`) is accepted.
    pub fn accepts_int(self) -> bool {
        matches!(self, Self::Int | Self::Var)
    }
}

/// One `param_export_t` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ModParam {
    /// Module (directory name).
    pub module: &'static str,
    /// Parameter name.
    pub name: &'static str,
    /// Value type.
    pub ty: ParamType,
    /// PARAM_USE_FUNC: a module function handles the value at parse time
    /// (such params may be given several times).
    pub use_func: bool,
    /// Preprocessor conditions the row sits under.
    pub cond: &'static [&'static str],
}

/// A pseudo-variable class (`$ru`, `$avp(name)`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PvClass {
    /// Class name without `$`.
    pub name: &'static str,
    /// Modules registering it; `["core"]` for core classes.
    pub modules: &'static [&'static str],
    /// Takes an inner name: `$class(name)`.
    pub has_name: bool,
    /// Accepts an index `[idx]`.
    pub has_index: bool,
    /// Can be assigned.
    pub settable: bool,
    /// How it is written: `$name`, `$name(name)`, `$(name)` or `$(name(name))`.
    pub syntax: &'static str,
    /// The PVT_* type name.
    pub ty: &'static str,
}

/// A transformation sub-name: `{class.name,p1,p2}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TransformSub {
    /// Class (`s`, `uri`, `param`, ...).
    pub class: &'static str,
    /// Sub-name (`len`, `substr`, `encode.base64`, ...).
    pub name: &'static str,
    /// Fewest comma-separated parameters.
    pub min_params: u8,
    /// Most comma-separated parameters.
    pub max_params: u8,
    /// Kamailio can never match this sub-name (a length bug in its parser).
    pub unmatchable: bool,
    /// Module registering the class.
    pub module: &'static str,
}

/// An event route some module (or the core) fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventRoute {
    /// The name, or the prefix for dynamic-suffix routes.
    pub name: &'static str,
    /// Modules firing it (`core` for the core).
    pub modules: &'static [&'static str],
    /// The name is used as it is (may be true together with `dynamic_suffix`).
    pub exact_name: bool,
    /// A suffix is appended at run time (`htable:expired` + `:` + table).
    pub dynamic_suffix: bool,
    /// Separator before the dynamic suffix.
    pub suffix_separator: Option<&'static str>,
    /// Only the module documentation shows this name (the code may never fire it).
    pub from_doc_only: bool,
    /// The name appears in the module documentation.
    pub documented: bool,
}

/// A core global parameter (`debug=`, `shm_mem_size=`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalParam {
    /// All accepted spellings (aliases included).
    pub names: &'static [&'static str],
    /// Normalized value types (`int`, `string`, `id`, `socket_list`, ...).
    pub value_types: &'static [&'static str],
    /// Lexer token.
    pub token: &'static str,
    /// Grammar symbols accepted after `=`.
    pub value_forms: &'static [&'static str],
}

/// A built-in statement (`drop`, `return`, `if`, `sethost`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoreAction {
    /// Spellings.
    pub names: &'static [&'static str],
    /// Accepted argument counts as in the JSON: `"0"`, `"1"`, `"2"`, or
    /// `"expr"` for a bare expression (`return 1`).
    pub nargs: &'static [&'static str],
    /// Accepted by the parser inside `onsend_route`.
    pub allowed_in_onsend_route: bool,
    /// Lexer token.
    pub token: &'static str,
    /// Grammar rule (`cmd`, `ret_cmd`, `if_cmd`, ...).
    pub grammar_rule: &'static str,
    /// ACTION_T constants.
    pub action_types: &'static [&'static str],
    /// The grammar's argument forms, one string of terminals and
    /// non-terminals each (`"LPAREN NUMBER COMMA STRING RPAREN"`; `""`: no
    /// parentheses at all).
    pub forms: &'static [&'static str],
}

/// A KEMI function (`KSR.tm.t_relay`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KemiFunction {
    /// KSR sub-module (`tm`, `pvx`, `""` for `KSR.info`).
    pub module: &'static str,
    /// Function name.
    pub name: &'static str,
    /// Full path, `KSR.tm.t_relay`.
    pub ksr: &'static str,
    /// Parameter types (`int`, `str`, `long`, `xval`, ...).
    pub params: &'static [&'static str],
    /// Return type (`int`, `bool`, `xval`, `none`).
    pub ret: &'static str,
    /// Module directory providing it, or `core`.
    pub provided_by: &'static str,
}

/// Operator associativity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Assoc {
    /// `%left`
    Left,
    /// `%right`
    Right,
    /// `%nonassoc`
    NonAssoc,
}

/// A cfg-language operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operator {
    /// Parser token (`LOG_AND`, `STREQ`, ...).
    pub token: &'static str,
    /// Spellings (`and`, `&&`).
    pub names: &'static [&'static str],
    /// Precedence level, higher binds tighter; `None` if not in the table.
    pub precedence: Option<u8>,
    /// Associativity, if declared.
    pub assoc: Option<Assoc>,
}

/// A preprocessor directive (`#!define` and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PreprocessorDirective {
    /// Directive id (`DEFINE`, `IFDEF`, `INCLUDEFILE`, ...).
    pub directive: &'static str,
    /// Every spelling, prefixes included (`#!define`, `#!def`, `!!define`).
    pub spellings: &'static [&'static str],
    /// Lexer states in which it is recognised.
    pub states: &'static [&'static str],
    /// `include`, `script_type_marker`, or `None` for the macro directives.
    pub kind: Option<&'static str>,
    /// The `#!`/`!!` prefix may be left out (`include_file`).
    pub prefix_optional: bool,
}

/// An operand keyword of old-style conditions (`method`, `src_ip`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConditionKeyword {
    /// Spellings.
    pub names: &'static [&'static str],
    /// Lexer token.
    pub token: &'static str,
    /// Only accepted inside `onsend_route`.
    pub onsend_only: bool,
}

// ====================================================================
// The database
// ====================================================================

/// The facts of one Kamailio version. Obtain with [`db`].
pub struct Db {
    version: KamailioVersion,
    tag: &'static str,
    commit: &'static str,
    event_route_name_pattern: &'static str,
    modules: &'static [Module],
    funcs: &'static [FunctionVariant],
    funcs_by_name: &'static [FunctionVariant],
    params: &'static [ModParam],
    pvs: &'static [PvClass],
    transforms: &'static [TransformSub],
    event_routes: &'static [EventRoute],
    global_params: &'static [GlobalParam],
    global_param_index: &'static [(&'static str, u16)],
    actions: &'static [CoreAction],
    action_index: &'static [(&'static str, u16)],
    reserved: &'static [&'static str],
    // hash tables generated by build.rs (`emit_hash`): the language server
    // looks names up for every call of every route on every keystroke
    funcs_hash: &'static [u16],
    action_hash: &'static [u16],
    reserved_hash: &'static [u16],
    blocks_hash: &'static [u16],
    kemi: &'static [KemiFunction],
    kemi_index: &'static [u16],
    kemi_core_len: usize,
    kemi_x: &'static [(&'static str, &'static str)],
    preproc: &'static [PreprocessorDirective],
    operators: &'static [Operator],
    condition_keywords: &'static [ConditionKeyword],
    value_keywords: &'static [(&'static str, &'static [&'static str])],
    module_statements: &'static [(&'static [&'static str], &'static [&'static str])],
    blocks: &'static [(&'static str, BlockKind)],
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("version", &self.version)
            .field("tag", &self.tag)
            .field("commit", &self.commit)
            .field("modules", &self.modules.len())
            .finish_non_exhaustive()
    }
}

/// The sub-slice of a slice sorted by `key` whose elements compare Equal.
///
/// One binary search finds a match, then the (short) run of equal elements is
/// widened linearly: cheaper than two `partition_point`s for the typical run
/// of 1-3 variants.
fn equal_range<T>(slice: &'static [T], key: impl Fn(&T) -> Ordering) -> &'static [T] {
    let Ok(i) = slice.binary_search_by(&key) else {
        return &[];
    };
    let mut lo = i;
    while lo > 0 && key(&slice[lo - 1]) == Ordering::Equal {
        lo -= 1;
    }
    let mut hi = i + 1;
    while hi < slice.len() && key(&slice[hi]) == Ordering::Equal {
        hi += 1;
    }
    &slice[lo..hi]
}

/// FNV-1a (32 bit), fed piece by piece: the hash of the concatenation of
/// `parts`. The same function as `name_hash` in `build.rs`.
fn name_hash(parts: &[&str]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for p in parts {
        for &b in p.as_bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h
}

/// The value stored for the key that `is_key` accepts in a table of
/// `build.rs`'s `emit_hash` (slots hold value + 1, 0 is empty; linear
/// probing), `None` when an empty slot comes first.
fn hash_lookup(table: &[u16], parts: &[&str], is_key: impl Fn(usize) -> bool) -> Option<usize> {
    let mask = table.len() - 1;
    let mut i = name_hash(parts) as usize & mask;
    loop {
        let v = table[i];
        if v == 0 {
            return None;
        }
        let v = usize::from(v - 1);
        if is_key(v) {
            return Some(v);
        }
        i = (i + 1) & mask;
    }
}

fn lookup_index(index: &'static [(&'static str, u16)], name: &str) -> Option<usize> {
    index
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .map(|i| index[i].1 as usize)
}

const KSR_PREFIX: &str = "KSR.";

impl Db {
    /// Which version this is.
    pub fn version(&self) -> KamailioVersion {
        self.version
    }
    /// The source tag (`"6.0.7"`, `"master"`).
    pub fn source_tag(&self) -> &'static str {
        self.tag
    }
    /// The Kamailio commit the facts were extracted from.
    pub fn source_commit(&self) -> &'static str {
        self.commit
    }

    // ---- modules ---------------------------------------------------------

    /// All modules, sorted by name.
    pub fn modules(&self) -> impl Iterator<Item = &'static Module> {
        self.modules.iter()
    }
    /// A module by directory name (`tm`).
    pub fn module(&self, name: &str) -> Option<&'static Module> {
        let i = self.modules.binary_search_by(|m| m.name.cmp(name)).ok()?;
        Some(&self.modules[i])
    }
    /// A module by `loadmodule` argument: `tm`, `tm.so` and
    /// `/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so` all resolve to `tm`.
    pub fn module_by_file(&self, loadmodule_arg: &str) -> Option<&'static Module> {
        let arg = loadmodule_arg.trim();
        let base = arg.rsplit(['/', '\\']).next().unwrap_or(arg);
        let stem = base.strip_suffix(".so").unwrap_or(base);
        self.module(stem)
    }

    // ---- functions ---------------------------------------------------------

    /// All script-callable variants of function `name`, across modules
    /// (sorted by module). Empty if unknown.
    pub fn functions(&self, name: &str) -> &'static [FunctionVariant] {
        let t = self.funcs_by_name;
        let Some(start) = hash_lookup(self.funcs_hash, &[name], |i| t[i].name == name) else {
            return &[];
        };
        let end = start + t[start..].iter().take_while(|f| f.name == name).count();
        &t[start..end]
    }
    /// Every `cmd_export_t` row of a module (including non-script-callable
    /// ones), in source order. Empty if the module is unknown.
    pub fn module_functions(&self, module: &str) -> &'static [FunctionVariant] {
        self.module(module).map_or(&[], Module::functions)
    }
    /// Distinct script-callable function names, sorted (for "did you mean").
    pub fn function_names(&self) -> impl Iterator<Item = &'static str> {
        let t = self.funcs_by_name;
        t.iter()
            .enumerate()
            .filter(move |(i, f)| *i == 0 || t[i - 1].name != f.name)
            .map(|(_, f)| f.name)
    }
    /// Every script-callable function variant, sorted by name.
    pub fn all_functions(&self) -> &'static [FunctionVariant] {
        self.funcs_by_name
    }

    // ---- modparams ---------------------------------------------------------

    /// A module's modparams, sorted by name. Empty if the module is unknown.
    pub fn modparams(&self, module: &str) -> &'static [ModParam] {
        self.module(module).map_or(&[], Module::params)
    }
    /// The rows for `modparam(module, name)`; a name can have two types
    /// (e.g. jsonrpcs `fifo_user`), so this yields every row.
    pub fn modparam(&self, module: &str, name: &str) -> impl Iterator<Item = &'static ModParam> {
        equal_range(self.modparams(module), |p| p.name.cmp(name)).iter()
    }

    // ---- pseudo-variables ----------------------------------------------

    /// A PV class by name; a leading `$` is ignored (`ru`, `$ru`, `avp`).
    pub fn pv_class(&self, name: &str) -> Option<&'static PvClass> {
        let name = if name.len() > 1 {
            name.strip_prefix('$').unwrap_or(name)
        } else {
            name
        };
        let i = self.pvs.binary_search_by(|p| p.name.cmp(name)).ok()?;
        Some(&self.pvs[i])
    }
    /// All PV classes, sorted by name.
    pub fn pv_classes(&self) -> impl Iterator<Item = &'static PvClass> {
        self.pvs.iter()
    }

    // ---- transformations -------------------------------------------------

    /// Whether the transformation class exists (`s`, `uri`, ...).
    pub fn transformation_class_exists(&self, class: &str) -> bool {
        !equal_range(self.transforms, |t| t.class.cmp(class)).is_empty()
    }
    /// The sub-names of a transformation class, sorted.
    pub fn transformation_class(&self, class: &str) -> &'static [TransformSub] {
        equal_range(self.transforms, |t| t.class.cmp(class))
    }
    /// A transformation sub-name (`("s", "substr")`).
    pub fn transformation(&self, class: &str, sub: &str) -> Option<&'static TransformSub> {
        let i = self
            .transforms
            .binary_search_by(|t| (t.class, t.name).cmp(&(class, sub)))
            .ok()?;
        Some(&self.transforms[i])
    }
    /// All transformation sub-names, sorted by (class, name).
    pub fn transformations(&self) -> impl Iterator<Item = &'static TransformSub> {
        self.transforms.iter()
    }
    /// Distinct transformation classes, sorted.
    pub fn transformation_classes(&self) -> impl Iterator<Item = &'static str> {
        let t = self.transforms;
        t.iter()
            .enumerate()
            .filter(move |(i, x)| *i == 0 || t[i - 1].class != x.class)
            .map(|(_, x)| x.class)
    }

    // ---- event routes ------------------------------------------------------

    /// The event route `name`: an exact entry, or else the longest
    /// dynamic-suffix route whose name + separator prefixes `name` with a
    /// non-empty rest (`htable:expired:mytable` → `htable:expired`,
    /// `tm:branch-failure:myroute` → `tm:branch-failure`).
    pub fn event_route(&self, name: &str) -> Option<&'static EventRoute> {
        if let Ok(i) = self.event_routes.binary_search_by(|e| e.name.cmp(name)) {
            return Some(&self.event_routes[i]);
        }
        self.event_routes
            .iter()
            .filter(|e| e.dynamic_suffix)
            .filter(|e| {
                name.strip_prefix(e.name)
                    .and_then(|rest| rest.strip_prefix(e.suffix_separator.unwrap_or("")))
                    .is_some_and(|suffix| !suffix.is_empty())
            })
            .max_by_key(|e| e.name.len())
    }
    /// All known event routes, sorted by name.
    pub fn event_routes(&self) -> impl Iterator<Item = &'static EventRoute> {
        self.event_routes.iter()
    }
    /// The lexer pattern every `event_route[...]` name must match (Kamailio
    /// accepts any name of that shape).
    pub fn event_route_name_pattern(&self) -> &'static str {
        self.event_route_name_pattern
    }

    // ---- core language -----------------------------------------------------

    /// A core global parameter by any spelling (`shm`, `shm_mem`, `shm_mem_size`).
    pub fn global_param(&self, name: &str) -> Option<&'static GlobalParam> {
        lookup_index(self.global_param_index, name).map(|i| &self.global_params[i])
    }
    /// All core global parameters (one per token), in grammar order.
    pub fn global_params(&self) -> impl Iterator<Item = &'static GlobalParam> {
        self.global_params.iter()
    }
    /// A built-in action by any spelling (`sethost`, `seth`, `rewritehost`).
    pub fn core_action(&self, name: &str) -> Option<&'static CoreAction> {
        let idx = self.action_index;
        hash_lookup(self.action_hash, &[name], |i| idx[i].0 == name)
            .map(|i| &self.actions[idx[i].1 as usize])
    }
    /// All built-in actions, in grammar order.
    pub fn core_actions(&self) -> impl Iterator<Item = &'static CoreAction> {
        self.actions.iter()
    }
    /// Whether the lexer turns `w` into a keyword token (so it can never be a
    /// function name). Case-sensitive, as the lexer is.
    pub fn is_reserved_word(&self, w: &str) -> bool {
        let r = self.reserved;
        hash_lookup(self.reserved_hash, &[w], |i| r[i] == w).is_some()
    }
    /// All reserved words, sorted.
    pub fn reserved_words(&self) -> impl Iterator<Item = &'static str> {
        self.reserved.iter().copied()
    }
    /// `(directive, spellings)` of every preprocessor directive.
    pub fn preprocessor_directives(
        &self,
    ) -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
        self.preproc.iter().map(|d| (d.directive, d.spellings))
    }
    /// Full preprocessor directive entries.
    pub fn preprocessor_directive_entries(&self) -> &'static [PreprocessorDirective] {
        self.preproc
    }
    /// The directive with this exact spelling (`#!ifdef`, `!!define`, `include_file`).
    pub fn preprocessor_directive(&self, spelling: &str) -> Option<&'static PreprocessorDirective> {
        self.preproc
            .iter()
            .find(|d| d.spellings.contains(&spelling))
    }
    /// The operators with spellings, precedence (higher binds tighter) and associativity.
    pub fn operators(&self) -> impl Iterator<Item = &'static Operator> {
        self.operators.iter()
    }
    /// The operator with this spelling (`&&`, `eq`, `=~`).
    pub fn operator(&self, spelling: &str) -> Option<&'static Operator> {
        self.operators.iter().find(|o| o.names.contains(&spelling))
    }
    /// Operand keywords of old-style conditions (`method`, `src_ip`, ...).
    pub fn condition_keywords(&self) -> impl Iterator<Item = &'static ConditionKeyword> {
        self.condition_keywords.iter()
    }
    /// Literal value keywords: `(token, spellings)`, e.g. `("YES", ["yes","true","on","enable"])`.
    pub fn value_keywords(&self) -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
        self.value_keywords.iter().copied()
    }
    /// Module statements: `(spellings, argument forms)` for `loadmodule`,
    /// `modparam`, `loadpath`/`mpath`, ...
    pub fn module_statements(
        &self,
    ) -> impl Iterator<Item = (&'static [&'static str], &'static [&'static str])> {
        self.module_statements.iter().copied()
    }
    /// The block kind of a route block: `block_kind("request_route", None)`,
    /// `block_kind("onreply_route", Some("0"))` (core reply route),
    /// `block_kind("onreply_route", Some("x"))` (tm reply route). `None` if
    /// the keyword (with or without a name) is not a route block.
    pub fn block_kind(&self, keyword: &str, name: Option<&str>) -> Option<BlockKind> {
        // hashed and compared piece by piece (no string built per lookup:
        // the language server asks for every route block on every keystroke)
        let b = self.blocks;
        let find_parts = |parts: &[&str]| {
            hash_lookup(self.blocks_hash, parts, |i| {
                cmp_concat(b[i].0, parts) == Ordering::Equal
            })
            .map(|i| b[i].1)
        };
        match name {
            None => find_parts(&[keyword]),
            // `keyword[n]`, then `keyword[name]`
            Some(n) => find_parts(&[keyword, "[", n, "]"])
                .or_else(|| find_parts(&[keyword, "[", "name", "]"])),
        }
    }
    /// The block kind of an exact spelling (`route[name]`), as the hash
    /// table finds it (for the tests).
    #[cfg(test)]
    fn blocks_exact(&self, spelling: &str) -> Option<BlockKind> {
        let b = self.blocks;
        hash_lookup(self.blocks_hash, &[spelling], |i| b[i].0 == spelling).map(|i| b[i].1)
    }
    /// Route-block spellings and their kinds, e.g. `("route[name]", Request)`.
    pub fn route_blocks(&self) -> impl Iterator<Item = (&'static str, BlockKind)> {
        self.blocks.iter().copied()
    }

    // ---- KEMI ----------------------------------------------------------------

    /// A KEMI function by path, `KSR.tm.t_relay` or `tm.t_relay` (`info` for
    /// `KSR.info`). When several modules provide the same path (e.g. tls and
    /// tls_wolfssl), the core's or else the first module's (by name) entry.
    pub fn kemi(&self, ksr_path: &str) -> Option<&'static KemiFunction> {
        self.kemi_all(ksr_path).next()
    }
    /// Every provider of a KEMI path.
    pub fn kemi_all(&self, ksr_path: &str) -> impl Iterator<Item = &'static KemiFunction> {
        let q = ksr_path.strip_prefix(KSR_PREFIX).unwrap_or(ksr_path);
        let kemi = self.kemi;
        equal_range(self.kemi_index, |&i| {
            let k = kemi[i as usize].ksr;
            k.strip_prefix(KSR_PREFIX).unwrap_or(k).cmp(q)
        })
        .iter()
        .map(move |&i| &kemi[i as usize])
    }
    /// All KEMI functions: the core's first, then each module's (by module name).
    pub fn kemi_functions(&self) -> impl Iterator<Item = &'static KemiFunction> {
        self.kemi.iter()
    }
    /// The core's KEMI functions.
    pub fn core_kemi_functions(&self) -> &'static [KemiFunction] {
        &self.kemi[..self.kemi_core_len]
    }
    /// Engine-specific `KSR.x.*` functions: `(module, name)`, e.g. `("app_lua", "modf")`.
    pub fn kemi_x_functions(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.kemi_x.iter().copied()
    }
}

/// `s` compared with the concatenation of `parts` (as `str` orders), a
/// slice comparison per part (not byte by byte through an iterator).
fn cmp_concat(s: &str, parts: &[&str]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let mut s = s.as_bytes();
    for p in parts {
        let p = p.as_bytes();
        let n = s.len().min(p.len());
        match s[..n].cmp(&p[..n]) {
            Ordering::Equal => {}
            o => return o,
        }
        if n < p.len() {
            // `s` ended inside this part: a proper prefix
            return Ordering::Less;
        }
        s = &s[n..];
    }
    if s.is_empty() {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

#[cfg(test)]
mod cmp_concat_tests {
    /// `cmp_concat` orders as comparing with the joined string does.
    #[test]
    fn cmp_concat_equals_joined_cmp() {
        let words = [
            "",
            "a",
            "b",
            "ab",
            "route",
            "route[",
            "route[name]",
            "[",
            "]",
            "é",
            "na",
        ];
        for s in words
            .iter()
            .chain(["route[name]x", "route[nam", "event_route[x]"].iter())
        {
            for a in words {
                for b in words {
                    for c in ["", "]", "name", "x"] {
                        let parts: [&str; 3] = [a, b, c];
                        assert_eq!(
                            super::cmp_concat(s, &parts),
                            (*s).cmp(parts.concat().as_str()),
                            "{s:?} {parts:?}"
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod hash_table_tests {
    use super::*;

    /// Every lookup through a `build.rs` hash table answers as the binary
    /// search over the sorted table does, for every key and for non-keys
    /// (fails if `name_hash` here and in build.rs differ: keys would not be
    /// found where build.rs put them).
    #[test]
    fn hash_tables_find_every_key() {
        for v in [
            KamailioVersion::V5_6,
            KamailioVersion::V6_0,
            KamailioVersion::Master,
        ] {
            let d = db(v);
            let mut probes: Vec<String> = Vec::new();
            for f in d.funcs_by_name {
                probes.push(f.name.to_string());
            }
            for (n, _) in d.action_index {
                probes.push(n.to_string());
            }
            probes.extend(d.reserved.iter().map(|w| w.to_string()));
            probes.extend(d.blocks.iter().map(|(s, _)| s.to_string()));
            let keys = probes.len();
            for k in probes.clone().iter().take(keys) {
                probes.push(format!("{k}x"));
                probes.push(k[..k.len() - 1].to_string());
                probes.push(k.to_uppercase());
            }
            probes.extend(["", "[", "route[", "x", "t_relay "].map(String::from));
            let mut found = [0usize; 4];
            for p in &probes {
                let want = equal_range(d.funcs_by_name, |f| f.name.cmp(p.as_str()));
                let got = d.functions(p);
                assert!(std::ptr::eq(want, got), "{v:?} functions({p:?})");
                found[0] += usize::from(!got.is_empty());

                let want = lookup_index(d.action_index, p).map(|i| &d.actions[i]);
                let got = d.core_action(p);
                assert_eq!(want.map(|a| a as *const _), got.map(|a| a as *const _));
                found[1] += usize::from(got.is_some());

                let want = d.reserved.binary_search(&p.as_str()).is_ok();
                assert_eq!(want, d.is_reserved_word(p), "{v:?} reserved {p:?}");
                found[2] += usize::from(want);

                let want = d
                    .blocks
                    .binary_search_by(|(s, _)| (*s).cmp(p.as_str()))
                    .ok()
                    .map(|i| d.blocks[i].1);
                assert_eq!(want, d.blocks_exact(p), "{v:?} block {p:?}");
                found[3] += usize::from(want.is_some());
            }
            assert!(found.iter().all(|&n| n > 10), "{v:?} {found:?}");
        }
    }
}
