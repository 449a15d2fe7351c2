//! `fixtures/kemi`: Kamailio's own KEMI example scripts check clean against their config;
//! the mutated copies in `fixtures/kemi/mutated` are caught with the code on their first line.

use std::path::{Path, PathBuf};

use kcfg_kemi::{check, find_config, Language};
use kcfg_modules::KamailioVersion;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/kemi")
}

#[test]
fn example_scripts_check_clean() {
    for (script, app) in [
        ("kamailio-basic-kemi-lua.lua", "app_lua"),
        ("kamailio-basic-kemi-python.py", "app_python"),
        ("kamailio-basic-kemi-python3s.py", "app_python3s"),
        ("kamailio-basic-kemi-jsdt.js", "app_jsdt"),
    ] {
        let path = dir().join(script);
        let lang = Language::from_path(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        // the config next to the script, found by its `load` modparam
        let cfg = find_config(&path, lang, None, &[], KamailioVersion::V6_0)
            .unwrap()
            .unwrap_or_else(|| panic!("{script}: no config found"));
        assert_eq!(cfg.app_module, app, "{script}");
        if app == "app_jsdt" {
            // the config selects the JavaScript engine with this define
            assert_eq!(cfg.defines, ["WITH_CFGJSDT"], "{script}");
        }
        assert!(cfg.loaded_modules.iter().any(|m| m == "tm"), "{script}");
        let d = check(lang, &text, KamailioVersion::V6_0, Some(&cfg));
        if app == "app_jsdt" {
            // Kamailio's own JavaScript example calls `KSR.hdr.append_hf`, which no
            // version of Kamailio exports (src/core/kemi.c has `hdr.append`; the Lua and
            // Python examples use it): a real finding, the only one.
            assert_eq!(d.len(), 1, "{script}: {d:#?}");
            assert_eq!(d[0].code, "KC601");
            assert_eq!(
                &text[d[0].range.clone()],
                "KSR.hdr.append_hf(\"P-Hint: outbound\\r\\n\")"
            );
            assert_eq!(d[0].help.as_deref(), Some("did you mean `KSR.hdr.append`?"));
            let fixed = text.replace("KSR.hdr.append_hf(", "KSR.hdr.append(");
            let d = check(lang, &fixed, KamailioVersion::V6_0, Some(&cfg));
            assert!(d.is_empty(), "{script} with hdr.append: {d:#?}");
        } else {
            assert!(d.is_empty(), "{script}: {d:#?}");
        }
        // the scripts make many KSR calls, all of which were checked
        let facts = kcfg_kemi::script_facts(lang, &text);
        assert!(
            facts.calls.len() > 60,
            "{script}: {} calls",
            facts.calls.len()
        );
    }
}

#[test]
fn mutated_scripts_are_caught() {
    let cfg_path = dir().join("kamailio-basic-kemi.cfg");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir().join("mutated"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        let expect = first
            .split("kcfg-expect: ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("{}: no kcfg-expect line", path.display()));
        let lang = Language::from_path(&path).unwrap();
        let cfg = find_config(&path, lang, Some(&cfg_path), &[], KamailioVersion::V6_0)
            .unwrap()
            .unwrap();
        let d = check(lang, &text, KamailioVersion::V6_0, Some(&cfg));
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| *c == expect),
            "{}: expected only {expect}, got {d:#?}",
            path.display()
        );
    }
}

#[test]
fn renamed_function_gets_a_suggestion() {
    let path = dir().join("mutated/lua-renamed-function.lua");
    let text = std::fs::read_to_string(&path).unwrap();
    let d = check(Language::Lua, &text, KamailioVersion::V6_0, None);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `KSR.tm.t_relay`?"));
    assert_eq!(&text[d[0].range.clone()], "KSR.tm.t_rely()");
}

#[test]
fn javascript_mutations_point_at_the_change() {
    for (file, code, at) in [
        ("js-renamed-function.js", "KC601", "KSR.tm.t_rely()"),
        ("js-wrong-arity.js", "KC602", "KSR.sl.sl_send_reply(404)"),
        (
            "js-missing-failure-function.js",
            "KC605",
            "KSR.tm.t_on_failure(\"ksr_failure_manag\")",
        ),
    ] {
        let text = std::fs::read_to_string(dir().join("mutated").join(file)).unwrap();
        let d = check(Language::JavaScript, &text, KamailioVersion::V6_0, None);
        assert_eq!(d.len(), 1, "{file}: {d:#?}");
        assert_eq!((d[0].code, &text[d[0].range.clone()]), (code, at), "{file}");
    }
    let text = std::fs::read_to_string(dir().join("mutated/js-syntax-error.js")).unwrap();
    let d = check(Language::JavaScript, &text, KamailioVersion::V6_0, None);
    let line = text[..d[0].range.start].lines().count();
    let broken = text
        .lines()
        .position(|l| l.contains("if (KSR.is_CANCEL() {"))
        .unwrap()
        + 1;
    // the parser notices at the `{` after the missing `)` (or just after)
    assert!(
        (broken..=broken + 1).contains(&line),
        "KC606 on line {line}, change on {broken}: {d:#?}"
    );
}

#[test]
fn version_matters() {
    // KSR.sl.send_reply_error exists in 6.0 only? Whatever differs, the knowledge base decides:
    // a function of 6.0 that 5.6 lacks is unknown for 5.6.
    let db56 = kcfg_modules::db(KamailioVersion::V5_6);
    let db60 = kcfg_modules::db(KamailioVersion::V6_0);
    let new_in_60 = db60
        .kemi_functions()
        .find(|k| db56.kemi(k.ksr).is_none() && k.provided_by == "core")
        .expect("a core KEMI function new in 6.0");
    let args = vec!["1"; new_in_60.params.len()].join(", ");
    let script = format!(
        "function ksr_request_route()\n  {}({args})\nend\n",
        new_in_60.ksr
    );
    assert!(check(Language::Lua, &script, KamailioVersion::V6_0, None).is_empty());
    let d = check(Language::Lua, &script, KamailioVersion::V5_6, None);
    assert_eq!(d[0].code, "KC601");
    assert!(
        d[0].message.contains("it exists in 6.0.7"),
        "{}",
        d[0].message
    );
}

#[test]
fn truncated_javascript_is_a_finding_not_a_panic() {
    let text = std::fs::read_to_string(dir().join("kamailio-basic-kemi-jsdt.js")).unwrap();
    let mut broken = 0;
    for cut in (1..text.len()).step_by(83) {
        if !text.is_char_boundary(cut) {
            continue;
        }
        let part = &text[..cut];
        let d = check(Language::JavaScript, part, KamailioVersion::V6_0, None);
        if d.iter().any(|d| d.code == "KC606") {
            broken += 1;
            assert_eq!(d.len(), 1, "cut at {cut}: {d:#?}");
            assert!(d[0].range.end <= part.len(), "cut at {cut}: {d:#?}");
        }
    }
    // most cuts land inside a function body, which does not parse
    assert!(broken > 50, "{broken}");
}
