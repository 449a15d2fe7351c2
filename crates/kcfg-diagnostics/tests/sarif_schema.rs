//! The SARIF output validates against the SARIF 2.1.0 JSON schema (vendored in
//! `tests/data`, see its README). Formats (`uri`, `date-time`) are not asserted, as draft-07
//! makes them annotations; everything else (required properties, types, enums such as
//! `level`, `version`) is.

use kcfg_diagnostics::render::{sarif, RuleDescriptor};
use kcfg_diagnostics::{Diagnostic, Files, Severity, TextRange};

fn validator() -> jsonschema::Validator {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    // The published schema's pattern for `language` (of `run` and `toolComponent`),
    // `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, has a stray `]` that the validator's
    // meta-schema check (format "regex") rejects. It is replaced in memory by what it
    // means; kcfg does not emit `language`. Nothing else is changed.
    fn fix(v: &mut serde_json::Value, n: &mut usize) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *x = serde_json::json!("^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$");
                        *n += 1;
                    } else {
                        fix(x, n);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fix(x, n)),
            _ => {}
        }
    }
    let mut n = 0;
    fix(&mut schema, &mut n);
    assert_eq!(n, 2);
    // draft-07 treats `format` as an annotation; the schema's own `language` pattern
    // (`...]?$`) is not a strict ECMA-262 regex, so formats are not asserted
    jsonschema::options()
        .should_validate_formats(false)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let mut files = Files::new();
    let a = files.add(
        "conf/kamailio.cfg",
        "request_route {\n\tt_relay();\n\txlog(\"é\")\n}\n",
    );
    let b = files.add("/abs path/other.cfg", "route[X] {\n\texit;\n}\n");
    let diags = vec![
        Diagnostic::new(
            "KC306",
            Severity::Warning,
            a,
            TextRange::new(17.into(), 26.into()),
            "the result is not checked",
        )
        .with_help("test it")
        .with_note("a note")
        .with_label(TextRange::new(0.into(), 13.into()), "in this route"),
        Diagnostic::new(
            "KC001",
            Severity::Error,
            a,
            TextRange::empty(40.into()),
            "missing `;`",
        ),
        Diagnostic::new(
            "KC401",
            Severity::Info,
            b,
            TextRange::new(0.into(), 5.into()),
            "unused",
        ),
        Diagnostic::new(
            "KC999",
            Severity::Hint,
            b,
            TextRange::new(0.into(), 5.into()),
            "a code with no descriptor",
        ),
    ];
    let rules = [
        RuleDescriptor {
            code: "KC001",
            name: "syntax-error",
            summary: "a syntax error",
        },
        RuleDescriptor {
            code: "KC306",
            name: "t-relay-result-unchecked",
            summary: "t_relay() unchecked",
        },
        RuleDescriptor {
            code: "KC401",
            name: "unused-define",
            summary: "unused define",
        },
    ];
    let out = sarif(&files, &diags, &rules);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let v = validator();
    let errs = errors(&v, &doc);
    assert!(errs.is_empty(), "{errs:#?}\n{out}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    // every ruleIndex points at its rule
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            doc["runs"][0]["tool"]["driver"]["rules"][i]["id"],
            r["ruleId"]
        );
    }
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "file:///abs%20path/other.cfg"
    );
    // the empty output is valid too
    let empty: serde_json::Value = serde_json::from_str(&sarif(&files, &[], &rules)).unwrap();
    assert!(errors(&v, &empty).is_empty());
}

#[test]
fn the_schema_rejects_broken_sarif() {
    // the validation can fail: a result without a message is not SARIF
    let v = validator();
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "kcfg" } }, "results": [{ "ruleId": "KC1" }] }]
    });
    assert!(!errors(&v, &bad).is_empty());
    let bad_version = serde_json::json!({ "version": "2.0.0", "runs": [] });
    assert!(!errors(&v, &bad_version).is_empty());
}
