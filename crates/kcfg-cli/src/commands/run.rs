//! `kcfg run`: the reference runtime on a capture or a text file of SIP messages.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal};

use kcfg_runtime::{Config, Input, Record, Runner, SipFileOptions, Step};

use crate::args::{RunArgs, RunFormat};
use crate::commands::report_error;
use crate::input::read_file;
use crate::{emit, Env, Status};

/// Largest trace read.
const MAX_TRACE: u64 = 2 << 30;
/// Packets from which `kcfg run` shows a progress bar (on a terminal).
const PROGRESS_MIN: usize = 5000;

pub fn run(args: &RunArgs, env: &mut Env<'_>) -> io::Result<Status> {
    let config = match Config::load(&args.config, &args.defines) {
        Ok(c) => c,
        Err(e) => {
            report_error(
                env,
                format_args!("cannot read `{}`: {e}", args.config.display()),
            )?;
            return Ok(Status::Error);
        }
    };
    let data = match read_file(&args.trace, MAX_TRACE) {
        Ok(d) => d,
        Err(e) => {
            report_error(
                env,
                format_args!("cannot read `{}`: {e}", args.trace.display()),
            )?;
            return Ok(Status::Error);
        }
    };
    let mut opts = SipFileOptions::default();
    let mut runner_probe = Runner::new(&config);
    kcfg_runtime::compare::use_kamailio_addrs(&mut runner_probe, &args.kamailio_addr);
    if let Some((_, a)) = runner_probe.rt.listen.first() {
        opts.kamailio = *a;
    }
    let input = match Input::from_bytes(&data, &opts) {
        Ok(i) => i,
        Err(e) => {
            report_error(
                env,
                format_args!("cannot read `{}`: {e}", args.trace.display()),
            )?;
            return Ok(Status::Error);
        }
    };
    if args.compare {
        return compare(args, env, &config, &input);
    }
    let mut runner = runner_probe;
    // a progress bar on stderr for long captures, only on a terminal (and
    // not when the timeline streams to the same terminal)
    let bar = (input.packets.len() >= PROGRESS_MIN
        && std::io::stderr().is_terminal()
        && !env.stdout_is_terminal)
        .then(|| {
            let b = indicatif::ProgressBar::new(input.packets.len() as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {human_pos}/{human_len} packets [{bar:30}] eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
    // records are written as they come (not kept): memory stays bounded
    // by one message however long the capture is
    let text = matches!(args.format, RunFormat::Text);
    let mut out = String::new();
    if text {
        for e in &config.errors {
            let _ = writeln!(out, "config error (Kamailio would not start): {e}");
        }
    }
    let mut sink = Chunked {
        w: &mut *env.stdout,
        err: None,
        closed: false,
    };
    sink.push(&mut out);
    runner.run_streaming(
        &input,
        &mut |n| {
            if let Some(b) = &bar {
                b.set_position(n as u64);
            }
        },
        &mut |r| {
            if sink.closed {
                return;
            }
            if text {
                timeline(&mut out, &r, args.verbose);
            } else {
                out.push_str(&serde_json::to_string(&r).unwrap_or_default());
                out.push('\n');
            }
            if out.len() >= 1 << 16 {
                sink.push(&mut out);
            }
        },
    );
    sink.push(&mut out);
    if let Some(e) = sink.err {
        return Err(e);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let summary = runner.summary().clone();
    match args.format {
        RunFormat::Jsonl | RunFormat::Json => {
            let s = serde_json::json!({
                "type": "summary",
                "summary": summary,
                "capture": input.stats,
                "config_errors": config.errors,
            });
            out.push_str(&s.to_string());
            out.push('\n');
            emit(env.stdout, &out)?;
        }
        RunFormat::Text => {
            let _ = writeln!(out, "\nsummary:");
            let _ = writeln!(
                out,
                "  input: {} SIP messages read ({} frames, {} skipped{})",
                input.stats.sip_messages,
                input.stats.frames,
                input.stats.skipped_total(),
                if input.stats.skipped.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        input
                            .stats
                            .skipped
                            .iter()
                            .map(|(k, v)| format!("{v} {k}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
            let _ = writeln!(
                out,
                "  messages to Kamailio: {} ({} requests, {} replies, {} unparsable), calls: {}",
                summary.messages,
                summary.requests,
                summary.replies_in,
                summary.parse_errors,
                summary.calls
            );
            let codes: Vec<String> = summary
                .replies_sent_by_code
                .iter()
                .map(|(c, n)| format!("{c}×{n}"))
                .collect();
            let _ = writeln!(
                out,
                "  replies sent: {}; requests forwarded: {}; dropped: {}",
                if codes.is_empty() {
                    "none".into()
                } else {
                    codes.join(" ")
                },
                summary.requests_forwarded,
                summary.dropped
            );
            if summary.messages == 0 && input.stats.sip_messages > 0 && !input.all_to_kamailio {
                not_to_kamailio(&mut out, &runner, &input);
            }
            if !config.errors.is_empty() {
                let _ = writeln!(
                    out,
                    "  NOT KAMAILIO'S BEHAVIOUR: Kamailio 5.6 would not start with this config ({} {}, listed at the top)",
                    config.errors.len(),
                    if config.errors.len() == 1 { "error" } else { "errors" }
                );
            }
            if summary.unsupported.is_empty() && summary.errors == 0 {
                let _ = writeln!(
                    out,
                    "  complete: every function the messages reached was simulated"
                );
            } else {
                let _ = writeln!(
                    out,
                    "  INCOMPLETE: {} script errors; not simulated:",
                    summary.errors
                );
                for (f, (n, at)) in &summary.unsupported {
                    let _ = writeln!(out, "    {f} ×{n} (first at {at})");
                }
            }
            emit(env.stdout, &out)?;
        }
    }
    Ok(
        if summary.unsupported.is_empty() && summary.errors == 0 && config.errors.is_empty() {
            Status::Clean
        } else {
            Status::Findings
        },
    )
}

/// The capture has SIP messages but none to Kamailio's addresses: say which
/// addresses were looked for and where the capture's requests go.
fn not_to_kamailio(out: &mut String, runner: &Runner, input: &Input) {
    let looked_for: Vec<String> = runner
        .rt
        .listen
        .iter()
        .map(|(p, a)| format!("{}:{a}", p.name()))
        .collect();
    let mut dsts: BTreeMap<std::net::SocketAddr, usize> = BTreeMap::new();
    for p in &input.packets {
        if !p.data.starts_with(b"SIP/") {
            *dsts.entry(p.dst).or_default() += 1;
        }
    }
    let mut dsts: Vec<_> = dsts.into_iter().collect();
    dsts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let _ = writeln!(
        out,
        "  note: no message is addressed to Kamailio at {} (the config's `listen` lines, \
         or 127.0.0.1:5060 when it has none)",
        looked_for.join(", ")
    );
    if !dsts.is_empty() {
        let _ = writeln!(
            out,
            "  the capture's requests go to: {}",
            dsts.iter()
                .take(5)
                .map(|(a, n)| format!("{a} ({n})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        out,
        "  give Kamailio's address in the capture with --kamailio-addr IP:PORT"
    );
}

/// Writes output in chunks; a closed pipe ends the output quietly.
struct Chunked<'a> {
    w: &'a mut dyn io::Write,
    err: Option<io::Error>,
    closed: bool,
}

impl Chunked<'_> {
    fn push(&mut self, out: &mut String) {
        if !self.closed {
            match self.w.write_all(out.as_bytes()) {
                Ok(()) => {}
                Err(e) => {
                    self.closed = true;
                    if e.kind() != io::ErrorKind::BrokenPipe {
                        self.err = Some(e);
                    }
                }
            }
        }
        out.clear();
    }
}

/// `{at}` of a [`Loc`](kcfg_runtime::ir::Loc) appended to `out`.
fn push_loc(out: &mut String, at: &kcfg_runtime::ir::Loc) {
    out.push_str(&at.file);
    out.push(':');
    let mut d = [0u8; 10];
    let d = kcfg_runtime::ir::u32_digits(at.line, &mut d);
    out.push_str(std::str::from_utf8(d).unwrap_or_default());
}

fn timeline(out: &mut String, r: &Record, verbose: bool) {
    let from = match (r.src, r.dst, r.proto) {
        (Some(s), Some(d), Some(p)) => format!(" {} {s} -> {d}", p.name()),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "#{} t={:.3} {}{}  {}",
        r.index, r.at, r.trigger, from, r.start_line
    );
    let incoming: BTreeMap<String, Vec<&str>> =
        group(r.in_headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    for s in &r.steps {
        match s {
            Step::Route { route, at } => {
                // `writeln!(out, "    route  {route} ({at})")`, pieced
                // together (up to 1,000 lines per message)
                out.push_str("    route  ");
                out.push_str(route);
                out.push_str(" (");
                push_loc(out, at);
                out.push_str(")\n");
            }
            Step::Call { function, ret, at } => {
                if verbose {
                    let _ = writeln!(out, "    call   {function}() = {ret} ({at})");
                }
            }
            Step::Log { text, .. } => {
                let _ = writeln!(out, "    log    {text}");
            }
            Step::Send(x) => {
                let _ = writeln!(
                    out,
                    "    send   {} {} -> {} ({}, {})",
                    x.kind,
                    x.start_line,
                    x.dst,
                    x.proto.name(),
                    x.by
                );
                if x.kind == "request" {
                    let sent = group(x.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                    for (name, vals) in &sent {
                        match incoming.get(name) {
                            None => {
                                for v in vals {
                                    let _ = writeln!(out, "             + {name}: {v}");
                                }
                            }
                            Some(old) if old != vals => {
                                for v in vals.iter().filter(|v| !old.contains(v)) {
                                    let _ = writeln!(out, "             ~ {name}: {v}");
                                }
                            }
                            _ => {}
                        }
                    }
                    for (name, vals) in &incoming {
                        if !sent.contains_key(name) {
                            for v in vals {
                                let _ = writeln!(out, "             - {name}: {v}");
                            }
                        }
                    }
                }
            }
            Step::Drop { reason } => {
                let _ = writeln!(out, "    drop   {reason}");
            }
            Step::Unsupported { function, at } => {
                let _ = writeln!(out, "    NOT SIMULATED {function} ({at})");
            }
            Step::Error { message, at } => match at {
                Some(a) => {
                    let _ = writeln!(out, "    error  {message} ({a})");
                }
                None => {
                    let _ = writeln!(out, "    error  {message}");
                }
            },
            Step::Note { text } => {
                let _ = writeln!(out, "    note   {text}");
            }
        }
    }
}

fn group<'a>(it: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, Vec<&'a str>> {
    let mut m: BTreeMap<String, Vec<&'a str>> = BTreeMap::new();
    for (n, v) in it {
        m.entry(kcfg_runtime::sip::canon_name(n))
            .or_default()
            .push(v);
    }
    m
}

/// `kcfg run --compare`: trace regression against the capture.
fn compare(
    args: &RunArgs,
    env: &mut Env<'_>,
    config: &Config,
    input: &Input,
) -> io::Result<Status> {
    use kcfg_runtime::compare::{self, CompareOptions, Verdict};
    if input.all_to_kamailio {
        report_error(
            env,
            format_args!(
                "--compare needs a pcap/pcapng capture of Kamailio's traffic; `{}` is a text file of SIP messages",
                args.trace.display()
            ),
        )?;
        return Ok(Status::Error);
    }
    let mut ignore = args.ignore_header.clone();
    match toml_ignore_headers(&args.config) {
        Ok(v) => ignore.extend(v),
        Err(e) => {
            report_error(env, e)?;
            return Ok(Status::Error);
        }
    }
    let opts = CompareOptions {
        kamailio: args.kamailio_addr.clone(),
        ignore_headers: ignore,
    };
    let cmp = compare::compare(config, input, &opts);
    let mut out = String::new();
    match args.format {
        RunFormat::Json => {
            out = serde_json::to_string_pretty(&cmp).unwrap_or_default();
            out.push('\n');
        }
        RunFormat::Jsonl => {
            for e in &cmp.entries {
                out.push_str(&serde_json::to_string(e).unwrap_or_default());
                out.push('\n');
            }
            let s = serde_json::json!({
                "type": "summary",
                "summary": cmp.summary,
                "kamailio": cmp.kamailio,
                "notes": cmp.notes,
            });
            out.push_str(&s.to_string());
            out.push('\n');
        }
        RunFormat::Text => {
            for e in &config.errors {
                let _ = writeln!(out, "config error (Kamailio would not start): {e}");
            }
            let s = &cmp.summary;
            let _ = writeln!(
                out,
                "Kamailio at {}: {} messages to it, {} from it in the capture ({} others ignored)",
                cmp.kamailio.join(", "),
                s.messages_to_kamailio,
                s.messages_from_kamailio,
                s.messages_other
            );
            for e in &cmp.entries {
                if e.verdict == Verdict::Same && !args.verbose {
                    continue;
                }
                let m = e.kamailio.as_ref().or(e.config.as_ref());
                let (frame, dst) = match m {
                    Some(m) => (
                        m.frame
                            .map(|f| format!("frame {f}"))
                            .unwrap_or_else(|| "no frame".into()),
                        format!("{} {}", m.proto.name(), m.dst),
                    ),
                    None => (String::new(), String::new()),
                };
                let verdict = match e.verdict {
                    Verdict::Same => "same",
                    Verdict::Different => "DIFFERENT",
                    Verdict::NotSimulated => "NOT SIMULATED",
                };
                let _ = writeln!(
                    out,
                    "{verdict}: {frame} t={:.3} {} -> {dst} (Call-ID {}, CSeq {}){}",
                    e.at(),
                    e.title(),
                    e.call_id,
                    e.cseq,
                    if e.mid_dialog {
                        " [capture starts mid-dialog]"
                    } else {
                        ""
                    }
                );
                for d in &e.differences {
                    match (&d.kamailio, &d.config) {
                        (Some(k), Some(c)) => {
                            let _ = writeln!(
                                out,
                                "    {}: Kamailio sent `{k}`, the config sends `{c}`",
                                d.what
                            );
                        }
                        (Some(k), None) if d.what == "message" => {
                            let _ = writeln!(
                                out,
                                "    Kamailio sent `{k}`, the config sends nothing like it"
                            );
                        }
                        (None, Some(c)) if d.what == "message" => {
                            let _ = writeln!(
                                out,
                                "    the config sends `{c}`, Kamailio sent nothing like it"
                            );
                        }
                        (Some(k), None) => {
                            let _ = writeln!(
                                out,
                                "    - {}: `{k}` (Kamailio sent it, the config does not)",
                                d.what
                            );
                        }
                        (None, Some(c)) => {
                            let _ = writeln!(
                                out,
                                "    + {}: `{c}` (the config adds it, Kamailio did not send it)",
                                d.what
                            );
                        }
                        (None, None) => {}
                    }
                }
                if !e.not_simulated.is_empty() {
                    let _ = writeln!(
                        out,
                        "    not simulated in this call: {}",
                        e.not_simulated.join(", ")
                    );
                }
            }
            for n in &cmp.notes {
                let _ = writeln!(out, "note: {n}");
            }
            if !s.mid_dialog_calls.is_empty() {
                let _ = writeln!(
                    out,
                    "note: the capture starts in the middle of {} call(s); their in-dialog requests were simulated without the dialog's start",
                    s.mid_dialog_calls.len()
                );
            }
            let _ = writeln!(
                out,
                "{} ({:.1}% same; retransmissions folded: {} of Kamailio's, {} of the config's)",
                cmp.summary_line(),
                s.percent_same,
                s.kamailio_retransmissions,
                s.config_retransmissions
            );
        }
    }
    emit(env.stdout, &out)?;
    if cmp.summary.messages_to_kamailio == 0 && cmp.summary.messages_from_kamailio == 0 {
        return Ok(Status::Error);
    }
    Ok(if cmp.summary.different > 0 {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// `[compare] ignore-headers` of the kcfg.toml next to the config or above.
fn toml_ignore_headers(cfg: &std::path::Path) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize, Default)]
    struct Raw {
        #[serde(default)]
        compare: RawCompare,
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "kebab-case", deny_unknown_fields)]
    struct RawCompare {
        #[serde(default)]
        ignore_headers: Vec<String>,
    }
    let dir = cfg
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let Some(path) = crate::config::find(&dir) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let raw: Raw = toml::from_str(&text)
        .map_err(|e| format!("`{}`: [compare]: {}", path.display(), e.message()))?;
    Ok(raw.compare.ignore_headers)
}
