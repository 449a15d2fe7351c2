//! From 1 MiB of text on, the parser lexes the two halves of a file on two
//! threads and builds the tree in two pieces (see `split_parse` in
//! `src/lib.rs`). The result must be exactly that of a parse in one piece:
//! the same tree, errors, warnings and inactive-arm errors. These tests
//! force the split on every input (`parse_with_split_from(.., 0)`), so the
//! split points land wherever the heuristics put them in small files too,
//! and compare with a parse that never splits.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use kcfg_syntax::{parse_with_split_from, ParseOptions, SPLITS};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.expect("read_dir entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// Every config of the vendored corpus and of the parser's test data.
fn inputs() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("../../fixtures/corpus"), &mut paths);
    files(&root.join("test_data"), &mut paths);
    paths.sort();
    let inputs: Vec<_> = paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            let text = String::from_utf8(bytes).ok()?;
            Some((p, text))
        })
        .collect();
    assert!(inputs.len() > 250, "corpus and test data not found");
    inputs
}

fn same_parse(name: &str, text: &str, options: &ParseOptions) {
    let whole = parse_with_split_from(text, options, usize::MAX);
    let split = parse_with_split_from(text, options, 0);
    assert_eq!(
        whole.errors(),
        split.errors(),
        "{name}: errors differ when split"
    );
    assert_eq!(
        whole.warnings(),
        split.warnings(),
        "{name}: warnings differ"
    );
    assert_eq!(
        whole.inactive_errors(),
        split.inactive_errors(),
        "{name}: inactive-arm errors differ"
    );
    assert!(
        whole.green() == split.green(),
        "{name}: trees differ when split:\n{}\n---\n{}",
        whole.debug_tree(),
        split.debug_tree()
    );
    assert_eq!(split.syntax_node().to_string(), text, "{name}: round trip");
    let (tw, ew) = kcfg_syntax::tokens_with_split_from(text, options, usize::MAX);
    let (ts, es) = kcfg_syntax::tokens_with_split_from(text, options, 0);
    assert!(tw == ts, "{name}: recorded tokens differ when split");
    assert_eq!(ew, es, "{name}: errors of the recorded tokens differ");
    // `has_inactive_code` false promises that no INACTIVE_CODE token is there
    let inactive = split
        .syntax_node()
        .descendants_with_tokens()
        .any(|e| e.kind() == kcfg_syntax::SyntaxKind::INACTIVE_CODE);
    assert!(
        !inactive || split.has_inactive_code(),
        "{name}: INACTIVE_CODE tokens but has_inactive_code() is false"
    );
    INACTIVE_SEEN.fetch_or(inactive, Ordering::Relaxed);
}

static INACTIVE_SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[test]
fn split_parse_equals_whole_parse_on_every_fixture() {
    let with_defines = ParseOptions {
        defines: [
            "WITH_AUTH",
            "WITH_NAT",
            "WITH_TLS",
            "WITH_MYSQL",
            "WITH_DEBUG",
        ]
        .map(String::from)
        .to_vec(),
        ..ParseOptions::default()
    };
    for (path, text) in inputs() {
        let name = path.display().to_string();
        same_parse(&name, &text, &ParseOptions::default());
        same_parse(&name, &text, &with_defines);
    }
    // both outcomes of a split were met: joined, and the first piece going
    // on to the end (the point was inside an item), for the tree and the lexer
    assert!(
        INACTIVE_SEEN.load(Ordering::Relaxed),
        "no fixture has INACTIVE_CODE tokens"
    );
    let n: Vec<usize> = SPLITS.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    assert!(
        n.iter().all(|&c| c > 0),
        "split outcomes not all met: {n:?}"
    );
}

/// Files whose middle holds what looks like a top-level item start but is
/// not (an unclosed block, an `#!ifdef` arm, a string or a comment), and
/// files cut at every line.
#[test]
fn split_points_inside_items() {
    let route = |n: usize| {
        format!("route[R{n}] {{\n\tif ($rU == \"{n}\") {{\n\t\txlog(\"L_INFO\", \"$ru\\n\");\n\t}}\n}}\n")
    };
    let body: String = (0..40).map(route).collect();
    let traps = [
        // an unclosed block before the middle
        "route[OPEN] {\n\tif (true) {\n\t\texit;\n\t}\n",
        // an #!ifdef group around the middle
        "#!ifdef WITH_X\n",
        "#!else\nmodparam(\"tm\", \"fr_timer\", 1)\n",
        "#!endif\n",
        // a block comment and a string spanning lines
        "/* route[C] {\n}\n",
        "*/\n",
        "xlog(\"unterminated\n",
        "event_route[\n",
        "request_route {\n",
        "}\n}\n",
        "modparam(\"a\", \"b\"\n",
    ];
    let mut cases = 0;
    for (i, trap) in traps.iter().enumerate() {
        for (j, end) in traps.iter().enumerate() {
            let text = format!("{body}{trap}{body}{end}{body}");
            same_parse(&format!("trap {i}/{j}"), &text, &ParseOptions::default());
            cases += 1;
        }
    }
    // every prefix of a mixed file, cut at line ends
    let mixed = format!(
        "{}{}{}",
        body,
        traps.concat(),
        (40..60).map(route).collect::<String>()
    );
    for (k, _) in mixed.match_indices('\n').step_by(3) {
        same_parse(
            &format!("prefix {k}"),
            &mixed[..k],
            &ParseOptions::default(),
        );
        cases += 1;
    }
    assert!(cases > 100);
}

/// A file of several MiB (the corpus, concatenated): parsed with the
/// default size limit it is split; the result equals the unsplit parse.
#[test]
fn large_file_split_by_default() {
    let mut text = String::new();
    let corpus: Vec<_> = inputs()
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("corpus"))
        .collect();
    for _ in 0..3 {
        for (_, t) in &corpus {
            text.push_str(t);
            text.push('\n');
        }
    }
    assert!(text.len() > 1 << 20, "{} bytes", text.len());
    let whole = parse_with_split_from(&text, &ParseOptions::default(), usize::MAX);
    let default = kcfg_syntax::parse(&text);
    assert_eq!(whole.errors(), default.errors());
    assert_eq!(whole.warnings(), default.warnings());
    assert_eq!(whole.inactive_errors(), default.inactive_errors());
    assert!(whole.green() == default.green(), "trees differ");
}

/// The corpus files, one after the other, repeated to over 1.25 MiB (past
/// the size from which a parse is split).
fn corpus_over_split_size() -> String {
    let corpus: String = inputs()
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().contains("corpus"))
        .map(|(_, t)| t + "\n")
        .collect();
    let mut text = corpus.clone();
    while text.len() < (1 << 20) + (1 << 18) {
        text.push_str(&corpus);
    }
    text
}

/// A file over the size limit broken near its middle (an unclosed block, an
/// open string or comment, an unbalanced `#!ifdef`, a stray `}`): the
/// default parse (split) equals the unsplit one.
#[test]
fn large_file_broken_in_the_middle() {
    let base = corpus_over_split_size();
    let mid = base.len() / 2;
    let at = base[mid..].find("\nroute[").map_or(mid, |i| mid + i + 1);
    for insert in [
        "{\n",
        "\"",
        "/* ",
        "#!ifdef OPEN\n",
        "}\n",
        "#!else\n",
        "route[X] {\n",
    ] {
        let mut text = base.clone();
        text.insert_str(at, insert);
        let whole = parse_with_split_from(&text, &ParseOptions::default(), usize::MAX);
        let split = kcfg_syntax::parse(&text);
        assert_eq!(whole.errors(), split.errors(), "{insert:?}: errors");
        assert_eq!(whole.warnings(), split.warnings(), "{insert:?}: warnings");
        assert_eq!(
            whole.inactive_errors(),
            split.inactive_errors(),
            "{insert:?}"
        );
        assert!(whole.green() == split.green(), "{insert:?}: trees differ");
    }
}

/// A large parse built in two pieces is freed by the workers that built
/// them; the drop must work from any thread (another OS thread, a rayon
/// worker of the same pool) and leave a clone of the parse intact.
#[test]
fn large_parse_dropped_anywhere() {
    let text = corpus_over_split_size();
    let first = kcfg_syntax::parse(&text);
    let clone = first.clone();
    std::thread::spawn(move || drop(first)).join().unwrap();
    assert_eq!(clone.syntax_node().to_string(), text);
    // dropped inside a rayon worker while the other worker is busy too
    let again = kcfg_syntax::parse(&text);
    let (a, b) = rayon::join(
        move || {
            drop(clone);
            1
        },
        move || {
            let n = again.syntax_node().descendants().count();
            drop(again);
            n
        },
    );
    assert_eq!(a, 1);
    assert!(b > 1000);
}

/// `Parse::has_include_decisions`: where a parse of a file with includes
/// says it left no decision to them, a parse that knows the includes
/// (`includes_resolved`, no more defines) gives the same errors and
/// warnings (`kcfg check` then skips that second parse); the
/// hint is the same whether the tree is built in one piece or two; and it
/// is set for a bare name an include may define.
#[test]
fn no_include_decisions_means_the_same_errors_with_includes_resolved() {
    let resolved = ParseOptions {
        includes_resolved: true,
        ..ParseOptions::default()
    };
    let (mut with_includes, mut skipped) = (0, 0);
    for (path, text) in inputs() {
        let name = path.display();
        let p = kcfg_syntax::parse_with(&text, &ParseOptions::default());
        let split = parse_with_split_from(&text, &ParseOptions::default(), 0);
        assert_eq!(
            p.has_include_decisions(),
            split.has_include_decisions(),
            "{name}"
        );
        if !text.contains("include_file") && !text.contains("import_file") {
            continue;
        }
        with_includes += 1;
        if p.has_include_decisions() {
            continue;
        }
        skipped += 1;
        let again = kcfg_syntax::syntax_errors_with(&text, &resolved);
        assert_eq!(p.errors(), &again.errors[..], "{name}");
        assert_eq!(p.warnings(), &again.warnings[..], "{name}");
    }
    assert!(
        with_includes >= 10 && skipped >= 5,
        "{skipped} of {with_includes}"
    );
    let bare = "include_file \"x.cfg\"\nrequest_route {\n\t$var(a) = NAME;\n}\n";
    let p = kcfg_syntax::parse_with(bare, &ParseOptions::default());
    assert!(p.has_include_decisions());
    assert!(p.errors().is_empty());
    let again = kcfg_syntax::syntax_errors_with(bare, &resolved);
    assert_eq!(again.errors.len(), 1, "{:?}", again.errors);
    // a block empty but for an arm not taken: an include may define X
    let ifdef = "include_file \"x.cfg\"\nrequest_route {\n#!ifdef X\n\texit;\n#!endif\n}\n";
    let p = kcfg_syntax::parse_with(ifdef, &ParseOptions::default());
    assert!(p.has_include_decisions());
    assert!(p.errors().is_empty());
    assert_eq!(
        kcfg_syntax::syntax_errors_with(ifdef, &resolved)
            .errors
            .len(),
        1
    );
    // an arm beside a statement decides nothing
    let beside = ifdef.replace("#!endif\n", "#!endif\n\texit;\n");
    let p = kcfg_syntax::parse_with(&beside, &ParseOptions::default());
    assert!(!p.has_include_decisions());
    let plain = "include_file \"x.cfg\"\nrequest_route {\n\t$var(a) = 1;\n}\n";
    assert!(!kcfg_syntax::parse_with(plain, &ParseOptions::default()).has_include_decisions());
}
