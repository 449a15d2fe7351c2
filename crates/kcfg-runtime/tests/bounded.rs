//! Memory bounds of a run (docs/robustness.md, "Stress inputs"): a config
//! that calls thousands of routes per message keeps a capped timeline per
//! message, and a streamed run keeps no records at all.

use kcfg_runtime::engine::{MAX_LOG_STEPS, MAX_TRACE_STEPS};
use kcfg_runtime::{Config, Input, Runner, Step};

const ROUTES: usize = 1200;
/// xlog lines per message (more than `MAX_LOG_STEPS`)
const LOGS: usize = MAX_LOG_STEPS + 500;

fn config() -> Config {
    let mut cfg = String::from(
        "loadmodule \"sl.so\"\nloadmodule \"xlog.so\"\nlisten=udp:127.0.0.1:5060\nmax_while_loops=100000\nrequest_route {\n",
    );
    for i in 0..ROUTES {
        cfg.push_str(&format!("\troute(R{i});\n"));
    }
    cfg.push_str(&format!("\t$var(i) = 0;\n\twhile ($var(i) < {LOGS}) {{\n\t\txlog(\"L_INFO\", \"n $var(i)\\n\");\n\t\t$var(i) = $var(i) + 1;\n\t}}\n"));
    cfg.push_str("\tsl_send_reply(\"404\", \"Not here\");\n}\n");
    for i in 0..ROUTES {
        cfg.push_str(&format!(
            "route[R{i}] {{\n\tif ($rU == \"u{i}\") {{\n\t\tsl_send_reply(\"200\", \"R{i}\");\n\t\texit;\n\t}}\n}}\n"
        ));
    }
    Config::from_text("routes.cfg", &cfg, &[]).unwrap()
}

fn input(n: usize) -> Input {
    let mut text = String::new();
    for k in 0..n {
        if k > 0 {
            text.push_str("---\n");
        }
        text.push_str(&format!(
            "OPTIONS sip:nobody@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-{k}\n\
             From: <sip:a@b>;tag={k}\nTo: <sip:c@d>\nCall-ID: c{k}\nCSeq: 1 OPTIONS\nContent-Length: 0\n"
        ));
    }
    Input::from_sip_text(&text, &Default::default()).unwrap()
}

#[test]
fn timeline_of_one_message_is_capped() {
    let config = config();
    let mut run = Runner::new(&config);
    run.run(&input(1));
    assert_eq!(run.records().len(), 1);
    for r in run.records() {
        let trace = r
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Route { .. } | Step::Call { .. }))
            .count();
        let logs = r.logs().count();
        // the message ran 1,200 routes (and as many calls) and LOGS xlog lines ...
        assert_eq!(trace, MAX_TRACE_STEPS, "route/call steps kept");
        assert_eq!(logs, MAX_LOG_STEPS, "log steps kept");
        // ... says how many were left out, and still has its reply
        let notes: Vec<&str> = r
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Note { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("more route/call steps not kept")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with(&format!("{} more log lines", LOGS - MAX_LOG_STEPS))),
            "{notes:?}"
        );
        assert_eq!(r.sent().next().unwrap().start_line, "SIP/2.0 404 Not here");
        assert!(r.steps.len() <= MAX_TRACE_STEPS + MAX_LOG_STEPS + 10);
    }
    // the summary still counts everything
    assert_eq!(run.summary().replies_sent_by_code.get(&404), Some(&1));
}

#[test]
fn streamed_run_keeps_no_records() {
    let config = config();
    let mut run = Runner::new(&config);
    let mut seen = 0;
    let mut max_steps = 0;
    run.run_streaming(&input(2), &mut |_| {}, &mut |r| {
        seen += 1;
        max_steps = max_steps.max(r.steps.len());
    });
    assert_eq!(seen, 2);
    assert!(
        run.records().is_empty(),
        "a streamed run must not keep records"
    );
    assert!(max_steps <= MAX_TRACE_STEPS + MAX_LOG_STEPS + 10);
}
