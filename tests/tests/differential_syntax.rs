//! Differential test: real Kamailio (`kamailio -c`) and kcfg's parser judge the same files.
//!
//! Files: the vendored corpus and `fixtures/syntax/{ok,err}/*.cfg`. Kamailio's verdict is
//! reduced to ACCEPT, SYNTAX (the first grammar-level error, with its line when Kamailio gives
//! one) or OTHER (failed for non-syntax reasons only); see `kcfg_tests::classify_check`.
//!
//! - ACCEPT: kcfg reports no syntax error.
//! - SYNTAX(line): kcfg reports an error whose range or unexpected token starts on that line (or
//!   in the `from line N to line M` range Kamailio gives); for `fixtures/syntax/err` it must be
//!   kcfg's first error. SYNTAX without a line: kcfg reports some error.
//! - OTHER: Kamailio's parser continues after semantic errors, so when it parsed the whole file
//!   (`parsing code: 0`) kcfg must not report a syntax error either. When it stopped early
//!   (`YYABORT`, missing include), kcfg errors before the last line Kamailio reached are
//!   disagreements; later ones cannot be judged and are printed for review.
//!
//! Without Kamailio the test is skipped, except in CI (`CI=true`) where it fails.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kcfg_syntax::{LineIndex, TextSize};
use kcfg_tests::{corpus_files, root, syntax_fixtures, Kamailio, KamailioVerdict};

const WORKERS: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Corpus,
    /// `fixtures/syntax/ok`: Kamailio must accept it
    FixtureOk,
    /// `fixtures/syntax/err`: Kamailio must report a syntax error, and kcfg's first error must match
    FixtureErr,
}

/// One kcfg error, with 1-based lines like Kamailio's.
#[derive(Debug, Clone)]
struct KcfgError {
    line: u32,
    unexpected_line: Option<u32>,
    message: String,
}

impl KcfgError {
    fn on_lines(&self, (first, last): (u32, u32)) -> bool {
        let on = |l: u32| first <= l && l <= last;
        on(self.line) || self.unexpected_line.is_some_and(on)
    }
}

impl std::fmt::Display for KcfgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(u) = self.unexpected_line.filter(|&u| u != self.line) {
            write!(f, " (unexpected token on line {u})")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Accept,
    SyntaxLine,
    Other,
}

struct Outcome {
    file: PathBuf,
    category: Category,
    /// `None` when kcfg and Kamailio agree, else why not
    disagreement: Option<String>,
    /// something to look at that does not fail the test
    review: Option<String>,
}

/// kcfg's syntax errors for Kamailio 5.6's grammar: the parser with the core
/// parameter names of 5.6 (each is a token of Kamailio's lexer) and the
/// defines of the files the config includes, as `kcfg check` computes them.
fn kcfg_errors(path: &Path, bytes: &[u8]) -> Vec<KcfgError> {
    let text = match kcfg_syntax::decode(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    let options = kcfg_cli::check::CheckOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        defines: Vec::new(),
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    let parse = kcfg_syntax::parse_with(&text, &options.parse_options_for(&text));
    let index = LineIndex::new(&text);
    let line = |o: TextSize| index.line_col(o).line + 1;
    parse
        .errors()
        .iter()
        .map(|e| KcfgError {
            line: line(e.range.start()),
            unexpected_line: e.unexpected.map(|u| line(u.start())),
            message: e.message.clone(),
        })
        .collect()
}

fn describe_kcfg(errors: &[KcfgError]) -> String {
    match errors {
        [] => "kcfg: no error".to_string(),
        [first] => format!("kcfg: {first}"),
        [first, rest @ ..] => {
            let mut s = format!("kcfg: {first} (+{} more)", rest.len());
            for e in rest.iter().take(4) {
                s += &format!("\n      also {e}");
            }
            s
        }
    }
}

fn describe_lines(lines: Option<(u32, u32)>) -> String {
    match lines {
        None => "no line".to_string(),
        Some((a, b)) if a == b => format!("line {a}"),
        Some((a, b)) => format!("lines {a}-{b}"),
    }
}

fn compare(file: &Path, source: Source, verdict: &KamailioVerdict, kcfg: &[KcfgError]) -> Outcome {
    let mut outcome = Outcome {
        file: file.to_path_buf(),
        category: Category::Other,
        disagreement: None,
        review: None,
    };
    let kcfg_text = describe_kcfg(kcfg);
    match verdict {
        KamailioVerdict::Accept => {
            outcome.category = Category::Accept;
            if source == Source::FixtureErr {
                outcome.disagreement = Some(format!(
                    "fixture expects a syntax error but Kamailio accepts it\n    {kcfg_text}"
                ));
            } else if !kcfg.is_empty() {
                outcome.disagreement = Some(format!("Kamailio accepts the file\n    {kcfg_text}"));
            }
        }
        KamailioVerdict::Syntax { lines, message } => {
            outcome.category = Category::SyntaxLine;
            let agree = match (lines, source) {
                (_, Source::FixtureOk) => false,
                (None, _) => !kcfg.is_empty(),
                (Some(l), Source::FixtureErr) => kcfg.first().is_some_and(|e| e.on_lines(*l)),
                (Some(l), Source::Corpus) => kcfg.iter().any(|e| e.on_lines(*l)),
            };
            if !agree {
                let what = match (lines, source) {
                    (_, Source::FixtureOk) => {
                        "fixture expects ACCEPT but Kamailio reports a syntax error".to_string()
                    }
                    (None, _) => "Kamailio reports a syntax error (no line); kcfg none".to_string(),
                    (Some(_), Source::FixtureErr) => {
                        format!(
                            "kcfg's first error is not on Kamailio's {}",
                            describe_lines(*lines)
                        )
                    }
                    (Some(_), Source::Corpus) => {
                        format!("no kcfg error on Kamailio's {}", describe_lines(*lines))
                    }
                };
                outcome.disagreement =
                    Some(format!("{what}\n    kamailio: {message}\n    {kcfg_text}"));
            } else if let (Some((first_line, _)), Some(first)) = (lines, kcfg.first()) {
                // Kamailio parsed everything before its first syntax error without complaint
                if first.line.max(first.unexpected_line.unwrap_or(0)) < *first_line {
                    outcome.review = Some(format!(
                        "kcfg reports an error before Kamailio's first syntax error (line {first_line})\n    kamailio: {message}\n    kcfg: {first}"
                    ));
                }
            }
        }
        KamailioVerdict::Other {
            message,
            complete,
            parsed_to,
        } => {
            outcome.category = Category::Other;
            if source != Source::Corpus {
                let expected = if source == Source::FixtureOk {
                    "ACCEPT"
                } else {
                    "a syntax error"
                };
                outcome.disagreement =
                    Some(format!("fixture expects {expected}, Kamailio fails otherwise\n    kamailio: {message}\n    {kcfg_text}"));
            } else if *complete {
                if !kcfg.is_empty() {
                    outcome.disagreement = Some(format!(
                        "kcfg finds syntax error where Kamailio only had semantic errors (and parsed the whole file)\n    kamailio: {message}\n    {kcfg_text}"
                    ));
                }
            } else {
                let reached = parsed_to.unwrap_or(0);
                let (before, after): (Vec<&KcfgError>, Vec<&KcfgError>) =
                    kcfg.iter().partition(|e| e.line < reached);
                if let Some(first) = before.first() {
                    outcome.disagreement = Some(format!(
                        "kcfg finds syntax error where Kamailio only had semantic errors (Kamailio parsed past line {reached})\n    kamailio: {message}\n    kcfg: {first}{}",
                        if before.len() > 1 { format!(" (+{} more before line {reached})", before.len() - 1) } else { String::new() }
                    ));
                } else if let Some(first) = after.first() {
                    outcome.review = Some(format!(
                        "kcfg error after the point where Kamailio stopped parsing (line {reached}); not judged\n    kamailio: {message}\n    kcfg: {first}"
                    ));
                }
            }
        }
        KamailioVerdict::Timeout => {
            outcome.disagreement = Some(format!(
                "kamailio -c timed out after {}s",
                TIMEOUT.as_secs()
            ));
        }
    }
    outcome
}

fn check_file(kamailio: &Kamailio, file: &Path, source: Source) -> Outcome {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return Outcome {
                file: file.to_path_buf(),
                category: Category::Other,
                disagreement: Some(format!("cannot read: {e}")),
                review: None,
            }
        }
    };
    let kcfg = kcfg_errors(file, &bytes);
    match kamailio.check(file, TIMEOUT) {
        Ok(check) => compare(file, source, &check.verdict, &kcfg),
        Err(e) => Outcome {
            file: file.to_path_buf(),
            category: Category::Other,
            disagreement: Some(format!("cannot run kamailio: {e}")),
            review: None,
        },
    }
}

#[test]
fn kcfg_agrees_with_kamailio_on_syntax() {
    let Some(kamailio) = Kamailio::find() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("kamailio not found: CI must install Kamailio: run .ci/run");
        }
        println!("differential syntax: SKIPPED, kamailio is not installed (set KAMAILIO_BIN / KAMAILIO_MPATH)");
        return;
    };
    let started = Instant::now();
    let fixture_root = root().join("fixtures/syntax");
    let mut files: Vec<(PathBuf, Source)> = corpus_files()
        .into_iter()
        .map(|f| (f, Source::Corpus))
        .collect();
    let fixtures = syntax_fixtures();
    assert!(
        fixtures.len() >= 55,
        "syntax fixtures not found: {} files",
        fixtures.len()
    );
    for f in fixtures {
        let source = if f.starts_with(fixture_root.join("ok")) {
            Source::FixtureOk
        } else {
            Source::FixtureErr
        };
        files.push((f, source));
    }

    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::with_capacity(files.len()));
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((file, source)) = files.get(i) else {
                    break;
                };
                let outcome = check_file(&kamailio, file, *source);
                outcomes.lock().unwrap().push((i, outcome));
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|(i, _)| *i);

    let rel = |p: &Path| p.strip_prefix(root()).unwrap_or(p).display().to_string();
    let count = |c: Category, agree: bool| {
        outcomes
            .iter()
            .filter(|(_, o)| o.category == c && (!agree || o.disagreement.is_none()))
            .count()
    };
    let disagreements: Vec<&Outcome> = outcomes
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o.disagreement.is_some())
        .collect();
    println!(
        "reference: {} ({})",
        kamailio.version(),
        kamailio.bin.display()
    );
    for o in outcomes
        .iter()
        .map(|(_, o)| o)
        .filter(|o| o.review.is_some())
    {
        println!(
            "REVIEW {}: {}",
            rel(&o.file),
            o.review.as_deref().unwrap_or_default()
        );
    }
    for o in &disagreements {
        println!(
            "DISAGREE {}: {}",
            rel(&o.file),
            o.disagreement.as_deref().unwrap_or_default()
        );
    }
    println!(
        "differential syntax: {} files, {} agree, {} disagree (accept: {}/{}, syntax line: {}/{}, other: {}/{}) in {:.1}s",
        outcomes.len(),
        outcomes.len() - disagreements.len(),
        disagreements.len(),
        count(Category::Accept, true),
        count(Category::Accept, false),
        count(Category::SyntaxLine, true),
        count(Category::SyntaxLine, false),
        count(Category::Other, true),
        count(Category::Other, false),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements between kcfg and Kamailio (see above)",
        disagreements.len()
    );
}

/// The classification of Kamailio's output, on messages recorded from Kamailio 5.6.3 (no
/// Kamailio needed).
#[test]
fn classifies_kamailio_messages() {
    use kcfg_tests::classify_check;
    let tmp = "/tmp/x/a.cfg";
    let p = |rest: &str| {
        format!(" 0(18445) CRITICAL: <core> [core/cfg.y:3787]: yyerror_at(): parse error in config file {tmp}, {rest}\n")
    };
    let syntax_lines = |stderr: &str| match classify_check(Some(255), stderr, tmp) {
        KamailioVerdict::Syntax { lines, .. } => lines,
        v => panic!("not a syntax error: {v:?}"),
    };

    let ok = " 0(1) INFO: <core> [core/sctp_core.c:53]: sctp_core_destroy(): SCTP API not initialized\nconfig file ok, exiting...\n";
    assert_eq!(classify_check(Some(0), ok, tmp), KamailioVerdict::Accept);

    // the first `syntax error`, after semantic errors; the follow-up message of the error rule is skipped
    let stderr = p("line 5, column 25: unknown command, missing loadmodule?\n")
        + &p("line 10, column 2-5: syntax error")
        + &p("line 10, column 2-5: bad command: missing ';'?")
        + " 0(1) ERROR: <core> [core/cfg.y:3787]: bad config file (3 errors) (parsing code: 0)\n";
    assert_eq!(syntax_lines(&stderr), Some((10, 10)));
    // `from line N ... to line M`
    let stderr = p("from line 16, column 35 to line 17, column 0: syntax error");
    assert_eq!(syntax_lines(&stderr), Some((16, 17)));
    // lexer errors with and without a line
    let dash = " 0(1) CRITICAL: <core> [core/cfg.lex:1443]: yylex(): error at cfg line 4: '-' not allowed\n";
    assert_eq!(syntax_lines(dash), Some((4, 4)));
    let eof = " 0(1) CRITICAL: <core> [core/cfg.lex:1702]: yylex(): cfg. parser: unexpected EOF in unclosed string\n";
    assert_eq!(
        syntax_lines(
            &(eof.to_string() + &p("from line 10, column 17 to line 12, column 0: syntax error"))
        ),
        None
    );
    let ifdef = " 0(1) ERROR: <core> [main.c:2126]: main(): bad config file (0 errors) (parsing code: 0)\n 0(1) ERROR: <core> [core/ppcfg.c:315]: pp_ifdef_level_error(): different number of preprocessor directives: 1 more #!if[n]def as #!endif\n";
    assert_eq!(syntax_lines(ifdef), None);

    // an error rule's message without `syntax error` follows a semantic YYERROR: not syntax
    let stderr = p("line 60, column 15: bad expression: type mismatch (str instead of int)")
        + &p("line 64, column 2-3: bad command")
        + " 0(1) ERROR: <core> [core/cfg.y:3787]: bad config file (2 errors) (parsing code: 0)\n";
    assert!(matches!(
        classify_check(Some(255), &stderr, tmp),
        KamailioVerdict::Other {
            complete: true,
            parsed_to: Some(64),
            ..
        }
    ));
    // a YYABORT (PV not found) stops the parser: not complete
    let stderr = p("line 7, column 6-31: Can't get from cache: $sht(a=>x)")
        + " 0(1) ERROR: <core> [core/cfg.y:3787]: bad config file (1 errors) (parsing code: 1)\n";
    assert!(matches!(
        classify_check(Some(255), &stderr, tmp),
        KamailioVerdict::Other {
            complete: false,
            parsed_to: Some(7),
            ..
        }
    ));
    // a syntax error in an included file is not one of this file
    let stderr = p("line 3, column 1: unknown command, missing loadmodule?")
        .replace(tmp, "/tmp/x/inc.cfg")
        + &p("line 3, column 1: syntax error").replace(tmp, "/tmp/x/inc.cfg");
    assert!(matches!(
        classify_check(Some(255), &stderr, tmp),
        KamailioVerdict::Other { .. }
    ));
}

#[test]
fn rewrites_machine_specific_lines_keeping_line_numbers() {
    let cfg = b"listen=udp:1.2.3.4:5060\n  mpath = \"/usr/lib/kamailio\"\nloadmodule \"/usr/lib/kamailio/modules/tm.so\"\nloadmodule \"sl.so\"\nlistener=1\n";
    let out = String::from_utf8(kcfg_tests::rewrite_for_check(cfg)).unwrap();
    assert_eq!(
        out,
        "log_stderror=yes #ORACLE# listen=udp:1.2.3.4:5060\n  log_stderror=yes #ORACLE# mpath = \"/usr/lib/kamailio\"\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\nlistener=1\n"
    );
    // bytes that are not UTF-8 pass through
    assert_eq!(kcfg_tests::rewrite_for_check(b"# \xff\n"), b"# \xff\n");
}
