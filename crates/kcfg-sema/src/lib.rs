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
//!             request_route {\n\troute(RELAY);\n\troute(NOPE);\n}\n";
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
//!   also define the name), `#!defenv` (defined, value unknown). For every
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
//! are not checked. `#!subst` rewriting of strings, `#!ifexp`, `loadpath`,
//! PVs, transformations, core parameter value types, misuse through
//! sub-routes and unused routes are not checked yet.

mod checks;
mod defines;
mod diagnostic;
mod loader;
mod model;

pub use defines::{Define, DefineOrigin};
pub use diagnostic::{codes, FileIdx, SemaDiagnostic, Severity};
pub use kcfg_modules::{BlockKind, KamailioVersion};
pub use loader::{normalize, FileLoader, FsLoader, MemoryLoader};
pub use model::{
    LoadedModule, Model, Route, RouteTable, SemaOptions, SourceFile, MAX_INCLUDE_DEPTH,
};

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
