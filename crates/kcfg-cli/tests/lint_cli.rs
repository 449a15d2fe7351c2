//! `kcfg check` with lint rules: selection flags and `[lint]` of kcfg.toml,
//! `--fix`/`--diff`/`--unsafe-fixes`, `--statistics`, the sarif, github and
//! junit formats, and `kcfg explain`.

use std::fs;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

const RELAY: &str = "loadmodule \"tm.so\"\nrequest_route {\n\tt_relay();\n\texit;\n}\n";
const DOT: &str = "loadmodule \"pv.so\"\nroute[R] {\n\treturn 0;\n}\nrequest_route {\n\t$var(a) = \"x\" . $ci;\n\troute(R);\n\texit;\n}\n";

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("kcfg")
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, t) in files {
        let p = d.path().join(n);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, t).unwrap();
    }
    d
}

#[test]
fn select_and_ignore_on_the_command_line_and_in_kcfg_toml() {
    let d = dir_with(&[("k.cfg", RELAY)]);
    let (code, out, _) = run(d.path(), &["check", "--format", "concise", "k.cfg"]);
    assert_eq!(code, 1);
    assert!(out.contains("warning[KC306]"), "{out}");
    let (code, out, _) = run(
        d.path(),
        &["check", "--format", "concise", "--ignore", "KC306", "k.cfg"],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, out, _) = run(
        d.path(),
        &[
            "check",
            "--format",
            "concise",
            "--select",
            "KC2,unused-define",
            "k.cfg",
        ],
    );
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, _, err) = run(d.path(), &["check", "--select", "no-such-rule", "k.cfg"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-rule"), "{err}");
    // kcfg.toml in a directory above the file
    let d = dir_with(&[
        ("sub/k.cfg", RELAY),
        (
            "kcfg.toml",
            "[lint]\nignore = [\"t-relay-result-unchecked\"]\n",
        ),
    ]);
    let (code, out, _) = run(d.path(), &["check", "--format", "concise", "sub/k.cfg"]);
    assert_eq!((code, out.as_str()), (0, ""));
    let d = dir_with(&[
        ("old/k.cfg", RELAY),
        (
            "kcfg.toml",
            "[lint.per-file-ignores]\n\"old/*.cfg\" = [\"KC3\"]\n",
        ),
    ]);
    let (code, _, _) = run(d.path(), &["check", "old/k.cfg"]);
    assert_eq!(code, 0);
}

#[test]
fn fix_diff_and_unsafe_fixes() {
    let d = dir_with(&[("k.cfg", DOT)]);
    let (code, out, err) = run(d.path(), &["check", "--diff", "k.cfg"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("-\t$var(a) = \"x\" . $ci;\n+\t$var(a) = \"x\" + $ci;"),
        "{out}"
    );
    assert!(
        !out.contains("exit;\n+"),
        "the unsafe fix is not shown without --unsafe-fixes: {out}"
    );
    assert_eq!(
        fs::read_to_string(d.path().join("k.cfg")).unwrap(),
        DOT,
        "--diff writes nothing"
    );
    let (code, _, err) = run(
        d.path(),
        &["check", "--fix", "--format", "concise", "k.cfg"],
    );
    assert_eq!(code, 1, "KC304 is left: {err}");
    let fixed = fs::read_to_string(d.path().join("k.cfg")).unwrap();
    assert!(
        fixed.contains("\"x\" + $ci") && fixed.contains("return 0;"),
        "{fixed}"
    );
    let (code, _, _) = run(d.path(), &["check", "--fix", "--unsafe-fixes", "k.cfg"]);
    assert_eq!(code, 0);
    let fixed = fs::read_to_string(d.path().join("k.cfg")).unwrap();
    assert!(fixed.contains("\texit;\n}\nrequest_route"), "{fixed}");
}

#[test]
fn statistics_and_formats() {
    let d = dir_with(&[("k.cfg", RELAY)]);
    let (_, out, _) = run(d.path(), &["check", "--statistics", "k.cfg"]);
    assert_eq!(out, "    1  KC306  t-relay-result-unchecked\n");
    let (_, out, _) = run(d.path(), &["check", "--format", "github", "k.cfg"]);
    assert_eq!(out, "::warning file=k.cfg,line=3,col=2,endLine=3,endColumn=11,title=KC306::the result of `t_relay()` is not checked: when forwarding fails, the caller gets no reply%0Ahelp: `if (!t_relay()) { sl_reply_error(); }`\n");
    let (_, out, _) = run(d.path(), &["check", "--format", "junit", "k.cfg"]);
    assert!(
        out.starts_with("<?xml") && out.contains("<testcase name=\"KC306\" classname=\"k.cfg\""),
        "{out}"
    );
    let (_, out, _) = run(d.path(), &["check", "--format", "sarif", "k.cfg"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let r = &v["runs"][0]["results"][0];
    assert_eq!(r["ruleId"], "KC306");
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(v["runs"][0]["tool"]["driver"]["rules"][idx]["id"], "KC306");
}

#[test]
fn explain() {
    let d = tempfile::tempdir().unwrap();
    let (code, out, _) = run(d.path(), &["explain", "KC301"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# KC301 `reply-without-exit`") && out.contains("## Why is this bad"),
        "{out}"
    );
    let (_, by_name, _) = run(d.path(), &["explain", "reply-without-exit"]);
    assert_eq!(by_name, out);
    let (code, out, _) = run(d.path(), &["explain", "KC103"]);
    assert_eq!(code, 0);
    assert!(out.contains("unknown-function"), "{out}");
    let (_, out, _) = run(d.path(), &["explain", "KC001"]);
    assert!(out.contains("syntax-error"), "{out}");
    let (code, _, err) = run(d.path(), &["explain", "KC999"]);
    assert_eq!(code, 2);
    assert!(err.contains("KC999"));
    let (_, out, _) = run(d.path(), &["explain"]);
    assert!(out.lines().count() > 50 && out.contains("KC503"), "{out}");
}
