//! `fixtures/lint/KCnnn/{ok,err}.cfg`: every finding of rule KCnnn in
//! `err.cfg` is marked by a caret comment on the next line
//! (`#   ^^^^ KC301`: the carets sit under the reported text of the line
//! above, as many as the range has characters on that line) and nothing
//! else is reported for that rule; `ok.cfg` gets no finding of it. The
//! report of `err.cfg` (concise and human, no colour) is an insta snapshot.
//! Fixes are applied until nothing changes and must not add syntax errors.
//! The examples of every rule's docs are linted too.

use std::path::{Path, PathBuf};

use kcfg_diagnostics::{render, Files};
use kcfg_lint::{Selector, Settings, RULES};
use kcfg_sema::{MemoryLoader, Model, SemaOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lint")
}

fn options() -> SemaOptions {
    SemaOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        ..Default::default()
    }
}

fn only(code: &str) -> Settings {
    Settings {
        select: vec![Selector::parse(code).unwrap()],
        ..Default::default()
    }
}

fn lint_text(path: &str, text: &str, settings: &Settings) -> (Model, Vec<kcfg_lint::Finding>) {
    let model = Model::build(path, text, &MemoryLoader::new(), &options());
    let out = kcfg_lint::lint(&model, settings);
    (model, out.findings)
}

/// `(line, column, width, code)` (0-based line and character column) of the
/// caret comments of a fixture.
fn expected(text: &str) -> Vec<(u32, u32, u32, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut target = 0usize;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start_matches('#');
        let is_caret = l.starts_with('#') && t.trim_start().starts_with('^');
        if !is_caret {
            target = i;
            continue;
        }
        let chars: Vec<char> = l.chars().collect();
        let start = chars.iter().position(|&c| c == '^').unwrap();
        let width = chars[start..].iter().take_while(|&&c| c == '^').count();
        let code = l[l.rfind('^').unwrap() + 1..].trim().to_string();
        out.push((target as u32, start as u32, width as u32, code));
    }
    out
}

fn actual(model: &Model, findings: &[kcfg_lint::Finding]) -> Vec<(u32, u32, u32, String)> {
    let f = &model.files[0];
    let li = f.line_index();
    findings
        .iter()
        .map(|x| {
            let s = li.line_col(x.range.start());
            let line_start = usize::from(x.range.start()) - s.col as usize;
            let line_end = f.text[line_start..]
                .find('\n')
                .map_or(f.text.len(), |i| line_start + i);
            let end = usize::from(x.range.end())
                .min(line_end)
                .max(usize::from(x.range.start()));
            let col = f.text[line_start..usize::from(x.range.start())]
                .chars()
                .count() as u32;
            let width = f.text[usize::from(x.range.start())..end]
                .chars()
                .count()
                .max(1) as u32;
            (s.line, col, width, x.code.to_string())
        })
        .collect()
}

#[test]
fn fixtures() {
    let mut failures = Vec::new();
    for rule in RULES {
        let code = rule.meta.code;
        let dir = root().join(code);
        let err_path = dir.join("err.cfg");
        let err =
            std::fs::read_to_string(&err_path).unwrap_or_else(|_| panic!("{code}: no err.cfg"));
        // all rules run (as `kcfg check` runs them); only this rule's findings count
        let (model, findings) = lint_text(&err_path.to_string_lossy(), &err, &Settings::default());
        let mut want = expected(&err);
        want.retain(|w| w.3 == code);
        let mut got = actual(&model, &findings);
        got.retain(|g| g.3 == code);
        if want.is_empty() {
            failures.push(format!("{code}: err.cfg has no caret comment for {code}"));
        }
        if want != got {
            failures.push(format!("{code}: err.cfg expected {want:?}, got {got:?}"));
        }
        let ok_path = dir.join("ok.cfg");
        let ok = std::fs::read_to_string(&ok_path).unwrap_or_else(|_| panic!("{code}: no ok.cfg"));
        let (_, mut findings) = lint_text(&ok_path.to_string_lossy(), &ok, &Settings::default());
        findings.retain(|f| f.code == code);
        if !findings.is_empty() {
            failures.push(format!("{code}: ok.cfg has findings: {findings:?}"));
        }
        // the report, as users see it
        let mut files = Files::new();
        let id = files.add(format!("fixtures/lint/{code}/err.cfg"), err.clone());
        let diags: Vec<_> = findings_for_report(&err, code)
            .iter()
            .map(|f| kcfg_lint::to_diagnostic(f, id))
            .collect();
        let report = format!(
            "{}\n{}",
            render::concise(&files, &diags),
            render::human(&files, &diags, &render::HumanOptions { color: false })
        );
        insta::assert_snapshot!(format!("report_{code}"), report);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn findings_for_report(text: &str, code: &str) -> Vec<kcfg_lint::Finding> {
    let mut f = lint_text("err.cfg", text, &Settings::default()).1;
    f.retain(|x| x.code == code);
    f
}

#[test]
fn doc_examples_are_reported_and_fixed_examples_are_not() {
    for rule in RULES {
        let m = rule.meta;
        if matches!(m.code, "KC501" | "KC502") {
            continue; // suppression problems are checked with the fixtures
        }
        let (_, f) = lint_text("example.cfg", m.example, &only(m.code));
        assert!(
            !f.is_empty(),
            "{}: its docs example is not reported",
            m.code
        );
        let (_, f) = lint_text("example.cfg", m.fixed_example, &only(m.code));
        assert!(
            f.is_empty(),
            "{}: its fixed docs example is reported: {f:?}",
            m.code
        );
    }
}

/// Apply fixes until nothing changes (at most 10 rounds).
pub fn fix_until_stable(text: &str, unsafe_fixes: bool) -> (String, usize) {
    let mut text = text.to_string();
    let mut total = 0;
    for _ in 0..10 {
        let (_, findings) = lint_text("fix.cfg", &text, &Settings::default());
        let (next, n) = kcfg_lint::apply_fixes(
            &text,
            findings.iter().filter_map(|f| f.fix.as_ref()),
            unsafe_fixes,
        );
        total += n;
        if n == 0 || next == text {
            break;
        }
        text = next;
    }
    (text, total)
}

#[test]
fn fixes_converge_and_never_add_syntax_errors() {
    let mut fixed_any = 0;
    for rule in RULES {
        for name in ["err.cfg", "ok.cfg"] {
            let path = root().join(rule.meta.code).join(name);
            let text = std::fs::read_to_string(&path).unwrap();
            for unsafe_fixes in [false, true] {
                let before = kcfg_syntax::parse(&text).errors().len();
                let (after_text, n) = fix_until_stable(&text, unsafe_fixes);
                let after = kcfg_syntax::parse(&after_text).errors().len();
                assert!(
                    after <= before,
                    "{}: fixing added syntax errors:\n{after_text}",
                    path.display()
                );
                if n > 0 {
                    fixed_any += 1;
                    // converged: a second run changes nothing
                    assert_eq!(
                        fix_until_stable(&after_text, unsafe_fixes).1,
                        0,
                        "{}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(fixed_any > 0, "no fixture exercised a fix");
}

#[test]
fn fix_fixtures_before_after() {
    // fixtures/lint/fix/NAME.cfg is fixed into NAME.fixed.cfg (NAME.unsafe.fixed.cfg with unsafe fixes)
    let dir = root().join("fix");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".cfg") || name.contains(".fixed") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let stem = name.trim_end_matches(".cfg");
        for (unsafe_fixes, suffix) in [(false, "fixed"), (true, "unsafe.fixed")] {
            let want_path = dir.join(format!("{stem}.{suffix}.cfg"));
            let Ok(want) = std::fs::read_to_string(&want_path) else {
                continue;
            };
            let (got, _) = fix_until_stable(&text, unsafe_fixes);
            assert_eq!(got, want, "{}", want_path.display());
            assert!(
                kcfg_syntax::parse(&got).errors().is_empty(),
                "{} has syntax errors",
                want_path.display()
            );
            n += 1;
        }
    }
    assert!(n > 0);
}

#[test]
fn suppressions() {
    let text = "loadmodule \"tm.so\"\nrequest_route {\n\tt_relay(); # kcfg: ignore[KC306] -- tested elsewhere\n\t# kcfg: ignore[t-relay-result-unchecked]\n\tt_relay();\n\tt_relay();\n\t# kcfg: ignore[KC303]\n\texit;\n}\n";
    let (_, f) = lint_text("s.cfg", text, &Settings::default());
    let codes: Vec<(&str, u32)> = f
        .iter()
        .map(|x| (x.code, u32::from(x.range.start())))
        .collect();
    // the third t_relay is reported, the KC303 suppression is unused
    assert_eq!(codes.iter().filter(|c| c.0 == "KC306").count(), 1, "{f:?}");
    assert_eq!(codes.iter().filter(|c| c.0 == "KC501").count(), 1, "{f:?}");
    let file_level = "# kcfg: ignore-file[KC3]\nloadmodule \"tm.so\"\nrequest_route {\n\tt_relay();\n\texit;\n}\n";
    let (_, f) = lint_text("s.cfg", file_level, &Settings::default());
    assert!(f.is_empty(), "{f:?}");
    // a deselected rule's suppression is not unused
    let ignore = Settings {
        ignore: vec![Selector::parse("KC306").unwrap()],
        ..Default::default()
    };
    let (_, f) = lint_text("s.cfg", text, &ignore);
    assert!(f.iter().all(|x| x.code != "KC306"), "{f:?}");
    assert_eq!(f.iter().filter(|x| x.code == "KC501").count(), 1, "{f:?}");
}

#[test]
fn suppressions_apply_to_semantic_checks() {
    let text = "request_route {\n\tno_such_function(); # kcfg: ignore[KC103] -- provided by a module we build\n\texit;\n}\n";
    let model = Model::build("s.cfg", text, &MemoryLoader::new(), &options());
    assert_eq!(model.diagnostics.len(), 1);
    let out = kcfg_lint::lint(&model, &Settings::default());
    assert_eq!(out.sema_suppressed, vec![true]);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
}
