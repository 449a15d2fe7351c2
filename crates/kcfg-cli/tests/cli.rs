//! End-to-end tests of the `kcfg` binary: real invocations on small configs
//! written to temporary directories; outputs are snapshotted with insta.

use std::fs;

use assert_cmd::Command;

const CLEAN: &str =
    "loadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"hello\\n\");\n\texit;\n}\n";
const MISSING_SEMI: &str =
    "loadmodule \"xlog.so\"\nrequest_route {\n    xlog(\"a\")\n    exit;\n}\n";

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

#[test]
fn clean_file_exits_0() {
    let dir = project(&[("kamailio.cfg", CLEAN.as_bytes())]);
    let r = run(kcfg(dir.path()).args(["check", "kamailio.cfg"]));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr, "No problems found in 1 file.\n");
}

#[test]
fn missing_semicolon_human() {
    let dir = project(&[("kamailio.cfg", MISSING_SEMI.as_bytes())]);
    let r = run(kcfg(dir.path()).args(["check", "kamailio.cfg"]));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("kamailio.cfg:3:14"));
    assert!(r.stdout.contains("add `;` at the end of the statement"));
    assert!(!r.stdout.contains('\x1b'));
    insta::assert_snapshot!(r.stdout);
    assert_eq!(r.stderr, "\nFound 1 error in 1 file.\n");
}

#[test]
fn missing_semicolon_concise() {
    let dir = project(&[("kamailio.cfg", MISSING_SEMI.as_bytes())]);
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "kamailio.cfg"]));
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!(r.stdout, @"kamailio.cfg:3:14: error[KC001] missing `;` (found `exit`)");
}

#[test]
fn missing_semicolon_json() {
    let dir = project(&[("kamailio.cfg", MISSING_SEMI.as_bytes())]);
    let r = run(kcfg(dir.path()).args(["check", "--format=json", "kamailio.cfg"]));
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    insta::assert_snapshot!(r.stdout);
}

#[test]
fn json_of_a_clean_file_is_an_empty_array() {
    let dir = project(&[("kamailio.cfg", CLEAN.as_bytes())]);
    let r = run(kcfg(dir.path()).args(["check", "--format", "json"]));
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, "[]\n", "")
    );
}

#[test]
fn stdin_dash() {
    let dir = project::<&str>(&[]);
    let r = run(kcfg(dir.path())
        .args(["check", "--format", "concise", "-"])
        .write_stdin(MISSING_SEMI));
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "<stdin>:3:14: error[KC001] missing `;` (found `exit`)\n"
    );

    let r = run(kcfg(dir.path())
        .args(["check", "--stdin-filename", "etc/kamailio.cfg", "-"])
        .write_stdin(MISSING_SEMI));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("╭─[ etc/kamailio.cfg:3:14 ]"),
        "{}",
        r.stdout
    );

    let r = run(kcfg(dir.path()).args(["check", "-"]).write_stdin(CLEAN));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (0, "No problems found in 1 file.\n")
    );
}

#[test]
fn directory_walk() {
    let broken = "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"404\", \"x\")\n}\n";
    let dir = project(&[
        ("conf/b.cfg", MISSING_SEMI.as_bytes()),
        ("conf/a.cfg", broken.as_bytes()),
        ("conf/ok.cfg", CLEAN.as_bytes()),
        ("conf/sub/deep.cfg", MISSING_SEMI.as_bytes()),
        ("conf/.hidden/skipped.cfg", MISSING_SEMI.as_bytes()),
        ("conf/target/skipped.cfg", MISSING_SEMI.as_bytes()),
        ("conf/not-a-config.txt", MISSING_SEMI.as_bytes()),
        ("top.cfg", MISSING_SEMI.as_bytes()),
    ]);
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "conf"]));
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stdout, @r"
    conf/a.cfg:3:27: error[KC001] missing `;` (found `}`)
    conf/b.cfg:3:14: error[KC001] missing `;` (found `exit`)
    conf/sub/deep.cfg:3:14: error[KC001] missing `;` (found `exit`)
    ");

    // no PATH: the current directory, shown without `./`
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise"]));
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stdout, @r"
    conf/a.cfg:3:27: error[KC001] missing `;` (found `}`)
    conf/b.cfg:3:14: error[KC001] missing `;` (found `exit`)
    conf/sub/deep.cfg:3:14: error[KC001] missing `;` (found `exit`)
    top.cfg:3:14: error[KC001] missing `;` (found `exit`)
    ");

    let r = run(kcfg(dir.path()).args(["check", "conf"]));
    assert_eq!(r.stderr, "\nFound 3 errors in 3 files.\n");
}

/// Files checked at once (`--jobs`) are reported as one at a time would
/// report them: same output, same order, same exit code, in every format,
/// with a file kcfg.toml gives define sets, a directory whose kcfg.toml is
/// broken and a file that is not UTF-8 among them.
#[test]
fn several_files_at_once_report_as_one_at_a_time() {
    let broken = "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"404\", \"x\")\n}\n";
    let ifdef = "loadmodule \"sl.so\"\nrequest_route {\n#!ifdef WITH_X\n\tsl_send_reply(\"4x4\", \"x\");\n#!endif\n\texit;\n}\n";
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("c/a.cfg".into(), broken.into()),
        (
            "c/latin1.cfg".into(),
            b"# caf\xe9\nrequest_route {\n\texit;\n}\n".to_vec(),
        ),
        ("c/sets/x.cfg".into(), ifdef.into()),
        (
            "c/sets/kcfg.toml".into(),
            b"[check]\ndefine-sets = [[], [\"WITH_X\"]]\n".to_vec(),
        ),
        ("c/bad/y.cfg".into(), CLEAN.into()),
        (
            "c/bad/kcfg.toml".into(),
            b"kamailio-version = \"9.9\"\n".to_vec(),
        ),
    ];
    for i in 0..12 {
        let text = if i % 3 == 0 { MISSING_SEMI } else { CLEAN };
        files.push((format!("c/n{i:02}.cfg"), text.into()));
    }
    let dir = project(
        &files
            .iter()
            .map(|(p, c)| (p.as_str(), c))
            .collect::<Vec<_>>(),
    );
    for format in ["human", "concise", "json", "sarif", "junit"] {
        let one = run(kcfg(dir.path())
            .env("NO_COLOR", "1")
            .args(["check", "-j", "1", "--format", format, "c"]));
        let many = run(kcfg(dir.path())
            .env("NO_COLOR", "1")
            .args(["check", "--jobs", "4", "--format", format, "c"]));
        assert_eq!(one.code, 2, "{format}: the broken kcfg.toml");
        assert_eq!(
            (one.code, &one.stdout, &one.stderr),
            (many.code, &many.stdout, &many.stderr),
            "{format}"
        );
        assert!(
            one.stderr
                .contains("kcfg.toml`: unknown `kamailio-version`"),
            "{format}: {}",
            one.stderr
        );
        assert!(
            one.stderr
                .contains("c/sets/x.cfg: checked the 2 define sets"),
            "{format}: {}",
            one.stderr
        );
    }
    // the concise lines in the order of the paths
    let r = run(kcfg(dir.path()).args(["check", "-j", "3", "--format", "concise", "c"]));
    let paths: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    for p in [
        "c/a.cfg",
        "c/latin1.cfg",
        "c/n00.cfg",
        "c/n09.cfg",
        "c/sets/x.cfg",
    ] {
        assert!(paths.contains(&p), "{p}: {}", r.stdout);
    }
    // a number of jobs is at least 1
    let r = run(kcfg(dir.path()).args(["check", "-j", "0", "c"]));
    assert_eq!(r.code, 2);
}

/// A file another target includes is checked through it (with the
/// modules its includer loads), not alone: `kcfg check DIR` of a config
/// split into includes reports no false "module not loaded". Its own
/// findings still come, through the includer; named alone it is checked
/// alone.
#[test]
fn included_files_are_checked_through_their_includer() {
    let main = "loadmodule \"sl.so\"\nloadmodule \"xlog.so\"\ninclude_file \"routes.cfg\"\nrequest_route {\n\troute(A);\n}\n";
    let routes = "route[A] {\n\txlog(\"L_INFO\", \"a\\n\");\n\tsl_send_reply(\"404\", \"x\");\n}\n";
    let dir = project(&[
        ("kamailio.cfg", main),
        ("routes.cfg", routes),
        ("other.cfg", MISSING_SEMI),
    ]);
    for jobs in ["1", "2"] {
        let r = run(kcfg(dir.path()).args(["check", "-j", jobs, "--format", "concise", "."]));
        assert_eq!(
            r.stdout, "other.cfg:3:14: error[KC001] missing `;` (found `exit`)\n",
            "-j {jobs}"
        );
        let r = run(kcfg(dir.path()).args(["check", "-j", jobs, "kamailio.cfg", "routes.cfg"]));
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "-j {jobs}");
    }
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "routes.cfg"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("routes.cfg:2:2: error[KC103]"),
        "{}",
        r.stdout
    );
    // a finding in the included file, through the includer
    fs::write(
        dir.path().join("routes.cfg"),
        routes.replace("sl_send_reply", "sl_send_rply"),
    )
    .unwrap();
    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "."]));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(
        lines[0].starts_with("other.cfg:3:14: error[KC001]"),
        "{}",
        r.stdout
    );
    assert!(
        lines[1].starts_with("routes.cfg:3:2: error[KC103] unknown function `sl_send_rply`"),
        "{}",
        r.stdout
    );
}

#[test]
fn nonexistent_path_exits_2() {
    let dir = project::<&str>(&[]);
    let r = run(kcfg(dir.path()).args(["check", "missing.cfg"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with("kcfg: error: cannot read `missing.cfg`: "),
        "{}",
        r.stderr
    );
}

#[test]
fn io_errors_win_over_findings_but_findings_are_still_reported() {
    let dir = project(&[("kamailio.cfg", MISSING_SEMI.as_bytes())]);
    let r = run(kcfg(dir.path()).args([
        "check",
        "--format",
        "concise",
        "kamailio.cfg",
        "missing.cfg",
    ]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stdout,
        "kamailio.cfg:3:14: error[KC001] missing `;` (found `exit`)\n"
    );
    assert!(r.stderr.contains("missing.cfg"));
}

#[test]
fn directory_without_configs_exits_2() {
    let dir = project(&[("docs/readme.txt", b"hi")]);
    let r = run(kcfg(dir.path()).args(["check", "docs"]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "kcfg: error: no `.cfg` files found in `docs`\n");
}

#[test]
fn non_utf8_file_reports_the_offset() {
    let dir = project(&[("latin1.cfg", b"# caf\xe9\nrequest_route {\n\texit;\n}\n")]);
    let r = run(kcfg(dir.path()).args(["check", "latin1.cfg"]));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("offset 5"));
    insta::assert_snapshot!(r.stdout);

    let r = run(kcfg(dir.path()).args(["check", "--format", "concise", "latin1.cfg"]));
    insta::assert_snapshot!(r.stdout, @"latin1.cfg:1:6: error[KC002] the file is not valid UTF-8: bad byte at offset 5");
}

#[test]
fn too_large_file_is_refused_without_reading_it() {
    let dir = project::<&str>(&[]);
    let big = fs::File::create(dir.path().join("huge.cfg")).unwrap();
    big.set_len(65 * 1024 * 1024).unwrap(); // sparse: costs no disk
    let r = run(kcfg(dir.path()).args(["check", "huge.cfg"]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "kcfg: error: cannot check `huge.cfg`: the file is too large to check (65.0 MiB; the limit is 64.0 MiB)\n"
    );
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let dir = project(&[("kamailio.cfg", MISSING_SEMI.as_bytes())]);
    // not a terminal: auto means no colour
    let r = run(kcfg(dir.path())
        .args(["check", "--color", "auto", "kamailio.cfg"])
        .env("NO_COLOR", "1"));
    assert!(!r.stdout.contains('\x1b'));
    let r = run(kcfg(dir.path()).args(["check", "--color", "never", "kamailio.cfg"]));
    assert!(!r.stdout.contains('\x1b'));
    // always means always, even with NO_COLOR
    let r = run(kcfg(dir.path())
        .args(["check", "--color", "always", "kamailio.cfg"])
        .env("NO_COLOR", "1"));
    assert!(
        r.stdout.contains("\x1b[1;31merror[KC001]"),
        "{:?}",
        r.stdout
    );
}

#[test]
fn syntax_tree() {
    let dir = project(&[("k.cfg", b"request_route {\n\texit\n}\n")]);
    let r = run(kcfg(dir.path()).args(["syntax-tree", "k.cfg"]));
    assert_eq!(r.code, 0);
    insta::assert_snapshot!(r.stdout);

    let r = run(kcfg(dir.path())
        .args(["syntax-tree", "-"])
        .write_stdin(CLEAN));
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .starts_with(&format!("SOURCE_FILE@0..{}\n", CLEAN.len())),
        "{}",
        r.stdout
    );

    let r = run(kcfg(dir.path()).args(["syntax-tree", "nope.cfg"]));
    assert_eq!(r.code, 2);
}

#[test]
fn version_help_and_usage_errors() {
    let dir = project::<&str>(&[]);
    let r = run(kcfg(dir.path()).arg("--version"));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, concat!("kcfg ", env!("CARGO_PKG_VERSION"), "\n"))
    );
    let r = run(kcfg(dir.path()).args(["check", "--help"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit status:"));
    let r = run(kcfg(dir.path()).args(["check", "--format", "xml"]));
    assert_eq!(r.code, 2);
    let r = run(&mut kcfg(dir.path()));
    assert_eq!(r.code, 2);
}

/// `kcfg run` on a capture whose Kamailio is not at the config's `listen`
/// address: a note says where the requests go; `--kamailio-addr` (also
/// without `--compare`) makes them reach the config.
#[test]
fn run_capture_kamailio_addr() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/trace");
    let base = ["run", "relay.cfg", "--trace", "recorded/relay.pcap"];
    let r = run(kcfg(&root).args(base));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("messages to Kamailio: 0 "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("note: no message is addressed to Kamailio at udp:127.0.0.1:5060"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("the capture's requests go to: 127.0.0.1:56804 ("),
        "{}",
        r.stdout
    );
    let r = run(kcfg(&root)
        .args(base)
        .args(["--kamailio-addr", "127.0.0.1:56804"]));
    assert!(
        !r.stdout.contains("messages to Kamailio: 0 "),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("note: no message"), "{}", r.stdout);
}

/// `kcfg run` on a config Kamailio would refuse (a missing `;`): the run
/// still shows what the rest of the config does, but lists the errors first,
/// says the timeline is not Kamailio's behaviour and exits 1.
#[test]
fn run_config_with_syntax_error_is_not_kamailios_behaviour() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("bad.cfg"),
        "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"200\", \"OK\")\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("m.sip"),
        "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
    )
    .expect("write");
    let r = run(kcfg(dir.path()).args(["run", "bad.cfg", "--trace", "m.sip"]));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .starts_with("config error (Kamailio would not start): bad.cfg:3: KC001 syntax error"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "NOT KAMAILIO'S BEHAVIOUR: Kamailio 5.6 would not start with this config (1 error"
        ),
        "{}",
        r.stdout
    );
    // without the error: a clean run, exit 0
    std::fs::write(
        dir.path().join("bad.cfg"),
        "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"200\", \"OK\");\n}\n",
    )
    .expect("write");
    let r = run(kcfg(dir.path()).args(["run", "bad.cfg", "--trace", "m.sip"]));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(!r.stdout.contains("would not start"), "{}", r.stdout);
}
