//! Replay SIP scenarios (the oracle's INPUT.sip format) through real
//! Kamailio on loopback and through kcfg-runtime, and put both results in
//! the same normalised form: per request an exchange with the replies the
//! client got, the requests the next hops (or the client) got, and the
//! script's log lines. Ports become `{{KPORT}}`-style placeholders,
//! Kamailio's Via branches `{{KBRANCH}}`, generated tags `{{KTAG}}` (as
//! `../shared/tools/kamailio-oracle/oracle-replay.py` does), and the dialog
//! module's `did` Record-Route/Route parameter (a random id) `{{DID}}`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::Kamailio;

/// One request of a scenario and what came out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    pub sent: String,
    /// normalised replies received by the client (deduplicated)
    pub replies: BTreeSet<String>,
    /// normalised requests received by next hops / the client: `to` + text
    pub forwarded: BTreeSet<String>,
    pub logs: Vec<String>,
}

/// Ports of one replay.
#[derive(Debug, Clone)]
pub struct Ports {
    pub kport: u16,
    pub cport: u16,
    pub nh: Vec<u16>,
    /// the port of the scenario's HTTP server (`#@http` lines), 0 without one
    pub http: u16,
}

struct Block {
    directives: Vec<(String, String)>,
    lines: Vec<String>,
}

fn parse_blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    for b in text.split("\n---\n") {
        let mut d = Vec::new();
        let mut lines = Vec::new();
        let mut started = false;
        for l in b.lines() {
            if !started {
                let s = l.trim();
                if s.is_empty() || s.starts_with('#') || s == "---" {
                    continue;
                }
                if let Some(x) = s.strip_prefix('@') {
                    let (n, a) = x.split_once(' ').unwrap_or((x, ""));
                    d.push((n.to_ascii_lowercase(), a.trim().to_string()));
                    continue;
                }
                started = true;
            }
            lines.push(l.to_string());
        }
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        if !lines.is_empty() {
            out.push(Block {
                directives: d,
                lines,
            });
        }
    }
    out
}

fn compact(n: &str) -> String {
    kcfg_runtime::sip::canon_name(n)
}

/// A parsed message for attribution and normalisation.
#[derive(Clone)]
struct Msg {
    start: String,
    headers: Vec<(String, String)>,
}

fn parse_msg(data: &[u8]) -> Msg {
    let t = String::from_utf8_lossy(data);
    let head = t.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or("").trim().to_string();
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in lines {
        if l.starts_with([' ', '\t']) {
            if let Some(h) = headers.last_mut() {
                h.1.push(' ');
                h.1.push_str(l.trim());
            }
            continue;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    Msg { start, headers }
}

impl Msg {
    fn get(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(n, _)| compact(n) == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    fn key(&self) -> (String, String, String) {
        let cseq = self.get("cseq");
        let mut p = cseq.split_whitespace();
        (
            self.get("call-id"),
            p.next().unwrap_or("").to_string(),
            p.next().unwrap_or("").to_ascii_uppercase(),
        )
    }
}

/// Normalises ports, Kamailio's branches and generated tags.
pub struct Norm {
    names: HashMap<u16, String>,
    known_tags: HashSet<String>,
}

impl Norm {
    pub fn new(p: &Ports) -> Norm {
        let mut names = HashMap::new();
        names.insert(p.kport, "KPORT".to_string());
        names.insert(p.cport, "CPORT".to_string());
        for (i, n) in p.nh.iter().enumerate() {
            names.insert(*n, format!("NH{}PORT", i + 1));
        }
        let known_tags = (1..=p.nh.len()).map(|i| format!("nexthop-{i}")).collect();
        Norm { names, known_tags }
    }

    fn ports(&self, s: &str) -> String {
        let re =
            regex::Regex::new(r"(127\.0\.0\.1|localhost|\[::1\]):(\d+)").expect("static regex");
        let s = re.replace_all(s, |c: &regex::Captures| {
            let p: u16 = c[2].parse().unwrap_or(0);
            match self.names.get(&p) {
                Some(n) => format!("{}:{{{{{n}}}}}", &c[1]),
                None => c[0].to_string(),
            }
        });
        let re2 = regex::Regex::new(r"rport=(\d+)").expect("static regex");
        re2.replace_all(&s, |c: &regex::Captures| {
            let p: u16 = c[1].parse().unwrap_or(0);
            match self.names.get(&p) {
                Some(n) => format!("rport={{{{{n}}}}}"),
                None => c[0].to_string(),
            }
        })
        .into_owned()
    }

    fn header(&self, name: &str, value: &str) -> String {
        let v = self.ports(value);
        let c = compact(name);
        let v = if v.contains("nonce=\"") {
            let re = regex::Regex::new(r#"(nonce|response|opaque)="[^"]*""#).expect("static regex");
            re.replace_all(&v, "$1=\"{{DIGEST}}\"").into_owned()
        } else {
            v
        };
        let v = if c == "via" {
            let re = regex::Regex::new(r"(?i)(;\s*branch=)[^;\s,]+").expect("static regex");
            v.split(',')
                .map(|e| {
                    if e.split(';').next().unwrap_or("").contains("{{KPORT}}") {
                        re.replace_all(e, "${1}{{KBRANCH}}").into_owned()
                    } else {
                        e.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        } else if c == "to" || c == "from" {
            let re = regex::Regex::new(r"(?i)(;\s*tag=)([^;\s,>]+)").expect("static regex");
            re.replace_all(&v, |cap: &regex::Captures| {
                if self.known_tags.contains(&cap[2]) {
                    cap[0].to_string()
                } else {
                    format!("{}{{{{KTAG}}}}", &cap[1])
                }
            })
            .into_owned()
        } else if c == "record-route" || c == "route" {
            // the dialog module's `did` (hash entry . random id)
            let re = regex::Regex::new(r"(?i)(;\s*did=)[^;\s,>]+").expect("static regex");
            re.replace_all(&v, "${1}{{DID}}").into_owned()
        } else {
            v
        };
        format!("{name}: {v}")
    }

    pub fn msg(&self, start: &str, headers: &[(String, String)]) -> String {
        let mut s = self.ports(start);
        for (n, v) in headers {
            s.push('\n');
            s.push_str(&self.header(n, v.trim()));
        }
        s
    }

    fn learn(&mut self, m: &Msg) {
        let re = regex::Regex::new(r"(?i);\s*tag=([^;\s,>]+)").expect("static regex");
        for h in ["to", "from"] {
            for c in re.captures_iter(&m.get(h)) {
                self.known_tags.insert(c[1].to_string());
            }
        }
    }
}

fn render(lines: &[String], subs: &[(String, String)], n: usize) -> Vec<u8> {
    let mut t = lines.join("\n");
    for (k, v) in subs {
        t = t.replace(&format!("{{{{{k}}}}}"), v);
    }
    t = t.replace("{{N}}", &n.to_string());
    kcfg_runtime::sipfile::render(&t)
}

fn nh_reply(req: &Msg, code: u16, reason: &str, nh: usize, port: u16) -> Vec<u8> {
    let mut l = vec![format!("SIP/2.0 {code} {reason}")];
    for (n, v) in &req.headers {
        if compact(n) == "via" {
            l.push(format!("Via: {v}"));
        }
    }
    if code > 100 && code < 300 {
        for (n, v) in &req.headers {
            if compact(n) == "record-route" {
                l.push(format!("Record-Route: {v}"));
            }
        }
    }
    l.push(format!("From: {}", req.get("from")));
    let mut to = req.get("to");
    if code > 100 && !to.to_ascii_lowercase().contains(";tag=") {
        to.push_str(&format!(";tag=nexthop-{nh}"));
    }
    l.push(format!("To: {to}"));
    l.push(format!("Call-ID: {}", req.get("call-id")));
    l.push(format!("CSeq: {}", req.get("cseq")));
    let method = req.start.split(' ').next().unwrap_or("");
    if code > 100
        && code < 300
        && ["INVITE", "SUBSCRIBE", "REFER", "NOTIFY", "UPDATE"].contains(&method)
    {
        l.push(format!("Contact: <sip:nexthop@127.0.0.1:{port}>"));
    }
    l.push("Server: oracle-nexthop".into());
    l.push("Content-Length: 0".into());
    (l.join("\r\n") + "\r\n\r\n").into_bytes()
}

fn ack_for(inv: &Msg, reply: &Msg) -> Vec<u8> {
    let uri = inv.start.split(' ').nth(1).unwrap_or("");
    let mut l = vec![format!("ACK {uri} SIP/2.0")];
    let via = inv.get("via");
    l.push(format!("Via: {}", via.split(',').next().unwrap_or("")));
    for (n, v) in &inv.headers {
        if compact(n) == "route" {
            l.push(format!("Route: {v}"));
        }
    }
    l.push("Max-Forwards: 70".into());
    l.push(format!("From: {}", inv.get("from")));
    l.push(format!("To: {}", reply.get("to")));
    l.push(format!("Call-ID: {}", inv.get("call-id")));
    l.push(format!("CSeq: {} ACK", inv.key().1));
    l.push("Content-Length: 0".into());
    (l.join("\r\n") + "\r\n\r\n").into_bytes()
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn udp_bound(port: u16) -> bool {
    let want = [
        format!("0100007F:{port:04X}"),
        format!("00000000:{port:04X}"),
    ];
    std::fs::read_to_string("/proc/net/udp")
        .map(|t| {
            t.lines().any(|l| {
                l.split_whitespace()
                    .nth(1)
                    .is_some_and(|a| want.iter().any(|w| w == a))
            })
        })
        .unwrap_or(false)
}

/// The `-A`/`-D` defines a replay gives Kamailio (and kcfg).
pub fn defines(p: &Ports, extra: &[String]) -> Vec<String> {
    let mut d = vec![
        "ORACLE".to_string(),
        format!("KPORT={}", p.kport),
        format!("CPORT={}", p.cport),
    ];
    for (i, n) in p.nh.iter().enumerate() {
        d.push(format!("NH{}_PORT={n}", i + 1));
        d.push(format!("NH{}_URI=\"sip:127.0.0.1:{n}\"", i + 1));
        d.push(format!("NH{}_ADDR=\"127.0.0.1:{n}\"", i + 1));
    }
    if p.http != 0 {
        d.push(format!("HTTP_URL=\"http://127.0.0.1:{}\"", p.http));
    }
    d.extend(extra.iter().cloned());
    d
}

/// `#@http PATH CODE [BODY]` lines (`\n` in BODY is a line feed): a small
/// HTTP/1.1 server on loopback for Kamailio's http_client, answering by
/// path (a trailing `*`: by prefix; anything else: 404) and closing each
/// connection. kcfg gets the same answers from the same lines. Returns its
/// port, 0 when the scenario has no such lines.
fn start_http(sip: &str) -> Result<u16, String> {
    let answers: Vec<(String, u16, String)> = scenario_directives(sip, "http")
        .iter()
        .filter_map(|l| {
            let mut it = l.splitn(3, ' ');
            let path = it.next()?.to_string();
            let code = it.next()?.trim().parse().ok()?;
            Some((path, code, it.next().unwrap_or("").replace("\\n", "\n")))
        })
        .collect();
    if answers.is_empty() {
        return Ok(0);
    }
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    // the thread ends with the test process (it only ever blocks in accept)
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let _ = http_answer(s, &answers);
        }
    });
    Ok(port)
}

fn http_answer(
    mut s: std::net::TcpStream,
    answers: &[(String, u16, String)],
) -> std::io::Result<()> {
    use std::io::{Read, Write};
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    loop {
        let n = s.read(&mut tmp)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= i + 4 + len {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (code, body) = answers
        .iter()
        .find(|(p, _, _)| match p.strip_suffix('*') {
            Some(pre) => path.starts_with(pre),
            None => *p == path,
        })
        .map(|(_, c, b)| (*c, b.clone()))
        .unwrap_or((404, String::new()));
    write!(
        s,
        "HTTP/1.1 {code} Answer\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    s.flush()
}

fn rewrite_cfg(text: &str) -> String {
    let re1 = regex::Regex::new(r"(?m)^([ \t]*)(listen[ \t]*=)").expect("static regex");
    let re2 = regex::Regex::new(r"(?m)^([ \t]*)(mpath[ \t]*=)").expect("static regex");
    let re3 = regex::Regex::new(r#"(?m)^([ \t]*loadmodule[ \t]+")/[^"]*/([^"/]+")"#)
        .expect("static regex");
    let t = re1.replace_all(text, "$1#ORACLE# $2");
    let t = re2.replace_all(&t, "$1#ORACLE# $2");
    re3.replace_all(&t, "$1$2").into_owned()
}

/// Directives of a whole scenario: `#@NAME VALUE` lines (anywhere before
/// the first message): `#@user alice:secret` (a subscriber, given to
/// Kamailio through a db_text database and to kcfg as credentials),
/// `#@loadmodule db_text.so` (Kamailio's `--loadmodule`).
pub fn scenario_directives(sip: &str, name: &str) -> Vec<String> {
    sip.lines()
        .filter_map(|l| l.strip_prefix("#@"))
        .filter_map(|l| l.split_once(' '))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

/// The subscribers of a scenario: (user, password).
pub fn scenario_users(sip: &str) -> Vec<(String, String)> {
    scenario_directives(sip, "user")
        .iter()
        .filter_map(|u| u.split_once(':'))
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect()
}

fn md5hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The client's answer to a 401/407: the request again with CSeq + 1, a
/// new branch and the RFC 2617 digest (no qop) for `user:password`.
fn auth_retry(req: &Msg, challenge: &Msg, cred: &str) -> Option<Vec<u8>> {
    let code = challenge.start.split(' ').nth(1)?;
    let (hname, aname) = if code == "401" {
        ("www-authenticate", "Authorization")
    } else {
        ("proxy-authenticate", "Proxy-Authorization")
    };
    let ch = challenge
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(hname))?
        .1
        .clone();
    let param = |k: &str| {
        regex::Regex::new(&format!(r#"{k}="([^"]*)""#))
            .ok()
            .and_then(|r| r.captures(&ch).map(|c| c[1].to_string()))
            .unwrap_or_default()
    };
    let (realm, nonce) = (param("realm"), param("nonce"));
    let (user, pass) = cred.split_once(':')?;
    let mut sl = req.start.split(' ');
    let (method, uri) = (sl.next()?.to_string(), sl.next()?.to_string());
    let ha1 = md5hex(&format!("{user}:{realm}:{pass}"));
    let ha2 = md5hex(&format!("{method}:{uri}"));
    let resp = md5hex(&format!("{ha1}:{nonce}:{ha2}"));
    let mut out = vec![req.start.clone()];
    for (n, v) in &req.headers {
        let c = compact(n);
        if c == "cseq" {
            let num: u64 = v.split_whitespace().next()?.parse().ok()?;
            out.push(format!("{n}: {} {method}", num + 1));
        } else if c == "via" && !out.iter().any(|l| l.starts_with("Via")) {
            out.push(format!(
                "{n}: {}",
                v.replacen(";branch=", ";branch=z9hG4bK-auth-", 1)
                    .replace("z9hG4bK-auth-z9hG4bK", "z9hG4bK-auth")
            ));
        } else if c != "content-length" {
            out.push(format!("{n}: {v}"));
        }
    }
    out.push(format!(
        "{aname}: Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\""
    ));
    out.push("Content-Length: 0".into());
    Some((out.join("\r\n") + "\r\n\r\n").into_bytes())
}

/// `#@sql STATEMENT` lines: a SQLite database `sqlops.db` in `dir` (db_sqlite
/// for Kamailio; kcfg opens its own copy).
fn make_sql_db(sip: &str, dir: &Path) -> Result<(), String> {
    let stmts = scenario_directives(sip, "sql");
    if stmts.is_empty() {
        return Ok(());
    }
    let c = rusqlite::Connection::open(dir.join("sqlops.db")).map_err(|e| e.to_string())?;
    for st in stmts {
        c.execute_batch(&st).map_err(|e| format!("{st}: {e}"))?;
    }
    Ok(())
}

/// `{{CFGDIR}}` in defines: the absolute directory of the scenario's config
/// (Kamailio runs a copy in a temporary directory, so files next to the
/// config need absolute paths).
fn cfg_dir(cfg: &Path) -> String {
    let d = cfg.parent().unwrap_or(Path::new("."));
    std::fs::canonicalize(d)
        .unwrap_or_else(|_| d.to_path_buf())
        .display()
        .to_string()
}

/// Default silence that ends an exchange once its final reply came (s).
const QUIET: f64 = 0.5;
/// Silence that ends an exchange without a final reply (s).
const NO_FINAL_QUIET: f64 = 1.2;
/// Longest an exchange may take (s), unless its block says `@max-wait`.
const MAX_WAIT: f64 = 8.0;

/// Replay `sip` through real Kamailio running `cfg`.
pub fn replay_kamailio(
    k: &Kamailio,
    cfg: &Path,
    sip: &str,
    extra_defines: &[String],
) -> Result<(Ports, Vec<Exchange>), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let nh_socks: Vec<UdpSocket> = (0..2)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let client = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let mut kport = free_port();
    let taken: Vec<u16> = nh_socks
        .iter()
        .chain([&client])
        .filter_map(|s| s.local_addr().ok())
        .map(|a| a.port())
        .collect();
    while taken.contains(&kport) {
        kport = free_port();
    }
    let ports = Ports {
        kport,
        cport: client.local_addr().map_err(|e| e.to_string())?.port(),
        nh: nh_socks
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .map(|a| a.port())
            .collect(),
        http: start_http(sip)?,
    };
    let text = std::fs::read_to_string(cfg).map_err(|e| e.to_string())?;
    let tcfg = tmp.path().join(cfg.file_name().unwrap_or_default());
    std::fs::write(&tcfg, rewrite_cfg(&text)).map_err(|e| e.to_string())?;
    let run = tmp.path().join("run");
    std::fs::create_dir_all(&run).map_err(|e| e.to_string())?;
    let log_path = tmp.path().join("kamailio.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&k.bin);
    cmd.args(["-DD", "-E", "-f"])
        .arg(&tcfg)
        .arg("-L")
        .arg(&k.mpath)
        .arg("-Y")
        .arg(&run);
    cmd.args(["-n", "1", "-m", "64", "-M", "8", "-l"])
        .arg(format!("udp:127.0.0.1:{kport}"));
    for m in scenario_directives(sip, "loadmodule") {
        cmd.arg(format!("--loadmodule={m}"));
    }
    let dbdir = tmp.path().join("dbtext");
    let users = scenario_users(sip);
    if !users.is_empty() {
        // a db_text database with the subscribers (Kamailio's own table format)
        std::fs::create_dir_all(&dbdir).map_err(|e| e.to_string())?;
        std::fs::write(
            dbdir.join("version"),
            "id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n",
        )
        .map_err(|e| e.to_string())?;
        let mut sub = String::from(
            "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) \n",
        );
        for (i, (u, p)) in users.iter().enumerate() {
            // ha1/ha1b must not be empty for db_text; calculate_ha1 uses the password
            let ha1 = md5hex(&format!("{u}:127.0.0.1:{p}"));
            let ha1b = md5hex(&format!("{u}@127.0.0.1:127.0.0.1:{p}"));
            sub.push_str(&format!("{}:{u}:127.0.0.1:{p}:{ha1}:{ha1b}\n", i + 1));
        }
        std::fs::write(dbdir.join("subscriber"), sub).map_err(|e| e.to_string())?;
    }
    // `#@dispatcher SET URI ...` lines: the dispatcher list file
    let ds: Vec<String> = scenario_directives(sip, "dispatcher")
        .iter()
        .map(|l| {
            let mut l = l.clone();
            for (i, n) in ports.nh.iter().enumerate() {
                l = l.replace(&format!("{{{{NH{}PORT}}}}", i + 1), &n.to_string());
            }
            l + "\n"
        })
        .collect();
    std::fs::write(tmp.path().join("dispatcher.list"), ds.concat()).map_err(|e| e.to_string())?;
    make_sql_db(sip, tmp.path())?;
    for d in defines(&ports, extra_defines) {
        cmd.arg("-A").arg(
            d.replace("{{DBDIR}}", &dbdir.display().to_string())
                .replace("{{TMPDIR}}", &tmp.path().display().to_string())
                .replace("{{CFGDIR}}", &cfg_dir(cfg))
                .replace("{{HTTPPORT}}", &ports.http.to_string()),
        );
    }
    cmd.current_dir(cfg.parent().unwrap_or(Path::new(".")));
    cmd.stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .stdin(Stdio::null());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start kamailio: {e}"))?;
    let pgid = child.id();
    let kill = |sig: &str| {
        let _ = Command::new("kill")
            .arg(sig)
            .arg("--")
            .arg(format!("-{pgid}"))
            .stderr(Stdio::null())
            .status();
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            let l = std::fs::read_to_string(&log_path).unwrap_or_default();
            return Err(format!(
                "kamailio exited ({st}) at start: {}",
                l.lines().rev().take(5).collect::<Vec<_>>().join(" | ")
            ));
        }
        if udp_bound(kport) {
            break;
        }
        if Instant::now() > deadline {
            kill("-KILL");
            let _ = child.wait();
            return Err("kamailio did not bind its port".into());
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(300));
    for s in nh_socks.iter().chain([&client]) {
        let _ = s.set_nonblocking(true);
    }
    let kaddr: SocketAddr = format!("127.0.0.1:{kport}").parse().map_err(|_| "addr")?;
    let mut subs = vec![
        ("KPORT".to_string(), kport.to_string()),
        ("CPORT".to_string(), ports.cport.to_string()),
        ("IP".to_string(), "127.0.0.1".to_string()),
    ];
    for (i, n) in ports.nh.iter().enumerate() {
        subs.push((format!("NH{}PORT", i + 1), n.to_string()));
    }
    let mut norm = Norm::new(&ports);
    let mut nh_conf: Vec<Option<(u16, String)>> = vec![None; ports.nh.len()];
    let mut nh_sent: HashMap<(usize, Vec<u8>), Vec<u8>> = HashMap::new();
    let mut exchanges: Vec<Exchange> = Vec::new();
    let mut keys: Vec<(String, String, String)> = Vec::new();
    let mut invites: HashMap<(String, String), (Msg, bool)> = HashMap::new();
    let mut log_pos = std::fs::read(&log_path).map(|d| d.len()).unwrap_or(0);
    let blocks = parse_blocks(sip);
    let mut buf = vec![0u8; 65535];
    let pid_prefix = regex::Regex::new(r"^\s*\d+\(\d+\) ").expect("static regex");
    // what the next hops answer, as configured for each exchange: a request
    // that reaches a next hop late (a retransmission, a failover) is answered
    // as its own exchange said, whatever later exchanges changed
    let mut nh_conf_at: Vec<Vec<Option<(u16, String)>>> = Vec::new();
    let mut final_seen: Vec<bool> = Vec::new();
    let mut nh_ringing: HashMap<(usize, String), Msg> = HashMap::new();
    for (i, b) in blocks.iter().enumerate() {
        let mut auto_ack = true;
        let (mut quiet, mut max_wait) = (QUIET, MAX_WAIT);
        // `@max-wait S`: the final reply comes late (a timer): wait for it
        let mut await_final = false;
        // `@auth user:password`: the client answers a 401/407 challenge once
        let mut auth: Option<String> = None;
        for (n, a) in &b.directives {
            if n == "quiet" {
                quiet = a.parse().unwrap_or(quiet);
            } else if n == "max-wait" {
                max_wait = a.parse().unwrap_or(max_wait);
                await_final = true;
            } else if n == "no-auto-ack" {
                auto_ack = false;
            } else if n == "sleep" {
                // `@sleep S`: pause before sending (kcfg's clock moves S too)
                std::thread::sleep(Duration::from_secs_f64(a.parse().unwrap_or(0.0)));
            } else if n == "auth" {
                auth = Some(a.clone());
            } else if let Some(idx) = n.strip_prefix("nh").and_then(|x| x.strip_suffix("-reply")) {
                let conf = if a.is_empty() || a.eq_ignore_ascii_case("none") {
                    None
                } else {
                    let (c, r) = a.split_once(' ').unwrap_or((a, "Reason"));
                    c.parse().ok().map(|c| (c, r.to_string()))
                };
                for (j, slot) in nh_conf.iter_mut().enumerate() {
                    if idx.is_empty() || idx.parse::<usize>().ok() == Some(j + 1) {
                        *slot = conf.clone();
                    }
                }
            }
        }
        let data = render(&b.lines, &subs, i + 1);
        let m = parse_msg(&data);
        norm.learn(&m);
        let key = m.key();
        if m.start.starts_with("INVITE ") {
            invites.insert((key.0.clone(), key.1.clone()), (parse_msg(&data), auto_ack));
        }
        exchanges.push(Exchange {
            sent: norm.ports(&m.start),
            ..Default::default()
        });
        let expects_final = !m.start.starts_with("ACK ");
        keys.push(key);
        nh_conf_at.push(nh_conf.clone());
        final_seen.push(false);
        let _ = client.send_to(&data, kaddr);
        // Pump until the exchange is over: the client has its final reply
        // (the transaction ended) and nothing came for `quiet` seconds; a
        // request that gets no final reply (ACK, dropped, left ringing) waits
        // for a longer silence, unless the block says `@max-wait S` (a timer
        // will answer it: wait for that final reply). `max_wait` bounds it all.
        let start = Instant::now();
        let mut last = Instant::now();
        loop {
            let silence = if !expects_final || final_seen[i] {
                quiet
            } else if await_final {
                f64::INFINITY
            } else {
                quiet.max(NO_FINAL_QUIET)
            };
            if last.elapsed().as_secs_f64() >= silence || start.elapsed().as_secs_f64() >= max_wait
            {
                break;
            }
            let mut got = false;
            for (si, s) in nh_socks.iter().chain([&client]).enumerate() {
                while let Ok((n, from)) = s.recv_from(&mut buf) {
                    got = true;
                    let pkt = buf[..n].to_vec();
                    let pm = parse_msg(&pkt);
                    let k = pm.key();
                    let ei = keys
                        .iter()
                        .rposition(|x| *x == k)
                        .or_else(|| keys.iter().rposition(|x| x.0 == k.0 && x.1 == k.1))
                        .or_else(|| keys.iter().rposition(|x| x.0 == k.0 && !k.0.is_empty()))
                        .unwrap_or(i);
                    let is_reply = pm.start.starts_with("SIP/");
                    let text = norm.msg(&pm.start, &pm.headers);
                    if si == nh_socks.len() {
                        // client
                        if is_reply {
                            exchanges[ei].replies.insert(text);
                            let code: u16 = pm
                                .start
                                .split(' ')
                                .nth(1)
                                .and_then(|c| c.parse().ok())
                                .unwrap_or(0);
                            let challenge = (code == 401 || code == 407) && ei == i;
                            if code >= 200 && keys.get(ei) == Some(&k) {
                                final_seen[ei] = true;
                            }
                            if challenge && keys[i] == k {
                                if let Some(cred) = auth.take() {
                                    if k.2 == "INVITE" {
                                        let _ = client.send_to(&ack_for(&m, &pm), kaddr);
                                    }
                                    if let Some(retry) = auth_retry(&m, &pm, &cred) {
                                        let rm = parse_msg(&retry);
                                        keys[i] = rm.key();
                                        final_seen[i] = false;
                                        if rm.start.starts_with("INVITE ") {
                                            invites.insert(
                                                (keys[i].0.clone(), keys[i].1.clone()),
                                                (rm, auto_ack),
                                            );
                                        }
                                        let _ = client.send_to(&retry, kaddr);
                                    }
                                    continue;
                                }
                            }
                            if k.2 == "INVITE" && code >= 300 {
                                if let Some((inv, true)) = invites.get(&(k.0.clone(), k.1.clone()))
                                {
                                    let _ = client.send_to(&ack_for(inv, &pm), kaddr);
                                }
                            }
                        } else {
                            exchanges[ei].forwarded.insert(format!("to client\n{text}"));
                        }
                    } else {
                        exchanges[ei]
                            .forwarded
                            .insert(format!("to nh{}\n{text}", si + 1));
                        let branch = pm
                            .get("via")
                            .split(',')
                            .next()
                            .and_then(|v| v.split(";branch=").nth(1))
                            .map(|b| b.split(';').next().unwrap_or("").trim().to_string())
                            .unwrap_or_default();
                        if pm.start.starts_with("CANCEL ") {
                            if nh_conf_at[ei][si].is_none() {
                                continue; // a silent next hop
                            }
                            // a user agent answers a CANCEL with 200 and the
                            // INVITE it cancels (if still ringing) with 487
                            let _ =
                                s.send_to(&nh_reply(&pm, 200, "OK", si + 1, ports.nh[si]), from);
                            if let Some(inv) = nh_ringing.remove(&(si, branch)) {
                                let _ = s.send_to(
                                    &nh_reply(
                                        &inv,
                                        487,
                                        "Request Terminated",
                                        si + 1,
                                        ports.nh[si],
                                    ),
                                    from,
                                );
                            }
                        } else if !is_reply && !pm.start.starts_with("ACK ") {
                            if pm.start.starts_with("INVITE ")
                                && nh_conf_at[ei][si].as_ref().is_some_and(|(c, _)| *c < 200)
                            {
                                nh_ringing.insert((si, branch), pm.clone());
                            }
                            let reply = match nh_sent.get(&(si, pkt.clone())) {
                                Some(r) => Some(r.clone()),
                                None => nh_conf_at[ei][si].as_ref().map(|(c, r)| {
                                    let rep = nh_reply(&pm, *c, r, si + 1, ports.nh[si]);
                                    nh_sent.insert((si, pkt.clone()), rep.clone());
                                    rep
                                }),
                            };
                            if let Some(r) = reply {
                                let _ = s.send_to(&r, from);
                            }
                        }
                    }
                }
            }
            if got {
                last = Instant::now();
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let data = std::fs::read(&log_path).unwrap_or_default();
        if data.len() > log_pos {
            // cut at the last line feed of the raw bytes: a lossy copy is
            // longer than the bytes where a value is not UTF-8
            if let Some(cut) = data[log_pos..].iter().rposition(|b| *b == b'\n') {
                let chunk = String::from_utf8_lossy(&data[log_pos..log_pos + cut]).into_owned();
                log_pos += cut + 1;
                for l in chunk.lines() {
                    if l.contains("<script>") {
                        exchanges[i].logs.push(
                            norm.ports(&pid_prefix.replace(l, ""))
                                .trim_end()
                                .to_string(),
                        );
                    }
                }
            }
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
    }
    if std::env::var_os("KCFG_DIFF_LOG").is_some() {
        // debugging aid: Kamailio's log of this replay
        eprintln!(
            "--- kamailio log of {}:\n{}",
            cfg.display(),
            std::fs::read_to_string(&log_path).unwrap_or_default()
        );
    }
    kill("-TERM");
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    kill("-KILL");
    let _ = child.wait();
    Ok((ports, exchanges))
}

/// Run the same scenario through kcfg-runtime, with the same ports.
pub fn replay_kcfg(
    cfg: &Path,
    sip: &str,
    ports: &Ports,
    extra_defines: &[String],
) -> Result<Vec<Exchange>, String> {
    let text = std::fs::read_to_string(cfg).map_err(|e| e.to_string())?;
    let rewritten = rewrite_cfg(&text);
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    make_sql_db(sip, tmp.path())?;
    let defs: Vec<String> = defines(ports, extra_defines)
        .into_iter()
        .map(|d| {
            d.replace("{{TMPDIR}}", &tmp.path().display().to_string())
                .replace("{{CFGDIR}}", &cfg_dir(cfg))
                .replace("{{HTTPPORT}}", &ports.http.to_string())
        })
        .collect();
    let mut config =
        kcfg_runtime::Config::from_text(&cfg.display().to_string(), &rewritten, &defs)?;
    let kaddr: SocketAddr = format!("127.0.0.1:{}", ports.kport)
        .parse()
        .map_err(|_| "addr")?;
    config
        .program
        .globals
        .push(("listen".into(), format!("udp:{kaddr}")));
    let opts = kcfg_runtime::SipFileOptions {
        kamailio: kaddr,
        client: format!("127.0.0.1:{}", ports.cport)
            .parse()
            .map_err(|_| "addr")?,
        nexthops: ports
            .nh
            .iter()
            .map(|p| format!("127.0.0.1:{p}").parse().expect("addr"))
            .collect(),
        step: 3.0,
    };
    let input = kcfg_runtime::Input::from_sip_text(sip, &opts).map_err(|e| e.0)?;
    let mut runner = kcfg_runtime::Runner::new(&config);
    runner.run(&input);
    let mut norm = Norm::new(ports);
    let mut exchanges = Vec::new();
    let mut keys = Vec::new();
    for p in &input.packets {
        let m = parse_msg(&p.data);
        norm.learn(&m);
        keys.push(m.key());
        exchanges.push(Exchange {
            sent: norm.ports(&m.start),
            ..Default::default()
        });
    }
    let client = opts.client;
    for r in runner.records() {
        for s in r.steps.iter() {
            match s {
                kcfg_runtime::Step::Send(x) => {
                    let pm = Msg {
                        start: x.start_line.clone(),
                        headers: x
                            .headers
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.to_string()))
                            .collect(),
                    };
                    let k = pm.key();
                    let upto = &keys[..(r.input + 1).min(keys.len())];
                    let ei = upto
                        .iter()
                        .rposition(|y| *y == k)
                        .or_else(|| upto.iter().rposition(|y| y.0 == k.0 && y.1 == k.1))
                        .or_else(|| upto.iter().rposition(|y| y.0 == k.0))
                        .unwrap_or(r.input.min(keys.len().saturating_sub(1)));
                    let text = norm.msg(&pm.start, &pm.headers);
                    if x.dst == client {
                        if x.start_line.starts_with("SIP/") {
                            exchanges[ei].replies.insert(text);
                        } else {
                            exchanges[ei].forwarded.insert(format!("to client\n{text}"));
                        }
                    } else if let Some(j) = opts.nexthops.iter().position(|a| *a == x.dst) {
                        exchanges[ei]
                            .forwarded
                            .insert(format!("to nh{}\n{text}", j + 1));
                    }
                }
                kcfg_runtime::Step::Log { text, .. } => {
                    let k = (
                        r.call_id.clone(),
                        r.cseq.split_whitespace().next().unwrap_or("").to_string(),
                    );
                    // logs belong to the exchange of the message that ran the script;
                    // a next hop's reply is attributed like the oracle does (by time),
                    // i.e. to the request that caused it
                    let _ = k;
                    // the oracle attributes log lines by time: to the request being processed
                    let ei = r.input.min(keys.len().saturating_sub(1));
                    for line in text.split('\n') {
                        exchanges[ei].logs.push(norm.ports(line));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(exchanges)
}

/// Items that agree and items compared.
pub fn compare(real: &[Exchange], sim: &[Exchange]) -> (usize, usize, Vec<String>) {
    let mut agree = 0;
    let mut total = 0;
    let mut diffs = Vec::new();
    for (i, r) in real.iter().enumerate() {
        let s = sim.get(i).cloned().unwrap_or_default();
        for (what, a, b) in [
            ("reply", &r.replies, &s.replies),
            ("forwarded", &r.forwarded, &s.forwarded),
        ] {
            for x in a.union(b) {
                total += 1;
                if a.contains(x) && b.contains(x) {
                    agree += 1;
                } else if a.contains(x) {
                    diffs.push(format!(
                        "exchange {} ({}): Kamailio sent a {what} kcfg did not:\n{x}",
                        i + 1,
                        r.sent
                    ));
                } else {
                    diffs.push(format!(
                        "exchange {} ({}): kcfg sent a {what} Kamailio did not:\n{x}",
                        i + 1,
                        r.sent
                    ));
                }
            }
        }
        let rl: BTreeSet<&String> = r.logs.iter().collect();
        let sl: BTreeSet<&String> = s.logs.iter().collect();
        for x in rl.union(&sl) {
            total += 1;
            if rl.contains(x) && sl.contains(x) {
                agree += 1;
            } else {
                diffs.push(format!(
                    "exchange {} ({}): log line only in {}: {x}",
                    i + 1,
                    r.sent,
                    if rl.contains(x) { "Kamailio" } else { "kcfg" }
                ));
            }
        }
    }
    (agree, total, diffs)
}
