//! Parser tests as data.
//!
//! * `test_data/ok/*.cfg`: valid kamailio.cfg pieces. Each must parse without
//!   errors, warnings or inactive-arm errors.
//! * `test_data/err/*.cfg`: one mistake each. Each must give at least one error.
//! * `test_data/fuzz-regressions/*`: inputs that once broke the parser. Each
//!   must parse without a panic and round-trip (no snapshot).
//!
//! For every `ok`/`err` file the tree and the diagnostics are compared with an
//! insta snapshot in `tests/snapshots/` (`data__ok__NNNN_name.snap`,
//! `data__err__NNNN_name.snap`); the input is in the snapshot's description.
//! Update them with `INSTA_UPDATE=always cargo test -p kcfg-syntax --test data`
//! (or `cargo insta review`) and review the diff.
//!
//! Every file is also checked for the parser's invariants: the tree gives back
//! the input byte for byte, and every diagnostic range lies inside the text,
//! on char boundaries, with a line/column that maps back to it.

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use kcfg_syntax::{LineIndex, Parse, SyntaxError, TextRange, TextSize, WideEncoding};

fn data_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test_data")
        .join(sub)
}

/// Files of a test_data folder, sorted; `ext` filters by extension.
fn files(sub: &str, ext: Option<&str>) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(data_dir(sub)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = dir
        .map(|e| e.expect("read_dir entry").path())
        .filter(|p| p.is_file())
        .filter(|p| ext.is_none_or(|x| p.extension().is_some_and(|e| e == x)))
        .filter(|p| {
            // editor droppings and notes are not inputs
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') || n.ends_with(".md"))
        })
        .collect();
    out.sort();
    out
}

fn stem(path: &Path) -> String {
    path.file_stem().unwrap().to_string_lossy().into_owned()
}

/// 1-based `line:col` (col in chars) of an offset.
fn pos(index: &LineIndex, text: &str, offset: TextSize) -> String {
    let lc = index.line_col(offset);
    let line_start = usize::from(index.line_start(lc.line).unwrap());
    let col_chars = text[line_start..usize::from(offset)].chars().count();
    format!("{}:{}", lc.line + 1, col_chars + 1)
}

fn span(index: &LineIndex, text: &str, r: TextRange) -> String {
    if r.is_empty() {
        pos(index, text, r.start())
    } else {
        format!(
            "{}-{}",
            pos(index, text, r.start()),
            pos(index, text, r.end())
        )
    }
}

fn render_diags(
    out: &mut String,
    title: &str,
    index: &LineIndex,
    text: &str,
    diags: &[SyntaxError],
) {
    if diags.is_empty() {
        return;
    }
    writeln!(out, "\n{title}:").unwrap();
    for e in diags {
        let quoted = &text[usize::from(e.range.start())..usize::from(e.range.end())];
        let quoted = if quoted.is_empty() || quoted.len() > 40 || quoted.contains('\n') {
            String::new()
        } else {
            format!(" `{}`", quoted.escape_debug())
        };
        writeln!(
            out,
            "  {}{quoted}: {}",
            span(index, text, e.range),
            e.message
        )
        .unwrap();
        if let Some(h) = &e.hint {
            writeln!(out, "      hint: {h}").unwrap();
        }
        if let Some(u) = e.unexpected {
            if u != e.range {
                writeln!(out, "      unexpected: {}", span(index, text, u)).unwrap();
            }
        }
    }
}

/// The snapshot text: the tree, then errors, warnings and inactive errors.
fn render(text: &str, parse: &Parse) -> String {
    let index = LineIndex::new(text);
    let mut out = parse.debug_tree();
    render_diags(&mut out, "errors", &index, text, parse.errors());
    render_diags(&mut out, "warnings", &index, text, parse.warnings());
    render_diags(
        &mut out,
        "inactive errors",
        &index,
        text,
        parse.inactive_errors(),
    );
    out
}

fn check_range(text: &str, index: &LineIndex, range: TextRange, what: &str) -> Result<(), String> {
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    if end > text.len() {
        return Err(format!(
            "{what}: range {range:?} past the end ({})",
            text.len()
        ));
    }
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return Err(format!("{what}: range {range:?} splits a char"));
    }
    let lc = index.line_col(range.start());
    if index.offset(lc) != Some(range.start()) {
        return Err(format!(
            "{what}: line_col {lc:?} of {range:?} does not map back"
        ));
    }
    for enc in [WideEncoding::Utf16, WideEncoding::Utf32] {
        let wide = index.to_wide(enc, lc);
        if index.to_utf8(enc, wide) != lc {
            return Err(format!(
                "{what}: {enc:?} column of {range:?} does not map back"
            ));
        }
    }
    Ok(())
}

/// The invariants every parse must keep, whatever the input.
fn invariants(text: &str, parse: &Parse) -> Result<(), String> {
    let tree = parse.syntax_node();
    let back = tree.to_string();
    if back != text {
        let at = back
            .bytes()
            .zip(text.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(back.len().min(text.len()));
        return Err(format!(
            "round-trip failed: the tree text differs from the input at byte {at} (tree {} bytes, input {} bytes)",
            back.len(),
            text.len()
        ));
    }
    if tree.text_range() != TextRange::up_to(TextSize::of(text)) {
        return Err(format!("root range {:?}", tree.text_range()));
    }
    let index = LineIndex::new(text);
    for e in parse
        .errors()
        .iter()
        .chain(parse.warnings())
        .chain(parse.inactive_errors())
    {
        check_range(text, &index, e.range, &e.message)?;
        if let Some(u) = e.unexpected {
            check_range(text, &index, u, &e.message)?;
        }
    }
    Ok(())
}

fn parse_no_panic(text: &str) -> Result<Parse, String> {
    catch_unwind(AssertUnwindSafe(|| kcfg_syntax::parse(text))).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

#[derive(PartialEq)]
enum Expect {
    Clean,
    Errors,
}

/// Run every file of a folder; collect all failures and report them at once.
fn run_dir(sub: &str, expect: Expect) -> usize {
    let paths = files(sub, Some("cfg"));
    let mut failures = Vec::new();
    for path in &paths {
        let name = stem(path);
        let text = std::fs::read_to_string(path).expect("test_data files are UTF-8");
        let parse = match parse_no_panic(&text) {
            Ok(p) => p,
            Err(msg) => {
                failures.push(format!("{sub}/{name}: PANIC: {msg}"));
                continue;
            }
        };
        if let Err(msg) = invariants(&text, &parse) {
            failures.push(format!("{sub}/{name}: {msg}"));
        }
        let rendered = render(&text, &parse);
        match expect {
            Expect::Clean => {
                if !parse.errors().is_empty()
                    || !parse.warnings().is_empty()
                    || !parse.inactive_errors().is_empty()
                {
                    failures.push(format!(
                        "{sub}/{name}: expected no diagnostics, got:{}",
                        rendered
                            .split_once("\n\n")
                            .map_or("", |(_, d)| d)
                            .trim_end()
                            .replace('\n', "\n    ")
                    ));
                }
            }
            Expect::Errors => {
                if parse.errors().is_empty() {
                    failures.push(format!(
                        "{sub}/{name}: expected at least one error, got none"
                    ));
                }
            }
        }
        let snap = catch_unwind(AssertUnwindSafe(|| {
            insta::with_settings!({
                description => text.clone(),
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("{sub}__{name}"), rendered);
            });
        }));
        if snap.is_err() {
            failures.push(format!("{sub}/{name}: snapshot differs"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files in test_data/{sub} failed:\n  {}",
        failures.len(),
        paths.len(),
        failures.join("\n  ")
    );
    paths.len()
}

#[test]
fn ok_files() {
    let n = run_dir("ok", Expect::Clean);
    assert!(n >= 40, "only {n} files in test_data/ok");
}

#[test]
fn err_files() {
    let n = run_dir("err", Expect::Errors);
    assert!(n >= 30, "only {n} files in test_data/err");
}

/// Inputs found by the fuzzer: no panic, round-trip, sane ranges. Files that
/// are not UTF-8 are parsed after a lossy decode (the fuzz target skips them,
/// but the parser must still cope with the replacement characters).
#[test]
fn fuzz_regressions() {
    let mut failures = Vec::new();
    for path in files("fuzz-regressions", None) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let text = match kcfg_syntax::decode(&bytes) {
            Ok(t) => t.to_string(),
            Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
        };
        match parse_no_panic(&text) {
            Ok(parse) => {
                if let Err(msg) = invariants(&text, &parse) {
                    failures.push(format!("{name}: {msg}"));
                }
            }
            Err(msg) => failures.push(format!("{name}: PANIC: {msg}")),
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz regressions failed:\n  {}",
        failures.join("\n  ")
    );
}
