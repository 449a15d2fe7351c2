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
