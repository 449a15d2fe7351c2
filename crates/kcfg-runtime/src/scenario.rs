//! Test scenarios (`kcfg test`): TOML files that name a config, give the
//! external state (subscribers, dispatcher lists, next-hop answers), send
//! messages (inline or from a capture / `.sip` file) and assert on what the
//! config does: replies, forwarded requests, header values, log lines and
//! PV values after each step.
//!
//! ```toml
//! config = "../stock.cfg"          # relative to this file
//! defines = ["WITH_AUTH"]
//! users = { alice = "secret" }
//! dispatcher = ["1 sip:127.0.0.1:5091"]
//! sql = ["CREATE TABLE users(name TEXT, credit INTEGER)", "INSERT INTO users VALUES('bob', 3)"]
//! addresses = ["1 10.0.0.0 8", "2 127.0.0.1 32 5070 peer"]   # permissions address table
//! files = { "permissions.allow" = "ALL : \"^sip:help@\"\n" } # files modules read
//!
//! [[http]]                         # http_client answers (none given: unsupported)
//! url = "/check?u=alice"           # a path matches any host; a full URL; `*` at the end: a prefix
//! method = "GET"                   # optional
//! code = 200                       # default 200; or curl_error = 7 instead of an answer
//! body = "{\"ok\":true}"
//!
//! [[step]]
//! name = "INVITE is relayed"
//! nexthop = "200 OK"               # or nh1 = "486 Busy Here", nh2 = "none"
//! auth = "alice:secret"            # answer a 401/407 once
//! message = """
//! INVITE sip:bob@127.0.0.1 SIP/2.0
//! ...
//! """
//! [step.expect]
//! replies = ["100", "200"]         # codes sent back to the client, in order
//! forwarded = ["INVITE sip:bob@127.0.0.1:5091"]   # start-line prefixes, in order
//! headers = { "Record-Route" = "<sip:127.0.0.1:5060;lr>" }  # first forwarded request
//! reply_headers = { "Server" = "kamailio (5.6.3 (x86_64/linux))" }  # last reply
//! logs = ["relay INVITE"]          # substrings, in this order
//! pv = { "$var(n)" = "1" }         # after the step
//! ```
//!
//! Addresses are those of `.sip` files: Kamailio at its first `listen`
//! (127.0.0.1:5060 by default), the client at 127.0.0.1:5070, next hops at
//! 127.0.0.1:5091 and :5092.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{sip, Config, Input, Record, Runner, SipFileOptions};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    config: PathBuf,
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    users: BTreeMap<String, String>,
    #[serde(default)]
    dispatcher: Vec<String>,
    /// SQL statements that make the database of every sqlops connection
    #[serde(default)]
    sql: Vec<String>,
    /// answers of the HTTP servers http_client queries
    #[serde(default)]
    http: Vec<crate::http::HttpResponse>,
    /// the permissions address table, address-file lines `GROUP ADDRESS [MASK [PORT [TAG]]]`
    addresses: Option<Vec<String>>,
    /// files modules read (permissions rule files, address_file), by the name the config uses
    #[serde(default)]
    files: BTreeMap<String, String>,
    #[serde(default)]
    step: Vec<StepSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    name: Option<String>,
    message: Option<String>,
    /// a capture or `.sip` file (relative to the scenario) instead of `message`
    file: Option<PathBuf>,
    nexthop: Option<String>,
    nh1: Option<String>,
    nh2: Option<String>,
    auth: Option<String>,
    #[serde(default)]
    expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    replies: Option<Vec<String>>,
    forwarded: Option<Vec<String>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    reply_headers: BTreeMap<String, String>,
    #[serde(default)]
    logs: Vec<String>,
    #[serde(default)]
    no_logs: Vec<String>,
    #[serde(default)]
    pv: BTreeMap<String, String>,
    /// the step must reach only simulated functions (default true)
    complete: Option<bool>,
}

/// One failed assertion: what, expected, actual.
#[derive(Debug, Clone)]
pub struct Failure {
    pub what: String,
    pub expected: String,
    pub actual: String,
}

/// The result of one step.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub name: String,
    pub checks: usize,
    pub failures: Vec<Failure>,
}

/// The result of one scenario file.
#[derive(Debug, Clone)]
pub struct FileResult {
    pub path: PathBuf,
    /// the file could not be run at all (bad TOML, missing config, ...)
    pub error: Option<String>,
    pub steps: Vec<StepResult>,
    pub seconds: f64,
}

impl FileResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.steps.iter().all(|s| s.failures.is_empty())
    }
}

/// Run one scenario file.
pub fn run_file(path: &Path) -> FileResult {
    let t0 = std::time::Instant::now();
    let mut res = FileResult {
        path: path.to_path_buf(),
        error: None,
        steps: Vec::new(),
        seconds: 0.0,
    };
    match run_inner(path, &mut res) {
        Ok(()) => {}
        Err(e) => res.error = Some(e),
    }
    res.seconds = t0.elapsed().as_secs_f64();
    res
}

fn run_inner(path: &Path, res: &mut FileResult) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let spec: FileSpec = toml::from_str(&text).map_err(|e| format!("bad scenario: {e}"))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let cfg_path = dir.join(&spec.config);
    let config = Config::load(&cfg_path, &spec.defines)
        .map_err(|e| format!("cannot read config `{}`: {e}", cfg_path.display()))?;
    if !config.errors.is_empty() {
        // Kamailio would not start: nothing the scenario asserts would happen
        return Err(format!(
            "Kamailio 5.6 would not start with config `{}` ({} {}): {}",
            cfg_path.display(),
            config.errors.len(),
            if config.errors.len() == 1 {
                "error"
            } else {
                "errors"
            },
            config.errors.join("; ")
        ));
    }
    let mut runner = Runner::new(&config);
    let mut opts = SipFileOptions::default();
    if let Some((_, a)) = runner.rt.listen.first() {
        opts.kamailio = *a;
    }
    for (u, p) in &spec.users {
        runner.rt.users.insert(u.clone(), p.clone());
    }
    if !spec.dispatcher.is_empty() {
        runner.rt.ds_sets = crate::dispatcher::parse_list(&spec.dispatcher);
    }
    runner.rt.sql.init = spec.sql.clone();
    runner.rt.ext.http = spec.http.clone();
    runner.rt.ext.files = spec.files.clone().into_iter().collect();
    if let Some(a) = &spec.addresses {
        runner.rt.ext.perm.scenario_rows = Some(
            crate::permissions::parse_address_lines(a).map_err(|e| format!("addresses: {e}"))?,
        );
    }
    for (si, st) in spec.step.iter().enumerate() {
        let name = st
            .name
            .clone()
            .unwrap_or_else(|| format!("step {}", si + 1));
        let mut sip = String::new();
        for (d, v) in [("nh", &st.nexthop), ("nh1", &st.nh1), ("nh2", &st.nh2)] {
            if let Some(v) = v {
                sip.push_str(&format!("@{d}-reply {v}\n"));
            }
        }
        if let Some(a) = &st.auth {
            sip.push_str(&format!("@auth {a}\n"));
        }
        let mut input = match (&st.message, &st.file) {
            (Some(m), None) => {
                sip.push_str(m.trim_start_matches('\n'));
                Input::from_sip_text(&sip, &opts).map_err(|e| format!("{name}: {e}"))?
            }
            (None, Some(f)) => {
                let data = std::fs::read(dir.join(f))
                    .map_err(|e| format!("{name}: cannot read `{}`: {e}", f.display()))?;
                let mut i = Input::from_bytes(&data, &opts).map_err(|e| format!("{name}: {e}"))?;
                if !sip.is_empty() {
                    // next-hop directives of the step apply to a file too
                    let d = Input::from_sip_text(&(sip + "OPTIONS sip:x SIP/2.0\n"), &opts)
                        .map_err(|e| format!("{name}: {e}"))?;
                    if let Some(c) = d.nexthop_changes.get(&0) {
                        i.nexthop_changes.entry(0).or_default().extend(c.clone());
                    }
                }
                i
            }
            _ => return Err(format!("{name}: give exactly one of `message` and `file`")),
        };
        // steps follow each other on the virtual clock
        let base = runner.rt.clock + input.step.max(1.0);
        for p in input.packets.iter_mut() {
            p.ts += base;
        }
        let before = runner.records().len();
        let unsupported_before: usize = runner.summary().unsupported.values().map(|v| v.0).sum();
        runner.run(&input);
        let recs: Vec<Record> = runner.records()[before..].to_vec();
        let unsupported_after: usize = runner.summary().unsupported.values().map(|v| v.0).sum();
        let last = input
            .packets
            .last()
            .and_then(|p| sip::SipMsg::parse(&p.data).ok());
        let mut r = StepResult {
            name,
            checks: 0,
            failures: Vec::new(),
        };
        check(
            &st.expect,
            &recs,
            opts.client,
            &mut runner,
            last.as_ref(),
            &mut r,
        );
        if st.expect.complete.unwrap_or(true) {
            r.checks += 1;
            if unsupported_after > unsupported_before {
                let names: Vec<String> = runner.summary().unsupported.keys().cloned().collect();
                r.failures.push(Failure {
                    what: "complete".into(),
                    expected: "every function simulated".into(),
                    actual: format!("not simulated: {}", names.join(", ")),
                });
            }
        }
        res.steps.push(r);
    }
    Ok(())
}

fn check(
    e: &Expect,
    recs: &[Record],
    client: std::net::SocketAddr,
    runner: &mut Runner,
    last: Option<&sip::SipMsg>,
    r: &mut StepResult,
) {
    let sent: Vec<&crate::Sent> = recs.iter().flat_map(|r| r.sent()).collect();
    let replies: Vec<&&crate::Sent> = sent
        .iter()
        .filter(|s| s.dst == client && s.start_line.starts_with("SIP/"))
        .collect();
    let fwd: Vec<&&crate::Sent> = sent
        .iter()
        .filter(|s| s.dst != client && !s.start_line.starts_with("SIP/"))
        .collect();
    let mut fail = |what: &str, exp: String, act: String| {
        r.failures.push(Failure {
            what: what.to_string(),
            expected: exp,
            actual: act,
        })
    };
    let mut checks = 0;
    if let Some(want) = &e.replies {
        checks += 1;
        let got: Vec<String> = replies
            .iter()
            .map(|s| s.start_line.split(' ').nth(1).unwrap_or("").to_string())
            .collect();
        let ok = want.len() == got.len()
            && want
                .iter()
                .zip(&got)
                .all(|(w, g)| w.split(' ').next() == Some(g.as_str()));
        if !ok {
            fail(
                "replies",
                want.join(", "),
                replies
                    .iter()
                    .map(|s| s.start_line.trim_start_matches("SIP/2.0 ").to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
    }
    if let Some(want) = &e.forwarded {
        checks += 1;
        let got: Vec<String> = fwd
            .iter()
            .map(|s| format!("{} (to {})", s.start_line, s.dst))
            .collect();
        let ok = want.len() == got.len() && want.iter().zip(&got).all(|(w, g)| g.starts_with(w));
        if !ok {
            fail("forwarded", want.join("\n"), got.join("\n"));
        }
    }
    let header_of = |s: Option<&&&crate::Sent>, n: &str| -> Option<String> {
        let c = sip::canon_name(n);
        let vals: Vec<String> = s?
            .headers
            .iter()
            .filter(|(h, _)| sip::canon_name(h) == c)
            .map(|(_, v)| v.to_string())
            .collect();
        if vals.is_empty() {
            None
        } else {
            Some(vals.join(", "))
        }
    };
    for (n, want) in &e.headers {
        checks += 1;
        let got = header_of(fwd.first(), n);
        if got.as_deref() != Some(want.as_str()) {
            fail(
                &format!("header {n} of the first forwarded request"),
                want.clone(),
                got.unwrap_or_else(|| "(absent)".into()),
            );
        }
    }
    for (n, want) in &e.reply_headers {
        checks += 1;
        let got = header_of(replies.last(), n);
        if got.as_deref() != Some(want.as_str()) {
            fail(
                &format!("header {n} of the last reply"),
                want.clone(),
                got.unwrap_or_else(|| "(absent)".into()),
            );
        }
    }
    let logs: Vec<&str> = recs.iter().flat_map(|r| r.logs()).collect();
    if !e.logs.is_empty() {
        checks += 1;
        let mut it = logs.iter();
        let missing: Vec<&String> = e
            .logs
            .iter()
            .filter(|w| !it.any(|l| l.contains(w.as_str())))
            .collect();
        if !missing.is_empty() {
            fail(
                "logs (in order)",
                e.logs.join("\n"),
                if logs.is_empty() {
                    "(no log lines)".into()
                } else {
                    logs.join("\n")
                },
            );
        }
    }
    for w in &e.no_logs {
        checks += 1;
        if let Some(l) = logs.iter().find(|l| l.contains(w.as_str())) {
            fail("no log line containing", w.clone(), l.to_string());
        }
    }
    if !e.pv.is_empty() {
        let msg = last.cloned().unwrap_or_else(|| {
            sip::SipMsg::parse(b"OPTIONS sip:x SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n")
                .expect("static message")
        });
        for (pv, want) in &e.pv {
            checks += 1;
            let got = runner.rt.eval_text(pv, &msg, client);
            if &got != want {
                fail(&format!("pv {pv}"), want.clone(), got);
            }
        }
    }
    r.checks += checks;
}

/// Scenario files under `dir` (`*.toml`, recursively, sorted), or `dir` itself.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn xml_escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: one testsuite per file, one testcase per step.
pub fn junit(results: &[FileResult]) -> String {
    let tests: usize = results.iter().map(|r| r.steps.len().max(1)).sum();
    let failures: usize = results
        .iter()
        .map(|r| r.steps.iter().filter(|s| !s.failures.is_empty()).count())
        .sum();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kcfg test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    );
    for r in results {
        let name = xml_escape(&r.path.display().to_string());
        let f = r.steps.iter().filter(|s| !s.failures.is_empty()).count();
        x.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{f}\" errors=\"{}\" time=\"{:.3}\">\n",
            r.steps.len().max(1),
            usize::from(r.error.is_some()),
            r.seconds
        ));
        if let Some(e) = &r.error {
            x.push_str(&format!(
                "    <testcase name=\"(load)\" classname=\"{name}\">\n      <error message=\"{}\"/>\n    </testcase>\n",
                xml_escape(e)
            ));
        }
        for s in &r.steps {
            x.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{name}\"",
                xml_escape(&s.name)
            ));
            if s.failures.is_empty() {
                x.push_str("/>\n");
                continue;
            }
            x.push_str(">\n");
            for fl in &s.failures {
                x.push_str(&format!(
                    "      <failure message=\"{}\">expected:\n{}\nactual:\n{}</failure>\n",
                    xml_escape(&fl.what),
                    xml_escape(&fl.expected),
                    xml_escape(&fl.actual)
                ));
            }
            x.push_str("    </testcase>\n");
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// A readable failure: expected lines with `-`, actual lines with `+`
/// (a line diff, so long lists show only what differs).
pub fn render_failure(f: &Failure) -> String {
    let mut s = format!("    {}:\n", f.what);
    let exp: Vec<&str> = f.expected.lines().collect();
    let act: Vec<&str> = f.actual.lines().collect();
    if exp.len() <= 1 && act.len() <= 1 {
        s.push_str(&format!("      expected: {}\n", f.expected));
        s.push_str(&format!("      actual:   {}\n", f.actual));
        return s;
    }
    for l in &exp {
        if act.contains(l) {
            s.push_str(&format!("        {l}\n"));
        } else {
            s.push_str(&format!("      - {l}\n"));
        }
    }
    for l in &act {
        if !exp.contains(l) {
            s.push_str(&format!("      + {l}\n"));
        }
    }
    s
}
