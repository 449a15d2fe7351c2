//! Differential test of `kcfg check` against real Kamailio 5.6.3: its verdict (accept or
//! reject) and the line of its first error.
//!
//! Cases: every corpus file (the stock `etc/kamailio.cfg` once per define set of
//! [`STOCK_DEFINE_SETS`]), `fixtures/check/err/*.cfg` (one broken thing each, Kamailio rejects
//! them) and `fixtures/check/ok/*.cfg` (Kamailio accepts and starts them). A fixture's first
//! line is `# expect: <class>: <what>`; `X.cfg.defines` lists `-A` defines for `X.cfg`, one a
//! line. Helper files of fixtures live in `inc/` and are not cases of their own.
//!
//! Kamailio's verdict: `kamailio -c` and, when that passes, a real start-up on loopback (free
//! UDP port, `-DD -E -n 1 -m 64 -M 8`, up when the port is bound and it still runs a second
//! later; then its process group is stopped). That runs mod_init and the fixups, which catch
//! `route(NAME)` of no route, bad PVs and transformations inside strings, non-numeric reply
//! codes, bad regexes, unknown xlog levels.
//!
//! Failures caused by this machine, not by the config, are ENV and left out of the figures
//! (each is listed with its reason):
//! - `kamailio -c` fails only because of a module that Kamailio 5.6.3 has but this machine
//!   does not (Debian ships no `dlgs`, `print`, `rtp_media_server`, ...; see
//!   [`missing_installed_module`]). Its `loadmodule`, its `modparam`s, calls of its
//!   functions, its PVs and transformations are masked ([`follows_from_missing`]); when
//!   anything else fails, that is Kamailio's verdict and first error (the stock config: the
//!   6.0 function `send_reply_error` at line 637), else the case is ENV. A `loadmodule` path
//!   with directories (`modules/sl/sl.so`, a source tree) is reduced to the file name first,
//!   as absolute paths are.
//! - the first error of a failed start-up is the machine's ([`env_reason`]): no database or
//!   other server, a file the config names is missing (TLS certificate or key, XML, script,
//!   database file, modem, socket directory), DNS, a port or address that cannot be bound,
//!   permissions; or a start-up that came up but logged such an error (workers connect to
//!   databases after the socket is bound, so their failure may come after the settle time).
//! - Kamailio timed out (`-c`: 30 s, start-up: 20 s).
//!
//! kcfg's verdict: `check_bytes` (what `kcfg check` runs) for Kamailio 5.6 with the same
//! defines; reject iff it reports an error-severity diagnostic (in the file or its includes).
//! Its first error is the first in the order Kamailio reads the text (an included file's
//! findings at its `include_file` line). It agrees on the line when Kamailio's first located
//! error is in the same file and within the lines Kamailio can name for that diagnostic
//! ([`kamailio_lines`]: the call, expression or simple statement around it, since Kamailio
//! reports where its grammar reduces the rule; for a duplicate route the duplicate block; for
//! a syntax error also its unexpected token). Kamailio reports an unbalanced `#!ifdef` only at
//! the end of the text, so kcfg's findings of that kind are ordered last. Kamailio errors
//! without a line (unbalanced `#!ifdef`, include cycle) only count for the verdict; a missing
//! include, which Kamailio reports without a line, is placed at its `include_file`.
//!
//! `KCFG_DIFF_VERBOSE=1` prints both verdicts of every case.
//!
//! The figures must stay at or above the thresholds (verdict ≥ 99 %, first error line
//! ≥ 95 %), every fixture must still get the verdict it was written for, and
//! `fixtures/check/never/*.cfg` (what Kamailio never reports) must be accepted by Kamailio and
//! reported by kcfg with the check named in `# expect:`.
//!
//! Without Kamailio the tests are skipped, except in CI (`CI=true`) where they fail.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kcfg_diagnostics::{Diagnostic, Files, Severity};
use kcfg_tests::{corpus_files, root, Kamailio, KamailioRun};

/// Kamailio runs at a time: a start-up mostly waits (bind, settle), so more than the cores.
const WORKERS: usize = 6;
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
const START_TIMEOUT: Duration = Duration::from_secs(20);
const SETTLE: Duration = Duration::from_millis(1000);
/// The thresholds, in percent.
const VERDICT_THRESHOLD: f64 = 99.0;
const LINE_THRESHOLD: f64 = 95.0;

/// The stock config (relative to `fixtures/corpus`) and the define sets it is checked with.
const STOCK_CFG: &str = "etc/kamailio.cfg";
/// The `WITH_*` features of the stock config that need no server at start-up. Left out:
/// `WITH_MYSQL` and what its header says needs it (`WITH_AUTH`, `WITH_IPAUTH`,
/// `WITH_USRLOCDB`, `WITH_ACCDB`, `WITH_PRESENCE`, `WITH_MSGREBUILD`, `WITH_ALIASDB`,
/// `WITH_SPEEDDIAL`, `WITH_MULTIDOMAIN`): they connect to a database when Kamailio starts.
/// `WITH_TLS` needs certificate files to start, but the 6.0 config already fails `-c` on 5.6.
const STOCK_DEFINE_SETS: &[&[&str]] = &[
    &[],
    &["WITH_DEBUG"],
    &["WITH_NAT"],
    &["WITH_NAT", "WITH_NATSIPPING"],
    &["WITH_NAT", "WITH_RTPENGINE"],
    &["WITH_ANTIFLOOD"],
    &["WITH_HTABLE"],
    &["WITH_JSONRPC"],
    &["WITH_PSTN"],
    &["WITH_VOICEMAIL"],
    &["WITH_BLOCK3XX", "WITH_BLOCK401407"],
    &["WITH_TLS"],
    // DBURL is defined only under WITH_MYSQL: Kamailio rejects its use
    &["WITH_AUTH"],
    &["WITH_MYSQL", "WITH_AUTH"],
    &[
        "WITH_DEBUG",
        "WITH_NAT",
        "WITH_NATSIPPING",
        "WITH_ANTIFLOOD",
        "WITH_JSONRPC",
        "WITH_PSTN",
        "WITH_VOICEMAIL",
        "WITH_BLOCK3XX",
        "WITH_BLOCK401407",
    ],
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Corpus,
    /// `fixtures/check/err`: Kamailio must reject it
    Err,
    /// `fixtures/check/ok`: Kamailio must accept and start it
    Ok,
    /// `fixtures/check/never`: Kamailio accepts and starts it; kcfg must report its check
    Never,
}

#[derive(Debug, Clone)]
struct Case {
    file: PathBuf,
    defines: Vec<String>,
    source: Source,
    /// the fixture's `# expect:` line, without `# expect: `
    expect: Option<String>,
}

impl Case {
    fn name(&self) -> String {
        let path = self.file.strip_prefix(root()).unwrap_or(&self.file);
        let mut s = path.display().to_string();
        for d in &self.defines {
            s += &format!(" -A {d}");
        }
        s
    }
}

// ---------------------------------------------------------------- Kamailio's side

/// Where Kamailio reported an error: the file as it printed it (resolved against the main
/// file's directory, Kamailio's working directory) and the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Loc {
    file: PathBuf,
    line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Check,
    Startup,
}

#[derive(Debug, Clone)]
enum KamVerdict {
    Accept,
    Reject {
        stage: Stage,
        message: String,
        at: Option<Loc>,
    },
    Env {
        reason: String,
    },
}

/// One error of Kamailio: the log lines that belong together (detail lines, then the line that
/// says where, e.g. `failed to find command X` + `parse error in config file F, line N`).
#[derive(Debug, Clone)]
struct Incident {
    lines: Vec<String>,
    at: Option<Loc>,
}

impl Incident {
    fn message(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for l in &self.lines {
            if parts.len() < 2 && !parts.contains(&l.as_str()) {
                parts.push(l);
            }
        }
        parts.join(" | ")
    }
}

/// ` 0(18445) CRITICAL: <core> [core/cfg.y:3787]: ...` → `CRITICAL: <core> [core/cfg.y:3787]: ...`
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

const ERROR_LEVELS: &[&str] = &["CRITICAL:", "ERROR:", "ALERT:", "BUG:", "EMERGENCY:"];
const QUIET_LEVELS: &[&str] = &["INFO:", "NOTICE:", "WARNING:", "DEBUG:", "DBG:"];
/// Error lines that say nothing about the config (summaries, shutdown noise).
const NOT_ERRORS: &[&str] = &[
    "bad config file (",
    "error while initializing modules",
    "while trying to fix configuration",
    // logged by modules that bind tm optionally when they are loaded before it
    "Module not initialized yet",
    "sctp_core_destroy",
    "handle_sigs()",
    "sig_usr()",
    "config file ok",
];

/// The number at the start of `s`.
fn leading_number(s: &str) -> Option<u32> {
    s[..s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())]
        .parse()
        .ok()
}

/// The place a log line names: `parse error in config file F, line N` (or `from line N`),
/// `error at F line N`, `... not found at F:N`, `... at cfg:F:N`, `failure in cfg at line: N`
/// (no file). The file is `None` when the line names none; `cfg` is the main file.
fn line_location(text: &str) -> Option<(Option<String>, u32)> {
    if let Some((file, first, _, _)) = kcfg_tests::parse_kamailio_parse_error(text) {
        return Some((Some(file), first));
    }
    if let Some(i) = text.find("error at ") {
        let rest = &text[i + "error at ".len()..];
        if let Some(j) = rest.find(" line ") {
            if let Some(n) = leading_number(&rest[j + " line ".len()..]) {
                return Some((Some(rest[..j].to_string()), n));
            }
        }
    }
    for marker in [" not found at ", " at cfg:"] {
        if let Some(i) = text.rfind(marker) {
            let rest = text[i + marker.len()..].trim_end();
            if let Some((file, line)) = rest.rsplit_once(':') {
                if let Some(n) = leading_number(line) {
                    return Some((Some(file.to_string()), n));
                }
            }
        }
    }
    if let Some(i) = text.find("failure in cfg at line: ") {
        if let Some(n) = leading_number(&text[i + "failure in cfg at line: ".len()..]) {
            return Some((None, n));
        }
    }
    None
}

/// Resolve a file name Kamailio printed: `cfg` and the checked file are the main file;
/// relative names are relative to the main file's directory (Kamailio's working directory).
fn resolve_kamailio_file(printed: Option<&str>, main: &Path) -> PathBuf {
    match printed {
        None | Some("cfg") => main.to_path_buf(),
        Some(f) => {
            let p = Path::new(f);
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                main.parent().unwrap_or(Path::new("/")).join(p)
            };
            std::fs::canonicalize(&p).unwrap_or(p)
        }
    }
}

/// Kamailio's errors, grouped into incidents. An incident ends with the line that names a
/// place; a place without a file takes the file of the next line that names one.
fn incidents(stderr: &str, main: &Path) -> Vec<Incident> {
    let lines: Vec<&str> = stderr.lines().map(strip_log_prefix).collect();
    let is_error = |l: &str| {
        ERROR_LEVELS.iter().any(|lv| l.starts_with(lv))
            || (l.contains("failed to load external entity")
                && !QUIET_LEVELS.iter().any(|lv| l.starts_with(lv)))
    };
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !is_error(l) || NOT_ERRORS.iter().any(|n| l.contains(n)) {
            continue;
        }
        current.push(l.to_string());
        if let Some((file, line)) = line_location(l) {
            let file = file.or_else(|| {
                lines[i + 1..]
                    .iter()
                    .filter_map(|l| line_location(l))
                    .find_map(|(f, _)| f)
            });
            out.push(Incident {
                lines: std::mem::take(&mut current),
                at: Some(Loc {
                    file: resolve_kamailio_file(file.as_deref(), main),
                    line,
                }),
            });
        }
    }
    // errors after the last place: one incident each (`cannot open included file`,
    // `different number of preprocessor directives`, start-up errors of modules)
    for l in current {
        out.push(Incident {
            lines: vec![l],
            at: None,
        });
    }
    if out.is_empty() {
        // nothing at an error level: the first line that is not quiet
        if let Some(l) = lines.iter().find(|l| {
            !l.trim().is_empty()
                && !QUIET_LEVELS.iter().any(|lv| l.contains(lv))
                && !NOT_ERRORS.iter().any(|n| l.contains(n))
        }) {
            out.push(Incident {
                lines: vec![l.to_string()],
                at: None,
            });
        }
    }
    out
}

/// `cannot open included file: NAME (...)` gives no line: the place is the first
/// `include_file "NAME"` Kamailio reads, following includes from the main file (each looked
/// for in the main file's directory, then in the including file's).
fn locate_missing_include(incident: &Incident, main: &Path) -> Option<Loc> {
    let marker = "cannot open included file: ";
    let line = incident.lines.iter().find(|l| l.contains(marker))?;
    let rest = &line[line.find(marker)? + marker.len()..];
    let name = rest.split(" (").next()?.trim().trim_matches('"');
    fn walk(file: &Path, name: &str, main_dir: &Path, seen: &mut HashSet<PathBuf>) -> Option<Loc> {
        if !seen.insert(file.to_path_buf()) {
            return None;
        }
        let text = std::fs::read_to_string(file).ok()?;
        for (i, l) in text.lines().enumerate() {
            let t = l.trim_start();
            let Some(arg) = ["include_file", "import_file"]
                .iter()
                .find_map(|kw| t.strip_prefix(kw))
            else {
                continue;
            };
            let arg = arg.trim().trim_matches('"');
            if arg == name {
                return Some(Loc {
                    file: file.to_path_buf(),
                    line: i as u32 + 1,
                });
            }
            let dir = file.parent().unwrap_or(Path::new("/"));
            let found = [main_dir.join(arg), dir.join(arg)]
                .into_iter()
                .find(|p| p.is_file())?;
            if let Some(loc) = walk(
                &std::fs::canonicalize(&found).unwrap_or(found),
                name,
                main_dir,
                seen,
            ) {
                return Some(loc);
            }
        }
        None
    }
    walk(
        main,
        name,
        main.parent().unwrap_or(Path::new("/")),
        &mut HashSet::new(),
    )
}

/// A module of Kamailio 5.6.3 that `could not find module <X>` names but that is not installed
/// here (Debian does not ship ~22 upstream modules, e.g. `dlgs`): ENV. A relative path is
/// reduced to its file name by `rewrite_for_run`; a module 5.6.3 does not have is a config
/// error (unknown module).
fn missing_installed_module(line: &str, kamailio: &Kamailio) -> Option<String> {
    let marker = "could not find module <";
    let rest = &line[line.find(marker)? + marker.len()..];
    let name = &rest[..rest.find('>')?];
    let base = name.rsplit('/').next()?.trim_end_matches(".so");
    let db = kcfg_modules::db(kcfg_modules::KamailioVersion::V5_6);
    (db.module(base).is_some() && !kamailio.mpath.join(format!("{base}.so")).exists())
        .then(|| base.to_string())
}

/// Does an incident of `kamailio -c` only follow from a module that is not installed: its
/// `loadmodule`, a `modparam` of it, a call of one of its functions, a PV or a transformation
/// class of it?
fn follows_from_missing(incident: &Incident, missing: &BTreeSet<String>) -> bool {
    let db = kcfg_modules::db(kcfg_modules::KamailioVersion::V5_6);
    let quoted = |l: &str, open: &str, close: char| -> Option<String> {
        let rest = &l[l.find(open)? + open.len()..];
        Some(rest[..rest.find(close)?].to_string())
    };
    incident.lines.iter().any(|l| {
        if let Some(m) = quoted(l, "could not find module <", '>') {
            let base = m.rsplit('/').next().unwrap_or(&m).trim_end_matches(".so");
            return missing.contains(base);
        }
        if let Some(m) = quoted(l, "No module matching <", '>') {
            return missing.contains(&m.to_ascii_lowercase());
        }
        if let Some(f) = quoted(l, "failed to find command ", ' ') {
            return missing.iter().any(|m| {
                db.module_functions(m)
                    .iter()
                    .any(|v| v.name.eq_ignore_ascii_case(&f))
            });
        }
        if let Some(p) = quoted(l, "error searching pvar \"", '"') {
            return db
                .pv_class(&p)
                .is_some_and(|c| c.modules.iter().any(|m| missing.contains(*m)));
        }
        if let Some(c) = quoted(l, "unknown transformation: [", ']') {
            return missing.iter().any(|m| {
                db.transformations()
                    .any(|t| t.class == c && t.module == m.as_str())
            });
        }
        false
    })
}

/// Why a start-up failure is the machine's fault, not the config's: no database or other
/// server, a file the config names is missing here (TLS certificate, XML, script, database
/// file, socket directory), DNS, a port or address that cannot be bound, permissions.
fn env_reason(incident: &Incident) -> Option<String> {
    const DB: &str = "no database server";
    const SERVER: &str = "no server to connect to";
    const FILE: &str = "a file or directory the config names is missing here";
    const DNS: &str = "DNS (a host name that does not resolve here)";
    const PATTERNS: &[(&str, &str)] = &[
        ("can't connect to", DB),
        ("db_mysql_new_connection", DB),
        ("db_postgres_new_connection", DB),
        ("could not connect", SERVER),
        ("cannot connect", SERVER),
        ("unable to connect", SERVER),
        ("failed to connect", SERVER),
        ("connection refused", SERVER),
        ("no such file or directory", FILE),
        ("could not stat file", FILE),
        ("can't stat", FILE),
        ("cannot stat", FILE),
        ("failed to load external entity", FILE),
        ("error opening", FILE),
        ("unable to open", FILE),
        ("cannot open file", FILE),
        ("certificate", "TLS certificate"),
        ("private key", "TLS private key"),
        ("could not resolve", DNS),
        ("cannot resolve", DNS),
        ("resolve_host", DNS),
        ("getaddrinfo", DNS),
        ("gethostbyname", DNS),
        ("bad address", DNS),
        ("address already in use", "port in use"),
        (
            "cannot assign requested address",
            "address not on this host",
        ),
        ("bind:", "cannot bind"),
        ("permission denied", "permissions"),
    ];
    // modules whose start-up depends on servers or files outside the config
    const SERVICE_MODULES: &[&str] = &[
        "db_mysql",
        "db_postgres",
        "db_redis",
        "db_mongodb",
        "db_unixodbc",
        "db_cluster",
        "ndb_redis",
        "ndb_mongodb",
        "topos_redis",
        "memcached",
        "rabbitmq",
        "nats",
        "mqtt",
        "kazoo",
        "erlang",
        "ldap",
        "h350",
        "db2_ldap",
        "janssonrpcc",
        "jsonrpcc",
        "cdp",
    ];
    for l in &incident.lines {
        let lower = l.to_ascii_lowercase();
        if let Some((_, why)) = PATTERNS.iter().find(|(p, _)| lower.contains(p)) {
            return Some(format!("{why}: {l}"));
        }
    }
    for l in &incident.lines {
        // `ERROR: app_lua [app_lua_api.c:390]: ...` → `app_lua`
        let tag = l
            .split_once(": ")
            .and_then(|(_, rest)| rest.split_once(" ["))
            .map_or("", |(tag, _)| tag);
        if tag.starts_with("app_") {
            return Some(format!(
                "the {tag} script could not be loaded (a script file, not the config): {l}"
            ));
        }
        if tag == "tls" {
            return Some(format!("TLS certificate, key or config file: {l}"));
        }
        if SERVICE_MODULES.contains(&tag) {
            return Some(format!("{tag} cannot reach its server or files: {l}"));
        }
    }
    None
}

/// Kamailio's verdict on a case: `-c`, then a start-up.
fn kamailio_verdict(k: &Kamailio, case: &Case) -> std::io::Result<(KamVerdict, String)> {
    let main = std::fs::canonicalize(&case.file)?;
    let check = k.run_check(&case.file, &case.defines, CHECK_TIMEOUT)?;
    if check.timed_out {
        return Ok((
            KamVerdict::Env {
                reason: format!("kamailio -c timed out after {}s", CHECK_TIMEOUT.as_secs()),
            },
            check.stderr,
        ));
    }
    if !check.ok {
        let all = incidents(&check.stderr, &main);
        let missing: BTreeSet<String> = all
            .iter()
            .flat_map(|i| i.lines.iter())
            .filter_map(|l| missing_installed_module(l, k))
            .collect();
        let first = all
            .iter()
            .find(|i| missing.is_empty() || !follows_from_missing(i, &missing));
        let verdict = match first {
            Some(i) => KamVerdict::Reject {
                stage: Stage::Check,
                message: i.message(),
                at: i.at.clone().or_else(|| locate_missing_include(i, &main)),
            },
            None if !missing.is_empty() => KamVerdict::Env {
                reason: format!(
                    "module {} of Kamailio 5.6.3 is not installed here (not shipped by Debian); nothing else failed",
                    missing.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            },
            None => KamVerdict::Reject {
                stage: Stage::Check,
                message: format!("exit {:?} without an error message", check.exit),
                at: None,
            },
        };
        return Ok((verdict, check.stderr));
    }
    let mut start: KamailioRun = k.run_start(&case.file, &case.defines, START_TIMEOUT, SETTLE)?;
    if !start.ok && start.stderr.contains("Address already in use") {
        // another run took the free port between our look and Kamailio's bind
        start = k.run_start(&case.file, &case.defines, START_TIMEOUT, SETTLE)?;
    }
    if start.ok {
        // the workers connect to databases after the socket is bound: a failure there may
        // come after the settle time, so a start-up that logged one proves nothing
        let verdict = match incidents(&start.stderr, &main).iter().find_map(env_reason) {
            Some(reason) => KamVerdict::Env {
                reason: format!("came up, but the start-up is not trustworthy: {reason}"),
            },
            None => KamVerdict::Accept,
        };
        return Ok((verdict, start.stderr));
    }
    if start.timed_out {
        return Ok((
            KamVerdict::Env {
                reason: format!(
                    "kamailio neither came up nor exited within {}s",
                    START_TIMEOUT.as_secs()
                ),
            },
            start.stderr,
        ));
    }
    let all = incidents(&start.stderr, &main);
    let verdict = match all.first() {
        Some(i) => match env_reason(i) {
            Some(reason) => KamVerdict::Env { reason },
            None => KamVerdict::Reject {
                stage: Stage::Startup,
                message: i.message(),
                at: i.at.clone(),
            },
        },
        None => KamVerdict::Reject {
            stage: Stage::Startup,
            message: format!("exited ({:?}) without an error message", start.exit),
            at: None,
        },
    };
    Ok((verdict, start.stderr))
}

// ---------------------------------------------------------------- kcfg's side

/// One kcfg finding, placed: file, first and last line, and its position in the order
/// Kamailio reads the text (the include chain's lines, then its own).
#[derive(Debug, Clone)]
struct Finding {
    code: &'static str,
    severity: Severity,
    file: PathBuf,
    first_line: u32,
    last_line: u32,
    order: Vec<u32>,
    message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = self.file.strip_prefix(root()).unwrap_or(&self.file);
        write!(
            f,
            "{}:{} {}[{}] {}",
            file.display(),
            self.first_line,
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

/// `included through a.cfg:1 → b.cfg:3` → `[1, 3]`
fn include_chain_lines(d: &Diagnostic) -> Vec<u32> {
    let Some(chain) = d
        .notes
        .iter()
        .find_map(|n| n.strip_prefix("included through "))
    else {
        return Vec::new();
    };
    chain
        .split(" → ")
        .filter_map(|step| {
            step.rsplit_once(':')
                .and_then(|(_, l)| l.trim().parse().ok())
        })
        .collect()
}

/// The lines Kamailio may name for a finding at `range` of `text`. Kamailio reports an error
/// where its grammar reduces the rule that holds it: a bad call, PV or expression at the end of
/// the call, expression, assignment or `modparam`/`loadmodule` statement (a multi-line call or
/// `if (...)` condition: its last line), a duplicate route at the closing brace of the
/// duplicate block. So the finding's lines are widened to the outermost expression or simple
/// statement around it (not to the enclosing `if`/`switch`/`while` body or route block), and
/// for a duplicate route to the whole block.
fn kamailio_lines(
    tree: &kcfg_syntax::SyntaxNode,
    index: &kcfg_syntax::LineIndex,
    range: kcfg_syntax::TextRange,
    duplicate_route: bool,
) -> (u32, u32) {
    use kcfg_syntax::SyntaxKind::*;
    let line = |o: kcfg_syntax::TextSize| index.line_col(o).line + 1;
    let last = |r: kcfg_syntax::TextRange| {
        let end = r.end();
        line(if end > r.start() {
            end - kcfg_syntax::TextSize::from(1)
        } else {
            end
        })
    };
    let (first, mut last_line) = (line(range.start()), last(range).max(line(range.start())));
    let Some(token) = tree.token_at_offset(range.start()).right_biased() else {
        return (first, last_line);
    };
    let mut widest: Option<kcfg_syntax::TextRange> = None;
    for node in token.parent_ancestors() {
        let kind = node.kind();
        if duplicate_route {
            if kind == ROUTE_BLOCK {
                widest = Some(node.text_range());
                break;
            }
            continue;
        }
        let simple = matches!(
            kind,
            CALL | ARG_LIST
                | BIN_EXPR
                | PREFIX_EXPR
                | PAREN_EXPR
                | CAST_EXPR
                | STRING_LIT
                | PV_EXPR
                | LITERAL
                | NAME_REF
                | SELECT_EXPR
                | BUILTIN_EXPR
                | IP_LIT
                | ASSIGN_STMT
                | EXPR_STMT
                | RETURN_STMT
                | MODPARAM
                | LOADMODULE
                | GLOBAL_PARAM
                | PARAM_VALUE
        );
        if !simple {
            break;
        }
        widest = Some(node.text_range());
    }
    if let Some(w) = widest {
        last_line = last_line.max(last(w));
    }
    (first, last_line)
}

/// kcfg reports an unbalanced `#!ifdef`/`#!else`/`#!endif` at the directive; Kamailio finds
/// it only at the end of the whole text, after every other error.
fn reported_by_kamailio_at_the_end(d: &Diagnostic) -> bool {
    d.code == "KC001"
        && (d.message.contains("#!ifdef` is never closed")
            || (d.message.contains("without a matching `#!ifdef`")))
}

/// Findings Kamailio only makes when it starts (module init and fixups),
/// after the whole config has been parsed.
fn reported_at_start_up(d: &Diagnostic) -> bool {
    matches!(
        d.code,
        "KC110" | "KC119" | "KC121" | "KC122" | "KC135" | "KC136" | "KC207"
    )
}

/// kcfg's findings on a case, in the order Kamailio reads the text.
fn kcfg_findings(case: &Case) -> Vec<Finding> {
    let main = std::fs::canonicalize(&case.file).unwrap_or_else(|_| case.file.clone());
    let bytes = std::fs::read(&main).unwrap_or_default();
    let options = kcfg_cli::check::CheckOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        defines: case.defines.clone(),
        path: Some(main.clone()),
        ..Default::default()
    };
    let mut files = Files::new();
    let (main_id, diagnostics) =
        kcfg_cli::check::check_bytes(&mut files, main.display().to_string(), &bytes, &options);
    let mut trees: std::collections::HashMap<kcfg_diagnostics::FileId, kcfg_syntax::SyntaxNode> =
        std::collections::HashMap::new();
    let mut out: Vec<Finding> = diagnostics
        .iter()
        .map(|d| {
            let source = files.get(d.file);
            let file = if d.file == main_id {
                main.clone()
            } else {
                resolve_kamailio_file(Some(source.path()), &main)
            };
            let tree = trees
                .entry(d.file)
                .or_insert_with(|| kcfg_syntax::parse(source.text()).syntax_node());
            let duplicate = d.code == kcfg_sema::codes::DUPLICATE_ROUTE;
            let (first_line, mut last_line) =
                kamailio_lines(tree, source.line_index(), d.range, duplicate);
            // a syntax error's "unexpected token here" (Kamailio reports it at that token)
            if d.code == "KC001" {
                for label in &d.labels {
                    last_line = last_line.max(source.position(label.range.start()).line);
                }
            }
            // Kamailio's phases: the parse (`-c`), the end-of-text checks,
            // then the start-up (mod_init and fixups)
            let order = if reported_by_kamailio_at_the_end(d) {
                vec![1, u32::MAX]
            } else {
                let mut order = vec![if reported_at_start_up(d) { 2 } else { 0 }];
                order.extend(include_chain_lines(d));
                order.push(first_line);
                order
            };
            Finding {
                code: d.code,
                severity: d.severity,
                file,
                first_line,
                last_line,
                order,
                message: d.message.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.order.cmp(&b.order));
    out
}

fn first_error(findings: &[Finding]) -> Option<&Finding> {
    findings.iter().find(|f| f.severity == Severity::Error)
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || std::fs::canonicalize(a)
            .ok()
            .zip(std::fs::canonicalize(b).ok())
            .is_some_and(|(x, y)| x == y)
}

fn describe_kcfg(findings: &[Finding]) -> String {
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    match errors.as_slice() {
        [] if findings.is_empty() => "kcfg: accepts (no finding)".to_string(),
        [] => format!(
            "kcfg: accepts ({} warning(s), first: {})",
            findings.len(),
            findings[0]
        ),
        [first] => format!("kcfg: rejects: {first}"),
        [first, rest @ ..] => format!("kcfg: rejects: {first} (+{} more errors)", rest.len()),
    }
}

fn describe_kamailio(v: &KamVerdict) -> String {
    match v {
        KamVerdict::Accept => "kamailio: accepts (-c and start-up)".to_string(),
        KamVerdict::Reject { stage, message, at } => {
            let stage = match stage {
                Stage::Check => "kamailio -c",
                Stage::Startup => "kamailio start-up",
            };
            let at = match at {
                Some(l) => {
                    let f = l.file.strip_prefix(root()).unwrap_or(&l.file);
                    format!("{}:{}", f.display(), l.line)
                }
                None => "no line".to_string(),
            };
            format!("{stage} rejects at {at}: {message}")
        }
        KamVerdict::Env { reason } => format!("ENV: {reason}"),
    }
}

// ---------------------------------------------------------------- cases

/// `fixtures/check/<sub>/*.cfg`, sorted, with their `# expect:` line and `.defines`.
fn fixtures(sub: &str, source: Source) -> Vec<Case> {
    let dir = root().join("fixtures/check").join(sub);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "cfg"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let expect = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# expect: "))
                .map(str::to_string);
            let defines = std::fs::read_to_string(file.with_extension("cfg.defines"))
                .map(|t| {
                    t.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty() && !l.starts_with('#'))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Case {
                file,
                defines,
                source,
                expect,
            }
        })
        .collect()
}

fn corpus_cases() -> Vec<Case> {
    let stock = root().join("fixtures/corpus").join(STOCK_CFG);
    let mut cases = Vec::new();
    for file in corpus_files() {
        let sets: Vec<Vec<String>> = if file == stock {
            STOCK_DEFINE_SETS
                .iter()
                .map(|s| s.iter().map(|d| d.to_string()).collect())
                .collect()
        } else {
            vec![Vec::new()]
        };
        for defines in sets {
            cases.push(Case {
                file: file.clone(),
                defines,
                source: Source::Corpus,
                expect: None,
            });
        }
    }
    cases
}

/// Run `f` on every case, `WORKERS` at a time; results in case order.
fn run_all<T: Send>(cases: &[Case], f: impl Fn(&Case) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(cases.len()));
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let r = f(case);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

fn kamailio_or_skip(test: &str) -> Option<Kamailio> {
    match Kamailio::find() {
        Some(k) => Some(k),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: kamailio not found: CI must install Kamailio: run .ci/run")
        }
        None => {
            println!(
                "{test}: SKIPPED, kamailio is not installed (set KAMAILIO_BIN / KAMAILIO_MPATH)"
            );
            None
        }
    }
}

// ---------------------------------------------------------------- the tests

struct Outcome {
    case: Case,
    kamailio: KamVerdict,
    kcfg: Vec<Finding>,
}

fn percent(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

#[test]
fn kcfg_check_agrees_with_kamailio() {
    let Some(k) = kamailio_or_skip("differential check") else {
        return;
    };
    let started = Instant::now();
    let err = fixtures("err", Source::Err);
    let ok = fixtures("ok", Source::Ok);
    assert!(
        err.len() >= 90 && ok.len() >= 15,
        "fixtures/check not found: {} err, {} ok",
        err.len(),
        ok.len()
    );
    let mut cases = corpus_cases();
    cases.extend(err);
    cases.extend(ok);

    let outcomes: Vec<Outcome> = run_all(&cases, |case| {
        let kamailio = match kamailio_verdict(&k, case) {
            Ok((v, _)) => v,
            Err(e) => KamVerdict::Env {
                reason: format!("cannot run kamailio: {e}"),
            },
        };
        Outcome {
            case: case.clone(),
            kamailio,
            kcfg: kcfg_findings(case),
        }
    });

    // KCFG_DIFF_VERBOSE=1: print both verdicts of every case
    let verbose = std::env::var_os("KCFG_DIFF_VERBOSE").is_some();
    let mut env = Vec::new();
    let mut stale = Vec::new();
    let mut disagreements = Vec::new();
    let (mut judged, mut verdict_agree) = (0, 0);
    let (mut located, mut line_agree, mut both_reject_no_line) = (0, 0, 0);
    for o in &outcomes {
        let name = o.case.name();
        let kam_text = describe_kamailio(&o.kamailio);
        let kcfg_text = describe_kcfg(&o.kcfg);
        let expect = o.case.expect.as_deref().unwrap_or("");
        let kam_rejects = match &o.kamailio {
            KamVerdict::Env { .. } => {
                if o.case.source != Source::Corpus {
                    stale.push(format!(
                        "{name}: a fixture must not depend on the machine\n    {kam_text}"
                    ));
                }
                env.push(format!("{name}: {kam_text}"));
                continue;
            }
            KamVerdict::Accept => false,
            KamVerdict::Reject { .. } => true,
        };
        match (o.case.source, kam_rejects) {
            (Source::Err, false) => stale.push(format!(
                "{name}: written to be rejected ({expect}), but {kam_text}"
            )),
            (Source::Ok, true) => stale.push(format!(
                "{name}: written to be accepted ({expect}), but {kam_text}"
            )),
            _ => {}
        }
        judged += 1;
        if verbose {
            println!("CASE {name}\n    {kam_text}\n    {kcfg_text}");
        }
        let first = first_error(&o.kcfg);
        let kcfg_rejects = first.is_some();
        if kcfg_rejects == kam_rejects {
            verdict_agree += 1;
        } else {
            disagreements.push(format!(
                "DISAGREE verdict {name}\n    expect: {expect}\n    {kam_text}\n    {kcfg_text}"
            ));
        }
        if let (KamVerdict::Reject { at, .. }, Some(first)) = (&o.kamailio, first) {
            match at {
                None => both_reject_no_line += 1,
                Some(at) => {
                    located += 1;
                    if same_file(&first.file, &at.file)
                        && first.first_line <= at.line
                        && at.line <= first.last_line
                    {
                        line_agree += 1;
                        if verbose && first.first_line != at.line {
                            println!(
                                "WIDENED {name}: Kamailio's line {} is in kcfg's lines {}-{}",
                                at.line, first.first_line, first.last_line
                            );
                        }
                    } else {
                        disagreements.push(format!(
                            "DISAGREE first error line {name}\n    expect: {expect}\n    {kam_text}\n    {kcfg_text}"
                        ));
                    }
                }
            }
        }
    }

    println!("reference: {} ({})", k.version(), k.bin.display());
    for e in &env {
        println!("ENV {e}");
    }
    for d in &disagreements {
        println!("{d}");
    }
    for s in &stale {
        println!("STALE FIXTURE {s}");
    }
    let verdict_pct = percent(verdict_agree, judged);
    let line_pct = percent(line_agree, located);
    println!(
        "differential check: {} cases, ENV excluded {}; verdict agree {}/{} ({:.1}%); first error line agree {}/{} ({:.1}%)",
        outcomes.len(),
        env.len(),
        verdict_agree,
        judged,
        verdict_pct,
        line_agree,
        located,
        line_pct
    );
    println!(
        "  ({} more rejected by both where Kamailio names no line; {:.1}s, {} workers)",
        both_reject_no_line,
        started.elapsed().as_secs_f64(),
        WORKERS
    );
    assert!(
        stale.is_empty(),
        "{} fixtures no longer get the verdict they were written for (see STALE FIXTURE above)",
        stale.len()
    );
    let mut below = Vec::new();
    if verdict_pct < VERDICT_THRESHOLD {
        below.push(format!(
            "verdict agreement {verdict_pct:.1}% < {VERDICT_THRESHOLD}%"
        ));
    }
    if line_pct < LINE_THRESHOLD {
        below.push(format!(
            "first error line agreement {line_pct:.1}% < {LINE_THRESHOLD}%"
        ));
    }
    assert!(
        below.is_empty(),
        "{} (see DISAGREE above)",
        below.join(", ")
    );
}

/// The code a never fixture's `# expect: <check>: ...` names: a code (`KC131`) or the name of
/// one in kcfg-sema's registry (`unused-route`).
fn expected_code(check: &str) -> Option<&'static str> {
    kcfg_sema::codes::ALL
        .iter()
        .find(|(code, name, ..)| *code == check || *name == check)
        .map(|(code, ..)| *code)
}

#[test]
fn kcfg_finds_what_kamailio_never_reports() {
    let Some(k) = kamailio_or_skip("differential check (never)") else {
        return;
    };
    let cases = fixtures("never", Source::Never);
    assert!(cases.len() >= 5, "fixtures/check/never not found");
    let results = run_all(&cases, |case| {
        let kam = kamailio_verdict(&k, case)
            .map(|(v, _)| v)
            .unwrap_or_else(|e| KamVerdict::Env {
                reason: format!("cannot run kamailio: {e}"),
            });
        (kam, kcfg_findings(case))
    });
    let mut failures = Vec::new();
    let mut found = 0;
    for (case, (kam, findings)) in cases.iter().zip(&results) {
        let name = case.name();
        let expect = case.expect.as_deref().unwrap_or("");
        let check = expect.split(':').next().unwrap_or("").trim();
        let mut problems = Vec::new();
        if !matches!(kam, KamVerdict::Accept) {
            problems.push(format!(
                "Kamailio must accept and start it: {}",
                describe_kamailio(kam)
            ));
        }
        match expected_code(check) {
            None => problems.push(format!(
                "kcfg has no check `{check}` (not in kcfg_sema::codes::ALL)"
            )),
            Some(code) => {
                if findings.iter().any(|f| f.code == code) {
                    found += 1;
                } else {
                    problems.push(format!("kcfg does not report {code} ({check})"));
                }
            }
        }
        if let Some(e) = first_error(findings) {
            problems.push(format!(
                "Kamailio accepts it, so kcfg must not report an error: {e}"
            ));
        }
        if problems.is_empty() {
            println!("ok {name}: {}", describe_kcfg(findings));
        } else {
            failures.push(format!(
                "{name}\n    expect: {expect}\n    {}\n    {}",
                problems.join("\n    "),
                describe_kcfg(findings)
            ));
        }
    }
    for f in &failures {
        println!("NEVER {f}");
    }
    println!(
        "differential check (never): {} cases, kcfg reports the expected check in {}",
        cases.len(),
        found
    );
    assert!(
        failures.is_empty(),
        "{} never-fixtures fail (see NEVER above)",
        failures.len()
    );
}

/// The classification of Kamailio's output, on messages recorded from Kamailio 5.6.3 (no
/// Kamailio needed).
#[test]
fn classifies_kamailio_output() {
    let main = Path::new("/tmp/kcfg-x/a.cfg");
    let at = |i: &Incident| i.at.as_ref().map(|l| (l.file.clone(), l.line));
    // -c: detail line, then the place
    let stderr = " 0(7) ERROR: <core> [core/cfg.y:3649]: yyparse(): cfg. parser: failed to find command sl_send_reply (params 2)\n 0(7) CRITICAL: <core> [core/cfg.y:3790]: yyerror_at(): parse error in config file /tmp/kcfg-x/a.cfg, line 5, column 37: unknown command, missing loadmodule?\nERROR: bad config file (1 errors) (parsing code: 0)\n";
    let inc = incidents(stderr, main);
    assert_eq!(inc.len(), 1);
    assert_eq!(at(&inc[0]), Some((main.to_path_buf(), 5)));
    assert!(inc[0].message().contains("sl_send_reply"));
    // start-up: route not found
    let stderr = " 0(9) ERROR: <core> [core/route.c:1139]: fix_actions(): route \"RELAYY\" not found at /tmp/kcfg-x/a.cfg:10\n";
    assert_eq!(
        at(&incidents(stderr, main)[0]),
        Some((main.to_path_buf(), 10))
    );
    // start-up: regex, the line without a file takes the file of the next place
    let stderr = " 0(9) ERROR: <core> [core/rvalue.c:3151]: fix_match_rve(): Bad regular expression \"^[0-9+\"(5,13-5,20)\n 0(9) ERROR: <core> [core/rvalue.c:3979]: fix_rval_expr(): failure in cfg at line: 5 col: 10\n 0(9) ERROR: <core> [core/route.c:1169]: fix_actions(): fixing failed (code=-1) at cfg:/tmp/kcfg-x/b.cfg:8\n";
    let inc = incidents(stderr, main);
    assert_eq!(at(&inc[0]), Some((PathBuf::from("/tmp/kcfg-x/b.cfg"), 5)));
    assert!(inc[0].message().contains("Bad regular expression"));
    // lexer error in the main file
    let stderr = " 0(1) CRITICAL: <core> [core/cfg.lex:1443]: yylex(): error at cfg line 4: '-' not allowed\n";
    assert_eq!(
        at(&incidents(stderr, main)[0]),
        Some((main.to_path_buf(), 4))
    );
    // no place at all
    let stderr = "ERROR: bad config file (0 errors) (parsing code: 0)\n 0(1) ERROR: <core> [core/ppcfg.c:275]: pp_ifdef_level_error(): different number of preprocessor directives: 1 more #!if[n]def as #!endif\n";
    let inc = incidents(stderr, main);
    assert_eq!(inc.len(), 1);
    assert!(inc[0].at.is_none() && inc[0].message().contains("preprocessor directives"));
    // ENV at start-up
    let db = Incident {
        lines: vec!["ERROR: db_mysql [km_my_con.c:163]: db_mysql_new_connection(): driver error: Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)".into()],
        at: None,
    };
    assert!(env_reason(&db).is_some_and(|r| r.starts_with("no database server")));
    let pv = Incident {
        lines: vec![
            "ERROR: <core> [core/pvapi.c:924]: pv_parse_spec2(): error searching pvar \"EMAIL\""
                .into(),
        ],
        at: None,
    };
    assert_eq!(env_reason(&pv), None);
    let lua = Incident {
        lines: vec!["ERROR: app_lua [app_lua_api.c:390]: lua_sr_init_child(): failed to load Lua script: /tmp/x.lua (err: 1)".into()],
        at: None,
    };
    assert!(env_reason(&lua).is_some_and(|r| r.contains("app_lua")));
    let tls = Incident {
        lines: vec!["ERROR: tls [tls_config.c:408]: tls_load_config(): cannot stat config file /tmp/nosuch-tls.cfg".into()],
        at: None,
    };
    assert!(env_reason(&tls).is_some());
    // a module of 5.6.3 that is not installed: its consequences are masked
    let missing: BTreeSet<String> = ["dlgs".to_string()].into();
    let follows = |l: &str| {
        follows_from_missing(
            &Incident {
                lines: vec![l.to_string()],
                at: None,
            },
            &missing,
        )
    };
    assert!(follows("ERROR: <core> [core/sr_module.c:510]: ksr_locate_module(): could not find module <dlgs> in </usr/lib/x86_64-linux-gnu/kamailio/modules>"));
    assert!(follows(
        "ERROR: <core> [core/modparam.c:187]: set_mod_param_regex(): No module matching <dlgs> found"
    ));
    assert!(follows("ERROR: <core> [core/cfg.y:3649]: yyparse(): cfg. parser: failed to find command dlgs_update (params 0)"));
    assert!(!follows("ERROR: <core> [core/cfg.y:3649]: yyparse(): cfg. parser: failed to find command send_reply_error (params 0)"));
    // relative module paths are reduced to the file name, line numbers kept
    let text = b"loadmodule \"modules/sl/sl.so\"\nloadmodule \"/usr/lib/k/tm.so\"\nlisten=udp:1.2.3.4:5060\nloadmodule \"pv\"\n";
    assert_eq!(
        String::from_utf8(kcfg_tests::rewrite_for_run(text)).unwrap(),
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nlog_stderror=yes #ORACLE# listen=udp:1.2.3.4:5060\nloadmodule \"pv\"\n"
    );
}
