//! End-to-end tests of `kcfg fmt`: real invocations on configs in temporary
//! directories.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

mod common;
use common::project;

const UGLY: &str =
    "request_route{\nif(is_method(\"OPTIONS\")){sl_send_reply(\"200\",\"OK\");exit;}\n}\n";
const PRETTY: &str = "request_route {\n\tif (is_method(\"OPTIONS\")) {\n\t\tsl_send_reply(\"200\", \"OK\");\n\t\texit;\n\t}\n}\n";
const BROKEN: &str = "route[BROKEN] {\n    xlog(\"x\")\n      exit;\n}\nroute[OK]{exit;}\n";

fn kcfg(dir: &Path) -> Command {
    let mut cmd = common::kcfg(dir);
    cmd.arg("fmt");
    cmd
}

fn out(cmd: &mut Command) -> (i32, String, String) {
    let o = cmd.output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

fn read(dir: &TempDir, rel: &str) -> String {
    fs::read_to_string(dir.path().join(rel)).unwrap()
}

#[test]
fn check_lists_files_that_would_change_and_writes_nothing() {
    let dir = project(&[
        ("a.cfg", UGLY.as_bytes()),
        ("sub/b.cfg", PRETTY.as_bytes()),
        ("notes.txt", UGLY.as_bytes()),
    ]);
    let (code, stdout, stderr) = out(kcfg(dir.path()).arg("--check"));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "would reformat: a.cfg\n");
    assert!(
        stderr.contains("1 file would be reformatted, 1 file already formatted"),
        "{stderr}"
    );
    assert_eq!(read(&dir, "a.cfg"), UGLY);
    // a formatted tree passes
    fs::write(dir.path().join("a.cfg"), PRETTY).unwrap();
    let (code, stdout, _) = out(kcfg(dir.path()).arg("--check"));
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn diff_prints_a_unified_diff() {
    let dir = project(&[("a.cfg", UGLY.as_bytes())]);
    let (code, stdout, _) = out(kcfg(dir.path()).args(["--diff", "a.cfg"]));
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("--- a.cfg\n+++ a.cfg\n@@ -1,3 +1,6 @@\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n-request_route{\n"), "{stdout}");
    assert!(
        stdout.contains("\n+\t\tsl_send_reply(\"200\", \"OK\");\n"),
        "{stdout}"
    );
    assert_eq!(read(&dir, "a.cfg"), UGLY, "--diff writes nothing");
}

#[test]
fn stdin_to_stdout() {
    let dir = project::<&str>(&[]);
    let (code, stdout, stderr) = out(kcfg(dir.path()).arg("-").write_stdin(UGLY));
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, PRETTY, ""));
}

#[test]
fn range_formats_only_those_lines() {
    let dir = project::<&str>(&[]);
    let input = "route[A]{exit;}\nroute[B]{exit;}\n";
    let (code, stdout, _) = out(kcfg(dir.path())
        .args(["--range", "2:2", "-"])
        .write_stdin(input));
    assert_eq!(code, 0);
    assert_eq!(stdout, "route[A]{exit;}\nroute[B] {\n\texit;\n}\n");
    let (code, _, stderr) = out(kcfg(dir.path())
        .args(["--range", "3:1", "-"])
        .write_stdin(input));
    assert_eq!(code, 2);
    assert!(stderr.contains("START:END"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn in_place_write_is_atomic_and_keeps_permissions() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = project(&[("kamailio.cfg", UGLY.as_bytes())]);
    let path = dir.path().join("kamailio.cfg");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let inode_before = fs::metadata(&path).unwrap().ino();
    // a symbolic link to the file: the link stays a link
    std::os::unix::fs::symlink(&path, dir.path().join("link.cfg")).unwrap();
    let (code, _, stderr) = out(kcfg(dir.path()).arg("link.cfg"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 file reformatted"), "{stderr}");
    assert_eq!(read(&dir, "kamailio.cfg"), PRETTY);
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    // replaced by rename, not rewritten in place
    assert_ne!(meta.ino(), inode_before);
    assert!(fs::symlink_metadata(dir.path().join("link.cfg"))
        .unwrap()
        .file_type()
        .is_symlink());
    // no temporary file left behind
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // an unchanged file is not rewritten
    let inode = fs::metadata(&path).unwrap().ino();
    let (code, _, stderr) = out(kcfg(dir.path()).arg("kamailio.cfg"));
    assert_eq!(code, 0);
    assert!(
        stderr.contains("0 files reformatted, 1 file already formatted"),
        "{stderr}"
    );
    assert_eq!(fs::metadata(&path).unwrap().ino(), inode);
}

#[test]
fn broken_item_is_kept_byte_for_byte_with_a_note() {
    let dir = project(&[("broken.cfg", BROKEN.as_bytes())]);
    let (code, _, stderr) = out(kcfg(dir.path()).arg("broken.cfg"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("broken.cfg:1: note: lines 1-4 left as they are: it has a syntax error"),
        "{stderr}"
    );
    assert_eq!(
        read(&dir, "broken.cfg"),
        "route[BROKEN] {\n    xlog(\"x\")\n      exit;\n}\nroute[OK] {\n\texit;\n}\n"
    );
}

#[test]
fn refuses_non_utf8_and_missing_files() {
    let bad: &[u8] = b"request_route {\n\txlog(\"\xff\");\n}\n";
    let dir = project(&[("bad.cfg", bad)]);
    let (code, _, stderr) = out(kcfg(dir.path()).args(["bad.cfg", "missing.cfg"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot format `bad.cfg`: the file is not valid UTF-8"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.cfg"), "{stderr}");
    assert_eq!(fs::read(dir.path().join("bad.cfg")).unwrap(), bad);
}

#[test]
fn options_come_from_kcfg_toml() {
    let dir = project(&[
        (
            "kcfg.toml",
            "[format]\nindent-style = \"space\"\nindent-width = 2\n",
        ),
        ("a.cfg", UGLY),
    ]);
    let (code, _, stderr) = out(kcfg(dir.path()).arg("a.cfg"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(&dir, "a.cfg"), PRETTY.replace('\t', "  "));
    fs::write(
        dir.path().join("kcfg.toml"),
        "[format]\nindent-style = \"tabs\"\n",
    )
    .unwrap();
    let (code, _, stderr) = out(kcfg(dir.path()).arg("a.cfg"));
    assert_eq!(code, 2);
    assert!(stderr.contains("indent-style"), "{stderr}");
}
