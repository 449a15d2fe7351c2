//! Inputs: captures, and text files of SIP messages in the format of the
//! Kamailio oracle (`../shared/tools/kamailio-oracle`, INPUT.sip):
//! messages separated by `---` lines, `#` comments, directives
//! (`@nh-reply 200 OK`, `@nh1-reply 486 Busy Here`, `@nh-reply none`,
//! `@sleep S`, `@no-auto-ack`, `@auth user:password`; `#@user user:password`
//! lines anywhere declare subscribers, `#@http PATH CODE BODY` lines HTTP answers
//! for http_client), placeholders `{{KPORT}} {{CPORT}}
//! {{NHnPORT}} {{IP}} {{N}}`.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::capture::{self, CaptureStats, Proto, WirePacket};
use crate::engine::NextHopReply;

/// Addresses used for a text input.
#[derive(Debug, Clone)]
pub struct SipFileOptions {
    pub kamailio: SocketAddr,
    pub client: SocketAddr,
    pub nexthops: Vec<SocketAddr>,
    /// virtual seconds between two messages (timers fire in between)
    pub step: f64,
}

impl Default for SipFileOptions {
    fn default() -> Self {
        SipFileOptions {
            kamailio: "127.0.0.1:5060".parse().expect("static"),
            client: "127.0.0.1:5070".parse().expect("static"),
            nexthops: vec![
                "127.0.0.1:5091".parse().expect("static"),
                "127.0.0.1:5092".parse().expect("static"),
            ],
            step: 3.0,
        }
    }
}

/// Messages to run, with the behaviour of scripted next hops.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub packets: Vec<WirePacket>,
    /// every packet goes to Kamailio (text input) rather than only those to its listen addresses
    pub all_to_kamailio: bool,
    pub nexthops: HashMap<SocketAddr, Option<NextHopReply>>,
    /// packet index → next-hop reply changes in effect from it on
    pub nexthop_changes: HashMap<usize, Vec<(SocketAddr, Option<NextHopReply>)>>,
    pub nexthop_tags: HashMap<SocketAddr, String>,
    /// packet indexes whose non-2xx final replies are not ACKed by the client
    pub no_auto_ack: Vec<usize>,
    /// send the RFC 3261 ACK for non-2xx final replies to INVITEs (text input)
    pub auto_ack: bool,
    pub stats: CaptureStats,
    /// virtual seconds between text messages
    pub step: f64,
    /// subscribers (`#@user alice:secret` lines): user → password
    pub users: Vec<(String, String)>,
    /// packet index → `user:password` the client answers a 401/407 with (`@auth`)
    pub auth: HashMap<usize, String>,
    /// dispatcher list-file lines (`#@dispatcher 1 sip:127.0.0.1:5091`)
    pub dispatcher: Vec<String>,
    /// HTTP answers for http_client (`#@http /path 200 body`)
    pub http: Vec<crate::http::HttpResponse>,
}

/// Why an input could not be read.
#[derive(Debug, Clone)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Input {
    /// Read a capture or a text file (decided by content).
    pub fn from_bytes(data: &[u8], opts: &SipFileOptions) -> Result<Input, InputError> {
        if capture::is_capture(data) {
            let (packets, stats) = capture::read_capture(data).map_err(|e| InputError(e.0))?;
            return Ok(Input {
                packets,
                stats,
                ..Default::default()
            });
        }
        let text = std::str::from_utf8(data).map_err(|e| {
            InputError(format!("neither a pcap/pcapng capture nor UTF-8 text: {e}"))
        })?;
        Input::from_sip_text(text, opts)
    }

    /// Parse the text format.
    pub fn from_sip_text(text: &str, opts: &SipFileOptions) -> Result<Input, InputError> {
        let mut input = Input {
            all_to_kamailio: true,
            auto_ack: true,
            step: opts.step,
            ..Default::default()
        };
        for (i, nh) in opts.nexthops.iter().enumerate() {
            input.nexthops.insert(*nh, None);
            input.nexthop_tags.insert(*nh, format!("nexthop-{}", i + 1));
        }
        let mut subs: Vec<(String, String)> = vec![
            ("KPORT".into(), opts.kamailio.port().to_string()),
            ("CPORT".into(), opts.client.port().to_string()),
            ("IP".into(), opts.client.ip().to_string()),
        ];
        for (i, nh) in opts.nexthops.iter().enumerate() {
            subs.push((format!("NH{}PORT", i + 1), nh.port().to_string()));
        }
        input.users = text
            .lines()
            .filter_map(|l| l.strip_prefix("#@user "))
            .filter_map(|l| l.trim().split_once(':'))
            .map(|(u, p)| (u.to_string(), p.to_string()))
            .collect();
        input.dispatcher = text
            .lines()
            .filter_map(|l| l.strip_prefix("#@dispatcher "))
            .map(|l| {
                let mut l = l.trim().to_string();
                for (k, v) in &subs {
                    l = l.replace(&format!("{{{{{k}}}}}"), v);
                }
                l
            })
            .collect();
        input.http = text
            .lines()
            .filter_map(|l| l.strip_prefix("#@http "))
            .filter_map(crate::http::HttpResponse::from_directive)
            .collect();
        let mut ts = 0.0;
        for (bi, block) in text
            .split_inclusive('\n')
            .collect::<String>()
            .split("\n---\n")
            .enumerate()
        {
            let block = if bi == 0 {
                block.strip_prefix("---\n").unwrap_or(block)
            } else {
                block
            };
            let mut lines: Vec<&str> = Vec::new();
            let mut started = false;
            let mut changes = Vec::new();
            let mut wait = 0.0f64;
            for line in block.lines() {
                if !started {
                    let s = line.trim();
                    if s.is_empty() || s.starts_with('#') {
                        continue;
                    }
                    if let Some(d) = s.strip_prefix('@') {
                        let (name, arg) = d.split_once(' ').unwrap_or((d, ""));
                        let name = name.trim().to_ascii_lowercase();
                        let arg = arg.trim();
                        match name.as_str() {
                            "sleep" => ts += arg.parse::<f64>().unwrap_or(0.0),
                            // the real replay waits this long; the virtual clock too
                            "quiet" | "max-wait" => {
                                wait = wait.max(arg.parse::<f64>().unwrap_or(0.0))
                            }
                            "no-auto-ack" => input.no_auto_ack.push(input.packets.len()),
                            "auth" => {
                                input.auth.insert(input.packets.len(), arg.to_string());
                            }
                            n if n.starts_with("nh") && n.ends_with("-reply") => {
                                let idx = &n[2..n.len() - 6];
                                let conf = if arg.is_empty() || arg.eq_ignore_ascii_case("none") {
                                    None
                                } else {
                                    let (c, r) = arg.split_once(' ').unwrap_or((arg, "Reason"));
                                    let code: u16 = c.parse().map_err(|_| {
                                        InputError(format!(
                                            "message {}: bad reply code in @{name} {arg}",
                                            bi + 1
                                        ))
                                    })?;
                                    Some(NextHopReply {
                                        code,
                                        reason: r.trim().to_string(),
                                    })
                                };
                                let targets: Vec<SocketAddr> = if idx.is_empty() {
                                    opts.nexthops.clone()
                                } else {
                                    let k: usize = idx.parse().map_err(|_| {
                                        InputError(format!("bad directive @{name}"))
                                    })?;
                                    opts.nexthops
                                        .get(k.wrapping_sub(1))
                                        .copied()
                                        .into_iter()
                                        .collect()
                                };
                                for t in targets {
                                    changes.push((t, conf.clone()));
                                }
                            }
                            _ => {
                                return Err(InputError(format!(
                                    "message {}: unknown directive @{name}",
                                    bi + 1
                                )))
                            }
                        }
                        continue;
                    }
                    started = true;
                }
                lines.push(line);
            }
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            if lines.is_empty() {
                continue;
            }
            let n = input.packets.len() + 1;
            let mut t = lines.join("\n");
            for (k, v) in &subs {
                t = t.replace(&format!("{{{{{k}}}}}"), v);
            }
            t = t.replace("{{N}}", &n.to_string());
            let data = render(&t);
            if !changes.is_empty() {
                input.nexthop_changes.insert(input.packets.len(), changes);
            }
            input.packets.push(WirePacket {
                ts,
                src: opts.client,
                dst: opts.kamailio,
                proto: Proto::Udp,
                data,
                frame: 0,
            });
            input.stats.sip_messages += 1;
            ts += opts.step.max(wait);
        }
        Ok(input)
    }
}

/// CRLF line ends, a blank line after the headers, Content-Length fixed.
pub fn render(text: &str) -> Vec<u8> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h.to_string(), b.to_string()),
        None => (text.trim_end_matches('\n').to_string(), String::new()),
    };
    let mut body = body.replace('\n', "\r\n");
    if !body.is_empty() && !body.ends_with("\r\n") {
        body.push_str("\r\n");
    }
    let lines: Vec<String> = head
        .split('\n')
        .map(|l| {
            if let Some((n, _)) = l.split_once(':') {
                let ln = n.trim().to_ascii_lowercase();
                if ln == "content-length" || ln == "l" {
                    return format!("{}: {}", n.trim(), body.len());
                }
            }
            l.to_string()
        })
        .collect();
    format!("{}\r\n\r\n{}", lines.join("\r\n"), body).into_bytes()
}
