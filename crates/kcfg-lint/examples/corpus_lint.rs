//! The lint findings on a directory of configs, one concise line each, for
//! `docs/lint-corpus-report.md` (a review aid; `kcfg check --format concise`
//! gives the same lint findings with the semantic checks around them):
//! `cargo run --release -p kcfg-lint --example corpus_lint -- fixtures/corpus`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn cfgs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            cfgs(&p, out);
        } else if p.extension().is_some_and(|e| e == "cfg") {
            out.push(p);
        }
    }
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/corpus".into());
    let mut files = Vec::new();
    cfgs(Path::new(&dir), &mut files);
    // Kamailio 6.0 (or the second argument: `5.6`), no -D
    let opts = kcfg_sema::SemaOptions {
        version: std::env::args()
            .nth(2)
            .and_then(|v| kcfg_modules::KamailioVersion::parse(&v))
            .unwrap_or_default(),
        ..Default::default()
    };
    let settings = kcfg_lint::Settings::default();
    let mut per_rule: BTreeMap<&str, (usize, std::collections::BTreeSet<PathBuf>)> =
        BTreeMap::new();
    for p in &files {
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes).to_string();
        let model = kcfg_sema::Model::build(p, text.as_str(), &kcfg_sema::FsLoader, &opts);
        let res = kcfg_lint::lint(&model, &settings);
        for f in &res.findings {
            let file = model.file(f.file);
            let lc = file.line_index().line_col(f.range.start());
            println!(
                "{}:{}:{}: {} {}",
                file.path.display(),
                lc.line + 1,
                lc.col + 1,
                f.code,
                f.message
            );
            let e = per_rule.entry(f.code).or_default();
            e.0 += 1;
            e.1.insert(p.clone());
        }
    }
    eprintln!("{} files", files.len());
    for (code, (n, fs)) in per_rule {
        eprintln!("{code}\t{n}\t{}", fs.len());
    }
}
