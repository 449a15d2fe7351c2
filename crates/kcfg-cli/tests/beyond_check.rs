//! End-to-end tests of `kcfg expand`, `kcfg graph`, `kcfg docs` and `kcfg check` on KEMI
//! scripts, on the vendored fixtures. Graphs are snapshotted with insta.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kcfg ARGS` run in the workspace root: (exit code, stdout, stderr).
fn kcfg(args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("kcfg")
        .current_dir(root())
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn expand_inlines_and_drops_inactive_arms() {
    let (code, out, err) = kcfg(&["expand", "fixtures/expand/includes.cfg"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "a=1\npart=1\n\n\npart=1\n\nb=2\n");
    let (code, out, _) = kcfg(&[
        "expand",
        "--source-markers",
        "-D",
        "A",
        "fixtures/expand/nested.cfg",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# from fixtures/expand/nested.cfg:1\n#!define OUTER\n# from "),
        "{out}"
    );
    assert!(out.contains("a_not_b=1\n") && !out.contains("neither"));
    // a missing include stops Kamailio: the text up to there, and the error
    let (code, out, err) = kcfg(&["expand", "fixtures/expand/missing-include.cfg"]);
    assert_eq!((code, out.as_str()), (1, "x=1\n"));
    assert!(
        err.contains("missing-include.cfg:2: error: cannot open included file"),
        "{err}"
    );
    let (code, _, err) = kcfg(&["expand", "fixtures/nope.cfg"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"));
}

#[test]
fn graph_snapshots() {
    for (name, cfg) in [
        ("stock", "fixtures/corpus/etc/kamailio.cfg"),
        (
            "ims_scscf",
            "fixtures/corpus/misc/examples/ims/scscf/kamailio.cfg",
        ),
        (
            "webrtc",
            "fixtures/corpus/misc/examples/webrtc/kamailio-default-websocket.cfg",
        ),
    ] {
        let (code, dot, err) = kcfg(&["graph", cfg]);
        assert_eq!((code, err.as_str()), (0, ""), "{cfg}");
        insta::assert_snapshot!(format!("graph_dot_{name}"), dot);
        let (code, mermaid, _) = kcfg(&["graph", "--format", "mermaid", cfg]);
        assert_eq!(code, 0);
        insta::assert_snapshot!(format!("graph_mermaid_{name}"), mermaid);
        let (code, svg, err) = kcfg(&["graph", "--format", "svg", cfg]);
        assert_eq!((code, err.as_str()), (0, ""), "{cfg}");
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains(">route") || svg.contains(">request_route"),
            "{cfg}"
        );
    }
    // the stock graph checked in under docs/ shows what kcfg draws today (layout-rs places
    // nodes differently from run to run, so the labels are compared, not the bytes)
    let labels = |svg: &str| {
        let mut l: Vec<String> = svg
            .split("<tspan")
            .skip(1)
            .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</tspan>")?].to_string()))
            .collect();
        l.sort();
        l
    };
    let (_, svg, _) = kcfg(&[
        "graph",
        "--format",
        "svg",
        "fixtures/corpus/etc/kamailio.cfg",
    ]);
    let checked_in = std::fs::read_to_string(root().join("docs/stock-route-graph.svg")).unwrap();
    assert!(labels(&svg).len() > 20);
    assert_eq!(
        labels(&svg),
        labels(&checked_in),
        "regenerate docs/stock-route-graph.svg (see ARCHITECTURE.md, kcfg-graph)"
    );
}

#[test]
fn graph_coverage_is_refused() {
    let (code, out, err) = kcfg(&[
        "graph",
        "--coverage",
        "run.json",
        "fixtures/corpus/etc/kamailio.cfg",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("no runtime"), "{err}");
}

#[test]
fn docs_entries() {
    let (code, out, _) = kcfg(&["docs", "t_on_failure", "--kamailio-version", "5.6"]);
    assert_eq!(code, 0);
    assert!(out.contains("function t_on_failure  (module tm)"), "{out}");
    assert!(out.contains("arguments:   1"));
    assert!(
        out.contains("route types: request, failure, onreply_tm, branch"),
        "{out}"
    );
    let (code, out, err) = kcfg(&["docs", "t_on_falure"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("did you mean `t_on_failure`?"), "{err}");
    let (code, _, err) = kcfg(&["docs", "--kamailio-version", "5.6", "send_reply_error"]);
    assert_eq!(code, 1);
    assert!(err.contains("it exists in 6.0.7"), "{err}");
}

#[test]
fn check_kemi_scripts() {
    for script in [
        "fixtures/kemi/kamailio-basic-kemi-lua.lua",
        "fixtures/kemi/kamailio-basic-kemi-python.py",
        "fixtures/kemi/kamailio-basic-kemi-python3s.py",
    ] {
        let (code, out, _) = kcfg(&["check", "--format", "concise", script]);
        assert_eq!((code, out.as_str()), (0, ""), "{script}");
    }
    let (code, out, _) = kcfg(&[
        "check",
        "--format",
        "json",
        "--cfg",
        "fixtures/kemi/kamailio-basic-kemi.cfg",
        "fixtures/kemi/mutated/lua-wrong-arity.lua",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("\"code\": \"KC602\"") || out.contains("\"code\":\"KC602\""),
        "{out}"
    );
    // without a config next to it: an info, the script's own checks still run
    let (code, out, _) = kcfg(&[
        "check",
        "--format",
        "concise",
        "fixtures/kemi/mutated/lua-renamed-function.lua",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("KC601") && out.contains("KC607"), "{out}");
}

#[test]
fn check_javascript_kemi_scripts() {
    // Kamailio's JavaScript example: its config (next to it) is found through
    // app_jsdt's `load` modparam; the one finding is the example's real
    // `KSR.hdr.append_hf`, which Kamailio does not export
    let (code, out, _) = kcfg(&[
        "check",
        "--format",
        "concise",
        "fixtures/kemi/kamailio-basic-kemi-jsdt.js",
    ]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("KC601") && out.contains("KSR.hdr.append_hf"),
        "{out}"
    );
    for (script, want) in [
        ("fixtures/kemi/mutated/js-wrong-arity.js", "KC602"),
        ("fixtures/kemi/mutated/js-missing-entry.js", "KC604"),
        ("fixtures/kemi/mutated/js-syntax-error.js", "KC606"),
    ] {
        let (code, out, _) = kcfg(&[
            "check",
            "--format",
            "concise",
            "--cfg",
            "fixtures/kemi/kamailio-basic-kemi.cfg",
            script,
        ]);
        assert_eq!(code, 1, "{script}: {out}");
        assert!(out.lines().all(|l| l.contains(want)), "{script}: {out}");
        assert!(out.contains(want), "{script}: {out}");
    }
}

#[test]
fn explain_kemi_codes() {
    for (c, name, sev, _) in kcfg_kemi::codes::ALL {
        let (code, out, err) = kcfg(&["explain", c]);
        assert_eq!(code, 0, "{c}: {err}");
        assert!(out.starts_with(&format!("# {c} `{name}`")), "{out}");
        assert!(out.contains(&format!("Severity: {sev}")), "{out}");
        // by name, and lower case
        assert_eq!(kcfg(&["explain", name]).1, out);
        assert_eq!(kcfg(&["explain", &c.to_lowercase()]).1, out);
    }
    let (_, out, _) = kcfg(&["explain", "KC602"]);
    assert!(out.contains("number of arguments"), "{out}");
    // the list has them
    let (_, list, _) = kcfg(&["explain"]);
    assert!(list.contains("KC604  kemi-missing-entry"), "{list}");
    let (code, _, _) = kcfg(&["explain", "KC608"]);
    assert_eq!(code, 2);
}
