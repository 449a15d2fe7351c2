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
    let runner_probe = Runner::new(&config);
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
    let mut runner = runner_probe;
    // a progress bar on stderr for long captures, only on a terminal
    let bar = (input.packets.len() >= PROGRESS_MIN && std::io::stderr().is_terminal()).then(|| {
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
    runner.run_with_progress(&input, &mut |n| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let summary = runner.summary().clone();
    match args.format {
        RunFormat::Jsonl => {
            let mut out = String::new();
            for r in runner.records() {
                out.push_str(&serde_json::to_string(r).unwrap_or_default());
                out.push('\n');
            }
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
            let mut out = String::new();
            for e in &config.errors {
                let _ = writeln!(out, "note: the checker reports: {e}");
            }
            for r in runner.records() {
                timeline(&mut out, r, args.verbose);
            }
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
    Ok(if summary.unsupported.is_empty() && summary.errors == 0 {
        Status::Clean
    } else {
        Status::Findings
    })
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
                let _ = writeln!(out, "    route  {route} ({at})");
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
