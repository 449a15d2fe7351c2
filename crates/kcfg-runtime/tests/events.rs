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

fn logs(run: &Runner) -> Vec<String> {
    run.records()
        .iter()
        .flat_map(|r| r.logs())
        .map(|l| l.trim_start_matches("INFO: <script>: ").to_string())
        .collect()
}

/// tm's local-response route: Kamailio 5.6 runs it only for the first reply
/// tm makes in a process; `t_reply` on a request with no transaction sends
/// nothing (fixtures/runtime/tmevents.* shows both with Kamailio 5.6.3).
#[test]
fn local_response_runs_once_and_t_reply_needs_a_transaction() {
    let cfg = "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\n\
        loadmodule \"xlog.so\"\nlisten=udp:127.0.0.1:5060\n\
        request_route {\n\tif ($ci == \"c0\") {\n\t\tt_reply(\"404\", \"None\");\n\t\t\
        xlog(\"L_INFO\", \"rc=$rc\\n\");\n\t\texit;\n\t}\n\
        \tt_newtran();\n\tt_reply(\"486\", \"Busy $ci\");\n}\n\
        event_route[tm:local-response] {\n\txlog(\"L_INFO\", \"local $rs $rr [$si]\\n\");\n}\n";
    let config = Config::from_text("tm.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(3));
    assert_eq!(
        replies(&run),
        ["SIP/2.0 486 Busy c1", "SIP/2.0 486 Busy c2"]
    );
    assert_eq!(logs(&run), ["rc=-1", "local 486 Busy c1 []"]);
}

/// The branch failure route runs for each failed branch, before
/// failure_route, on the transaction's request; a branch added in
/// failure_route has none unless it is armed again.
#[test]
fn branch_failure_route_runs_per_failed_branch() {
    let cfg = "loadmodule \"tm.so\"\nloadmodule \"tmx.so\"\nloadmodule \"sl.so\"\n\
        loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nlisten=udp:127.0.0.1:5060\n\
        modparam(\"tm\", \"fr_timer\", 1000)\n\
        request_route {\n\t$du = \"sip:127.0.0.1:5091\";\n\tt_on_branch_failure(\"bf\");\n\
        \tt_on_failure(\"f\");\n\tt_relay();\n}\n\
        event_route[tm:branch-failure:bf] {\n\txlog(\"L_INFO\", \"bf $T_reply_code $T_branch_idx\\n\");\n}\n\
        failure_route[f] {\n\txlog(\"L_INFO\", \"f $T_reply_code\\n\");\n\
        \tif ($T_reply_code == 408) {\n\t\t$du = \"sip:127.0.0.1:5092\";\n\t\tt_relay();\n\t}\n}\n";
    let config = Config::from_text("bf.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    // no next hop answers: two fr timeouts
    run.run(&options(1));
    assert_eq!(logs(&run), ["bf 408 0", "f 408"]);
    assert!(run.summary().complete, "{:?}", run.summary().unsupported);
}

/// t_uac_send makes a request of tm's own: tm:local-request sees it (and
/// may change it), and it goes to the next hop; without From it is refused.
#[test]
fn t_uac_send_runs_the_local_request_route() {
    let cfg = "loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\n\
        loadmodule \"textops.so\"\nloadmodule \"xlog.so\"\nlisten=udp:127.0.0.1:5060\n\
        request_route {\n\tt_uac_send(\"OPTIONS\", \"sip:p@127.0.0.1\", \"sip:127.0.0.1:5091\", \"\", \
        \"From: <sip:k@127.0.0.1>\\r\\nTo: <sip:p@127.0.0.1>\\r\\n\", \"\");\n\
        \txlog(\"L_INFO\", \"rc=$rc\\n\");\n\
        \tt_uac_send(\"OPTIONS\", \"sip:p@127.0.0.1\", \"\", \"\", \"To: <sip:p@127.0.0.1>\\r\\n\", \"\");\n\
        \txlog(\"L_INFO\", \"rc=$rc\\n\");\n}\n\
        event_route[tm:local-request] {\n\txlog(\"L_INFO\", \"local $rm $ru $du $fu\\n\");\n\
        \tappend_hf(\"X-L: 1\\r\\n\");\n}\n";
    let config = Config::from_text("uac.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(1));
    assert_eq!(
        logs(&run),
        [
            "local OPTIONS sip:p@127.0.0.1 sip:127.0.0.1:5091 sip:k@127.0.0.1",
            "rc=1",
            "rc=-1"
        ]
    );
    let sent: Vec<_> = run.records().iter().flat_map(|r| r.sent()).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].start_line, "OPTIONS sip:p@127.0.0.1 SIP/2.0");
    assert_eq!(sent[0].dst.port(), 5091);
    assert!(sent[0].headers.iter().any(|(n, v)| n == "X-L" && v == "1"));
}

/// htable's autoexpire on the clock of the messages: an item is `$null`
/// once it expired, the timer ran `event_route[htable:expired:t]` for it,
/// and a capture with a gap of decades does not spin the timer.
#[test]
fn htable_items_expire_on_the_message_clock() {
    let cfg = "loadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"htable.so\"\n\
        listen=udp:127.0.0.1:5060\nmodparam(\"htable\", \"htable\", \"t=>size=4;autoexpire=60;\")\n\
        modparam(\"htable\", \"timer_interval\", 1)\n\
        request_route {\n\tif ($ci == \"c0\") {\n\t\t$sht(t=>a) = \"x\";\n\t}\n\
        \tsl_send_reply(\"200\", \"a=$sht(t=>a) ex=$shv(ex)\");\n}\n\
        event_route[htable:expired:t] {\n\t$shv(ex) = $shtrecord(key) + \"=\" + $shtrecord(value);\n}\n";
    let config = Config::from_text("ht.cfg", cfg, &[]).unwrap();
    let mut input = options(3);
    input.packets[0].ts = 1_000.0;
    input.packets[1].ts = 1_030.0;
    input.packets[2].ts = 2_000_000_000.0;
    let mut run = Runner::new(&config);
    run.run(&input);
    assert_eq!(
        replies(&run),
        [
            "SIP/2.0 200 a=x ex=0",
            "SIP/2.0 200 a=x ex=0",
            "SIP/2.0 200 a=<null> ex=a=x"
        ]
    );
}

/// pike_check_req: below pike's density it lets requests through; a flood
/// from one IP is reported as not simulated rather than guessed.
#[test]
fn pike_flood_is_reported_not_guessed() {
    let cfg = "loadmodule \"sl.so\"\nloadmodule \"pike.so\"\nlisten=udp:127.0.0.1:5060\n\
        modparam(\"pike\", \"reqs_density_per_unit\", 5)\n\
        request_route {\n\tif (!pike_check_req()) {\n\t\texit;\n\t}\n\tsl_send_reply(\"200\", \"ok\");\n}\n";
    let config = Config::from_text("pike.cfg", cfg, &[]).unwrap();
    let mut slow = options(4);
    for (i, p) in slow.packets.iter_mut().enumerate() {
        p.ts = 100.0 + 10.0 * i as f64;
    }
    let mut run = Runner::new(&config);
    run.run(&slow);
    assert!(run.summary().complete, "{:?}", run.summary().unsupported);
    let mut flood = options(6);
    for p in flood.packets.iter_mut() {
        p.ts = 100.5;
    }
    let mut run = Runner::new(&config);
    run.run(&flood);
    assert!(!run.summary().complete);
    assert!(run
        .summary()
        .unsupported
        .keys()
        .any(|k| k.starts_with("pike_check_req()")));
}

/// A pseudo-variable the runtime does not simulate is reported at the
/// statement that reads it (the innermost one), in the timeline and in the
/// summary: it used to say `:0`.
#[test]
fn unsupported_pseudo_variables_are_placed_at_their_statement() {
    let cfg = "loadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"kex.so\"\n\
        listen=udp:127.0.0.1:5060\n\
        request_route {\n\
        \tif ($stat(total_size) != 1) {\n\
        \t\t$var(a) = 1;\n\
        \t\t$var(f) = $stat(free_size);\n\
        \t}\n\
        \tsl_send_reply(\"200\", \"OK\");\n}\n";
    let config = Config::from_text("stat.cfg", cfg, &[]).unwrap();
    let mut run = Runner::new(&config);
    run.run(&options(1));
    let s = run.summary();
    assert!(!s.complete);
    let at = |pv: &str| {
        s.unsupported
            .iter()
            .find(|(k, _)| k.contains(pv))
            .map(|(_, v)| v.1.clone())
            .unwrap_or_default()
    };
    // the condition's PV at the `if` (line 6), the assignment's at line 8
    assert_eq!(at("total_size"), "stat.cfg:6", "{:?}", s.unsupported);
    assert_eq!(at("free_size"), "stat.cfg:8", "{:?}", s.unsupported);
    let json = serde_json::to_string(run.records()).unwrap();
    assert!(!json.contains("\":0\""), "{json}");
}
