//! The safety check refuses what changes meaning, also when only whitespace
//! moved, and range formatting (which reuses the check's parses) agrees with
//! whole-file formatting.

use std::path::Path;

use kcfg_fmt::{format, format_range, verify, FormatError, FormatOptions};
use kcfg_syntax::{TextRange, TextSize};

fn refused(before: &str, after: &str) -> String {
    match verify(before, after) {
        Err(FormatError::Unsafe { message, .. }) => message,
        other => panic!("{after:?} accepted for {before:?}: {other:?}"),
    }
}

#[test]
fn the_check_refuses_changed_meaning() {
    let before = "request_route {\n\t# keep\n\tif (! !X) {\n\t\texit;\n\t}\n}\n";
    assert_eq!(verify(before, before), Ok(()));
    // whitespace only, but other tokens
    let m = refused(before, &before.replace("exit", "ex it"));
    assert!(m.contains("became"), "{m}");
    let pv = "request_route {\n\t$var(a) = 1;\n}\n";
    let m = refused(pv, &pv.replace("$var(a)", "$var (a)"));
    assert!(m.contains("became"), "{m}");
    // a token changed
    let m = refused(before, &before.replace("exit", "drop"));
    assert!(m.contains("became"), "{m}");
    // a comment lost
    let m = refused(before, &before.replace("\t# keep\n", ""));
    assert!(m.contains("became") || m.contains("disappeared"), "{m}");
    // a token added at the end
    let m = refused(before, &format!("{before}exit;\n"));
    assert!(m.contains("appeared"), "{m}");
    // whitespace the style moves is accepted
    assert_eq!(
        verify(
            "request_route{if(a==1){exit;}}\n",
            "request_route {\n\tif (a == 1) {\n\t\texit;\n\t}\n}\n"
        ),
        Ok(())
    );
}

fn fixture_inputs() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fmt");
    let mut out = Vec::new();
    for sub in [dir.clone(), dir.join("regressions")] {
        for e in std::fs::read_dir(&sub).unwrap() {
            let path = e.unwrap().path();
            if !path.is_file() {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path.display().to_string(), text));
            }
        }
    }
    assert!(out.len() >= 10, "fixtures found: {}", out.len());
    out
}

/// Range formatting over the whole text gives what `format` gives, and over
/// a single line changes nothing outside the tokens of that line.
#[test]
fn range_formatting_agrees_with_format() {
    let o = FormatOptions::default();
    let mut edits = 0;
    for (name, text) in fixture_inputs() {
        let Ok(whole) = format(&text, &o) else {
            continue;
        };
        let all = TextRange::new(0.into(), TextSize::of(text.as_str()));
        let edit = format_range(&text, all, &o).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ranged = edit.as_ref().map_or(text.clone(), |e| e.apply(&text));
        // the whole range: everything but the blanks before the first token
        // and after the last one
        assert_eq!(ranged.trim(), whole.trim(), "{name}");
        edits += usize::from(edit.is_some());
        // each line on its own: the result is checked and formats to the
        // same text as the whole file
        let mut start = 0usize;
        for line in text.split_inclusive('\n').take(40) {
            let r = TextRange::new(
                (start as u32).into(),
                ((start + line.trim_end().len()) as u32).into(),
            );
            start += line.len();
            if let Some(e) = format_range(&text, r, &o).unwrap_or_else(|e| panic!("{name}: {e}")) {
                let out = e.apply(&text);
                assert_eq!(format(&out, &o).unwrap(), whole, "{name}: line at {r:?}");
                assert!(usize::from(e.range.start()) <= usize::from(r.start()) + line.len());
            }
        }
    }
    assert!(edits > 5, "{edits} fixtures changed by range formatting");
}
