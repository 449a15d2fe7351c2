//! An unterminated string that ends in a multi-byte character, as an
//! argument (found by the `lsp_edits` fuzz target: a byte slice in
//! `exprs::lit_value` panicked).

use kcfg_sema::{MemoryLoader, Model, SemaOptions};

#[test]
fn no_panic() {
    for text in [
        "loadmodule \"tm.so\"\nrequest_route {\n\tt_on_failure(\"FA\u{fffd}",
        "loadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"é",
        "request_route {\n\tf('😀",
    ] {
        let m = Model::build(
            "/k/kamailio.cfg",
            text,
            &MemoryLoader::new(),
            &SemaOptions::default(),
        );
        assert_eq!(m.files.len(), 1);
    }
}
