//! Every vendored corpus config (`fixtures/corpus`): formatting succeeds (so
//! the re-parse check passed: same tokens, comments, inactive arms and
//! errors), formatting twice gives the same text, and every comment survives;
//! also with a narrow `line-width` (40), so long lines are wrapped all over.

use std::path::{Path, PathBuf};

use kcfg_fmt::{format, format_detailed, FormatOptions, IndentStyle};
use kcfg_syntax::SyntaxKind;

fn cfg_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            cfg_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "cfg") {
            out.push(p);
        }
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    cfg_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus"),
        &mut files,
    );
    files.sort();
    assert!(files.len() > 150, "the corpus is missing");
    files
}

/// Every token but whitespace, comments compared without trailing blanks.
fn tokens(text: &str) -> Vec<(SyntaxKind, String)> {
    kcfg_syntax::parse(text)
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| {
            !matches!(
                t.kind(),
                SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::LINE_CONTINUATION
            )
        })
        .map(|t| {
            let s = if t.kind() == SyntaxKind::COMMENT {
                t.text().trim_end().to_string()
            } else {
                t.text().to_string()
            };
            (t.kind(), s)
        })
        .collect()
}

#[test]
fn corpus_formats_safely_and_idempotently() {
    let mut changed = 0;
    let mut kept = 0;
    let mut wrapped = 0;
    for (i, path) in corpus().iter().enumerate() {
        for line_width in [FormatOptions::default().line_width, 40] {
            let name = path.display();
            let bytes = std::fs::read(path).unwrap();
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            // alternate the options so both indent styles see the whole corpus
            let options = if i % 2 == 0 {
                FormatOptions {
                    line_width,
                    ..FormatOptions::default()
                }
            } else {
                FormatOptions {
                    indent_style: IndentStyle::Space,
                    indent_width: 4,
                    max_blank_lines: 1,
                    line_width,
                }
            };
            let once = format_detailed(text, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            let twice = format(&once.text, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(once.text, twice, "{name}: not idempotent");
            let before = tokens(text);
            let after = tokens(&once.text);
            assert_eq!(before.len(), after.len(), "{name}: token count changed");
            assert!(before == after, "{name}: tokens changed");
            let comments = |v: &[(SyntaxKind, String)]| {
                v.iter()
                    .filter(|(k, _)| matches!(k, SyntaxKind::COMMENT | SyntaxKind::BLOCK_COMMENT))
                    .count()
            };
            assert_eq!(comments(&before), comments(&after), "{name}: comments lost");
            if line_width == 40 {
                let wide = format(
                    text,
                    &FormatOptions {
                        line_width: usize::MAX,
                        ..options.clone()
                    },
                )
                .unwrap_or_else(|e| panic!("{name}: {e}"));
                wrapped += usize::from(once.text.lines().count() > wide.lines().count());
                continue;
            }
            changed += usize::from(once.text != text);
            kept += once.skipped.len();
        }
    }
    // at width 40 most files have lines to wrap
    assert!(wrapped > 100, "only {wrapped} files wrapped at width 40");
    // the corpus is not formatted in this style: most files change
    assert!(changed > 100, "only {changed} files changed");
    eprintln!("{changed} files changed, {kept} items kept as they are");
}
