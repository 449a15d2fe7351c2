//! Fuzz target `lint_fix`: arbitrary bytes → rounds of lint fixes
//! (`kcfg_lint::lint` + `kcfg_lint::apply_fixes`, safe and unsafe), the
//! loop `kcfg_check::fix_text` runs, but with an in-memory loader.
//!
//! Invariants: no panic; no round of fixes adds a syntax error; the fixes
//! converge (a round changes nothing) within `kcfg check --fix`'s limit of
//! 10 rounds; `kcfg_check::fix_text` never returns a text with more syntax
//! errors than its input.
#![no_main]

use kcfg_sema::{KamailioVersion, MemoryLoader, Model, SemaOptions};
use libfuzzer_sys::fuzz_target;

const ROUNDS: usize = 10;

fn syntax_errors(text: &str) -> usize {
    kcfg_syntax::parse(text).errors().len()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = kcfg_syntax::decode(data) else {
        return;
    };
    let settings = kcfg_lint::Settings::default();
    let options = SemaOptions {
        version: KamailioVersion::V5_6,
        ..Default::default()
    };
    let loader = MemoryLoader::new();
    let mut cur = text.to_string();
    let mut converged = false;
    for round in 0..ROUNDS {
        let model = Model::build("kamailio.cfg", cur.as_str(), &loader, &options);
        let lint = kcfg_lint::lint(&model, &settings);
        let fixes = lint
            .findings
            .iter()
            .filter(|f| f.file.0 == 0)
            .filter_map(|f| f.fix.as_ref());
        let (next, n) = kcfg_lint::apply_fixes(&cur, fixes, true);
        if n == 0 || next == cur {
            converged = true;
            break;
        }
        let (before, after) = (syntax_errors(&cur), syntax_errors(&next));
        assert!(
            after <= before,
            "round {round}: fixes raised the syntax errors from {before} to {after}\n--- before\n{cur}\n--- after\n{next}"
        );
        cur = next;
    }
    assert!(
        converged,
        "fixes did not converge in {ROUNDS} rounds:\n{cur}"
    );

    // `fix_text` reads includes from disk: only for inputs without any
    if !text.contains("include") && !text.contains("import") {
        let (fixed, _) = kcfg_check::fix_text(text, &kcfg_check::CheckOptions::default(), true);
        assert!(syntax_errors(&fixed) <= syntax_errors(text));
    }
});
