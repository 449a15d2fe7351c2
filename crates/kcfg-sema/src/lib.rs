//! # kcfg-sema — the resolved model of a kamailio.cfg
//!
//! [`Model::build`] reads a config the way Kamailio does: it follows
//! `include_file`/`import_file`, evaluates `#!define`/`#!ifdef`, records the
//! loaded modules, the route blocks and the defines, and checks what
//! Kamailio's parser and its start-up check — for one [`KamailioVersion`]
//! of the knowledge base in [`kcfg_modules`].
//!
//! ```
//! use kcfg_sema::{MemoryLoader, Model, SemaOptions, Severity};
//! use kcfg_modules::KamailioVersion;
//!
//! let mut files = MemoryLoader::new();
//! files.insert("/etc/kamailio/routes.cfg", "route[RELAY] {\n\tt_relay();\n}\n");
//! let main = "loadmodule \"tm.so\"\n\
//!             include_file \"routes.cfg\"\n\
//!             failure_route[F] {\n\tsl_send_reply(\"500\", \"x\");\n}\n\
//!             request_route {\n\tt_on_failure(\"F\");\n\troute(RELAY);\n\troute(NOPE);\n}\n";
//! let opts = SemaOptions { version: KamailioVersion::V5_6, ..Default::default() };
//! let model = Model::build("/etc/kamailio/kamailio.cfg", main, &files, &opts);
//!
//! assert_eq!(model.files.len(), 2);
//! assert_eq!(model.routes.len(), 3);
//! let codes: Vec<&str> = model.diagnostics.iter().map(|d| d.code).collect();
//! // sl_send_reply: sl is not loaded; route(NOPE): no route[NOPE]
//! assert_eq!(codes, ["KC103", "KC110"]);
//! assert!(model.diagnostics.iter().all(|d| d.severity == Severity::Error));
//! ```
//!
//! ## What is modelled
//!
//! * **Files.** Relative include paths are tried against
//!   [`SemaOptions::cwd`] (Kamailio's current directory) first, then against
//!   the including file's directory. A missing `include_file` is an error, a
//!   missing `import_file` is not. Cycles are reported and never followed;
//!   nesting is limited to [`MAX_INCLUDE_DEPTH`] (Kamailio's limit). Files are
//!   read through a [`FileLoader`] ([`FsLoader`] for real files,
//!   [`MemoryLoader`] for tests and editors); included files are parsed
//!   with the defines in effect where they are included.
//! * **Preprocessor.** `-D NAME[=VALUE]` ([`SemaOptions::defines`]),
//!   `#!define` (an error when the name is already defined, as in Kamailio),
//!   `#!trydef`, `#!redefine`, `#!undef`, `#!substdef`/`#!substdefs` (which
//!   also define the name), `#!defenv` (defined, value unknown). `#!subst`
//!   and `#!substdef` rules rewrite the string literals read after them
//!   (module names, modparams, route names, constant function arguments;
//!   not yet format strings checked for PVs) with glibc's POSIX regex, as
//!   Kamailio's lexer does (`subst.rs`). For every
//!   `#!ifdef`/`#!ifndef`/`#!else` group that is a `PP_IF` node only the
//!   active arms are analysed (each `#!else` flips the condition, as in
//!   Kamailio); `#!ifexp` is not evaluated (its arm counts as not taken).
//!   Groups that the parser could not split into arms are resolved by the
//!   parser itself with the same defines.
//! * **Names after substitution.** A define used as a function name, a
//!   route name, a `route(...)`/`t_on_*()` argument, a `loadmodule`
//!   argument or a modparam argument is replaced by its value, as Kamailio's
//!   lexer does.
//! * **Order.** Everything gets a sequence number in the order Kamailio reads
//!   it (includes expanded in place), so "loaded before" and "defined
//!   before" mean what they mean to Kamailio.
//!
//! ## Codes
//!
//! | code | severity | reported when | Kamailio 5.6.3 |
//! | --- | --- | --- | --- |
//! | KC101 | error | `loadmodule` of an unknown module (says if another version has it) | `-c`: could not find module … failed to load module |
//! | KC102 | error | the same module loaded twice | `-c`: attempting to load the same module twice … failed to load module |
//! | KC103 | error | function that is no core action and not exported by a module loaded *before* the call (says which module provides it, whether it is loaded too late, or which version has it; "did you mean") | `-c`: unknown command, missing loadmodule? |
//! | KC104 | error | module function with an argument count it has no variant for (lists the counts) | `-c`: unknown command, missing loadmodule? |
//! | KC105 | error | module function in a route type its flags do not allow (checked in the block itself, not through `route()`) | `-c`: Command cannot be used in the block |
//! | KC106 | error | `modparam` of a module not loaded before it (or loaded only later) | `-c`: No module matching \<m\> found |
//! | KC107 | error | `modparam` with a parameter the module does not have ("did you mean") | `-c`: parameter \<p\> … not found in module |
//! | KC108 | error | `modparam` value of the wrong type: `"30000"` for an int parameter, `5` for a string one (Kamailio does not convert) | `-c`: parameter \<p\> of type \<1:string\> not found |
//! | KC109 | error | a named route block whose table slot already has actions (`route[0]` clashes with `request_route`; `onreply_route[0]` and unnamed blocks append instead) | `-c`: duplicate route (and parsing stops) |
//! | KC110 | error | `route(NAME)` with no `route[NAME]` | start-up: route "NAME" not found |
//! | KC111 | warning | `t_on_failure/t_on_reply/t_on_branch/t_on_branch_failure("X")` with no such route, or one whose body is only `;` (`"0"` resets and is not checked) | start-up warning: empty/non existing route |
//! | KC112 | error | unknown core parameter `name = value` (cfg-framework `group.var = value` is not checked) | `-c`: syntax error, unknown config variable |
//! | KC113 | error | `include_file` not found or not readable | `-c`: cannot open included file |
//! | KC114 | error | include cycle | `-c`: too many includes |
//! | KC115 | error | more than 10 nested includes | `-c`: too many includes |
//! | KC116 | error | `#!define`/`#!substdef` of a name already defined (also by `-D`) | `-c`: already defined |
//! | KC117 | error | PV in an expression Kamailio cannot parse: unknown class ("did you mean"), module not loaded (or loaded later; says which `loadmodule`), class of another version, name or index where the class takes none (or no name where it needs one). Without `#!KAMAILIO` a bare `$name` falls back to an AVP (KC126) | `-c`: Can't get from cache |
//! | KC118 | error | transformation in an expression: unknown class or name ("did you mean"), class of a module not loaded, of another version, wrong parameter count, `{json.encode}` (unmatchable) | `-c`: Can't get from cache |
//! | KC119 | error | the same for a PV or transformation inside a string parameter whose fixup parses PVs (format strings of xlog, `append_hf`, `sl_send_reply`'s reason, ...; a lone `$`, `$fU.`), or a PV-only/number-or-PV parameter | start-up: fixing failed |
//! | KC120 | error | assignment to a PV without a setter (`$si`, `$ci`, `$rm`, `$hdr(X)`) or to a PV with transformations | `-c`: read only pvar in assignment left side |
//! | KC121 | error | literal that must be a number (`str2sint`: reply codes, `fixup_igp_*`, `fixup_var_int_*`, `fixup_int_*`), a PV, an xlog level (third character) or a syslog facility | start-up: fixing failed |
//! | KC122 | error | regex literal `regcomp` rejects with Kamailio's flags (`=~`: `REG_EXTENDED\|REG_NOSUB\|REG_ICASE`; `fixup_regexp_*`: `REG_EXTENDED\|REG_ICASE\|REG_NEWLINE`); a `/re/repl/flags` substitution of textops `subst`/`subst_uri`/`subst_user`/`subst_body`/`subst_hf` that `subst_parser` rejects (too short, separators, unknown flag, regex with `REG_EXTENDED\|REG_NEWLINE`, `i` adds `REG_ICASE`, `s` drops `REG_NEWLINE`) | start-up: Bad regular expression / fixing failed / bad subst. re |
//! | KC123 | warning | reply code outside 100..699 in `sl_send_reply`/`send_reply`/`t_reply`/... | never (sent as it is) |
//! | KC124 | warning | xlog level that is not one of xlog's names but whose third character is valid (`L_NOSUCH` logs at L_NOTICE) | never |
//! | KC125 | warning | `event_route` no loaded module runs (unknown name, module not loaded, a name only the documentation shows such as `htable:init`, a dynamic family without its suffix such as `htable:expired`, `nats:<subject>` of no subscribed subject), unless the name appears in a string of the config | never |
//! | KC126 | warning | without `#!KAMAILIO`, a bare `$name` that is a PV class whose module is not loaded: Kamailio reads it as an AVP | never |
//! | KC130 | warning | module function in a route that runs, through `route()`, as a block kind its flags do not allow (failure_route → route\[X\] → `sl_send_reply`), with the path; a call whose result is only tested is not reported for failure/branch routes | never (checks only the block a call is written in) |
//! | KC131 | warning | route block nothing names (`route()`, `t_on_*`, async functions, rtimer/timer modparams, any string) and Kamailio does not run by itself; not in configs without `request_route` or with `route($x)`-style names | never |
//! | KC132 | warning | routes that call themselves through `route()` (the shortest cycle) | never (at run time the message is dropped once nesting passes `max_recursive_level`) |
//! | KC133 | warning | `async_route`/`async_task_route`/`t_continue`/`http_async_query` naming a route that does not exist | never (run time) |
//! | KC134 | error | core parameter value of a kind its grammar rule does not take (`children = "four"`, `disable_tcp = "yes"`, `children = -1`, `log_name = foo`, `user = 1000`, `log_facility = "LOG_LOCAL0"`), after define substitution; only parameters whose forms are `NUMBER`/`intno`/`STRING`/`ID` and single-token values (`yes`/`no`/`on`/`off`/`true`/`false`/`enable`/`disable` and `inet`/`ipv6`... are numbers, case-sensitive) | `-c`: syntax error |
//! | KC135 | error | a module that binds its database when Kamailio starts (verified table: acc, auth_db, dispatcher, presence_xml, ...), whose URL modparam (or, when unset, its default `mysql://...`) names `db_<scheme>` that is not loaded; modes that turn the database off are respected | start-up: db_bind_mod(): Module db_mysql not found. Missing loadmodule? |
//! | KC136 | error | a module loaded before (or without) a module it binds in its `mod_init` whose API refuses to bind before its own init: registrar and pua_usrloc before usrloc (Kamailio initialises modules in load order) | start-up: bind_usrloc(): trying to bind to usrloc module before being initialized |
//! | KC137 | error | a core action whose forms in Kamailio's grammar are literals only (`log`, `strip`, `prefix`, `rewrite*`/`set*` of the R-URI, `setflag`, `error`, `exec`, `cfg_reset`, ...) given a pseudo-variable, an expression, a negative number where `NUMBER` is wanted, or a number where a string is wanted (after define substitution) | `-c`: syntax error |
//! | KC138 | error | a flag name (`setflag`, `resetflag`, `isflagset`; `setavpflag`, ...) that no `flags`/`avpflags` line declares above its use, a message flag above 31, or a `flags` line Kamailio rejects (a name twice, a position above 31, no free flag left) | `-c`: flag not declared, bad flag value, register flag failed |
//!
//! The registry with names and summaries is [`codes::ALL`].
//!
//! Ranges: KC103–KC105 cover the whole call (Kamailio reports the line of
//! its `)`), KC106–KC108 the offending `modparam` argument, KC109 the
//! duplicate block's head (Kamailio reports the line of its `}`), KC110 and
//! KC111 the route-name argument, KC113–KC115 the include directive.
//! Diagnostics are ordered as Kamailio reads the config (includes expanded
//! in place), so the first one is the one Kamailio would report first.
//!
//! ## Not modelled (yet)
//!
//! Syntax errors are not repeated here (see each [`SourceFile::parse`]).
//! `include_file` inside a route block is followed, but the included
//! statements are parsed as a file of their own
//! ([`SourceFile::included_in_route`]): their syntax errors are meaningless
//! and their calls are not checked.
//! `modparam` module names that are regular expressions other than `a|b`
//! are not checked. `#!subst` rewriting of strings, `#!ifexp`, `loadpath`
//! and core parameter values of other forms (`listen`, addresses,
//! several tokens) are not checked yet. Inner names of PVs
//! (`$time(nosuch)`), PVs nested in them (`$sht(t=>$x)`), transformation
//! parameter values, and string parameters of fixups kcfg does not know
//! (see `exprs::param_kinds`) are not checked. The route call graph ([`Model::call_graph`], [`CallGraph`]) follows
//! literal route names only; an early `return` under `if (is_reply())` does
//! not narrow the block kinds of what follows.

mod callgraph;
mod checks;
mod defines;
mod diagnostic;
mod expand;
mod exprs;
mod loader;
mod memo;
mod model;
mod subst;
mod symbols;

pub use callgraph::{CallGraph, DynamicCall, Edge, EdgeKind};
pub use defines::{Define, DefineOrigin};
pub use diagnostic::{codes, FileIdx, SemaDiagnostic, Severity};
pub use expand::{expand, ExpandError, ExpandOptions, Expansion};
pub use kcfg_modules::{BlockKind, BlockKinds, KamailioVersion};
pub use loader::{normalize, FileLoader, FsLoader, MemoryLoader};
pub use memo::RouteCache;
pub use model::{
    LoadedModule, Model, Route, RouteTable, SemaOptions, SourceFile, Walked, MAX_INCLUDE_DEPTH,
};
pub use symbols::{Role, Symbol, SymbolKind, SymbolTable};

/// Analyse the config at `path` read through `loader` (the main file too).
/// An error only when the main file cannot be read.
pub fn analyze_path(
    path: impl AsRef<std::path::Path>,
    loader: &dyn FileLoader,
    options: &SemaOptions,
) -> std::io::Result<Model> {
    let path = path.as_ref();
    let text = loader.read(path)?;
    Ok(Model::build(path, text, loader, options))
}
