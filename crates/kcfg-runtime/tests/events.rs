//! Start-up event routes run once before the first message, and route
//! kinds the runtime does not run are reported, never silently skipped.
//! (Agreement with Kamailio: `fixtures/runtime/events.*` in
//! `tests/tests/differential_runtime.rs`.)

use kcfg_runtime::{Config, Input, Runner};

fn options(n: usize) -> Input {
    let mut text = String::new();
    for k in 0..n {
        if k > 0 {
            text.push_str("---\n");
        }
        text.push_str(&format!(
            "OPTIONS sip:u@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-{k}\n\
             From: <sip:a@b>;tag={k}\nTo: <sip:c@d>\nCall-ID: c{k}\nCSeq: 1 OPTIONS\nContent-Length: 0\n"
        ));
    }
    Input::from_sip_text(&text, &Default::default()).unwrap()
}

fn replies(run: &Runner) -> Vec<String> {
    run.records()
        .iter()
        .flat_map(|r| r.sent())
        .map(|s| s.start_line.clone())
        .collect()
}

#[test]
fn htable_mod_init_runs_once_before_messages() {
    let cfg = "loadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"htable.so\"\n\
        listen=udp:127.0.0.1:5060\nmodparam(\"htable\", \"htable\", \"t=>size=4;\")\n\
        event_route[htable:mod-init] {\n\t$sht(t=>n) = 10;\n\t$sht(t=>m) = $rm;\n}\n\
        event_route[core:worker-one-init] {\n\t$sht(t=>n) = $sht(t=>n) + 5;\n}\n\
        request_route {\n\t$sht(t=>n) = $sht(t=>n) + 1;\n\tsl_send_reply(\"200\", \"n=$sht(t=>n) $sht(t=>m)\");\n}\n";
    let config = Config::from_text("ev.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(2));
    // mod-init (10, on the faked OPTIONS), worker-one-init (+5), then +1 per message
    assert_eq!(
        replies(&run),
        vec!["SIP/2.0 200 n=16 OPTIONS", "SIP/2.0 200 n=17 OPTIONS"]
    );
    assert!(run.summary().complete, "{:?}", run.summary().unsupported);
}

#[test]
fn htable_mod_init_needs_the_htable_module() {
    // without htable loaded Kamailio has no one to run the event route
    let cfg = "loadmodule \"sl.so\"\nloadmodule \"pv.so\"\nlisten=udp:127.0.0.1:5060\n\
        event_route[htable:mod-init] {\n\t$var(x) = 1;\n}\n\
        request_route {\n\tsl_send_reply(\"200\", \"ok\");\n}\n";
    let config = Config::from_text("ev.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(1));
    assert!(run.records().iter().all(|r| r.trigger != "event"));
}

/// onsend_route runs for a stateless forward with `$snd(...)` set; its
/// `drop` stops the request, and the script goes on with `$rc` 0.
#[test]
fn onsend_route_drop_stops_a_stateless_forward() {
    let cfg = "loadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\n\
        listen=udp:127.0.0.1:5060\n\
        request_route {\n\tforward(\"127.0.0.1\", \"5090\");\n\txlog(\"L_INFO\", \"rc=$rc\\n\");\n\
        \tsl_send_reply(\"403\", \"No\");\n}\n\
        onsend_route {\n\txlog(\"L_INFO\", \"sending to $snd(ip):$snd(port)\\n\");\n\tdrop;\n}\n";
    let config = Config::from_text("onsend.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(1));
    let s = run.summary();
    assert!(s.complete, "{:?}", s.unsupported);
    assert_eq!(s.requests_forwarded, 0);
    assert_eq!(replies(&run), ["SIP/2.0 403 No"]);
    let json = serde_json::to_string(run.records()).unwrap();
    assert!(json.contains("sending to 127.0.0.1:5090"), "{json}");
    assert!(json.contains("rc=0"), "{json}");
}

/// A `drop` in onsend_route for a tm branch is reported (tm's fake 408 for
/// the branch is not simulated), so the run says it is incomplete.
#[test]
fn onsend_route_drop_of_a_tm_branch_is_reported() {
    let cfg = "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\n\
        listen=udp:127.0.0.1:5060\n\
        request_route {\n\t$du = \"sip:127.0.0.1:5090\";\n\tt_relay();\n}\n\
        onsend_route {\n\tdrop;\n}\n";
    let config = Config::from_text("onsend.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(1));
    let s = run.summary();
    assert!(!s.complete);
    assert!(
        s.unsupported.keys().any(|k| k.contains("onsend_route")),
        "{:?}",
        s.unsupported
    );
}
