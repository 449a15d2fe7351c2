//! `docs/rules/` is generated from the registry: this test fails when the
//! checked-in pages differ (CI keeps them current). `KCFG_UPDATE_DOCS=1`
//! rewrites them. The examples on the pages are tested by
//! `fixtures.rs::doc_examples_are_reported_and_fixed_examples_are_not`.

use std::path::Path;

#[test]
fn rule_docs_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let update = std::env::var_os("KCFG_UPDATE_DOCS").is_some();
    let mut pages: Vec<(String, String)> = kcfg_lint::RULES
        .iter()
        .map(|r| {
            (
                format!("{}.md", r.meta.code),
                kcfg_lint::docs::markdown(r.meta),
            )
        })
        .collect();
    pages.push(("README.md".into(), kcfg_lint::docs::index()));
    let mut stale = Vec::new();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (name, text) in &pages {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            if update {
                std::fs::write(&path, text).unwrap();
            } else {
                stale.push(name.clone());
            }
        }
    }
    // no page of a rule that is gone
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if !pages.iter().any(|(p, _)| *p == n) {
                stale.push(format!("{n} (no such rule)"));
            }
        }
    }
    assert!(stale.is_empty(), "docs/rules is not current: {stale:?}; run `KCFG_UPDATE_DOCS=1 cargo test -p kcfg-lint --test docs`");
}
