//! A small driver for real Kamailio: `kamailio -c` and a real start-up on
//! loopback (what `../shared/tools/kamailio-oracle/oracle-check.sh --deep`
//! does), for the differential tests.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Kamailio binary and its module directory.
#[derive(Debug, Clone)]
pub struct Kamailio {
    pub bin: PathBuf,
    pub mpath: PathBuf,
}

/// Where Kamailio reported an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAt {
    /// file name as Kamailio printed it (`cfg` is the main file in lexer errors)
    pub file: String,
    pub line: u32,
    pub message: String,
}

/// What one run said.
#[derive(Debug, Clone)]
pub struct Run {
    pub ok: bool,
    pub stderr: String,
}

impl Run {
    /// Every error position Kamailio printed, in order.
    pub fn errors(&self) -> Vec<ErrorAt> {
        let mut out = Vec::new();
        for line in self.stderr.lines() {
            if let Some(e) = parse_error_line(line) {
                out.push(e);
            }
        }
        out
    }

    pub fn first_error(&self) -> Option<ErrorAt> {
        self.errors().into_iter().next()
    }
}

/// `parse error in config file F, line N, column ...: MSG`,
/// `error at F line N`, `... not found at F:N`.
pub fn parse_error_line(line: &str) -> Option<ErrorAt> {
    let number = |s: &str| -> Option<u32> {
        s[..s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())]
            .parse()
            .ok()
    };
    if let Some(i) = line.find("parse error in config file ") {
        let rest = &line[i + "parse error in config file ".len()..];
        let j = rest.find(", line ").or_else(|| rest.find(", from line "))?;
        let file = rest[..j].to_string();
        let after = rest[j..]
            .trim_start_matches(", from line ")
            .trim_start_matches(", line ");
        let n = number(after)?;
        let message = after
            .find(": ")
            .map_or("", |k| &after[k + 2..])
            .trim()
            .to_string();
        return Some(ErrorAt {
            file,
            line: n,
            message,
        });
    }
    if let Some(i) = line.find("error at ") {
        let rest = &line[i + "error at ".len()..];
        let j = rest.find(" line ")?;
        let n = number(&rest[j + " line ".len()..])?;
        return Some(ErrorAt {
            file: rest[..j].to_string(),
            line: n,
            message: line.to_string(),
        });
    }
    // start-up fixups: `fix_rval_expr(): failure in cfg at line: N col: C`
    // (an expression; more precise than the action's line that follows)
    if let Some(i) = line.find("failure in cfg at line: ") {
        let n = number(&line[i + "failure in cfg at line: ".len()..])?;
        return Some(ErrorAt {
            file: "cfg".to_string(),
            line: n,
            message: line.to_string(),
        });
    }
    // start-up fixups: `fix_actions(): fixing failed (code=-1) at cfg:F:N`
    if let Some(i) = line.find("fixing failed") {
        let rest = &line[i..];
        let at = rest.find(" at cfg:")? + " at cfg:".len();
        let rest = &rest[at..];
        let j = rest.rfind(':')?;
        let n = number(&rest[j + 1..])?;
        return Some(ErrorAt {
            file: rest[..j].to_string(),
            line: n,
            message: line.to_string(),
        });
    }
    if let Some(i) = line.find("\" not found at ") {
        let rest = &line[i + "\" not found at ".len()..];
        let j = rest.rfind(':')?;
        let n = number(&rest[j + 1..])?;
        return Some(ErrorAt {
            file: rest[..j].to_string(),
            line: n,
            message: line.to_string(),
        });
    }
    None
}

/// Skip (return `None`) without Kamailio, except in CI (`CI=true`), where
/// a missing Kamailio fails the test.
pub fn kamailio_or_skip(test: &str) -> Option<Kamailio> {
    match Kamailio::find() {
        Some(k) => Some(k),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: kamailio is not installed, and CI=true")
        }
        None => {
            eprintln!("{test}: skipped, kamailio is not installed");
            None
        }
    }
}

impl Kamailio {
    /// `$KAMAILIO_BIN` or `kamailio` on the path (or in an sbin directory);
    /// `$KAMAILIO_MPATH` or the directory with `tm.so`.
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
                let out = Command::new(&bin).arg("-h").output().ok()?;
                let help = String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr);
                let marker = "Modules search path (default: ";
                help.lines()
                    .find_map(|l| {
                        let rest = &l[l.find(marker)? + marker.len()..];
                        Some(PathBuf::from(&rest[..rest.find(')')?]))
                    })
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

    /// Module names (file stems) this installation ships.
    pub fn shipped_modules(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.mpath)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".so"))
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn base(&self, cfg: &Path, run_dir: &Path, defines: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("-E")
            .arg("-f")
            .arg(cfg)
            .arg("-L")
            .arg(&self.mpath)
            .arg("-Y")
            .arg(run_dir);
        for d in defines {
            c.arg("-A").arg(d);
        }
        c.current_dir(cfg.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        c
    }

    /// `kamailio -c` (parse, load modules, set modparams; no fixups).
    pub fn check(&self, cfg: &Path, defines: &[&str]) -> Run {
        let run_dir = cfg.with_extension("run");
        let _ = std::fs::create_dir_all(&run_dir);
        let mut c = self.base(cfg, &run_dir, defines);
        c.arg("-c")
            .args(["-l", "udp:127.0.0.1:5060"])
            .stderr(Stdio::piped());
        let child = c.spawn().expect("spawn kamailio");
        let (status, stderr) = wait_with_timeout(child, Duration::from_secs(30));
        Run {
            ok: status == Some(0) && stderr.contains("config file ok"),
            stderr,
        }
    }

    /// A real start-up on a free loopback port (one worker): runs mod_init
    /// and the fixups. `ok` when Kamailio bound its socket and was still
    /// running a second later. Kamailio is then stopped by its process
    /// group.
    pub fn start(&self, cfg: &Path, defines: &[&str]) -> Run {
        use std::os::unix::process::CommandExt;
        let port = free_udp_port();
        let run_dir = cfg.with_extension("run");
        let _ = std::fs::create_dir_all(&run_dir);
        let log = cfg.with_extension("start.log");
        let mut c = self.base(cfg, &run_dir, defines);
        c.args(["-DD", "-n", "1", "-m", "64", "-M", "8", "-l"])
            .arg(format!("udp:127.0.0.1:{port}"))
            .stderr(std::fs::File::create(&log).expect("log file"))
            .process_group(0);
        let mut child = c.spawn().expect("spawn kamailio");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut ok = false;
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if udp_bound(port) {
                std::thread::sleep(Duration::from_millis(1000));
                ok = matches!(child.try_wait(), Ok(None));
                break;
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        stop_group(&mut child);
        Run {
            ok,
            stderr: std::fs::read_to_string(&log).unwrap_or_default(),
        }
    }
}

fn wait_with_timeout(mut child: Child, timeout: Duration) -> (Option<i32>, String) {
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Ok(Some(s)) = child.try_wait() {
            break s.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status, reader.join().unwrap_or_default())
}

/// Stop the process group of a child we started (Kamailio forks workers).
fn stop_group(child: &mut Child) {
    let pgid = child.id().to_string();
    if matches!(child.try_wait(), Ok(None)) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{pgid}")])
            .status();
        for _ in 0..60 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // whatever is left of the group
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(35060)
}

fn udp_bound(port: u16) -> bool {
    let needle = format!(":{:04X} ", port);
    std::fs::read_to_string("/proc/net/udp")
        .is_ok_and(|t| t.lines().any(|l| l.contains(&format!("0100007F{needle}"))))
}

/// The copy of a config that is checked (as the oracle scripts do; line
/// numbers kept): `listen=`/`mpath=` lines commented out (the check passes
/// `-l` and `-L`), `loadmodule "/a/b/x.so"` reduced to `loadmodule "x.so"`.
pub fn rewrite_for_check(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let rest = line.trim_start();
        let ws = &line[..line.len() - rest.len()];
        let assigns = |kw: &str| {
            rest.strip_prefix(kw)
                .is_some_and(|r| r.trim_start().starts_with('='))
        };
        if assigns("listen") || assigns("mpath") {
            out.push_str(ws);
            out.push_str("#ORACLE# ");
            out.push_str(rest);
            continue;
        }
        if let Some(after) = rest.strip_prefix("loadmodule") {
            let a = after.trim_start();
            if after.len() > a.len() && a.starts_with("\"/") {
                if let Some(end) = a[1..].find('"') {
                    let path = &a[1..1 + end];
                    if let Some(slash) = path.rfind('/') {
                        if slash + 1 < path.len() {
                            out.push_str(ws);
                            out.push_str("loadmodule \"");
                            out.push_str(&path[slash + 1..]);
                            out.push_str(&a[1 + end..]);
                            continue;
                        }
                    }
                }
            }
        }
        out.push_str(line);
    }
    out
}

#[test]
fn rewrite_keeps_lines() {
    let t = "listen=udp:1.2.3.4:5060\n  mpath = \"/x\"\nloadmodule \"/usr/lib/k/tm.so\" # c\nloadmodule \"sl.so\"\n";
    assert_eq!(
        rewrite_for_check(t),
        "#ORACLE# listen=udp:1.2.3.4:5060\n  #ORACLE# mpath = \"/x\"\nloadmodule \"tm.so\" # c\nloadmodule \"sl.so\"\n"
    );
}
