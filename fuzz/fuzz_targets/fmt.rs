//! `kcfg fmt` on arbitrary input: formatting never panics; when it succeeds
//! the result is already checked by `kcfg_fmt::format` (same tokens,
//! comments, inactive arms and errors after a re-parse) and formatting it
//! again changes nothing (with a line width from 20 to 119, so long lines
//! are wrapped). A refusal (`FormatError::Unsafe`) is a formatter
//! bug, so it is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // a line width from 20 to 119 taken from the input's length, so the
    // line wrapping runs on most inputs (most lines are short)
    let options = kcfg_fmt::FormatOptions {
        line_width: 20 + data.len() % 100,
        ..kcfg_fmt::FormatOptions::default()
    };
    let once = match kcfg_fmt::format(text, &options) {
        Ok(o) => o,
        Err(e) => panic!("format refused: {e}"),
    };
    let twice = match kcfg_fmt::format(&once, &options) {
        Ok(t) => t,
        Err(e) => panic!("format of formatted text refused: {e}"),
    };
    assert!(once == twice, "not idempotent:\n{once:?}\n{twice:?}");
});
