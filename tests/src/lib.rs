//! Helpers shared by the workspace tests.

use std::path::{Path, PathBuf};

pub mod sipreplay;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// All kamailio.cfg files (valid or not) of the vendored corpus, as listed in its MANIFEST.tsv.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = root().join("fixtures/corpus");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap_or_default();
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() >= 4 && cols[3].starts_with("native-cfg")).then(|| dir.join(cols[0]))
        })
        .collect()
}

/// The hand-written syntax fixtures: `fixtures/syntax/ok/*.cfg` (real Kamailio accepts them) and
/// `fixtures/syntax/err/*.cfg` (one syntax mistake each), sorted.
pub fn syntax_fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["ok", "err"] {
        let dir = root().join("fixtures/syntax").join(sub);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut sub_files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
            .collect();
        sub_files.sort();
        files.extend(sub_files);
    }
    files
}

// ---- real Kamailio as the reference (differential tests) ----

/// Where a real `kamailio` binary and its module directory are.
#[derive(Debug, Clone)]
pub struct Kamailio {
    pub bin: PathBuf,
    pub mpath: PathBuf,
}

impl Kamailio {
    /// `$KAMAILIO_BIN` or `kamailio` on `$PATH` (or in an sbin directory), with `$KAMAILIO_MPATH`
    /// or the module directory printed by `kamailio -h`. `None` when Kamailio is not installed.
    pub fn find() -> Option<Kamailio> {
        let bin = match std::env::var_os("KAMAILIO_BIN") {
            Some(b) => PathBuf::from(b),
            None => {
                let path = std::env::var_os("PATH").unwrap_or_default();
                std::env::split_paths(&path)
                    .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
                    .map(|d| d.join("kamailio"))
                    .find(|p| p.is_file())?
            }
        };
        let mpath = match std::env::var_os("KAMAILIO_MPATH") {
            Some(m) => PathBuf::from(m),
            None => {
                let out = std::process::Command::new(&bin).arg("-h").output().ok()?;
                let help = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                let marker = "Modules search path (default: ";
                let from_help = help.lines().find_map(|l| {
                    let rest = &l[l.find(marker)? + marker.len()..];
                    Some(PathBuf::from(&rest[..rest.find(')')?]))
                });
                from_help
                    .filter(|p| p.join("tm.so").is_file())
                    .or_else(|| {
                        [
                            "/usr/lib/x86_64-linux-gnu/kamailio/modules",
                            "/usr/lib64/kamailio/modules",
                            "/usr/lib/kamailio/modules",
                        ]
                        .map(PathBuf::from)
                        .into_iter()
                        .find(|p| p.join("tm.so").is_file())
                    })?
            }
        };
        Some(Kamailio { bin, mpath })
    }

    /// The first line of `kamailio -v`, e.g. `version: kamailio 5.6.3 (x86_64/linux)`.
    pub fn version(&self) -> String {
        std::process::Command::new(&self.bin)
            .arg("-v")
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// Run `kamailio -c` on a copy of `file` made machine-independent by [`rewrite_for_check`]
    /// (line numbers kept), from the file's own directory (relative includes), with a timeout.
    pub fn check(
        &self,
        file: &Path,
        timeout: std::time::Duration,
    ) -> std::io::Result<KamailioCheck> {
        use std::process::{Command, Stdio};
        let file = std::fs::canonicalize(file)?;
        let tmp = TempDir::new("kcfg-kamailio-check")?;
        let copy = tmp
            .path()
            .join(file.file_name().unwrap_or_else(|| "kamailio.cfg".as_ref()));
        std::fs::write(&copy, rewrite_for_check(&std::fs::read(&file)?))?;
        let stderr_path = tmp.path().join("stderr.log");
        let mut child = Command::new(&self.bin)
            .args(["-c", "-E", "-f"])
            .arg(&copy)
            .arg("-L")
            .arg(&self.mpath)
            .arg("-Y")
            .arg(tmp.path().join("run"))
            .args(["-l", "udp:127.0.0.1:5060"])
            .current_dir(file.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path)?)
            .spawn()?;
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let stderr = String::from_utf8_lossy(&std::fs::read(&stderr_path)?).into_owned();
        let tmp_cfg = copy.to_string_lossy().into_owned();
        let verdict = match status {
            None => KamailioVerdict::Timeout,
            Some(s) => classify_check(s.code(), &stderr, &tmp_cfg),
        };
        // show the original path in messages instead of the temporary copy
        let stderr = stderr.replace(&tmp_cfg, &file.to_string_lossy());
        let verdict = verdict.map_message(|m| m.replace(&tmp_cfg, &file.to_string_lossy()));
        Ok(KamailioCheck { verdict, stderr })
    }
}

/// What `kamailio -c` said about a file.
#[derive(Debug, Clone)]
pub struct KamailioCheck {
    pub verdict: KamailioVerdict,
    /// the whole stderr (the temporary copy's path replaced by the original one)
    pub stderr: String,
}

/// Kamailio's verdict on a file, reduced to what a syntax checker can be compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KamailioVerdict {
    /// exit 0 and `config file ok`
    Accept,
    /// The first grammar-level error in the checked file: bison's `syntax error`, or an error of
    /// the lexer/preprocessor ([`KAMAILIO_LEXER_ERRORS_WITH_LINE`],
    /// [`KAMAILIO_LEXER_ERRORS_WITHOUT_LINE`]). `lines` is the 1-based line range
    /// Kamailio reports (`line N` → N..=N, `from line N ... to line M` → N..=M); `None` when
    /// Kamailio gives no line (unexpected EOF in a string or comment, unbalanced `#!ifdef`).
    Syntax {
        lines: Option<(u32, u32)>,
        message: String,
    },
    /// Failed without any grammar-level error in the checked file (missing module, unknown
    /// function, bad PV, error in an included file, ...). `complete`: the parser ran to the end of
    /// the file (`parsing code: 0`), so it would have reported any syntax error. Otherwise
    /// `parsed_to` is the last line of the checked file Kamailio reported an error on: the parser
    /// got at least that far.
    Other {
        message: String,
        complete: bool,
        parsed_to: Option<u32>,
    },
    /// `kamailio -c` did not finish in time
    Timeout,
}

impl KamailioVerdict {
    fn map_message(self, f: impl Fn(&str) -> String) -> KamailioVerdict {
        match self {
            KamailioVerdict::Syntax { lines, message } => KamailioVerdict::Syntax {
                lines,
                message: f(&message),
            },
            KamailioVerdict::Other {
                message,
                complete,
                parsed_to,
            } => KamailioVerdict::Other {
                message: f(&message),
                complete,
                parsed_to,
            },
            v => v,
        }
    }
}

/// Bison's own message for a grammar error: always the first message of a syntax error.
pub const KAMAILIO_SYNTAX_ERROR: &str = "syntax error";

/// The `yyerror` messages of Kamailio's grammar (`src/core/cfg.y`) that are raised only in rules
/// with bison's `error` token. They are follow-ups, never the first message of a syntax error:
/// bison reports [`KAMAILIO_SYNTAX_ERROR`] at the same token before it reduces an `error` rule.
/// Without a preceding `syntax error` they follow a semantic action that rejected its rule with
/// `YYERROR` (e.g. `bad expression: type mismatch` followed by `bad command` a few lines later),
/// so they are not counted as syntax errors on their own. Messages of semantic actions
/// (`unknown command, missing loadmodule?`, `failed to load module`, `Can't set module
/// parameter`, `Command cannot be used in the block`, `read only pvar in assignment left side`,
/// `Can't get from cache: ...`, `duplicate route`, `flag not declared`, type mismatches, ...)
/// are never syntax errors.
pub const KAMAILIO_ERROR_RULE_MESSAGES: &[&str] = &[
    "",
    "'('')' expected (function call)",
    "==, !=, <,>, >= or <=  expected",
    "ID expected",
    "IPv4 address expected",
    "IPv6 address expected",
    "Invalid arguments",
    "SSLv23, SSLv2, SSLv3 or TLSv1 expected",
    "TCP, TLS, SCTP or UDP expected",
    "URI, SRCIP or DSTIP expected",
    "avpflag list expected",
    "bad argument, UDP, TCP, TLS or SCTP expected",
    "bad argument, [proto:]host[:port] expected",
    "bad argument, number expected",
    "bad argument, string expected",
    "bad arguments, string and number expected",
    "bad arguments, string expected",
    "bad case body",
    "bad case regex label",
    "bad command",
    "bad command block",
    "bad command: missing ';'?",
    "bad error argument",
    "bad expression",
    "bad forward argument",
    "bad forward_sctp argument",
    "bad forward_tcp argument",
    "bad forward_tls argument",
    "bad forward_udp argument",
    "bad log argument",
    "bad parameters",
    "bad route argument",
    "boolean expected",
    "boolean or number expected",
    "boolean value expected",
    "error parsing first parameter (avp or string)",
    "error parsing flag name",
    "flag list expected",
    "hostname expected",
    "int value expected",
    "invalid  request_route  statement",
    "invalid  route  statement",
    "invalid branch_route statement",
    "invalid event_route statement",
    "invalid failure_route statement",
    "invalid host or interface name",
    "invalid hostname",
    "invalid onreply_route statement",
    "invalid onsend_route statement",
    "invalid operator, == , != or =~ expected",
    "invalid operator, == or != expected",
    "invalid operator, ==, != or =~ expected",
    "invalid operator,== , !=, or =~ expected",
    "invalid subst preprocess statement",
    "invalid substdef preprocess statement",
    "invalid substdefs preprocess statement",
    "ip address or hostname expected",
    "ip address, interface name or hostname expected",
    "missing '(' or ')' ?",
    "missing '(' or ')'?",
    "netmask (eg:255.0.0.0 or 8) expected",
    "number  expected",
    "number expected",
    "number or string expected",
    "number or string value expected",
    "number(flags) expected",
    "poll method name expected",
    "port number expected",
    "protocol expected (udp, tcp, tls, sctp, ws, or wss)",
    "string or MYSELF expected",
    "string or number value expected",
    "string value expected",
    "unknown config variable",
];

/// Errors of Kamailio's lexer (`cfg.lex`, `<<EOF>>` rule) and preprocessor that carry no line.
pub const KAMAILIO_LEXER_ERRORS_WITHOUT_LINE: &[&str] = &[
    "unexpected EOF in unclosed string",
    "comments open",
    "unexpected EOF:comment line open",
    "unexpected EOF while parsing avp name",
    "unexpected EOF while parsing pvar name",
    "unexpected EOF while parsing avp or pvar name",
    "different number of preprocessor directives",
];

/// Errors of Kamailio's lexer with a line: `error at FILE line N: MSG`.
pub const KAMAILIO_LEXER_ERRORS_WITH_LINE: &[&str] = &[
    "'-' not allowed",
    "unexpected character after ID in undefine",
];

/// One `parse error in config file F, line N, column C: MSG` (or `from line N, column C to line
/// M, column D: MSG`) of Kamailio's stderr: (file, first line, last line, message).
pub fn parse_kamailio_parse_error(line: &str) -> Option<(String, u32, u32, String)> {
    let marker = "parse error in config file ";
    let rest = &line[line.find(marker)? + marker.len()..];
    // the file name ends at the last ", line " / ", from line " before the message
    let (end, delimiter) = [", from line ", ", line "]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, *m)))
        .min()?;
    let file = rest[..end].to_string();
    let pos = &rest[end + delimiter.len()..];
    let number = |s: &str| -> Option<u32> {
        s[..s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())]
            .parse()
            .ok()
    };
    let first = number(pos)?;
    let last = match pos.find(" to line ") {
        Some(i) if pos[..i].find(": ").is_none() => number(&pos[i + " to line ".len()..])?,
        _ => first,
    };
    let message = &pos[pos.find(": ")? + 2..];
    Some((file, first, last, message.trim_end().to_string()))
}

/// Classify the outcome of `kamailio -c -f TMP_CFG` (exit code and stderr).
pub fn classify_check(exit: Option<i32>, stderr: &str, tmp_cfg: &str) -> KamailioVerdict {
    let is_main = |f: &str| f == tmp_cfg || f == "cfg";
    if exit == Some(0) && stderr.contains("config file ok") {
        return KamailioVerdict::Accept;
    }
    let mut first_other: Option<String> = None;
    let mut parsed_to: Option<u32> = None;
    for line in stderr.lines() {
        let text = strip_log_prefix(line);
        if let Some((file, first, last, message)) = parse_kamailio_parse_error(text) {
            if is_main(&file) {
                if message == KAMAILIO_SYNTAX_ERROR {
                    return KamailioVerdict::Syntax {
                        lines: Some((first, last)),
                        message: text.to_string(),
                    };
                }
                parsed_to = Some(parsed_to.map_or(last, |p| p.max(last)));
            }
            first_other.get_or_insert_with(|| text.to_string());
            continue;
        }
        if let Some(i) = text.find("error at ") {
            // `error at FILE line N: '-' not allowed` (the main file is `cfg` before the first yyerror)
            let rest = &text[i + "error at ".len()..];
            if let Some(j) = rest.find(" line ") {
                let file = &rest[..j];
                let after = &rest[j + " line ".len()..];
                let n: Option<u32> = after
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|d| d.parse().ok());
                if KAMAILIO_LEXER_ERRORS_WITH_LINE
                    .iter()
                    .any(|m| after.contains(m))
                {
                    if is_main(file) {
                        return KamailioVerdict::Syntax {
                            lines: n.map(|n| (n, n)),
                            message: text.to_string(),
                        };
                    }
                    first_other.get_or_insert_with(|| text.to_string());
                    continue;
                }
            }
        }
        if KAMAILIO_LEXER_ERRORS_WITHOUT_LINE
            .iter()
            .any(|m| text.contains(m))
        {
            return KamailioVerdict::Syntax {
                lines: None,
                message: text.to_string(),
            };
        }
        let is_error = ["CRITICAL:", "ERROR:", "ALERT:", "BUG:", "EMERGENCY:"]
            .iter()
            .any(|l| text.starts_with(l));
        if is_error && !text.contains("bad config file (") {
            first_other.get_or_insert_with(|| text.to_string());
        }
    }
    let complete = stderr
        .lines()
        .any(|l| l.contains("bad config file (") && l.contains("(parsing code: 0)"));
    let message = first_other
        .or_else(|| {
            stderr
                .lines()
                .map(strip_log_prefix)
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("exit {exit:?} without output"));
    KamailioVerdict::Other {
        message,
        complete,
        parsed_to,
    }
}

/// ` 0(18445) CRITICAL: <core> [core/cfg.y:3787]: yyerror_at(): parse error ...` →
/// `CRITICAL: <core> [core/cfg.y:3787]: yyerror_at(): parse error ...`
fn strip_log_prefix(line: &str) -> &str {
    let t = line.trim_start();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let rest = &t[digits..];
    if digits > 0 && rest.starts_with('(') {
        if let Some(close) = rest.find(") ") {
            if rest[1..close].chars().all(|c| c.is_ascii_digit()) {
                return &rest[close + 2..];
            }
        }
    }
    t
}

/// The copy of a config that `kamailio -c` checks (what the oracle scripts do), line numbers kept:
/// `listen=` and `mpath=` lines commented out (the check passes `-l udp:127.0.0.1:5060` and `-L`)
/// behind a no-op `log_stderror=yes`, `loadmodule "/a/b/x.so"` reduced to `loadmodule "x.so"`.
pub fn rewrite_for_check(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 64);
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let indent = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let (ws, rest) = line.split_at(indent);
        let is_assign = |kw: &[u8]| {
            rest.strip_prefix(kw)
                .is_some_and(|r| r.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'='))
        };
        if is_assign(b"listen") || is_assign(b"mpath") {
            // a no-op statement keeps a file made only of `listen=` lines non-empty (Kamailio
            // rejects a config without any statement)
            out.extend_from_slice(ws);
            out.extend_from_slice(b"log_stderror=yes #ORACLE# ");
            out.extend_from_slice(rest);
        } else if let Some(path) = absolute_loadmodule_path(rest) {
            let start = indent + path.start;
            let base = &line[path.clone()];
            let base_start = base.iter().rposition(|&b| b == b'/').map_or(0, |p| p + 1);
            out.extend_from_slice(&line[..start]);
            out.extend_from_slice(&base[base_start..]);
            out.extend_from_slice(&line[indent + path.end..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// In `loadmodule "/a/b/x.so"...`, the byte range of `/a/b/x.so` (only when it is absolute, has a
/// directory part and a file name).
fn absolute_loadmodule_path(rest: &[u8]) -> Option<std::ops::Range<usize>> {
    let after_kw = rest.strip_prefix(b"loadmodule")?;
    let ws = after_kw
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    if ws == 0 || after_kw.get(ws) != Some(&b'"') {
        return None;
    }
    let start = "loadmodule".len() + ws + 1;
    let len = rest[start..].iter().position(|&b| b == b'"')?;
    let path = &rest[start..start + len];
    let last_slash = path.iter().rposition(|&b| b == b'/')?;
    (path.first() == Some(&b'/') && last_slash > 0 && last_slash + 1 < path.len())
        .then_some(start..start + len)
}

/// A temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        loop {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("{prefix}.{}.{n}.{nanos}", std::process::id()));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- real Kamailio with defines and a real start-up (differential check test) ----

/// What one run of Kamailio (`-c`, or a start-up) left behind.
#[derive(Debug, Clone)]
pub struct KamailioRun {
    /// exit status; `None` when Kamailio was still running (start-up) or was killed (timeout)
    pub exit: Option<i32>,
    /// `-c`: exit 0 and `config file ok`; start-up: the UDP socket was bound and Kamailio was
    /// still running after the settle time
    pub ok: bool,
    /// Kamailio neither finished (`-c`) nor came up or exited (start-up) in time
    pub timed_out: bool,
    /// stderr, with the temporary copy's path replaced by the original one
    pub stderr: String,
    /// the UDP port of a start-up (0 for `-c`)
    pub port: u16,
}

/// [`rewrite_for_check`], and `loadmodule "dir/x.so"` with a relative directory part (a build
/// tree path such as `modules/sl/sl.so` of old SER configs) reduced to `loadmodule "x.so"`: like
/// an absolute path, it says where modules are installed, not which module is meant. Line
/// numbers are kept.
pub fn rewrite_for_run(text: &[u8]) -> Vec<u8> {
    let text = rewrite_for_check(text);
    let mut out = Vec::with_capacity(text.len());
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let indent = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let rest = &line[indent..];
        let reduced = (|| {
            let after_kw = rest.strip_prefix(b"loadmodule")?;
            let ws = after_kw
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            if ws == 0 || after_kw.get(ws) != Some(&b'"') {
                return None;
            }
            let start = indent + "loadmodule".len() + ws + 1;
            let len = line[start..].iter().position(|&b| b == b'"')?;
            let path = &line[start..start + len];
            let slash = path.iter().rposition(|&b| b == b'/')?;
            (path.first() != Some(&b'/') && slash + 1 < path.len())
                .then(|| [&line[..start], &path[slash + 1..], &line[start + len..]].concat())
        })();
        out.extend_from_slice(reduced.as_deref().unwrap_or(line));
    }
    out
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(35060)
}

/// Is 127.0.0.1:`port` bound as UDP (Linux `/proc/net/udp`)?
pub fn udp_port_bound(port: u16) -> bool {
    let needle = format!("0100007F:{port:04X} ");
    std::fs::read_to_string("/proc/net/udp").is_ok_and(|t| t.lines().any(|l| l.contains(&needle)))
}

impl Kamailio {
    /// The `-A NAME` arguments and the common ones (`-E -f COPY -L MPATH -Y RUNDIR`) for a copy
    /// of `file` made by [`rewrite_for_run`] in `tmp`; run from the file's own directory
    /// (relative includes are looked for there first, as Kamailio does).
    fn command_for(
        &self,
        file: &Path,
        defines: &[String],
        tmp: &TempDir,
    ) -> std::io::Result<(std::process::Command, String)> {
        use std::process::{Command, Stdio};
        let copy = tmp
            .path()
            .join(file.file_name().unwrap_or_else(|| "kamailio.cfg".as_ref()));
        std::fs::write(&copy, rewrite_for_run(&std::fs::read(file)?))?;
        let run_dir = tmp.path().join("run");
        std::fs::create_dir_all(&run_dir)?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-E")
            .arg("-f")
            .arg(&copy)
            .arg("-L")
            .arg(&self.mpath)
            .arg("-Y")
            .arg(&run_dir);
        for d in defines {
            cmd.arg("-A").arg(d);
        }
        cmd.current_dir(file.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        Ok((cmd, copy.to_string_lossy().into_owned()))
    }

    /// `kamailio -c` with `-A` defines on a copy made by [`rewrite_for_run`] (as
    /// [`Kamailio::check`] does, which takes no defines).
    pub fn run_check(
        &self,
        file: &Path,
        defines: &[String],
        timeout: std::time::Duration,
    ) -> std::io::Result<KamailioRun> {
        let file = std::fs::canonicalize(file)?;
        let tmp = TempDir::new("kcfg-kamailio-run")?;
        let (mut cmd, tmp_cfg) = self.command_for(&file, defines, &tmp)?;
        let stderr_path = tmp.path().join("stderr.log");
        cmd.arg("-c")
            .args(["-l", "udp:127.0.0.1:5060"])
            .stderr(std::fs::File::create(&stderr_path)?);
        let mut child = cmd.spawn()?;
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let stderr = original_paths(&std::fs::read(&stderr_path)?, &tmp_cfg, &tmp, &file);
        Ok(KamailioRun {
            exit: status.and_then(|s| s.code()),
            ok: status.is_some_and(|s| s.success()) && stderr.contains("config file ok"),
            timed_out: status.is_none(),
            stderr,
            port: 0,
        })
    }

    /// A real start-up on loopback, as `oracle-check.sh --deep` does: `-DD -E -n 1 -m 64 -M 8
    /// -l udp:127.0.0.1:PORT` on a free port, in a process group of its own. It is up when its
    /// UDP socket is bound and it still runs `settle` later; it failed when it exits first.
    /// Kamailio is then stopped through its process group (TERM, then KILL).
    pub fn run_start(
        &self,
        file: &Path,
        defines: &[String],
        timeout: std::time::Duration,
        settle: std::time::Duration,
    ) -> std::io::Result<KamailioRun> {
        use std::os::unix::process::CommandExt;
        let file = std::fs::canonicalize(file)?;
        let tmp = TempDir::new("kcfg-kamailio-start")?;
        let (mut cmd, tmp_cfg) = self.command_for(&file, defines, &tmp)?;
        let stderr_path = tmp.path().join("stderr.log");
        let port = free_udp_port();
        cmd.args(["-DD", "-n", "1", "-m", "64", "-M", "8", "-l"])
            .arg(format!("udp:127.0.0.1:{port}"))
            .stderr(std::fs::File::create(&stderr_path)?)
            .process_group(0);
        let mut child = cmd.spawn()?;
        let deadline = std::time::Instant::now() + timeout;
        let (mut ok, mut timed_out, mut exit) = (false, false, None);
        loop {
            if let Some(status) = child.try_wait()? {
                exit = status.code();
                break;
            }
            if udp_port_bound(port) {
                std::thread::sleep(settle);
                match child.try_wait()? {
                    Some(status) => exit = status.code(),
                    None => ok = true,
                }
                break;
            }
            if std::time::Instant::now() >= deadline {
                timed_out = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        stop_process_group(&mut child);
        let stderr = original_paths(&std::fs::read(&stderr_path)?, &tmp_cfg, &tmp, &file);
        Ok(KamailioRun {
            exit,
            ok,
            timed_out,
            stderr,
            port,
        })
    }
}

/// Kamailio's stderr with the temporary copy's path (and its directory, where Kamailio also
/// looks for relative includes) shown as the original file's.
fn original_paths(stderr: &[u8], tmp_cfg: &str, tmp: &TempDir, file: &Path) -> String {
    let dir = file.parent().unwrap_or(Path::new("/"));
    String::from_utf8_lossy(stderr)
        .replace(tmp_cfg, &file.to_string_lossy())
        .replace(
            &format!("{}/", tmp.path().display()),
            &format!("{}/", dir.display()),
        )
}

/// Stop a child started with `process_group(0)` and whatever it forked: TERM to its group, up to
/// 3 s for it to exit, then KILL to the group.
fn stop_process_group(child: &mut std::process::Child) {
    use std::process::{Command, Stdio};
    let group = format!("-{}", child.id());
    if matches!(child.try_wait(), Ok(None)) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        for _ in 0..60 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    // workers that outlived the main process stay in the group
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

// ---- `kamailio --cfg-print` (differential expand test) ----

/// What `kamailio --cfg-print` printed.
#[derive(Debug, Clone)]
pub struct CfgPrint {
    /// standard output: the expanded config
    pub stdout: Vec<u8>,
    /// standard error (log lines, errors)
    pub stderr: String,
    /// exit status; `None` when killed after the timeout
    pub exit: Option<i32>,
}

impl Kamailio {
    /// `kamailio --cfg-print -f FILE [-A DEF]...` on the file itself (cfg-print loads no
    /// module and opens no socket, so no copy is needed), run from the file's directory
    /// (relative includes are looked for there first, as Kamailio does), with a timeout.
    pub fn cfg_print(
        &self,
        file: &Path,
        defines: &[String],
        timeout: std::time::Duration,
    ) -> std::io::Result<CfgPrint> {
        use std::process::{Command, Stdio};
        let file = std::fs::canonicalize(file)?;
        let tmp = TempDir::new("kcfg-kamailio-cfgprint")?;
        let out_path = tmp.path().join("stdout");
        let err_path = tmp.path().join("stderr");
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--cfg-print")
            .arg("-f")
            .arg(&file)
            .arg("-L")
            .arg(&self.mpath)
            .arg("-Y")
            .arg(tmp.path());
        for d in defines {
            cmd.arg("-A").arg(d);
        }
        let mut child = cmd
            .current_dir(file.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path)?)
            .stderr(std::fs::File::create(&err_path)?)
            .spawn()?;
        let deadline = std::time::Instant::now() + timeout;
        let exit = loop {
            if let Some(status) = child.try_wait()? {
                break status.code();
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        Ok(CfgPrint {
            stdout: std::fs::read(&out_path)?,
            stderr: String::from_utf8_lossy(&std::fs::read(&err_path)?).into_owned(),
            exit,
        })
    }
}
