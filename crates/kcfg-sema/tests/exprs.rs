//! The expression checks (KC117–KC126): every fixture of `fixtures-exprs/`
//! in memory, and small configs for messages, help texts, defines,
//! includes, `#!ifdef` arms, versions and compatibility modes.

mod exprs_common;

use std::path::Path;

use kcfg_sema::{codes, KamailioVersion, MemoryLoader, Model, SemaOptions, Severity};

const NEW_CODES: &[&str] = &[
    "KC117", "KC118", "KC119", "KC120", "KC121", "KC122", "KC123", "KC124", "KC125", "KC126",
];

#[test]
fn every_fixture_reports_what_it_expects() {
    let dir = Path::new("/cfg");
    let fixtures = exprs_common::fixtures();
    assert!(fixtures.len() >= 80, "{} fixtures", fixtures.len());
    let mut failures = Vec::new();
    for f in &fixtures {
        let m = exprs_common::build(f, dir);
        let got = exprs_common::found(&m);
        if got != f.expect {
            failures.push(format!(
                "{}: expected {:?}, got {got:?}\n  {:#?}",
                f.name, f.expect, m.diagnostics
            ));
        }
        for d in &m.diagnostics {
            if d.help.as_deref().is_none_or(str::is_empty) {
                failures.push(format!("{}: {} has no help: {}", f.name, d.code, d.message));
            }
        }
        if !m.files[0].parse.errors().is_empty() {
            failures.push(format!(
                "{}: syntax errors {:?}",
                f.name,
                m.files[0].parse.errors()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_new_code_is_registered_and_has_fixtures() {
    let fixtures = exprs_common::fixtures();
    for code in NEW_CODES {
        assert!(codes::name(code).is_some(), "{code} not registered");
        let n = fixtures
            .iter()
            .filter(|f| f.expect.iter().any(|(c, _)| c == code))
            .count();
        assert!(n >= 1, "no fixture for {code}");
    }
    // fixtures that must be clean exist too
    assert!(fixtures.iter().filter(|f| f.expect.is_empty()).count() >= 5);
    // warnings are exactly the classes Kamailio accepts
    for code in ["KC123", "KC124", "KC125", "KC126"] {
        assert_eq!(codes::severity(code), Severity::Warning, "{code}");
    }
    for code in ["KC117", "KC118", "KC119", "KC120", "KC121", "KC122"] {
        assert_eq!(codes::severity(code), Severity::Error, "{code}");
    }
}

// ---------------------------------------------------------------- helpers

fn check_v(
    version: KamailioVersion,
    text: &str,
    extra: &[(&str, &str)],
    defines: &[&str],
) -> Model {
    let mut files = MemoryLoader::new();
    files.insert("/cfg/kamailio.cfg", text);
    for (p, t) in extra {
        files.insert(format!("/cfg/{p}"), *t);
    }
    let opts = SemaOptions {
        version,
        cwd: Some("/cfg".into()),
        defines: defines.iter().map(|s| s.to_string()).collect(),
    };
    Model::build("/cfg/kamailio.cfg", text, &files, &opts)
}

fn check(text: &str) -> Model {
    check_v(KamailioVersion::V5_6, text, &[], &[])
}

/// (code, line, message + help) of the diagnostics with the new codes.
fn new_findings(m: &Model) -> Vec<(&'static str, u32, String)> {
    m.diagnostics
        .iter()
        .filter(|d| NEW_CODES.contains(&d.code))
        .map(|d| {
            (
                d.code,
                m.file(d.file).line_of(d.range),
                format!("{} | {}", d.message, d.help.as_deref().unwrap_or("")),
            )
        })
        .collect()
}

fn one(m: &Model) -> (&'static str, u32, String) {
    let f = new_findings(m);
    assert_eq!(f.len(), 1, "{:#?}", m.diagnostics);
    f.into_iter().next().unwrap()
}

fn route(mods: &[&str], body: &str) -> String {
    let mut s = String::from("#!KAMAILIO\n");
    for m in mods {
        s.push_str(&format!("loadmodule \"{m}.so\"\n"));
    }
    s.push_str("request_route {\n");
    s.push_str(body);
    s.push_str("\tdrop;\n}\n");
    s
}

// ---------------------------------------------------------------- messages and "did you mean"

#[test]
fn unknown_pv_suggests_a_close_name() {
    let (code, line, text) = one(&check(&route(&["pv"], "\t$var(x) = $(fUU);\n")));
    assert_eq!((code, line), ("KC117", 4));
    assert!(text.contains("did you mean `$fU`?"), "{text}");
}

#[test]
fn pv_of_a_module_not_loaded_says_which_loadmodule() {
    let (code, _, text) = one(&check(&route(&["pv"], "\t$var(x) = $sht(t=>k);\n")));
    assert_eq!(code, "KC117");
    assert!(text.contains("module `htable`"), "{text}");
    assert!(text.contains("loadmodule \"htable.so\""), "{text}");
}

#[test]
fn pv_of_a_module_loaded_later_says_so() {
    let m = check("#!KAMAILIO\nloadmodule \"pv.so\"\nrequest_route {\n\t$var(x) = $sht(t=>k);\n\tdrop;\n}\nloadmodule \"htable.so\"\n");
    let (code, _, text) = one(&m);
    assert_eq!(code, "KC117");
    assert!(text.contains("loaded only after"), "{text}");
}

#[test]
fn pv_of_another_version() {
    let text = route(&["pv"], "\t$var(x) = $cts;\n");
    let (_, _, msg) = one(&check(&text));
    assert!(msg.contains("only in 6.0.7"), "{msg}");
    // and 6.0 knows it
    assert!(new_findings(&check_v(KamailioVersion::V6_0, &text, &[], &[])).is_empty());
}

#[test]
fn transformation_typo_suggests_the_name() {
    let (code, _, text) = one(&check(&route(&["pv"], "\t$var(x) = $(rU{s.tolowr});\n")));
    assert_eq!(code, "KC118");
    assert!(text.contains("did you mean `{s.tolower}`?"), "{text}");
}

#[test]
fn transformation_class_of_a_module_not_loaded() {
    let (code, _, text) = one(&check(&route(
        &["pv"],
        "\t$var(x) = $(var(j){json.parse,a});\n",
    )));
    assert_eq!(code, "KC118");
    assert!(text.contains("loadmodule \"json.so\""), "{text}");
}

#[test]
fn transformation_of_another_version() {
    let body = "\t$var(x) = $(hdr(X){s.rmhdws});\n";
    let (_, _, text) = one(&check(&route(&["pv"], body)));
    assert!(text.contains("only in 6.0.7"), "{text}");
    assert!(new_findings(&check_v(
        KamailioVersion::V6_0,
        &route(&["pv"], body),
        &[],
        &[]
    ))
    .is_empty());
}

#[test]
fn transformation_sub_names_are_case_insensitive() {
    assert!(
        new_findings(&check(&route(
            &["pv"],
            "\t$var(x) = $(rU{s.ToLower}{S.len});\n"
        )))
        .len()
            == 1
    );
    assert!(new_findings(&check(&route(&["pv"], "\t$var(x) = $(rU{s.ToLower});\n"))).is_empty());
}

#[test]
fn read_only_help_explains() {
    let (code, _, text) = one(&check(&route(&["pv"], "\t$si = \"1.2.3.4\";\n")));
    assert_eq!(code, "KC120");
    assert!(text.contains("keep a modified copy"), "{text}");
    // $fu, $ru, $du are writable
    assert!(new_findings(&check(&route(
        &["pv"],
        "\t$fu = \"sip:a@b\";\n\t$ru = $fu;\n\t$du = $null;\n"
    )))
    .is_empty());
}

#[test]
fn a_dot_after_a_pv_in_a_string_points_at_the_pv() {
    let m = check(&route(
        &["pv", "xlog"],
        "\txlog(\"L_INFO\", \"from $fU.\\n\");\n",
    ));
    let d = &m.diagnostics[0];
    assert_eq!(d.code, "KC119");
    let t = &m.files[0].text;
    assert_eq!(&t[d.range], "$fU.");
    assert!(d.help.as_deref().unwrap().contains("`$(fU)`"));
}

#[test]
fn string_ranges_follow_escapes() {
    // `\t` and `\"` are one byte each in the value, two in the source
    let m = check(&route(
        &["pv", "xlog"],
        "\txlog(\"L_INFO\", \"\\t\\\"x\\\" $nosuch\\n\");\n",
    ));
    let d = &m.diagnostics[0];
    assert_eq!(&m.files[0].text[d.range], "$nosuch");
}

#[test]
fn xlog_levels() {
    let (code, _, text) = one(&check(&route(
        &["xlog"],
        "\txlog(\"L_NOTICEE\", \"x\\n\");\n",
    )));
    assert_eq!(code, "KC124");
    assert!(
        text.contains("logs at L_NOTICE") && text.contains("did you mean `L_NOTICE`?"),
        "{text}"
    );
    // the third character decides: "LWARN" logs at L_ALERT
    let (code, _, text) = one(&check(&route(&["xlog"], "\txlog(\"LWARN\", \"x\\n\");\n")));
    assert_eq!(code, "KC124");
    assert!(
        text.contains("logs at L_ALERT") && text.contains("did you mean `L_WARN`?"),
        "{text}"
    );
    let (code, _, text) = one(&check(&route(&["xlog"], "\txlog(\"L_warn\", \"x\\n\");\n")));
    assert_eq!(code, "KC121");
    assert!(text.contains("did you mean `L_WARN`?"), "{text}");
    for ok in [
        "L_ALERT",
        "L_BUG",
        "L_CRIT2",
        "L_CRIT",
        "L_ERR",
        "L_WARN",
        "L_NOTICE",
        "L_INFO",
        "L_DBG",
        "$var(l)",
        "$(avp(l)[0])",
    ] {
        let m = check(&route(
            &["pv", "xlog"],
            &format!("\txlog(\"{ok}\", \"x\\n\");\n"),
        ));
        assert!(new_findings(&m).is_empty(), "{ok}: {:#?}", m.diagnostics);
    }
    // xlogl and the three-parameter form read the level the same way
    let m = check(&route(
        &["xlog"],
        "\txlogl(\"L_INFOO\", \"x\\n\");\n\txlog(\"LOG_LOCAL0\", \"L_INFOO\", \"x\\n\");\n",
    ));
    let c: Vec<_> = new_findings(&m)
        .into_iter()
        .map(|(c, l, _)| (c, l))
        .collect();
    assert_eq!(c, [("KC124", 4), ("KC124", 5)]);
}

#[test]
fn reply_codes() {
    let m = check(&route(&["sl", "tm"], "\tsl_send_reply(\"700\", \"x\");\n\tt_reply(\"99\", \"x\");\n\tsend_reply(\"200\", \"OK\");\n\tsl_reply(\"404\", \"x\");\n"));
    let c: Vec<_> = new_findings(&m)
        .into_iter()
        .map(|(c, l, _)| (c, l))
        .collect();
    assert_eq!(c, [("KC123", 5), ("KC123", 6)]);
}

#[test]
fn number_help_says_how_to_write_it() {
    let (_, _, text) = one(&check(&route(
        &["sl"],
        "\tsl_send_reply(\" 404\", \"x\");\n",
    )));
    assert!(text.contains("remove the spaces"), "{text}");
    let (_, _, text) = one(&check(&route(&["tm"], "\tt_reply(\"0x194\", \"x\");\n")));
    assert!(text.contains("write it in decimal: `404`"), "{text}");
}

#[test]
fn regex_messages_come_from_regcomp() {
    let (code, _, text) = one(&check(&route(&["pv"], "\tif ($rU =~ \"^(a\") { drop; }\n")));
    assert_eq!(code, "KC122");
    assert!(text.contains("Unmatched ( or \\("), "{text}");
    assert!(text.contains("balance the parentheses"), "{text}");
}

#[test]
fn regex_escapes_are_processed_like_the_lexer() {
    // "\\(" in the cfg is `\(` for regcomp: a literal parenthesis
    assert!(new_findings(&check(&route(
        &["pv"],
        "\tif ($rU =~ \"^\\\\(a\") { drop; }\n"
    )))
    .is_empty());
    // "\(" stays `\(` too (unknown escapes keep the backslash)
    assert!(new_findings(&check(&route(
        &["pv"],
        "\tif ($rU =~ \"^\\(a\") { drop; }\n"
    )))
    .is_empty());
    // single quotes are raw
    assert!(new_findings(&check(&route(&["pv"], "\tif ($rU =~ '^\\(a') { drop; }\n"))).is_empty());
}

#[test]
fn subst_expressions_are_parsed_like_subst_parser() {
    // verified with Kamailio 5.6.3 start-ups: "bad regular expression ^Subject: (.*"
    let m = check(&route(
        &["textops"],
        "\tsubst('/^Subject: (.*/Subject: x/');\n",
    ));
    let (code, line, text) = one(&m);
    assert_eq!((code, line), ("KC122", 4));
    assert!(text.contains("`^Subject: (.*`"), "{text}");
    assert!(text.contains("Unmatched ( or \\("), "{text}");
    assert!(text.contains("balance the parentheses"), "{text}");
    // the range is the regex part only
    let d = &m.diagnostics[0];
    assert_eq!(&m.files[0].text[d.range], "^Subject: (.*");
    // subst_hf: the second parameter
    let (code, _, text) = one(&check(&route(
        &["textops"],
        "\tsubst_hf(\"Subject\", \"/(x/y/\", \"a\");\n",
    )));
    assert_eq!(code, "KC122");
    assert!(text.contains("parameter 2 of `subst_hf`"), "{text}");
    // the shape: flags, separators, length
    for (body, what) in [
        ("\tsubst(\"/a/b/I\");\n", "unknown flag `I`"),
        ("\tsubst_uri(\"/a/b/x\");\n", "unknown flag `x`"),
        ("\tsubst_user(\"/a/b\");\n", "no `/` ends the replacement"),
        ("\tsubst_body(\"/a/\");\n", "the replacement is missing"),
        ("\tsubst(\"/abc\");\n", "no `/` ends the regular expression"),
        ("\tsubst(\"ab\");\n", "too short"),
    ] {
        let (code, _, text) = one(&check(&route(&["textops"], body)));
        assert_eq!(code, "KC122", "{body}");
        assert!(text.contains(what), "{body}: {text}");
        assert!(
            text.contains("Kamailio fails at start-up"),
            "{body}: {text}"
        );
    }
    // a bad PV in the replacement is a bad PV in a string
    let (code, _, text) = one(&check(&route(
        &["pv", "textops"],
        "\tsubst(\"/a/$nosuch/\");\n",
    )));
    assert_eq!(code, "KC119");
    assert!(text.contains("$nosuch"), "{text}");
    // accepted by Kamailio: escaped separators, other separators, flags,
    // `s` (REG_NEWLINE off), PVs and references in the replacement
    for body in [
        "\tsubst('/^Subject: (.*)$/Subject: [x] \\1/ig');\n",
        "\tsubst(\"|a/b|c|\");\n",
        "\tsubst(\"/a\\\\/b/c\\\\/d/\");\n",
        "\tsubst(\"/a\\nb/x/s\");\n",
        "\tsubst(\"/x*+/$rU-\\\\1/\");\n",
        "\tsubst_hf(\"Subject\", \"/^(.*)$/[t] \\\\1/\", \"a\");\n",
    ] {
        let m = check(&route(&["pv", "textops"], body));
        assert!(new_findings(&m).is_empty(), "{body}: {:#?}", m.diagnostics);
    }
    // an escaped separator does not end the regex: `a\/(` is the regex
    let (code, _, text) = one(&check(&route(&["textops"], "\tsubst(\"/a\\\\/(/x/\");\n")));
    assert_eq!(code, "KC122");
    assert!(text.contains("`a\\\\/(`"), "{text}");
}

#[test]
fn event_route_messages() {
    let m = check("#!KAMAILIO\nloadmodule \"tm.so\"\nevent_route[tm:local-reqest] {\n\tdrop;\n}\nrequest_route {\n\tdrop;\n}\n");
    let (_, _, text) = one(&m);
    assert!(text.contains("did you mean `tm:local-request`?"), "{text}");
    let m =
        check("#!KAMAILIO\nevent_route[dialog:start] {\n\tdrop;\n}\nrequest_route {\n\tdrop;\n}\n");
    let (_, _, text) = one(&m);
    assert!(text.contains("loadmodule \"dialog.so\""), "{text}");
    // names handed to a function or a modparam are routes the module runs
    let m = check("#!KAMAILIO\nloadmodule \"evrexec.so\"\nmodparam(\"evrexec\", \"exec\", \"name=evrexec:mytimer;wait=100\")\nevent_route[evrexec:mytimer] {\n\tdrop;\n}\nrequest_route {\n\tdrop;\n}\n");
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
    // dynamic suffixes
    let m = check("#!KAMAILIO\nloadmodule \"htable.so\"\nloadmodule \"tm.so\"\nevent_route[htable:expired:x] {\n\tdrop;\n}\nevent_route[tm:branch-failure:y] {\n\tdrop;\n}\nrequest_route {\n\tt_on_branch_failure(\"y\");\n}\n");
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
}

#[test]
fn event_route_names_only_the_documentation_shows() {
    let ev = |mods: &str, name: &str| {
        check(&format!(
            "#!KAMAILIO\n{mods}event_route[{name}] {{\n\tdrop;\n}}\nrequest_route {{\n\tdrop;\n}}\n"
        ))
    };
    // htable documents `htable:init`; its code runs `htable:mod-init` and
    // `htable:expired:<table>` only
    let (code, line, text) = one(&ev("loadmodule \"htable.so\"\n", "htable:init"));
    assert_eq!((code, line), ("KC125", 3));
    assert!(text.contains("documentation of module `htable`"), "{text}");
    assert!(
        text.contains("htable:expired:<name>, htable:mod-init"),
        "{text}"
    );
    // members of a family the code builds, even when the docs show them
    for name in [
        "htable:expired:mytable",
        "htable:expired:x",
        "htable:mod-init",
    ] {
        let m = ev("loadmodule \"htable.so\"\n", name);
        assert!(new_findings(&m).is_empty(), "{name}: {:#?}", m.diagnostics);
    }
    // the family name alone, or the wrong separator, is no member
    for name in ["htable:expired", "htable:expired-x"] {
        let (code, ..) = one(&ev("loadmodule \"htable.so\"\n", name));
        assert_eq!(code, "KC125", "{name}");
    }
    // documentation typos next to the real name
    let (_, _, text) = one(&ev("loadmodule \"dispatcher.so\"\n", "dispatcher:ds-down"));
    assert!(
        text.contains("did you mean `dispatcher:dst-down`?"),
        "{text}"
    );
    // names the config hands to a modparam or a function run
    let m = ev(
        "loadmodule \"evrexec.so\"\nmodparam(\"evrexec\", \"exec\", \"name=evrexec:timer;wait=100\")\n",
        "evrexec:timer",
    );
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
    let (_, _, text) = one(&ev("loadmodule \"evrexec.so\"\n", "evrexec:timer"));
    assert!(
        text.contains("runs only the event routes the config names"),
        "{text}"
    );
    // erlang runs `erlang:<registered name>` for any name
    let m = ev("loadmodule \"erlang.so\"\n", "erlang:greetings");
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
    // nats runs `nats:<subject>` for its subscribed subjects
    let m = ev(
        "loadmodule \"nats.so\"\nmodparam(\"nats\", \"subject_queue_group\", \"MyQueue1:2021\")\n",
        "nats:MyQueue1",
    );
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
    let (code, _, text) = one(&ev("loadmodule \"nats.so\"\n", "nats:MyQueue1"));
    assert_eq!(code, "KC125");
    assert!(text.contains("subject_queue_group"), "{text}");
    assert!(text.contains("\"MyQueue1:QUEUE_GROUP\""), "{text}");
    let m = ev("loadmodule \"nats.so\"\n", "nats:connected");
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
    // not loaded: said so
    let (_, _, text) = one(&ev("", "nats:connected"));
    assert!(text.contains("loadmodule \"nats.so\""), "{text}");
}

// ---------------------------------------------------------------- where the checks look

#[test]
fn inactive_ifdef_arms_are_not_checked() {
    let text = "#!KAMAILIO\nloadmodule \"pv.so\"\nrequest_route {\n#!ifdef WITH_X\n\t$var(x) = $nosuch;\n#!else\n\t$var(x) = 1;\n#!endif\n\tdrop;\n}\n";
    assert!(new_findings(&check(text)).is_empty());
    let m = check_v(KamailioVersion::V5_6, text, &[], &["WITH_X"]);
    let c: Vec<_> = new_findings(&m)
        .into_iter()
        .map(|(c, l, _)| (c, l))
        .collect();
    assert_eq!(c, [("KC117", 5)]);
}

#[test]
fn defines_set_later_in_the_file_do_not_count_earlier() {
    let text = "#!KAMAILIO\nloadmodule \"pv.so\"\nrequest_route {\n#!ifdef LATE\n\t$var(x) = $nosuch;\n#!endif\n\tdrop;\n}\n#!define LATE\n";
    assert!(new_findings(&check(text)).is_empty());
}

#[test]
fn included_files_are_checked_with_their_file() {
    let m = check_v(
        KamailioVersion::V5_6,
        "#!KAMAILIO\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\ninclude_file \"routes.cfg\"\nrequest_route {\n\troute(R);\n}\n",
        &[("routes.cfg", "route[R] {\n\txlog(\"L_INFO\", \"$nosuch\\n\");\n}\n")],
        &[],
    );
    let d = m
        .diagnostics
        .iter()
        .find(|d| d.code == "KC119")
        .expect("KC119");
    assert_eq!(m.file(d.file).path, Path::new("/cfg/routes.cfg"));
    assert_eq!(m.file(d.file).line_of(d.range), 2);
}

#[test]
fn the_kamailio_marker_in_an_included_file_counts_afterwards() {
    let m = check_v(
        KamailioVersion::V5_6,
        "include_file \"head.cfg\"\nrequest_route {\n\tif ($nosuch == 1) { drop; }\n}\n",
        &[("head.cfg", "#!KAMAILIO\nloadmodule \"pv.so\"\n")],
        &[],
    );
    let c: Vec<_> = new_findings(&m)
        .into_iter()
        .map(|(c, l, _)| (c, l))
        .collect();
    assert_eq!(c, [("KC117", 3)]);
}

#[test]
fn ser_mode_is_not_checked() {
    let m = check("#!SER\nrequest_route {\n\tif ($nosuch == 1) { drop; }\n\t$x = $y;\n}\n");
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
}

#[test]
fn bare_names_without_the_marker_are_avps() {
    // no PV of that name anywhere: an AVP on purpose
    assert!(new_findings(&check(
        "loadmodule \"pv.so\"\nrequest_route {\n\t$account = 1;\n\tdrop;\n}\n"
    ))
    .is_empty());
    // a PV whose module is not loaded: a warning
    let (code, _, text) = one(&check(
        "request_route {\n\tif ($rU == \"1\") { drop; }\n}\n",
    ));
    assert_eq!(code, "KC126");
    assert!(
        text.contains("$avp(rU)") && text.contains("loadmodule \"pv.so\""),
        "{text}"
    );
    // but with parentheses it is always a PV
    let (code, ..) = one(&check(
        "request_route {\n\tif ($hdr(X) == \"1\") { drop; }\n}\n",
    ));
    assert_eq!(code, "KC117");
}

#[test]
fn function_parameters_that_are_not_constants_are_not_checked() {
    let m = check(&route(
        &["pv", "xlog", "sl"],
        "\txlog(\"L_INFO\", \"a $nosuch\" + $var(x));\n\tsl_send_reply($var(code), \"x\");\n",
    ));
    assert!(new_findings(&m).is_empty(), "{:#?}", m.diagnostics);
}

#[test]
fn constant_concatenations_are_checked() {
    let m = check(&route(
        &["pv", "xlog"],
        "\txlog(\"L_INFO\", \"a \" + \"$nosuch\");\n",
    ));
    let (code, line, _) = one(&m);
    assert_eq!((code, line), ("KC119", 5));
}

#[test]
fn parameters_from_defines() {
    let m = check("#!KAMAILIO\n#!define CODE \"abc\"\n#!define LEVEL L_INFO\nloadmodule \"sl.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tsl_send_reply(CODE, \"x\");\n\tdrop;\n}\n");
    let (code, line, _) = one(&m);
    assert_eq!((code, line), ("KC121", 7));
}

#[test]
fn unknown_functions_are_left_to_kc103() {
    let m = check(&route(&["pv"], "\txlog(\"L_INFO\", \"$nosuch\");\n"));
    let codes: Vec<_> = m.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["KC103"]);
}

#[test]
fn the_first_failing_parameter_stops_the_call() {
    // Kamailio stops at the first parameter whose fixup fails
    let m = check(&route(
        &["pv", "sl"],
        "\tsl_send_reply(\"abc\", \"$nosuch(x)\");\n",
    ));
    let c: Vec<_> = new_findings(&m).into_iter().map(|(c, ..)| c).collect();
    assert_eq!(c, ["KC121"]);
}

#[test]
fn findings_sort_with_the_other_checks() {
    let m = check("#!KAMAILIO\nloadmodule \"pv.so\"\nrequest_route {\n\t$var(a) = $nosuch;\n\tt_relay();\n\t$var(b) = $nosuch2;\n}\n");
    let c: Vec<_> = m
        .diagnostics
        .iter()
        .map(|d| (d.code, m.file(d.file).line_of(d.range)))
        .collect();
    assert_eq!(c, [("KC117", 4), ("KC103", 5), ("KC117", 6)]);
}

#[test]
fn stock_config_has_no_expression_findings() {
    let stock =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus/etc/kamailio.cfg");
    assert!(stock.is_file());
    for v in KamailioVersion::ALL {
        for defs in [
            &[][..],
            &[
                "WITH_MYSQL",
                "WITH_AUTH",
                "WITH_NAT",
                "WITH_PRESENCE",
                "WITH_DEBUG",
                "WITH_ANTIFLOOD",
                "WITH_HTABLE",
                "WITH_PSTN",
                "WITH_VOICEMAIL",
                "WITH_ACCDB",
                "WITH_JSONRPC",
            ][..],
        ] {
            let opts = SemaOptions {
                version: v,
                cwd: stock.parent().map(Path::to_path_buf),
                defines: defs.iter().map(|s| s.to_string()).collect(),
            };
            let m = kcfg_sema::analyze_path(&stock, &kcfg_sema::FsLoader, &opts).unwrap();
            assert!(
                new_findings(&m).is_empty(),
                "{v} {defs:?}: {:#?}",
                new_findings(&m)
            );
        }
    }
}

#[test]
fn thousands_of_unknown_pvs_all_get_help() {
    let mut body = String::new();
    for i in 0..5000 {
        body.push_str(&format!("\t$var(x) = $nosuch{i} + $(ru{{s.nosub{i}}});\n"));
    }
    let m = check(&route(&["pv"], &body));
    assert_eq!(new_findings(&m).len(), 10_000);
    // "did you mean" searches have a budget; later findings still have help
    assert!(m.diagnostics.iter().all(|d| d.help.is_some()));
}
