//! The interpreter and the simulated core: routes, expressions, PVs,
//! and the transaction layer (tm) on a virtual clock.

use std::collections::BTreeMap;

// (SipHash of the std maps showed in the profile: the maps of the runtime
// hash addresses and names it made, FxHash does)
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use kcfg_sema::RouteTable;

use crate::capture::Proto;
use crate::event::{Record, Sent, Step, Summary};
use crate::ir::{AssignOp, BinOp, Expr, Fmt, FmtPart, Loc, Program, Pv, Stmt, StmtL};
use crate::sip::{Header, NameAddr, SipMsg, SmolStr, StartLine, Uri, Via};
use crate::value::Val;

/// Kamailio 5.6.3's default `Server:` header value on Linux x86_64.
pub const SERVER_HEADER: &str = "kamailio (5.6.3 (x86_64/linux))";
/// The message Kamailio runs start-up event routes on (`FAKED_SIP_MSG`, core/fmsg.c).
pub const FAKED_SIP_MSG: &str = "OPTIONS sip:you@kamailio.org SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\nFrom: <sip:you@kamailio.org>;tag=123\r\nTo: <sip:you@kamailio.org>\r\nCall-ID: 123\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
/// Route nesting limit (`max_recursive_level`).
pub const MAX_RECURSION: usize = 256;
/// Kamailio's default `max_branches`.
pub const MAX_BRANCHES: usize = 12;
/// Hard cap on actions per message, so a config cannot run forever.
pub const MAX_ACTIONS: u64 = 1_000_000;
/// Route and call steps kept in one message's timeline; the rest are
/// counted in a note (a config that calls 10,000 routes per message would
/// otherwise keep them all, for every message).
pub const MAX_TRACE_STEPS: usize = 1000;
/// Room for steps a message starts with (see [`Runtime::end`]).
const STEP_ROOM: usize = 64;
/// Log steps kept in one message's timeline (a `while` loop of `xlog`).
pub const MAX_LOG_STEPS: usize = 10_000;

/// The request `onsend_route` sees being sent (Kamailio's `onsend_info_t`).
#[derive(Debug, Clone)]
pub(crate) struct SndInfo {
    pub(crate) proto: Proto,
    pub(crate) from: SocketAddr,
    pub(crate) to: SocketAddr,
    pub(crate) buf: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteType {
    Request,
    Failure,
    OnReply,
    Branch,
    OnSend,
    Event,
    /// `event_route[tm:branch-failure:NAME]` (BRANCH_FAILURE_ROUTE)
    BranchFailure,
    /// `event_route[tm:local-request]`, `event_route[tm:local-response]` (LOCAL_ROUTE)
    Local,
}

/// Where a reply tm sends upstream comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// made by tm (`t_reply`, `100 trying`): its callbacks see FAKED_REPLY
    Local,
    /// a reply received from this next hop, relayed
    Relayed(SocketAddr),
    /// the winning reply was tm's own (a timeout's 408), relayed
    RelayedLocal,
}

/// The route names `t_on_reply`, `t_on_failure`, `t_on_branch` and
/// `t_on_branch_failure` armed (on a transaction, or before it exists).
#[derive(Debug, Clone, Default)]
pub(crate) struct TOn {
    pub(crate) reply: Option<String>,
    pub(crate) failure: Option<String>,
    pub(crate) branch: Option<String>,
    pub(crate) branch_failure: Option<String>,
}

/// How a block ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Next(i64),
    Return(i64),
    Exit,
    Break,
}

#[derive(Debug, Clone)]
pub(crate) struct UacBranch {
    pub(crate) ruri: String,
    pub(crate) dst: SocketAddr,
    pub(crate) proto: Proto,
    pub(crate) branch: String,
    pub(crate) sent: SipMsg,
    pub(crate) last_code: u16,
    pub(crate) reply: Option<SipMsg>,
    /// `reply` was made by tm itself (a timeout's 408), not received
    pub(crate) reply_local: bool,
    pub(crate) final_: bool,
    pub(crate) canceled: bool,
    pub(crate) timer_at: f64,
    /// the branch failure route, copied from the transaction when the
    /// branch was made (`add_uac` in tm/t_fwd.c)
    pub(crate) on_branch_failure: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Trans {
    pub(crate) key: String,
    pub(crate) method: String,
    pub(crate) call_id: String,
    pub(crate) cseq: String,
    /// the request as received (plus script changes at relay time)
    pub(crate) req: SipMsg,
    /// `$du` when the transaction was created: Kamailio clones the request
    /// with its `dst_uri` and `new_uri` into shared memory (`t_newtran`), and a
    /// failure route sees that clone (`fake_req` in tm/t_reply.c)
    pub(crate) du: Option<String>,
    pub(crate) src: SocketAddr,
    pub(crate) local: SocketAddr,
    pub(crate) proto: Proto,
    pub(crate) branches: Vec<UacBranch>,
    pub(crate) on_reply: Option<String>,
    pub(crate) on_failure: Option<String>,
    pub(crate) on_branch: Option<String>,
    pub(crate) on_branch_failure: Option<String>,
    /// made by `t_uac_send` (tm's own request): no UAS side, nothing is
    /// relayed upstream
    pub(crate) uac_local: bool,
    pub(crate) uas_code: u16,
    /// the last reply sent upstream (shared with its step of the timeline)
    pub(crate) uas_reply: Option<std::sync::Arc<Sent>>,
    pub(crate) flags: u64,
    pub(crate) avps: HashMap<String, Vec<Val>>,
    /// dispatcher destinations left (xavps travel with the transaction)
    pub(crate) ds_left: Vec<String>,
    pub(crate) fr_timer: f64,
    pub(crate) fr_inv_timer: f64,
    pub(crate) to_tag: LazyTag,
    pub(crate) canceled: bool,
    pub(crate) in_failure: bool,
    /// the dialog (dialog module) this transaction belongs to
    pub(crate) dlg: Option<usize>,
}

/// Per-message state of the script.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) msg: SipMsg,
    pub(crate) src: SocketAddr,
    pub(crate) local: SocketAddr,
    pub(crate) proto: Proto,
    pub(crate) du: Option<String>,
    pub(crate) flags: u64,
    pub(crate) bflags: u64,
    pub(crate) rtype: RouteType,
    pub(crate) rc: i64,
    pub(crate) branches: Vec<(String, Option<String>)>,
    pub(crate) trans: Option<usize>,
    pub(crate) force_rport: bool,
    pub(crate) reply_lumps: Vec<Header>,
    pub(crate) depth: usize,
    pub(crate) actions: u64,
    /// in a reply route: the reply's branch index
    pub(crate) reply_branch: Option<usize>,
    /// failure route: the winning reply code
    pub(crate) t_reply_code: u16,
    pub(crate) dropped: bool,
    pub(crate) rr_done: bool,
    /// the user auth_check authenticated ($au) and the header it used
    pub(crate) auth_user: Option<String>,
    pub(crate) auth_hdr: Option<&'static str>,
    /// dispatcher destinations left for ds_next_dst (the `_dsdst_` xavp)
    pub(crate) ds_left: Vec<String>,
    /// the dialog of this message (dialog module)
    pub(crate) dlg: Option<usize>,
    /// `$dlg_var`s set while the message has no dialog
    pub(crate) dlg_vars: BTreeMap<String, Val>,
    /// nathelper rewrote the first Contact URI (`fix_nated_contact`,
    /// `set_contact_alias`): Kamailio refuses a second rewrite
    pub(crate) contact_fixed: bool,
    /// the Contact headers (index, value as received) nathelper changed:
    /// Kamailio changes them through lumps, so `$ct`/`$hdr(Contact)` still
    /// read these until `msg_apply_changes()`
    pub(crate) contact_orig: Vec<(usize, String)>,
    /// the change left the parsed Contact as received (`add_contact_alias`,
    /// `add_rcv_param`): registrar's `save()` stores the received Contacts;
    /// `fix_nated_contact`/`set_contact_alias` update the parsed URI
    pub(crate) contact_parsed_orig: bool,
    /// the body as received, once `fix_nated_sdp` changed it (a lump)
    pub(crate) body_orig: Option<String>,
}

/// A scripted answer of a next hop (from a `.sip` scenario): code and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHopReply {
    pub code: u16,
    pub reason: String,
}

/// The runtime: the program and all state that outlives a message.
pub struct Runtime {
    pub prog: Program,
    /// listen sockets (proto, address)
    pub listen: Vec<(Proto, SocketAddr)>,
    pub(crate) vars: HashMap<String, Val>,
    pub(crate) shv: HashMap<String, Val>,
    pub(crate) htable: HashMap<String, crate::htable::HTable>,
    /// the item `event_route[htable:expired:NAME]` runs for (`$shtrecord`)
    pub(crate) sht_expired: Option<(String, Val)>,
    /// the htable timer's next run (whole seconds; `timer_interval`)
    pub(crate) sht_timer_at: Option<u64>,
    /// requests per source IP in pike's sampling windows: (window, count)
    pub(crate) pike_hits: HashMap<IpAddr, (u64, u64, u64)>,
    pub(crate) usrloc: BTreeMap<String, Vec<crate::modules::Binding>>,
    /// boxed: a transaction is large (hundreds of bytes), and the vector
    /// grows with every one: growing copies pointers, not transactions
    #[allow(clippy::vec_box)]
    pub(crate) trans: Vec<Box<Trans>>,
    pub clock: f64,
    pub(crate) counter: u64,
    pub(crate) records: Vec<Record>,
    pub(crate) cur: Vec<Step>,
    /// route/call and log steps in `cur`, and the steps not kept (see [`MAX_TRACE_STEPS`])
    cur_trace: usize,
    cur_logs: usize,
    cur_omitted: (usize, usize),
    /// `Unsupported` steps recorded without a place (pseudo-variables,
    /// selects and expressions are evaluated without one): the statement
    /// around them gives theirs when it ends ([`Runtime::locate_steps`])
    unlocated: usize,
    pub summary: Summary,
    pub(crate) max_while: i64,
    pub(crate) call_ids: rustc_hash::FxHashSet<String>,
    /// next hops the runtime answers itself (scenario files): address → reply
    pub nexthops: HashMap<SocketAddr, Option<NextHopReply>>,
    /// replies the scripted next hops gave (fed back after each message)
    pub(crate) pending_in: Vec<(SocketAddr, SocketAddr, Proto, SipMsg)>,
    /// the known tags of next hops: `nexthop-N` style
    pub nexthop_tags: HashMap<SocketAddr, String>,
    /// INVITEs a scripted next hop answered only provisionally (a CANCEL ends them)
    pub(crate) nexthop_ringing: HashMap<(SocketAddr, String), SipMsg>,
    pub server_header: String,
    pub(crate) msg_avps: Option<HashMap<String, Vec<Val>>>,
    pub(crate) pending_t_on: Option<TOn>,
    /// Kamailio's `debug` level (xlog lines above it are not printed)
    pub debug: i64,
    pub(crate) pending_rr_params: Option<String>,
    record_no: usize,
    pub(crate) input_no: usize,
    /// subscribers (user → password), as auth_db would read them
    pub users: HashMap<String, String>,
    /// nonces auth_challenge handed out
    pub(crate) nonces: HashSet<String>,
    /// dispatcher sets in index order (see `dispatcher::parse_list`)
    pub ds_sets: Vec<(i64, Vec<crate::dispatcher::DsDest>)>,
    pub(crate) ds_rr: HashMap<i64, u32>,
    /// compiled regexes by pattern: `[case-sensitive, case-insensitive]`;
    /// shared (`Arc`): a cloned `Regex` gets a fresh match cache, which
    /// costs more than the match itself
    /// the last `local_tag`: (Call-ID, From tag, tag)
    pub(crate) last_local_tag: Option<(String, String, String)>,
    pub(crate) regexes: [rustc_hash::FxHashMap<String, Option<std::sync::Arc<regex::Regex>>>; 2],
    /// the last `get_pv` failed (a transformation error): see `fmt`
    pub(crate) pv_failed: bool,
    /// what xlog prints for the last `get_pv` when it is not the value's
    /// string (`{s.int}` of "007" is 7 printed as "007")
    pub(crate) pv_display: Option<String>,
    /// transaction key → transactions (see `tkey`)
    pub(crate) trans_by_key: rustc_hash::FxHashMap<String, Vec<usize>>,
    /// Via branch of a forwarded request → (transaction, branch)
    pub(crate) branch_index: rustc_hash::FxHashMap<String, (usize, usize)>,
    /// transactions with a branch that has no final reply yet (timers)
    pub(crate) open_trans: std::collections::BTreeSet<usize>,
    /// sqlops connections and results
    pub sql: crate::sqlops::SqlState,
    /// dialogs of the dialog module
    pub dialogs: crate::dialog::Dialogs,
    /// jansson/mqueue/http_client/permissions state (`modext.rs`)
    pub ext: crate::modext::ModState,
    /// URIs taken apart (`UriRef`s by text), with their `myself` answer
    pub(crate) uris: std::cell::RefCell<crate::sip::UriCache>,
    /// the last top Via value whose branch was read, and where the branch
    /// lies in it (the transaction lookups read it several times a message)
    via_branch: std::cell::RefCell<(String, u32, u32)>,
    /// the start-up event routes ran (see `startup`)
    started: bool,
    /// while `onsend_route` runs: what is being sent (`$snd`, `$sndfrom`)
    pub(crate) snd: Option<SndInfo>,
    /// tm looked `event_route[tm:local-response]` up: Kamailio 5.6 does it
    /// once per process, on its first local reply, and runs the route only
    /// then (`_tm_local_response_sent_lookup` in tm/t_reply.c; 6.0 keeps the
    /// route's index instead)
    pub(crate) local_response_looked_up: bool,
    /// requests made by `t_uac_send` (their Call-IDs are numbered)
    pub(crate) uac_count: u64,
}

/// Parse `listen=` values: `udp:1.2.3.4:5060`, `1.2.3.4`, `tcp:[::1]:5060`.
pub fn parse_listen(v: &str) -> Option<(Proto, SocketAddr)> {
    let v = v.split_whitespace().next()?.trim();
    let (proto, rest) = match v.split_once(':') {
        Some((p, r))
            if ["udp", "tcp", "tls", "sctp", "ws", "wss"]
                .contains(&p.to_ascii_lowercase().as_str()) =>
        {
            let pr = match p.to_ascii_lowercase().as_str() {
                "tcp" => Proto::Tcp,
                "tls" | "wss" => Proto::Tls,
                "sctp" => Proto::Sctp,
                "ws" => Proto::Ws,
                _ => Proto::Udp,
            };
            (pr, r)
        }
        _ => (Proto::Udp, v),
    };
    if let Ok(sa) = rest.parse::<SocketAddr>() {
        return Some((proto, sa));
    }
    if let Ok(ip) = rest.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Some((proto, SocketAddr::new(ip, 5060)));
    }
    if let Some((h, p)) = rest.rsplit_once(':') {
        let ip: IpAddr = h.trim_matches(['[', ']']).parse().ok()?;
        return Some((proto, SocketAddr::new(ip, p.parse().ok()?)));
    }
    None
}

fn md5hex(s: &str) -> String {
    let h = md5hex_of(&[s]);
    // hex digits are ASCII
    std::str::from_utf8(&h).unwrap_or("").to_string()
}

/// The lower-case hex MD5 of the concatenation of `parts`, without a
/// `String` for the input or the result.
fn md5hex_of(parts: &[&str]) -> [u8; 32] {
    use md5::{Digest, Md5};
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut m = Md5::new();
    for p in parts {
        m.update(p.as_bytes());
    }
    let mut out = [0u8; 32];
    for (i, b) in m.finalize().into_iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// The To tag of local replies (`Runtime::local_tag`): the hex MD5 of the
/// Call-ID and the From tag, cut to 24 digits, then `-kcfg`.
fn local_tag_of(call_id: &str, from_tag: &str) -> String {
    let h = md5hex_of(&[call_id, from_tag]);
    let mut tag = String::with_capacity(29);
    // hex digits are ASCII
    tag.push_str(std::str::from_utf8(&h[..24]).unwrap_or(""));
    tag.push_str("-kcfg");
    tag
}

/// A transaction's local To tag, made when a reply first needs it: most
/// transactions of a proxy relay their replies and never do (the MD5 was
/// ≈ 2 k instructions per transaction). It is made of the Call-ID and From
/// tag of the request as the transaction was created.
#[derive(Debug, Clone, Default)]
pub(crate) struct LazyTag {
    call_id: smol_str::SmolStr,
    from_tag: smol_str::SmolStr,
    tag: std::cell::OnceCell<String>,
}

impl LazyTag {
    /// The tag of `m`'s transaction, not made yet.
    pub(crate) fn of(m: &SipMsg) -> LazyTag {
        LazyTag {
            call_id: m.call_id().into(),
            from_tag: m.from_tag_str().unwrap_or_default().into(),
            tag: std::cell::OnceCell::new(),
        }
    }
    /// A tag already known.
    pub(crate) fn known(tag: String) -> LazyTag {
        LazyTag {
            tag: std::cell::OnceCell::from(tag),
            ..LazyTag::default()
        }
    }
    pub(crate) fn get(&self) -> &str {
        self.tag
            .get_or_init(|| local_tag_of(&self.call_id, &self.from_tag))
    }
}

impl Runtime {
    pub fn new(prog: Program) -> Runtime {
        let mut listen: Vec<(Proto, SocketAddr)> = prog
            .globals
            .iter()
            .filter(|(n, _)| n == "listen")
            .filter_map(|(_, v)| parse_listen(v))
            .collect();
        if listen.is_empty() {
            listen.push((
                Proto::Udp,
                "127.0.0.1:5060".parse().expect("static address"),
            ));
        }
        let max_while = prog
            .global("max_while_loops")
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        let server_header = prog
            .global("server_header")
            .map(|s| s.trim_start_matches("Server:").trim().to_string())
            .unwrap_or_else(|| SERVER_HEADER.to_string());
        let mut htable = HashMap::default();
        for (m, p, v) in &prog.modparams {
            if m == "htable" && p == "htable" {
                if let crate::ir::ParamVal::Str(s) = v {
                    let (name, t) = crate::htable::HTable::from_spec(s);
                    htable.insert(name, t);
                }
            }
        }
        Runtime {
            prog,
            listen,
            vars: HashMap::default(),
            shv: HashMap::default(),
            htable,
            sht_expired: None,
            sht_timer_at: None,
            pike_hits: HashMap::default(),
            usrloc: BTreeMap::new(),
            trans: Vec::new(),
            clock: 0.0,
            counter: 0,
            records: Vec::new(),
            cur: Vec::new(),
            cur_trace: 0,
            cur_logs: 0,
            cur_omitted: (0, 0),
            unlocated: 0,
            summary: Summary {
                complete: true,
                ..Default::default()
            },
            max_while,
            call_ids: Default::default(),
            nexthops: HashMap::default(),
            pending_in: Vec::new(),
            nexthop_tags: HashMap::default(),
            nexthop_ringing: HashMap::default(),
            server_header,
            msg_avps: None,
            pending_t_on: None,
            debug: 2,
            pending_rr_params: None,
            record_no: 0,
            input_no: 0,
            users: HashMap::default(),
            nonces: HashSet::default(),
            ds_sets: Vec::new(),
            ds_rr: HashMap::default(),
            regexes: Default::default(),
            last_local_tag: None,
            pv_failed: false,
            pv_display: None,
            trans_by_key: Default::default(),
            branch_index: Default::default(),
            open_trans: Default::default(),
            sql: Default::default(),
            dialogs: Default::default(),
            ext: Default::default(),
            uris: Default::default(),
            via_branch: Default::default(),
            started: false,
            snd: None,
            local_response_looked_up: false,
            uac_count: 0,
        }
    }

    /// Is this address one of Kamailio's sockets?
    pub fn is_local(&self, a: &SocketAddr) -> bool {
        self.listen
            .iter()
            .any(|(_, l)| l.port() == a.port() && (l.ip() == a.ip() || l.ip().is_unspecified()))
    }

    pub(crate) fn default_local(&self, proto: Proto) -> SocketAddr {
        self.listen
            .iter()
            .find(|(p, _)| *p == proto)
            .or(self.listen.first())
            .map(|(_, a)| *a)
            .expect("at least one listen address")
    }

    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }

    /// [`Runtime::step`] for a route or call step (the most frequent
    /// ones): the same bookkeeping, without the tests for other kinds.
    #[inline]
    pub(crate) fn step_trace(&mut self, s: Step) {
        debug_assert!(matches!(s, Step::Route { .. } | Step::Call { .. }));
        if self.cur_trace >= MAX_TRACE_STEPS {
            self.cur_omitted.0 += 1;
            return;
        }
        self.cur_trace += 1;
        self.cur.push(s);
    }

    pub(crate) fn step(&mut self, s: Step) {
        if let Step::Send(x) = &s {
            if x.kind == "reply" || x.kind == "relayed-reply" {
                // the second space-separated field (`split(' ').nth(1)`)
                let sl = x.start_line.as_str();
                let code = sl.bytes().position(|b| b == b' ').and_then(|i| {
                    let r = &sl[i + 1..];
                    r[..r.bytes().position(|b| b == b' ').unwrap_or(r.len())]
                        .parse()
                        .ok()
                });
                if let Some(code) = code {
                    *self.summary.replies_sent_by_code.entry(code).or_default() += 1;
                }
            } else {
                self.summary.requests_forwarded += 1;
            }
        }
        if let Step::Unsupported { function, at } = &s {
            if at.line == 0 && at.file.is_empty() {
                self.unlocated += 1;
            }
            self.summary.complete = false;
            let e = self
                .summary
                .unsupported
                .entry(function.clone())
                .or_insert((0, at.to_string()));
            e.0 += 1;
        }
        if let Step::Error { .. } = &s {
            self.summary.errors += 1;
        }
        match &s {
            Step::Route { .. } | Step::Call { .. } => {
                if self.cur_trace >= MAX_TRACE_STEPS {
                    self.cur_omitted.0 += 1;
                    return;
                }
                self.cur_trace += 1;
            }
            Step::Log { .. } => {
                if self.cur_logs >= MAX_LOG_STEPS {
                    self.cur_omitted.1 += 1;
                    return;
                }
                self.cur_logs += 1;
            }
            _ => {}
        }
        self.cur.push(s);
    }

    /// Is there room for one more route/call step in this message's
    /// timeline? When not, the step is counted (and not built at all).
    pub(crate) fn trace_room(&mut self) -> bool {
        if self.cur_trace >= MAX_TRACE_STEPS {
            self.cur_omitted.0 += 1;
            false
        } else {
            true
        }
    }

    fn reset_cur(&mut self) {
        self.cur.clear();
        self.cur_trace = 0;
        self.cur_logs = 0;
        self.cur_omitted = (0, 0);
        self.unlocated = 0;
    }

    pub(crate) fn begin(
        &mut self,
        trigger: &'static str,
        src: Option<SocketAddr>,
        dst: Option<SocketAddr>,
        proto: Option<Proto>,
        msg: Option<&SipMsg>,
    ) {
        self.reset_cur();
        let (sl, cid, cseq) = msg
            .map(|m| {
                (
                    m.start_line_text(),
                    SmolStr::new(m.call_id()),
                    SmolStr::new(m.header_known(crate::sip::K_CSEQ).unwrap_or("")),
                )
            })
            .unwrap_or_default();
        self.records.push(Record {
            index: {
                self.record_no += 1;
                self.record_no
            },
            input: self.input_no,
            trigger: SmolStr::new_static(trigger),
            at: self.clock,
            src,
            dst,
            proto,
            start_line: sl,
            call_id: cid,
            cseq,
            in_headers: msg
                .map(|m| {
                    m.headers
                        .iter()
                        .map(|h| (h.name.clone(), h.value.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            steps: Vec::new(),
        });
    }

    pub(crate) fn end(&mut self) {
        let (routes, logs) = self.cur_omitted;
        if routes > 0 {
            self.cur.push(Step::Note {
                text: format!(
                    "{routes} more route/call steps not kept (the timeline keeps {MAX_TRACE_STEPS} per message)"
                ),
            });
        }
        if logs > 0 {
            self.cur.push(Step::Note {
                text: format!(
                    "{logs} more log lines not kept (the timeline keeps {MAX_LOG_STEPS} per message)"
                ),
            });
        }
        // `cur` is a scratch buffer kept from message to message (it grows
        // once, to the longest timeline); the record gets its steps moved
        // into a vector of their exact size (one small allocation: a
        // message of the stock config takes 3-57 steps, and a vector with
        // room for many more would be a large allocation per message and
        // idle memory in every record)
        if self.cur.capacity() < STEP_ROOM {
            self.cur.reserve(STEP_ROOM - self.cur.len());
        }
        if let Some(r) = self.records.last_mut() {
            if r.steps.is_empty() {
                // (`append` moves the steps with one copy of their bytes)
                let mut steps = Vec::with_capacity(self.cur.len());
                steps.append(&mut self.cur);
                r.steps = steps;
            } else {
                r.steps.append(&mut self.cur);
            }
        }
        self.reset_cur();
    }

    /// Event routes Kamailio runs once at start, in its order: htable's
    /// `htable:mod-init` (child_init of PROC_INIT, htable.c), then
    /// `core:worker-one-init` (the first SIP worker, action.c), each on
    /// Kamailio's faked OPTIONS (fmsg.c). Runs before the first message.
    pub fn startup(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        for (name, module) in [
            ("htable:mod-init", Some("htable")),
            ("core:worker-one-init", None),
        ] {
            if module.is_some_and(|m| !self.prog.has_module(m)) {
                continue;
            }
            let Some(rt) = self.prog.route_rc(RouteTable::Event, name) else {
                continue;
            };
            let Ok(msg) = SipMsg::parse(FAKED_SIP_MSG.as_bytes()) else {
                continue;
            };
            self.begin("event", None, None, None, Some(&msg));
            let local = self.default_local(Proto::Udp);
            let src = SocketAddr::new(IpAddr::from([127, 0, 0, 1]), 5060);
            // both run as REQUEST_ROUTE (set_route_type in htable.c / action.c)
            let mut ctx = self.new_ctx(msg, src, local, Proto::Udp, RouteType::Request);
            self.step_trace(Step::Route {
                route: rt.display.clone(),
                at: rt.loc.clone(),
            });
            let _ = self.run_block(&mut ctx, &rt.body);
            self.end();
        }
    }

    /// A request is about to be sent to `to` as `out` (tm's `t_send_branch`,
    /// core `forward_request`): Kamailio's `run_onsend` runs `onsend_route`
    /// on the message being processed (route type ONSEND), with the outgoing
    /// buffer in `$snd(buf)`. Only `drop` stops the sending (`exit`,
    /// `return 0` do not). Returns whether the request is sent.
    fn run_onsend(&mut self, ctx: &Ctx, to: SocketAddr, out: &SipMsg) -> bool {
        let Some(rt) = self.prog.route_rc(RouteTable::OnSend, "") else {
            return true;
        };
        let mut octx = ctx.clone();
        octx.rtype = RouteType::OnSend;
        octx.dropped = false;
        let saved = self.snd.replace(SndInfo {
            proto: ctx.proto,
            from: ctx.local,
            to,
            buf: out.to_wire(),
        });
        let _ = self.run_route_code(&mut octx, &rt);
        self.snd = saved;
        !octx.dropped
    }

    /// `$snd(name)`/`$sndto(name)` and `$sndfrom(name)`: only inside
    /// `onsend_route` (elsewhere `$null`, as Kamailio without send info).
    fn snd_pv(&self, class: &str, name: &str) -> Val {
        let Some(si) = &self.snd else {
            return Val::Null;
        };
        let addr = if class == "sndfrom" { si.from } else { si.to };
        match name {
            "ip" => Val::Str(addr.ip().to_string()),
            "port" => Val::Int(i64::from(addr.port())),
            "af" => Val::Int(if addr.is_ipv4() { 2 } else { 10 }),
            "proto" => Val::Int(i64::from(crate::nathelper::proto_num(si.proto))),
            "sproto" => Val::Str(si.proto.name().to_string()),
            "buf" => Val::Str(si.buf.clone()),
            "len" => Val::Int(si.buf.len() as i64),
            _ => Val::Null,
        }
    }

    /// Feed one packet that reached Kamailio.
    pub fn receive(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        proto: Proto,
        data: &[u8],
        at: f64,
    ) {
        self.startup();
        if at > self.clock {
            self.run_timers(at);
            self.clock = at;
        }
        self.summary.messages += 1;
        let msg = match SipMsg::parse(data) {
            Ok(m) => m,
            Err(e) => {
                self.summary.parse_errors += 1;
                self.begin("request", Some(src), Some(dst), Some(proto), None);
                self.step(Step::Drop {
                    reason: format!("not parsed, Kamailio drops it: {e}"),
                });
                if let Some(rt) = self
                    .prog
                    .route_rc(RouteTable::Event, "core:receive-parse-error")
                {
                    self.step(Step::Unsupported {
                        function: "event_route[core:receive-parse-error] (not run)".into(),
                        at: rt.loc.clone(),
                    });
                }
                self.end();
                return;
            }
        };
        self.receive_msg(src, dst, proto, msg);
        // scripted next hops answer what was sent to them
        self.drain_pending();
    }

    fn receive_msg(&mut self, src: SocketAddr, dst: SocketAddr, proto: Proto, msg: SipMsg) {
        if msg.is_request() {
            self.summary.requests += 1;
            if self.call_ids.insert(msg.call_id().to_string()) {
                self.summary.calls += 1;
            }
            self.begin("request", Some(src), Some(dst), Some(proto), Some(&msg));
            self.request(src, dst, proto, msg);
        } else {
            self.summary.replies_in += 1;
            self.begin("reply", Some(src), Some(dst), Some(proto), Some(&msg));
            self.reply_in(src, dst, proto, msg);
        }
        self.end();
    }

    /// Advance the virtual clock to `t`, firing transaction timers.
    pub fn run_timers(&mut self, t: f64) {
        self.run_htable_timer(t);
        loop {
            let mut next: Option<(f64, usize, usize)> = None;
            // only transactions with a branch still waiting
            let trans = &self.trans;
            self.open_trans
                .retain(|&ti| trans[ti].branches.iter().any(|b| !b.final_));
            for &ti in &self.open_trans {
                let tr = &self.trans[ti];
                for (bi, b) in tr.branches.iter().enumerate() {
                    if !b.final_ && b.timer_at <= t && next.is_none_or(|n| b.timer_at < n.0) {
                        next = Some((b.timer_at, ti, bi));
                    }
                }
            }
            let Some((at, ti, bi)) = next else { break };
            self.clock = self.clock.max(at);
            // the transaction's request lent out (an empty message stands
            // in) while the record and the faked reply are made of it: no copy
            let req = std::mem::replace(&mut self.trans[ti].req, empty_msg());
            self.begin("timer", None, None, None, Some(&req));
            let b = &self.trans[ti].branches[bi];
            let code = if b.canceled { 487 } else { 408 };
            let reason = if code == 487 {
                "Request Terminated"
            } else {
                "Request Timeout"
            };
            self.step(Step::Note {
                text: format!("fr timer of branch {} ({}) fired: local {code}", bi, b.ruri),
            });
            let mut fake = build_reply(
                &req,
                code,
                reason,
                Some(&self.trans[ti].to_tag),
                &[],
                "",
                false,
                None,
            );
            fake.headers.retain(|h| !h.is("server"));
            self.trans[ti].req = req;
            let ringing = self.trans[ti].method == "INVITE"
                && (100..200).contains(&self.trans[ti].branches[bi].last_code)
                && !self.trans[ti].branches[bi].canceled;
            self.branch_final(ti, bi, fake, true);
            if ringing {
                // fake_reply (tm/timer.c) cancels a branch that had a
                // provisional reply when its fr_inv timer fires
                self.trans[ti].branches[bi].canceled = true;
                let b = &self.trans[ti].branches[bi];
                let c = build_cancel(&b.sent);
                let (p, l, d) = (b.proto, self.trans[ti].local, b.dst);
                self.sent("request", "tm", p, l, d, &c);
            }
            self.end();
            // scripted next hops answer what a failure route sent at once,
            // before any later timer fires
            self.drain_pending();
        }
    }

    fn drain_pending(&mut self) {
        let mut guard = 0;
        while !self.pending_in.is_empty() && guard < 64 {
            guard += 1;
            let batch = std::mem::take(&mut self.pending_in);
            for (s, d, p, m) in batch {
                self.receive_msg(s, d, p, m);
            }
        }
    }

    /// Flush all timers (end of input).
    pub fn finish(&mut self) {
        self.run_timers(f64::INFINITY);
    }

    // ------------------------------------------------------------------ requests

    pub(crate) fn new_ctx(
        &self,
        msg: SipMsg,
        src: SocketAddr,
        local: SocketAddr,
        proto: Proto,
        rtype: RouteType,
    ) -> Ctx {
        Ctx {
            msg,
            src,
            local,
            proto,
            du: None,
            flags: 0,
            bflags: 0,
            rtype,
            rc: 1,
            branches: Vec::new(),
            trans: None,
            force_rport: false,
            reply_lumps: Vec::new(),
            depth: 0,
            actions: 0,
            reply_branch: None,
            t_reply_code: 0,
            dropped: false,
            rr_done: false,
            auth_user: None,
            auth_hdr: None,
            ds_left: Vec::new(),
            dlg: None,
            dlg_vars: BTreeMap::new(),
            contact_fixed: false,
            contact_orig: Vec::new(),
            contact_parsed_orig: false,
            body_orig: None,
        }
    }

    fn request(&mut self, src: SocketAddr, dst: SocketAddr, proto: Proto, msg: SipMsg) {
        let local = if self.is_local(&dst) {
            dst
        } else {
            self.default_local(proto)
        };
        self.msg_avps = None;
        self.pending_t_on = None;
        self.pending_rr_params = None;
        // sl absorbs the ACK to a reply it sent (sl_filter_ACK): the script never sees it
        // (the transaction lookup, pure, first: an ACK to a transaction's
        // reply then makes no tag)
        if msg.method() == "ACK"
            && msg.to_tag_str().is_some()
            && self.find_trans(&msg).is_none()
            && msg.to_tag_str().is_some_and(|t| t == self.local_tag(&msg))
        {
            self.step(Step::Drop {
                reason: "ACK to a stateless reply, absorbed by sl".into(),
            });
            return;
        }
        let mut ctx = self.new_ctx(msg, src, local, proto, RouteType::Request);
        let Some(rt) = self.prog.route_rc(RouteTable::Request, "") else {
            self.step(Step::Error {
                message: "the config has no request_route".into(),
                at: None,
            });
            return;
        };
        self.step_trace(Step::Route {
            route: "request_route".into(),
            at: rt.loc.clone(),
        });
        let _ = self.run_block(&mut ctx, &rt.body);
        if ctx.dropped {
            self.summary.dropped += 1;
        }
    }

    fn run_route(&mut self, ctx: &mut Ctx, table: RouteTable, name: &str) -> Option<Flow> {
        let rt = self.prog.route_rc(table, name)?;
        Some(self.run_route_code(ctx, &rt))
    }

    /// Run the route at `Program::routes[i]` (a `route()` call resolved once).
    pub(crate) fn run_route_idx(&mut self, ctx: &mut Ctx, i: usize) -> Option<FlowPub> {
        let rt = self.prog.routes.get(i)?.clone();
        Some(match self.run_route_code(ctx, &rt) {
            Flow::Exit => FlowPub::Exit,
            Flow::Return(v) | Flow::Next(v) => FlowPub::Value(v),
            Flow::Break => FlowPub::Value(1),
        })
    }

    pub(crate) fn run_route_code(&mut self, ctx: &mut Ctx, rt: &crate::ir::RouteCode) -> Flow {
        if self.trace_room() {
            self.step_trace(Step::Route {
                route: rt.display.clone(),
                at: rt.loc.clone(),
            });
        }
        self.run_block(ctx, &rt.body)
    }

    fn run_block(&mut self, ctx: &mut Ctx, body: &[StmtL]) -> Flow {
        let mut last = 1;
        for s in body {
            ctx.actions += 1;
            if ctx.actions > MAX_ACTIONS {
                self.step(Step::Error {
                    message: format!("more than {MAX_ACTIONS} actions for one message: stopped"),
                    at: Some(s.loc.clone()),
                });
                return Flow::Exit;
            }
            let mark = self.cur.len();
            let flow = self.run_stmt(ctx, s);
            if self.unlocated > 0 {
                self.locate_steps(mark, &s.loc);
            }
            match flow {
                Flow::Next(v) => last = v,
                f => return f,
            }
        }
        Flow::Next(last)
    }

    /// Give the `Unsupported` steps recorded since `mark` without a place
    /// the place of the statement that ran them (the innermost statement:
    /// nested blocks place theirs first).
    fn locate_steps(&mut self, mark: usize, loc: &Loc) {
        let from = mark.min(self.cur.len());
        for step in &mut self.cur[from..] {
            if let Step::Unsupported { function, at } = step {
                if at.line == 0 && at.file.is_empty() {
                    *at = loc.clone();
                    self.unlocated = self.unlocated.saturating_sub(1);
                    if let Some(e) = self.summary.unsupported.get_mut(function.as_str()) {
                        if e.1 == ":0" {
                            e.1 = loc.to_string();
                        }
                    }
                }
            }
        }
    }

    fn run_stmt(&mut self, ctx: &mut Ctx, s: &StmtL) -> Flow {
        match &s.stmt {
            Stmt::Expr(e) => {
                let (v, exit) = self.eval_cond_call(ctx, e);
                if exit {
                    return Flow::Exit;
                }
                Flow::Next(v)
            }
            Stmt::Assign(pv, op, e) => {
                let (v, exit) = self.eval(ctx, e);
                if exit {
                    return Flow::Exit;
                }
                let v = match op {
                    AssignOp::Set => v,
                    AssignOp::Add => {
                        let cur = self.get_pv(ctx, pv);
                        add_vals(&cur, &v)
                    }
                };
                self.set_pv(ctx, pv, v, &s.loc);
                Flow::Next(1)
            }
            Stmt::If(c, t, e) => {
                let (v, exit) = self.eval_bool(ctx, c);
                if exit {
                    return Flow::Exit;
                }
                let b = if v { t } else { e };
                if b.is_empty() {
                    // what `run_block` answers for no statements
                    Flow::Next(1)
                } else {
                    self.run_block(ctx, b)
                }
            }
            Stmt::Switch(e, cases) => {
                let (v, exit) = self.eval(ctx, e);
                if exit {
                    return Flow::Exit;
                }
                let mut start = None;
                for (i, (label, _)) in cases.iter().enumerate() {
                    if let Some(l) = label {
                        let (lv, _) = self.eval(ctx, l);
                        let m = match (&v, &lv) {
                            (Val::Int(a), _) => lv.to_int() == Some(*a),
                            (_, Val::Int(b)) => v.to_int() == Some(*b),
                            _ => v.as_str() == lv.as_str(),
                        };
                        if m {
                            start = Some(i);
                            break;
                        }
                    }
                }
                if start.is_none() {
                    start = cases.iter().position(|(l, _)| l.is_none());
                }
                let Some(st) = start else {
                    return Flow::Next(-1);
                };
                for (_, body) in &cases[st..] {
                    match self.run_block(ctx, body) {
                        Flow::Break => return Flow::Next(1),
                        Flow::Next(_) => continue,
                        f => return f,
                    }
                }
                Flow::Next(1)
            }
            Stmt::While(c, body) => {
                let mut n = 0i64;
                loop {
                    let (v, exit) = self.eval_bool(ctx, c);
                    if exit {
                        return Flow::Exit;
                    }
                    if !v {
                        return Flow::Next(1);
                    }
                    n += 1;
                    if self.max_while > 0 && n > self.max_while {
                        self.step(Step::Error {
                            message: format!(
                                "runaway while: more than {} loops (max_while_loops)",
                                self.max_while
                            ),
                            at: Some(s.loc.clone()),
                        });
                        return Flow::Next(-1);
                    }
                    match self.run_block(ctx, body) {
                        Flow::Break => return Flow::Next(1),
                        Flow::Next(_) => {}
                        f => return f,
                    }
                }
            }
            Stmt::Return(e) => {
                let v = match e {
                    None => 1,
                    Some(e) => {
                        let (v, exit) = self.eval(ctx, e);
                        if exit {
                            return Flow::Exit;
                        }
                        v.to_int().unwrap_or(0)
                    }
                };
                ctx.rc = v;
                if v == 0 {
                    Flow::Exit
                } else {
                    Flow::Return(v)
                }
            }
            Stmt::Exit => {
                ctx.rc = 0;
                Flow::Exit
            }
            Stmt::Drop => {
                ctx.dropped = true;
                self.step(Step::Drop {
                    reason: format!("drop at {}", s.loc),
                });
                Flow::Exit
            }
            Stmt::Break => Flow::Break,
            Stmt::Unknown(t) => {
                self.step(Step::Unsupported {
                    function: format!("statement `{}`", t.trim()),
                    at: s.loc.clone(),
                });
                Flow::Next(1)
            }
        }
    }

    /// Evaluate an expression statement or condition that is a call: the
    /// value and whether the script must stop (a function returned 0).
    fn eval_cond_call(&mut self, ctx: &mut Ctx, e: &Expr) -> (i64, bool) {
        match e {
            Expr::Call(c) => {
                let r = self.call(ctx, c);
                match r {
                    // 0 ends the script for module functions only (Kamailio's
                    // do_action sets EXIT_R_F for MODULE*_T); the core
                    // `forward` returns 0 after an onsend_route `drop` and
                    // the script goes on (measured, fixtures/runtime/onsend.*)
                    CallRes::Ret(v) => (v, v == 0 && !is_core_forward(&c.name)),
                    CallRes::Exit => (0, true),
                }
            }
            _ => {
                let (v, exit) = self.eval(ctx, e);
                (v.to_int().unwrap_or(0), exit)
            }
        }
    }

    fn eval_bool(&mut self, ctx: &mut Ctx, e: &Expr) -> (bool, bool) {
        // `if ($pv == "literal")`: the test of `binop` for it, without the
        // way through `eval` and `binop` (a config that tests `$rU` in each
        // of 10,000 routes does this 10^9 times over a capture)
        if let Expr::Bin(op @ (BinOp::Eq | BinOp::Ne | BinOp::StrEq | BinOp::StrNe), l, r) = e {
            if let (Expr::Pv(pv), Expr::Str(f)) = (&**l, &**r) {
                if f.is_static() {
                    let str_op = matches!(op, BinOp::StrEq | BinOp::StrNe);
                    if let Some(eq) = self.pv_eq_static(ctx, pv, &f.raw, str_op) {
                        return (
                            if matches!(op, BinOp::Eq | BinOp::StrEq) {
                                eq
                            } else {
                                !eq
                            },
                            false,
                        );
                    }
                }
            }
        }
        match e {
            Expr::Call(_) => {
                let (v, exit) = self.eval_cond_call(ctx, e);
                (v > 0, exit)
            }
            _ => {
                let (v, exit) = self.eval(ctx, e);
                let b = match &v {
                    Val::Null => false,
                    Val::Int(i) => *i > 0,
                    Val::Str(s) => crate::value::str2sint(s).is_some_and(|i| i > 0),
                };
                (b, exit)
            }
        }
    }

    /// Evaluate an expression: its value and whether the script must stop.
    fn eval(&mut self, ctx: &mut Ctx, e: &Expr) -> (Val, bool) {
        let v = match e {
            Expr::Int(i) => Val::Int(*i),
            Expr::Str(f) => Val::Str(self.fmt(ctx, f)),
            Expr::Pv(pv) => self.get_pv(ctx, pv),
            Expr::Call(_) => {
                let (v, exit) = self.eval_cond_call(ctx, e);
                return (Val::Int(if v > 0 { 1 } else { 0 }), exit);
            }
            Expr::Not(x) => {
                let (b, exit) = self.eval_bool(ctx, x);
                return (Val::Int(if b { 0 } else { 1 }), exit);
            }
            Expr::Neg(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Int(-v.to_int().unwrap_or(0)), exit);
            }
            Expr::BNot(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Int(!v.to_int().unwrap_or(0)), exit);
            }
            Expr::IntCast(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Int(v.to_int().unwrap_or(0)), exit);
            }
            Expr::StrCast(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Str(v.as_str()), exit);
            }
            Expr::Strlen(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Int(v.as_str().len() as i64), exit);
            }
            Expr::Strempty(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Int(v.as_str().is_empty() as i64), exit);
            }
            Expr::Defined(x) => {
                let (v, exit) = self.eval(ctx, x);
                return (Val::Int(!v.is_null() as i64), exit);
            }
            Expr::Keyword(k) => self.keyword(ctx, k),
            Expr::Ip(s) => Val::Str(s.clone()),
            Expr::Select(s) => {
                self.step(Step::Unsupported {
                    function: format!("select {s}"),
                    at: Loc {
                        file: "".into(),
                        line: 0,
                    },
                });
                Val::Null
            }
            Expr::Unknown(s) => {
                self.step(Step::Unsupported {
                    function: format!("expression `{s}`"),
                    at: Loc {
                        file: "".into(),
                        line: 0,
                    },
                });
                Val::Null
            }
            Expr::Bin(op, l, r) => return self.binop(ctx, *op, l, r),
        };
        (v, false)
    }

    fn binop(&mut self, ctx: &mut Ctx, op: BinOp, l: &Expr, r: &Expr) -> (Val, bool) {
        use BinOp::*;
        if matches!(op, And | Or) {
            let (a, exit) = self.eval_bool(ctx, l);
            if exit {
                return (Val::Int(0), true);
            }
            if (op == And && !a) || (op == Or && a) {
                return (Val::Int(a as i64), false);
            }
            let (b, exit) = self.eval_bool(ctx, r);
            return (Val::Int(b as i64), exit);
        }
        // keyword comparisons: uri == myself, src_ip == 1.2.3.4, method == "X"
        if matches!(op, Eq | Ne) {
            if let Some(res) = self.keyword_cmp(ctx, l, r) {
                let b = if op == Eq { res } else { !res };
                return (Val::Int(b as i64), false);
            }
        }
        // `$pv == "literal"`: compared in place, neither side copied (a
        // config that tests `$rU` in each of 10,000 routes does this 10^9
        // times over a capture)
        if let (Eq | Ne | StrEq | StrNe, Expr::Pv(pv), Expr::Str(f)) = (op, l, r) {
            if f.is_static() {
                if let Some(eq) = self.pv_eq_static(ctx, pv, &f.raw, matches!(op, StrEq | StrNe)) {
                    let b = if matches!(op, Eq | StrEq) { eq } else { !eq };
                    return (Val::Int(b as i64), false);
                }
            }
        }
        let (a, e1) = self.eval(ctx, l);
        if let (Eq | Ne | StrEq | StrNe, Val::Str(x), Expr::Str(f)) = (op, &a, r) {
            if f.is_static() {
                let eq = *x == f.raw;
                let b = if matches!(op, Eq | StrEq) { eq } else { !eq };
                return (Val::Int(b as i64), e1);
            }
        }
        let (b, e2) = self.eval(ctx, r);
        let exit = e1 || e2;
        let v = match op {
            Eq | Ne => {
                let eq = match (&a, &b) {
                    // `$var(x) == $null` is false for an integer 0 (measured, gotchas #17)
                    (Val::Int(_), Val::Null) => false,
                    (Val::Int(x), _) => b.to_int() == Some(*x),
                    (Val::Null, Val::Int(y)) => *y == 0,
                    (Val::Null, Val::Null) => true,
                    // undefined (a $null PV, a failed transformation) takes
                    // the other side's type: "" (rvalue.c, measured)
                    (Val::Null, Val::Str(y)) => y.is_empty(),
                    (Val::Str(x), Val::Null) => {
                        let _ = x;
                        false
                    }
                    (Val::Str(x), _) => *x == b.as_str(),
                };
                Val::Int(if op == Eq { eq } else { !eq } as i64)
            }
            StrEq | StrNe => {
                let eq = a.as_str() == b.as_str();
                Val::Int(if op == StrEq { eq } else { !eq } as i64)
            }
            IEq | INe => {
                let eq = a.as_str().eq_ignore_ascii_case(&b.as_str());
                Val::Int(if op == IEq { eq } else { !eq } as i64)
            }
            Match => match self.regex(&b.as_str(), true) {
                Some(re) => Val::Int(re.is_match(&a.as_str()) as i64),
                None => Val::Int(0),
            },
            Add => add_vals(&a, &b),
            _ => {
                let x = a.to_int().unwrap_or(0);
                let y = b.to_int().unwrap_or(0);
                Val::Int(match op {
                    Sub => x.wrapping_sub(y),
                    Mul => x.wrapping_mul(y),
                    Div => {
                        if y == 0 {
                            0
                        } else {
                            x / y
                        }
                    }
                    Mod => {
                        if y == 0 {
                            0
                        } else {
                            x % y
                        }
                    }
                    BAnd => x & y,
                    BOr => x | y,
                    BXor => x ^ y,
                    Shl => x.wrapping_shl(y as u32),
                    Shr => x.wrapping_shr(y as u32),
                    Lt => (x < y) as i64,
                    Gt => (x > y) as i64,
                    Le => (x <= y) as i64,
                    Ge => (x >= y) as i64,
                    _ => 0,
                })
            }
        };
        (v, exit)
    }

    fn is_myself_host(&self, host: &str, port: &str) -> bool {
        let h = host.trim_matches(['[', ']']);
        let p: u16 = port.parse().unwrap_or(5060);
        for (n, a) in &self.prog.globals {
            if n == "alias" {
                let a = a.split(':').next().unwrap_or(a);
                if a.eq_ignore_ascii_case(h) {
                    return true;
                }
            }
        }
        // the host read as an address once, not once per listen address
        let ip = h.parse::<IpAddr>().ok();
        self.listen
            .iter()
            .any(|(_, l)| ip == Some(l.ip()) && l.port() == p)
    }

    /// `uri == myself`, `from_uri == myself`, `src_ip == IP`, ...
    fn keyword_cmp(&mut self, ctx: &mut Ctx, l: &Expr, r: &Expr) -> Option<bool> {
        let Expr::Keyword(k) = l else { return None };
        let k = k.as_str();
        match r {
            Expr::Keyword(m) if m == "myself" => {
                let uri = match k {
                    "uri" => Some(ctx.msg.ruri()),
                    "from_uri" => ctx
                        .msg
                        .header_known(crate::sip::K_FROM)
                        .map(NameAddr::uri_str),
                    "to_uri" => ctx
                        .msg
                        .header_known(crate::sip::K_TO)
                        .map(NameAddr::uri_str),
                    "src_ip" => {
                        return Some(self.listen.iter().any(|(_, a)| a.ip() == ctx.src.ip()));
                    }
                    _ => return None,
                };
                self.uris
                    .borrow_mut()
                    .parse_test(uri?, |u| self.is_myself_host(u.host, u.port))
            }
            Expr::Ip(ip) if k == "src_ip" || k == "dst_ip" => {
                let a = if k == "src_ip" {
                    ctx.src.ip()
                } else {
                    ctx.local.ip()
                };
                Some(ip_match(a, ip))
            }
            _ => None,
        }
    }

    fn keyword(&mut self, ctx: &mut Ctx, k: &str) -> Val {
        match k {
            "method" => Val::Str(ctx.msg.method().to_string()),
            "uri" => Val::Str(ctx.msg.ruri().to_string()),
            "src_ip" => Val::Str(ctx.src.ip().to_string()),
            "src_port" => Val::Int(ctx.src.port() as i64),
            "dst_ip" => Val::Str(ctx.local.ip().to_string()),
            "dst_port" => Val::Int(ctx.local.port() as i64),
            "from_uri" => Val::Str(
                ctx.msg
                    .header_known(crate::sip::K_FROM)
                    .map(|v| NameAddr::parse(v).uri)
                    .unwrap_or_default(),
            ),
            "to_uri" => Val::Str(
                ctx.msg
                    .header_known(crate::sip::K_TO)
                    .map(|v| NameAddr::parse(v).uri)
                    .unwrap_or_default(),
            ),
            "status" => Val::Int(ctx.msg.status() as i64),
            "proto" => Val::Str(ctx.proto.name().to_string()),
            "yes" | "true" | "on" => Val::Int(1),
            "no" | "false" | "off" => Val::Int(0),
            other => Val::Str(other.to_string()),
        }
    }

    pub(crate) fn fmt(&mut self, ctx: &mut Ctx, f: &Fmt) -> String {
        if f.is_static() {
            return f.raw.clone();
        }
        // room for the text as written and a little more: usually no growth
        let mut s = String::with_capacity(f.raw.len() + 32);
        for p in &f.parts {
            match p {
                FmtPart::Lit(l) => s.push_str(l),
                FmtPart::Pv(pv) => {
                    self.pv_display = None;
                    let v = self.get_pv(ctx, pv);
                    match self.pv_display.take() {
                        Some(d) => s.push_str(&d),
                        None => s.push_str(&v.as_str()),
                    }
                    // a failed transformation prints nothing (pv_printf)
                    if v.is_null() && !std::mem::take(&mut self.pv_failed) {
                        s.push_str("<null>");
                    }
                }
            }
        }
        s
    }

    /// A compiled regex, cached by pattern (configs match the same few
    /// patterns on every message; compiling dominated the run time).
    pub(crate) fn regex(&mut self, pat: &str, icase: bool) -> Option<std::sync::Arc<regex::Regex>> {
        // the config's literal patterns were compiled when it was lowered
        if let Some(r) = self.prog.regexes[icase as usize].get(pat) {
            return r.clone();
        }
        let cache = &mut self.regexes[icase as usize];
        if let Some(r) = cache.get(pat) {
            return r.clone();
        }
        let r = regex::RegexBuilder::new(pat)
            .case_insensitive(icase)
            .build()
            .ok()
            .map(std::sync::Arc::new);
        if cache.len() < 4096 {
            cache.insert(pat.to_string(), r.clone());
        }
        r
    }

    /// Evaluate a string with PVs (`$var(x)`, `$sht(t=>k)`, `$shv(n)`, ...)
    /// outside any route, against `msg` (the last message of a test step).
    pub fn eval_text(&mut self, text: &str, msg: &SipMsg, src: SocketAddr) -> String {
        let local = self.default_local(Proto::Udp);
        let mut ctx = self.new_ctx(msg.clone(), src, local, Proto::Udp, RouteType::Request);
        let f = Fmt::parse(text);
        let saved = std::mem::take(&mut self.cur);
        let out = self.fmt(&mut ctx, &f);
        self.cur = saved;
        self.unlocated = 0;
        out
    }

    // ------------------------------------------------------------------ PVs

    fn pv_name(&mut self, ctx: &mut Ctx, pv: &Pv) -> String {
        match &pv.inner {
            Some(f) => self.fmt(ctx, f),
            None => String::new(),
        }
    }

    pub(crate) fn get_pv(&mut self, ctx: &mut Ctx, pv: &Pv) -> Val {
        let v = self.get_pv_raw(ctx, pv);
        if pv.trs.is_empty() {
            self.pv_failed = false;
            return v;
        }
        // parameters first: a parameter that is a PV (`{s.substr,$var(i),1}`)
        // gives its value; any other is literal text (Kamailio does not
        // interpolate `a$var(x)`)
        let mut chain = Vec::with_capacity(pv.trs.len());
        for tr in &pv.trs {
            let mut params = Vec::with_capacity(tr.params.len());
            for p in &tr.params {
                let lone_pv = match p.parts.as_slice() {
                    [FmtPart::Pv(x)] => Some(x),
                    [FmtPart::Lit(l), FmtPart::Pv(x)]
                        if l.trim_start_matches([' ', '\t', '\n']).is_empty() =>
                    {
                        Some(x)
                    }
                    _ => None,
                };
                params.push(match lone_pv {
                    Some(x) => {
                        let v = self.get_pv(ctx, x);
                        crate::trans::Param::Pv(v)
                    }
                    // the json module's string parameters are spve
                    None if tr.class.eq_ignore_ascii_case("json") => {
                        crate::trans::Param::Spve(self.fmt(ctx, p))
                    }
                    None => crate::trans::Param::Lit(p.raw.clone()),
                });
            }
            chain.push((tr.class.as_str(), tr.sub.as_str(), params));
        }
        match crate::trans::apply_chain(&chain, v) {
            Ok((v, display)) => {
                self.pv_failed = false;
                self.pv_display = display;
                v
            }
            Err(crate::trans::TrErr::Fail) => {
                // Kamailio: the PV has no value (xlog prints nothing for it,
                // an assignment gets $null)
                self.pv_failed = true;
                self.pv_display = None;
                Val::Null
            }
            Err(crate::trans::TrErr::Unsupported(name)) => {
                self.pv_failed = false;
                self.pv_display = None;
                self.step(Step::Unsupported {
                    function: format!("transformation {{{}}}", name),
                    at: Loc {
                        file: "".into(),
                        line: 0,
                    },
                });
                Val::Null
            }
        }
    }

    /// `pv == lit` for the message PVs that are a string (or null) and can
    /// be read without copying; `None`: evaluate the general way. Same
    /// result as `eval` + `binop`: a null PV equals `""` (with `==` and
    /// `eq` alike).
    fn pv_eq_static(&mut self, ctx: &Ctx, pv: &Pv, lit: &str, str_op: bool) -> Option<bool> {
        if !pv.trs.is_empty() {
            return None;
        }
        let m = &ctx.msg;
        let v: Option<&str> = match pv.class.as_str() {
            "rU" => self
                .uris
                .borrow_mut()
                .user(m.ruri())
                .filter(|u| !u.is_empty()),
            "rd" => self.uris.borrow_mut().host(m.ruri()),
            "rm" if m.is_request() => Some(m.method()),
            "ru" => m.is_request().then(|| m.ruri()),
            "ci" => m.header_known(crate::sip::K_CALL_ID),
            "ua" => m.header("user-agent"),
            _ => return None,
        };
        // undefined takes the type of the other side: "" (measured for
        // `$rU == ""` without a user and `$ua == ""` without the header)
        let _ = str_op;
        Some(crate::sip::same_text(v.unwrap_or(""), lit))
    }

    fn get_pv_raw(&mut self, ctx: &mut Ctx, pv: &Pv) -> Val {
        let m = &ctx.msg;
        let s = |x: String| Val::Str(x);
        let opt = |x: Option<String>| x.map(Val::Str).unwrap_or(Val::Null);
        let ruri = || Uri::parse(m.ruri());
        let from = || m.header_known(crate::sip::K_FROM).map(NameAddr::parse);
        let to = || m.header_known(crate::sip::K_TO).map(NameAddr::parse);
        match pv.class.as_str() {
            "null" => Val::Null,
            "ru" => {
                if m.is_request() {
                    s(m.ruri().to_string())
                } else {
                    Val::Null
                }
            }
            "rU" | "rd" | "rp" | "rz" => {
                let u = self.uris.borrow_mut().parse(m.ruri());
                let t = |x: &str| Some(x.to_string());
                match pv.class.as_str() {
                    "rU" => opt(u.and_then(|u| t(u.user)).filter(|u| !u.is_empty())),
                    "rd" => opt(u.and_then(|u| t(u.host))),
                    "rp" => opt(u.and_then(|u| t(u.port)).filter(|p| !p.is_empty())).or_int(),
                    _ => opt(u.and_then(|u| t(u.scheme))),
                }
            }
            "rt" | "ruri.transport" => opt(ruri().and_then(|u| u.param("transport"))),
            "ou" => s(m.ruri().to_string()),
            "du" => opt(ctx.du.clone()),
            "dd" => opt(ctx
                .du
                .as_deref()
                .and_then(|d| self.uris.borrow_mut().parse(d))
                .map(|u| u.host.to_string())),
            "dp" => opt(ctx
                .du
                .as_deref()
                .and_then(|d| self.uris.borrow_mut().parse(d))
                .map(|u| u.port.to_string())),
            "fu" => opt(m
                .header_known(crate::sip::K_FROM)
                .map(|v| NameAddr::uri_str(v).to_string())),
            "fU" => opt(m
                .header_known(crate::sip::K_FROM)
                .and_then(|v| self.uris.borrow_mut().parse(NameAddr::uri_str(v)))
                .map(|u| u.user)
                .filter(|u| !u.is_empty())
                .map(str::to_string)),
            "fd" => opt(m
                .header_known(crate::sip::K_FROM)
                .and_then(|v| self.uris.borrow_mut().parse(NameAddr::uri_str(v)))
                .map(|u| u.host.to_string())),
            "fn" => opt(from().map(|n| n.display).filter(|d| !d.is_empty())),
            "ft" => opt(m.from_tag()),
            "tu" => opt(m
                .header_known(crate::sip::K_TO)
                .map(|v| NameAddr::uri_str(v).to_string())),
            "tU" => opt(m
                .header_known(crate::sip::K_TO)
                .and_then(|v| self.uris.borrow_mut().parse(NameAddr::uri_str(v)))
                .map(|u| u.user)
                .filter(|u| !u.is_empty())
                .map(str::to_string)),
            "td" => opt(m
                .header_known(crate::sip::K_TO)
                .and_then(|v| self.uris.borrow_mut().parse(NameAddr::uri_str(v)))
                .map(|u| u.host.to_string())),
            "tn" => opt(to().map(|n| n.display).filter(|d| !d.is_empty())),
            "tt" => opt(m.to_tag()),
            "ci" => opt(m.header_known(crate::sip::K_CALL_ID).map(str::to_string)),
            "cs" => m.cseq_num().parse().map(Val::Int).unwrap_or(Val::Null),
            "rm" => s(if m.is_request() {
                m.method().to_string()
            } else {
                m.cseq_method()
            }),
            "rs" => {
                if m.is_request() {
                    Val::Null
                } else {
                    Val::Int(m.status() as i64)
                }
            }
            "rr" => {
                if m.is_request() {
                    Val::Null
                } else {
                    s(m.reason().to_string())
                }
            }
            "rv" => s(match &m.start {
                StartLine::Request { version, .. } | StartLine::Reply { version, .. } => {
                    version.to_string()
                }
            }),
            "snd" | "sndto" | "sndfrom" => {
                let name = self.pv_name(ctx, pv);
                self.snd_pv(&pv.class, &name)
            }
            "si" if ctx.src == crate::tmlocal::NO_SOURCE => s(String::new()),
            "si" => s(ctx.src.ip().to_string()),
            "sp" => Val::Int(ctx.src.port() as i64),
            "Ri" => s(ctx.local.ip().to_string()),
            "Rp" => Val::Int(ctx.local.port() as i64),
            "RAi" => s(ctx.local.ip().to_string()),
            "RAp" => Val::Int(ctx.local.port() as i64),
            "pr" | "proto" => s(ctx.proto.name().to_string()),
            "ua" => opt(m.header("user-agent").map(str::to_string)),
            "ct" => opt(ctx.script_contacts().into_iter().next()),
            "cT" => opt(m.header("content-type").map(str::to_string)),
            // a body nathelper changed is a lump: these read it as received
            "cl" => Val::Int(ctx.script_body().len() as i64),
            "ml" => Val::Int(m.to_wire().len() as i64),
            "mb" => s(m.to_wire()),
            "rb" => s(ctx.script_body().to_string()),
            "bs" => Val::Int(ctx.script_body().len() as i64),
            "ai" => opt(m
                .header("p-asserted-identity")
                .map(|v| NameAddr::parse(v).uri)),
            "re" => opt(m.header("remote-party-id").map(|v| NameAddr::parse(v).uri)),
            "di" => opt(m.header("diversion").map(|v| NameAddr::parse(v).uri)),
            "pU" | "pu" | "pd" => {
                let p = m
                    .header("p-preferred-identity")
                    .map(|v| NameAddr::parse(v).uri);
                let u = p.as_deref().and_then(Uri::parse);
                match pv.class.as_str() {
                    "pu" => opt(p),
                    "pU" => opt(u.map(|u| u.user)),
                    _ => opt(u.map(|u| u.host)),
                }
            }
            "mf" | "flags" => Val::Int(ctx.flags as i64),
            "bf" => Val::Int(ctx.bflags as i64),
            "rc" | "retcode" | "?" => Val::Int(ctx.rc),
            "Ts" => Val::Int(self.clock as i64),
            "TS" => Val::Int(self.clock as i64),
            "Tf" => s(format!("{}", self.clock as i64)),
            "TV" => {
                let n = self.pv_name(ctx, pv);
                match n.as_str() {
                    "s" => Val::Int(self.clock as i64),
                    "u" => Val::Int(((self.clock.fract()) * 1e6) as i64),
                    "sn" | "un" => Val::Int(self.clock as i64),
                    _ => s(format!(
                        "{}.{:06}",
                        self.clock as i64,
                        ((self.clock.fract()) * 1e6) as i64
                    )),
                }
            }
            "pp" => Val::Int(4242),
            "hdr" | "hdrc" | "hfl" => {
                let name = self.pv_name(ctx, pv);
                let canon = crate::sip::canon_name(&name);
                let m = &ctx.msg;
                let contacts;
                let vals: Vec<&str> = if canon == "contact" && !ctx.contact_orig.is_empty() {
                    contacts = ctx.script_contacts();
                    contacts.iter().map(String::as_str).collect()
                } else {
                    m.headers_named(&canon).collect()
                };
                if pv.class == "hdrc" {
                    return Val::Int(vals.len() as i64);
                }
                let idx = pv.index.as_ref().map(|f| f.raw.clone());
                match idx.as_deref() {
                    None => opt(vals.first().map(|s| s.to_string())),
                    Some("*") => opt((!vals.is_empty()).then(|| vals.join(","))),
                    Some(i) => {
                        let i: i64 = i.parse().unwrap_or(0);
                        let k = if i < 0 { vals.len() as i64 + i } else { i };
                        opt(vals
                            .get(k.max(0) as usize)
                            .filter(|_| k >= 0)
                            .map(|s| s.to_string()))
                    }
                }
            }
            "var" | "vz" | "vn" => {
                let n = self.pv_name(ctx, pv);
                self.vars.get(&n).cloned().unwrap_or(if pv.class == "var" {
                    Val::Int(0)
                } else {
                    Val::Null
                })
            }
            "shv" => {
                let n = self.pv_name(ctx, pv);
                self.shv.get(&n).cloned().unwrap_or(Val::Int(0))
            }
            "avp" | "xavp" | "xavu" | "xavi" => {
                let n = self.pv_name(ctx, pv);
                let key = [pv.class.as_str(), ":", n.as_str()].concat();
                let list = self.avps(ctx).get(&key).cloned().unwrap_or_default();
                let idx = pv.index.as_ref().map(|f| f.raw.clone());
                match idx.as_deref() {
                    None | Some("0") => list.last().cloned().unwrap_or(Val::Null),
                    Some("*") => list.last().cloned().unwrap_or(Val::Null),
                    Some(i) => {
                        let i: usize = i.parse().unwrap_or(usize::MAX);
                        list.iter().rev().nth(i).cloned().unwrap_or(Val::Null)
                    }
                }
            }
            "sht" => {
                let n = self.pv_name(ctx, pv);
                let (t, k) = n.split_once("=>").unwrap_or((&n, ""));
                let now = self.now_secs();
                self.htable
                    .get(t.trim())
                    .map_or(Val::Null, |h| h.get(k.trim(), now))
            }
            "shtex" => {
                let n = self.pv_name(ctx, pv);
                let (t, k) = n.split_once("=>").unwrap_or((&n, ""));
                let now = self.now_secs();
                Val::Int(
                    self.htable
                        .get(t.trim())
                        .map_or(0, |h| h.expires_in(k.trim(), now)),
                )
            }
            "shtrecord" => {
                let n = self.pv_name(ctx, pv);
                match (&self.sht_expired, n.as_str()) {
                    (Some((k, _)), "key") => Val::Str(k.clone()),
                    (Some((_, v)), "value") => v.clone(),
                    _ => Val::Null,
                }
            }
            "shtcn" | "shtcv" => Val::Int(0),
            "T_reply_code" => {
                if ctx.t_reply_code > 0 {
                    Val::Int(ctx.t_reply_code as i64)
                } else if ctx.msg.is_request() {
                    Val::Int(0)
                } else {
                    Val::Int(ctx.msg.status() as i64)
                }
            }
            "T_reply_reason" => Val::Str(ctx.msg.reason().to_string()),
            "T_branch_idx" => Val::Int(ctx.reply_branch.unwrap_or(0) as i64),
            "T_req" | "T_rpl" | "T_inv" => Val::Null,
            "br" => opt(ctx.branches.first().map(|b| b.0.clone())),
            "branch" => {
                let n = self.pv_name(ctx, pv);
                match n.as_str() {
                    "count" => Val::Int(ctx.branches.len() as i64),
                    "uri" => opt(ctx.branches.first().map(|b| b.0.clone())),
                    _ => Val::Null,
                }
            }
            "dlg_var" => {
                let n = self.pv_name(ctx, pv);
                self.dlg_var_get(ctx, &n)
            }
            "dlg" if self.prog.has_module("dialog") => {
                let n = self.pv_name(ctx, pv);
                match self.dlg_pv(ctx, &n) {
                    Some(v) => v,
                    None => {
                        self.step(Step::Unsupported {
                            function: format!("pseudo-variable {}", pv.text),
                            at: Loc {
                                file: "".into(),
                                line: 0,
                            },
                        });
                        Val::Null
                    }
                }
            }
            "dbr" => {
                let n = self.pv_name(ctx, pv);
                self.dbr(&n)
            }
            "time" | "utime" => Val::Int(self.clock as i64),
            "sel" => Val::Null,
            _ => {
                if let Some(v) = self.ext_pv(ctx, pv) {
                    return v;
                }
                self.step(Step::Unsupported {
                    function: format!("pseudo-variable {}", pv.text),
                    at: Loc {
                        file: "".into(),
                        line: 0,
                    },
                });
                Val::Null
            }
        }
    }

    pub(crate) fn avps_pub<'a>(&'a mut self, ctx: &Ctx) -> &'a mut HashMap<String, Vec<Val>> {
        self.avps(ctx)
    }

    fn avps<'a>(&'a mut self, ctx: &Ctx) -> &'a mut HashMap<String, Vec<Val>> {
        // AVPs live with the transaction once there is one; before, with the message
        let ti = ctx.trans.unwrap_or(usize::MAX);
        if ti < self.trans.len() {
            &mut self.trans[ti].avps
        } else {
            self.msg_avps.get_or_insert_with(HashMap::default)
        }
    }

    pub(crate) fn set_pv(&mut self, ctx: &mut Ctx, pv: &Pv, v: Val, loc: &Loc) {
        let sv = v.as_str();
        match pv.class.as_str() {
            "ru" => {
                ctx.msg.set_ruri(&sv);
            }
            "rU" | "rd" | "rp" => {
                if let Some(mut u) = Uri::parse(ctx.msg.ruri()) {
                    match pv.class.as_str() {
                        "rU" => u.user = if v.is_null() { String::new() } else { sv },
                        "rd" => u.host = sv,
                        _ => u.port = if v.is_null() { String::new() } else { sv },
                    }
                    ctx.msg.set_ruri(&u.to_string_full());
                }
            }
            "du" => {
                ctx.du = if v.is_null() || sv.is_empty() {
                    None
                } else {
                    Some(sv)
                }
            }
            "fs" => {}
            "var" | "vz" | "vn" => {
                let n = self.pv_name(ctx, pv);
                let v = if v.is_null() && pv.class == "var" {
                    Val::Int(0)
                } else {
                    v
                };
                self.vars.insert(n, v);
            }
            "shv" => {
                let n = self.pv_name(ctx, pv);
                self.shv.insert(n, v);
            }
            "avp" | "xavp" | "xavu" | "xavi" => {
                let n = self.pv_name(ctx, pv);
                let key = [pv.class.as_str(), ":", n.as_str()].concat();
                let idx = pv.index.as_ref().map(|f| f.raw.clone());
                let avps = self.avps(ctx);
                if v.is_null() {
                    match idx.as_deref() {
                        Some("*") | None => {
                            avps.remove(&key);
                        }
                        _ => {
                            if let Some(l) = avps.get_mut(&key) {
                                l.pop();
                            }
                        }
                    }
                } else if idx.as_deref() == Some("*") {
                    avps.insert(key, vec![v]);
                } else {
                    avps.entry(key).or_default().push(v);
                }
            }
            "sht" => {
                let n = self.pv_name(ctx, pv);
                let (t, k) = n.split_once("=>").unwrap_or((&n, ""));
                let now = self.now_secs();
                let h = self.htable.entry(t.trim().to_string()).or_default();
                if v.is_null() {
                    h.remove(k.trim());
                } else {
                    h.set(k.trim(), v, now);
                    if h.autoexpire > 0 && self.sht_timer_at.is_none() {
                        self.sht_timer_at = Some(now + self.sht_interval());
                    }
                }
            }
            "dlg_var" => {
                let n = self.pv_name(ctx, pv);
                self.dlg_var_set(ctx, n, v);
            }
            "mf" | "flags" => ctx.flags = v.to_int().unwrap_or(0) as u64,
            "bf" => ctx.bflags = v.to_int().unwrap_or(0) as u64,
            "rb" => {
                ctx.msg.body = sv;
            }
            _ => self.step(Step::Unsupported {
                function: format!("assignment to {}", pv.text),
                at: loc.clone(),
            }),
        }
    }
}

trait OrInt {
    fn or_int(self) -> Val;
}
impl OrInt for Val {
    fn or_int(self) -> Val {
        match &self {
            Val::Str(s) => s.parse().map(Val::Int).unwrap_or(self),
            _ => self,
        }
    }
}

fn add_vals(a: &Val, b: &Val) -> Val {
    match a {
        Val::Str(x) => Val::Str(format!("{x}{}", b.as_str())),
        Val::Int(x) => Val::Int(x.wrapping_add(b.to_int().unwrap_or(0))),
        // an undefined left operand makes `+` a string concatenation
        // (Kamailio: `$sht(t=>k) + 1` on a missing key stores "1", then "11")
        Val::Null => Val::Str(b.as_str()),
    }
}

fn ip_match(a: IpAddr, spec: &str) -> bool {
    let (ip, bits) = spec.split_once('/').unwrap_or((spec, ""));
    let Ok(net) = ip.trim_matches(['[', ']']).parse::<IpAddr>() else {
        return false;
    };
    match (a, net) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            let b: u32 = bits.parse().unwrap_or(32).min(32);
            let mask = if b == 0 { 0 } else { u32::MAX << (32 - b) };
            u32::from(x) & mask == u32::from(y) & mask
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => {
            let b: u32 = bits.parse().unwrap_or(128).min(128);
            let mask = if b == 0 { 0 } else { u128::MAX << (128 - b) };
            u128::from(x) & mask == u128::from(y) & mask
        }
        _ => false,
    }
}

/// How a route called with `route()` ended.
pub(crate) enum FlowPub {
    Exit,
    Value(i64),
}

impl Runtime {
    pub(crate) fn run_route_pub(
        &mut self,
        ctx: &mut Ctx,
        table: RouteTable,
        name: &str,
    ) -> Option<FlowPub> {
        let f = self.run_route(ctx, table, name)?;
        Some(match f {
            Flow::Exit => FlowPub::Exit,
            Flow::Return(v) | Flow::Next(v) => FlowPub::Value(v),
            Flow::Break => FlowPub::Value(1),
        })
    }
    pub(crate) fn eval_pub(&mut self, ctx: &mut Ctx, e: &Expr) -> Val {
        self.eval(ctx, e).0
    }
    pub(crate) fn find_trans_pub(&self, m: &SipMsg) -> Option<usize> {
        self.find_trans(m)
    }
    pub(crate) fn is_myself_pub(&self, host: &str, port: &str) -> bool {
        self.is_myself_host(host, port)
    }
}

pub(crate) enum CallRes {
    Ret(i64),
    Exit,
}

// ---------------------------------------------------------------------- replies

/// Build a reply to `req` as Kamailio's `build_res_buf_from_sip_req` does.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_reply(
    req: &SipMsg,
    code: u16,
    reason: &str,
    to_tag: Option<&LazyTag>,
    lumps: &[Header],
    server: &str,
    rport: bool,
    src: Option<SocketAddr>,
) -> SipMsg {
    let mut headers = Vec::with_capacity(req.headers.len().min(12) + lumps.len() + 2);
    let mut first_via = true;
    for h in &req.headers {
        // the names this reply copies, recognised without lower-casing a copy
        let c = reply_copied_name(h);
        match c {
            "via" => {
                if first_via {
                    first_via = false;
                    let v = match src {
                        Some(s) => reply_via(&h.value, s, rport).into(),
                        None => h.value.clone(),
                    };
                    headers.push(h.with_value(v));
                } else {
                    headers.push(h.clone());
                }
            }
            "record-route" if (180..300).contains(&code) => headers.push(h.clone()),
            "from" | "call-id" | "cseq" => headers.push(h.clone()),
            "to" => {
                let mut v = h.value.clone();
                if code > 100
                    && crate::sip::param_str_lit(NameAddr::params_exact(&v), "tag", "tag=")
                        .is_none()
                {
                    if let Some(t) = to_tag {
                        let t = t.get();
                        let mut w = String::with_capacity(v.len() + 5 + t.len());
                        w.push_str(&v);
                        w.push_str(";tag=");
                        w.push_str(t);
                        v = w.into();
                    }
                }
                headers.push(h.with_value(v));
            }
            _ => {}
        }
    }
    headers.extend(lumps.iter().cloned());
    if !server.is_empty() {
        headers.push(Header::known(crate::sip::K_SERVER, "Server", server));
    }
    headers.push(Header::known(
        crate::sip::K_CONTENT_LENGTH,
        "Content-Length",
        "0",
    ));
    SipMsg {
        start: StartLine::Reply {
            version: "SIP/2.0".into(),
            code,
            reason: reason.into(),
        },
        headers,
        body: String::new(),
    }
}

/// Which of the headers a reply copies `name` is (`""` for none): the
/// canonical name as `Header::is` finds it, in one pass over the name.
fn reply_copied_name(h: &Header) -> &'static str {
    const NAMES: [&str; 6] = ["via", "record-route", "from", "call-id", "cseq", "to"];
    // all six are well-known names: the header's cached kind says which
    match h.known_canon() {
        Some(c) if NAMES.contains(&c) => c,
        _ => "",
    }
}

#[cfg(test)]
fn reply_copied_name_by_text(name: &str) -> &'static str {
    const NAMES: [&str; 6] = ["via", "record-route", "from", "call-id", "cseq", "to"];
    let n = name.as_bytes();
    let solid = |b: u8| b.is_ascii() && !b.is_ascii_whitespace();
    if n.len() > 1 && solid(n[0]) && solid(n[n.len() - 1]) {
        // a long name as written: only one of the same length can match
        return NAMES
            .into_iter()
            .find(|c| c.len() == n.len() && n.eq_ignore_ascii_case(c.as_bytes()))
            .unwrap_or("");
    }
    let h = Header::new(name, "");
    NAMES.into_iter().find(|c| h.is(c)).unwrap_or("")
}

/// The top Via of a locally built reply: `rport` filled in place (or added
/// after the branch when forced), `received` after it.
fn reply_via(value: &str, src: SocketAddr, force_rport: bool) -> String {
    // only the first element of a comma list is Via1
    let mut elems = crate::sip::split_commas_str(value);
    let first = elems.next().unwrap_or("");
    let via = ViaFacts::of(first, src);
    let (has_rport, do_rport, do_received) =
        (via.has_rport, via.do_rport(force_rport), via.do_received);
    // (room for `;rport=65535;received=` and an IPv6 address)
    let mut tail = String::with_capacity(64);
    if do_rport {
        tail.push_str(";rport=");
        push_num(&mut tail, src.port().into());
    }
    if do_received {
        tail.push_str(";received=");
        push_ip(&mut tail, src.ip());
    }
    // split into params keeping the raw text
    let (head, params) = crate::sip::split_at_byte(first, b';').unwrap_or((first, ""));
    let mut out = String::with_capacity(value.len() + tail.len() + 8);
    out.push_str(head);
    let mut inserted = false;
    let has_branch = !params.is_empty()
        && split_semi(params).any(|p| {
            let t = crate::sip::trim(p).as_bytes();
            t.len() >= 7 && t[..7].eq_ignore_ascii_case(b"branch=")
        });
    if !params.is_empty() {
        for p in split_semi(params) {
            let name = crate::sip::trim(param_name(p));
            if do_received && name.eq_ignore_ascii_case("received") {
                continue;
            }
            if do_rport && name.eq_ignore_ascii_case("rport") {
                out.push_str(&tail);
                inserted = true;
                continue;
            }
            out.push(';');
            out.push_str(p);
            if !has_rport && !inserted && name.eq_ignore_ascii_case("branch") {
                out.push_str(&tail);
                inserted = true;
            }
        }
    }
    if !inserted && !has_branch {
        out.push_str(&tail);
    }
    for e in elems {
        out.push_str(", ");
        out.push_str(e);
    }
    out
}

/// What the Via rewrites need to know of a top Via element.
struct ViaFacts {
    has_rport: bool,
    do_received: bool,
}

/// `write!(s, "{n}")` without the formatting machinery.
pub(crate) fn push_num(s: &mut String, mut n: u64) {
    let mut d = [0u8; 20];
    let mut i = d.len();
    loop {
        i -= 1;
        d[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // ASCII digits, pushed as chars (no UTF-8 check of the buffer)
    s.reserve(d.len() - i);
    s.extend(d[i..].iter().map(|&c| char::from(c)));
}

/// A message without a start line, headers or body (no allocation): it
/// stands in while a context is copied without its message.
fn empty_msg() -> SipMsg {
    SipMsg {
        start: StartLine::Reply {
            version: Default::default(),
            code: 0,
            reason: Default::default(),
        },
        headers: Vec::new(),
        body: String::new(),
    }
}

/// `text == ip.to_string()`, without building the text for IPv4.
fn ip_text_is(text: &str, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let mut buf = [0u8; 15];
            let n = ipv4_text(v4, &mut buf);
            text.as_bytes() == &buf[..n]
        }
        IpAddr::V6(_) => {
            let mut s = String::with_capacity(40);
            push_ip(&mut s, ip);
            text == s
        }
    }
}

/// The text of an IPv4 address (its `Display`: four numbers) in `buf`,
/// its length returned.
fn ipv4_text(v4: std::net::Ipv4Addr, buf: &mut [u8; 15]) -> usize {
    let mut n = 0;
    for (i, o) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            buf[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            buf[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + o % 10;
        n += 1;
    }
    n
}

/// `write!(s, "{ip}")`: an IPv4 address as its four numbers (what its
/// `Display` gives), others through `Display`.
pub(crate) fn push_ip(s: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            // made in a buffer, pushed at once (ASCII: as chars, without a
            // UTF-8 check)
            let mut buf = [0u8; 15];
            let n = ipv4_text(v4, &mut buf);
            s.reserve(n);
            s.extend(buf[..n].iter().map(|&c| char::from(c)));
        }
        IpAddr::V6(_) => {
            let _ = write!(s, "{ip}");
        }
    }
}

impl ViaFacts {
    fn of(first: &str, src: SocketAddr) -> ViaFacts {
        let (host, params) = Via::host_params(first);
        let (has_rport, has_received) = has_params(params, "rport", "received");
        let host = host.trim_matches(['[', ']']);
        // the sent-by host differs from the source address (as text)
        let do_received = has_received || has_rport || !ip_text_is(host, src.ip());
        ViaFacts {
            has_rport,
            do_received,
        }
    }
    fn do_rport(&self, force_rport: bool) -> bool {
        self.has_rport || force_rport
    }
}

/// `(param_str(params, a).is_some(), param_str(params, b).is_some())`,
/// in one pass over the parameters.
fn has_params(params: &str, a: &str, b: &str) -> (bool, bool) {
    let (mut has_a, mut has_b) = (false, false);
    for p in split_semi(params) {
        let n = crate::sip::trim(param_name(p));
        has_a |= n.eq_ignore_ascii_case(a);
        has_b |= n.eq_ignore_ascii_case(b);
    }
    (has_a, has_b)
}

/// `s.split(';')`, by bytes (`;` is ASCII).
fn split_semi(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == b';') {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `p.split('=').next().unwrap_or("")`, by bytes.
fn param_name(p: &str) -> &str {
    p.bytes().position(|b| b == b'=').map_or(p, |i| &p[..i])
}

/// The received Via of a forwarded request: `;received=` right after
/// sent-by, `rport` given its value in place (or after `received` when forced).
fn forward_via(value: &str, src: SocketAddr, force_rport: bool) -> String {
    let mut elems = crate::sip::split_commas_str(value);
    let first = elems.next().unwrap_or("");
    let via = ViaFacts::of(first, src);
    let (has_rport, do_rport, do_received) =
        (via.has_rport, via.do_rport(force_rport), via.do_received);
    let (head, params) = crate::sip::split_at_byte(first, b';').unwrap_or((first, ""));
    let mut out = String::with_capacity(value.len() + 48);
    out.push_str(head);
    if do_received {
        out.push_str(";received=");
        push_ip(&mut out, src.ip());
    }
    if do_rport && !has_rport {
        out.push_str(";rport=");
        push_num(&mut out, src.port().into());
    }
    if !params.is_empty() {
        for p in split_semi(params) {
            let name = crate::sip::trim(param_name(p));
            if do_received && name.eq_ignore_ascii_case("received") {
                continue;
            }
            if do_rport && name.eq_ignore_ascii_case("rport") {
                out.push_str(";rport=");
                push_num(&mut out, src.port().into());
                continue;
            }
            out.push(';');
            out.push_str(p);
        }
    }
    for e in elems {
        out.push_str(", ");
        out.push_str(e);
    }
    out
}

impl Runtime {
    pub(crate) fn sent(
        &mut self,
        kind: &'static str,
        by: &'static str,
        proto: Proto,
        src: SocketAddr,
        dst: SocketAddr,
        m: &SipMsg,
    ) {
        self.step(Step::Send(std::sync::Arc::new(Sent {
            kind,
            by,
            proto,
            src,
            dst,
            start_line: m.start_line_text(),
            headers: m
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            body: m.body.clone(),
            at: self.clock,
        })));
        self.nexthop_answer(proto, src, dst, m);
    }

    /// [`Runtime::sent`] for a message not needed afterwards: its headers
    /// and body move into the timeline instead of being copied.
    pub(crate) fn sent_owned(
        &mut self,
        kind: &'static str,
        by: &'static str,
        proto: Proto,
        src: SocketAddr,
        dst: SocketAddr,
        m: SipMsg,
    ) {
        let start_line = m.start_line_text();
        let is_req = m.is_request();
        let SipMsg {
            start,
            headers,
            body,
        } = m;
        let sent = Sent {
            kind,
            by,
            proto,
            src,
            dst,
            start_line,
            // same layout: collected in place, no allocation
            headers: headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body,
            at: self.clock,
        };
        if is_req {
            // a next hop answers: it needs the message
            let m = SipMsg {
                start,
                headers: sent
                    .headers
                    .iter()
                    .map(|(n, v)| Header::new(n.clone(), v.clone()))
                    .collect(),
                body: sent.body.clone(),
            };
            self.step(Step::Send(std::sync::Arc::new(sent)));
            self.nexthop_answer(proto, src, dst, &m);
        } else {
            self.step(Step::Send(std::sync::Arc::new(sent)));
        }
    }

    /// A scripted next hop answers the request `m` sent to `dst`.
    fn nexthop_answer(&mut self, proto: Proto, src: SocketAddr, dst: SocketAddr, m: &SipMsg) {
        // a scripted next hop answers requests sent to it; a CANCEL gets
        // 200, and the INVITE it cancels (answered only provisionally) 487,
        // as a user agent does (RFC 3261 9.2)
        if m.is_request() && m.method() != "ACK" {
            // (the next hop's answer and tag borrowed, not copied)
            if let Some(Some(r)) = self.nexthops.get(&dst) {
                let tag = self
                    .nexthop_tags
                    .get(&dst)
                    .map_or("nexthop", String::as_str);
                if m.method() == "CANCEL" {
                    let reply = nexthop_reply(m, 200, "OK", tag, dst);
                    self.pending_in.push((dst, src, proto, reply));
                    let branch = m.via1_branch().to_string();
                    if let Some(inv) = self.nexthop_ringing.remove(&(dst, branch)) {
                        let reply = nexthop_reply(&inv, 487, "Request Terminated", tag, dst);
                        self.pending_in.push((dst, src, proto, reply));
                    }
                } else {
                    if m.method() == "INVITE" && r.code < 200 {
                        let branch = m.via1_branch().to_string();
                        self.nexthop_ringing.insert((dst, branch), m.clone());
                    }
                    let reply = nexthop_reply(m, r.code, &r.reason, tag, dst);
                    self.pending_in.push((dst, src, proto, reply));
                }
            }
        }
    }

    fn reply_dst(&self, ctx_src: SocketAddr, req: &SipMsg) -> SocketAddr {
        let _ = req;
        ctx_src
    }

    /// Stateless reply (sl_send_reply and friends).
    pub(crate) fn sl_reply(
        &mut self,
        ctx: &mut Ctx,
        code: u16,
        reason: &str,
        by: &'static str,
    ) -> i64 {
        if !ctx.msg.is_request() || ctx.msg.method() == "ACK" {
            return -1;
        }
        let tag = LazyTag::known(self.local_tag(&ctx.msg));
        let lumps = std::mem::take(&mut ctx.reply_lumps);
        let r = build_reply(
            &ctx.msg,
            code,
            reason,
            Some(&tag),
            &lumps,
            &self.server_header,
            ctx.force_rport,
            Some(ctx.src),
        );
        let dst = self.reply_dst(ctx.src, &ctx.msg);
        self.sent_owned("reply", by, ctx.proto, ctx.local, dst, r);
        1
    }

    fn local_tag(&mut self, m: &SipMsg) -> String {
        let (cid, ftag) = (m.call_id(), m.from_tag_str().unwrap_or_default());
        // asked several times per message (sl, tm, the ACK filter): the
        // last one is kept
        if let Some((c, f, t)) = &self.last_local_tag {
            if c == cid && f == ftag {
                return t.clone();
            }
        }
        let tag = local_tag_of(cid, ftag);
        self.last_local_tag = Some((cid.to_string(), ftag.to_string(), tag.clone()));
        tag
    }

    pub(crate) fn next_branch(&mut self, key: &str) -> String {
        self.counter += 1;
        let h = md5hex_of(&[key]);
        let mut b = String::with_capacity(44);
        b.push_str("z9hG4bK");
        // hex digits are ASCII
        b.push_str(std::str::from_utf8(&h[..16]).unwrap_or(""));
        b.push('.');
        push_num(&mut b, self.counter);
        b
    }
}

fn nexthop_reply(req: &SipMsg, code: u16, reason: &str, tag: &str, me: SocketAddr) -> SipMsg {
    let mut h = Vec::with_capacity(req.headers.len().min(12) + 4);
    // the values are shared with the request's (no copy of the text)
    for x in req.headers.iter().filter(|x| x.is("via")) {
        h.push(Header::known(crate::sip::K_VIA, "Via", x.value.clone()));
    }
    if code > 100 && code < 300 {
        for x in req.headers.iter().filter(|x| x.is("record-route")) {
            h.push(Header::known(
                crate::sip::K_RECORD_ROUTE,
                "Record-Route",
                x.value.clone(),
            ));
        }
    }
    h.push(Header::known(
        crate::sip::K_FROM,
        "From",
        req.header_known(crate::sip::K_FROM).unwrap_or(""),
    ));
    let mut to = req.header_known(crate::sip::K_TO).unwrap_or("").to_string();
    // `NameAddr::parse(&to).param("tag").is_none()`, borrowed
    if code > 100 && crate::sip::param_str_lit(NameAddr::params_exact(&to), "tag", "tag=").is_none()
    {
        to.push_str(";tag=");
        to.push_str(tag);
    }
    h.push(Header::known(crate::sip::K_TO, "To", to));
    h.push(Header::known(
        crate::sip::K_CALL_ID,
        "Call-ID",
        req.call_id(),
    ));
    h.push(Header::known(
        crate::sip::K_CSEQ,
        "CSeq",
        req.header_known(crate::sip::K_CSEQ).unwrap_or(""),
    ));
    if code > 100
        && code < 300
        && ["INVITE", "SUBSCRIBE", "REFER", "NOTIFY", "UPDATE"].contains(&req.method())
    {
        let c = match me {
            // `SocketAddr`'s Display for IPv4 is `fmt_addr`'s
            SocketAddr::V4(_) => ["<sip:nexthop@", &fmt_addr(me), ">"].concat(),
            SocketAddr::V6(_) => format!("<sip:nexthop@{}>", me),
        };
        h.push(Header::known(crate::sip::K_CONTACT, "Contact", c));
    }
    h.push(Header::known(
        crate::sip::K_SERVER,
        "Server",
        "oracle-nexthop",
    ));
    h.push(Header::known(
        crate::sip::K_CONTENT_LENGTH,
        "Content-Length",
        "0",
    ));
    SipMsg {
        start: StartLine::Reply {
            version: "SIP/2.0".into(),
            code,
            reason: reason.into(),
        },
        headers: h,
        body: String::new(),
    }
}

// ---------------------------------------------------------------------- tm

impl Runtime {
    fn find_trans(&self, m: &SipMsg) -> Option<usize> {
        let method = if m.method() == "ACK" || m.method() == "CANCEL" {
            "INVITE"
        } else {
            m.method()
        };
        self.find_trans_of(m, method)
    }

    /// The transaction of method `method` that `m` matches.
    fn find_trans_of(&self, m: &SipMsg, method: &str) -> Option<usize> {
        let key = self.tkey_cow(m);
        let rfc3261 = matches!(key, std::borrow::Cow::Borrowed(_));
        self.find_trans_key(m, method, &key, rfc3261)
    }

    /// [`Runtime::find_trans_of`] with the key made (`Self::tkey_cow(m)`;
    /// `rfc3261`: it is the branch).
    fn find_trans_key(&self, m: &SipMsg, method: &str, key: &str, rfc3261: bool) -> Option<usize> {
        // indexed by transaction key (the RFC 3261 branch, else Call-ID:CSeq)
        self.trans_by_key
            .get(key)?
            .iter()
            .rev()
            .copied()
            .find(|&ti| {
                let t = &self.trans[ti];
                t.method == method
                    && (rfc3261 || (t.call_id == m.call_id() && t.cseq == m.cseq_num_str()))
            })
    }

    pub(crate) fn tkey(&self, m: &SipMsg) -> String {
        self.tkey_cow(m).into_owned()
    }

    /// [`SipMsg::via1_branch`], kept for the next call with the same top Via
    /// value (by its text, so always current).
    pub(crate) fn via1_branch<'a>(&self, m: &'a SipMsg) -> &'a str {
        let Some(v) = m.header_known(crate::sip::K_VIA) else {
            return "";
        };
        let mut memo = self.via_branch.borrow_mut();
        if memo.0 != v {
            let b = crate::sip::via_branch_of(v);
            // the branch is a slice of `v` (or an empty `""`)
            let at = if b.is_empty() {
                0
            } else {
                b.as_ptr() as usize - v.as_ptr() as usize
            };
            memo.0.clear();
            memo.0.push_str(v);
            memo.1 = at as u32;
            memo.2 = (at + b.len()) as u32;
        }
        &v[memo.1 as usize..memo.2 as usize]
    }

    /// [`Runtime::tkey`], borrowed when it is the branch.
    pub(crate) fn tkey_cow<'a>(&self, m: &'a SipMsg) -> std::borrow::Cow<'a, str> {
        let b = self.via1_branch(m);
        if b.starts_with("z9hG4bK") {
            b.into()
        } else {
            format!("{}:{}", m.call_id(), m.cseq_num_str()).into()
        }
    }

    /// t_newtran: create the transaction for the current request (1 new, 0 retransmission handled).
    pub(crate) fn t_newtran(&mut self, ctx: &mut Ctx) -> i64 {
        if ctx.trans.is_some() {
            return 1;
        }
        // (a CANCEL's own transaction too, not the INVITE it would cancel)
        let key = self.tkey_cow(&ctx.msg);
        let rfc3261 = matches!(key, std::borrow::Cow::Borrowed(_));
        if let Some(ti) = self.find_trans_key(&ctx.msg, ctx.msg.method(), &key, rfc3261) {
            // retransmission: resend the last reply
            self.resend_uas_reply(ti);
            return 0;
        }
        let fr = self.prog.modparam_int("tm", "fr_timer", 30000) as f64 / 1000.0;
        let fr_inv = self.prog.modparam_int("tm", "fr_inv_timer", 120000) as f64 / 1000.0;
        let tag = LazyTag::of(&ctx.msg);
        let avps = self.msg_avps.take().unwrap_or_default();
        let key = key.into_owned();
        self.trans_by_key
            .entry(key.clone())
            .or_default()
            .push(self.trans.len());
        self.trans.push(Box::new(Trans {
            key,
            method: ctx.msg.method().to_string(),
            call_id: ctx.msg.call_id().to_string(),
            cseq: ctx.msg.cseq_num(),
            req: ctx.msg.clone(),
            du: ctx.du.clone(),
            src: ctx.src,
            local: ctx.local,
            proto: ctx.proto,
            branches: Vec::new(),
            on_reply: None,
            on_failure: None,
            on_branch: None,
            on_branch_failure: None,
            uac_local: false,
            uas_code: 0,
            uas_reply: None,
            flags: ctx.flags,
            avps,
            ds_left: ctx.ds_left.clone(),
            fr_timer: fr,
            fr_inv_timer: fr_inv,
            to_tag: tag,
            canceled: false,
            in_failure: false,
            dlg: None,
        }));
        ctx.trans = Some(self.trans.len() - 1);
        self.dlg_on_newtran(ctx, self.trans.len() - 1);
        if let Some(p) = self.pending_t_on.take() {
            let t = self.trans.last_mut().expect("just pushed");
            if p.reply.is_some() {
                t.on_reply = p.reply;
            }
            if p.failure.is_some() {
                t.on_failure = p.failure;
            }
            if p.branch.is_some() {
                t.on_branch = p.branch;
            }
            if p.branch_failure.is_some() {
                t.on_branch_failure = p.branch_failure;
            }
        }
        1
    }

    /// t_reply / send_reply inside a transaction.
    pub(crate) fn t_reply(&mut self, ctx: &mut Ctx, code: u16, reason: &str) -> i64 {
        if ctx.trans.is_none() && ctx.msg.is_request() && ctx.msg.method() != "ACK" {
            // t_check finds the transaction of a retransmission; a new
            // request has none: tm logs "cannot send a t_reply to a message
            // for which no T-state has been established" and sends nothing
            ctx.trans = self
                .find_trans(&ctx.msg)
                .filter(|&ti| self.trans[ti].method == ctx.msg.method());
            if ctx.trans.is_none() {
                self.step(Step::Error {
                    message: "t_reply: no transaction for this request (t_newtran() or \
                              t_relay() makes one): Kamailio sends no reply"
                        .into(),
                    at: None,
                });
            }
        }
        let Some(ti) = ctx.trans else {
            return -1;
        };
        let lumps = std::mem::take(&mut ctx.reply_lumps);
        // the reply is built from the request as the script sees it now
        let t = &self.trans[ti];
        let base = if ctx.msg.is_request() {
            &ctx.msg
        } else {
            &t.req
        };
        let r = build_reply(
            base,
            code,
            reason,
            Some(&t.to_tag),
            &lumps,
            &self.server_header,
            ctx.force_rport,
            Some(t.src),
        );
        let (l, p) = (self.trans[ti].local, self.trans[ti].proto);
        self.uas_send_local(ti, r, l, p);
        1
    }

    /// Send a reply tm made itself (`t_reply`, the 100 Trying) upstream on
    /// transaction `ti` ([`Runtime::uas_send`]) and, when it went out, run
    /// `event_route[tm:local-response]` on it (as sent from `local`). The
    /// reply is copied for that only when the route exists: without it,
    /// `local_response` does nothing that matters.
    fn uas_send_local(&mut self, ti: usize, r: SipMsg, local: SocketAddr, proto: Proto) -> bool {
        let copy = self
            .prog
            .route_rc(RouteTable::Event, "tm:local-response")
            .map(|_| r.clone());
        let sent = self.uas_send(ti, r, Origin::Local);
        if sent {
            if let Some(r) = copy {
                self.local_response(local, proto, &r);
            }
        }
        sent
    }

    /// Send `r` upstream on transaction `ti`; false when it is not sent (a
    /// final reply went already, or the transaction is tm's own).
    fn uas_send(&mut self, ti: usize, r: SipMsg, origin: Origin) -> bool {
        let code = r.status();
        let t = &mut self.trans[ti];
        if t.uac_local {
            return false;
        }
        if t.uas_code >= 200 && !(t.method == "INVITE" && (200..300).contains(&code)) {
            return false;
        }
        t.uas_code = t.uas_code.max(code);
        self.dlg_on_reply_out(ti, &r, origin);
        let t = &self.trans[ti];
        let (p, l, s) = (t.proto, t.local, t.src);
        let kind = if origin == Origin::Local {
            "reply"
        } else {
            "relayed-reply"
        };
        // (a reply: `sent_owned` has no next hop to ask) the step of the
        // timeline and the transaction share the reply
        let sent = std::sync::Arc::new(Sent {
            kind,
            by: "tm",
            proto: p,
            src: l,
            dst: s,
            start_line: r.start_line_text(),
            headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
            body: r.body,
            at: self.clock,
        });
        self.trans[ti].uas_reply = Some(sent.clone());
        self.step(Step::Send(sent));
        true
    }

    /// The last reply sent upstream on transaction `ti` sent again (a
    /// retransmission), as `tm` from the transaction's addresses; false
    /// when none was sent.
    pub(crate) fn resend_uas_reply(&mut self, ti: usize) -> bool {
        let t = &self.trans[ti];
        let Some(r) = &t.uas_reply else {
            return false;
        };
        let sent = Sent {
            kind: "reply",
            by: "tm",
            proto: t.proto,
            src: t.local,
            dst: t.src,
            start_line: r.start_line.clone(),
            headers: r.headers.clone(),
            body: r.body.clone(),
            at: self.clock,
        };
        self.step(Step::Send(std::sync::Arc::new(sent)));
        true
    }

    /// t_relay: forward the request statefully to its destinations.
    pub(crate) fn t_relay(&mut self, ctx: &mut Ctx, to: Option<SocketAddr>) -> i64 {
        let method = ctx.msg.method().to_string();
        if method == "ACK" {
            // ACK for 2xx goes end to end, statelessly
            return self.forward(ctx, to, "tm");
        }
        if method == "CANCEL" {
            if let Some(ti) = self.find_trans(&ctx.msg) {
                return self.relay_cancel(ctx, ti);
            }
            // no INVITE transaction to cancel: tm relays the CANCEL as a
            // request of its own (t_forward_nonack), with its timer, reply
            // routes and failure route (measured: fixtures/runtime/cancel.*)
        }
        let in_failure = matches!(ctx.rtype, RouteType::Failure | RouteType::BranchFailure);
        // a transaction made by this t_newtran holds a copy of the message
        // as it is now, unless the dialog module made a dialog on the way
        // (its Record-Route parameter): then it is copied again below
        let (had_trans, had_dlg) = (ctx.trans.is_some(), ctx.dlg);
        if self.t_newtran(ctx) == 0 {
            return 0;
        }
        let ti = ctx.trans.expect("transaction exists");
        let fresh = !had_trans && had_dlg == ctx.dlg;
        if !in_failure && !fresh && self.trans[ti].branches.is_empty() {
            // first forwarding from the request route: the header changes are
            // saved into the shared clone (save_msg_lumps in tm/t_fwd.c); its
            // R-URI and $du stay as they were when the transaction was made
            let start = self.trans[ti].req.start.clone();
            self.trans[ti].req = ctx.msg.clone();
            self.trans[ti].req.start = start;
        }
        if method == "INVITE" && !in_failure && self.trans[ti].uas_code == 0 {
            // (built from the transaction's request in place, not a copy)
            let r = build_reply(
                &self.trans[ti].req,
                100,
                "trying -- your call is important to us",
                None,
                &[],
                &self.server_header,
                ctx.force_rport,
                Some(ctx.src),
            );
            self.uas_send_local(ti, r, ctx.local, ctx.proto);
        }
        let mut targets: Vec<(String, Option<String>)> =
            vec![(ctx.msg.ruri().to_string(), ctx.du.clone())];
        targets.append(&mut ctx.branches);
        let mut sent_any = false;
        for (ruri, du) in targets {
            // add_uac (tm/t_fwd.c): at most max_branches (12) branches per transaction
            if self.trans[ti].branches.len() >= MAX_BRANCHES {
                self.step(Step::Error {
                    message: format!("maximum number of branches ({MAX_BRANCHES}) exceeded"),
                    at: None,
                });
                break;
            }
            let dst = match to {
                Some(a) => Some(a),
                None => self.resolve(du.as_deref().unwrap_or(&ruri)),
            };
            let Some(dst) = dst else {
                self.step(Step::Error {
                    message: format!(
                        "cannot resolve destination {}",
                        du.as_deref().unwrap_or(&ruri)
                    ),
                    at: None,
                });
                continue;
            };
            // a copy with room for one more header: the Via added below (a
            // clone has none, and the insert moved every header to grow)
            let mut out = SipMsg {
                start: ctx.msg.start.clone(),
                headers: {
                    let mut h = Vec::with_capacity(ctx.msg.headers.len() + 1);
                    h.extend(ctx.msg.headers.iter().cloned());
                    h
                },
                body: ctx.msg.body.clone(),
            };
            out.set_ruri(&ruri);
            // branch route
            if let Some(br) = self.trans[ti].on_branch.clone() {
                // the branch's context: `ctx` with the branch's message,
                // moved in (an empty message stands in for `ctx`'s while
                // the rest is copied: no message is copied)
                let own = std::mem::replace(&mut ctx.msg, empty_msg());
                let mut bctx = ctx.clone();
                ctx.msg = own;
                bctx.msg = out;
                bctx.rtype = RouteType::Branch;
                bctx.du = du.clone();
                let f = self.run_route(&mut bctx, RouteTable::Branch, &br);
                let _ = f;
                if bctx.dropped {
                    continue;
                }
                out = bctx.msg;
            }
            let key = [self.trans[ti].key.as_str(), ruri.as_str()].concat();
            let branch = self.next_branch(&key);
            let local = ctx.local;
            let mut fwd = out;
            if let Some(vi) = fwd.headers.iter().position(|h| h.is("via")) {
                let v = forward_via(&fwd.headers[vi].value, ctx.src, ctx.force_rport);
                fwd.headers[vi].value = v.into();
                // `SIP/2.0/{PROTO} {local};branch={branch}`, without the
                // format machinery
                let mut top = String::with_capacity(64 + branch.len());
                top.push_str("SIP/2.0/");
                top.extend(ctx.proto.name().chars().map(|c| c.to_ascii_uppercase()));
                top.push(' ');
                top.push_str(&fmt_addr(local));
                top.push_str(";branch=");
                top.push_str(&branch);
                fwd.headers
                    .insert(vi, Header::known(crate::sip::K_VIA, "Via", top));
            }
            if !self.run_onsend(ctx, dst, &fwd) {
                // tm marks the branch 408 without a reply (t_send_branch)
                // and the relay's outcome depends on the other branches:
                // not simulated
                if let Some(rt) = self.prog.route_rc(RouteTable::OnSend, "") {
                    self.step(Step::Unsupported {
                        function: "drop in onsend_route of a tm branch".into(),
                        at: rt.loc.clone(),
                    });
                }
                continue;
            }
            self.sent("request", "tm", ctx.proto, local, dst, &fwd);
            sent_any = true;
            let t = &mut self.trans[ti];
            let timeout = t.fr_timer;
            self.branch_index
                .insert(branch.clone(), (ti, t.branches.len()));
            self.open_trans.insert(ti);
            t.branches.push(UacBranch {
                ruri,
                dst,
                proto: ctx.proto,
                branch,
                sent: fwd,
                last_code: 0,
                reply: None,
                reply_local: false,
                final_: false,
                canceled: false,
                timer_at: self.clock + timeout,
                on_branch_failure: t.on_branch_failure.clone(),
            });
        }
        if sent_any {
            1
        } else {
            -1
        }
    }

    fn relay_cancel(&mut self, ctx: &mut Ctx, ti: usize) -> i64 {
        let tag = LazyTag::known(self.local_tag(&ctx.msg));
        let r = build_reply(
            &ctx.msg,
            200,
            "canceling",
            Some(&tag),
            &[],
            &self.server_header.clone(),
            ctx.force_rport,
            Some(ctx.src),
        );
        self.sent("reply", "tm", ctx.proto, ctx.local, ctx.src, &r);
        self.local_response(ctx.local, ctx.proto, &r);
        self.trans[ti].canceled = true;
        let branches = self.trans[ti].branches.clone();
        for (bi, b) in branches.iter().enumerate() {
            if b.final_ {
                continue;
            }
            self.trans[ti].branches[bi].canceled = true;
            if b.last_code >= 100 {
                let c = build_cancel(&b.sent);
                self.sent("request", "tm", b.proto, ctx.local, b.dst, &c);
            }
        }
        1
    }

    /// Stateless forward (forward(), ACK relay).
    pub(crate) fn forward(
        &mut self,
        ctx: &mut Ctx,
        to: Option<SocketAddr>,
        by: &'static str,
    ) -> i64 {
        let target = ctx.du.clone().unwrap_or_else(|| ctx.msg.ruri().to_string());
        let Some(dst) = to.or_else(|| self.resolve(&target)) else {
            return -1;
        };
        let mut fwd = ctx.msg.clone();
        let branch = if ctx.msg.method() == "ACK" {
            // stateless branch: derived from the request
            format!(
                "z9hG4bK{}.0",
                &md5hex(&format!("{}{}", ctx.msg.call_id(), ctx.msg.via1_branch()))[..16]
            )
        } else {
            self.next_branch(ctx.msg.call_id())
        };
        if let Some(vi) = fwd.headers.iter().position(|h| h.is("via")) {
            let v = forward_via(&fwd.headers[vi].value, ctx.src, ctx.force_rport);
            fwd.headers[vi].value = v.into();
            fwd.headers.insert(
                vi,
                Header::new(
                    "Via",
                    format!(
                        "SIP/2.0/{} {};branch={}",
                        ctx.proto.name().to_ascii_uppercase(),
                        fmt_addr(ctx.local),
                        branch
                    ),
                ),
            );
        }
        if !self.run_onsend(ctx, dst, &fwd) {
            // forward_request logs "request ... dropped (onsend_route)";
            // measured with Kamailio 5.6.3 (fixtures/runtime/onsend.*): the
            // script goes on and `$rc` is 0, not E_ADM_PROHIBITED (-510)
            return 0;
        }
        self.sent("request", by, ctx.proto, ctx.local, dst, &fwd);
        1
    }

    /// Resolve a SIP URI to an address (IP literals only; names are not looked up).
    pub(crate) fn resolve(&self, uri: &str) -> Option<SocketAddr> {
        let u = self.uris.borrow_mut().parse(uri)?;
        let ip: IpAddr = u.host.trim_matches(['[', ']']).parse().ok()?;
        Some(SocketAddr::new(ip, u.port_num()))
    }

    fn reply_in(&mut self, src: SocketAddr, dst: SocketAddr, proto: Proto, msg: SipMsg) {
        let local = if self.is_local(&dst) {
            dst
        } else {
            self.default_local(proto)
        };
        let branch = self.via1_branch(&msg);
        let found = self
            .branch_index
            .get(branch)
            .copied()
            .filter(|&(ti, bi)| self.trans[ti].branches[bi].branch == branch);
        // a reply to a CANCEL tm sent has the INVITE branch's Via: it ends
        // tm's local CANCEL (t_reply_matching), no transaction route runs
        // (a CANCEL relayed as a request of its own has its own transaction)
        let to_cancel = found.is_some_and(|(ti, _)| self.trans[ti].method != "CANCEL")
            && msg.cseq_method_str() == "CANCEL";
        let code = msg.status();
        // the reply as received is needed after the routes (which may change
        // `ctx.msg`) only for the ACK of a negative reply on a branch that
        // ended: kept then, else moved into the context without a copy
        let orig = (found.is_some() && code >= 300).then(|| msg.clone());
        // core reply route first
        let mut ctx = self.new_ctx(msg, src, local, proto, RouteType::OnReply);
        ctx.trans = found.map(|f| f.0);
        ctx.reply_branch = found.map(|f| f.1);
        if let Some(rt) = self.prog.route_rc(RouteTable::OnReply, "") {
            self.step_trace(Step::Route {
                route: "reply_route".into(),
                at: rt.loc.clone(),
            });
            let f = self.run_block(&mut ctx, &rt.body);
            let _ = f;
            if ctx.dropped {
                self.step(Step::Drop {
                    reason: "reply dropped in reply_route".into(),
                });
                return;
            }
        }
        if to_cancel {
            self.step(Step::Note {
                text: "reply to tm's CANCEL: absorbed".into(),
            });
            return;
        }
        let Some((ti, bi)) = found else {
            // no transaction: stateless forwarding by the second Via
            let mut fwd = ctx.msg.clone();
            if let Some(vi) = fwd.headers.iter().position(|h| h.is("via")) {
                let elems = crate::sip::split_commas(&fwd.headers[vi].value);
                if elems.len() > 1 {
                    fwd.headers[vi].value = elems[1..].join(", ").into();
                } else {
                    fwd.headers.remove(vi);
                }
            }
            let next = fwd.via1();
            let Some(v) = next else {
                self.step(Step::Drop {
                    reason: "reply for no transaction and without a second Via".into(),
                });
                return;
            };
            let port: u16 = v
                .param("rport")
                .and_then(|p| p.parse().ok())
                .or_else(|| v.port.parse().ok())
                .unwrap_or(5060);
            let host = v.param("received").unwrap_or(v.host.clone());
            match host.trim_matches(['[', ']']).parse::<IpAddr>() {
                Ok(ip) => {
                    let d = SocketAddr::new(ip, port);
                    self.sent("relayed-reply", "core", proto, local, d, &fwd);
                }
                Err(_) => self.step(Step::Drop {
                    reason: "reply for no transaction: next Via is not an IP".into(),
                }),
            }
            return;
        };
        // the transaction's onreply route
        if let Some(name) = self.trans[ti].on_reply.clone() {
            ctx.flags = self.trans[ti].flags;
            let f = self.run_route(&mut ctx, RouteTable::OnReply, &name);
            if ctx.dropped {
                let _ = f;
                self.step(Step::Drop {
                    reason: "reply dropped in onreply_route".into(),
                });
                return;
            }
            self.trans[ti].flags = ctx.flags;
        }
        if self.trans[ti].branches[bi].final_ {
            // a reply after the branch ended (e.g. 487 after a local 408):
            // tm acknowledges a negative INVITE reply and discards it
            if self.trans[ti].method == "INVITE" && code >= 300 {
                let b = &self.trans[ti].branches[bi];
                // (`orig` is kept for a negative reply on a branch)
                let ack = build_ack(&b.sent, orig.as_ref().unwrap_or(&ctx.msg));
                let (p, d) = (b.proto, b.dst);
                self.sent("request", "tm", p, local, d, &ack);
            }
            return;
        }
        self.trans[ti].branches[bi].last_code = self.trans[ti].branches[bi].last_code.max(code);
        if code < 200 {
            let inv = self.trans[ti].method == "INVITE";
            if inv {
                let fr_inv = self.trans[ti].fr_inv_timer;
                self.trans[ti].branches[bi].timer_at = self.clock + fr_inv;
                // a CANCEL that waited for a provisional reply
                if self.trans[ti].branches[bi].canceled && code >= 100 {
                    let c = build_cancel(&self.trans[ti].branches[bi].sent);
                    let (p, d) = (
                        self.trans[ti].branches[bi].proto,
                        self.trans[ti].branches[bi].dst,
                    );
                    self.sent("request", "tm", p, local, d, &c);
                }
            }
            if code > 100 {
                let r = relay_form(&ctx.msg);
                self.uas_send(ti, r, Origin::Relayed(src));
            }
            return;
        }
        // (the context ends here: its message moves, no copy)
        self.branch_final(ti, bi, ctx.msg, false);
    }

    /// A branch got its final reply (received or local timeout).
    fn branch_final(&mut self, ti: usize, bi: usize, reply: SipMsg, local: bool) {
        let code = reply.status();
        // what is made of the reply is made before it is moved into the
        // branch (no copy of it): the hop-by-hop ACK (from the branch's sent
        // request, which nothing changes later) and the 2xx to relay
        let t = &self.trans[ti];
        let ack = (t.method == "INVITE" && code >= 300 && !local)
            .then(|| build_ack(&t.branches[bi].sent, &reply));
        let relayed = (200..300).contains(&code).then(|| relay_form(&reply));
        {
            let b = &mut self.trans[ti].branches[bi];
            b.final_ = true;
            b.last_code = code;
            b.reply = Some(reply);
            b.reply_local = local;
        }
        // the branch failure route runs for every negative final reply of a
        // branch while no final reply went upstream, before the pick of the
        // best branch (t_should_relay_response in tm/t_reply.c)
        if code >= 300 && self.trans[ti].uas_code < 200 {
            self.run_branch_failure(ti, bi, code);
        }
        // hop-by-hop ACK for a negative reply to INVITE
        if let Some(ack) = ack {
            let t = &self.trans[ti];
            let b = &t.branches[bi];
            let (p, d, l) = (b.proto, b.dst, t.local);
            self.sent("request", "tm", p, l, d, &ack);
        }
        if let Some(r) = relayed {
            let from = self.trans[ti].branches[bi].dst;
            self.uas_send(ti, r, Origin::Relayed(from));
            return;
        }
        // wait for all branches
        if self.trans[ti].branches.iter().any(|b| !b.final_) {
            return;
        }
        if self.trans[ti].uas_code >= 200 {
            return;
        }
        // failure route
        let nbranches = self.trans[ti].branches.len();
        if let Some(name) = self.trans[ti].on_failure.take() {
            let code = self.best_code(ti);
            let mut ctx = self.faked_ctx(ti, RouteType::Failure, code);
            self.trans[ti].in_failure = true;
            let _ = self.run_route(&mut ctx, RouteTable::Failure, &name);
            self.trans[ti].in_failure = false;
            self.trans[ti].ds_left = std::mem::take(&mut ctx.ds_left);
            // t_should_relay_response (tm/t_reply.c) resets the reply of the
            // branch that completed the transaction once the failure route
            // ran, so later picks do not see it
            if self.trans[ti].branches.len() > nbranches {
                self.trans[ti].branches[bi].reply = None;
            }
            self.trans[ti].flags = ctx.flags;
            if self.trans[ti].uas_code >= 200 {
                return;
            }
            if self.trans[ti].branches.len() > nbranches {
                return; // new branches: wait for them
            }
        }
        let best = self.best_branch(ti);
        if let Some(bi) = best {
            let b = &self.trans[ti].branches[bi];
            let local_gen = b.reply_local;
            // (relay_form keeps the start line: status and reason as the
            // branch's reply has them)
            let mut r = relay_form(b.reply.as_ref().expect("best_branch has a reply"));
            // a 503 is not relayed: tm answers 500 with its reason phrase
            // (RFC 3261 16.7 item 6; tm's remap_503_500, on by default)
            let remap = r.status() == 503 && self.prog.modparam_int("tm", "remap_503_500", 1) != 0;
            if local_gen || remap {
                r = build_reply(
                    &self.trans[ti].req,
                    if remap { 500 } else { r.status() },
                    r.reason(),
                    Some(&self.trans[ti].to_tag),
                    &[],
                    &self.server_header,
                    false,
                    Some(self.trans[ti].src),
                );
            }
            let origin = if local_gen {
                Origin::RelayedLocal
            } else {
                Origin::Relayed(self.trans[ti].branches[bi].dst)
            };
            self.uas_send(ti, r, origin);
        }
    }

    /// The faked request a failure or branch failure route runs on
    /// (`fake_req` and `faked_env` in tm/t_reply.c): the transaction's
    /// shared clone with its flags, `$T_reply_code` = `code`.
    fn faked_ctx(&self, ti: usize, rtype: RouteType, code: u16) -> Ctx {
        let t = &self.trans[ti];
        let mut ctx = self.new_ctx(t.req.clone(), t.src, t.local, t.proto, rtype);
        ctx.trans = Some(ti);
        ctx.flags = t.flags;
        ctx.t_reply_code = code;
        // $ru and $du are those of the shared clone (fake_req), not of the
        // failed branch: measured with Kamailio 5.6.3 (fixtures/runtime/timeout.*
        // for failure_route, fixtures/runtime/tmevents.* for the branch failure route)
        ctx.du = t.du.clone();
        ctx.ds_left = t.ds_left.clone();
        ctx
    }

    /// `event_route[tm:branch-failure:NAME]` for branch `bi`, which ended
    /// with the negative `code` (`run_branch_failure_handlers` in
    /// tm/t_reply.c). tm then clears the transaction's branch failure route:
    /// branches added later have none unless `t_on_branch_failure` is called
    /// again.
    fn run_branch_failure(&mut self, ti: usize, bi: usize, code: u16) {
        let Some(name) = self.trans[ti].branches[bi].on_branch_failure.take() else {
            return;
        };
        let Some(rt) = self
            .prog
            .route_rc(RouteTable::Event, &format!("tm:branch-failure:{name}"))
        else {
            return;
        };
        self.trans[ti].on_branch_failure = None;
        let mut ctx = self.faked_ctx(ti, RouteType::BranchFailure, code);
        ctx.reply_branch = Some(bi);
        self.trans[ti].in_failure = true;
        let _ = self.run_route_code(&mut ctx, &rt);
        self.trans[ti].in_failure = false;
        self.trans[ti].flags = ctx.flags;
        self.trans[ti].ds_left = std::mem::take(&mut ctx.ds_left);
    }

    fn best_code(&self, ti: usize) -> u16 {
        // (the reply borrowed: only its status is read)
        self.best_branch(ti)
            .and_then(|bi| self.trans[ti].branches[bi].reply.as_ref())
            .map(|r| r.status())
            .unwrap_or(408)
    }

    pub(crate) fn best_branch_pub(&self, ti: usize) -> Option<usize> {
        self.best_branch(ti)
    }

    /// The branch whose reply tm would pick.
    fn best_branch(&self, ti: usize) -> Option<usize> {
        // get_prio in tm/t_reply.c: 2xx, then 6xx, 3xx, 4xx (401, 407, 415,
        // 420, 484 first), 5xx; lower codes first within a class
        let prio = |c: u16| -> u32 {
            let (class, xx) = ((c / 100) as u32, (c % 100) as u32);
            let base = [32000, 11000, 0, 3000, 4000, 5000, 1000];
            match base.get(class as usize) {
                Some(b) if class == 4 => {
                    b + if [1, 7, 15, 20, 84].contains(&xx) {
                        xx
                    } else {
                        100 + xx
                    }
                }
                Some(b) => b + xx,
                None => 10000 + c as u32,
            }
        };
        let mut best: Option<(usize, u16)> = None;
        for (i, b) in self.trans[ti].branches.iter().enumerate() {
            if let Some(r) = &b.reply {
                if best.is_none_or(|(_, c)| prio(r.status()) < prio(c)) {
                    best = Some((i, r.status()));
                }
            }
        }
        best.map(|(i, _)| i)
    }
}

pub(crate) fn fmt_addr(a: SocketAddr) -> String {
    match a {
        SocketAddr::V4(v) => {
            // `format!("{}:{}", ip, port)` without the format machinery
            let mut s = String::with_capacity(21);
            push_ip(&mut s, IpAddr::V4(*v.ip()));
            s.push(':');
            push_num(&mut s, v.port().into());
            s
        }
        SocketAddr::V6(v) => format!("[{}]:{}", v.ip(), v.port()),
    }
}

/// A reply as relayed upstream: our Via removed.
fn relay_form(r: &SipMsg) -> SipMsg {
    // copied header by header, the first Via changed or left out on the way
    // (a copy and a `remove` moved the headers after it)
    let vi = r.headers.iter().position(|h| h.is("via"));
    let mut headers = Vec::with_capacity(r.headers.len());
    for (i, h) in r.headers.iter().enumerate() {
        if Some(i) == vi {
            let elems = crate::sip::split_commas(&h.value);
            if elems.len() > 1 {
                let mut h = h.clone();
                h.value = elems[1..].join(", ").into();
                headers.push(h);
            }
        } else {
            headers.push(h.clone());
        }
    }
    SipMsg {
        start: r.start.clone(),
        headers,
        body: r.body.clone(),
    }
}

fn build_ack(inv: &SipMsg, reply: &SipMsg) -> SipMsg {
    let mut h = Vec::new();
    if let Some(v) = inv.headers.iter().find(|h| h.is("via")) {
        h.push(Header::new(
            v.name.clone(),
            crate::sip::split_commas(&v.value)
                .first()
                .cloned()
                .unwrap_or_default(),
        ));
    }
    h.push(Header::new(
        "Max-Forwards",
        inv.header("max-forwards").unwrap_or("70").trim(),
    ));
    for hd in &inv.headers {
        if hd.is("route") {
            h.push(hd.clone());
        }
    }
    h.push(Header::known(
        crate::sip::K_FROM,
        "From",
        inv.header_known(crate::sip::K_FROM).unwrap_or(""),
    ));
    h.push(Header::known(
        crate::sip::K_TO,
        "To",
        reply.header_known(crate::sip::K_TO).unwrap_or(""),
    ));
    h.push(Header::known(
        crate::sip::K_CALL_ID,
        "Call-ID",
        inv.call_id(),
    ));
    h.push(Header::known(
        crate::sip::K_CSEQ,
        "CSeq",
        format!("{} ACK", inv.cseq_num()),
    ));
    h.push(Header::known(
        crate::sip::K_CONTENT_LENGTH,
        "Content-Length",
        "0",
    ));
    SipMsg {
        start: StartLine::Request {
            method: "ACK".into(),
            uri: inv.ruri().into(),
            version: "SIP/2.0".into(),
        },
        headers: h,
        body: String::new(),
    }
}

fn build_cancel(inv: &SipMsg) -> SipMsg {
    let mut h = Vec::new();
    if let Some(v) = inv.headers.iter().find(|h| h.is("via")) {
        h.push(Header::new(
            v.name.clone(),
            crate::sip::split_commas(&v.value)
                .first()
                .cloned()
                .unwrap_or_default(),
        ));
    }
    h.push(Header::new(
        "Max-Forwards",
        inv.header("max-forwards").unwrap_or("70").trim(),
    ));
    for hd in &inv.headers {
        if hd.is("route") {
            h.push(hd.clone());
        }
    }
    h.push(Header::known(
        crate::sip::K_FROM,
        "From",
        inv.header_known(crate::sip::K_FROM).unwrap_or(""),
    ));
    h.push(Header::known(
        crate::sip::K_TO,
        "To",
        inv.header_known(crate::sip::K_TO).unwrap_or(""),
    ));
    h.push(Header::known(
        crate::sip::K_CALL_ID,
        "Call-ID",
        inv.call_id(),
    ));
    h.push(Header::known(
        crate::sip::K_CSEQ,
        "CSeq",
        format!("{} CANCEL", inv.cseq_num()),
    ));
    h.push(Header::known(
        crate::sip::K_CONTENT_LENGTH,
        "Content-Length",
        "0",
    ));
    SipMsg {
        start: StartLine::Request {
            method: "CANCEL".into(),
            uri: inv.ruri().into(),
            version: "SIP/2.0".into(),
        },
        headers: h,
        body: String::new(),
    }
}

/// The core `forward` actions (not module functions: a 0 they return does
/// not end the script).
fn is_core_forward(name: &str) -> bool {
    matches!(
        name,
        "forward" | "forward_udp" | "forward_tcp" | "forward_tls" | "forward_sctp"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_via_branch_is_the_message_s() {
        let rt = Runtime::new(crate::ir::Program::default());
        let vias = [
            "Via: SIP/2.0/UDP h;branch=z9hG4bK1",
            "Via: SIP/2.0/UDP h;rport;branch=z9hG4bK2;x",
            "v: SIP/2.0/UDP h;branch=abc , SIP/2.0/UDP g;branch=z9hG4bKg",
            "Via: SIP/2.0/UDP h;rport",
            "Via: SIP/2.0/UDP h:5060 ; branch = z9hG4bK3 ;x",
            "Via: SIP/2.0/UDP \"a,b\";branch=q, SIP/2.0/UDP g",
            "Via: SIP/2.0/UDP hé;branch=z9hG4bKé",
            "Via: SIP/2.0/UDP h;branch=",
            "Via: SIP/2.0/UDP h;branch",
            "Via: ,SIP/2.0/UDP h;branch=z9hG4bK4",
        ];
        // each in turn, twice, then again: kept or taken apart anew, the same
        for _ in 0..2 {
            for v in vias {
                let text = format!("OPTIONS sip:a@h SIP/2.0\r\n{v}\r\nCall-ID: c\r\n\r\n");
                let m = SipMsg::parse(text.as_bytes()).expect("parses");
                for _ in 0..2 {
                    assert_eq!(rt.via1_branch(&m), m.via1_branch(), "{v}");
                    let copy = m.clone();
                    assert_eq!(rt.via1_branch(&copy), m.via1_branch(), "{v}");
                }
            }
        }
    }

    #[test]
    fn lazy_tag_is_the_local_tag() {
        use md5::{Digest, Md5};
        for (cid, from) in [
            ("c1", "From: <sip:b@h>;tag=ft"),
            (
                "a-much-longer-call-id-than-23-bytes@host",
                "f: \"B\" <sip:b@h>;tag=x;p",
            ),
            ("c3", "From: <sip:b@h>"),
        ] {
            let text = format!(
                "INVITE sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n{from}\r\nCall-ID: {cid}\r\n\r\n"
            );
            let m = SipMsg::parse(text.as_bytes()).expect("parses");
            // the tag as it was made before (eagerly, in `t_newtran`)
            let mut h = Md5::new();
            h.update(m.call_id().as_bytes());
            h.update(m.from_tag_str().unwrap_or_default().as_bytes());
            let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            let old = format!("{}-kcfg", &hex[..24]);
            assert_eq!(LazyTag::of(&m).get(), old);
            assert_eq!(LazyTag::of(&m).clone().get(), old);
        }
        assert_eq!(LazyTag::known(String::new()).get(), "");
        assert_eq!(LazyTag::known("t-kcfg".into()).get(), "t-kcfg");
    }

    #[test]
    fn has_params_equals_param_str() {
        for l in [
            "",
            ";",
            "rport",
            "branch=z9hG4bK-1;rport",
            "branch=z9hG4bK-1;rport=5060;received=1.2.3.4",
            " RPORT = 1 ; Received",
            "rportx;receivedx=1;xrport",
            "branch=a;;rport;",
            "ö=1;received",
            "received=;rport=",
            "\u{a0}rport",
        ] {
            let (a, b) = has_params(l, "rport", "received");
            assert_eq!(a, crate::sip::param_str(l, "rport").is_some(), "{l:?}");
            assert_eq!(b, crate::sip::param_str(l, "received").is_some(), "{l:?}");
        }
    }

    #[test]
    fn ip_text_is_equals_to_string() {
        let ips: Vec<IpAddr> = [
            "0.0.0.0",
            "127.0.0.1",
            "10.20.30.40",
            "255.255.255.255",
            "1.100.9.99",
            "::1",
            "2001:db8::1",
        ]
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
        for ip in &ips {
            for t in [
                "0.0.0.0",
                "127.0.0.1",
                "127.0.0.01",
                "10.20.30.40",
                "255.255.255.255",
                "1.100.9.99",
                "::1",
                "[::1]",
                "2001:db8::1",
                "",
                "h",
            ] {
                assert_eq!(ip_text_is(t, *ip), t == ip.to_string(), "{t} {ip}");
            }
            let mut s = String::from("x=");
            push_ip(&mut s, *ip);
            assert_eq!(s, format!("x={ip}"));
        }
        let mut s = String::new();
        for n in [0u64, 7, 10, 99, 100, 65535, u64::MAX] {
            s.clear();
            push_num(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn split_semi_and_param_name_equal_str_split() {
        for v in [
            "",
            ";",
            ";;",
            "a",
            "a;",
            ";a",
            "a;b=c;d",
            "branch=z9;rport;received=1.2.3.4",
            "ö;x=ö=y",
            "=;=",
        ] {
            assert_eq!(
                split_semi(v).collect::<Vec<_>>(),
                v.split(';').collect::<Vec<_>>(),
                "{v:?}"
            );
            for p in v.split(';') {
                assert_eq!(param_name(p), p.split('=').next().unwrap_or(""), "{p:?}");
            }
            assert_eq!(
                crate::sip::split_at_byte(v, b';'),
                v.split_once(';'),
                "{v:?}"
            );
        }
    }

    #[test]
    fn fmt_addr_equals_format() {
        for a in [
            "127.0.0.1:5060",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.0.0.1:1",
            "[::1]:5060",
            "[2001:db8::1]:0",
            "[::ffff:1.2.3.4]:5061",
        ] {
            let a: SocketAddr = a.parse().unwrap();
            let want = match a {
                SocketAddr::V4(v) => format!("{}:{}", v.ip(), v.port()),
                SocketAddr::V6(v) => format!("[{}]:{}", v.ip(), v.port()),
            };
            assert_eq!(fmt_addr(a), want);
        }
    }

    #[test]
    fn reply_copied_name_by_kind_agrees_with_the_name_test() {
        for n in [
            "Via",
            "v",
            "V",
            " via",
            "Record-Route",
            "record-route",
            "From",
            "f",
            "Call-ID",
            "i",
            "CSeq",
            "cseq ",
            "To",
            "t",
            "T",
            "Contact",
            "m",
            "Route",
            "X-To",
            "Tó",
            "",
        ] {
            assert_eq!(
                reply_copied_name(&Header::new(n, "x")),
                reply_copied_name_by_text(n),
                "{n:?}"
            );
        }
    }
}
