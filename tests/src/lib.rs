//! Helpers shared by the workspace tests.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// All kamailio.cfg files (valid or not) of the vendored corpus, as listed in its MANIFEST.tsv.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = root().join("fixtures/corpus");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() >= 4 && cols[3].starts_with("native-cfg")).then(|| dir.join(cols[0]))
        })
        .collect()
}
