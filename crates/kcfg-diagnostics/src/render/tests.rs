use super::*;
use crate::{codes, Diagnostic, Files, Severity, TextRange};

fn parse_into(files: &mut Files, path: &str, text: &str) -> Vec<Diagnostic> {
    let file = files.add(path, text);
    kcfg_syntax::parse(text)
        .errors()
        .iter()
        .map(|e| Diagnostic::from_syntax_error(file, e, files.get(file).line_index()))
        .collect()
}

fn check(text: &str) -> (Files, Vec<Diagnostic>) {
    let mut files = Files::new();
    let diags = parse_into(&mut files, "kamailio.cfg", text);
    (files, diags)
}

fn no_color(files: &Files, diags: &[Diagnostic]) -> String {
    human(files, diags, &HumanOptions { color: false })
}

const MISSING_SEMI: &str = "request_route {\n    xlog(\"a\")\n    exit;\n}\n";

/// Two files given out of order, the second with two errors.
fn two_files() -> (Files, Vec<Diagnostic>) {
    let mut files = Files::new();
    let mut diags = parse_into(
        &mut files,
        "z.cfg",
        "request_route {\n\tsl_send_reply(\"404\", \"x\")\n}\n",
    );
    diags.extend(parse_into(&mut files, "a.cfg", MISSING_SEMI));
    let a = crate::FileId(1);
    diags.push(
        Diagnostic::new(
            "KC999",
            Severity::Warning,
            a,
            TextRange::new(0.into(), 13.into()),
            "a warning first",
        )
        .with_note("notes come after the snippet"),
    );
    (files, diags)
}

#[test]
fn human_missing_semicolon() {
    let (files, diags) = check(MISSING_SEMI);
    assert_eq!(diags.len(), 1);
    insta::assert_snapshot!(no_color(&files, &diags));
}

#[test]
fn human_missing_semicolon_same_line_has_no_extra_label() {
    let (files, diags) = check("request_route {\n    xlog(\"a\") exit;\n}\n");
    assert!(diags[0].labels.is_empty());
    insta::assert_snapshot!(no_color(&files, &diags));
}

#[test]
fn human_missing_semicolon_at_end_of_file() {
    let (files, diags) = check("request_route {\n    exit");
    insta::assert_snapshot!(no_color(&files, &diags));
}

#[test]
fn human_tabs_crlf_and_wide_chars() {
    let (files, diags) = check("# ünïcödé\r\nrequest_route {\r\n\txlog(\"€\")\r\n\texit;\r\n}\r\n");
    insta::assert_snapshot!(no_color(&files, &diags));
}

#[test]
fn human_severities_notes_and_sorting() {
    let (files, diags) = two_files();
    insta::assert_snapshot!(no_color(&files, &diags));
}

#[test]
fn human_all_severities() {
    let mut files = Files::new();
    let f = files.add("k.cfg", "loadmodule \"tm.so\"\n");
    let r = TextRange::new(11.into(), 18.into());
    let diags: Vec<Diagnostic> = [
        Severity::Error,
        Severity::Warning,
        Severity::Info,
        Severity::Hint,
    ]
    .into_iter()
    .enumerate()
    .map(|(i, s)| {
        Diagnostic::new(
            ["KC901", "KC902", "KC903", "KC904"][i],
            s,
            f,
            r,
            format!("a {s}"),
        )
    })
    .collect();
    insta::assert_snapshot!(no_color(&files, &diags));
}

#[test]
fn human_not_utf8_replacement_char() {
    // what the CLI does for a bad byte: lossy text, diagnostic at the offset
    let mut files = Files::new();
    let f = files.add("latin1.cfg", "# caf\u{FFFD}\nrequest_route { exit; }\n");
    let d = Diagnostic::error(
        codes::NOT_UTF8,
        f,
        TextRange::empty(5.into()),
        "bad byte at offset 5",
    );
    insta::assert_snapshot!(no_color(&files, &[d]));
}

#[test]
fn human_color_is_optional() {
    let (files, diags) = check(MISSING_SEMI);
    let plain = no_color(&files, &diags);
    assert!(!plain.contains('\x1b'));
    let colored = human(&files, &diags, &HumanOptions { color: true });
    assert!(colored.contains("\x1b[1;31merror[KC001]"));
    assert_eq!(
        strip_ansi(&colored)
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>(),
        plain.lines().collect::<Vec<_>>()
    );
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn human_nothing() {
    assert_eq!(no_color(&Files::new(), &[]), "");
}

#[test]
fn concise_output() {
    let (files, diags) = two_files();
    insta::assert_snapshot!(concise(&files, &diags));
}

#[test]
fn concise_columns_count_characters() {
    let (files, diags) = check("request_route {\n    xlog(\"€€\")\n    exit;\n}\n");
    assert_eq!(
        concise(&files, &diags),
        "kamailio.cfg:2:15: error[KC001] missing `;` (found `exit`)\n"
    );
}

#[test]
fn json_output() {
    let (files, diags) = two_files();
    insta::assert_snapshot!(json(&files, &diags));
}

#[test]
fn json_empty() {
    assert_eq!(json(&Files::new(), &[]), "[]\n");
}

#[test]
fn render_dispatches() {
    let (files, diags) = check(MISSING_SEMI);
    assert_eq!(
        render(Format::Concise, &files, &diags, true),
        concise(&files, &diags)
    );
    assert_eq!(
        render(Format::Json, &files, &diags, true),
        json(&files, &diags)
    );
    assert_eq!(
        render(Format::Human, &files, &diags, false),
        no_color(&files, &diags)
    );
}
