//! The lint rules against real Kamailio 5.6.3: every `fixtures/lint/KCnnn/err.cfg` gets the
//! verdict its rule declares (`RuleMeta::kamailio`): `kamailio -c` accepts it (the rule finds
//! what Kamailio never reports), or accepts it and Kamailio then fails to start, or rejects it
//! too (KC201, KC206: the rule adds a clearer message or a fix). Every `ok.cfg` is accepted by
//! `kamailio -c`; for a rule whose `err.cfg` fails at start-up, Kamailio starts with its
//! `ok.cfg`, so the failure is the rule's pattern and not the environment. Kamailio is run through `kcfg_tests::Kamailio` (the helper the differential
//! tests use).
//!
//! Without Kamailio the test is skipped, except in CI (`CI=true`) where it fails.

use std::time::Duration;

use kcfg_lint::{KamailioVerdict as Declared, RULES};
use kcfg_tests::{root, Kamailio, KamailioVerdict};

#[test]
fn lint_fixtures_get_the_verdict_their_rule_declares() {
    let Some(k) = Kamailio::find() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("kamailio not found: CI must install Kamailio: run .ci/run");
        }
        eprintln!("kamailio not found: skipped");
        return;
    };
    eprintln!("{}", k.version());
    let mut failures = Vec::new();
    for rule in RULES {
        let m = rule.meta;
        let dir = root().join("fixtures/lint").join(m.code);
        let err = dir.join("err.cfg");
        let check = k
            .check(&err, Duration::from_secs(30))
            .expect("run kamailio -c");
        let accepted = check.verdict == KamailioVerdict::Accept;
        match m.kamailio {
            Declared::Accepts if !accepted => failures.push(format!(
                "{}: kamailio -c rejects err.cfg, but the rule says Kamailio accepts it: {:?}",
                m.code, check.verdict
            )),
            Declared::Rejects if accepted => failures.push(format!(
                "{}: kamailio -c accepts err.cfg, but the rule says Kamailio rejects it",
                m.code
            )),
            Declared::FailsAtStartup => {
                if !accepted {
                    failures.push(format!(
                        "{}: kamailio -c rejects err.cfg: {:?}",
                        m.code, check.verdict
                    ));
                } else {
                    let start = k
                        .run_start(
                            &err,
                            &[],
                            Duration::from_secs(20),
                            Duration::from_millis(1000),
                        )
                        .expect("start kamailio");
                    if start.ok || start.timed_out {
                        failures.push(format!(
                            "{}: Kamailio started with err.cfg (ok {}, timed out {}), but the rule says it fails at start-up",
                            m.code, start.ok, start.timed_out
                        ));
                    }
                }
            }
            _ => {}
        }
        let ok = dir.join("ok.cfg");
        let check = k
            .check(&ok, Duration::from_secs(30))
            .expect("run kamailio -c");
        if check.verdict != KamailioVerdict::Accept {
            failures.push(format!(
                "{}: kamailio -c rejects ok.cfg: {:?}",
                m.code, check.verdict
            ));
        } else if m.kamailio == Declared::FailsAtStartup {
            // the corrected config starts: the start-up failure of err.cfg is the rule's
            let start = k
                .run_start(
                    &ok,
                    &[],
                    Duration::from_secs(20),
                    Duration::from_millis(1000),
                )
                .expect("start kamailio");
            if !start.ok {
                failures.push(format!(
                    "{}: Kamailio does not start with ok.cfg:\n{}",
                    m.code, start.stderr
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
