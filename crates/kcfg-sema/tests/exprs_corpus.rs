//! The expression checks (KC117–KC126) on the whole corpus
//! (`fixtures/corpus`): counts per code, and every error Kamailio reports
//! only at start-up (KC119, KC121, KC122) checked with a real start-up of
//! the file: where `kamailio -c` passes, the start-up must fail on a line
//! kcfg flagged. (`corpus.rs` compares the `-c` errors, KC117/KC118/KC120,
//! with `kamailio -c`.) Without Kamailio only the counts are printed.

mod kamailio;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kamailio::rewrite_for_check;
use kcfg_sema::{analyze_path, codes, FsLoader, KamailioVersion, Model, SemaOptions};

const NEW_CODES: &[&str] = &[
    "KC117", "KC118", "KC119", "KC120", "KC121", "KC122", "KC123", "KC124", "KC125", "KC126",
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "cfg") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&corpus_dir(), &mut v);
    v.sort();
    v
}

fn analyse(path: &Path) -> Model {
    let opts = SemaOptions {
        version: KamailioVersion::V5_6,
        defines: Vec::new(),
        cwd: path.parent().map(Path::to_path_buf),
    };
    analyze_path(path, &FsLoader, &opts).expect("readable corpus file")
}

fn rel(p: &Path) -> String {
    p.strip_prefix(corpus_dir())
        .unwrap_or(p)
        .display()
        .to_string()
}

fn startup_code(code: &str) -> bool {
    [
        codes::BAD_PV_IN_STRING,
        codes::INVALID_LITERAL_PARAM,
        codes::INVALID_REGEX,
    ]
    .contains(&code)
}

/// The lines of the call or `=~` expression a finding is in: Kamailio
/// reports a failed fixup at the line where the call ends.
fn statement_lines(m: &Model, d: &kcfg_sema::SemaDiagnostic) -> (u32, u32) {
    use kcfg_syntax::SyntaxKind;
    let f = m.file(d.file);
    let own = (f.line_of(d.range), f.line_of(d.range));
    let root = f.parse.syntax_node();
    let node = match root.covering_element(d.range) {
        kcfg_syntax::SyntaxElement::Node(n) => n,
        kcfg_syntax::SyntaxElement::Token(t) => match t.parent() {
            Some(p) => p,
            None => return own,
        },
    };
    let Some(stmt) = node
        .ancestors()
        .find(|n| matches!(n.kind(), SyntaxKind::CALL | SyntaxKind::BIN_EXPR))
    else {
        return own;
    };
    let r = stmt.text_range();
    let last = f.line_index().line_col(r.end()).line + 1;
    (f.line_of(r), last)
}

#[test]
fn corpus_expression_findings() {
    let k = kamailio::Kamailio::find();
    if k.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("kamailio is not installed, and CI=true");
    }
    let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
    let mut listing = Vec::new();
    let (mut judged, mut confirmed, mut not_reached, mut environment) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    for path in corpus_files() {
        let m = analyse(&path);
        let mine: Vec<_> = m
            .diagnostics
            .iter()
            .filter(|d| NEW_CODES.contains(&d.code))
            .collect();
        for d in &mine {
            *per_code.entry(d.code).or_default() += 1;
            listing.push(format!(
                "{}:{}: {} {}",
                rel(&m.file(d.file).path),
                m.file(d.file).line_of(d.range),
                d.code,
                d.message
            ));
        }
        let flagged: Vec<(u32, u32)> = mine
            .iter()
            .filter(|d| d.file.0 == 0 && startup_code(d.code))
            .map(|d| statement_lines(&m, d))
            .collect();
        let Some(k) = &k else { continue };
        if flagged.is_empty() || m.files.len() > 1 {
            continue;
        }
        // a start-up of a copy (listen/mpath lines commented out)
        let text = std::fs::read_to_string(&path).unwrap();
        let dir = tmp.path().join(rel(&path).replace('/', "_"));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join("kamailio.cfg");
        std::fs::write(&cfg, rewrite_for_check(&text)).unwrap();
        let check = k.check(&cfg, &[]);
        if !check.ok {
            // Kamailio stops before it runs the fixups
            not_reached += 1;
            continue;
        }
        let start = k.start(&cfg, &[]);
        judged += 1;
        if start.ok {
            failures.push(format!(
                "{}: kamailio starts, but kcfg reports a start-up error on lines {flagged:?}",
                rel(&path)
            ));
            continue;
        }
        match start.first_error() {
            Some(e) if flagged.iter().any(|(a, b)| *a <= e.line && e.line <= *b) => confirmed += 1,
            // no database, TLS, ...: the fixups were not the problem
            e => {
                environment += 1;
                println!(
                    "  {}: start-up failed elsewhere ({e:?}); kcfg flagged {flagged:?}",
                    rel(&path)
                );
            }
        }
    }
    println!("expression findings on the corpus (Kamailio 5.6), per code: {per_code:?}");
    for l in &listing {
        println!("  {l}");
    }
    if k.is_some() {
        println!(
            "start-up errors kcfg reports in files `kamailio -c` accepts: {judged} files started, \
             {confirmed} fail on a line kcfg flagged, {environment} fail for another reason; \
             {not_reached} files stop at `-c` first"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
