//! The fixtures of `fixtures-exprs/`: small configs whose header says what
//! kcfg reports and what real Kamailio 5.6.3 does with them.
//!
//! ```text
//! # kcfg: KC117@6 KC118@9        (or `none`): code@line of every diagnostic
//! # kamailio: check 6 TEXT        `kamailio -c` fails, first error on line 6, output has TEXT
//! # kamailio: startup 6 TEXT      `-c` passes, a real start-up fails on line 6 with TEXT
//! # kamailio: accept              `-c` passes and Kamailio starts
//! # note: ...                     (optional)
//! ```

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kcfg_sema::{KamailioVersion, MemoryLoader, Model, SemaOptions};

/// What Kamailio does with a fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `kamailio -c` rejects it: first error line, a text of its output
    Check(u32, String),
    /// `-c` passes, a start-up fails: first error line, a text of its output
    Startup(u32, String),
    /// `-c` passes and Kamailio starts
    Accept,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub name: String,
    pub path: PathBuf,
    pub text: String,
    /// (code, line)
    pub expect: Vec<(String, u32)>,
    pub kamailio: Verdict,
}

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures-exprs")
}

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with("# "))
        .find_map(|l| l.strip_prefix(&format!("# {key}: ")))
}

pub fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("fixtures-exprs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let kcfg = header(&text, "kcfg").unwrap_or_else(|| panic!("{name}: no `# kcfg:`"));
        let expect = if kcfg.trim() == "none" {
            Vec::new()
        } else {
            kcfg.split_whitespace()
                .map(|x| {
                    let (c, l) = x.split_once('@').expect("code@line");
                    (c.to_string(), l.parse().expect("line"))
                })
                .collect()
        };
        let k = header(&text, "kamailio").unwrap_or_else(|| panic!("{name}: no `# kamailio:`"));
        let mut parts = k.splitn(3, ' ');
        let kamailio = match parts.next() {
            Some("accept") => Verdict::Accept,
            Some(kind @ ("check" | "startup")) => {
                let line = parts.next().and_then(|l| l.parse().ok()).expect("line");
                let t = parts.next().unwrap_or("").to_string();
                if kind == "check" {
                    Verdict::Check(line, t)
                } else {
                    Verdict::Startup(line, t)
                }
            }
            other => panic!("{name}: bad verdict {other:?}"),
        };
        out.push(Fixture {
            name,
            path,
            text,
            expect,
            kamailio,
        });
    }
    out
}

/// Analyse a fixture in memory as Kamailio 5.6 would see it in `dir`.
pub fn build(f: &Fixture, dir: &Path) -> Model {
    let mut files = MemoryLoader::new();
    let main = dir.join(format!("{}.cfg", f.name));
    files.insert(&main, f.text.as_str());
    let opts = SemaOptions {
        version: KamailioVersion::V5_6,
        cwd: Some(dir.to_path_buf()),
        ..Default::default()
    };
    Model::build(&main, f.text.as_str(), &files, &opts)
}

/// (code, line) of every diagnostic.
pub fn found(m: &Model) -> Vec<(String, u32)> {
    m.diagnostics
        .iter()
        .map(|d| (d.code.to_string(), m.file(d.file).line_of(d.range)))
        .collect()
}
