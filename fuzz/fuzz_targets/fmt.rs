//! `kcfg fmt` on arbitrary input: formatting never panics; when it succeeds
//! the result is already checked by `kcfg_fmt::format` (same tokens,
//! comments, inactive arms and errors after a re-parse) and formatting it
//! again changes nothing. A refusal (`FormatError::Unsafe`) is a formatter
//! bug, so it is a finding too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = kcfg_fmt::FormatOptions::default();
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
