//! Every case of `common::CASES`, in memory: kcfg must report exactly the
//! expected diagnostics (code, file, line), in order.

mod common;

use std::path::Path;

use common::{build, found, CASES};

#[test]
fn every_case_reports_what_it_expects() {
    let dir = Path::new("/cfg");
    let mut failures = Vec::new();
    for case in CASES {
        let model = build(case, dir);
        let got = found(&model);
        let want: Vec<(&str, String, u32)> = case
            .expect
            .iter()
            .map(|(c, f, l)| (*c, f.to_string(), *l))
            .collect();
        if got != want {
            failures.push(format!(
                "{}: expected {want:?}, got {got:?}\n  {:#?}",
                case.name, model.diagnostics
            ));
            continue;
        }
        if let Some(first) = model.diagnostics.first() {
            let text = format!("{} {}", first.message, first.help.as_deref().unwrap_or(""));
            if !text.contains(case.first_mentions) {
                failures.push(format!(
                    "{}: first diagnostic does not mention {:?}: {text}",
                    case.name, case.first_mentions
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn case_names_are_unique() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let n = names.len();
    names.dedup();
    assert_eq!(n, names.len());
}

#[test]
fn every_code_has_a_case() {
    for (code, ..) in kcfg_sema::codes::ALL {
        assert!(
            CASES
                .iter()
                .any(|c| c.expect.iter().any(|(x, ..)| x == code)),
            "no case for {code}"
        );
    }
}

// ---------------------------------------------------------------- bad input

use kcfg_sema::{FileLoader, FsLoader, MemoryLoader, Model, SemaOptions};

fn opts() -> SemaOptions {
    SemaOptions {
        version: kcfg_sema::KamailioVersion::V5_6,
        cwd: Some("/cfg".into()),
        ..Default::default()
    }
}

#[test]
fn a_thousand_nested_includes_stop_at_kamailios_limit() {
    let mut files = MemoryLoader::new();
    for i in 1..=1000 {
        files.insert(
            format!("/cfg/n{i}.cfg"),
            format!("include_file \"n{}.cfg\"\n", i + 1),
        );
    }
    let m = Model::build(
        "/cfg/main.cfg",
        "include_file \"n1.cfg\"\n",
        &files,
        &opts(),
    );
    let codes: Vec<&str> = m.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["KC115"]);
    assert_eq!(m.files.len(), 11);
}

#[test]
fn an_included_file_that_is_not_text_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bin.cfg"), [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let main = dir.path().join("main.cfg");
    std::fs::write(&main, "include_file \"bin.cfg\"\n").unwrap();
    let o = SemaOptions {
        cwd: Some(dir.path().to_path_buf()),
        ..opts()
    };
    let m = kcfg_sema::analyze_path(&main, &FsLoader, &o).unwrap();
    assert_eq!(m.diagnostics.len(), 1);
    assert_eq!(m.diagnostics[0].code, "KC113");
    assert!(
        m.diagnostics[0].message.contains("UTF-8"),
        "{}",
        m.diagnostics[0].message
    );
    assert!(FsLoader.read(&dir.path().join("nope.cfg")).is_err());
}

#[test]
fn deep_nesting_and_garbage_do_not_overflow() {
    let mut text = String::from("loadmodule \"sl.so\"\nrequest_route {\n");
    for _ in 0..20_000 {
        text.push_str("if ($x) {\n");
    }
    text.push_str("sl_send_reply(\"404\", \"x\");\n");
    for _ in 0..20_000 {
        text.push_str("}\n");
    }
    text.push_str("}\nroute[A] {\n");
    for _ in 0..20_000 {
        text.push_str("if (a) { drop; } else ");
    }
    text.push_str("{ drop; }\n}\n");
    text.push_str("route[B] {\n$x = ");
    for _ in 0..20_000 {
        text.push('(');
    }
    text.push_str("1;\n}\n");
    let garbage: String = (0..200_000u32)
        .map(|i| char::from_u32((i * 7919) % 0x2000 + 1).unwrap_or('x'))
        .collect();
    text.push_str(&garbage);
    // run on a small stack, as test threads are
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            Model::build("/cfg/x.cfg", text, &MemoryLoader::new(), &opts())
                .routes
                .len()
        })
        .unwrap();
    assert!(h.join().unwrap() >= 3);
}

#[test]
fn a_large_config_is_checked() {
    let mut text = String::from("loadmodule \"sl.so\"\nloadmodule \"tm.so\"\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "route[R{i}] {{\n\tif (is_method(\"INVITE\")) {{\n\t\tsl_send_reply(\"404\", \"x\");\n\t}}\n\tt_on_failure(\"F{i}\");\n\troute(R{});\n}}\n",
            i + 1
        ));
    }
    // (how fast is a benchmark's business: crates/kcfg-sema has none timed here)
    let m = Model::build("/cfg/big.cfg", text, &MemoryLoader::new(), &opts());
    assert_eq!(m.routes.len(), 20_000);
    // is_method (textops not loaded), t_on_failure and the last route(R20000)
    assert_eq!(m.diagnostics.len(), 20_000 * 2 + 1);
}

#[test]
fn files_included_inside_a_route_are_marked() {
    let case = common::CASES
        .iter()
        .find(|c| c.name == "include_inside_route_block")
        .unwrap();
    let m = build(case, Path::new("/cfg"));
    assert_eq!(m.files.len(), 2);
    assert!(!m.files[0].included_in_route);
    assert!(m.files[1].included_in_route);
    assert_eq!(m.include_chain(kcfg_sema::FileIdx(1)).len(), 1);
}

#[test]
fn the_model_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Model>();
    send_sync::<kcfg_sema::SemaDiagnostic>();
}
