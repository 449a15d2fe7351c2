//! A small driver for profiling one keystroke (`valgrind --tool=callgrind`):
//! opens the 10,000-line config of the keystroke benchmark, computes the
//! diagnostics once, then applies `KCFG_PROFILE_KEYSTROKES` (default 4)
//! one-character edits inside a string, each followed by the diagnostics.

use std::path::PathBuf;
use std::time::Duration;

use kcfg_lsp::server::State;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

pub fn main() {
    let n: usize = std::env::var("KCFG_PROFILE_KEYSTROKES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/corpus/etc/kamailio.cfg"
    );
    let mut text = std::fs::read_to_string(p).expect("the stock config");
    let mut i = 0;
    while text.lines().count() < 10_000 - 6 {
        text.push_str(&format!(
            "route[R{i}] {{\n\tif ($rU == \"user{i}\") {{\n\t\txlog(\"L_INFO\", \"route {i}: $ru from $si\\n\");\n\t\troute(R{});\n\t}}\n}}\n",
            i + 1
        ));
        i += 1;
    }
    text.push_str(&format!("route[R{i}] {{\n\texit;\n}}\n"));
    let lines = text.lines().count();
    let state = State::new(Duration::ZERO);
    let uri =
        Uri::from_file_path(PathBuf::from("/nonexistent-kcfg-bench/big/kamailio.cfg")).unwrap();
    state.open(uri.clone(), 1, text.clone());
    let _ = state.compute_diagnostics().unwrap();
    let line = (lines / 2..)
        .find(|&l| text.lines().nth(l).unwrap().contains("xlog("))
        .unwrap() as u32;
    let col = (text
        .lines()
        .nth(line as usize)
        .unwrap()
        .find("route ")
        .unwrap()
        + 6) as u32;
    for k in 0..n {
        let (range, insert) = if k % 2 == 0 {
            (
                Range::new(Position::new(line, col), Position::new(line, col)),
                "x",
            )
        } else {
            (
                Range::new(Position::new(line, col), Position::new(line, col + 1)),
                "",
            )
        };
        state
            .change(
                &uri,
                k as i32 + 2,
                vec![TextDocumentContentChangeEvent {
                    range: Some(range),
                    range_length: None,
                    text: insert.to_string(),
                }],
            )
            .unwrap();
        let d = state.compute_diagnostics().unwrap();
        assert!(!d.is_empty());
    }
}
