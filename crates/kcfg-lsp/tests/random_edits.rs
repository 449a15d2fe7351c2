//! Random edits through the server's document store (`didChange` with
//! UTF-16 ranges, applied as the server applies them, incremental salsa
//! analysis, conversion to LSP diagnostics); after each edit the published
//! diagnostics must equal those of a fresh `kcfg check` computation
//! (`kcfg_check::check_source_with`) on the same text, converted the same
//! way.
//!
//! `KCFG_LSP_RANDOM_EDITS=10000` sets the number of edits (default 300, so
//! `cargo test` stays quick); `KCFG_LSP_RANDOM_SEED` the seed.

use std::path::Path;
use std::time::Duration;

use kcfg_lsp::conv::Encoding;
use kcfg_lsp::server::State;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

/// xorshift64*: enough randomness, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const BASE: &str = r#"#!KAMAILIO
#!define WITH_X
#!define PORT 5060
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
modparam("tm", "fr_timer", 3000)
children = 4
# comment é€😀
request_route {
	$var(dst) = "sip:a@b";
	xlog("L_INFO", "to $var(dst) on PORT é\n");
	if ($rp == PORT) {
		route(RELAY);
	}
#!ifdef WITH_X
	t_on_failure("FAIL");
#!else
	sl_send_reply("500", "no");
#!endif
	route(RELAY);
}
route[RELAY] {
	if (!t_relay()) { sl_reply_error(); }
	exit;
}
failure_route[FAIL] {
	if (t_is_canceled()) { exit; }
	route(RELAY);
}
"#;

const SNIPPETS: &[&str] = &[
    ";",
    "{",
    "}",
    "(",
    ")",
    "\"",
    "\n",
    " ",
    "é",
    "😀",
    "$",
    "$var(x)",
    "route(RELAY);",
    "route(NOPE);",
    "t_relay();",
    "xlog(\"x\");",
    "sl_send_reply(\"404\", \"x\");",
    "#!ifdef WITH_X\n",
    "#!endif\n",
    "#!else\n",
    "loadmodule \"tm.so\"\n",
    "modparam(\"tm\", \"nope\", 1)\n",
    "children = \"x\"\n",
    "PORT",
    "/*",
    "*/",
    "# c\n",
    "if (",
    "$(ru{s.len})",
    "no_such_fn();",
    "request_route {",
    "route[B] {\n}\n",
];

/// An LSP position (UTF-16 column) of a byte offset, computed independently
/// of the server's `LineIndex`.
fn utf16_position(text: &str, offset: usize) -> Position {
    let line = text[..offset].matches('\n').count() as u32;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    Position::new(line, text[line_start..offset].encode_utf16().count() as u32)
}

fn char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn fresh_check(path: &Path, text: &str) -> Vec<tower_lsp_server::ls_types::Diagnostic> {
    let mut files = kcfg_diagnostics::Files::new();
    let id = files.add(path.display().to_string(), text.to_string());
    let options = kcfg_check::CheckOptions {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    let diags =
        kcfg_check::check_source_with(&mut files, id, &options, &kcfg_sema::MemoryLoader::new());
    let index = kcfg_syntax::LineIndex::new(text);
    let fd = kcfg_ide::FileDiagnostics {
        check: diags
            .iter()
            .map(|d| kcfg_ide::Diag::from_check(&files, d))
            .collect(),
        inactive: Vec::new(),
    };
    let uri = Uri::from_file_path(path).unwrap();
    let host = kcfg_ide::AnalysisHost::new(kcfg_ide::Settings::default());
    kcfg_lsp::server::to_lsp_diagnostics(&index, Encoding::Utf16, &fd, &uri, &host.analysis())
        .unwrap()
}

#[test]
fn random_edits_keep_diagnostics_equal_to_a_fresh_check() {
    run(BASE, SNIPPETS, 0x5eed_1234, 10, 300);
}

/// Typing: mostly letters and spaces, which inside strings and comments
/// take the server's token-level reparse (`kcfg_syntax::reparse`), the
/// rest a full parse.
const TYPING: &[&str] = &["x", "a", " ", "é", "😀", "$", "ab c", "%", "\\", "\""];

#[test]
fn random_typing_keeps_diagnostics_equal_to_a_fresh_check() {
    run(BASE, TYPING, 0x7e57_5eed, 40, 300);
}

/// Typing in Kamailio's stock config: route blocks long enough for the
/// lint's memos of top-level nodes (KC504's names, the words rules ask
/// about, KC305's walks), sub-routes, `has_totag()` regions.
#[test]
fn random_typing_in_the_stock_config_keeps_diagnostics_equal_to_a_fresh_check() {
    let stock = include_str!("../../../fixtures/corpus/etc/kamailio.cfg");
    // no quote or backslash: a string left open would swallow the routes
    // after it; most edits land in comments and strings (the token-level
    // reparse keeps the other blocks' trees, which the memos key on), and
    // `$var(...)` in a string of a sub-route makes KC305 findings that the
    // memo replays at moved offsets after later edits
    let snippets = ["x", "a", " ", "é", "😀", "$var(x)", "$var(kz) ", "$avp(y)"];
    run(stock, &snippets, 0x0570_ccf6, 20, 100);
}

/// `n` random edits (`KCFG_LSP_RANDOM_EDITS`, default `default_n`) of
/// `base` inserting `snippets`; at least 1 in `min_changed` must change the
/// findings. Each edit's fresh check is made right after it: it keeps no
/// memo and touches none of the server's (the server's lint memos are per
/// root file, in its `kcfg_check::CheckCache`), so the server's next check
/// replays what its last one kept.
fn run(base: &str, snippets: &[&str], default_seed: u64, min_changed: usize, default_n: usize) {
    let n: usize = std::env::var("KCFG_LSP_RANDOM_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_n);
    let seed: u64 = std::env::var("KCFG_LSP_RANDOM_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_seed);
    let mut rng = Rng(seed | 1);
    let state = State::new(Duration::ZERO);
    // this file does not exist on disk: includes are not involved
    let path = Path::new("/nonexistent-kcfg-random/kamailio.cfg");
    let uri = Uri::from_file_path(path).unwrap();
    let mut text = base.to_string();
    state.open(uri.clone(), 1, text.clone());
    let mut version = 1;
    // steps whose edit changed the findings (so the test is not comparing
    // the same list over and over)
    let mut changed = 0;
    let mut prev = Vec::new();
    for step in 0..n {
        // keep the text from growing without bound
        if text.len() > 4 * base.len() {
            let changes = vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: base.to_string(),
            }];
            text = base.to_string();
            version += 1;
            state.change(&uri, version, changes).unwrap();
        }
        let a = char_boundary(&text, rng.below(text.len() + 1));
        let len = if rng.below(3) == 0 { 0 } else { rng.below(12) };
        let b = char_boundary(&text, (a + len).min(text.len()));
        let ins = if rng.below(4) == 0 {
            ""
        } else {
            snippets[rng.below(snippets.len())]
        };
        let range = Range::new(utf16_position(&text, a), utf16_position(&text, b));
        text.replace_range(a..b, ins);
        version += 1;
        state
            .change(
                &uri,
                version,
                vec![TextDocumentContentChangeEvent {
                    range: Some(range),
                    range_length: None,
                    text: ins.to_string(),
                }],
            )
            .unwrap();
        let published = state.compute_diagnostics().expect("not cancelled");
        let (_, v, mut got) = published
            .into_iter()
            .find(|(u, _, _)| *u == uri)
            .expect("diagnostics for the open file");
        assert_eq!(v, Some(version));
        // the server's text is the text the edits should give
        let server_text = state.snapshot().file_text(path).unwrap().unwrap();
        assert_eq!(&*server_text, text.as_str(), "step {step}: texts differ");
        // inactive-arm hints are not part of `kcfg check`
        got.retain(|d| d.code.is_some());
        let expected = fresh_check(path, &text);
        if expected != prev {
            changed += 1;
        }
        assert_eq!(
            got, expected,
            "step {step} (seed {seed}): diagnostics differ for\n{text}"
        );
        prev = expected;
    }
    assert!(
        n < 20 || changed > n / min_changed,
        "only {changed} of {n} edits changed the findings"
    );
    eprintln!(
        "{n} random edits, {changed} of them changed the findings: diagnostics equal a fresh check after each"
    );
}
