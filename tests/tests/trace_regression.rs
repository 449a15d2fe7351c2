//! Trace regression (`kcfg run CONFIG --trace CAPTURE --compare`, issue #12)
//! measured against real Kamailio 5.6.3.
//!
//! For every config of `fixtures/trace` (and the stock Debian config of
//! `fixtures/runtime`), real Kamailio is started on loopback and driven with
//! the config's scenario(s) (`tests/src/sipreplay.rs`: a client and two fake
//! next hops), while `tcpdump -i lo` records the traffic, as an operator
//! would on a server. Then `kcfg run --compare` runs on that capture:
//!
//! - against the same config, at least 95% of the messages must be "same"
//!   (the figure is printed);
//! - against the deliberately changed configs of `fixtures/trace/changed`
//!   (a different reply code, a removed header, a different next hop) it
//!   must report exactly the differences each file's header describes.
//!
//! Without Kamailio or tcpdump the test is skipped, except in CI
//! (`CI=true`), where it fails. The captures of `../shared` and a capture
//! recorded once (`fixtures/trace/recorded`) are read by the other tests,
//! which need neither.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use kcfg_cli::args::{Cli, Command as Sub};
use kcfg_cli::{commands, Env, Status};
use kcfg_tests::sipreplay::{defines, replay_kamailio, Ports};
use kcfg_tests::{root, Kamailio};
use serde_json::Value;

/// The share of messages that must be "same" against the config that ran.
const FLOOR: f64 = 0.95;

fn required(test: &str, what: &str) -> bool {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {what} not found: CI must install it (scripts/install-kamailio.sh) and run the tests as root");
    }
    println!("{test}: SKIPPED, {what} is not installed");
    false
}

/// `kcfg ARGS...` in process: (exit code, stdout, stderr).
fn kcfg(args: &[String]) -> (u8, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("kcfg".to_string()).chain(args.iter().cloned()))
        .unwrap_or_else(|e| panic!("bad arguments {args:?}: {e}"));
    let Sub::Run(run) = &cli.command else {
        panic!("not a run command")
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut stdin = std::io::empty();
    let mut env = Env {
        stdin: &mut stdin,
        stdout: &mut out,
        stderr: &mut err,
        stdout_is_terminal: false,
        no_color: true,
    };
    let st: Status = commands::run::run(run, &mut env).expect("output written");
    (
        st.code(),
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// tcpdump writing every UDP packet on loopback to a file.
struct Tcpdump {
    child: Child,
}

impl Tcpdump {
    fn start(out: &Path, log: &Path) -> Result<Tcpdump, String> {
        let logf = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let child = Command::new("tcpdump")
            .args(["-i", "lo", "--immediate-mode", "-U", "-s", "0", "-n", "-w"])
            .arg(out)
            .arg("udp and host 127.0.0.1")
            .stdout(Stdio::null())
            .stderr(logf)
            .spawn()
            .map_err(|e| format!("cannot start tcpdump: {e}"))?;
        let mut t = Tcpdump { child };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let l = std::fs::read_to_string(log).unwrap_or_default();
            if l.contains("listening on") {
                // tcpdump says so just before its capture loop starts
                std::thread::sleep(Duration::from_millis(200));
                return Ok(t);
            }
            if let Ok(Some(st)) = t.child.try_wait() {
                return Err(format!("tcpdump exited ({st}): {}", l.trim()));
            }
            if Instant::now() > deadline {
                t.stop();
                return Err(format!("tcpdump did not start: {}", l.trim()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Tcpdump {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn tcpdump_works() -> bool {
    Command::new("tcpdump")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One recorded capture.
struct Recorded {
    name: String,
    cfg: PathBuf,
    pcap: PathBuf,
    ports: Ports,
    extra: Vec<String>,
}

/// The (config, scenarios) pairs: every `fixtures/trace/X.sip` runs against
/// `X.cfg` or the config its name starts with; the stock config runs the
/// stock scenarios of `fixtures/runtime` as one multi-call capture.
fn cases() -> Vec<(String, PathBuf, String)> {
    let dir = root().join("fixtures/trace");
    let mut sips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/trace")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sip"))
        .collect();
    sips.sort();
    let mut out = Vec::new();
    for s in sips {
        let stem = s.file_stem().and_then(|x| x.to_str()).unwrap_or("");
        let cfg = if dir.join(format!("{stem}.cfg")).is_file() {
            dir.join(format!("{stem}.cfg"))
        } else {
            dir.join(format!("{}.cfg", stem.split('-').next().unwrap_or("")))
        };
        let text = std::fs::read_to_string(&s).expect("scenario");
        out.push((stem.to_string(), cfg, text));
    }
    let rt = root().join("fixtures/runtime");
    let stock: Vec<String> = ["stock-basic.sip", "stock-dialog.sip", "stock-cancel.sip"]
        .iter()
        .map(|f| std::fs::read_to_string(rt.join(f)).expect("stock scenario"))
        .collect();
    out.push(("stock".into(), rt.join("stock.cfg"), stock.join("\n---\n")));
    out
}

fn record(k: &Kamailio, name: &str, cfg: &Path, sip: &str, dir: &Path) -> Recorded {
    let pcap = dir.join(format!("{name}.pcap"));
    let mut td = Tcpdump::start(&pcap, &dir.join(format!("{name}.tcpdump.log")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let res = replay_kamailio(k, cfg, sip, &[]);
    td.stop();
    let (ports, _) = res.unwrap_or_else(|e| panic!("{name}: real Kamailio: {e}"));
    Recorded {
        name: name.to_string(),
        cfg: cfg.to_path_buf(),
        pcap,
        ports,
        extra: Vec::new(),
    }
}

fn compare_args(r: &Recorded, cfg: &Path) -> Vec<String> {
    let mut a = vec![
        "run".to_string(),
        cfg.display().to_string(),
        "--trace".into(),
        r.pcap.display().to_string(),
        "--compare".into(),
        "--kamailio-addr".into(),
        format!("127.0.0.1:{}", r.ports.kport),
        "--format".into(),
        "json".into(),
    ];
    for d in defines(&r.ports, &r.extra) {
        a.push("-D".into());
        a.push(d);
    }
    a
}

fn run_json(args: &[String]) -> (u8, Value) {
    let (code, out, err) = kcfg(args);
    let v: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("kcfg {args:?}: not JSON ({e}): {out}\n{err}"));
    (code, v)
}

/// The differences of a comparison as readable lines (for assertions).
fn differences(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in v["entries"].as_array().into_iter().flatten() {
        if e["verdict"] == "same" {
            continue;
        }
        let m = if e["kamailio"].is_null() {
            &e["config"]
        } else {
            &e["kamailio"]
        };
        let first = m["start_line"].as_str().unwrap_or("");
        let title = first
            .strip_prefix("SIP/2.0 ")
            .map(|r| format!("reply {r} ({})", e["cseq"].as_str().unwrap_or("")))
            .unwrap_or_else(|| first.split(' ').next().unwrap_or("").to_string());
        for d in e["differences"].as_array().into_iter().flatten() {
            out.insert(format!(
                "{} {}: {} | {} | {}",
                e["verdict"].as_str().unwrap_or(""),
                title,
                d["what"].as_str().unwrap_or(""),
                d["kamailio"].as_str().unwrap_or("-"),
                d["config"].as_str().unwrap_or("-"),
            ));
        }
    }
    out
}

/// A changed config's expectations: `# expect: LINE` lines, with `{{NH1}}`
/// and `{{NH2}}` standing for the next hops' addresses.
fn expectations(cfg: &Path, p: &Ports) -> (String, BTreeSet<String>) {
    let text = std::fs::read_to_string(cfg).expect("changed config");
    let base = text
        .lines()
        .find_map(|l| l.strip_prefix("# base: "))
        .unwrap_or_else(|| panic!("{}: no `# base:` line", cfg.display()))
        .trim()
        .to_string();
    let exp = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|l| {
            l.trim()
                .replace("{{NH1}}", &format!("127.0.0.1:{}", p.nh[0]))
                .replace("{{NH2}}", &format!("127.0.0.1:{}", p.nh[1]))
                .replace("{{KPORT}}", &p.kport.to_string())
        })
        .collect();
    (base, exp)
}

#[test]
fn compare_against_real_kamailio_captures() {
    let test = "compare_against_real_kamailio_captures";
    let Some(k) = Kamailio::find() else {
        required(test, "kamailio");
        return;
    };
    if !tcpdump_works() {
        required(test, "tcpdump");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    // capturing needs root or CAP_NET_RAW
    match Tcpdump::start(
        &tmp.path().join("probe.pcap"),
        &tmp.path().join("probe.log"),
    ) {
        Ok(mut t) => t.stop(),
        Err(e) => {
            required(test, &format!("a working tcpdump ({e})"));
            return;
        }
    }
    let started = Instant::now();
    let mut recorded = Vec::new();
    for (name, cfg, sip) in cases() {
        recorded.push(record(&k, &name, &cfg, &sip, tmp.path()));
    }
    let recording = started.elapsed();
    // KCFG_TRACE_KEEP=DIR keeps the captures with the arguments to compare them
    if let Some(keep) = std::env::var_os("KCFG_TRACE_KEEP") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("KCFG_TRACE_KEEP");
        for r in &recorded {
            std::fs::copy(&r.pcap, keep.join(format!("{}.pcap", r.name))).expect("copy");
            let mut a = vec![
                "# kcfg run CONFIG --trace X.pcap --compare, with:".to_string(),
                "--kamailio-addr".into(),
                format!("127.0.0.1:{}", r.ports.kport),
            ];
            for d in defines(&r.ports, &r.extra) {
                a.push("-D".into());
                a.push(d);
            }
            std::fs::write(keep.join(format!("{}.args", r.name)), a.join("\n") + "\n")
                .expect("write");
        }
    }

    // the same config: ≥ 95% same
    let (mut same, mut total) = (0u64, 0u64);
    let mut report = String::new();
    let mut configs = BTreeSet::new();
    let mut results = std::collections::HashMap::new();
    for r in &recorded {
        configs.insert(r.cfg.clone());
        let (code, v) = run_json(&compare_args(r, &r.cfg));
        results.insert(r.name.clone(), v.clone());
        let s = &v["summary"];
        let (a, d, n) = (
            s["same"].as_u64().unwrap_or(0),
            s["different"].as_u64().unwrap_or(0),
            s["not_simulated"].as_u64().unwrap_or(0),
        );
        assert!(a + d + n > 0, "{}: nothing compared: {v}", r.name);
        assert_eq!(code, if d > 0 { 1 } else { 0 }, "{}: exit code", r.name);
        same += a;
        total += a + d + n;
        report.push_str(&format!(
            "{}: {a} same, {d} different, {n} not simulated (Kamailio retransmissions folded: {}, mid-dialog calls: {})\n",
            r.name,
            s["kamailio_retransmissions"],
            s["mid_dialog_calls"].as_array().map_or(0, |x| x.len())
        ));
        for l in differences(&v) {
            report.push_str(&format!("    {l}\n"));
        }
    }
    let ratio = same as f64 / total.max(1) as f64;
    println!("{report}");
    println!(
        "trace regression vs Kamailio 5.6.3: {same}/{total} messages same ({:.1}%) over {} captures of {} configs (recording took {:.0?})",
        ratio * 100.0,
        recorded.len(),
        configs.len(),
        recording
    );
    assert!(
        configs.len() >= 16,
        "the stock config and at least 15 others"
    );
    assert!(
        ratio >= FLOOR,
        "{:.1}% same fell below {:.0}%\n{report}",
        ratio * 100.0,
        FLOOR * 100.0
    );

    // retransmissions on both sides, the silent next hop's timer, mid-dialog
    let sum = |n: &str, k: &str| results[n]["summary"][k].as_u64().unwrap_or(0);
    assert_eq!(
        (
            sum("stateless", "kamailio_retransmissions"),
            sum("stateless", "config_retransmissions")
        ),
        (1, 1),
        "the repeated OPTIONS is answered twice by both"
    );
    assert!(
        sum("timeout", "kamailio_retransmissions") >= 1,
        "Kamailio retransmits to the silent next hop: {}",
        results["timeout"]["summary"]
    );
    let failover_same = results["timeout"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| {
            e["verdict"] == "same"
                && e["kamailio"]["headers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|h| h[0] == "X-Timeout-Failover")
        });
    assert!(
        failover_same,
        "the fr_timer failover is in the capture and the same"
    );
    assert_eq!(
        results["indialog"]["summary"]["mid_dialog_calls"]
            .as_array()
            .map_or(0, |x| x.len()),
        2,
        "the capture starts inside two dialogs"
    );

    // the changed configs: exactly the differences they describe
    let changed_dir = root().join("fixtures/trace/changed");
    let mut changed: Vec<PathBuf> = std::fs::read_dir(&changed_dir)
        .expect("fixtures/trace/changed")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
        .collect();
    changed.sort();
    assert!(changed.len() >= 3, "a reply code, a header, a next hop");
    for c in &changed {
        let probe = expectations(c, &recorded[0].ports);
        let r = recorded
            .iter()
            .find(|r| r.name == probe.0)
            .unwrap_or_else(|| panic!("{}: no capture named {}", c.display(), probe.0));
        let (_, want) = expectations(c, &r.ports);
        let (same_code, base) = run_json(&compare_args(r, &r.cfg));
        assert!(
            differences(&base).is_empty() && same_code == 0,
            "{}: the base config must compare clean first: {:#?}",
            c.display(),
            differences(&base)
        );
        let (code, v) = run_json(&compare_args(r, c));
        let got = differences(&v);
        assert_eq!(
            got,
            want,
            "{}: reported differences (left) are not the expected ones (right)",
            c.display()
        );
        assert_eq!(code, 1, "{}: differences exit 1", c.display());
        println!("{}: {} difference(s) as expected", name(c), got.len());
    }
    // the text report says the same in words
    let r = recorded
        .iter()
        .find(|r| r.name == "stateless")
        .expect("stateless");
    let mut args = compare_args(r, &changed_dir.join("stateless-code.cfg"));
    args.truncate(args.len() - 2 * defines(&r.ports, &[]).len());
    let fmt = args.iter().position(|a| a == "--format").expect("format");
    args.drain(fmt..fmt + 2);
    for d in defines(&r.ports, &[]) {
        args.push("-D".into());
        args.push(d);
    }
    let (code, text, _) = kcfg(&args);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("reply code: Kamailio sent `404`, the config sends `403`"),
        "{text}"
    );
    assert!(
        text.contains(" same, 1 different, 0 not simulated"),
        "{text}"
    );
}

fn name(p: &Path) -> String {
    p.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string()
}

/// The project's shared material (`../shared` from the main checkout,
/// `../../shared` from a worktree under `wt/`).
fn shared() -> PathBuf {
    ["../shared", "../../shared"]
        .iter()
        .map(|r| root().join(r))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| root().join("../shared"))
}

/// The most common destination of requests in a capture: the server.
fn guess_server(data: &[u8]) -> Option<std::net::SocketAddr> {
    let (pkts, _) = kcfg_runtime::capture::read_capture(data).ok()?;
    let mut count: std::collections::HashMap<std::net::SocketAddr, usize> = Default::default();
    for p in &pkts {
        if !p.data.starts_with(b"SIP/") {
            *count.entry(p.dst).or_default() += 1;
        }
    }
    count
        .into_iter()
        .max_by_key(|(a, n)| (*n, *a))
        .map(|(a, _)| a)
}

/// The shared captures (third-party traffic: UDP, TCP, IPv6, SCTP,
/// WebSocket, ERSPAN) go through `--compare` without an error: they do not
/// match the stock config, but every one is read and compared.
#[test]
fn shared_captures_compare_without_errors() {
    let shared = shared().join("traces");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![shared.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                files.push(p);
            }
        }
    }
    if files.is_empty() {
        println!(
            "shared_captures_compare_without_errors: SKIPPED, {} is absent",
            shared.display()
        );
        return;
    }
    files.sort();
    let cfg = root().join("fixtures/runtime/stock.cfg");
    for f in &files {
        let data = std::fs::read(f).expect("capture");
        let server = guess_server(&data).unwrap_or_else(|| panic!("{}: no request", f.display()));
        let args: Vec<String> = vec![
            "run".into(),
            cfg.display().to_string(),
            "--trace".into(),
            f.display().to_string(),
            "--compare".into(),
            "--kamailio-addr".into(),
            server.to_string(),
            "--format".into(),
            "json".into(),
        ];
        let (code, v) = run_json(&args);
        let s = &v["summary"];
        let compared = s["same"].as_u64().unwrap_or(0)
            + s["different"].as_u64().unwrap_or(0)
            + s["not_simulated"].as_u64().unwrap_or(0);
        println!(
            "{}: server {server}: {} to it, {} from it; {} same, {} different, {} not simulated",
            name(f),
            s["messages_to_kamailio"],
            s["messages_from_kamailio"],
            s["same"],
            s["different"],
            s["not_simulated"]
        );
        assert!(
            s["messages_to_kamailio"].as_u64().unwrap_or(0) > 0 && compared > 0,
            "{}: nothing compared: {v}",
            f.display()
        );
        assert!(code <= 1, "{}: exit {code}", f.display());
    }
    // without --kamailio-addr the stock config's default address is not in
    // these captures: a clear message and exit 2, not a silent "0 different"
    let (code, text, err) = kcfg(&[
        "run".into(),
        cfg.display().to_string(),
        "--trace".into(),
        files[0].display().to_string(),
        "--compare".into(),
    ]);
    assert_eq!(code, 2, "{text}{err}");
    assert!(
        text.contains("give its address in the capture with --kamailio-addr")
            && text.contains("0 same, 0 different, 0 not simulated"),
        "{text}"
    );
}

/// The oracle's sample capture of its relay config: with the next hops and
/// Kamailio's port of that recording, every message is the same.
#[test]
fn oracle_sample_capture_is_all_same() {
    let dir = shared().join("tools/kamailio-oracle/samples");
    let pcap = dir.join("b-relay.pcap");
    if !pcap.is_file() {
        println!(
            "oracle_sample_capture_is_all_same: SKIPPED, {} is absent",
            pcap.display()
        );
        return;
    }
    let args = |cfg: &Path| -> Vec<String> {
        vec![
            "run".into(),
            cfg.display().to_string(),
            "--trace".into(),
            pcap.display().to_string(),
            "--compare".into(),
            "--kamailio-addr".into(),
            "127.0.0.1:39160".into(),
            "-D".into(),
            "NH1_URI=\"sip:127.0.0.1:49260\"".into(),
            "-D".into(),
            "NH2_URI=\"sip:127.0.0.1:51584\"".into(),
            "--format".into(),
            "json".into(),
        ]
    };
    let (code, v) = run_json(&args(&dir.join("b-relay.cfg")));
    assert_eq!(v["summary"]["same"], 15, "{v:#}");
    assert_eq!(v["summary"]["different"], 0, "{:#?}", differences(&v));
    assert_eq!(code, 0);
    // without the next hops' defines the forwarded requests go elsewhere
    let mut a = args(&dir.join("b-relay.cfg"));
    a.drain(7..11);
    let (code, v) = run_json(&a);
    assert_eq!(code, 1);
    let d = differences(&v);
    assert!(
        !d.is_empty()
            && d.iter()
                .all(|l| l.contains(": destination | udp 127.0.0.1:")),
        "{d:#?}"
    );
}

/// A capture recorded once from real Kamailio 5.6.3 (kept in the tree, so
/// this runs everywhere): the relay config matches it, and a change shows.
#[test]
fn recorded_capture_in_tree() {
    let dir = root().join("fixtures/trace/recorded");
    let pcap = dir.join("relay.pcap");
    let meta = std::fs::read_to_string(dir.join("relay.args")).expect("relay.args");
    let extra: Vec<String> = meta
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.trim().to_string())
        .collect();
    let run = |cfg: &str| {
        let mut a = vec![
            "run".to_string(),
            root().join(cfg).display().to_string(),
            "--trace".into(),
            pcap.display().to_string(),
            "--compare".into(),
            "--format".into(),
            "json".into(),
        ];
        a.extend(extra.iter().cloned());
        run_json(&a)
    };
    let (code, v) = run("fixtures/trace/relay.cfg");
    assert_eq!(code, 0, "{:#?}", differences(&v));
    assert!(v["summary"]["same"].as_u64().unwrap_or(0) >= 10, "{v:#}");
    let (code, v) = run("fixtures/trace/changed/relay-nexthop.cfg");
    assert_eq!(code, 1);
    assert!(
        differences(&v)
            .iter()
            .all(|l| l.contains(": destination | ")),
        "{:#?}",
        differences(&v)
    );
    // the ignore list: on the command line, and in kcfg.toml [compare]
    let norr = root().join("fixtures/trace/changed/relay-norr.cfg");
    let (code, v) = run("fixtures/trace/changed/relay-norr.cfg");
    assert_eq!(code, 1);
    assert!(
        differences(&v)
            .iter()
            .all(|l| l.contains("header Record-Route")),
        "{:#?}",
        differences(&v)
    );
    let with = |cfg: &Path, more: &[&str]| {
        let mut a = vec![
            "run".to_string(),
            cfg.display().to_string(),
            "--trace".into(),
            pcap.display().to_string(),
            "--compare".into(),
            "--format".into(),
            "json".into(),
        ];
        a.extend(extra.iter().cloned());
        a.extend(more.iter().map(|x| x.to_string()));
        run_json(&a)
    };
    let (code, v) = with(&norr, &["--ignore-header", "record-route"]);
    assert_eq!(code, 0, "{:#?}", differences(&v));
    let tmp = tempfile::tempdir().expect("tempdir");
    let copy = tmp.path().join("kamailio.cfg");
    std::fs::copy(&norr, &copy).expect("copy");
    std::fs::write(
        tmp.path().join("kcfg.toml"),
        "[compare]\nignore-headers = [\"Record-Route\"]\n",
    )
    .expect("kcfg.toml");
    let (code, v) = with(&copy, &[]);
    assert_eq!(code, 0, "{:#?}", differences(&v));
    std::fs::write(
        tmp.path().join("kcfg.toml"),
        "[compare]\nignore-header = []\n",
    )
    .expect("kcfg.toml");
    let mut a = vec![
        "run".to_string(),
        copy.display().to_string(),
        "--trace".into(),
        pcap.display().to_string(),
        "--compare".into(),
    ];
    a.extend(extra.iter().cloned());
    let (code, _, err) = kcfg(&a);
    assert_eq!(code, 2);
    assert!(
        err.contains("[compare]") && err.contains("ignore-header"),
        "{err}"
    );
}
