//! The check cases, as data: each is a small config (plus included files),
//! the diagnostics kcfg must report, and what real Kamailio 5.6.3 does with
//! it. `checks.rs` runs them in memory; `oracle.rs` writes them to a temp
//! dir and runs `kamailio -c` (and a real start-up where `-c` cannot tell).

#![allow(dead_code)]

use std::path::Path;

use kcfg_sema::{KamailioVersion, MemoryLoader, Model, SemaOptions};

/// What Kamailio 5.6.3 does with a case.
#[derive(Debug, Clone, Copy)]
pub enum Oracle {
    /// `kamailio -c` fails; its first error is on `line` of `file` ("" =
    /// main file) and its output contains `contains`.
    Check {
        file: &'static str,
        line: u32,
        contains: &'static str,
    },
    /// `kamailio -c` passes, a real start-up fails with `contains` on `line`.
    Startup { line: u32, contains: &'static str },
    /// Start-up succeeds but logs a warning containing `contains`.
    StartupWarning { contains: &'static str },
    /// `kamailio -c` accepts the config.
    Accept,
    /// `kamailio -c` accepts it and a real start-up succeeds too.
    AcceptStartup,
}

/// One case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub name: &'static str,
    /// the main file, `kamailio.cfg`
    pub main: &'static str,
    /// other files, relative to the main file's directory
    pub extra: &'static [(&'static str, &'static str)],
    /// `-D`/`-A` defines
    pub defines: &'static [&'static str],
    /// the diagnostics kcfg reports: (code, file ("" = main), line)
    pub expect: &'static [(&'static str, &'static str, u32)],
    /// a text the first diagnostic's message or help must contain
    pub first_mentions: &'static str,
    pub oracle: Oracle,
}

pub const MAIN: &str = "kamailio.cfg";

/// Analyse a case in memory, as if it lived in `dir` (the cwd is `dir`).
pub fn build(case: &Case, dir: &Path) -> Model {
    let mut files = MemoryLoader::new();
    files.insert(dir.join(MAIN), case.main);
    for (p, t) in case.extra {
        files.insert(dir.join(p), *t);
    }
    let opts = SemaOptions {
        version: KamailioVersion::V5_6,
        defines: case.defines.iter().map(|s| s.to_string()).collect(),
        cwd: Some(dir.to_path_buf()),
    };
    Model::build(dir.join(MAIN), case.main, &files, &opts)
}

/// (code, file name ("" for the main file), 1-based line) of each diagnostic.
pub fn found(model: &Model) -> Vec<(&'static str, String, u32)> {
    model
        .diagnostics
        .iter()
        .map(|d| {
            let f = model.file(d.file);
            let name = if d.file.0 == 0 {
                String::new()
            } else {
                f.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            (d.code, name, f.line_of(d.range))
        })
        .collect()
}

macro_rules! case {
    ($name:literal, $main:expr, expect: [$(($c:literal, $f:literal, $l:literal)),* $(,)?], mentions: $m:literal, oracle: $o:expr $(, extra: $extra:expr)? $(, defines: $defs:expr)? $(,)?) => {
        Case {
            name: $name,
            main: $main,
            extra: { let _e: &[(&str, &str)] = &[]; $(let _e = $extra;)? _e },
            defines: { let _d: &[&str] = &[]; $(let _d = $defs;)? _d },
            expect: &[$(($c, $f, $l)),*],
            first_mentions: $m,
            oracle: $o,
        }
    };
}

use Oracle::*;

pub const CASES: &[Case] = &[
    // ---------------------------------------------------------------- functions (KC103-KC105)
    case!("fn_module_not_loaded",
        "loadmodule \"pv.so\"\nrequest_route {\n\tsl_send_reply(\"404\", \"Not here\");\n}\n",
        expect: [("KC103", "", 3)], mentions: "loadmodule \"sl.so\"",
        oracle: Check { file: "", line: 3, contains: "failed to find command sl_send_reply (params 2)" }),
    case!("fn_module_loaded_after_use",
        "request_route {\n\tsl_send_reply(\"404\", \"Not here\");\n}\nloadmodule \"sl.so\"\n",
        expect: [("KC103", "", 2)], mentions: "loaded only after this call",
        oracle: Check { file: "", line: 2, contains: "unknown command, missing loadmodule?" }),
    case!("fn_typo",
        "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_rply(\"404\", \"Not here\");\n}\n",
        expect: [("KC103", "", 3)], mentions: "did you mean `sl_send_reply`",
        oracle: Check { file: "", line: 3, contains: "failed to find command sl_send_rply" }),
    case!("fn_only_in_newer_version",
        "loadmodule \"sl.so\"\nrequest_route {\n\tsend_reply_error();\n}\n",
        expect: [("KC103", "", 3)], mentions: "only in 6.0.7",
        oracle: Check { file: "", line: 3, contains: "failed to find command send_reply_error (params 0)" }),
    case!("fn_unknown_everywhere",
        "loadmodule \"sl.so\"\nrequest_route {\n\tno_such_function_here(1);\n}\n",
        expect: [("KC103", "", 3)], mentions: "neither a core action",
        oracle: Check { file: "", line: 3, contains: "failed to find command no_such_function_here (params 1)" }),
    case!("fn_unknown_in_condition",
        "loadmodule \"pv.so\"\nrequest_route {\n\tif (is_method(\"INVITE\")) {\n\t\tdrop;\n\t}\n}\n",
        expect: [("KC103", "", 3)], mentions: "module `textops`",
        oracle: Check { file: "", line: 3, contains: "failed to find command is_method (params 1)" }),
    case!("fn_wrong_argument_count",
        "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"404\");\n}\n",
        expect: [("KC104", "", 3)], mentions: "takes 2 arguments, not 1",
        oracle: Check { file: "", line: 3, contains: "failed to find command sl_send_reply (params 1)" }),
    case!("fn_wrong_argument_count_variants",
        "loadmodule \"tm.so\"\nrequest_route {\n\tt_relay(\"a\", \"b\", \"c\");\n}\n",
        expect: [("KC104", "", 3)], mentions: "0 or 2",
        oracle: Check { file: "", line: 3, contains: "failed to find command t_relay (params 3)" }),
    case!("fn_not_allowed_in_failure_route",
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nfailure_route[F] {\n\tsl_send_reply(\"500\", \"x\");\n}\nrequest_route {\n\tt_on_failure(\"F\");\n\tt_relay();\n}\n",
        expect: [("KC105", "", 4)], mentions: "failure_route",
        oracle: Check { file: "", line: 4, contains: "Command cannot be used in the block" }),
    case!("fn_not_allowed_in_named_onreply_route",
        "loadmodule \"tm.so\"\nonreply_route[R] {\n\tt_relay();\n}\nrequest_route {\n\tt_on_reply(\"R\");\n\tt_relay();\n}\n",
        expect: [("KC105", "", 3)], mentions: "onreply_route[NAME]",
        oracle: Check { file: "", line: 3, contains: "misused command t_relay" }),
    case!("fn_not_allowed_in_core_onreply_route",
        "loadmodule \"tm.so\"\nonreply_route {\n\tt_relay();\n}\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC105", "", 3)], mentions: "unnamed or [0]",
        oracle: Check { file: "", line: 3, contains: "Command cannot be used in the block" }),
    case!("fn_not_allowed_in_onreply_route_0",
        "loadmodule \"tm.so\"\nonreply_route[0] {\n\tt_relay();\n}\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC105", "", 3)], mentions: "unnamed or [0]",
        oracle: Check { file: "", line: 3, contains: "Command cannot be used in the block" }),
    case!("fn_not_allowed_in_branch_route",
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nbranch_route[B] {\n\tsl_send_reply(\"500\", \"x\");\n}\nrequest_route {\n\tt_on_branch(\"B\");\n\tt_relay();\n}\n",
        expect: [("KC105", "", 4)], mentions: "branch_route",
        oracle: Check { file: "", line: 4, contains: "Command cannot be used in the block" }),
    case!("fn_not_allowed_in_onsend_route",
        "loadmodule \"sl.so\"\nonsend_route {\n\tsl_send_reply(\"500\", \"x\");\n}\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC105", "", 3)], mentions: "onsend_route",
        oracle: Check { file: "", line: 3, contains: "Command cannot be used in the block" }),
    case!("fn_not_allowed_nested_in_if_and_switch",
        "loadmodule \"pv.so\"\nloadmodule \"sl.so\"\nloadmodule \"tm.so\"\nfailure_route[F] {\n\tif ($rU == \"a\") {\n\t\tsl_send_reply(\"500\", \"x\");\n\t}\n\tswitch ($rU) {\n\t\tcase \"b\":\n\t\t\tsl_send_reply(\"500\", \"y\");\n\t\t\tbreak;\n\t}\n}\nrequest_route {\n\tt_on_failure(\"F\");\n\tt_relay();\n}\n",
        expect: [("KC105", "", 6), ("KC105", "", 10)], mentions: "failure_route",
        oracle: Check { file: "", line: 6, contains: "misused command sl_send_reply" }),
    case!("fn_allowed_in_event_route",
        "loadmodule \"tm.so\"\nevent_route[tm:local-request] {\n\tt_relay();\n}\nrequest_route {\n\tt_relay();\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    case!("fn_core_actions_are_no_module_functions",
        "loadmodule \"pv.so\"\nrequest_route {\n\tforce_rport;\n\tsetflag(1);\n\tif (isflagset(1)) {\n\t\tresetflag(1);\n\t}\n\tlog(1, \"x\");\n\tstrip(2);\n\tprefix(\"+\");\n\tdrop;\n}\n",
        expect: [], mentions: "",
        oracle: AcceptStartup),
    case!("fn_name_from_define",
        "#!define REPLY sl_send_reply\nloadmodule \"sl.so\"\nrequest_route {\n\tREPLY(\"404\", \"x\");\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    // ---------------------------------------------------------------- modparam (KC106-KC108)
    case!("modparam_module_not_loaded",
        "loadmodule \"tm.so\"\nmodparam(\"usrloc\", \"db_mode\", 0)\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC106", "", 2)], mentions: "loadmodule \"usrloc.so\"",
        oracle: Check { file: "", line: 2, contains: "No module matching <usrloc> found" }),
    case!("modparam_before_loadmodule",
        "modparam(\"tm\", \"fr_timer\", 30000)\nloadmodule \"tm.so\"\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC106", "", 1)], mentions: "loaded only after this modparam",
        oracle: Check { file: "", line: 1, contains: "No module matching <tm> found" }),
    case!("modparam_unknown_parameter",
        "loadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timerr\", 30000)\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC107", "", 2)], mentions: "did you mean `fr_timer`",
        oracle: Check { file: "", line: 2, contains: "parameter <fr_timerr> of type <2:int> not found in module <tm>" }),
    case!("modparam_only_in_newer_version",
        "loadmodule \"async.so\"\nmodparam(\"async\", \"mode\", 1)\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC107", "", 2)], mentions: "only in 6.0.7",
        oracle: Check { file: "", line: 2, contains: "parameter <mode> of type <2:int> not found in module <async>" }),
    case!("modparam_string_for_int",
        "loadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timer\", \"30000\")\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC108", "", 2)], mentions: "without quotes",
        oracle: Check { file: "", line: 2, contains: "parameter <fr_timer> of type <1:string> not found in module <tm>" }),
    case!("modparam_int_for_string",
        "loadmodule \"tm.so\"\nmodparam(\"tm\", \"contacts_avp\", 5)\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC108", "", 2)], mentions: "in quotes",
        oracle: Check { file: "", line: 2, contains: "parameter <contacts_avp> of type <2:int> not found in module <tm>" }),
    case!("modparam_value_from_define",
        "#!define FR 30000\n#!define FRS \"30000\"\nloadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timer\", FR)\nmodparam(\"tm\", \"fr_inv_timer\", FRS)\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC108", "", 5)], mentions: "takes an integer",
        oracle: Check { file: "", line: 5, contains: "parameter <fr_inv_timer> of type <1:string> not found" }),
    case!("modparam_regex_alternatives",
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nmodparam(\"tm|sl\", \"fr_timer\", 30000)\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC107", "", 3)], mentions: "module `sl`",
        oracle: Check { file: "", line: 3, contains: "parameter <fr_timer> of type <2:int> not found in module <sl>" }),
    case!("modparam_ok_module_case_and_path",
        "loadmodule \"/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so\"\nloadmodule \"sl\"\nmodparam(\"TM\", \"fr_timer\", 30000)\nmodparam(\"tm\", \"fr_inv_timer\", -1)\nmodparam(\"sl\", \"bind_tm\", 1)\nrequest_route {\n\tt_relay();\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    // ---------------------------------------------------------------- modules (KC101, KC102)
    case!("module_unknown",
        "loadmodule \"tm.so\"\nloadmodule \"nosuchmodule.so\"\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC101", "", 2)], mentions: "nosuchmodule",
        oracle: Check { file: "", line: 2, contains: "could not find module <nosuchmodule>" }),
    case!("module_only_in_newer_version",
        "loadmodule \"math.so\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC101", "", 1)], mentions: "only in 6.0.7",
        oracle: Check { file: "", line: 1, contains: "could not find module <math>" }),
    case!("module_loaded_twice",
        "loadmodule \"sl\"\nloadmodule \"sl.so\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC102", "", 2)], mentions: "already loaded at line 1",
        oracle: Check { file: "", line: 2, contains: "attempting to load the same module twice" }),
    // ---------------------------------------------------------------- routes (KC109-KC111)
    case!("route_duplicate_named",
        "route[A] {\n\tdrop;\n}\nroute[A] {\n\tdrop;\n}\nrequest_route {\n\troute(A);\n}\n",
        expect: [("KC109", "", 4)], mentions: "already defined at line 1",
        oracle: Check { file: "", line: 6, contains: "duplicate route" }),
    case!("route_duplicate_failure_route_string_name",
        "failure_route[F] {\n\tdrop;\n}\nfailure_route[\"F\"] {\n\tdrop;\n}\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC109", "", 4)], mentions: "failure_route[F]",
        oracle: Check { file: "", line: 6, contains: "duplicate route" }),
    case!("route_duplicate_number_forms",
        "route[0x1] {\n\tdrop;\n}\nroute[1] {\n\tdrop;\n}\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC109", "", 4)], mentions: "route[1]",
        oracle: Check { file: "", line: 6, contains: "duplicate route" }),
    case!("route_0_is_the_request_route",
        "request_route {\n\tdrop;\n}\nroute[0] {\n\tdrop;\n}\n",
        expect: [("KC109", "", 4)], mentions: "request_route",
        oracle: Check { file: "", line: 6, contains: "duplicate route" }),
    case!("route_unnamed_blocks_append",
        "route[0] {\n\tdrop;\n}\nrequest_route {\n\tdrop;\n}\nroute {\n\tdrop;\n}\nonreply_route {\n\tdrop;\n}\nonreply_route[0] {\n\tdrop;\n}\nonreply_route[0] {\n\tdrop;\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    case!("route_empty_body_is_no_duplicate",
        "route[A] {\n\t;\n}\nroute[A] {\n\tdrop;\n}\nrequest_route {\n\troute(A);\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    case!("route_call_undefined",
        "route[RELAY] {\n\tdrop;\n}\nrequest_route {\n\troute(RELAY);\n\troute(RELAYY);\n}\n",
        expect: [("KC110", "", 6)], mentions: "did you mean `RELAY`",
        oracle: Startup { line: 6, contains: "route \"RELAYY\" not found" }),
    case!("route_call_forms",
        "#!define R_NAME \"ONE\"\nroute[ONE] {\n\tdrop;\n}\nroute[2] {\n\tdrop;\n}\nrequest_route {\n\troute(ONE);\n\troute(\"ONE\");\n\troute(R_NAME);\n\troute(2);\n\troute(0x2);\n\troute(0);\n}\n",
        expect: [], mentions: "",
        oracle: AcceptStartup),
    case!("route_call_number_undefined",
        "route[2] {\n\tdrop;\n}\nrequest_route {\n\troute(5);\n}\n",
        expect: [("KC110", "", 5)], mentions: "route[5]",
        oracle: Startup { line: 5, contains: "route \"5\" not found" }),
    case!("tm_on_failure_undefined",
        "loadmodule \"tm.so\"\nfailure_route[MANAGE_FAILURE] {\n\tdrop;\n}\nrequest_route {\n\tt_on_failure(\"MANAGE_FAILUR\");\n\tt_relay();\n}\n",
        expect: [("KC111", "", 6)], mentions: "did you mean `MANAGE_FAILURE`",
        oracle: StartupWarning { contains: "t_on_failure(\"MANAGE_FAILUR\"): empty/non existing route" }),
    case!("tm_on_reply_branch_undefined",
        "loadmodule \"tm.so\"\nrequest_route {\n\tt_on_reply(\"NOPE\");\n\tt_on_branch(\"NOPE\");\n\tt_on_branch_failure(\"NOPE\");\n\tt_relay();\n}\n",
        expect: [("KC111", "", 3), ("KC111", "", 4), ("KC111", "", 5)], mentions: "onreply_route[NOPE]",
        oracle: StartupWarning { contains: "t_on_branch_failure(\"tm:branch-failure:NOPE\"): empty/non existing route" }),
    case!("tm_on_failure_empty_route",
        "loadmodule \"tm.so\"\nfailure_route[E] {\n\t;\n}\nrequest_route {\n\tt_on_failure(\"E\");\n\tt_on_failure(\"0\");\n\tt_relay();\n}\n",
        expect: [("KC111", "", 6)], mentions: "empty",
        oracle: StartupWarning { contains: "t_on_failure(\"E\"): empty/non existing route" }),
    case!("tm_on_failure_names_a_request_route",
        "loadmodule \"tm.so\"\nroute[NATMANAGE] {\n\tdrop;\n}\nrequest_route {\n\tt_on_failure(\"NATMANAGE\");\n\troute(NATMANAGE);\n}\n",
        expect: [("KC111", "", 6)], mentions: "failure_route[NATMANAGE]",
        oracle: StartupWarning { contains: "t_on_failure(\"NATMANAGE\"): empty/non existing route" }),
    case!("tm_routes_defined",
        "loadmodule \"tm.so\"\nfailure_route[F] {\n\tdrop;\n}\nonreply_route[R] {\n\tdrop;\n}\nbranch_route[B] {\n\tdrop;\n}\nevent_route[tm:branch-failure:BF] {\n\tdrop;\n}\nrequest_route {\n\tt_on_failure(\"0\");\n\tt_on_failure(\"F\");\n\tt_on_reply(\"R\");\n\tt_on_branch(\"B\");\n\tt_on_branch_failure(\"BF\");\n\tt_relay();\n}\n",
        expect: [], mentions: "",
        oracle: AcceptStartup),
    // ---------------------------------------------------------------- core parameters (KC112)
    case!("core_param_unknown",
        "debugg = 3\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC112", "", 1)], mentions: "did you mean `debug`",
        oracle: Check { file: "", line: 1, contains: "unknown config variable" }),
    case!("core_param_removed",
        "fifo = \"/tmp/ser_fifo\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC112", "", 1)], mentions: "fifo",
        oracle: Check { file: "", line: 1, contains: "unknown config variable" }),
    case!("core_params_and_cfg_vars_ok",
        "debug = 2\nchildren = 4\nlog_stderror = yes\nmy.custom_var = 1 desc \"x\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    // ---------------------------------------------------------------- includes (KC113-KC115)
    case!("include_missing",
        "loadmodule \"tm.so\"\ninclude_file \"nosuch.cfg\"\nrequest_route {\n\tt_relay();\n}\n",
        expect: [("KC113", "", 2)], mentions: "nosuch.cfg",
        oracle: Check { file: "", line: 2, contains: "cannot open included file" }),
    case!("import_missing_is_fine",
        "loadmodule \"tm.so\"\nimport_file \"nosuch.cfg\"\nrequest_route {\n\tt_relay();\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    case!("include_relative_to_including_file",
        "include_file \"sub/modules.cfg\"\nrequest_route {\n\tsl_send_reply(\"404\", \"x\");\n\troute(FROM_SUB);\n}\n",
        expect: [], mentions: "",
        oracle: AcceptStartup,
        extra: &[("sub/modules.cfg", "loadmodule \"sl.so\"\ninclude_file \"routes.cfg\"\n"),
                 ("sub/routes.cfg", "route[FROM_SUB] {\n\tdrop;\n}\n")]),
    case!("include_error_inside_included_file",
        "loadmodule \"tm.so\"\ninclude_file \"routes.cfg\"\nrequest_route {\n\troute(R);\n}\n",
        expect: [("KC103", "routes.cfg", 3)], mentions: "module `sl`",
        oracle: Check { file: "routes.cfg", line: 3, contains: "failed to find command sl_send_reply" },
        extra: &[("routes.cfg", "route[R] {\n\tt_relay();\n\tsl_send_reply(\"500\", \"x\");\n}\n")]),
    case!("include_inside_route_block",
        "loadmodule \"sl.so\"\nrequest_route {\n\tinclude_file \"stmts.cfg\"\n\tdrop;\n}\n",
        expect: [], mentions: "",
        oracle: Accept,
        extra: &[("stmts.cfg", "sl_send_reply(\"404\", \"x\");\n")]),
    case!("include_self",
        "include_file \"kamailio.cfg\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC114", "", 1)], mentions: "include cycle",
        oracle: Check { file: "", line: 1, contains: "too many includes" }),
    case!("include_cycle_through_other_file",
        "include_file \"a.cfg\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC114", "b.cfg", 1)], mentions: "a.cfg",
        oracle: Check { file: "b.cfg", line: 1, contains: "too many includes" },
        extra: &[("a.cfg", "include_file \"b.cfg\"\n"), ("b.cfg", "include_file \"a.cfg\"\n")]),
    case!("include_too_deep",
        "include_file \"i1.cfg\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC115", "i10.cfg", 1)], mentions: "10 levels",
        oracle: Check { file: "i10.cfg", line: 1, contains: "too many includes" },
        extra: &[("i1.cfg", "include_file \"i2.cfg\"\n"), ("i2.cfg", "include_file \"i3.cfg\"\n"),
                 ("i3.cfg", "include_file \"i4.cfg\"\n"), ("i4.cfg", "include_file \"i5.cfg\"\n"),
                 ("i5.cfg", "include_file \"i6.cfg\"\n"), ("i6.cfg", "include_file \"i7.cfg\"\n"),
                 ("i7.cfg", "include_file \"i8.cfg\"\n"), ("i8.cfg", "include_file \"i9.cfg\"\n"),
                 ("i9.cfg", "include_file \"i10.cfg\"\n"), ("i10.cfg", "include_file \"i11.cfg\"\n"),
                 ("i11.cfg", "debug = 2\n")]),
    case!("include_ten_deep_is_fine",
        "include_file \"i1.cfg\"\nrequest_route {\n\tdrop;\n}\n",
        expect: [], mentions: "",
        oracle: Accept,
        extra: &[("i1.cfg", "include_file \"i2.cfg\"\n"), ("i2.cfg", "include_file \"i3.cfg\"\n"),
                 ("i3.cfg", "include_file \"i4.cfg\"\n"), ("i4.cfg", "include_file \"i5.cfg\"\n"),
                 ("i5.cfg", "include_file \"i6.cfg\"\n"), ("i6.cfg", "include_file \"i7.cfg\"\n"),
                 ("i7.cfg", "include_file \"i8.cfg\"\n"), ("i8.cfg", "include_file \"i9.cfg\"\n"),
                 ("i9.cfg", "include_file \"i10.cfg\"\n"), ("i10.cfg", "debug = 2\n")]),
    // ---------------------------------------------------------------- preprocessor (KC116, #!ifdef)
    case!("define_twice",
        "#!define WITH_X 1\n#!define WITH_X 2\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC116", "", 2)], mentions: "at line 1",
        oracle: Check { file: "", line: 2, contains: "already defined: WITH_X" }),
    case!("define_collides_with_command_line",
        "#!define WITH_X 1\nrequest_route {\n\tdrop;\n}\n",
        expect: [("KC116", "", 1)], mentions: "command line",
        oracle: Check { file: "", line: 1, contains: "already defined: WITH_X" },
        defines: &["WITH_X"]),
    case!("define_trydef_redefine_substdef",
        "#!define A 1\n#!trydef A 2\n#!redefine A 3\n#!substdef \"!MY_IP!127.0.0.1!\"\n#!ifdef MY_IP\nloadmodule \"sl.so\"\n#!endif\nrequest_route {\n\tsl_send_reply(\"404\", \"x\");\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    case!("ifdef_inactive_arm_not_checked",
        "#!ifdef WITH_SL\nloadmodule \"sl.so\"\n#!endif\nrequest_route {\n#!ifdef WITH_SL\n\tsl_send_reply(\"404\", \"x\");\n#!else\n\tdrop;\n#!endif\n}\n",
        expect: [], mentions: "",
        oracle: Accept),
    case!("ifdef_arm_taken_with_define",
        "#!ifdef WITH_SL\nloadmodule \"sl.so\"\n#!endif\nrequest_route {\n#!ifndef WITH_SL\n\tdrop;\n#!else\n\tsl_send_reply(\"404\", \"x\");\n\tt_relay();\n#!endif\n}\n",
        expect: [("KC103", "", 9)], mentions: "module `tm`",
        oracle: Check { file: "", line: 9, contains: "failed to find command t_relay" },
        defines: &["WITH_SL"]),
];
