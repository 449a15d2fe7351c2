//! Helpers shared by the `kcfg` CLI tests.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use assert_cmd::Command;
use tempfile::TempDir;

/// A temporary directory holding `files` (relative path, contents).
pub fn project<C: AsRef<[u8]>>(files: &[(&str, C)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, contents) in files {
        let p = dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, contents).unwrap();
    }
    dir
}

/// `kcfg` run in `dir`, without colour-related environment.
pub fn kcfg(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("kcfg");
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}
