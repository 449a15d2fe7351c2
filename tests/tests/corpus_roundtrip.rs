//! Every vendored corpus file parses into a tree that gives back the input
//! byte for byte.

use kcfg_tests::corpus_files;

#[test]
fn corpus_round_trips_byte_exactly() {
    let files = corpus_files();
    assert!(
        files.len() >= 175,
        "corpus not found: {} files",
        files.len()
    );
    let mut with_errors = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let parse = kcfg_syntax::parse(&text);
        assert_eq!(parse.syntax_node().to_string(), text, "{}", f.display());
        if !parse.errors().is_empty() {
            with_errors.push((f.clone(), parse.errors().len(), parse.errors()[0].clone()));
        }
    }
    println!(
        "{} files round-trip; {} with syntax errors",
        files.len(),
        with_errors.len()
    );
    for (f, n, e) in &with_errors {
        println!(
            "  {}: {n} errors, first: {:?} {}",
            f.display(),
            e.range,
            e.message
        );
    }
}
