//! `fixtures/fmt/*.cfg`: each case is formatted and its output snapshotted;
//! every case also checks idempotence, the token and comment invariants, and
//! that the regions left alone (syntax errors, unbalanced `#!ifdef` arms)
//! are in the output byte for byte.

use std::path::{Path, PathBuf};

use kcfg_fmt::{format, format_detailed, FormatOptions, IndentStyle};
use kcfg_syntax::SyntaxKind;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fmt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cfg"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "fixtures missing in {}", dir.display());
    files
}

fn comments(text: &str) -> Vec<String> {
    kcfg_syntax::parse(text)
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| matches!(t.kind(), SyntaxKind::COMMENT | SyntaxKind::BLOCK_COMMENT))
        .map(|t| t.text().trim_end().to_string())
        .collect()
}

fn check_invariants(name: &str, input: &str, options: &FormatOptions) -> String {
    let out = format_detailed(input, options).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = format(&out.text, options).unwrap_or_else(|e| panic!("{name} (2nd): {e}"));
    assert_eq!(again, out.text, "{name}: formatting is not idempotent");
    kcfg_fmt::verify(input, &out.text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        comments(input),
        comments(&out.text),
        "{name}: comments changed"
    );
    for s in &out.skipped {
        let kept = &input[usize::from(s.range.start())..usize::from(s.range.end())];
        assert!(
            out.text.contains(kept),
            "{name}: kept region {:?} is not in the output byte for byte",
            s.range
        );
    }
    out.text
}

#[test]
fn fixtures_snapshots() {
    for path in fixtures() {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let input = std::fs::read_to_string(&path).unwrap();
        let out = check_invariants(&name, &input, &FormatOptions::default());
        assert!(out.ends_with('\n'), "{name}: no final line break");
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, input_file => &path}, {
            insta::assert_snapshot!(name, out.replace('\r', "<CR>"));
        });
    }
}

#[test]
fn fixtures_with_spaces() {
    let options = FormatOptions {
        indent_style: IndentStyle::Space,
        indent_width: 2,
        max_blank_lines: 1,
        ..FormatOptions::default()
    };
    for path in fixtures() {
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let input = std::fs::read_to_string(&path).unwrap();
        let out = check_invariants(&name, &input, &options);
        if name == "switch_case" {
            insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!("switch_case_spaces2", out);
            });
        }
        // max-blank-lines = 1: never two blank lines in a row outside kept regions
        if !name.contains("error") && !name.contains("unbalanced") {
            assert!(!out.contains("\n\n\n"), "{name}: more than one blank line");
        }
    }
}

#[test]
fn crlf_input_keeps_crlf() {
    let input = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fmt/crlf.cfg"),
    )
    .unwrap();
    assert!(input.contains("\r\n"));
    let out = format(&input, &FormatOptions::default()).unwrap();
    let lf = out.matches('\n').count();
    assert_eq!(out.matches("\r\n").count(), lf, "every line ends in CRLF");
    assert!(out.contains("\tif (is_method(\"OPTIONS\")) {\r\n"));
}

#[test]
fn error_region_is_kept_byte_for_byte() {
    let input = "route[BROKEN] {\n    xlog(\"x\")\n      exit;\n}\nroute[OK] {\n    if($var(a)==1){exit;}\n}\n";
    let out = format_detailed(input, &FormatOptions::default()).unwrap();
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].reason, kcfg_fmt::SkipReason::SyntaxError);
    assert!(out
        .text
        .starts_with("route[BROKEN] {\n    xlog(\"x\")\n      exit;\n}\n"));
    assert!(out
        .text
        .ends_with("route[OK] {\n\tif ($var(a) == 1) {\n\t\texit;\n\t}\n}\n"));
}

#[test]
fn inactive_arm_is_kept_byte_for_byte() {
    // the `#!ifdef` arm is not balanced: it becomes INACTIVE_CODE trivia
    let input = "request_route {\n  if ($rU == \"a\") {\n#!ifdef X\n     xlog(\"x\");   \n  } else {\n#!endif\n  exit;\n  }\n}\n";
    let out = format(input, &FormatOptions::default()).unwrap();
    assert!(
        out.contains("#!ifdef X\n     xlog(\"x\");   \n  } else {\n#!endif\n"),
        "{out}"
    );
}

#[test]
fn range_formatting_touches_only_the_range() {
    let input = "route[A] {\n  if(a==1){exit;}\n}\nroute[B] {\n  if($var(b)==2){exit;}\n}\n";
    // line 5 (1-based) is the `if` of route B
    let start = input.match_indices('\n').nth(3).unwrap().0 + 1;
    let end = input.match_indices('\n').nth(4).unwrap().0;
    let range = kcfg_syntax::TextRange::new((start as u32).into(), (end as u32).into());
    let edit = kcfg_fmt::format_range(input, range, &FormatOptions::default())
        .unwrap()
        .expect("something to change");
    let out = edit.apply(input);
    assert!(
        out.starts_with("route[A] {\n  if(a==1){exit;}\n}\n"),
        "{out}"
    );
    assert!(
        out.contains("\tif ($var(b) == 2) {\n\t\texit;\n\t}\n"),
        "{out}"
    );
}

#[test]
fn empty_and_blank_inputs() {
    let o = FormatOptions::default();
    assert_eq!(format("", &o).unwrap(), "");
    assert_eq!(format("\n\n  \n", &o).unwrap(), "");
    assert_eq!(format("# c", &o).unwrap(), "# c\n");
    assert_eq!(
        format("debug=2   \n\n\n\n\nfork=yes", &o).unwrap(),
        "debug=2\n\n\nfork=yes\n"
    );
}

/// Spaces the style would remove are kept where removing them would make
/// other tokens (checked by lexing the pair, and `!!` which starts a
/// `!!define` line wherever it stands).
#[test]
fn spaces_that_separate_tokens_are_kept() {
    let o = FormatOptions::default();
    let out = format("request_route {\n\tif (! !defined_x) { exit; }\n}\n", &o);
    // `defined_x` is not a define: an error, so the item is kept as it is;
    // what matters is that the result is safe
    assert!(out.is_ok(), "{out:?}");
    let out = format(
        "#!define X 1\nrequest_route {\n\tif (! ! X) {\n\t\texit;\n\t}\n\t$var(a) = - 1;\n}\n",
        &o,
    )
    .unwrap();
    assert!(out.contains("if (! !X) {"), "{out}");
}

/// Inputs the fuzzer found (`fuzz/fuzz_targets/fmt.rs`), kept as
/// regression tests: each must format with every invariant holding.
#[test]
fn fuzz_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fmt/regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(input) = std::str::from_utf8(&bytes) else {
            continue;
        };
        check_invariants(
            &path.display().to_string(),
            input,
            &FormatOptions::default(),
        );
        n += 1;
    }
    assert!(n >= 1);
}

/// A comment after an item kept as it is (here a `modparam` whose broken
/// string makes `//...` a comment) stays as it is too.
#[test]
fn comment_after_kept_item_is_kept() {
    let input = "modparam(\"usrloc;, \"db_url\", \"mysql://kamailio@localhost/kamailio\")\n";
    let out = format(input, &FormatOptions::default()).unwrap();
    assert_eq!(out, input);
}

/// A string or block comment left open runs to the end of the input (or to
/// the next `#!ifdef`/`#!else`/`#!endif` line): no line break is added to it.
#[test]
fn open_tokens_get_no_line_break() {
    let o = FormatOptions::default();
    for input in [
        "request_route {\n\txlog(\"abc",
        "request_route {\n\txlog(\"abc\n\n",
        "/* open comment\n",
        "request_route {\n\txlog(\"a\n#!ifdef X\n\texit;\n#!endif\n}\n",
    ] {
        let out = format(input, &o).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(format(&out, &o).unwrap(), out, "{input:?}");
    }
}

/// Every fixture and fuzz regression, wrapped at narrow widths: the
/// invariants hold (idempotence, tokens, comments, kept regions), with tabs
/// and with spaces, and no line the wrapping writes ends in a blank.
#[test]
fn fixtures_wrapped_narrow() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fmt/regressions");
    let mut files = fixtures();
    files.extend(std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()));
    let mut wrapped = 0;
    for path in files {
        let Ok(input) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (line_width, indent_style) in [
            (20, IndentStyle::Tab),
            (40, IndentStyle::Space),
            (60, IndentStyle::Tab),
        ] {
            let options = FormatOptions {
                line_width,
                indent_style,
                ..FormatOptions::default()
            };
            let name = format!("{} at {line_width}", path.display());
            let out = check_invariants(&name, &input, &options);
            let wide = format(
                &input,
                &FormatOptions {
                    line_width: usize::MAX,
                    ..options.clone()
                },
            )
            .unwrap();
            if out.lines().count() > wide.lines().count() {
                wrapped += 1;
            }
        }
    }
    assert!(wrapped >= 20, "only {wrapped} runs wrapped a line");
}

/// What the wrapping does and does not do, on small cases.
#[test]
fn wrapping_rules() {
    let o = |line_width| FormatOptions {
        line_width,
        ..FormatOptions::default()
    };
    // after `&&`/`||` and commas, outermost first, continuation two levels deeper
    let input = "request_route {\n\tif (is_method(\"INVITE\") && has_body(\"application/sdp\") || $var(x) == 1) {\n\t\texit;\n\t}\n}\n";
    assert_eq!(
        format(input, &o(50)).unwrap(),
        "request_route {\n\tif (is_method(\"INVITE\") &&\n\t\t\thas_body(\"application/sdp\") ||\n\t\t\t$var(x) == 1) {\n\t\texit;\n\t}\n}\n"
    );
    // a top-level item continues one level deeper
    assert_eq!(
        format(
            "modparam(\"acc\", \"log_extra\", \"src_user=$fU;src_domain=$fd\")\n",
            &o(40)
        )
        .unwrap(),
        "modparam(\"acc\", \"log_extra\",\n\t\"src_user=$fU;src_domain=$fd\")\n"
    );
    // strings, PVs and transformations are never broken, even when too long;
    // their commas are not places to break
    let input = "request_route {\n\t$var(a) = $(ru{s.select,1,;}{s.tolower});\n\txlog(\"L_INFO\", \"a, b, c, d, e, f\");\n}\n";
    assert_eq!(
        format(input, &o(20)).unwrap(),
        "request_route {\n\t$var(a) = $(ru{s.select,1,;}{s.tolower});\n\txlog(\"L_INFO\",\n\t\t\t\"a, b, c, d, e, f\");\n}\n"
    );
    // a line within the width is left alone; a comment at its end does not count
    let input = "request_route {\n\txlog(\"L_INFO\", \"x\"); # a comment that is long enough to pass the width\n}\n";
    assert_eq!(format(input, &o(30)).unwrap(), input);
    // with CRLF line ends, the added line breaks are CRLF too
    let input =
        "request_route {\r\n\tif ($var(a) == 1 && $var(b) == 2) {\r\n\t\texit;\r\n\t}\r\n}\r\n";
    let out = format(input, &o(30)).unwrap();
    assert_eq!(
        out,
        "request_route {\r\n\tif ($var(a) == 1 &&\r\n\t\t\t$var(b) == 2) {\r\n\t\texit;\r\n\t}\r\n}\r\n"
    );
}
