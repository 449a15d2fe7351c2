//! [`SemaDiagnostic`] and the stable codes of the semantic checks.

use kcfg_syntax::TextRange;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Kamailio refuses the config (`kamailio -c` or its start-up fails).
    Error,
    /// Kamailio accepts the config, but it does not do what it says.
    Warning,
}

impl Severity {
    /// `"error"` / `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Index of a file in [`crate::Model::files`]; `FileIdx(0)` is the main file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileIdx(pub usize);

/// One finding of the semantic layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemaDiagnostic {
    /// Stable code, one of [`codes`] (`KC1xx`).
    pub code: &'static str,
    /// Error or warning; fixed per code (see [`codes::ALL`]).
    pub severity: Severity,
    /// The file the range is in.
    pub file: FileIdx,
    /// What the finding points at.
    pub range: TextRange,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, when kcfg knows.
    pub help: Option<String>,
    /// Secondary places, in the same file as `range`.
    pub labels: Vec<(TextRange, String)>,
}

impl SemaDiagnostic {
    pub(crate) fn new(
        code: &'static str,
        file: FileIdx,
        range: TextRange,
        message: impl Into<String>,
    ) -> SemaDiagnostic {
        SemaDiagnostic {
            code,
            severity: codes::severity(code),
            file,
            range,
            message: message.into(),
            help: None,
            labels: Vec::new(),
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> SemaDiagnostic {
        self.help = Some(help.into());
        self
    }

    pub(crate) fn with_help_opt(mut self, help: Option<String>) -> SemaDiagnostic {
        self.help = help;
        self
    }

    pub(crate) fn with_label(
        mut self,
        range: TextRange,
        message: impl Into<String>,
    ) -> SemaDiagnostic {
        self.labels.push((range, message.into()));
        self
    }
}

/// The codes of the semantic checks. Codes never change meaning and are
/// never reused; [`codes::ALL`](self::codes::ALL) is the registry (code,
/// name, severity, summary).
pub mod codes {
    use super::Severity;

    /// `loadmodule` of a module that does not exist (in this Kamailio version).
    pub const UNKNOWN_MODULE: &str = "KC101";
    /// The same module loaded twice.
    pub const DUPLICATE_LOADMODULE: &str = "KC102";
    /// A function that is neither a core action nor exported by a loaded module.
    pub const UNKNOWN_FUNCTION: &str = "KC103";
    /// A module function called with a number of arguments it has no variant for.
    pub const WRONG_ARGUMENT_COUNT: &str = "KC104";
    /// A module function used in a route block type that does not allow it.
    pub const FUNCTION_NOT_ALLOWED_HERE: &str = "KC105";
    /// `modparam` of a module that is not loaded, or loaded only later.
    pub const MODPARAM_MODULE_NOT_LOADED: &str = "KC106";
    /// `modparam` with a parameter name the module does not have.
    pub const UNKNOWN_MODPARAM: &str = "KC107";
    /// `modparam` with a value of the wrong type (a string for an integer parameter, or the reverse).
    pub const MODPARAM_WRONG_TYPE: &str = "KC108";
    /// Two route blocks with the same type and name.
    pub const DUPLICATE_ROUTE: &str = "KC109";
    /// `route(NAME)` of a `route[NAME]` that does not exist.
    pub const UNDEFINED_ROUTE: &str = "KC110";
    /// `t_on_failure/t_on_reply/t_on_branch/t_on_branch_failure` naming a route that does not exist.
    pub const UNDEFINED_TM_ROUTE: &str = "KC111";
    /// An unknown core parameter (`name = value` at top level).
    pub const UNKNOWN_CORE_PARAM: &str = "KC112";
    /// `include_file` of a file that cannot be found or read.
    pub const MISSING_INCLUDE: &str = "KC113";
    /// A file that includes itself, directly or through other files.
    pub const INCLUDE_CYCLE: &str = "KC114";
    /// Includes nested deeper than Kamailio allows (10).
    pub const INCLUDE_TOO_DEEP: &str = "KC115";
    /// `#!define` of a name that is already defined (also by `-D`/`-A`).
    pub const DUPLICATE_DEFINE: &str = "KC116";
    /// A pseudo-variable in an expression that Kamailio cannot parse (unknown class, module not loaded, wrong name or index).
    pub const UNKNOWN_PV: &str = "KC117";
    /// A transformation in an expression with an unknown class or name, or the wrong number of parameters.
    pub const UNKNOWN_TRANSFORMATION: &str = "KC118";
    /// An unknown PV or transformation inside a string parameter that Kamailio parses at start-up.
    pub const BAD_PV_IN_STRING: &str = "KC119";
    /// Assignment to a read-only PV, or to a PV with transformations.
    pub const READ_ONLY_PV: &str = "KC120";
    /// A literal parameter that must be a number, a PV, a log level or a facility, and is not.
    pub const INVALID_LITERAL_PARAM: &str = "KC121";
    /// A regular expression that POSIX `regcomp` rejects with Kamailio's flags, or a `/re/repl/flags` substitution that `subst_parser` rejects.
    pub const INVALID_REGEX: &str = "KC122";
    /// A SIP reply code outside 100..699.
    pub const REPLY_CODE_OUT_OF_RANGE: &str = "KC123";
    /// An xlog level that is not one of xlog's names (Kamailio reads only its third character).
    pub const UNKNOWN_XLOG_LEVEL: &str = "KC124";
    /// An `event_route` that no loaded module runs.
    pub const UNKNOWN_EVENT_ROUTE: &str = "KC125";
    /// A bare `$name` that is no PV, which Kamailio (without `#!KAMAILIO`) silently reads as an AVP.
    pub const PV_READ_AS_AVP: &str = "KC126";
    /// A module function in a route reached (through `route()`) from a block kind that does not allow it.
    pub const FUNCTION_MISUSED_THROUGH_ROUTE: &str = "KC130";
    /// A route block that nothing calls or arms, and that is no entry point.
    pub const UNUSED_ROUTE: &str = "KC131";
    /// Routes that call themselves through `route()`.
    pub const RECURSIVE_ROUTE: &str = "KC132";
    /// `async_route`/`async_task_route`/`t_continue`/`http_async_query` naming a route that does not exist.
    pub const UNDEFINED_ASYNC_ROUTE: &str = "KC133";
    /// A core parameter whose value is a token its grammar rule does not take (`children = "four"`).
    pub const CORE_PARAM_WRONG_TYPE: &str = "KC134";
    /// A module that binds a database at start-up, with a URL (set or default) whose `db_<scheme>` module is not loaded.
    pub const DB_MODULE_NOT_LOADED: &str = "KC135";
    /// A module loaded before (or without) a module it binds when Kamailio starts (registrar before usrloc).
    pub const MODULE_LOADED_TOO_EARLY: &str = "KC136";
    /// A core action whose grammar takes literals only, given something else (`log(1, $rm)`, `log(-1, "x")`).
    pub const CORE_ACTION_ARGUMENT: &str = "KC137";
    /// A flag name no `flags`/`avpflags` line declared before its use, a message flag above 31, or a `flags` declaration Kamailio rejects.
    pub const BAD_FLAG: &str = "KC138";

    /// Registry: `(code, name, severity, what it reports)`.
    pub const ALL: &[(&str, &str, Severity, &str)] = &[
        (UNKNOWN_MODULE, "unknown-module", Severity::Error,
            "loadmodule of a module that does not exist in this Kamailio version"),
        (DUPLICATE_LOADMODULE, "duplicate-loadmodule", Severity::Error,
            "the same module loaded twice"),
        (UNKNOWN_FUNCTION, "unknown-function", Severity::Error,
            "a function that is not a core action and not exported by a module loaded before it"),
        (WRONG_ARGUMENT_COUNT, "wrong-argument-count", Severity::Error,
            "a module function called with a number of arguments it does not accept"),
        (FUNCTION_NOT_ALLOWED_HERE, "function-not-allowed-in-route", Severity::Error,
            "a module function used in a route block type that does not allow it"),
        (MODPARAM_MODULE_NOT_LOADED, "modparam-module-not-loaded", Severity::Error,
            "modparam of a module that is not loaded before it"),
        (UNKNOWN_MODPARAM, "unknown-modparam", Severity::Error,
            "modparam with a parameter the module does not have"),
        (MODPARAM_WRONG_TYPE, "modparam-wrong-type", Severity::Error,
            "modparam with a string for an integer parameter or an integer for a string parameter"),
        (DUPLICATE_ROUTE, "duplicate-route", Severity::Error,
            "two route blocks of the same type with the same name"),
        (UNDEFINED_ROUTE, "undefined-route", Severity::Error,
            "route(NAME) of a route block that does not exist (Kamailio fails at start-up)"),
        (UNDEFINED_TM_ROUTE, "undefined-tm-route", Severity::Warning,
            "t_on_failure/t_on_reply/t_on_branch/t_on_branch_failure naming a route that does not exist"),
        (UNKNOWN_CORE_PARAM, "unknown-core-parameter", Severity::Error,
            "an unknown core parameter at top level"),
        (MISSING_INCLUDE, "missing-include", Severity::Error,
            "include_file of a file that cannot be found or read"),
        (INCLUDE_CYCLE, "include-cycle", Severity::Error,
            "a file that includes itself, directly or indirectly"),
        (INCLUDE_TOO_DEEP, "include-too-deep", Severity::Error,
            "includes nested deeper than Kamailio's limit of 10"),
        (DUPLICATE_DEFINE, "duplicate-define", Severity::Error,
            "#!define (or #!substdef) of a name that is already defined"),
        (UNKNOWN_PV, "unknown-pv", Severity::Error,
            "a pseudo-variable in an expression that Kamailio cannot parse: unknown class, module not loaded, wrong name or index"),
        (UNKNOWN_TRANSFORMATION, "unknown-transformation", Severity::Error,
            "a transformation in an expression with an unknown class or name, or the wrong number of parameters"),
        (BAD_PV_IN_STRING, "bad-pv-in-string", Severity::Error,
            "an unknown PV or transformation inside a string parameter that Kamailio parses at start-up"),
        (READ_ONLY_PV, "read-only-pv-assigned", Severity::Error,
            "assignment to a read-only PV or to a PV with transformations"),
        (INVALID_LITERAL_PARAM, "invalid-literal-parameter", Severity::Error,
            "a literal parameter that must be a number, a PV, a log level or a facility (Kamailio fails at start-up)"),
        (INVALID_REGEX, "invalid-regex", Severity::Error,
            "a regular expression that POSIX regcomp rejects with Kamailio's flags, or a /re/repl/flags substitution subst_parser rejects (Kamailio fails at start-up)"),
        (REPLY_CODE_OUT_OF_RANGE, "reply-code-out-of-range", Severity::Warning,
            "a SIP reply code outside 100..699, which Kamailio sends as it is"),
        (UNKNOWN_XLOG_LEVEL, "unknown-xlog-level", Severity::Warning,
            "an xlog level that is not one of xlog's names: Kamailio reads only its third character"),
        (UNKNOWN_EVENT_ROUTE, "unknown-event-route", Severity::Warning,
            "an event_route that no loaded module runs"),
        (PV_READ_AS_AVP, "pv-read-as-avp", Severity::Warning,
            "a bare $name that is no PV, which Kamailio without #!KAMAILIO silently reads as an AVP"),
        (FUNCTION_MISUSED_THROUGH_ROUTE, "function-misused-through-route", Severity::Warning,
            "a module function in a route that runs (through route()) as a block kind that does not allow it"),
        (UNUSED_ROUTE, "unused-route", Severity::Warning,
            "a route block that no route(), t_on_* or async function names, and that Kamailio does not run by itself"),
        (RECURSIVE_ROUTE, "recursive-route", Severity::Warning,
            "routes that call themselves through route()"),
        (UNDEFINED_ASYNC_ROUTE, "undefined-async-route", Severity::Warning,
            "async_route/async_task_route/t_continue/http_async_query naming a route that does not exist"),
        (CORE_PARAM_WRONG_TYPE, "core-parameter-wrong-type", Severity::Error,
            "a core parameter with a value of the wrong kind: a quoted string or a word for a number, a number or a word for a string"),
        (DB_MODULE_NOT_LOADED, "database-module-not-loaded", Severity::Error,
            "a module that connects to its database at start-up, whose db_url (set or default) names a db_<scheme> module that is not loaded"),
        (MODULE_LOADED_TOO_EARLY, "module-loaded-too-early", Severity::Error,
            "a module loaded before (or without) a module it binds when Kamailio starts, such as registrar before usrloc"),
        (CORE_ACTION_ARGUMENT, "core-action-argument", Severity::Error,
            "a core action whose grammar takes literal values only (log, strip, prefix, rewritehost, setflag...) given a pseudo-variable, an expression or a negative number"),
        (BAD_FLAG, "bad-flag", Severity::Error,
            "a flag name that no flags/avpflags line declares before its use, a message flag above 31, or a flags line Kamailio rejects (a name twice, a position above 31, more than 32 flags)"),
    ];

    /// The severity of a code (error for an unknown code).
    pub fn severity(code: &str) -> Severity {
        ALL.iter()
            .find(|(c, ..)| *c == code)
            .map_or(Severity::Error, |(_, _, s, _)| *s)
    }

    /// The name of a code (`"unknown-function"`).
    pub fn name(code: &str) -> Option<&'static str> {
        ALL.iter().find(|(c, ..)| *c == code).map(|(_, n, ..)| *n)
    }
}
