//! Editor integrations and pre-commit hooks (issue #8), run from `cargo test --workspace`:
//!
//! - `vscode-extension/`: `npm ci`, `npm test` (type check, grammar tests with vscode-tmgrammar-test,
//!   the grammar compared with kcfg's lexer on the corpus, snippets parsed by kcfg, unit tests),
//!   `npm run package` (the .vsix);
//! - `editors/neovim/`: a headless Neovim session (filetype detection, the syntax fallback, and — when
//!   `kcfg lsp` exists — the server attaching, diagnostics and hover), in Debian 12's Neovim 0.7 and
//!   in 0.10 and >= 0.11 (`scripts/install-neovim-versions.sh`), one per client API of the plugin;
//! - `editors/emacs/`: ERT in Emacs batch mode (the same, through eglot);
//! - `editors/helix/languages.toml`: well-formed and wired to `kcfg lsp`;
//! - `.pre-commit-hooks.yaml`: `pre-commit try-repo` on a scratch repository with a good and a bad
//!   config (`kcfg-check`), and an unformatted one (`kcfg-fmt`, when `kcfg fmt` exists).
//!
//! Each test runs when its tool is installed and says SKIPPED otherwise; with `CI=true` a missing
//! tool fails the test (`scripts/install-editor-tools.sh` installs them). The language-server and
//! formatter parts run whenever the kcfg built from this workspace has `lsp` / `fmt`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use kcfg_tests::root;

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// `name` on PATH.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The tool, or `None` after printing SKIPPED; panics under CI=true.
fn require(name: &str, test: &str) -> Option<PathBuf> {
    match which(name) {
        Some(p) => Some(p),
        None if ci() => panic!(
            "{test}: `{name}` not found; CI must install it: run scripts/install-editor-tools.sh"
        ),
        None => {
            println!(
                "{test}: SKIPPED, `{name}` is not installed (scripts/install-editor-tools.sh)"
            );
            None
        }
    }
}

/// The kcfg binary of this workspace, built on first use (`cargo build -p kcfg-cli`).
fn kcfg() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                "kcfg-cli",
                "--bin",
                "kcfg",
                "--message-format=json",
            ])
            .current_dir(root())
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build -p kcfg-cli failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let exe = stdout
            .lines()
            .filter(|l| l.contains("\"compiler-artifact\"") && l.contains("\"executable\":\""))
            .filter_map(|l| {
                let rest = &l[l.find("\"executable\":\"")? + "\"executable\":\"".len()..];
                Some(PathBuf::from(&rest[..rest.find('"')?]))
            })
            .find(|p| p.file_stem().is_some_and(|s| s == "kcfg"))
            .expect("cargo build reported no kcfg executable");
        assert!(exe.is_file(), "{} is not a file", exe.display());
        exe
    })
}

/// Whether this kcfg has the subcommand (`kcfg SUB --help` succeeds).
fn kcfg_has(sub: &str) -> bool {
    Command::new(kcfg())
        .args([sub, "--help"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn show(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed\n{}", show(&out));
    out
}

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kcfg-{name}-"))
        .tempdir()
        .expect("temp dir")
}

#[test]
fn vscode_extension_tests_and_package() {
    let Some(npm) = require("npm", "vscode extension") else {
        return;
    };
    let dir = root().join("vscode-extension");
    let kcfg = kcfg();
    run(Command::new(&npm)
        .args(["ci", "--no-audit", "--no-fund", "--prefer-offline"])
        .current_dir(&dir));
    let out = run(Command::new(&npm)
        .arg("test")
        .env("KCFG_BIN", kcfg)
        .current_dir(&dir));
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    // every grammar fixture ran, the lexer comparison found no disagreement, the unit tests ran
    let fixtures = std::fs::read_dir(dir.join("test/grammar"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "cfg"))
        })
        .count();
    assert!(fixtures >= 5, "grammar fixtures missing");
    assert_eq!(
        text.matches("run successfuly").count(),
        fixtures,
        "every grammar fixture passes"
    );
    assert!(
        text.contains("grammar-vs-lexer: ") && text.contains(" 0 disagreements"),
        "grammar compared with the lexer"
    );
    assert!(
        text.contains("snippets: ") && text.contains(" passed, 0 failed"),
        "every snippet parses"
    );
    assert!(text.contains("# fail 0"), "unit tests pass");

    let vsix = dir.join("kcfg.vsix");
    let _ = std::fs::remove_file(&vsix);
    run(Command::new(&npm)
        .args(["run", "package"])
        .current_dir(&dir));
    let bytes = std::fs::read(&vsix).expect("npm run package wrote kcfg.vsix");
    assert!(bytes.starts_with(b"PK"), "the .vsix is a zip");
    let names = String::from_utf8_lossy(&bytes);
    for entry in [
        "extension/package.json",
        "extension/dist/extension.js",
        "extension/syntaxes/kamailio.tmLanguage.json",
        "extension/language-configuration.json",
        "extension/snippets/kamailio.code-snippets",
    ] {
        assert!(names.contains(entry), "{entry} in the .vsix");
    }
    assert!(
        !names.contains("node_modules/"),
        "the .vsix has no node_modules"
    );
}

#[test]
fn neovim_headless() {
    let Some(nvim) = require("nvim", "neovim") else {
        return;
    };
    run_neovim(&nvim, "0.7 (Debian 12)");
}

/// The newer Neovims that `scripts/install-neovim-versions.sh` unpacks under `/opt/kcfg-nvim`
/// (or `KCFG_NVIM_DIR`): 0.10 from Debian trixie takes the plugin's `vim.lsp.start` path, the sid
/// release (>= 0.11) the `vim.lsp.config` path. Required under CI=true.
#[test]
fn neovim_newer_versions() {
    let dir =
        PathBuf::from(std::env::var_os("KCFG_NVIM_DIR").unwrap_or_else(|| "/opt/kcfg-nvim".into()));
    for suite in ["trixie", "sid"] {
        let nvim = dir.join(suite).join("nvim");
        if !nvim.is_file() {
            assert!(
                !ci(),
                "{}: not installed; CI must run scripts/install-neovim-versions.sh",
                nvim.display()
            );
            println!(
                "neovim ({suite}): SKIPPED, {} is not installed (scripts/install-neovim-versions.sh)",
                nvim.display()
            );
            continue;
        }
        run_neovim(&nvim, suite);
    }
}

/// `editors/neovim/test/run.lua` in a headless `nvim`.
fn run_neovim(nvim: &Path, label: &str) {
    let tmp = scratch("nvim");
    let lsp = kcfg_has("lsp");
    let out = Command::new(nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "--cmd"])
        .arg(format!(
            "set rtp^={}",
            root().join("editors/neovim").display()
        ))
        .arg("-c")
        .arg(format!(
            "luafile {}",
            root().join("editors/neovim/test/run.lua").display()
        ))
        .env("KCFG_TEST_DIR", tmp.path())
        .env("KCFG_BIN", kcfg())
        .env("KCFG_TEST_LSP", if lsp { "1" } else { "0" })
        .output()
        .expect("run nvim");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("--- neovim {label}: {}\n{text}", nvim.display());
    assert!(out.status.success(), "neovim test failed\n{}", show(&out));
    assert!(text.contains("nvim: 0 failed"), "{}", show(&out));
    assert!(
        text.matches("\nok ").count() + usize::from(text.starts_with("ok ")) >= 30,
        "the checks ran"
    );
    assert!(
        text.contains("takes the vim.lsp."),
        "the API path was checked"
    );
    if lsp {
        assert!(
            !text.contains("SKIP"),
            "kcfg lsp exists: the LSP part must run"
        );
        assert!(text.contains("ok   diagnostics arrived"));
    } else {
        println!("neovim: the language server part was SKIPPED: this kcfg has no `lsp` command");
    }
}

#[test]
fn emacs_batch() {
    let Some(emacs) = require("emacs", "emacs") else {
        return;
    };
    let tmp = scratch("emacs");
    let lsp = kcfg_has("lsp");
    let out = Command::new(emacs)
        .args(["--batch", "-Q", "-L"])
        .arg(root().join("editors/emacs"))
        .arg("-l")
        .arg(root().join("editors/emacs/test/kamailio-mode-test.el"))
        .args(["-f", "ert-run-tests-batch-and-exit"])
        .env("KCFG_TEST_DIR", tmp.path())
        .env("KCFG_BIN", kcfg())
        .env("KCFG_TEST_LSP", if lsp { "1" } else { "0" })
        .output()
        .expect("run emacs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{text}");
    assert!(out.status.success(), "emacs tests failed\n{}", show(&out));
    let summary = text
        .lines()
        .find(|l| l.starts_with("Ran "))
        .expect("ERT summary");
    assert!(
        summary.contains("0 unexpected") || !summary.contains("unexpected"),
        "{summary}"
    );
    if lsp {
        assert!(
            !summary.contains("skipped"),
            "kcfg lsp exists: eglot test must run: {summary}"
        );
    } else {
        println!("emacs: the eglot test was SKIPPED: this kcfg has no `lsp` command");
    }
}

#[test]
fn helix_languages_toml() {
    let text = std::fs::read_to_string(root().join("editors/helix/languages.toml")).unwrap();
    let doc: toml::Table = text.parse().expect("languages.toml parses");
    let server = &doc["language-server"]["kcfg"];
    assert_eq!(server["command"].as_str(), Some("kcfg"));
    assert_eq!(server["args"].as_array().unwrap()[0].as_str(), Some("lsp"));
    let config = server["config"].as_table().expect("initializationOptions");
    assert!(config["defines"].is_array());
    let langs = doc["language"].as_array().unwrap();
    let kam = langs
        .iter()
        .find(|l| l["name"].as_str() == Some("kamailio"))
        .expect("[[language]] kamailio");
    assert_eq!(
        kam["language-servers"].as_array().unwrap()[0].as_str(),
        Some("kcfg")
    );
    let globs: Vec<&str> = kam["file-types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.get("glob").and_then(|g| g.as_str()))
        .collect();
    assert!(globs.contains(&"kamailio.cfg"), "{globs:?}");
    assert!(globs.contains(&"kamailio-*.cfg"), "{globs:?}");
}

fn git(dir: &Path, args: &[&str]) {
    run(Command::new("git")
        .args(["-c", "user.name=kcfg", "-c", "user.email=kcfg@localhost"])
        .args(args)
        .current_dir(dir));
}

/// `pre-commit try-repo ROOT HOOK --files FILE` in `repo`, building kcfg from ROOT (dev profile,
/// this workspace's target directory, so it stays incremental).
fn try_repo(pre_commit: &Path, repo: &Path, hook: &str, file: &str) -> Output {
    let target = kcfg().parent().unwrap().parent().unwrap().to_path_buf();
    Command::new(pre_commit)
        .args(["try-repo"])
        .arg(root())
        .args([hook, "--verbose", "--color", "never", "--files", file])
        .current_dir(repo)
        .env("KCFG_PRECOMMIT_PROFILE", "dev")
        .env("KCFG_PRECOMMIT_TARGET_DIR", target)
        .env("PRE_COMMIT_HOME", repo.join(".pre-commit-cache"))
        .env_remove("KCFG_BIN")
        .output()
        .expect("run pre-commit")
}

#[test]
fn pre_commit_hooks() {
    let Some(pre_commit) = require("pre-commit", "pre-commit") else {
        return;
    };
    if require("git", "pre-commit").is_none() {
        return;
    }
    let tmp = scratch("precommit");
    let repo = tmp.path();
    std::fs::create_dir_all(repo.join("good")).unwrap();
    std::fs::create_dir_all(repo.join("bad")).unwrap();
    std::fs::write(
        repo.join("good/kamailio.cfg"),
        "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"200\", \"OK\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("bad/kamailio.cfg"),
        "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"200\", \"OK\")\n\texit;\n}\n",
    )
    .unwrap();
    git(repo, &["init", "-q"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "configs"]);

    let good = try_repo(&pre_commit, repo, "kcfg-check", "good/kamailio.cfg");
    assert!(
        good.status.success(),
        "kcfg-check passes on the good config\n{}",
        show(&good)
    );
    let bad = try_repo(&pre_commit, repo, "kcfg-check", "bad/kamailio.cfg");
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(
        bad.status.code(),
        Some(1),
        "kcfg-check fails on the bad config\n{}",
        show(&bad)
    );
    assert!(
        text.contains("kcfg check") && text.contains("Failed"),
        "{}",
        show(&bad)
    );
    assert!(
        text.contains("error[KC001]") && text.contains("missing `;`"),
        "kcfg's message is shown\n{}",
        show(&bad)
    );

    if !kcfg_has("fmt") {
        println!("pre-commit: the kcfg-fmt hook was SKIPPED: this kcfg has no `fmt` command");
        return;
    }
    let messy = "request_route{\nif($rm==\"INVITE\"){sl_send_reply(\"200\",\"OK\");}\n}\n";
    std::fs::create_dir_all(repo.join("fmt")).unwrap();
    std::fs::write(repo.join("fmt/kamailio.cfg"), messy).unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "unformatted"]);
    let first = try_repo(&pre_commit, repo, "kcfg-fmt", "fmt/kamailio.cfg");
    let formatted = std::fs::read_to_string(repo.join("fmt/kamailio.cfg")).unwrap();
    assert_ne!(
        formatted,
        messy,
        "kcfg-fmt rewrote the file\n{}",
        show(&first)
    );
    assert_eq!(
        first.status.code(),
        Some(1),
        "pre-commit fails when a hook modifies files"
    );
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("files were modified by this hook"),
        "{}",
        show(&first)
    );
    let second = try_repo(&pre_commit, repo, "kcfg-fmt", "fmt/kamailio.cfg");
    assert!(
        second.status.success(),
        "formatting is stable\n{}",
        show(&second)
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("fmt/kamailio.cfg")).unwrap(),
        formatted
    );
}
