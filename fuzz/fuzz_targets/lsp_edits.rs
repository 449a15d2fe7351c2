//! Fuzz target `lsp_edits`: the input is decoded into a sequence of edits
//! (position, length, replacement) applied one after the other to a file of
//! a `kcfg_ide::AnalysisHost` (incremental salsa analysis, as the language
//! server does on `didChange`).
//!
//! Invariants: no panic; after each edit the file's `kcfg check` findings
//! from the host equal a fresh `kcfg_check::check_source_with` on the same
//! text (the comparison of crates/kcfg-lsp/tests/random_edits.rs, before the
//! conversion to LSP types), made right after the edit: the fresh check
//! keeps no memo and touches none of the host's (its lint memos are per root
//! file, in its `kcfg_check::CheckCache`), so the host's next lint replays
//! what its last one kept.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

const BASE: &str = "#!KAMAILIO\n#!define WITH_X\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\n\
modparam(\"tm\", \"fr_timer\", 3000)\nrequest_route {\n\t$var(d) = \"sip:a@b\";\n\
#!ifdef WITH_X\n\tt_on_failure(\"FAIL\");\n#!endif\n\troute(RELAY);\n}\n\
route[RELAY] {\n\tif (!t_relay()) { sl_reply_error(); }\n\t$var(r) = $var(d) + \"; relayed\";\n\texit;\n}\n\
failure_route[FAIL] {\n\texit;\n}\n";

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
    "$var(x)",
    "route(RELAY);",
    "route(NOPE);",
    "t_relay();",
    "#!ifdef WITH_X\n",
    "#!endif\n",
    "#!else\n",
    "loadmodule \"tm.so\"\n",
    "modparam(\"tm\", \"nope\", 1)\n",
    "/*",
    "*/",
    "# c\n",
    "if (",
    "no_such_fn();",
    "route[B] {\n}\n",
    "#!define Y 1\n",
    "#!ifndef Y\n",
];

const MAX_EDITS: usize = 24;

fn fresh(path: &Path, text: &str) -> Vec<kcfg_ide::Diag> {
    let mut files = kcfg_diagnostics::Files::new();
    let id = files.add(path.display().to_string(), text.to_string());
    let options = kcfg_check::CheckOptions {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    let diags =
        kcfg_check::check_source_with(&mut files, id, &options, &kcfg_sema::MemoryLoader::new());
    diags
        .iter()
        .map(|d| kcfg_ide::Diag::from_check(&files, d))
        .filter(|d| d.path == path)
        .collect()
}

fn floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/nonexistent-kcfg-fuzz/kamailio.cfg");
    let mut host = kcfg_ide::AnalysisHost::new(kcfg_ide::Settings::default());
    let mut text = BASE.to_string();
    host.set_file(path, text.as_str());
    let mut rest = data;
    let mut edits = 0;
    // one edit: [pos_lo, pos_hi, len, what] (+ raw bytes when `what` ≥ 0x80)
    while rest.len() >= 4 && edits < MAX_EDITS {
        let pos = u16::from_le_bytes([rest[0], rest[1]]) as usize % (text.len() + 1);
        let len = (rest[2] % 16) as usize;
        let what = rest[3];
        rest = &rest[4..];
        let a = floor(&text, pos);
        let b = floor(&text, a + len);
        let ins: String = if what >= 0x80 {
            let n = ((what & 0x0f) as usize).min(rest.len());
            let s = String::from_utf8_lossy(&rest[..n]).into_owned();
            rest = &rest[n..];
            s
        } else if (what as usize) < SNIPPETS.len() {
            SNIPPETS[what as usize].to_string()
        } else {
            String::new()
        };
        text.replace_range(a..b, &ins);
        host.set_file(path, text.as_str());
        edits += 1;
        let analysis = host.analysis();
        let got = analysis.diagnostics(path).expect("not cancelled");
        let served = analysis
            .file_text(path)
            .expect("not cancelled")
            .expect("open file");
        assert_eq!(&*served, text.as_str());
        let expected = fresh(path, &text);
        assert_eq!(
            got.check, expected,
            "edit {edits}: diagnostics differ for\n{text}"
        );
    }
});
