//! `ast::string_value` on terminated and unterminated strings (an
//! unterminated string ending in a multi-byte character used to panic: the
//! `lsp_edits` fuzz target found it through kcfg-sema's model walk).

use kcfg_syntax::ast;

fn values(text: &str) -> Vec<String> {
    let root = kcfg_syntax::parse(text).syntax_node();
    ast::descendants::<ast::StringLit>(&root)
        .map(|s| ast::string_value(&s))
        .collect()
}

#[test]
fn quotes_are_removed() {
    assert_eq!(
        values("request_route {\n\txlog(\"L_INFO\", 'é😀');\n}\n"),
        vec!["L_INFO".to_string(), "é😀".to_string()]
    );
}

#[test]
fn unterminated_strings_ending_in_multibyte_characters_do_not_panic() {
    for text in [
        "request_route {\n\tt_on_failure(\"FA\u{fffd}",
        "request_route {\n\tt_on_failure(\"é",
        "loadmodule \"😀",
        "request_route {\n\tf('x\u{fffd}\n}\n",
    ] {
        let got = values(text);
        assert!(!got.is_empty(), "{text:?}");
    }
    // the last character is dropped, as for an ASCII one
    assert_eq!(values("loadmodule \"ab"), vec!["a".to_string()]);
    assert_eq!(values("loadmodule \"aé"), vec!["a".to_string()]);
}
