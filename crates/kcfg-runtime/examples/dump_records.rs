//! Dump everything a run produces, for checking that a change keeps the
//! runtime's behaviour byte for byte (used by the throughput work, see
//! `docs/benchmarks.md`, session 8):
//!
//! `cargo run --release -p kcfg-runtime --example dump_records -- [TRACE...] > out.txt`
//!
//! For every `fixtures/runtime/*.sip` (config and `#@define`s chosen as
//! `tests/tests/differential_runtime.rs` does, with fixed ports, the config's
//! `listen`/`mpath` lines commented out as the oracle does), every scenario
//! of `fixtures/runtime/scenarios`, the benchmark's 2,000-message mix
//! through the stock config, and each capture given on the command line
//! (every packet through the stock config): each record as JSON, its incoming headers,
//! and the summary. Run it on two builds and `cmp` the outputs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kcfg_runtime::{Config, Input, Runner, SipFileOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dump(out: &mut String, title: &str, config: &Config, input: &Input) {
    let mut r = Runner::new(config);
    r.run(input);
    let _ = writeln!(out, "=== {title}: {} records", r.records().len());
    for rec in r.records() {
        let _ = writeln!(out, "{}", serde_json::to_string(rec).expect("json"));
        let _ = writeln!(out, "in: {:?}", rec.in_headers);
    }
    let _ = writeln!(
        out,
        "summary: {}",
        serde_json::to_string(r.summary()).expect("json")
    );
}

fn bench_mix(n: usize) -> String {
    let mut s = String::from("@nh-reply 200 OK\n");
    for i in 0..n {
        if i > 0 {
            s.push_str("---\n");
        }
        let m = match i % 5 {
            0 => format!(
                "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-r{i};rport\n\
                 Max-Forwards: 70\nFrom: <sip:u{i}@127.0.0.1>;tag=r{i}\nTo: <sip:u{i}@127.0.0.1>\n\
                 Call-ID: reg-{i}\nCSeq: 1 REGISTER\nContact: <sip:u{i}@127.0.0.1:5091>\nExpires: 300\n\
                 User-Agent: bench\nContent-Length: 0\n"
            ),
            1 => format!(
                "INVITE sip:u{}@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-i{i};rport\n\
                 Max-Forwards: 70\nFrom: \"B\" <sip:b@127.0.0.1>;tag=i{i}\nTo: <sip:u{}@127.0.0.1>\n\
                 Call-ID: inv-{i}\nCSeq: 1 INVITE\nContact: <sip:b@127.0.0.1:5070>\n\
                 Content-Type: application/sdp\nContent-Length: 0\n\nv=0\no=b 1 1 IN IP4 127.0.0.1\ns=-\n\
                 c=IN IP4 127.0.0.1\nt=0 0\nm=audio 40002 RTP/AVP 0\n",
                i - 1,
                i - 1
            ),
            2 => format!(
                "INVITE sip:nobody{i}@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-n{i};rport\n\
                 Max-Forwards: 70\nFrom: <sip:b@127.0.0.1>;tag=n{i}\nTo: <sip:nobody{i}@127.0.0.1>\n\
                 Call-ID: nf-{i}\nCSeq: 1 INVITE\nContact: <sip:b@127.0.0.1:5070>\nContent-Length: 0\n"
            ),
            3 => format!(
                "OPTIONS sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-o{i};rport\n\
                 Max-Forwards: 70\nFrom: <sip:mon@127.0.0.1>;tag=o{i}\nTo: <sip:127.0.0.1>\n\
                 Call-ID: opt-{i}\nCSeq: 1 OPTIONS\nContent-Length: 0\n"
            ),
            _ => format!(
                "BYE sip:u{}@127.0.0.1:5091 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-b{i};rport\n\
                 Route: <sip:127.0.0.1;lr>\nMax-Forwards: 70\nFrom: \"B\" <sip:b@127.0.0.1>;tag=i{}\n\
                 To: <sip:u{}@127.0.0.1>;tag=nexthop-1\nCall-ID: inv-{}\nCSeq: 2 BYE\nContent-Length: 0\n",
                i - 4,
                i - 3,
                i - 4,
                i - 3
            ),
        };
        s.push_str(&m);
    }
    s
}

fn main() {
    let dir = root().join("fixtures/runtime");
    let cfgdir = std::fs::canonicalize(&dir)
        .unwrap_or(dir.clone())
        .display()
        .to_string();
    let tmp = std::env::temp_dir().join("kcfg-dump-records");
    let _ = std::fs::create_dir_all(&tmp);
    let mut out = String::new();
    let mut sips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    sips.retain(|p| p.extension().is_some_and(|x| x == "sip"));
    sips.sort();
    let opts = SipFileOptions {
        nexthops: (5091..5094)
            .map(|p| format!("127.0.0.1:{p}").parse().expect("addr"))
            .collect(),
        ..Default::default()
    };
    for s in &sips {
        let stem = s.file_stem().and_then(|x| x.to_str()).unwrap_or("");
        let cfg = if dir.join(format!("{stem}.cfg")).is_file() {
            dir.join(format!("{stem}.cfg"))
        } else {
            dir.join(format!("{}.cfg", stem.split('-').next().unwrap_or("")))
        };
        let text = std::fs::read_to_string(s).unwrap_or_default();
        let mut defs = vec![
            "ORACLE".to_string(),
            "KPORT=5060".into(),
            "CPORT=5070".into(),
        ];
        for (i, n) in (5091..5094).enumerate() {
            defs.push(format!("NH{}_PORT={n}", i + 1));
            defs.push(format!("NH{}_URI=\"sip:127.0.0.1:{n}\"", i + 1));
            defs.push(format!("NH{}_ADDR=\"127.0.0.1:{n}\"", i + 1));
        }
        defs.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("#@define "))
                .map(|d| d.trim().to_string()),
        );
        let defs: Vec<String> = defs
            .into_iter()
            .map(|d| {
                d.replace("{{TMPDIR}}", &tmp.display().to_string())
                    .replace("{{CFGDIR}}", &cfgdir)
            })
            .collect();
        let ctext = std::fs::read_to_string(&cfg).unwrap_or_default();
        let ctext: String = ctext
            .lines()
            .map(|l| {
                let t = l.trim_start();
                if t.starts_with("listen") || t.starts_with("mpath") {
                    format!("#ORACLE# {l}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        let mut config = Config::from_text(&cfg.display().to_string(), &ctext, &defs).expect("cfg");
        config
            .program
            .globals
            .push(("listen".into(), "udp:127.0.0.1:5060".into()));
        match Input::from_sip_text(&text, &opts) {
            Ok(input) => dump(&mut out, &s.display().to_string(), &config, &input),
            Err(e) => {
                let _ = writeln!(out, "=== {}: input error {}", s.display(), e.0);
            }
        }
    }
    let scen = kcfg_runtime::scenario::discover(&dir.join("scenarios"));
    for f in scen {
        let mut r = kcfg_runtime::scenario::run_file(&f);
        r.seconds = 0.0;
        let _ = writeln!(out, "=== scenario {}\n{r:?}", f.display());
    }
    let stock = Config::load(&dir.join("stock.cfg"), &[]).expect("stock");
    let mix = Input::from_sip_text(&bench_mix(2000), &SipFileOptions::default()).expect("mix");
    dump(&mut out, "bench mix", &stock, &mix);
    for t in std::env::args().skip(1) {
        let data = std::fs::read(&t).expect("trace");
        match Input::from_bytes(&data, &SipFileOptions::default()) {
            Ok(mut input) => {
                // every packet through the config (the stock config's
                // listen addresses are not the capture's)
                input.all_to_kamailio = true;
                dump(&mut out, &t, &stock, &input)
            }
            Err(e) => {
                let _ = writeln!(out, "=== {t}: input error {}", e.0);
            }
        }
    }
    print!("{out}");
}
