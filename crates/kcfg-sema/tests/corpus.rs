//! The vendored corpus (`fixtures/corpus`, configs shipped with Kamailio
//! 6.0.7): every file is analysed without a panic; the stock
//! `etc/kamailio.cfg` gives no false positive; and, with real Kamailio
//! 5.6.3 installed, kcfg's findings are compared with `kamailio -c` on
//! every file (figures printed; a kcfg error Kamailio does not report fails
//! the test).

mod kamailio;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kamailio::{kamailio_or_skip, rewrite_for_check, ErrorAt};
use kcfg_sema::{analyze_path, codes, FsLoader, KamailioVersion, Model, SemaOptions, Severity};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/corpus")
}

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "cfg") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&corpus_dir(), &mut v);
    v.sort();
    v
}

/// Analyse a corpus file as Kamailio would from the file's directory.
fn analyse(path: &Path, version: KamailioVersion, defines: &[&str]) -> Model {
    let opts = SemaOptions {
        version,
        defines: defines.iter().map(|s| s.to_string()).collect(),
        cwd: path.parent().map(Path::to_path_buf),
    };
    analyze_path(path, &FsLoader, &opts).expect("readable corpus file")
}

fn rel(p: &Path) -> String {
    p.strip_prefix(corpus_dir())
        .unwrap_or(p)
        .display()
        .to_string()
}

#[test]
fn every_corpus_file_is_analysed() {
    let files = corpus_files();
    assert!(files.len() >= 170, "corpus has {} files", files.len());
    let mut per_code: BTreeMap<&str, usize> = BTreeMap::new();
    let started = std::time::Instant::now();
    for f in &files {
        let m = analyse(f, KamailioVersion::V5_6, &[]);
        for d in &m.diagnostics {
            *per_code.entry(d.code).or_default() += 1;
            let text = &m.file(d.file).text;
            assert!(
                u32::from(d.range.end()) as usize <= text.len(),
                "{}: range out of file",
                rel(f)
            );
            assert!(
                codes::name(d.code).is_some(),
                "unregistered code {}",
                d.code
            );
        }
    }
    println!(
        "{} corpus files analysed in {:?} (Kamailio 5.6); diagnostics per code: {per_code:?}",
        files.len(),
        started.elapsed()
    );
}

/// The define sets of the stock config worth checking: none, each group of
/// features, and everything (without TLS, whose `tls_threads_mode` is a
/// 6.0 parameter).
const STOCK_DEFINE_SETS: &[&[&str]] = &[
    &[],
    &["WITH_MYSQL", "WITH_AUTH", "WITH_USRLOCDB", "WITH_IPAUTH"],
    &["WITH_NAT", "WITH_NATSIPPING", "WITH_RTPENGINE"],
    &[
        "WITH_ANTIFLOOD",
        "WITH_JSONRPC",
        "WITH_DEBUG",
        "WITH_HTABLE",
    ],
    &[
        "WITH_MYSQL",
        "WITH_AUTH",
        "WITH_PRESENCE",
        "WITH_VOICEMAIL",
        "WITH_SPEEDDIAL",
        "WITH_MULTIDOMAIN",
        "WITH_ALIASDB",
        "WITH_PSTN",
        "WITH_ACCDB",
    ],
    &[
        "WITH_MYSQL",
        "WITH_AUTH",
        "WITH_USRLOCDB",
        "WITH_IPAUTH",
        "WITH_NAT",
        "WITH_NATSIPPING",
        "WITH_RTPENGINE",
        "WITH_ANTIFLOOD",
        "WITH_JSONRPC",
        "WITH_DEBUG",
        "WITH_PRESENCE",
        "WITH_VOICEMAIL",
        "WITH_SPEEDDIAL",
        "WITH_MULTIDOMAIN",
        "WITH_ALIASDB",
        "WITH_PSTN",
        "WITH_HTABLE",
        "WITH_MSGREBUILD",
        "WITH_BLOCK401407",
        "WITH_BLOCK3XX",
        "WITH_ACCDB",
    ],
];

fn stock() -> PathBuf {
    corpus_dir().join("etc/kamailio.cfg")
}

#[test]
fn stock_config_is_clean_for_6_0() {
    let mut sets: Vec<Vec<&str>> = STOCK_DEFINE_SETS.iter().map(|s| s.to_vec()).collect();
    sets.push(vec!["WITH_TLS", "WITH_MYSQL", "WITH_AUTH"]);
    for set in sets {
        let m = analyse(&stock(), KamailioVersion::V6_0, &set);
        assert!(m.diagnostics.is_empty(), "{set:?}: {:#?}", m.diagnostics);
        assert!(m.modules.iter().all(|x| x.loaded));
    }
}

#[test]
fn stock_config_on_5_6_only_lacks_send_reply_error() {
    // Kamailio 5.6.3 reports exactly these (and dlgs, which Debian does not ship)
    for set in STOCK_DEFINE_SETS {
        let m = analyse(&stock(), KamailioVersion::V5_6, set);
        let found: Vec<(&str, u32)> = m
            .diagnostics
            .iter()
            .map(|d| (d.code, m.file(d.file).line_of(d.range)))
            .collect();
        let mut want = vec![("KC103", 637), ("KC103", 745)];
        if set.contains(&"WITH_PRESENCE") {
            want.push(("KC103", 811));
        }
        assert_eq!(found, want, "{set:?}");
        assert!(m.diagnostics[0].message.contains("only in 6.0.7"));
    }
    // WITH_TLS: tls_threads_mode is a 6.0 core parameter
    let m = analyse(&stock(), KamailioVersion::V5_6, &["WITH_TLS"]);
    assert_eq!(m.diagnostics[0].code, "KC112");
    assert_eq!(
        m.file(m.diagnostics[0].file)
            .line_of(m.diagnostics[0].range),
        239
    );
}

#[test]
fn stock_model_contents() {
    let m = analyse(&stock(), KamailioVersion::V6_0, &[]);
    let names: Vec<&str> = m.loaded_modules().map(|x| x.name).collect();
    assert!(names.starts_with(&["jsonrpcs", "kex", "corex", "tm", "tmx", "sl", "rr"]));
    assert!(m
        .routes_named(kcfg_sema::RouteTable::Request, Some("RELAY"))
        .next()
        .is_some());
    assert!(m
        .routes_named(kcfg_sema::RouteTable::Request, None)
        .next()
        .is_some());
    assert!(m.defines.contains_key("FLT_ACC"));
    assert!(!m.defines.contains_key("WITH_MYSQL"));
}

// ---------------------------------------------------------------- against Kamailio

/// Errors Kamailio reports only when it starts, never with `-c`
/// (`exprs_corpus.rs` checks them with real start-ups).
fn startup_only(code: &str) -> bool {
    [
        codes::UNDEFINED_ROUTE,
        codes::BAD_PV_IN_STRING,
        codes::INVALID_LITERAL_PARAM,
        codes::INVALID_REGEX,
        codes::DB_MODULE_NOT_LOADED,
        codes::MODULE_LOADED_TOO_EARLY,
    ]
    .contains(&code)
}

/// Kamailio's error categories that kcfg-sema checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cat {
    Module,
    Function,
    Modparam,
    DuplicateRoute,
    CoreParam,
}

fn category(message: &str) -> Option<Cat> {
    Some(match message {
        "failed to load module" => Cat::Module,
        "unknown command, missing loadmodule?" | "Command cannot be used in the block" => {
            Cat::Function
        }
        "Can't set module parameter" => Cat::Modparam,
        "duplicate route" => Cat::DuplicateRoute,
        "unknown config variable" => Cat::CoreParam,
        _ => return None,
    })
}

/// `<name>` after `marker` in a log line.
fn angle(line: &str, marker: &str) -> Option<String> {
    let rest = &line[line.find(marker)? + marker.len()..];
    Some(rest[..rest.find('>')?].to_string())
}

#[derive(Default, Debug)]
struct Figures {
    files: usize,
    verdict_agree: usize,
    env_only: usize,
    both_reject: usize,
    first_line_agree: usize,
    kam_errors: usize,
    kam_env: usize,
    kam_cascade: usize,
    kam_found: usize,
    kcfg_errors: usize,
    kcfg_confirmed: usize,
    unconfirmed: Vec<String>,
    missed: Vec<String>,
    first_line_differs: Vec<String>,
    verdict_differs: Vec<String>,
}

fn compare_file(
    k: &kamailio::Kamailio,
    path: &Path,
    shipped: &BTreeSet<String>,
    fig: &mut Figures,
) {
    let v56 = kcfg_modules::db(KamailioVersion::V5_6);
    let text = std::fs::read_to_string(path).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join(path.file_name().unwrap());
    std::fs::write(&copy, rewrite_for_check(&text)).unwrap();
    // run from the file's own directory (relative includes), as the oracle does
    let run = {
        let mut c = std::process::Command::new(&k.bin);
        c.args(["-c", "-E", "-f"])
            .arg(&copy)
            .arg("-L")
            .arg(&k.mpath)
            .arg("-Y")
            .arg(tmp.path().join("run"))
            .args(["-l", "udp:127.0.0.1:5060"])
            .current_dir(path.parent().unwrap());
        c.output().expect("run kamailio")
    };
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let ok = run.status.success() && stderr.contains("config file ok");
    let copy_s = copy.to_string_lossy().into_owned();
    let is_main = |f: &str| f == copy_s || f == "cfg";

    // Kamailio's errors in the main file, with the log line before each
    let mut errs: Vec<(ErrorAt, String)> = Vec::new();
    let mut prev = String::new();
    for line in stderr.lines() {
        if let Some(e) = kamailio::parse_error_line(line) {
            if is_main(&e.file) {
                errs.push((e, prev.clone()));
            }
        } else if line.contains("ERROR:") || line.contains("CRITICAL:") {
            prev = line.to_string();
        }
    }
    // where Kamailio stopped judging: its first error kcfg-sema does not model
    // (syntax errors, PVs, ...): after it, lines cannot be compared
    let stop = errs
        .iter()
        .find(|(e, _)| category(&e.message).is_none())
        .map_or(u32::MAX, |(e, _)| e.line);

    let model = analyse(path, KamailioVersion::V5_6, &[]);
    // modules Kamailio could not load here but kcfg knows: environment
    let mut env_modules: BTreeSet<String> = BTreeSet::new();
    for (e, p) in &errs {
        if category(&e.message) == Some(Cat::Module) {
            if let Some(m) = angle(p, "could not find module <") {
                let base = m.rsplit('/').next().unwrap_or(&m).to_string();
                if v56.module(&base).is_some() {
                    env_modules.insert(base);
                }
            }
        }
    }
    let kcfg_failed: BTreeSet<String> = model
        .modules
        .iter()
        .filter(|m| m.module.is_none())
        .map(|m| {
            let b = m.arg.rsplit('/').next().unwrap_or(&m.arg);
            b.strip_suffix(".so").unwrap_or(b).to_string()
        })
        .collect();
    let file = rel(path);
    // (first line, last line, code) of kcfg's errors in the main file
    let main = model.file(kcfg_sema::FileIdx(0));
    let kcfg_lines: Vec<(u32, u32, &str)> = model
        .diagnostics
        .iter()
        .filter(|d| d.file.0 == 0 && d.severity == Severity::Error)
        .map(|d| {
            let last = main.line_index().line_col(d.range.end()).line + 1;
            (main.line_of(d.range), last, d.code)
        })
        .collect();
    // (errors Kamailio reports only at start-up do not count for `-c`)
    let covers = |line: u32| {
        kcfg_lines
            .iter()
            .any(|(a, b, c)| !startup_only(c) && *a <= line && line <= *b)
    };
    // Kamailio's first error that is not caused by this machine's modules
    let mut kam_first: Option<(u32, String)> = None;
    for (e, p) in &errs {
        let Some(cat) = category(&e.message) else {
            if e.line <= stop {
                kam_first.get_or_insert((e.line, e.message.clone()));
            }
            continue;
        };
        if e.line > stop {
            continue;
        }
        fig.kam_errors += 1;
        let env = match cat {
            Cat::Module => angle(p, "could not find module <")
                .is_some_and(|m| env_modules.contains(m.rsplit('/').next().unwrap_or(&m))),
            Cat::Modparam => angle(p, "No module matching <")
                .is_some_and(|m| m.split('|').any(|a| env_modules.contains(a))),
            Cat::Function => p
                .split("failed to find command ")
                .nth(1)
                .or_else(|| p.split("misused command ").nth(1))
                .and_then(|s| s.split_whitespace().next())
                .is_some_and(|f| {
                    v56.functions(f)
                        .iter()
                        .any(|v| env_modules.contains(v.module))
                }),
            _ => false,
        };
        if env {
            fig.kam_env += 1;
            // kcfg flags this line for a reason of its own: an error for both
            if covers(e.line) {
                kam_first.get_or_insert((e.line, e.message.clone()));
            }
            continue;
        }
        kam_first.get_or_insert((e.line, e.message.clone()));
        if covers(e.line) {
            fig.kam_found += 1;
            continue;
        }
        // a modparam of a module whose loadmodule kcfg already rejected
        let cascade = cat == Cat::Modparam
            && angle(p, "No module matching <")
                .is_some_and(|m| m.split('|').any(|a| kcfg_failed.contains(a)));
        if cascade {
            fig.kam_cascade += 1;
            continue;
        }
        fig.missed
            .push(format!("{file}:{}: {} ({})", e.line, e.message, p.trim()));
    }
    for (line, last, code) in &kcfg_lines {
        if *line > stop || startup_only(code) {
            continue;
        }
        fig.kcfg_errors += 1;
        let kam_line = errs.iter().any(|(e, _)| *line <= e.line && e.line <= *last)
            // Kamailio reports a duplicate route at the block's end
            || (*code == codes::DUPLICATE_ROUTE && errs.iter().any(|(e, _)| e.message == "duplicate route"));
        // functions of a module Kamailio could not load here: it reports
        // them too, on the same line, so only env lines are excused
        if kam_line {
            fig.kcfg_confirmed += 1;
        } else {
            let d = model
                .diagnostics
                .iter()
                .find(|d| d.file.0 == 0 && model.file(d.file).line_of(d.range) == *line)
                .unwrap();
            fig.unconfirmed
                .push(format!("{file}:{line}: {code} {}", d.message));
        }
    }
    // verdicts: Kamailio's without environment-only failures
    fig.files += 1;
    let kam_rejects = !ok && (kam_first.is_some() || stop != u32::MAX);
    if !ok && !kam_rejects {
        fig.env_only += 1;
    }
    // a syntax error counts on its line and on the line of the token the
    // parser could not accept (where Kamailio reports it)
    let syntax_first = model.files.first().and_then(|f| {
        f.parse.errors().first().map(|e| {
            let a = f.line_of(e.range);
            let b = e.unexpected.map_or(a, |u| f.line_of(u));
            (a.min(b), a.max(b))
        })
    });
    let kcfg_first_span = kcfg_lines
        .iter()
        .filter(|(.., c)| !startup_only(c))
        .map(|(a, b, _)| (*a, *b))
        .chain(syntax_first)
        .min();
    let kcfg_rejects = kcfg_first_span.is_some()
        || model
            .files
            .iter()
            .skip(1)
            .any(|f| !f.included_in_route && !f.parse.errors().is_empty())
        || model
            .diagnostics
            .iter()
            .any(|d| d.file.0 != 0 && d.severity == Severity::Error && !startup_only(d.code));
    if kam_rejects == kcfg_rejects {
        fig.verdict_agree += 1;
    } else {
        fig.verdict_differs.push(format!(
            "{file}: kamailio {}, kcfg {}",
            if kam_rejects { "rejects" } else { "accepts" },
            if kcfg_rejects { "rejects" } else { "accepts" }
        ));
    }
    if kam_rejects && kcfg_rejects {
        fig.both_reject += 1;
        let kam_msg = kam_first
            .as_ref()
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        let kam_first = kam_first.as_ref().map(|(l, _)| *l);
        match (kam_first, kcfg_first_span) {
            (Some(k), Some((a, b))) if a <= k && k <= b => fig.first_line_agree += 1,
            (k, span) => fig
                .first_line_differs
                .push(format!("{file}: kamailio {k:?} ({kam_msg}), kcfg {span:?}")),
        }
    }
    let _ = shipped;
}

#[test]
fn corpus_agrees_with_kamailio() {
    let Some(k) = kamailio_or_skip("corpus_agrees_with_kamailio") else {
        return;
    };
    let shipped: BTreeSet<String> = k.shipped_modules().into_iter().collect();
    let mut fig = Figures::default();
    for f in corpus_files() {
        compare_file(&k, &f, &shipped, &mut fig);
    }
    println!(
        "corpus vs kamailio -c (5.6.3), {} files ({} fail only because of this machine's modules):\n\
         \x20 verdict agrees on {}/{} files; first error on the same line in {}/{} files both reject\n\
         \x20 Kamailio errors of the checked kinds: {} ({} caused by modules this machine lacks, {} modparams of a module kcfg already rejected); kcfg reports {} of the other {}\n\
         \x20 kcfg errors: {}, confirmed by Kamailio on the same line: {}",
        fig.files,
        fig.env_only,
        fig.verdict_agree,
        fig.files,
        fig.first_line_agree,
        fig.both_reject,
        fig.kam_errors,
        fig.kam_env,
        fig.kam_cascade,
        fig.kam_found,
        fig.kam_errors - fig.kam_env - fig.kam_cascade,
        fig.kcfg_errors,
        fig.kcfg_confirmed,
    );
    for m in &fig.missed {
        println!("  missed: {m}");
    }
    for m in &fig.verdict_differs {
        println!("  verdict differs: {m}");
    }
    for m in &fig.first_line_differs {
        println!("  first line differs: {m}");
    }
    assert!(
        fig.unconfirmed.is_empty(),
        "kcfg errors Kamailio does not report:\n{}",
        fig.unconfirmed.join("\n")
    );
}
