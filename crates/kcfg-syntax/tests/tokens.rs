//! `tokens_with` records the tokens the tree would hold, without building
//! it: the same kinds, ranges and errors as `parse_with`, on every corpus
//! config, every parser test case (valid and broken) and the fuzz
//! regressions.

use std::path::{Path, PathBuf};

use kcfg_syntax::{parse_with, tokens_with, ParseOptions, SyntaxKind, TextRange};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.expect("read_dir entry").path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn tree_tokens(text: &str, options: &ParseOptions) -> Vec<(SyntaxKind, TextRange)> {
    parse_with(text, options)
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .map(|t| (t.kind(), t.text_range()))
        .collect()
}

#[test]
fn tokens_are_the_trees_tokens() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("test_data"), &mut paths);
    files(&root.join("../../fixtures/corpus"), &mut paths);
    files(&root.join("../../fixtures/fmt"), &mut paths);
    paths.sort();
    let with_define = ParseOptions {
        defines: vec!["WITH_AUTH".into(), "WITH_NAT=1".into()],
        ..ParseOptions::default()
    };
    let mut checked = 0;
    for p in &paths {
        let Ok(bytes) = std::fs::read(p) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for options in [&ParseOptions::default(), &with_define] {
            let (tokens, errors) = tokens_with(&text, options);
            assert_eq!(tokens, tree_tokens(&text, options), "{}", p.display());
            let parse = parse_with(&text, options);
            assert_eq!(errors.errors, parse.errors(), "{}", p.display());
            assert_eq!(errors.warnings, parse.warnings(), "{}", p.display());
            assert_eq!(
                errors.inactive_errors,
                parse.inactive_errors(),
                "{}",
                p.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 300, "only {checked} files found");
}

#[test]
fn tokens_of_edge_cases() {
    for text in [
        "",
        "\n",
        "route {",
        "#!ifdef A\n",
        "x\r\ny",
        "\"unterminated",
        "/* open",
        "}}}}",
    ] {
        let options = ParseOptions::default();
        assert_eq!(
            tokens_with(text, &options).0,
            tree_tokens(text, &options),
            "{text:?}"
        );
    }
}
