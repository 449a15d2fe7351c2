//! Hostile and pathological input: the parser must never panic, never
//! overflow its stack, always give back the input byte for byte, and report
//! the limits it hits (nesting, `#!ifdef` depth, operator chains) once.
//!
//! Every case runs in a thread of its own with an explicit 2 MiB stack (the
//! size of a test thread, and smaller than a main thread), and the tree is
//! dropped inside that thread: rowan drops green nodes recursively, so a tree
//! that is too deep overflows on drop, not only while parsing. A stack
//! overflow aborts the whole test binary; the thread name (`case:<name>`)
//! in the abort message says which case it was.

use std::time::{Duration, Instant};

use kcfg_syntax::{parse_with, LineIndex, Parse, ParseOptions, SyntaxError, TextRange};

const STACK: usize = 2 << 20;

const NESTING: &str = "nesting deeper than 256 levels: kcfg stops parsing this part";
const IFDEF_DEPTH: &str = "more than 512 nested `#!ifdef`s";
const CHAIN: &str = "expression with more than 1000 operators";

/// Run `f` in a thread with a 2 MiB stack; a panic there fails the test
/// with its own message.
fn on_small_stack<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new()
        .name(format!("case:{name}"))
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn a test thread");
    match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// What a parse gave, kept after the tree is gone.
#[derive(Debug)]
struct Outcome {
    errors: Vec<SyntaxError>,
    warnings: usize,
    inactive_errors: Vec<SyntaxError>,
    nodes: usize,
    depth: usize,
    time: Duration,
}

impl Outcome {
    fn count(&self, needle: &str) -> usize {
        self.errors
            .iter()
            .filter(|e| e.message.contains(needle))
            .count()
    }

    /// Also counting the errors in `#!ifdef` arms not taken.
    fn count_all(&self, needle: &str) -> usize {
        self.count(needle)
            + self
                .inactive_errors
                .iter()
                .filter(|e| e.message.contains(needle))
                .count()
    }

    /// Distinct messages with their counts, in order of first appearance.
    fn summary(&self) -> Vec<(usize, &str)> {
        let mut out: Vec<(usize, &str)> = Vec::new();
        for e in &self.errors {
            match out.iter_mut().find(|(_, m)| *m == e.message) {
                Some(x) => x.0 += 1,
                None => out.push((1, &e.message)),
            }
        }
        out
    }

    fn messages(&self, max: usize) -> Vec<&str> {
        self.errors
            .iter()
            .take(max)
            .map(|e| e.message.as_str())
            .collect()
    }
}

/// The first byte where `got` differs from `want`, with some context.
fn round_trip(want: &str, got: &str) -> Result<(), String> {
    if want == got {
        return Ok(());
    }
    let at = want
        .bytes()
        .zip(got.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let ctx = |s: &str| {
        let b = &s.as_bytes()[at.saturating_sub(20)..(at + 20).min(s.len())];
        String::from_utf8_lossy(b).into_owned()
    };
    Err(format!(
        "tree text differs from the input at byte {at} (input {} bytes, tree {} bytes): \
         input {:?}, tree {:?}",
        want.len(),
        got.len(),
        ctx(want),
        ctx(got)
    ))
}

/// Every range a consumer may slice the text with must be in bounds and on
/// character boundaries.
fn check_range(text: &str, what: &str, r: TextRange) -> Result<(), String> {
    let (s, e) = (usize::from(r.start()), usize::from(r.end()));
    if e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
        return Err(format!(
            "{what} range {s}..{e} is out of bounds or not on a char boundary (text {} bytes)",
            text.len()
        ));
    }
    Ok(())
}

fn check_parse(text: &str, parse: &Parse) -> Result<(usize, usize), String> {
    let root = parse.syntax_node();
    round_trip(text, &root.to_string())?;
    if usize::from(root.text_range().end()) != text.len() {
        return Err("root range does not cover the input".into());
    }
    let index = LineIndex::new(text);
    let all = [
        ("error", parse.errors()),
        ("warning", parse.warnings()),
        ("inactive error", parse.inactive_errors()),
    ];
    for (what, list) in all {
        for e in list {
            check_range(text, what, e.range)?;
            if let Some(u) = e.unexpected {
                check_range(text, what, u)?;
            }
            let _ = index.line_col(e.range.start());
        }
    }
    // size and depth of the tree, without recursion
    let (mut nodes, mut depth, mut max_depth) = (0usize, 0usize, 0usize);
    for ev in root.preorder() {
        match ev {
            rowan::WalkEvent::Enter(_) => {
                nodes += 1;
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            rowan::WalkEvent::Leave(_) => depth -= 1,
        }
    }
    Ok((nodes, max_depth))
}

/// Parse `text` on a 2 MiB stack, check the tree, drop it there.
fn run_with(name: &str, text: String, options: ParseOptions) -> Outcome {
    let label = name.to_string();
    let out = on_small_stack(name, move || {
        let start = Instant::now();
        let parse = parse_with(&text, &options);
        let time = start.elapsed();
        let (nodes, depth) = match check_parse(&text, &parse) {
            Ok(v) => v,
            Err(e) => panic!("{label}: {e}"),
        };
        let out = Outcome {
            errors: parse.errors().to_vec(),
            warnings: parse.warnings().len(),
            inactive_errors: parse.inactive_errors().to_vec(),
            nodes,
            depth,
            time,
        };
        drop(parse);
        out
    });
    eprintln!(
        "{name}: parsed in {:?}, {} nodes, tree depth {}, {} errors, {} warnings, {} inactive errors",
        out.time,
        out.nodes,
        out.depth,
        out.errors.len(),
        out.warnings,
        out.inactive_errors.len()
    );
    if !out.errors.is_empty() {
        eprintln!("  {name}: errors by message: {:?}", out.summary());
    }
    out
}

fn run(name: &str, text: String) -> Outcome {
    run_with(name, text, ParseOptions::default())
}

/// The nesting limit was hit, and said so exactly once.
fn assert_nesting_once(name: &str, out: &Outcome) {
    assert_eq!(
        out.count(NESTING),
        1,
        "{name}: the nesting error must be reported exactly once; first errors: {:?}",
        out.messages(5)
    );
}

const N: usize = 10_000;

fn in_route(body: &str) -> String {
    format!("request_route {{\n{body}}}\n")
}

// ---------------------------------------------------------------- nesting

#[test]
fn nested_if_blocks_closed() {
    let mut s = String::new();
    s.push_str(&"if (1) {\n".repeat(N));
    s.push_str("xlog(\"deep\");\n");
    s.push_str(&"}\n".repeat(N));
    let out = run("nested_if_blocks_closed", in_route(&s));
    assert_nesting_once("nested_if_blocks_closed", &out);
}

#[test]
fn nested_if_blocks_unclosed() {
    let s = format!(
        "request_route {{\n{}xlog(\"deep\");\n",
        "if (1) {\n".repeat(N)
    );
    let out = run("nested_if_blocks_unclosed", s);
    assert_nesting_once("nested_if_blocks_unclosed", &out);
}

#[test]
fn nested_if_without_braces() {
    let s = format!("{}xlog(\"deep\");\n", "if (1)\n".repeat(N));
    let out = run("nested_if_without_braces", in_route(&s));
    assert_nesting_once("nested_if_without_braces", &out);
}

#[test]
fn nested_while() {
    let s = format!(
        "{}$var(i) = 0;\n{}",
        "while ($var(i) < 10) {\n".repeat(N),
        "}\n".repeat(N)
    );
    let out = run("nested_while", in_route(&s));
    assert_nesting_once("nested_while", &out);
    let s = format!("request_route {{\n{}", "while (1) {\n".repeat(N));
    let out = run("nested_while_unclosed", s);
    assert_nesting_once("nested_while_unclosed", &out);
}

#[test]
fn nested_switch() {
    let s = format!(
        "{}xlog(\"x\");\n{}",
        "switch ($rU) {\ncase \"1\":\n".repeat(N),
        "break;\n}\n".repeat(N)
    );
    let out = run("nested_switch", in_route(&s));
    assert_nesting_once("nested_switch", &out);
    let s = format!(
        "request_route {{\n{}",
        "switch ($rU) {\ncase 1:\n".repeat(N)
    );
    let out = run("nested_switch_unclosed", s);
    assert_nesting_once("nested_switch_unclosed", &out);
}

#[test]
fn nested_blocks_mixed() {
    // if / while / switch / bare block / else, in turn
    let open = [
        "if (1) {\n",
        "while (1) {\n",
        "switch ($x) {\ndefault:\n",
        "{\n",
        "if (0) { exit; } else {\n",
    ];
    let mut s = String::new();
    for i in 0..N {
        s.push_str(open[i % open.len()]);
    }
    s.push_str("exit;\n");
    s.push_str(&"}\n".repeat(N));
    let out = run("nested_blocks_mixed", in_route(&s));
    assert_nesting_once("nested_blocks_mixed", &out);
}

#[test]
fn nested_parentheses() {
    let s = format!(
        "if ({}$var(x){} == 1) {{\n\texit;\n}}\n",
        "(".repeat(N),
        ")".repeat(N)
    );
    let out = run("nested_parentheses", in_route(&s));
    assert_nesting_once("nested_parentheses", &out);
    // unclosed, and closed without an operand
    let s = format!("if ({}\n", "(".repeat(N));
    let out = run("nested_parentheses_unclosed", in_route(&s));
    assert_nesting_once("nested_parentheses_unclosed", &out);
    let s = format!("$var(x) = {}{};\n", "(".repeat(N), ")".repeat(N));
    let out = run("nested_parentheses_empty", in_route(&s));
    assert_nesting_once("nested_parentheses_empty", &out);
}

#[test]
fn nested_calls() {
    let s = format!("{}1{};\n", "f(".repeat(N), ")".repeat(N));
    let out = run("nested_calls", in_route(&s));
    assert_nesting_once("nested_calls", &out);
    let s = format!("$var(x) = {}\"a\"{};\n", "strlen(".repeat(N), ")".repeat(N));
    let out = run("nested_strlen", in_route(&s));
    assert_nesting_once("nested_strlen", &out);
    let s = format!("xlog({}\n", "f(1, ".repeat(N));
    let out = run("nested_calls_unclosed", in_route(&s));
    assert_nesting_once("nested_calls_unclosed", &out);
}

#[test]
fn prefix_operators() {
    for (name, op) in [
        ("prefix_bang", "!"),
        ("prefix_minus", "-"),
        ("prefix_tilde", "~"),
        ("prefix_not", "not "),
        ("prefix_defined", "defined "),
        ("prefix_cast", "(int)"),
    ] {
        let s = format!("if ({}$x) {{\n\texit;\n}}\n", op.repeat(N));
        let out = run(name, in_route(&s));
        assert_nesting_once(name, &out);
    }
}

#[test]
fn nested_pv_parentheses() {
    // one PV token for the lexer, like Kamailio's PVAR_P state
    let pv = format!("{}x{}", "$(".repeat(N), ")".repeat(N));
    let s = format!("$var(a) = {pv};\nxlog(\"{pv}\");\n");
    let out = run("nested_pv", in_route(&s));
    assert!(
        out.count(NESTING) == 0,
        "a PV is one token: {:?}",
        out.messages(5)
    );
    let s = format!("$var(a) = {};\nexit;\n", "$(".repeat(N));
    run("nested_pv_unclosed", in_route(&s));
    // the PV helpers are iterative
    on_small_stack("nested_pv_helpers", move || {
        assert!(kcfg_syntax::pvar::parse_pv(&pv).is_err());
        let found = kcfg_syntax::pvar::scan_format(&pv);
        assert_eq!(found.len(), 1);
        let unclosed = "$(".repeat(2_000);
        assert!(kcfg_syntax::pvar::parse_pv(&unclosed).is_err());
        let start = Instant::now();
        let found = kcfg_syntax::pvar::scan_format(&unclosed);
        eprintln!(
            "scan_format on 2,000 unclosed `$(`: {:?}, {} PVs",
            start.elapsed(),
            found.len()
        );
    });
}

// ---------------------------------------------------------------- #!ifdef

#[test]
fn nested_ifdef() {
    let s = format!(
        "{}request_route {{\n\texit;\n}}\n{}",
        "#!ifdef X\n".repeat(N),
        "#!endif\n".repeat(N)
    );
    let out = run("nested_ifdef", s.clone());
    // X is not defined: the 513th `#!ifdef` is in an arm not taken
    assert!(out.count_all(IFDEF_DEPTH) >= 1, "{:?}", out.messages(5));
    eprintln!(
        "nested_ifdef: {} `#!ifdef` depth errors ({} in arms not taken)",
        out.count_all(IFDEF_DEPTH),
        out.count_all(IFDEF_DEPTH) - out.count(IFDEF_DEPTH),
    );
    let out = run_with(
        "nested_ifdef_defined",
        s,
        ParseOptions {
            defines: vec!["X".into()],
            ..Default::default()
        },
    );
    assert!(out.count(IFDEF_DEPTH) >= 1, "{:?}", out.messages(5));
    eprintln!(
        "nested_ifdef_defined: {} `#!ifdef` depth errors",
        out.count(IFDEF_DEPTH)
    );
    // groups inside a route body
    let s = format!(
        "{}exit;\n{}",
        "#!ifdef X\n".repeat(N),
        "#!endif\n".repeat(N)
    );
    let out = run("nested_ifdef_in_route", in_route(&s));
    assert!(out.count_all(IFDEF_DEPTH) >= 1, "{:?}", out.messages(5));
    assert!(out.count_all(NESTING) <= 1, "{:?}", out.messages(5));
}

#[test]
fn unclosed_ifdefs() {
    let s = format!(
        "request_route {{\n\texit;\n}}\n{}",
        "#!ifdef X\n".repeat(200_000)
    );
    let out = run("unclosed_ifdefs", s);
    assert!(out.count_all(IFDEF_DEPTH) >= 1, "{:?}", out.messages(5));
    eprintln!(
        "unclosed_ifdefs: {} `#!ifdef` depth errors",
        out.count_all(IFDEF_DEPTH)
    );
}

// ---------------------------------------------------------------- chains

#[test]
fn long_operator_chains() {
    let ops = 100_000;
    let s = format!("$var(x) = 1{};\n", " + 1".repeat(ops));
    let out = run("plus_chain", in_route(&s));
    assert_eq!(out.count(CHAIN), 1, "{:?}", out.messages(5));
    let s = format!("if ($x{}) {{\n\texit;\n}}\n", " && $x".repeat(ops));
    let out = run("and_chain", in_route(&s));
    assert_eq!(out.count(CHAIN), 1, "{:?}", out.messages(5));
    // mixed precedences: each `*` binds tighter, the `||` chain is the long one
    let s = format!(
        "if ($x{}) {{\n\texit;\n}}\n",
        " || $a * 2 == 3".repeat(ops / 4)
    );
    let out = run("mixed_chain", in_route(&s));
    assert_eq!(out.count(CHAIN), 1, "{:?}", out.messages(5));
}

/// Set in a child process started by [`isolated`].
const CHILD_ENV: &str = "KCFG_ROBUSTNESS_CHILD";

/// Run the test `name` of this binary again in a process of its own, so that
/// a stack overflow (which aborts the process) fails only that test. True in
/// the child, where the caller then runs the case itself.
fn isolated(name: &str) -> bool {
    if std::env::var_os(CHILD_ENV).is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run the test binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
    assert!(
        out.status.success(),
        "{name} failed in its own process ({}): {:?}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>()
    );
    false
}

/// Each level is a 999-operator chain whose leftmost operand is the next
/// level in parentheses: every chain stays under the 1000-operator limit and
/// the nesting stays under 256, but the left-leaning `BIN_EXPR` spines add
/// up to a tree 50,000 nodes deep, and rowan drops green nodes recursively.
/// Minimal input (about 200 bytes a level; 6 levels used to overflow a 2 MiB
/// debug stack, 50 levels an 8 MiB release main thread in `kcfg check`):
/// `$var(x) = ((1 + 1 + ... + 1) + 1 + ... + 1);`. The parser now gives
/// chains nested deeper a smaller operator budget, which bounds the depth.
#[test]
fn operator_chains_nested_in_parentheses() {
    if !isolated("operator_chains_nested_in_parentheses") {
        return;
    }
    let mut e = String::from("1");
    for _ in 0..50 {
        e = format!("({e}{})", " + 1".repeat(999));
    }
    let out = run(
        "chains_in_parentheses",
        in_route(&format!("$var(x) = {e};\n")),
    );
    assert!(out.errors.len() <= 2, "{:?}", out.messages(5));
}

#[test]
fn long_else_if_chain() {
    let mut s = String::from("if ($var(x) == 0) {\n\txlog(\"0\");\n}");
    for i in 1..N {
        s.push_str(&format!(
            " else if ($var(x) == {i}) {{\n\txlog(\"{i}\");\n}}"
        ));
    }
    s.push_str(" else {\n\texit;\n}\n");
    let out = run("else_if_chain", in_route(&s));
    assert!(out.errors.is_empty(), "{:?}", out.messages(5));
    // without braces
    let mut s = String::from("if ($var(x) == 0) xlog(\"0\");\n");
    for i in 1..N {
        s.push_str(&format!("else if ($var(x) == {i}) xlog(\"{i}\");\n"));
    }
    let out = run("else_if_chain_bare", in_route(&s));
    assert!(out.errors.is_empty(), "{:?}", out.messages(5));
}

// ---------------------------------------------------------------- a big file

/// A realistic config, repeated with distinct route names up to `size` bytes.
fn realistic_config(size: usize) -> String {
    let mut s = String::with_capacity(size + 4096);
    s.push_str(
        "#!KAMAILIO\n\
         #!define WITH_AUTH\n\
         #!define FLT_ACC 1\n\
         #!define TIMEOUT 30\n\
         #!substdef \"!MY_DOMAIN!example.org!g\"\n\
         /* generated for the robustness test */\n\
         debug=2\n\
         log_stderror=no\n\
         children=8\n\
         listen=udp:127.0.0.1:5060\n\
         alias=\"example.org\"\n\
         loadmodule \"tm.so\"\n\
         loadmodule \"sl.so\"\n\
         loadmodule \"rr.so\"\n\
         loadmodule \"xlog.so\"\n\
         loadmodule \"textops.so\"\n\
         modparam(\"tm\", \"fr_timer\", 30000)\n\
         modparam(\"rr\", \"enable_full_lr\", 1)\n\
         request_route {\n\
         \troute(R0);\n\
         }\n",
    );
    let mut i = 0;
    while s.len() < size {
        s.push_str(&format!(
            "# route {i}\n\
             route[R{i}] {{\n\
             \tif (!mf_process_maxfwd_header(\"10\")) {{\n\
             \t\tsl_send_reply(\"483\", \"Too Many Hops\");\n\
             \t\texit;\n\
             \t}}\n\
             \t$var(t) = TIMEOUT;\n\
             \tif (is_method(\"INVITE|SUBSCRIBE\") && $rU =~ \"^\\+?[0-9]+$\") {{\n\
             \t\tsetflag(FLT_ACC);\n\
             \t\t$avp(s:caller) = $fU + \"@\" + $fd;\n\
             \t}} else if ($var(t) > 10 || $si == \"10.0.0.{m}\") {{\n\
             \t\txlog(\"L_INFO\", \"$rm from $fu to $(tu{{uri.user}}) [{i}]\\n\");\n\
             \t}} else {{\n\
             \t\t$var(n) = $(hdr(X-Count){{s.int}}) * 2 - 1;\n\
             \t}}\n\
             #!ifdef WITH_AUTH\n\
             \tif (!has_totag()) {{\n\
             \t\trecord_route();\n\
             \t}}\n\
             #!else\n\
             \tremove_hf(\"Route\");\n\
             #!endif\n\
             \tswitch ($rm) {{\n\
             \t\tcase \"INVITE\":\n\
             \t\t\tt_on_failure(\"F{i}\");\n\
             \t\t\tbreak;\n\
             \t\tdefault:\n\
             \t\t\t$var(i) = 0;\n\
             \t\t\twhile ($var(i) < 3) {{\n\
             \t\t\t\t$var(i) = $var(i) + 1;\n\
             \t\t\t}}\n\
             \t}}\n\
             \tif (uri == myself && @ruri.user != \"\") {{\n\
             \t\tt_relay();\n\
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
    s
}

#[test]
fn ten_megabyte_config() {
    let text = realistic_config(10 << 20);
    let len = text.len();
    let start = Instant::now();
    let out = run("ten_megabyte_config", text);
    eprintln!(
        "ten_megabyte_config: {len} bytes, {:?} with the checks",
        start.elapsed()
    );
    assert!(out.errors.is_empty(), "{:?}", out.messages(5));
    assert_eq!(out.warnings, 0);
}

// ---------------------------------------------------------------- every character

/// Contexts with `@@` where the character goes.
const CONTEXTS: &[&str] = &[
    "@@",
    "@@request_route {\n\texit;\n}\n",
    "request_route {\n\texit;\n}\n@@",
    "request_route {\n\t@@\n\texit;\n}\n",
    "request_route {\n\txlog(\"a@@b\");\n}\n",
    "request_route {\n\txlog('a@@b');\n}\n",
    "request_route {\n\t$var(a@@b) = 1;\n}\n",
    "request_route {\n\t$var(x) = $(a@@b{s.len});\n}\n",
    "request_route {\n\tif ($x == @@) {\n\t\texit;\n\t}\n}\n",
    "request_route {\n\tif (@ruri.us@@er) {\n\t\texit;\n\t}\n}\n",
    "request_route {\n\t$var(x) = 1@@2;\n}\n",
    "request_route {\n\tf(a@@b);\n}\n",
    "# comment @@\nrequest_route {\n\texit;\n}\n",
    "/* block @@ comment */\n",
    "/* unclosed @@",
    "\"unclosed @@",
    "#!define A@@B 1\n#!ifdef A@@B\nx=1\n#!endif\n",
    "#!ifdef @@\nrequest_route {\n#!else\nroute[X] {\n#!endif\n\texit;\n}\n",
    "#!subst \"/a@@/b/\"\n",
    "#@@!define X\n",
    "#!@@define X\n",
    "!!@@ifdef X\n",
    "modparam(\"tm\", \"p@@\", 1)\n",
    "debug=@@\n",
    "listen=udp:1.2.3.4:50@@60\n",
    "route[R@@] {\n\texit;\n}\n",
    "event_route[a:b@@c] {\n\texit;\n}\n",
    "request_route {\n\tswitch ($x) {\n\tcase @@:\n\t\texit;\n\t}\n}\n",
    "request_route {\n\tif (1) exit; el@@se exit;\n}\n",
    "request_route\\@@\n{\n\texit;\n}\n",
];

#[test]
fn every_byte_value_as_a_char() {
    let start = Instant::now();
    let parses = on_small_stack("every_byte_value_as_a_char", || {
        let mut parses = 0;
        let options = [
            ParseOptions::default(),
            ParseOptions {
                defines: vec!["A".into(), "X".into()],
                core_params: Some(vec!["debug".into(), "listen".into()]),
                includes_resolved: true,
            },
        ];
        for b in 0..=255u8 {
            let c = char::from(b).to_string();
            for ctx in CONTEXTS {
                for (k, o) in options.iter().enumerate() {
                    let text = ctx.replace("@@", &c);
                    let parse = parse_with(&text, o);
                    if let Err(e) = check_parse(&text, &parse) {
                        panic!("byte {b:#04x} in {ctx:?} (options {k}): {e}");
                    }
                    parses += 1;
                }
            }
        }
        // and a few characters beyond Latin-1: BOM, line/paragraph
        // separators, a 4-byte emoji, a combining mark, a replacement char
        for c in [
            '\u{feff}',
            '\u{2028}',
            '\u{2029}',
            '\u{1f600}',
            '\u{301}',
            '\u{fffd}',
        ] {
            for ctx in CONTEXTS {
                let text = ctx.replace("@@", &c.to_string());
                let parse = parse_with(&text, &options[0]);
                if let Err(e) = check_parse(&text, &parse) {
                    panic!("{c:?} in {ctx:?}: {e}");
                }
                parses += 1;
            }
        }
        parses
    });
    eprintln!(
        "every_byte_value_as_a_char: {parses} parses in {:?}",
        start.elapsed()
    );
}

#[test]
fn decode_points_at_the_first_bad_byte() {
    for b in 0..=255u8 {
        let bytes = [b"# ok\nx=".as_slice(), &[b], b"1\n"].concat();
        match kcfg_syntax::decode(&bytes) {
            Ok(t) => assert!(b < 0x80 && t.len() == bytes.len()),
            Err(e) => {
                assert!(b >= 0x80, "byte {b:#04x}");
                assert_eq!(e.offset, 7, "byte {b:#04x}");
            }
        }
    }
    // a truncated multi-byte sequence at the very end
    let bytes = "request_route { exit; }\n\u{e9}".as_bytes();
    let cut = &bytes[..bytes.len() - 1];
    assert_eq!(kcfg_syntax::decode(cut).unwrap_err().offset, cut.len() - 1);
}

// ---------------------------------------------------------------- random input

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

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n
    }
}

fn fuzz_one(name: &str, i: usize, text: &str, options: &ParseOptions) {
    let parse = parse_with(text, options);
    if let Err(e) = check_parse(text, &parse) {
        let shown: String = text.chars().take(2000).collect();
        panic!("{name} #{i}: {e}\ninput: {shown:?}");
    }
}

fn fuzz_options(i: usize) -> ParseOptions {
    match i % 4 {
        0 | 2 => ParseOptions::default(),
        k => ParseOptions {
            defines: vec!["A".into(), "B=1".into()],
            core_params: Some(vec!["debug".into(), "children".into()]),
            includes_resolved: k == 1,
        },
    }
}

#[test]
fn random_ascii() {
    let start = Instant::now();
    let count = on_small_stack("random_ascii", || {
        let mut rng = Lcg(0x6b63_6667);
        let mut count = 0;
        for i in 0..1_500 {
            let len = rng.below(1_500);
            // mostly printable, with the occasional control byte
            let text: String = (0..len)
                .map(|_| {
                    if rng.below(20) == 0 {
                        char::from(rng.below(32) as u8)
                    } else {
                        char::from(32 + rng.below(95) as u8)
                    }
                })
                .collect();
            fuzz_one("random_ascii", i, &text, &fuzz_options(i));
            count += 1;
        }
        count
    });
    eprintln!("random_ascii: {count} inputs in {:?}", start.elapsed());
}

const SOUP: &[&str] = &[
    "request_route",
    "route",
    "route[",
    "failure_route[F]",
    "onreply_route",
    "branch_route",
    "reply_route",
    "event_route[a:b]",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "if",
    "else",
    "while",
    "switch",
    "case",
    "default",
    ":",
    ";",
    ",",
    "$var(x)",
    "$(",
    "$",
    "$$",
    "$x",
    "$avp(s:a)",
    "$(hdr(A){s.len})",
    "$(a{",
    "@ruri.user",
    "@",
    "\"str\"",
    "\"unterminated",
    "'sq'",
    "'",
    "\"a\\\"b\"",
    "1",
    "0x1F",
    "-1",
    "1.2.3.4",
    "10.0.0.0/8",
    "[::1]",
    "::1",
    "+",
    "-",
    "*",
    "/",
    "&&",
    "||",
    "!",
    "==",
    "!=",
    "=~",
    "!~",
    "=",
    "+=",
    ":=",
    "%",
    ".",
    "<",
    ">",
    "<=",
    ">=",
    "<<",
    ">>",
    "^",
    "|",
    "&",
    "~",
    "/*",
    "*/",
    "#",
    "//",
    "\\",
    "\n",
    " ",
    "\t",
    "\r\n",
    "# c\n",
    "// c\n",
    "#!ifdef A\n",
    "#!ifndef B\n",
    "#!ifexp A > 1\n",
    "#!else\n",
    "#!endif\n",
    "!!ifdef A\n",
    "#!define A 1\n",
    "#!define B-C\n",
    "#!define C $var(x) +\n",
    "#!trydef D\n",
    "#!undef A\n",
    "#!subst \"/a/b/\"\n",
    "#!substdef \"!X!y!\"\n",
    "#!defenv E=HOME\n",
    "#!KAMAILIO\n",
    "include_file \"x.cfg\"\n",
    "import_file \"y.cfg\"\n",
    "loadmodule \"tm.so\"\n",
    "modparam(\"tm\", \"x\", 1)",
    "debug=2",
    "listen=",
    "cfgengine",
    "return",
    "exit",
    "drop",
    "break",
    "continue",
    "xlog",
    "f",
    "A",
    "B",
    "X",
    "strlen",
    "strempty",
    "defined",
    "(int)",
    "(str)",
    "not",
    "and",
    "or",
    "mod",
    "eq",
    "ne",
    "myself",
    "uri",
    "method",
    "udp:1.2.3.4:5060",
    "force_rport",
    "é",
    "\u{feff}",
    "\u{1f600}",
    "\0",
    "\x7f",
    "\u{a0}",
];

#[test]
fn random_token_soup() {
    let start = Instant::now();
    let count = on_small_stack("random_token_soup", || {
        let mut rng = Lcg(0x1234_5678_9abc_def0);
        let mut count = 0;
        for i in 0..3_000 {
            let n = rng.below(300);
            let mut text = String::new();
            for _ in 0..n {
                text.push_str(SOUP[rng.below(SOUP.len())]);
                match rng.below(4) {
                    0 => {}
                    1 => text.push('\n'),
                    _ => text.push(' '),
                }
            }
            fuzz_one("random_token_soup", i, &text, &fuzz_options(i));
            count += 1;
        }
        count
    });
    eprintln!("random_token_soup: {count} inputs in {:?}", start.elapsed());
}

/// Token soup spliced into a valid config, so that the damage lands inside
/// routes, blocks and `#!ifdef` groups rather than at the top level.
#[test]
fn random_mutations_of_a_valid_config() {
    let start = Instant::now();
    let count = on_small_stack("random_mutations", || {
        let base = realistic_config(3_000);
        let mut rng = Lcg(42);
        let mut count = 0;
        for i in 0..1_500 {
            let mut text = base.clone();
            for _ in 0..1 + rng.below(4) {
                let mut at = rng.below(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.below(3) {
                    0 => text.insert_str(at, SOUP[rng.below(SOUP.len())]),
                    1 => {
                        let mut end = (at + 1 + rng.below(40)).min(text.len());
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        text.replace_range(at..end, "");
                    }
                    _ => {
                        let t = SOUP[rng.below(SOUP.len())];
                        text.insert_str(at, &t.repeat(1 + rng.below(50)));
                    }
                }
            }
            fuzz_one("random_mutations", i, &text, &fuzz_options(i));
            count += 1;
        }
        count
    });
    eprintln!("random_mutations: {count} inputs in {:?}", start.elapsed());
}
