//! Checks of KEMI scripts: the Lua and Python files Kamailio runs instead of
//! (or beside) the native route blocks when `cfgengine` is `lua`/`python`.
//!
//! Every `KSR.module.function(...)` call (and the core's `KSR.function`,
//! `KSR.pv.*`, `KSR.hdr.*`, and the engine's own `KSR.x.*`) is looked up in
//! the knowledge base's KEMI exports of the chosen Kamailio version:
//!
//! - `KC601` unknown KEMI function or sub-module (with "did you mean");
//! - `KC602` wrong number of arguments (KEMI functions have fixed arity);
//! - `KC603` the providing module is not loaded by the accompanying
//!   kamailio.cfg;
//! - `KC604` a function Kamailio calls is not defined by the script
//!   (`ksr_request_route`, and the callbacks the config names: `kemi.*`
//!   core parameters, modparams `event_callback`, `*_callback`, rtimer's
//!   `exec`);
//! - `KC605` `KSR.tm.t_on_failure("f")` and friends name a function the
//!   script does not define (KEMI runs the route callbacks as script
//!   functions);
//! - `KC606` the script does not parse;
//! - `KC607` (info) no config that loads the script was found.
//!
//! The scripts are parsed with real parsers: `full_moon` (Lua 5.1–5.4),
//! `rustpython-parser` (Python 3) and `ressa`/`ress` (JavaScript, app_jsdt).
//! Ruby (`app_ruby`) and Squirrel (`app_sqlang`) are not checked: see
//! ARCHITECTURE.md.

mod config;
mod js;
mod lua;
mod python;

use std::ops::Range;

use kcfg_modules::{db, suggest, KamailioVersion};

pub use config::{find_config, ConfigFacts};

/// Diagnostic codes of this crate.
pub mod codes {
    /// Unknown KEMI function or sub-module.
    pub const UNKNOWN_FUNCTION: &str = "KC601";
    /// Wrong number of arguments.
    pub const WRONG_ARITY: &str = "KC602";
    /// The module providing the function is not loaded by the config.
    pub const MODULE_NOT_LOADED: &str = "KC603";
    /// A function Kamailio calls is missing from the script.
    pub const MISSING_ENTRY: &str = "KC604";
    /// A route callback named with `KSR.tm.t_on_*("name")` is not defined.
    pub const MISSING_ROUTE_FUNCTION: &str = "KC605";
    /// The script does not parse.
    pub const SCRIPT_SYNTAX: &str = "KC606";
    /// No config loading the script was found (info).
    pub const NO_CONFIG: &str = "KC607";

    /// Every code: `(code, name, severity, summary)`, for `kcfg explain`.
    pub const ALL: &[(&str, &str, &str, &str)] = &[
        (
            UNKNOWN_FUNCTION,
            "kemi-unknown-function",
            "error",
            "a `KSR.module.function(...)` call of a KEMI function or sub-module the chosen Kamailio version does not export (the message names the versions that do, the help the nearest name); Kamailio fails when the script runs the call",
        ),
        (
            WRONG_ARITY,
            "kemi-wrong-arity",
            "error",
            "a KEMI function called with another number of arguments than it takes (KEMI functions have a fixed arity)",
        ),
        (
            MODULE_NOT_LOADED,
            "kemi-module-not-loaded",
            "error",
            "the module providing a KEMI function is not loaded by the kamailio.cfg that runs the script (calls inside `if KSR.module` / `KSR.kx.ifdef(...)` guards in Lua are not reported); also: the config given with `--cfg` loads no app module for the script's language",
        ),
        (
            MISSING_ENTRY,
            "kemi-missing-entry",
            "error",
            "a function Kamailio calls is not defined by the script: `ksr_request_route`, and the callbacks the config names (`kemi.*` core parameters, modparams `event_callback` and `*_callback`)",
        ),
        (
            MISSING_ROUTE_FUNCTION,
            "kemi-missing-route-function",
            "error",
            "`KSR.tm.t_on_failure(\"name\")` (or `t_on_branch`, `t_on_reply`, `t_on_branch_failure`) names a function the script does not define",
        ),
        (
            SCRIPT_SYNTAX,
            "kemi-script-syntax",
            "error",
            "the KEMI script (Lua, Python or JavaScript) does not parse; nothing else of it is checked",
        ),
        (
            NO_CONFIG,
            "kemi-no-config",
            "info",
            "no kamailio.cfg loading the script (through its app module's `load` or `script_name` modparam) was found next to it, and none was given with `--cfg`: loaded modules and callbacks are not checked",
        ),
    ];
}

/// The script languages kcfg reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// app_lua
    Lua,
    /// app_python, app_python3, app_python3s
    Python,
    /// app_jsdt
    JavaScript,
}

impl Language {
    /// By file extension: `.lua`, `.py`, `.js`.
    pub fn from_path(path: &std::path::Path) -> Option<Language> {
        match path.extension()?.to_str()? {
            "lua" => Some(Language::Lua),
            "py" => Some(Language::Python),
            "js" => Some(Language::JavaScript),
            _ => None,
        }
    }

    /// The app modules that run scripts of this language.
    pub fn app_modules(self) -> &'static [&'static str] {
        match self {
            Language::Lua => &["app_lua"],
            Language::Python => &["app_python3", "app_python3s", "app_python"],
            Language::JavaScript => &["app_jsdt"],
        }
    }
}

/// A `KSR...(...)` call found in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KemiCall {
    /// The names after `KSR` (`["tm", "t_relay"]`, `["info"]`).
    pub path: Vec<String>,
    /// The number of arguments; `None` when it cannot be known (`f(...)`,
    /// `f(*args)`).
    pub nargs: Option<usize>,
    /// The call's bytes in the script.
    pub range: Range<usize>,
    /// The first argument when it is a string literal.
    pub first_string_arg: Option<String>,
}

/// What a script defines and calls.
#[derive(Debug, Clone, Default)]
pub struct ScriptFacts {
    /// `KSR` calls, in order.
    pub calls: Vec<KemiCall>,
    /// Names of the functions (and methods) the script defines.
    pub functions: Vec<String>,
    /// Parse errors: (range, message).
    pub syntax_errors: Vec<(Range<usize>, String)>,
    /// `if` statements whose condition asks at run time whether a module
    /// or define exists (`if KSR.rtpengine then`, `if
    /// KSR.kx.ifdef("WITH_RTPENGINE") then`): calls inside are not reported
    /// as calls of unloaded modules (Lua only).
    pub guarded: Vec<Range<usize>>,
}

/// Whether a condition asks at run time what the config provides: a bare
/// `KSR.module` (no call: the module's table exists only when it is
/// loaded) or `KSR.kx.ifdef`/`KSR.kx.ifndef`.
pub(crate) fn is_runtime_guard(cond: &str) -> bool {
    if cond.contains("KSR.kx.ifdef") || cond.contains("KSR.kx.ifndef") {
        return true;
    }
    let b = cond.as_bytes();
    let mut i = 0;
    while let Some(p) = cond[i..].find("KSR.") {
        let start = i + p + 4;
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let after = b[start + len..].iter().find(|c| !c.is_ascii_whitespace());
        if len > 0 && !matches!(after, Some(b'.' | b'(' | b':' | b'[')) {
            return true;
        }
        i = start + len;
    }
    false
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Kamailio fails at run time (or at start-up).
    Error,
    /// Probably wrong.
    Warning,
}

/// A finding in a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KemiDiagnostic {
    /// `KC4xx`, see [`codes`].
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Bytes of the script.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

/// Parse a script and collect its calls and function definitions.
pub fn script_facts(language: Language, text: &str) -> ScriptFacts {
    match language {
        Language::Lua => lua::facts(text),
        Language::Python => python::facts(text),
        Language::JavaScript => js::facts(text),
    }
}

/// `KSR.tm.t_on_failure("name")` and friends: KEMI calls a script function
/// of that name later.
const ROUTE_ARMING: &[&str] = &[
    "tm.t_on_failure",
    "tm.t_on_branch",
    "tm.t_on_reply",
    "tm.t_on_branch_failure",
];

/// Check a script. `config`: what the accompanying kamailio.cfg loads and
/// names (`None` when there is none: only the KEMI exports and
/// `ksr_request_route` are checked).
pub fn check(
    language: Language,
    text: &str,
    version: KamailioVersion,
    config: Option<&ConfigFacts>,
) -> Vec<KemiDiagnostic> {
    let facts = script_facts(language, text);
    let mut out = Vec::new();
    for (range, msg) in &facts.syntax_errors {
        out.push(KemiDiagnostic {
            code: codes::SCRIPT_SYNTAX,
            severity: Severity::Error,
            range: range.clone(),
            message: format!("the script does not parse: {msg}"),
            help: None,
        });
    }
    if !facts.syntax_errors.is_empty() {
        return out;
    }
    let d = db(version);
    for call in &facts.calls {
        check_call(d, version, language, &facts, call, config, &mut out);
    }
    let defined = |name: &str| facts.functions.iter().any(|f| f == name);
    // functions Kamailio calls
    let mut required: Vec<(String, String)> = vec![(
        "ksr_request_route".to_string(),
        "Kamailio runs it for every SIP request".to_string(),
    )];
    if let Some(c) = config {
        for (f, why) in &c.callbacks {
            if !required.iter().any(|(r, _)| r == f) {
                required.push((f.clone(), why.clone()));
            }
        }
    }
    for (f, why) in required {
        if !defined(&f) {
            out.push(KemiDiagnostic {
                code: codes::MISSING_ENTRY,
                severity: Severity::Error,
                range: 0..0,
                message: format!("the script defines no function `{f}`: {why}"),
                help: Some(format!("define `{f}`")),
            });
        }
    }
    for call in &facts.calls {
        let joined = call.path.join(".");
        if !ROUTE_ARMING.contains(&joined.as_str()) {
            continue;
        }
        if let Some(name) = &call.first_string_arg {
            if !name.is_empty() && !defined(name) {
                let mut help = None;
                if let Some(s) = suggest(name, facts.functions.iter().map(String::as_str)) {
                    help = Some(format!("did you mean `{s}`?"));
                }
                out.push(KemiDiagnostic {
                    code: codes::MISSING_ROUTE_FUNCTION,
                    severity: Severity::Error,
                    range: call.range.clone(),
                    message: format!(
                        "`KSR.{joined}(\"{name}\")` names the function `{name}`, which the script does not define"
                    ),
                    help,
                });
            }
        }
    }
    out.sort_by_key(|d| (d.range.start, d.code));
    out
}

fn check_call(
    d: &'static kcfg_modules::Db,
    version: KamailioVersion,
    language: Language,
    facts: &ScriptFacts,
    call: &KemiCall,
    config: Option<&ConfigFacts>,
    out: &mut Vec<KemiDiagnostic>,
) {
    let joined = call.path.join(".");
    let shown = format!("KSR.{joined}");
    // KSR.x.*: the engine's own functions
    if call.path.len() == 2 && call.path[0] == "x" {
        let app = language.app_modules();
        let known = d
            .kemi_x_functions()
            .any(|(m, n)| n == call.path[1] && app.contains(&m));
        if !known {
            let names: Vec<&str> = d
                .kemi_x_functions()
                .filter(|(m, _)| app.contains(m))
                .map(|(_, n)| n)
                .collect();
            out.push(unknown(
                call,
                &shown,
                suggest(&call.path[1], names).map(|s| format!("KSR.x.{s}")),
                version,
            ));
        }
        return;
    }
    let providers: Vec<&kcfg_modules::KemiFunction> = d.kemi_all(&joined).collect();
    let Some(first) = providers.first() else {
        let suggestion = suggest(&shown, d.kemi_functions().map(|k| k.ksr)).map(str::to_string);
        out.push(unknown(call, &shown, suggestion, version));
        return;
    };
    if let Some(n) = call.nargs {
        if !providers.iter().any(|k| k.params.len() == n) {
            let want = first.params.len();
            out.push(KemiDiagnostic {
                code: codes::WRONG_ARITY,
                severity: Severity::Error,
                range: call.range.clone(),
                message: format!(
                    "`{shown}` takes {want} argument{} ({}), not {n}",
                    if want == 1 { "" } else { "s" },
                    first.params.join(", ")
                ),
                help: None,
            });
        }
    }
    let guarded = facts
        .guarded
        .iter()
        .any(|g| g.start <= call.range.start && call.range.end <= g.end);
    if let (Some(c), false) = (config, guarded) {
        if providers.iter().all(|k| k.provided_by != "core")
            && !providers
                .iter()
                .any(|k| c.loaded_modules.iter().any(|m| m == k.provided_by))
        {
            let m = first.provided_by;
            let file = d
                .module(m)
                .map_or_else(|| format!("{m}.so"), |x| x.loadmodule.to_string());
            out.push(KemiDiagnostic {
                code: codes::MODULE_NOT_LOADED,
                severity: Severity::Error,
                range: call.range.clone(),
                message: format!(
                    "`{shown}` is provided by module `{m}`, which `{}` does not load",
                    c.cfg_path.display()
                ),
                help: Some(format!("add `loadmodule \"{file}\"` to the config")),
            });
        }
    }
}

fn unknown(
    call: &KemiCall,
    shown: &str,
    suggestion: Option<String>,
    version: KamailioVersion,
) -> KemiDiagnostic {
    let mut message = format!(
        "unknown KEMI function `{shown}` in Kamailio {}",
        version.full()
    );
    let others: Vec<&str> = kcfg_modules::versions_with_kemi(shown)
        .into_iter()
        .filter(|v| *v != version)
        .map(|v| v.full())
        .collect();
    if !others.is_empty() {
        message.push_str(&format!(" (it exists in {})", others.join(", ")));
    }
    KemiDiagnostic {
        code: codes::UNKNOWN_FUNCTION,
        severity: Severity::Error,
        range: call.range.clone(),
        message,
        help: suggestion.map(|s| format!("did you mean `{s}`?")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_of(lang: Language, text: &str) -> Vec<&'static str> {
        check(lang, text, KamailioVersion::V6_0, None)
            .iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn lua_calls() {
        let ok = "function ksr_request_route()\n  KSR.info(\"x\\n\")\n  KSR.tm.t_relay()\n  KSR.x.exit()\n  if KSR.pv.get(\"$rm\") == \"X\" then KSR.sl.sl_send_reply(200, \"OK\") end\nend\n";
        assert_eq!(codes_of(Language::Lua, ok), Vec::<&str>::new());
        let bad = ok
            .replace("t_relay()", "t_rely()")
            .replace("sl_send_reply(200, \"OK\")", "sl_send_reply(200)");
        assert_eq!(codes_of(Language::Lua, &bad), ["KC601", "KC602"]);
        let d = check(Language::Lua, &bad, KamailioVersion::V6_0, None);
        assert_eq!(d[0].help.as_deref(), Some("did you mean `KSR.tm.t_relay`?"));
        assert_eq!(&bad[d[0].range.clone()], "KSR.tm.t_rely()");
        assert_eq!(codes_of(Language::Lua, "function f() end\n"), ["KC604"]);
        assert_eq!(
            codes_of(Language::Lua, "function ksr_request_route( end\n"),
            ["KC606"]
        );
        let arm = "function ksr_request_route()\n KSR.tm.t_on_failure(\"ksr_failure_x\")\nend\n";
        assert_eq!(codes_of(Language::Lua, arm), ["KC605"]);
    }

    #[test]
    fn code_table_lists_every_code() {
        let all: Vec<&str> = codes::ALL.iter().map(|c| c.0).collect();
        assert_eq!(
            all,
            ["KC601", "KC602", "KC603", "KC604", "KC605", "KC606", "KC607"]
        );
    }

    #[test]
    fn runtime_guards() {
        assert!(is_runtime_guard("not KSR.rtpproxy and not KSR.rtpengine"));
        assert!(is_runtime_guard("KSR.kx.ifdef('WITH_RTPENGINE')"));
        assert!(!is_runtime_guard("KSR.siputils.is_request()>0"));
        assert!(!is_runtime_guard("KSR.is_INVITE()"));
    }

    #[test]
    fn python_calls() {
        let ok = "import KSR as KSR\ndef ksr_request_route():\n    KSR.info(\"x\")\n    if KSR.is_INVITE():\n        KSR.tm.t_relay()\n    KSR.hdr.remove(\"Route\")\n    return 1\n";
        assert_eq!(codes_of(Language::Python, ok), Vec::<&str>::new());
        let bad = ok.replace("KSR.hdr.remove(\"Route\")", "KSR.hdr.remove(\"Route\", 1)");
        assert_eq!(codes_of(Language::Python, &bad), ["KC602"]);
        // methods of the class app_python instantiates count as defined
        let cls = "class kamailio:\n    def ksr_request_route(self, msg):\n        KSR.tm.t_relay()\n        return 1\n";
        assert_eq!(codes_of(Language::Python, cls), Vec::<&str>::new());
        assert_eq!(codes_of(Language::Python, "def f(:\n"), ["KC606"]);
    }

    #[test]
    fn javascript_calls() {
        let ok = "function ksr_request_route() {\n  KSR.info(\"x\\n\");\n  if (KSR.is_INVITE()) { KSR.tm.t_relay(); }\n  KSR.hdr.remove(\"Route\");\n  KSR.sl.sl_send_reply(200, `OK ${KSR.pv.get(\"$rU\")}`);\n  KSR.x.exit();\n}\n";
        assert_eq!(codes_of(Language::JavaScript, ok), Vec::<&str>::new());
        let f = script_facts(Language::JavaScript, ok);
        let paths: Vec<String> = f.calls.iter().map(|c| c.path.join(".")).collect();
        assert_eq!(
            paths,
            [
                "info",
                "is_INVITE",
                "tm.t_relay",
                "hdr.remove",
                "sl.sl_send_reply",
                "pv.get",
                "x.exit"
            ]
        );
        assert_eq!(f.calls[4].nargs, Some(2));
        assert_eq!(f.functions, ["ksr_request_route"]);
        let bad = ok
            .replace("t_relay()", "t_rely()")
            .replace("remove(\"Route\")", "remove(\"Route\", 1)");
        assert_eq!(codes_of(Language::JavaScript, &bad), ["KC601", "KC602"]);
        let d = check(Language::JavaScript, &bad, KamailioVersion::V6_0, None);
        assert_eq!(&bad[d[0].range.clone()], "KSR.tm.t_rely()");
        assert_eq!(d[0].help.as_deref(), Some("did you mean `KSR.tm.t_relay`?"));
        // strings, comments, regex and template literals hold no calls
        let quiet = "function ksr_request_route() {\n  var a = \"KSR.tm.t_rely()\";\n  // KSR.nope()\n  /* KSR.nope(1) */\n  var r = /KSR.nope\\(/g;\n  var t = `KSR.nope()`;\n  var d = 4 / 2; var e = d / 1;\n}\n";
        assert_eq!(codes_of(Language::JavaScript, quiet), Vec::<&str>::new());
        assert!(script_facts(Language::JavaScript, quiet).calls.is_empty());
        // `name = function` defines a function too; route arming is checked
        let arm =
            "var ksr_request_route = function() {\n KSR.tm.t_on_failure(\"ksr_failure_x\");\n};\n";
        assert_eq!(codes_of(Language::JavaScript, arm), ["KC605"]);
        assert_eq!(
            codes_of(Language::JavaScript, "function f() {}\n"),
            ["KC604"]
        );
        let broken = "function ksr_request_route() {\n  KSR.tm.t_relay(;\n}\n";
        let d = check(Language::JavaScript, broken, KamailioVersion::V6_0, None);
        assert_eq!(d.iter().map(|d| d.code).collect::<Vec<_>>(), ["KC606"]);
        assert_eq!(&broken[..d[0].range.start].lines().count(), &2, "{d:?}");
        // deep nesting is refused, not a stack overflow
        let deep = format!("var x = {}1{};\n", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(codes_of(Language::JavaScript, &deep), ["KC606"]);
        assert_eq!(
            codes_of(Language::JavaScript, "var s = \"unterminated\n"),
            ["KC606"]
        );
    }
}
