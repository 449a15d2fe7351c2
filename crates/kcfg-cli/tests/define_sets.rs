//! `kcfg check --all-defines` and `kcfg.toml` (`kamailio-version`,
//! `[check] define-sets`): real invocations on configs in temp dirs.

use std::path::Path;

use assert_cmd::Command;

use common::kcfg;

mod common;
use common::project;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `WITH_A` loads nothing but calls `t_relay()` (tm missing);
/// `WITH_B` calls `sl_send_reply` without sl; `NOPE()` is always wrong.
const TWO_FEATURES: &str = "\
loadmodule \"xlog.so\"
request_route {
#!ifdef WITH_A
\tt_relay();
#!endif
#!ifdef WITH_B
\tsl_send_reply(\"404\", \"x\");
#!endif
#!ifndef WITH_A
\txlog(\"L_INFO\", \"no A\\n\");
#!endif
\tnope_fn();
}
";

#[test]
fn all_combinations_of_few_names() {
    let dir = project(&[("kamailio.cfg", TWO_FEATURES)]);
    let r = run(kcfg(dir.path()).args([
        "check",
        "--all-defines",
        "--format",
        "concise",
        "kamailio.cfg",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "kamailio.cfg: checked all 4 combinations of 2 defines: WITH_A, WITH_B\n"
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    // 3 errors, and the lint warning on the unchecked `t_relay()` (KC306)
    // of the WITH_A arm, only where that arm is active
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(lines
        .iter()
        .any(|l| l.starts_with("kamailio.cfg:4:2: warning[KC306]")
            && l.ends_with("(with defines: WITH_A | WITH_A, WITH_B)")));
    // in every set: no define list
    assert!(lines
        .iter()
        .any(|l| l.starts_with("kamailio.cfg:12:2: error[KC103]") && !l.contains("with defines")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("kamailio.cfg:4:2: error[KC103]")
            && l.ends_with("(with defines: WITH_A | WITH_A, WITH_B)")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("kamailio.cfg:7:2: error[KC103]")
            && l.ends_with("(with defines: WITH_B | WITH_A, WITH_B)")));
}

#[test]
fn notes_in_the_human_and_json_formats() {
    let dir = project(&[("kamailio.cfg", TWO_FEATURES)]);
    let r = run(kcfg(dir.path()).args(["check", "--all-defines", "kamailio.cfg"]));
    assert_eq!(r.code, 1);
    // KC103 and the KC306 lint warning of the same `t_relay()`
    assert_eq!(
        r.stdout
            .matches("with defines: WITH_A | WITH_A, WITH_B")
            .count(),
        2
    );
    assert!(
        r.stderr
            .ends_with("Found 3 errors and 1 warning in 1 file.\n"),
        "{}",
        r.stderr
    );
    let r =
        run(kcfg(dir.path()).args(["check", "--all-defines", "--format", "json", "kamailio.cfg"]));
    assert!(
        r.stdout
            .contains("\"with defines: WITH_B | WITH_A, WITH_B\""),
        "{}",
        r.stdout
    );
    // the message itself is not changed outside the concise format
    assert!(!r.stdout.contains("(with defines"));
}

#[test]
fn without_the_flag_one_set_is_checked() {
    let dir = project(&[("kamailio.cfg", TWO_FEATURES)]);
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "kamailio.cfg"]));
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    // -D names are fixed and not toggled
    let r = run(kcfg(dir.path()).args([
        "check",
        "--all-defines",
        "-D",
        "WITH_A",
        "--format",
        "concise",
        "kamailio.cfg",
    ]));
    assert_eq!(
        r.stderr,
        "kamailio.cfg: checked all 2 combinations of 1 define: WITH_B\n"
    );
    assert!(r.stdout.contains("kamailio.cfg:4:2: error[KC103]"));
    assert!(!r
        .stdout
        .lines()
        .any(|l| l.contains(":4:2:") && l.contains("with defines")));
}

#[test]
fn many_names_each_alone_plus_all_and_none() {
    let mut text = String::from("loadmodule \"xlog.so\"\n");
    for i in 0..10 {
        text.push_str(&format!(
            "#!ifdef WITH_{i}\nloadmodule \"sl.so\"\n#!endif\n"
        ));
    }
    text.push_str("request_route {\n\tsl_send_reply(\"404\", \"x\");\n}\n");
    let dir = project(&[("kamailio.cfg", &text)]);
    let r = run(kcfg(dir.path()).args([
        "check",
        "--all-defines",
        "--format",
        "concise",
        "kamailio.cfg",
    ]));
    assert!(
        r.stderr.starts_with(
            "kamailio.cfg: checked 12 define sets: none, each of 10 defines alone, and all of them (more than 8 defines: not every combination"
        ),
        "{}",
        r.stderr
    );
    // sl is loaded twice when two of them are on; missing when none is
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines
        .iter()
        .any(|l| l.contains("error[KC103]") && l.ends_with("(with defines: (none))")));
    assert!(lines.iter().any(|l| l.contains("error[KC102]")
        && l.contains("with defines: all 10 of WITH_0, WITH_1, WITH_2, …")));
}

#[test]
fn names_the_config_defines_are_not_toggled_and_comments_are_skipped() {
    let text = "#!define WITH_FIXED\n#!ifdef WITH_FIXED\nloadmodule \"xlog.so\"\n#!endif\n\
                #!ifdef NOTES_COMMENT\n  ALTER TABLE acc ADD COLUMN x;\n#!endif\n\
                request_route {\n\txlog(\"L_INFO\", \"x\\n\");\n}\n";
    let dir = project(&[("kamailio.cfg", text)]);
    let r = run(kcfg(dir.path()).args(["check", "--all-defines", "kamailio.cfg"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.starts_with("kamailio.cfg: the config tests no define with #!ifdef/#!ifndef that could be toggled: checked once; not toggled: NOTES_COMMENT"),
        "{}",
        r.stderr
    );
}

#[test]
fn findings_in_an_included_file_are_merged_across_sets() {
    let main = "#!ifdef WITH_X\nloadmodule \"xlog.so\"\n#!endif\ninclude_file \"routes.cfg\"\nrequest_route {\n\troute(R);\n}\n";
    let routes = "route[R] {\n\tnope_fn();\n#!ifdef WITH_X\n\tnope_too();\n#!endif\n}\n";
    let dir = project(&[("kamailio.cfg", main), ("routes.cfg", routes)]);
    // xlog is loaded and not used: KC504 (a lint, not what this test is about)
    let r = run(kcfg(dir.path()).args([
        "check",
        "--all-defines",
        "--ignore",
        "KC504",
        "--format",
        "concise",
        "kamailio.cfg",
    ]));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(
        lines[0].contains("routes.cfg:2:2: error[KC103]") && !lines[0].contains("with defines")
    );
    assert!(
        lines[1].contains("routes.cfg:4:2: error[KC103]")
            && lines[1].ends_with("(with defines: WITH_X)")
    );
    // one file with findings, not one per define set
    let r = run(kcfg(dir.path()).args([
        "check",
        "--all-defines",
        "--ignore",
        "KC504",
        "kamailio.cfg",
    ]));
    assert!(
        r.stderr.ends_with("Found 2 errors in 1 file.\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn kcfg_toml_define_sets_and_version_are_found_upward() {
    // send_reply_error exists only in 6.0; kcfg.toml says 5.6
    let cfg = "loadmodule \"sl.so\"\nrequest_route {\n#!ifdef WITH_A\n\tsend_reply_error();\n#!endif\n\tdrop;\n}\n";
    let toml = "kamailio-version = \"5.6\"\n[check]\ndefine-sets = [[\"WITH_A\"], []]\n";
    let dir = project(&[("etc/kamailio/kamailio.cfg", cfg), ("kcfg.toml", toml)]);
    let r =
        run(kcfg(dir.path()).args(["check", "--format", "concise", "etc/kamailio/kamailio.cfg"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("etc/kamailio/kamailio.cfg: checked the 2 define sets from "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.trim_end().ends_with("kcfg.toml"), "{}", r.stderr);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        ["etc/kamailio/kamailio.cfg:4:2: error[KC103] unknown function `send_reply_error`: it does not exist in Kamailio 5.6.3, only in 6.0.7, master (module `sl`) (with defines: WITH_A)"]
    );
    // the command line wins over kcfg.toml
    let r = run(kcfg(dir.path()).args([
        "check",
        "--kamailio-version",
        "6.0",
        "etc/kamailio/kamailio.cfg",
    ]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // --all-defines adds the combinations; kcfg.toml's sets are among them
    let r = run(kcfg(dir.path()).args([
        "check",
        "--all-defines",
        "--format",
        "concise",
        "etc/kamailio/kamailio.cfg",
    ]));
    assert!(
        r.stderr.contains(
            "checked all 2 combinations of 1 define: WITH_A; plus 0 more of the 2 define sets from"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn kcfg_toml_version_alone() {
    let cfg = "loadmodule \"sl.so\"\nrequest_route {\n\tsend_reply_error();\n}\n";
    let dir = project(&[
        ("kamailio.cfg", cfg),
        ("kcfg.toml", "[check]\nkamailio-version = \"5.6\"\n"),
    ]);
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "kamailio.cfg"]));
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    assert!(
        r.stdout.contains("does not exist in Kamailio 5.6.3"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_bad_kcfg_toml_is_a_usage_error() {
    let dir = project(&[
        ("kamailio.cfg", "request_route {\n\tdrop;\n}\n"),
        ("kcfg.toml", "[check]\ndefine-sets = [[\"WITH-X\"]]\n"),
    ]);
    let r = run(kcfg(dir.path()).args(["check", "kamailio.cfg"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("kcfg: error: cannot check `kamailio.cfg`: `"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`WITH-X` is not a define name"),
        "{}",
        r.stderr
    );
    let dir = project(&[
        ("kamailio.cfg", "request_route {\n\tdrop;\n}\n"),
        ("kcfg.toml", "kamailio-version = 5.6\n"),
    ]);
    let r = run(kcfg(dir.path()).args(["check", "kamailio.cfg"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// The stock config defines `DBURL` only with `WITH_MYSQL`; each database
/// feature turned on alone uses it, and Kamailio rejects that (checked in
/// `tests/tests/differential_check.rs`: the stock config with `WITH_AUTH`
/// alone fails at line 452, as here). Every other define set is clean.
#[test]
fn the_stock_config_for_every_define_set() {
    let stock =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus/etc/kamailio.cfg");
    let dir = tempfile::tempdir().unwrap();
    let r = run(kcfg(dir.path())
        .args(["check", "--all-defines", "--format", "concise"])
        .arg(&stock));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let mut sets: Vec<(u32, String)> = Vec::new();
    for line in r.stdout.lines() {
        assert!(
            line.contains("error[KC001] `DBURL` is not defined"),
            "only DBURL findings expected: {line}"
        );
        let at = line.split(".cfg:").nth(1).unwrap();
        let line_no: u32 = at.split(':').next().unwrap().parse().unwrap();
        let set = line
            .rsplit("(with defines: ")
            .next()
            .unwrap()
            .trim_end_matches(')');
        sets.push((line_no, set.to_string()));
    }
    let expected: Vec<(u32, String)> = [
        (434, "WITH_ACCDB"),
        (446, "WITH_USRLOCDB"),
        (452, "WITH_AUTH"),
        (468, "WITH_ALIASDB"),
        (474, "WITH_SPEEDDIAL"),
        (480, "WITH_MULTIDOMAIN"),
        (487, "WITH_PRESENCE"),
        (490, "WITH_PRESENCE"),
    ]
    .iter()
    .map(|(l, s)| (*l, s.to_string()))
    .collect();
    assert_eq!(sets, expected, "{}", r.stdout);
    assert!(r.stderr.contains("checked 24 define sets"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not toggled: ACCDB_COMMENT"),
        "{}",
        r.stderr
    );
}
