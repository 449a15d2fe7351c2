//! `kcfg test`: the example scenarios pass; a wrong expectation fails with
//! expected and actual values; JUnit output; unreadable scenarios exit 2.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn example_scenarios_pass() {
    let out = cargo_bin_cmd!("kcfg")
        .arg("test")
        .arg(root().join("fixtures/runtime/scenarios"))
        .output()
        .expect("kcfg runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

/// A scenario next to a copy of the example configs.
fn scenario(dir: &Path, body: &str) -> PathBuf {
    let cfg = root().join("fixtures/runtime/b-relay.cfg");
    std::fs::copy(cfg, dir.join("relay.cfg")).expect("copy");
    let p = dir.join("s.toml");
    std::fs::write(&p, body).expect("write");
    p
}

const RELAY_STEP: &str = r#"
config = "relay.cfg"
defines = ['NH1_URI="sip:127.0.0.1:5091"', 'NH2_URI="sip:127.0.0.1:5092"']

[[step]]
name = "relay"
nh1 = "486 Busy Here"
nh2 = "200 OK"
message = """
INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t-1;rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=t1
To: <sip:bob@example.com>
Call-ID: t-1
CSeq: 1 INVITE
Content-Length: 0
"""
"#;

#[test]
fn wrong_expectations_fail_with_a_diff_and_junit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let body = format!(
        "{RELAY_STEP}[step.expect]\nreplies = [\"100\", \"486\"]\nlogs = [\"this line is never logged\"]\n"
    );
    let p = scenario(tmp.path(), &body);
    let out = cargo_bin_cmd!("kcfg")
        .arg("test")
        .arg(&p)
        .output()
        .expect("kcfg runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("expected: 100, 486"), "{text}");
    assert!(
        text.contains("actual:   100 trying -- your call is important to us, 200 OK"),
        "{text}"
    );
    assert!(text.contains("- this line is never logged"), "{text}");
    let out = cargo_bin_cmd!("kcfg")
        .args(["test", "--format", "junit"])
        .arg(&p)
        .output()
        .expect("kcfg runs");
    let xml = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{xml}");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testcase name=\"relay\""), "{xml}");
    assert!(xml.contains("<failure message=\"replies\">"), "{xml}");
}

#[test]
fn right_expectations_pass() {
    let tmp = tempfile::tempdir().expect("tmp");
    // what the relay config does when the first next hop is busy (its failure route
    // tries the second next hop, also busy)
    let body = format!(
        "{RELAY_STEP}[step.expect]\nreplies = [\"100\", \"200\"]\nforwarded = [\"INVITE sip:bob@example.com SIP/2.0 (to 127.0.0.1:5091)\", \"ACK\", \"INVITE sip:bob@example.com SIP/2.0 (to 127.0.0.1:5092)\"]\n"
    );
    let p = scenario(tmp.path(), &body);
    let out = cargo_bin_cmd!("kcfg")
        .arg("test")
        .arg(&p)
        .output()
        .expect("kcfg runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[test]
fn unreadable_scenario_exits_2() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join("bad.toml");
    std::fs::write(&p, "config = [unclosed").expect("write");
    let out = cargo_bin_cmd!("kcfg")
        .arg("test")
        .arg(&p)
        .output()
        .expect("kcfg runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("bad scenario"), "{text}");
}

/// A config with a syntax error (a missing `;`) and a flag nobody declared:
/// Kamailio 5.6 refuses to start, so no scenario on it can pass.
#[test]
fn config_kamailio_refuses_fails_the_scenario() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = std::fs::read_to_string(root().join("fixtures/runtime/b-relay.cfg")).expect("read");
    let broken = cfg.replacen(
        "request_route {",
        "request_route {\n\tsetflag(FLT_NOPE);",
        1,
    );
    assert_ne!(broken, cfg, "the relay config has a request_route");
    std::fs::write(tmp.path().join("relay.cfg"), broken).expect("write");
    let p = tmp.path().join("s.toml");
    let body = format!("{RELAY_STEP}[step.expect]\nreplies = [\"100\", \"200\"]\n");
    std::fs::write(&p, body).expect("write");
    let out = cargo_bin_cmd!("kcfg")
        .arg("test")
        .arg(&p)
        .output()
        .expect("kcfg runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Kamailio 5.6 would not start"), "{text}");
    assert!(
        text.contains("KC138 flag `FLT_NOPE` is not declared"),
        "{text}"
    );
}
