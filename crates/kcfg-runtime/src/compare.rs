//! Trace regression (`kcfg run CONFIG --trace CAPTURE --compare`): does the
//! config send what the capture shows Kamailio sent?
//!
//! The capture holds what reached Kamailio (requests from clients, replies
//! of next hops to the requests it forwarded) and what Kamailio sent. The
//! incoming messages are fed into the runtime in capture order, with the
//! capture's timestamps as the virtual clock; a next hop's reply carries
//! the Via branch real Kamailio chose, so it is given the branch the
//! runtime chose for the same forwarded request before it goes in. Then
//! every message Kamailio sent is paired with a message the config sends:
//!
//! - grouped by Call-ID, CSeq and request/reply (Call-IDs no incoming
//!   message carries belong to requests Kamailio generated; those are
//!   grouped by method), then paired in order, an identical message first,
//!   then one with the same reply code or the same method and destination;
//! - retransmissions (the same message to the same place again) are folded
//!   into the first one on each side: real Kamailio retransmits requests
//!   and replies on UDP timers, the runtime does not;
//! - what legitimately differs between two runs is not compared: the
//!   branch of Kamailio's own Via, tags and Call-IDs Kamailio generated,
//!   Content-Length (the body is compared), version numbers in
//!   Server/User-Agent, and the headers of the ignore list.
//!
//! Each pair is "same" or a list of differences (reply code and reason,
//! method, Request-URI, destination, headers added/removed/changed, body).
//! A message only one side sent is a difference, unless the runtime met a
//! function it does not simulate while handling that call: then it is
//! "not simulated". Calls whose first message in the capture is inside a
//! dialog (a request with a To-tag, or a reply) are marked mid-dialog.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::capture::{CaptureStats, Proto, WirePacket};
use crate::event::{Record, Sent, Step, Summary};
use crate::sip::{canon_name, split_commas, NameAddr, SipMsg, Via};
use crate::sipfile::Input;
use crate::{Config, Runner};

/// Kamailio's timer tick (`TIMER_TICKS_HZ` = 16).
const TIMER_TICK: f64 = 1.0 / 16.0;

/// Headers never compared (canonical names).
pub const DEFAULT_IGNORED_HEADERS: &[&str] = &["content-length"];

/// Headers whose version numbers are not compared (`kamailio (5.6.3 ...)`).
pub const VERSION_HEADERS: &[&str] = &["server", "user-agent"];

/// How to compare.
#[derive(Debug, Clone, Default)]
pub struct CompareOptions {
    /// Kamailio's addresses in the capture; empty: the config's `listen` lines.
    pub kamailio: Vec<SocketAddr>,
    /// More header names not compared (any case, compact forms allowed).
    pub ignore_headers: Vec<String>,
}

/// The verdict on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Same,
    Different,
    NotSimulated,
}

/// A message as the report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    /// frame number in the capture (Kamailio's side only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    pub at: f64,
    pub proto: Proto,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub start_line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// One difference: what, and the value on each side (absent: `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `reply code`, `reason`, `method`, `request-uri`, `destination`,
    /// `header Name`, `body`, `message`
    pub what: String,
    pub kamailio: Option<String>,
    pub config: Option<String>,
}

/// One message Kamailio sent and/or the config would send.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub verdict: Verdict,
    pub call_id: String,
    pub cseq: String,
    /// what the capture shows Kamailio sent
    pub kamailio: Option<Shown>,
    /// what the config sends
    pub config: Option<Shown>,
    pub differences: Vec<Difference>,
    /// further copies of the same message folded into this one
    pub kamailio_retransmissions: usize,
    pub config_retransmissions: usize,
    /// the capture starts inside this call's dialog or transaction
    pub mid_dialog: bool,
    /// functions not simulated while handling this call
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_simulated: Vec<String>,
}

impl Entry {
    /// Time of the message (Kamailio's side first).
    pub fn at(&self) -> f64 {
        self.kamailio
            .as_ref()
            .or(self.config.as_ref())
            .map(|m| m.at)
            .unwrap_or(0.0)
    }
    /// `reply 200 OK` / `request INVITE sip:...`, for the report.
    pub fn title(&self) -> String {
        let m = self.kamailio.as_ref().or(self.config.as_ref());
        match m {
            Some(m) if m.start_line.starts_with("SIP/") => {
                format!("reply {}", m.start_line.split_once(' ').map_or("", |x| x.1))
            }
            Some(m) => format!(
                "request {}",
                m.start_line
                    .rsplit_once(' ')
                    .map_or(&*m.start_line, |x| x.0)
            ),
            None => String::new(),
        }
    }
}

/// Totals of a comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CompareSummary {
    pub same: usize,
    pub different: usize,
    pub not_simulated: usize,
    /// same / (same + different + not simulated), in percent
    pub percent_same: f64,
    pub kamailio_retransmissions: usize,
    pub config_retransmissions: usize,
    /// messages of the capture to Kamailio (fed to the runtime) and from it
    pub messages_to_kamailio: usize,
    pub messages_from_kamailio: usize,
    /// messages neither to nor from Kamailio (not used)
    pub messages_other: usize,
    /// messages from Kamailio that could not be parsed
    pub unparsable_from_kamailio: usize,
    /// calls the capture starts in the middle of
    pub mid_dialog_calls: Vec<String>,
}

/// The result of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub kamailio: Vec<String>,
    pub summary: CompareSummary,
    pub entries: Vec<Entry>,
    #[serde(skip)]
    pub records: Vec<Record>,
    pub runtime: Summary,
    pub capture: CaptureStats,
    pub notes: Vec<String>,
}

impl Comparison {
    /// `N same, M different, K not simulated`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} same, {} different, {} not simulated",
            s.same, s.different, s.not_simulated
        )
    }
}

/// Messages paired with each other share Call-ID, CSeq number and method,
/// and are both requests or both replies.
type GroupKey = (String, String, String, bool);

/// One message of one side, with its retransmissions folded.
#[derive(Debug, Clone)]
struct Side {
    shown: Shown,
    msg: SipMsg,
    retrans: usize,
}

/// Is `a` one of Kamailio's addresses (a wildcard listen matches any IP)?
fn is_kamailio(k: &[(Proto, SocketAddr)], a: &SocketAddr) -> bool {
    k.iter()
        .any(|(_, l)| l.port() == a.port() && (l.ip() == a.ip() || l.ip().is_unspecified()))
}

fn is_kamailio_ip(k: &[(Proto, SocketAddr)], ip: IpAddr) -> bool {
    k.iter()
        .any(|(_, l)| l.ip() == ip || l.ip().is_unspecified())
}

/// Is this Via element's sent-by one of Kamailio's addresses?
fn via_is_kamailio(k: &[(Proto, SocketAddr)], v: &Via) -> bool {
    let Ok(ip) = v.host.trim_matches(['[', ']']).parse::<IpAddr>() else {
        return false;
    };
    let port: u16 = v.port.parse().unwrap_or(5060);
    is_kamailio(k, &SocketAddr::new(ip, port))
}

/// Take `addrs` (`--kamailio-addr`) as Kamailio's sockets instead of the
/// config's `listen` lines (nothing changes when empty); each keeps the
/// protocol of a `listen` on the same port, else UDP.
pub fn use_kamailio_addrs(runner: &mut Runner, addrs: &[SocketAddr]) {
    if addrs.is_empty() {
        return;
    }
    let old = std::mem::take(&mut runner.rt.listen);
    runner.rt.listen = addrs
        .iter()
        .map(|a| {
            let proto = old
                .iter()
                .find(|(_, l)| l.port() == a.port())
                .map(|(p, _)| *p)
                .unwrap_or(Proto::Udp);
            (proto, *a)
        })
        .collect();
}

/// Run `config` on the messages of `input` that reached Kamailio and
/// compare what it sends with what Kamailio sent.
pub fn compare(config: &Config, input: &Input, opts: &CompareOptions) -> Comparison {
    let mut runner = Runner::new(config);
    use_kamailio_addrs(&mut runner, &opts.kamailio);
    let kaddrs = runner.rt.listen.clone();
    let mut summary = CompareSummary::default();
    let mut notes = Vec::new();

    // Call-IDs and tags that come from outside: what Kamailio did not generate
    let mut known_call_ids: HashSet<String> = HashSet::new();
    let mut known_tags: HashSet<String> = HashSet::new();
    // calls whose first message in the capture is inside a dialog
    let mut first_seen: HashMap<String, bool> = HashMap::new();

    let mut actual: Vec<(Shown, SipMsg)> = Vec::new();
    let mut simulated: Vec<(Sent, usize)> = Vec::new();
    let mut records: Vec<Record> = Vec::new();
    // Kamailio's branch of a forwarded request → the runtime's branch
    let mut branch_map: HashMap<String, String> = HashMap::new();
    let mut claimed: HashSet<String> = HashSet::new();
    let mut generated_tags: HashSet<String> = HashSet::new();
    let mut tag_map: HashMap<String, String> = HashMap::new();
    let mut last_ts = 0.0f64;

    for (i, p) in input.packets.iter().enumerate() {
        last_ts = last_ts.max(p.ts);
        let parsed = SipMsg::parse(&p.data).ok();
        let (to_k, from_k) = classify(&kaddrs, p, parsed.as_ref());
        if !to_k && !from_k {
            summary.messages_other += 1;
            continue;
        }
        if from_k {
            summary.messages_from_kamailio += 1;
            match &parsed {
                Some(m) => {
                    // a To-tag first seen in what Kamailio sent is one it generated
                    if let Some(t) = m.to_tag() {
                        if !known_tags.contains(&t) {
                            generated_tags.insert(t);
                        }
                    }
                    actual.push((shown_wire(p, m), m.clone()))
                }
                None => summary.unparsable_from_kamailio += 1,
            }
        }
        if !to_k {
            continue;
        }
        summary.messages_to_kamailio += 1;
        // Kamailio's timers tick 16 times a second and a timer fires up to
        // one tick before its time: what fired by then came first
        runner.rt.run_timers(p.ts + TIMER_TICK);
        for r in runner.rt.take_records() {
            for s in r.sent() {
                simulated.push((s.clone(), r.input));
            }
            records.push(r);
        }
        let mut data = std::borrow::Cow::Borrowed(&p.data[..]);
        if let Some(m) = &parsed {
            known_call_ids.insert(m.call_id().to_string());
            for t in [m.from_tag(), m.to_tag()].into_iter().flatten() {
                if !generated_tags.contains(&t) {
                    known_tags.insert(t);
                }
            }
            // a tag Kamailio generated becomes the tag the runtime generated
            // for the same call (the ACK to a stateless reply, in-dialog requests)
            if let Some(t) = m.to_tag().filter(|t| generated_tags.contains(t)) {
                let sim_tag = tag_map.get(&t).cloned().or_else(|| {
                    simulated.iter().rev().find_map(|(s, _)| {
                        if !s.start_line.starts_with("SIP/") {
                            return None;
                        }
                        let get = |n: &str| {
                            s.headers
                                .iter()
                                .find(|(h, _)| canon_name(h) == n)
                                .map(|(_, v)| v.as_str())
                                .unwrap_or("")
                        };
                        if get("call-id") != m.call_id() {
                            return None;
                        }
                        NameAddr::parse(get("to"))
                            .param("tag")
                            .filter(|st| !known_tags.contains(st))
                    })
                });
                if let Some(st) = sim_tag {
                    tag_map.insert(t.clone(), st.clone());
                    data = std::borrow::Cow::Owned(replace_all_head(&data, &t, &st));
                }
            }
            first_seen
                .entry(m.call_id().to_string())
                .or_insert_with(|| !m.is_request() || m.to_tag().is_some());
            if !m.is_request() {
                let b = m.via1().map(|v| v.branch()).unwrap_or_default();
                if !b.is_empty() {
                    if let Some(sb) = map_branch(
                        &b,
                        &actual,
                        &simulated,
                        &mut branch_map,
                        &mut claimed,
                        &kaddrs,
                    ) {
                        if sb != b {
                            data = std::borrow::Cow::Owned(replace_first(&data, &b, &sb));
                        }
                    }
                }
            }
        }
        runner.rt.input_no = i;
        runner.rt.receive(p.src, p.dst, p.proto, &data, p.ts);
        for r in runner.rt.take_records() {
            for s in r.sent() {
                simulated.push((s.clone(), i));
            }
            records.push(r);
        }
    }
    // timers that fire before the capture ends
    runner.rt.run_timers(last_ts);
    for r in runner.rt.take_records() {
        for s in r.sent() {
            simulated.push((s.clone(), r.input));
        }
        records.push(r);
    }

    if summary.messages_to_kamailio == 0 && summary.messages_from_kamailio == 0 {
        notes.push(format!(
            "no SIP message of the capture is to or from Kamailio at {} (the config's listen addresses); give its address in the capture with --kamailio-addr IP:PORT",
            kaddrs
                .iter()
                .map(|(p, a)| format!("{}:{a}", p.name()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // functions not simulated, by Call-ID
    let mut unsupported: HashMap<String, Vec<String>> = HashMap::new();
    for r in &records {
        for s in &r.steps {
            if let Step::Unsupported { function, .. } = s {
                let v = unsupported.entry(r.call_id.to_string()).or_default();
                if !v.contains(function) {
                    v.push(function.clone());
                }
            }
        }
    }
    let any_unsupported: Vec<String> = {
        let mut v: Vec<String> = unsupported.values().flatten().cloned().collect();
        v.sort();
        v.dedup();
        v
    };

    let norm = Normaliser {
        kaddrs: &kaddrs,
        known_call_ids: &known_call_ids,
        known_tags: &known_tags,
        generated_tags: &generated_tags,
        ignored: DEFAULT_IGNORED_HEADERS
            .iter()
            .map(|s| s.to_string())
            .chain(opts.ignore_headers.iter().map(|h| canon_name(h)))
            .collect(),
        version_re: regex::Regex::new(r"\d+(\.\d+)+").expect("static regex"),
    };

    // fold retransmissions on each side
    let act = fold(
        actual
            .into_iter()
            .map(|(s, m)| Side {
                shown: s,
                msg: m,
                retrans: 0,
            })
            .collect(),
    );
    let sim = fold(
        simulated
            .into_iter()
            .filter_map(|(s, _)| {
                let m = SipMsg::parse(sent_wire(&s).as_bytes()).ok()?;
                Some(Side {
                    shown: shown_sent(&s),
                    msg: m,
                    retrans: 0,
                })
            })
            .collect(),
    );
    summary.kamailio_retransmissions = act.iter().map(|s| s.retrans).sum();
    summary.config_retransmissions = sim.iter().map(|s| s.retrans).sum();

    // group and pair
    let key = |m: &SipMsg| -> GroupKey {
        let cid = m.call_id().to_string();
        let local = !known_call_ids.contains(&cid);
        (
            if local { String::new() } else { cid },
            if local { String::new() } else { m.cseq_num() },
            m.cseq_method().to_ascii_uppercase(),
            m.is_request(),
        )
    };
    let mut groups: BTreeMap<GroupKey, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, s) in act.iter().enumerate() {
        groups.entry(key(&s.msg)).or_default().0.push(i);
    }
    for (i, s) in sim.iter().enumerate() {
        groups.entry(key(&s.msg)).or_default().1.push(i);
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (_, (ai, si)) in groups {
        let mut used = vec![false; si.len()];
        for &a in &ai {
            let am = &act[a];
            let diffs: Vec<(usize, Vec<Difference>)> = si
                .iter()
                .enumerate()
                .filter(|(j, _)| !used[*j])
                .map(|(j, &s)| (j, norm.diff(am, &sim[s])))
                .collect();
            let pick = diffs
                .iter()
                .find(|(_, d)| d.is_empty())
                .or_else(|| {
                    diffs.iter().find(|(j, _)| {
                        let sm = &sim[si[*j]];
                        if am.msg.is_request() {
                            am.msg.method() == sm.msg.method() && am.shown.dst == sm.shown.dst
                        } else {
                            am.msg.status() == sm.msg.status()
                        }
                    })
                })
                .or_else(|| diffs.first());
            let (config, differences, cretr) = match pick {
                Some((j, d)) => {
                    used[*j] = true;
                    let s = &sim[si[*j]];
                    (Some(s.shown.clone()), d.clone(), s.retrans)
                }
                None => (
                    None,
                    vec![Difference {
                        what: "message".into(),
                        kamailio: Some(am.shown.start_line.clone()),
                        config: None,
                    }],
                    0,
                ),
            };
            entries.push(Entry {
                verdict: if differences.is_empty() {
                    Verdict::Same
                } else {
                    Verdict::Different
                },
                call_id: am.msg.call_id().to_string(),
                cseq: am.msg.header("cseq").unwrap_or("").to_string(),
                kamailio: Some(am.shown.clone()),
                config,
                differences,
                kamailio_retransmissions: am.retrans,
                config_retransmissions: cretr,
                mid_dialog: false,
                not_simulated: Vec::new(),
            });
        }
        for (j, &s) in si.iter().enumerate() {
            if used[j] {
                continue;
            }
            let sm = &sim[s];
            entries.push(Entry {
                verdict: Verdict::Different,
                call_id: sm.msg.call_id().to_string(),
                cseq: sm.msg.header("cseq").unwrap_or("").to_string(),
                kamailio: None,
                config: Some(sm.shown.clone()),
                differences: vec![Difference {
                    what: "message".into(),
                    kamailio: None,
                    config: Some(sm.shown.start_line.clone()),
                }],
                kamailio_retransmissions: 0,
                config_retransmissions: sm.retrans,
                mid_dialog: false,
                not_simulated: Vec::new(),
            });
        }
    }
    entries.sort_by(|a, b| {
        a.at()
            .partial_cmp(&b.at())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut mid: Vec<String> = first_seen
        .iter()
        .filter(|(_, m)| **m)
        .map(|(c, _)| c.clone())
        .collect();
    mid.sort();
    for e in &mut entries {
        e.mid_dialog = first_seen.get(&e.call_id).copied().unwrap_or(false);
        // a locally generated request's Call-ID is not the call's: any
        // unsupported function of the run may have caused it
        let ns = if known_call_ids.contains(&e.call_id) {
            unsupported.get(&e.call_id).cloned().unwrap_or_default()
        } else {
            any_unsupported.clone()
        };
        if e.verdict == Verdict::Different && !ns.is_empty() {
            e.verdict = Verdict::NotSimulated;
        }
        e.not_simulated = ns;
        match e.verdict {
            Verdict::Same => summary.same += 1,
            Verdict::Different => summary.different += 1,
            Verdict::NotSimulated => summary.not_simulated += 1,
        }
    }
    let total = summary.same + summary.different + summary.not_simulated;
    summary.percent_same = if total == 0 {
        0.0
    } else {
        (summary.same as f64 * 1000.0 / total as f64).round() / 10.0
    };
    summary.mid_dialog_calls = mid;
    Comparison {
        kamailio: kaddrs
            .iter()
            .map(|(p, a)| format!("{}:{a}", p.name()))
            .collect(),
        summary,
        entries,
        records,
        runtime: runner.rt.summary.clone(),
        capture: input.stats.clone(),
        notes,
    }
}

/// Is the packet to Kamailio, from Kamailio (or both)? By address; on
/// streams Kamailio's own connections use other ports, so its requests
/// are recognised by their top Via and replies to them by theirs.
fn classify(k: &[(Proto, SocketAddr)], p: &WirePacket, m: Option<&SipMsg>) -> (bool, bool) {
    let to_k = is_kamailio(k, &p.dst);
    let from_k = is_kamailio(k, &p.src);
    if to_k || from_k || p.proto == Proto::Udp {
        return (to_k, from_k);
    }
    let Some(m) = m else {
        return (false, false);
    };
    let via_k = m.via1().is_some_and(|v| via_is_kamailio(k, &v));
    if m.is_request() && via_k && is_kamailio_ip(k, p.src.ip()) {
        return (false, true);
    }
    if !m.is_request() && via_k && is_kamailio_ip(k, p.dst.ip()) {
        return (true, false);
    }
    (false, false)
}

/// The runtime's branch for the request Kamailio forwarded with branch `b`:
/// the requests with the same Call-ID, CSeq and method are paired in the
/// order they were sent, a request to the same destination first.
fn map_branch(
    b: &str,
    actual: &[(Shown, SipMsg)],
    simulated: &[(Sent, usize)],
    map: &mut HashMap<String, String>,
    claimed: &mut HashSet<String>,
    kaddrs: &[(Proto, SocketAddr)],
) -> Option<String> {
    if let Some(s) = map.get(b) {
        return Some(s.clone());
    }
    let (shown, req) = actual.iter().find(|(_, m)| {
        m.is_request()
            && m.via1()
                .is_some_and(|v| v.branch() == b && via_is_kamailio(kaddrs, &v))
            || m.is_request() && m.via1().is_some_and(|v| v.branch() == b)
    })?;
    let want = (req.call_id(), req.cseq_num(), req.method().to_string());
    // the how-many-th branch of this request Kamailio sent
    let mut actual_branches: Vec<String> = Vec::new();
    for (_, m) in actual {
        if m.is_request() && m.method() == want.2 && m.call_id() == want.0 && m.cseq_num() == want.1
        {
            let ab = m.via1().map(|v| v.branch()).unwrap_or_default();
            if !actual_branches.contains(&ab) {
                actual_branches.push(ab);
            }
        }
    }
    let k = actual_branches.iter().position(|x| x == b).unwrap_or(0);
    let mut cands: Vec<(&Sent, String)> = Vec::new();
    for (s, _) in simulated {
        if s.start_line.starts_with("SIP/") {
            continue;
        }
        let get = |n: &str| {
            s.headers
                .iter()
                .find(|(h, _)| canon_name(h) == n)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        let cseq = get("cseq");
        let mut cs = cseq.split_whitespace();
        let method = s.start_line.split(' ').next().unwrap_or("");
        if get("call-id") != want.0 || cs.next() != Some(want.1.as_str()) || method != want.2 {
            continue;
        }
        let sb = split_commas(get("via"))
            .first()
            .map(|v| Via::parse(v).branch())
            .unwrap_or_default();
        if sb.is_empty() || cands.iter().any(|(_, x)| *x == sb) {
            continue;
        }
        cands.push((s, sb));
    }
    // the runtime's branch of the same rank, else one to the same place;
    // none when the runtime did not send such a branch (yet)
    let pick = cands
        .get(k)
        .filter(|(_, sb)| !claimed.contains(sb))
        .or_else(|| {
            cands
                .iter()
                .find(|(s, sb)| s.dst == shown.dst && !claimed.contains(sb))
        })?;
    let sb = pick.1.clone();
    claimed.insert(sb.clone());
    map.insert(b.to_string(), sb.clone());
    Some(sb)
}

/// Replace the first occurrence of `from` in the header part of `data`.
fn replace_first(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    let end = crate::sip::find_sub(data, b"\r\n\r\n").unwrap_or(data.len());
    match crate::sip::find_sub(&data[..end], from.as_bytes()) {
        Some(i) => {
            let mut out = Vec::with_capacity(data.len() + to.len());
            out.extend_from_slice(&data[..i]);
            out.extend_from_slice(to.as_bytes());
            out.extend_from_slice(&data[i + from.len()..]);
            out
        }
        None => data.to_vec(),
    }
}

/// Replace every occurrence of `from` in the header part of `data`.
fn replace_all_head(data: &[u8], from: &str, to: &str) -> Vec<u8> {
    let mut out = data.to_vec();
    let mut start = 0;
    loop {
        let end = crate::sip::find_sub(&out, b"\r\n\r\n").unwrap_or(out.len());
        if start >= end {
            return out;
        }
        let Some(i) = crate::sip::find_sub(&out[start..end], from.as_bytes()) else {
            return out;
        };
        let at = start + i;
        out.splice(at..at + from.len(), to.bytes());
        start = at + to.len();
    }
}

fn shown_wire(p: &WirePacket, m: &SipMsg) -> Shown {
    Shown {
        frame: (p.frame > 0).then_some(p.frame),
        at: p.ts,
        proto: p.proto,
        src: p.src,
        dst: p.dst,
        start_line: m.start_line_text(),
        headers: m
            .headers
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_string()))
            .collect(),
        body: m.body.clone(),
    }
}

fn shown_sent(s: &Sent) -> Shown {
    Shown {
        frame: None,
        at: s.at,
        proto: s.proto,
        src: s.src,
        dst: s.dst,
        start_line: s.start_line.clone(),
        headers: s
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: s.body.clone(),
    }
}

fn sent_wire(s: &Sent) -> String {
    let mut t = s.start_line.clone();
    t.push_str("\r\n");
    for (n, v) in &s.headers {
        t.push_str(n);
        t.push_str(": ");
        t.push_str(v);
        t.push_str("\r\n");
    }
    t.push_str("\r\n");
    t.push_str(&s.body);
    t
}

/// Fold retransmissions: the same message to the same place again.
fn fold(items: Vec<Side>) -> Vec<Side> {
    let mut out: Vec<Side> = Vec::new();
    let mut seen: HashMap<(SocketAddr, String), usize> = HashMap::new();
    for s in items {
        let mut sig = s.shown.start_line.clone();
        for (n, v) in &s.shown.headers {
            sig.push('\n');
            sig.push_str(&canon_name(n));
            sig.push(':');
            sig.push_str(v.trim());
        }
        sig.push('\n');
        sig.push_str(&s.shown.body);
        match seen.get(&(s.shown.dst, sig.clone())) {
            Some(&i) => out[i].retrans += 1,
            None => {
                seen.insert((s.shown.dst, sig), out.len());
                out.push(s);
            }
        }
    }
    out
}

struct Normaliser<'a> {
    kaddrs: &'a [(Proto, SocketAddr)],
    known_call_ids: &'a HashSet<String>,
    known_tags: &'a HashSet<String>,
    generated_tags: &'a HashSet<String>,
    ignored: HashSet<String>,
    version_re: regex::Regex,
}

impl Normaliser<'_> {
    /// The headers to compare: canonical name → values in order.
    fn headers(&self, m: &SipMsg) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut first_via = true;
        for h in &m.headers {
            let c = h.canon();
            if self.ignored.contains(&c) {
                continue;
            }
            let vals: Vec<String> = if ["via", "route", "record-route"].contains(&c.as_str()) {
                split_commas(&h.value)
            } else {
                vec![h.value.trim().to_string()]
            };
            for v in vals {
                let v = v.trim().to_string();
                let v = match c.as_str() {
                    "via" => {
                        let via = Via::parse(&v);
                        // Kamailio's own Via (the top one of a request it sends)
                        let own =
                            (first_via && m.is_request()) || via_is_kamailio(self.kaddrs, &via);
                        first_via = false;
                        if own {
                            mask_param(&v, "branch")
                        } else {
                            v
                        }
                    }
                    "to" | "from" => {
                        let na = NameAddr::parse(&v);
                        match na.param("tag") {
                            Some(t)
                                if !self.known_tags.contains(&t)
                                    || self.generated_tags.contains(&t) =>
                            {
                                mask_param(&v, "tag")
                            }
                            _ => v,
                        }
                    }
                    "call-id" if !self.known_call_ids.contains(&v) => "<generated>".into(),
                    c if VERSION_HEADERS.contains(&c) => {
                        self.version_re.replace_all(&v, "<version>").into_owned()
                    }
                    _ => v,
                };
                out.entry(c.clone()).or_default().push(v);
            }
        }
        out
    }

    /// What differs between Kamailio's message `a` and the config's `s`.
    fn diff(&self, a: &Side, s: &Side) -> Vec<Difference> {
        let mut d = Vec::new();
        let mut push = |what: &str, k: String, c: String| {
            if k != c {
                d.push(Difference {
                    what: what.to_string(),
                    kamailio: Some(k),
                    config: Some(c),
                });
            }
        };
        let (am, sm) = (&a.msg, &s.msg);
        if am.is_request() != sm.is_request() {
            push(
                "message",
                a.shown.start_line.clone(),
                s.shown.start_line.clone(),
            );
            return d;
        }
        if am.is_request() {
            push("method", am.method().to_string(), sm.method().to_string());
            push("request-uri", am.ruri().to_string(), sm.ruri().to_string());
        } else {
            push(
                "reply code",
                am.status().to_string(),
                sm.status().to_string(),
            );
            push("reason", am.reason().to_string(), sm.reason().to_string());
        }
        push(
            "destination",
            format!("{} {}", a.shown.proto.name(), a.shown.dst),
            format!("{} {}", s.shown.proto.name(), s.shown.dst),
        );
        let ah = self.headers(am);
        let sh = self.headers(sm);
        let names: std::collections::BTreeSet<&String> = ah.keys().chain(sh.keys()).collect();
        for n in names {
            let av = ah.get(n).cloned().unwrap_or_default();
            let sv = sh.get(n).cloned().unwrap_or_default();
            if av == sv {
                continue;
            }
            let what = format!("header {}", display_name(n));
            // values only one side has: changed in pairs, the rest added/removed
            let removed: Vec<&String> = av.iter().filter(|x| !sv.contains(x)).collect();
            let added: Vec<&String> = sv.iter().filter(|x| !av.contains(x)).collect();
            if removed.is_empty() && added.is_empty() {
                // same values, another order or count
                d.push(Difference {
                    what,
                    kamailio: Some(av.join(", ")),
                    config: Some(sv.join(", ")),
                });
                continue;
            }
            let n_changed = removed.len().min(added.len());
            for i in 0..n_changed {
                d.push(Difference {
                    what: what.clone(),
                    kamailio: Some(removed[i].clone()),
                    config: Some(added[i].clone()),
                });
            }
            for r in &removed[n_changed..] {
                d.push(Difference {
                    what: what.clone(),
                    kamailio: Some((*r).clone()),
                    config: None,
                });
            }
            for x in &added[n_changed..] {
                d.push(Difference {
                    what: what.clone(),
                    kamailio: None,
                    config: Some((*x).clone()),
                });
            }
        }
        let (ab, sb) = (am.body.replace("\r\n", "\n"), sm.body.replace("\r\n", "\n"));
        if ab != sb {
            let line = ab
                .lines()
                .zip(sb.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(ab.lines().count().min(sb.lines().count()));
            d.push(Difference {
                what: format!("body (line {})", line + 1),
                kamailio: Some(ab.lines().nth(line).unwrap_or("<end>").to_string()),
                config: Some(sb.lines().nth(line).unwrap_or("<end>").to_string()),
            });
        }
        d
    }
}

/// `branch=z9hG4bK...` → `branch=<generated>` (the parameter's value masked).
fn mask_param(v: &str, name: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    let pat = format!(";{name}=");
    loop {
        let lower = rest.to_ascii_lowercase();
        let Some(i) = lower.find(&pat) else {
            out.push_str(rest);
            return out;
        };
        // tolerate `; tag=`: not handled, rare
        out.push_str(&rest[..i + pat.len()]);
        out.push_str("<generated>");
        let after = &rest[i + pat.len()..];
        let end = after
            .find(|c: char| c == ';' || c == ',' || c == '>' || c.is_whitespace())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
}

/// `record-route` → `Record-Route`.
fn display_name(c: &str) -> String {
    match c {
        "call-id" => "Call-ID".into(),
        "cseq" => "CSeq".into(),
        _ => c
            .split('-')
            .map(|p| {
                let mut ch = p.chars();
                match ch.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + ch.as_str(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_params() {
        assert_eq!(
            mask_param("SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK.1;rport", "branch"),
            "SIP/2.0/UDP 1.2.3.4;branch=<generated>;rport"
        );
        assert_eq!(
            mask_param("<sip:a@b>;tag=abc", "tag"),
            "<sip:a@b>;tag=<generated>"
        );
        assert_eq!(display_name("record-route"), "Record-Route");
    }

    #[test]
    fn replaces_branch_in_headers_only() {
        let d = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKa\r\n\r\nz9hG4bKa";
        let r = replace_first(d, "z9hG4bKa", "z9hG4bKbb");
        assert_eq!(
            r,
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bKbb\r\n\r\nz9hG4bKa".to_vec()
        );
    }
}
