//! Bad input (issue #4), through the library the `kcfg` binary uses
//! (`kcfg_cli::check::check_bytes`) and the semantic model (`kcfg_sema`):
//! include cycles, absurdly deep includes, a huge file, binary garbage.
//! Nothing may panic or hang; memory must stay bounded.
//!
//! Every case runs in a thread with an 8 MiB stack (what the `kcfg` binary's
//! main thread has) and a deadline, so that a hang fails the test instead of
//! blocking the run. The tests take turns (see [`serial`]).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kcfg_cli::check::{check_bytes, CheckOptions};
use kcfg_diagnostics::render::{render, Format};
use kcfg_diagnostics::{Diagnostic, Files};
use kcfg_sema::{analyze_path, codes, FsLoader, MemoryLoader, Model, SemaOptions};

const STACK: usize = 8 << 20;

/// The tests of this file run one at a time, so that the peak-memory
/// numbers of the big file are its own.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run `f` on its own thread; fail if it panics or takes longer than `limit`.
fn with_deadline<T: Send + 'static>(
    name: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let handle = std::thread::Builder::new()
        .name(format!("case:{name}"))
        .stack_size(STACK)
        .spawn(move || {
            let v = f();
            let _ = tx.send(());
            v
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(limit) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: no result after {limit:?}: a hang?")
        }
    }
    let v = match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    eprintln!("{name}: {:?}", start.elapsed());
    v
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write a test file");
    p
}

fn sema_options(dir: &Path) -> SemaOptions {
    SemaOptions {
        cwd: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

fn codes_of(model: &Model) -> Vec<&'static str> {
    model.diagnostics.iter().map(|d| d.code).collect()
}

/// `check_bytes` on a file on disk, with its directory as the include base,
/// as `kcfg check <path>` does.
fn check_file(path: &Path) -> (Files, Vec<Diagnostic>) {
    let bytes = std::fs::read(path).expect("read a test file");
    let options = CheckOptions {
        path: Some(path.to_path_buf()),
        ..Default::default()
    };
    let mut files = Files::new();
    let (_, diags) = check_bytes(&mut files, path.display().to_string(), &bytes, &options);
    (files, diags)
}

/// Every renderer copes with the diagnostics.
fn render_all(files: &Files, diags: &[Diagnostic]) {
    for format in [Format::Human, Format::Concise, Format::Json] {
        let out = render(format, files, diags, false);
        assert!(diags.is_empty() || !out.is_empty(), "{format:?}");
    }
}

// ---------------------------------------------------------------- includes

#[test]
fn a_config_that_includes_itself() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "self.cfg",
        "#!define SELF\n\
         include_file \"self.cfg\"\n\
         loadmodule \"sl.so\"\n\
         request_route {\n\tsl_send_reply(\"200\", \"OK\");\n}\n",
    );
    let dir_path = dir.path().to_path_buf();
    let model = with_deadline("self_include_sema", Duration::from_secs(30), {
        let path = path.clone();
        move || analyze_path(&path, &FsLoader, &sema_options(&dir_path)).unwrap()
    });
    let found = codes_of(&model);
    eprintln!("self include: {found:?}");
    let cycles: Vec<_> = model
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::INCLUDE_CYCLE)
        .collect();
    assert_eq!(cycles.len(), 1, "{found:?}");
    assert_eq!(codes::INCLUDE_CYCLE, "KC114");
    assert!(
        cycles[0].message.starts_with("include cycle: ") && cycles[0].message.contains("self.cfg"),
        "{}",
        cycles[0].message
    );
    // the range is the include directive
    let text = &model.files[0].text;
    assert!(text[cycles[0].range].contains("include_file"));
    assert_eq!(model.files.len(), 1, "the cycle is not followed");
    assert!(!found.contains(&codes::INCLUDE_TOO_DEEP), "{found:?}");

    // without a cwd: the path is tried as written, then next to the file
    let model = with_deadline("self_include_sema_no_cwd", Duration::from_secs(30), {
        let path = path.clone();
        move || analyze_path(&path, &FsLoader, &SemaOptions::default()).unwrap()
    });
    assert_eq!(
        codes_of(&model)
            .iter()
            .filter(|c| **c == codes::INCLUDE_CYCLE)
            .count(),
        1,
        "{:?}",
        codes_of(&model)
    );

    // the check the CLI runs reads includes for their defines: it must stop too
    let (files, diags) = with_deadline("self_include_check", Duration::from_secs(30), move || {
        check_file(&path)
    });
    eprintln!(
        "self include, check_bytes: {:?}",
        diags.iter().map(|d| d.code).collect::<Vec<_>>()
    );
    render_all(&files, &diags);
}

#[test]
fn an_include_cycle_of_two_files() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.cfg",
        "include_file \"b.cfg\"\nrequest_route {\n\texit;\n}\n",
    );
    write(dir.path(), "b.cfg", "#!define B\ninclude_file \"a.cfg\"\n");
    let opts = sema_options(dir.path());
    let model = with_deadline("two_file_cycle", Duration::from_secs(30), {
        let a = a.clone();
        move || analyze_path(&a, &FsLoader, &opts).unwrap()
    });
    let cycles: Vec<_> = model
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::INCLUDE_CYCLE)
        .collect();
    assert_eq!(cycles.len(), 1, "{:?}", codes_of(&model));
    assert!(
        cycles[0].message.contains("a.cfg") && cycles[0].message.contains("b.cfg"),
        "{}",
        cycles[0].message
    );
    assert_eq!(model.files.len(), 2);
    let (files, diags) =
        with_deadline("two_file_cycle_check", Duration::from_secs(30), move || {
            check_file(&a)
        });
    render_all(&files, &diags);
}

#[test]
fn a_thousand_nested_includes() {
    let _serial = serial();
    const DEPTH: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=DEPTH {
        let text = if i < DEPTH {
            format!("#!define D{i}\ninclude_file \"a{}.cfg\"\n", i + 1)
        } else {
            "request_route {\n\texit;\n}\n".to_string()
        };
        write(dir.path(), &format!("a{i}.cfg"), text);
    }
    let main = dir.path().join("a1.cfg");
    let opts = sema_options(dir.path());
    let start = Instant::now();
    let model = with_deadline("nested_includes_sema", Duration::from_secs(60), {
        let main = main.clone();
        move || analyze_path(&main, &FsLoader, &opts).unwrap()
    });
    let sema_time = start.elapsed();
    let deep: Vec<_> = model
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::INCLUDE_TOO_DEEP)
        .collect();
    assert_eq!(codes::INCLUDE_TOO_DEEP, "KC115");
    assert_eq!(deep.len(), 1, "{:?}", codes_of(&model));
    assert!(
        deep[0].message.contains("too many nested includes"),
        "{}",
        deep[0].message
    );
    assert_eq!(model.files.len(), kcfg_sema::MAX_INCLUDE_DEPTH + 1);
    assert!(
        sema_time < Duration::from_secs(10),
        "1,000 nested includes took {sema_time:?}"
    );
    eprintln!(
        "nested includes: {} files read, {:?}",
        model.files.len(),
        sema_time
    );

    // the CLI's check reads includes for their defines (to its own depth limit)
    let start = Instant::now();
    let (files, diags) = with_deadline(
        "nested_includes_check",
        Duration::from_secs(60),
        move || check_file(&main),
    );
    let check_time = start.elapsed();
    assert!(
        check_time < Duration::from_secs(10),
        "check_bytes on 1,000 nested includes took {check_time:?}"
    );
    render_all(&files, &diags);
}

// ---------------------------------------------------------------- a huge file

/// Peak resident set size of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Current resident set size, in KiB (`VmRSS`).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reset the peak RSS to the current RSS (Linux: `5` > `clear_refs`).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A config without findings, repeated with distinct route names up to
/// `size` bytes. (A define used as a value in every route would make the
/// parse quadratic in the number of directive lines: see
/// `kcfg_syntax::parser::Parser::define_value`; it is used in a few.)
fn big_config(size: usize) -> String {
    let mut s = String::with_capacity(size + (size >> 4) + 4096);
    s.push_str(
        "#!KAMAILIO\n#!define WITH_NAT\n#!define TIMEOUT 30\n\
         loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\n\
         loadmodule \"xlog.so\"\nloadmodule \"maxfwd.so\"\nloadmodule \"textops.so\"\n\
         modparam(\"tm\", \"fr_timer\", 30000)\n",
    );
    let mut i = 0;
    while s.len() < size {
        let timeout = if i % 1000 == 999 {
            "\t$var(t) = TIMEOUT;\n"
        } else {
            ""
        };
        s.push_str(&format!(
            "# route {i}: a realistic body\n\
             route[R{i}] {{\n\
             \tif (!mf_process_maxfwd_header(\"10\")) {{\n\
             \t\tsl_send_reply(\"483\", \"Too Many Hops\");\n\
             \t\texit;\n\
             \t}}\n\
             {timeout}\
             \tif (is_method(\"INVITE\") && $rU =~ \"^[0-9]+$\" || $si == \"10.0.0.{m}\") {{\n\
             \t\t$avp(s:caller) = $fU + \"@\" + $fd;\n\
             \t\txlog(\"L_INFO\", \"$rm from $fu to $(tu{{uri.user}}) [{i}]\\n\");\n\
             \t}} else {{\n\
             \t\t$var(n) = $(hdr(X-Count){{s.int}}) * 2 - 1;\n\
             \t}}\n\
             #!ifdef WITH_NAT\n\
             \tforce_rport();\n\
             #!endif\n\
             \tswitch ($rm) {{\n\
             \t\tcase \"INVITE\":\n\
             \t\t\tt_on_failure(\"F{i}\");\n\
             \t\t\tbreak;\n\
             \t\tdefault:\n\
             \t\t\t$var(i) = 0;\n\
             \t}}\n\
             \treturn;\n\
             }}\n\
             failure_route[F{i}] {{\n\
             \tif (t_is_canceled()) {{\n\
             \t\texit;\n\
             \t}}\n\
             }}\n",
            m = i % 250
        ));
        i += 1;
    }
    s.push_str("request_route {\n");
    for k in 0..i {
        s.push_str(&format!("\troute(R{k});\n"));
    }
    s.push_str("}\n");
    s
}

#[test]
fn a_fifty_megabyte_config() {
    let _serial = serial();
    const SIZE: usize = 50 << 20;
    const LIMIT_KIB: u64 = 2 << 20; // 2 GiB
    let (diags, report) = with_deadline("fifty_megabytes", Duration::from_secs(300), || {
        let reset = reset_peak_rss();
        let before = peak_rss_kib();
        let text = big_config(SIZE);
        let generated = rss_kib();
        let len = text.len();
        let start = Instant::now();
        let mut files = Files::new();
        let (_, diags) = check_bytes(
            &mut files,
            "big.cfg",
            text.as_bytes(),
            &CheckOptions::default(),
        );
        let time = start.elapsed();
        drop(files);
        drop(text);
        let peak = peak_rss_kib();
        let after = rss_kib();
        let report = format!(
            "50 MB config: {len} bytes checked in {time:?}, {} diagnostics; \
             peak RSS (VmHWM) before {before:?} KiB (reset: {reset}), \
             RSS after generating the text {generated:?} KiB, peak after the check {peak:?} KiB, \
             RSS after dropping everything {after:?} KiB",
            diags.len()
        );
        (diags, (report, peak))
    });
    eprintln!("{}", report.0);
    assert!(diags.is_empty(), "{:?}", &diags[..diags.len().min(3)]);
    if let Some(peak) = report.1 {
        assert!(
            peak < LIMIT_KIB,
            "peak RSS {peak} KiB is not below 2 GiB ({LIMIT_KIB} KiB)"
        );
    }
}

// ---------------------------------------------------------------- binary input

/// A fixed-seed linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn byte(&mut self) -> u8 {
        (self.next() >> 8) as u8
    }
}

/// 1-based line and column (in characters) of `offset` in the valid text
/// before it.
fn line_col(valid: &[u8], offset: usize) -> (usize, usize) {
    let before = std::str::from_utf8(&valid[..offset]).unwrap();
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

/// `check_bytes` gives one KC002 error at `offset`, with the right line and
/// column, and every renderer copes.
fn assert_not_utf8_at(name: &str, bytes: &[u8], offset: usize) {
    let mut files = Files::new();
    let (file, diags) = check_bytes(&mut files, name, bytes, &CheckOptions::default());
    assert_eq!(diags.len(), 1, "{name}: {diags:?}");
    let d = &diags[0];
    assert_eq!(d.code, "KC002", "{name}");
    assert_eq!(
        d.message,
        format!("the file is not valid UTF-8: bad byte at offset {offset}"),
        "{name}"
    );
    assert_eq!(usize::from(d.range.start()), offset, "{name}");
    let p = files.get(file).position(d.range.start());
    assert_eq!(
        (p.line as usize, p.column as usize, p.offset as usize),
        {
            let (l, c) = line_col(bytes, offset);
            (l, c, offset)
        },
        "{name}"
    );
    render_all(&files, &diags);
}

#[test]
fn binary_garbage_is_not_utf8() {
    let _serial = serial();
    with_deadline("binary_garbage", Duration::from_secs(60), || {
        // hand-made: the offset of the first bad byte is known
        let cases: Vec<(&str, Vec<u8>, usize)> = vec![
            ("first byte", b"\xffrequest_route {}".to_vec(), 0),
            ("latin-1 in a comment", b"# ok\n# caf\xe9\n".to_vec(), 10),
            ("after NULs", [&[0u8; 1000][..], b"\xfe"].concat(), 1000),
            (
                "NULs and newlines",
                [&b"\0\n\0\n\0\0\n"[..], b"x=\x80"].concat(),
                9,
            ),
            (
                "truncated at the end",
                b"request_route {\n}\n\xc3".to_vec(),
                18,
            ),
            ("truncated in the middle", b"ab\xe2\x82x".to_vec(), 2),
            ("overlong NUL", b"ab\xc0\x80".to_vec(), 2),
            ("surrogate", b"abc\xed\xa0\x80".to_vec(), 3),
            ("above U+10FFFF", b"\xf4\x90\x80\x80".to_vec(), 0),
            (
                "lone continuation",
                "é\u{1f600}\x00\u{80}".bytes().chain([0xbf]).collect(),
                9,
            ),
        ];
        for (name, bytes, offset) in &cases {
            assert_not_utf8_at(name, bytes, *offset);
        }

        // random garbage, NULs and all: the error is at the first bad byte
        let mut rng = Lcg(0xdead_beef);
        for round in 0..200 {
            let len = 1 + (rng.next() as usize % 65_536);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            // sometimes a long valid prefix, so the bad byte is far in
            if round % 4 == 3 {
                let prefix = "request_route {\n\txlog(\"\u{e9}\0\");\n}\n".repeat(round + 1);
                bytes.splice(0..0, prefix.bytes());
            }
            let offset = match std::str::from_utf8(&bytes) {
                Ok(_) => continue,
                Err(e) => e.valid_up_to(),
            };
            assert!(std::str::from_utf8(&bytes[..offset]).is_ok());
            assert_eq!(
                std::str::from_utf8(&bytes[offset..])
                    .unwrap_err()
                    .valid_up_to(),
                0
            );
            assert_not_utf8_at(&format!("random #{round}"), &bytes, offset);
        }
    });
}

#[test]
fn binary_garbage_in_an_included_file() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "main.cfg",
        "include_file \"blob.bin\"\nrequest_route {\n\texit;\n}\n",
    );
    write(dir.path(), "blob.bin", b"ok\n\x00\x01\xff\xfe garbage");
    let opts = sema_options(dir.path());
    let model = with_deadline("garbage_include", Duration::from_secs(30), {
        let main = main.clone();
        move || analyze_path(&main, &FsLoader, &opts).unwrap()
    });
    let missing: Vec<_> = model
        .diagnostics
        .iter()
        .filter(|d| d.code == codes::MISSING_INCLUDE)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", codes_of(&model));
    assert!(
        missing[0]
            .message
            .contains("not valid UTF-8 (bad byte at offset 5)"),
        "{}",
        missing[0].message
    );
    // and as the main file
    let blob = dir.path().join("blob.bin");
    let err = analyze_path(&blob, &FsLoader, &SemaOptions::default()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    let (files, diags) = with_deadline(
        "garbage_include_check",
        Duration::from_secs(30),
        move || check_file(&main),
    );
    render_all(&files, &diags);
}

/// Random characters from the whole Unicode range (NUL, controls, BOM,
/// line separators, astral planes): valid UTF-8 that is no config at all.
fn utf8_blob(rng: &mut Lcg, chars: usize) -> String {
    let mut s = String::with_capacity(chars * 2);
    let mut n = 0;
    while n < chars {
        let c = match rng.next() % 8 {
            0..=3 => Some(char::from(rng.byte() & 0x7f)),
            4 => char::from_u32(0x80 + rng.next() % 0x780),
            5 => char::from_u32(0x800 + rng.next() % 0xf800),
            6 => char::from_u32(0x10000 + rng.next() % 0x100000),
            _ => Some(
                [
                    '\u{feff}', '\u{2028}', '\u{fffd}', '{', '}', '(', '"', '$', '#', '\n',
                ][rng.next() as usize % 10],
            ),
        };
        if let Some(c) = c {
            s.push(c);
            n += 1;
        }
    }
    s
}

#[test]
fn a_valid_utf8_binary_blob() {
    let _serial = serial();
    with_deadline("utf8_blob", Duration::from_secs(120), || {
        let mut rng = Lcg(7);
        let mut total = 0;
        for round in 0..40 {
            let len = 1 + (rng.next() as usize % 8_000);
            let blob = utf8_blob(&mut rng, len);
            let text = if round % 2 == 1 {
                format!("request_route {{\n{blob}\n}}\n")
            } else {
                blob
            };
            let mut files = Files::new();
            let (_, diags) = check_bytes(
                &mut files,
                "blob.cfg",
                text.as_bytes(),
                &CheckOptions::default(),
            );
            assert!(
                diags.iter().all(|d| d.code != "KC002"),
                "valid UTF-8 reported as not UTF-8"
            );
            assert!(
                diags
                    .iter()
                    .all(|d| usize::from(d.range.end()) <= text.len()),
                "a diagnostic range past the end"
            );
            render_all(&files, &diags);
            let model = Model::build(
                "blob.cfg",
                text.clone(),
                &MemoryLoader::new(),
                &SemaOptions::default(),
            );
            assert_eq!(model.files[0].parse.syntax_node().to_string(), text);
            total += diags.len();
        }
        // one big blob
        let text = utf8_blob(&mut rng, 1 << 20);
        let start = Instant::now();
        let mut files = Files::new();
        let (_, diags) = check_bytes(
            &mut files,
            "big.bin",
            text.as_bytes(),
            &CheckOptions::default(),
        );
        let check = start.elapsed();
        let start = Instant::now();
        render_all(&files, &diags);
        eprintln!(
            "utf8 blob: {} bytes, {} diagnostics, checked in {check:?}, rendered in {:?}; \
             40 small blobs gave {total} diagnostics",
            text.len(),
            diags.len(),
            start.elapsed()
        );
    });
}

// ---------------------------------------------------------------- deep trees

/// The nesting the parser cuts at 256 levels still makes trees ~800 nodes
/// deep; the checks that walk them must not overflow a 2 MiB test thread.
#[test]
fn deep_nesting_through_the_checkers() {
    let _serial = serial();
    let cases = [
        (
            "if",
            format!(
                "request_route {{\n{}exit;\n{}}}\n",
                "if (1) {\n".repeat(10_000),
                "}\n".repeat(10_000)
            ),
        ),
        (
            "switch",
            format!(
                "request_route {{\n{}exit;\n{}}}\n",
                "switch ($rU) {\ncase \"1\":\n".repeat(10_000),
                "}\n".repeat(10_000)
            ),
        ),
        (
            "calls",
            format!(
                "request_route {{\n{}1{};\n}}\n",
                "f(".repeat(10_000),
                ")".repeat(10_000)
            ),
        ),
        (
            "ifdef",
            format!(
                "{}request_route {{\n\texit;\n}}\n{}",
                "#!ifdef X\n".repeat(1_000),
                "#!endif\n".repeat(1_000)
            ),
        ),
    ];
    for (name, text) in cases {
        let handle = std::thread::Builder::new()
            .name(format!("case:deep_{name}"))
            .stack_size(2 << 20)
            .spawn(move || {
                let start = Instant::now();
                let mut files = Files::new();
                let (_, diags) = check_bytes(
                    &mut files,
                    "deep.cfg",
                    text.as_bytes(),
                    &CheckOptions::default(),
                );
                render_all(&files, &diags);
                let opts = SemaOptions {
                    defines: vec!["X".into()],
                    ..Default::default()
                };
                let model = Model::build("deep.cfg", text, &MemoryLoader::new(), &opts);
                let n = model.diagnostics.len();
                drop(model);
                (diags.len(), n, start.elapsed())
            })
            .unwrap();
        match handle.join() {
            Ok((d, s, t)) => {
                eprintln!("deep {name}: {d} check diagnostics, {s} sema diagnostics, {t:?}")
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
