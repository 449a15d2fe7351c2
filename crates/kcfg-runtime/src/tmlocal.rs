//! What tm does on its own behalf: the requests `t_uac_send` makes (with
//! `event_route[tm:local-request]`) and `event_route[tm:local-response]`
//! after a reply tm made itself. Read from Kamailio 5.6.3's tm
//! (`rpc_uac.c`, `uac.c`, `t_msgbuilder.c`, `t_reply.c`) and checked
//! against it by `fixtures/runtime/tmevents.*`.

use std::net::{IpAddr, SocketAddr};

use kcfg_sema::RouteTable;

use crate::capture::Proto;
use crate::engine::{fmt_addr, Ctx, RouteType, Runtime, SndInfo, Trans, UacBranch};
use crate::event::Step;
use crate::sip::{NameAddr, SipMsg, Uri};

/// The source address of a message tm built from a buffer with no receive
/// information (a local reply): `$si` prints nothing, `$sp` 0.
pub(crate) const NO_SOURCE: SocketAddr =
    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

impl Runtime {
    /// tm sent a reply it made itself (`_reply_light` in tm/t_reply.c: the
    /// script's `t_reply`, the automatic `100 trying`, a CANCEL's `200`):
    /// `event_route[tm:local-response]` runs on that reply (LOCAL_ROUTE).
    /// Kamailio 5.6 looks the route up on the first such reply of a process
    /// only and runs it only then (fixed in 6.0); the runtime is one process.
    pub(crate) fn local_response(&mut self, local: SocketAddr, proto: Proto, reply: &SipMsg) {
        let first = !self.local_response_looked_up;
        self.local_response_looked_up = true;
        let Some(rt) = self.prog.route_rc(RouteTable::Event, "tm:local-response") else {
            return;
        };
        if !first {
            self.step(Step::Note {
                text: "event_route[tm:local-response] not run: Kamailio 5.6 runs it only for \
                       the first reply tm makes in a process (fixed in 6.0)"
                    .into(),
            });
            return;
        }
        let mut ctx = self.new_ctx(reply.clone(), NO_SOURCE, local, proto, RouteType::Local);
        let _ = self.run_route_code(&mut ctx, &rt);
    }

    /// `t_uac_send(method, ruri, nexthop, socket, headers, body)`
    /// (`t_uac_send` in tm/rpc_uac.c): tm makes a request of its own, runs
    /// `event_route[tm:local-request]` on it and sends it in a new
    /// transaction whose replies go nowhere. -1 when the parameters are
    /// refused, else 1 (also when the local-request route drops it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn t_uac_send(
        &mut self,
        ctx: &Ctx,
        method: &str,
        ruri: &str,
        nexthop: &str,
        socket: &str,
        headers: &str,
        body: &str,
    ) -> i64 {
        let fail = |rt: &mut Runtime, why: &str| {
            rt.step(Step::Error {
                message: format!("t_uac_send: {why}"),
                at: None,
            });
            -1
        };
        if method.is_empty() {
            return fail(self, "empty method");
        }
        if Uri::parse(ruri).is_none() {
            return fail(self, &format!("invalid request URI \"{ruri}\""));
        }
        let nexthop = match nexthop {
            "" | "." => None,
            n if Uri::parse(n).is_some() => Some(n.to_string()),
            n => return fail(self, &format!("invalid next hop URI \"{n}\"")),
        };
        let local = match socket {
            "" | "." => self.default_local(ctx.proto),
            s => match crate::engine::parse_listen(s) {
                Some((_, a)) if self.is_local(&a) => a,
                _ => return fail(self, &format!("no local socket for \"{s}\"")),
            },
        };
        // the headers as tm's parser reads them (`parse_headers` of a faked
        // message): `Name: value` lines
        let mut hdrs: Vec<(String, String)> = Vec::new();
        for line in headers.split("\r\n").flat_map(|l| l.split('\n')) {
            if line.is_empty() {
                continue;
            }
            let Some((n, v)) = line.split_once(':') else {
                return fail(self, "invalid headers");
            };
            hdrs.push((n.trim().to_string(), v.trim().to_string()));
        }
        let find = |name: &str, compact: &str| {
            hdrs.iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name) || n.eq_ignore_ascii_case(compact))
                .map(|(_, v)| v.clone())
        };
        // t_uac_check_msg
        let has = |name: &str, compact: &str| find(name, compact).is_some();
        if !body.is_empty() && !has("content-type", "c") {
            return fail(self, "Content-Type missing");
        }
        if !body.is_empty() && has("content-length", "l") {
            return fail(self, "Content-Length disallowed");
        }
        let (Some(to), Some(from)) = (find("to", "t"), find("from", "f")) else {
            return fail(self, "To or From missing");
        };
        let (to, from) = (NameAddr::parse(&to), NameAddr::parse(&from));
        let cseq = match find("cseq", "") {
            Some(c) => {
                let (num, m) = c.split_once(char::is_whitespace).unwrap_or((&c, ""));
                if !num.bytes().all(|b| b.is_ascii_digit()) {
                    return fail(self, "non-numerical CSeq");
                }
                if m.trim() != method {
                    return fail(self, "CSeq method mismatch");
                }
                num.parse::<u64>().unwrap_or(0)
            }
            None => 10, // DEFAULT_CSEQ
        };
        self.uac_count += 1;
        let call_id = find("call-id", "i")
            .unwrap_or_else(|| format!("kcfg-uac-{}@{}", self.uac_count, local.ip()));
        let ftag = from
            .param("tag")
            .unwrap_or_else(|| format!("kcfg-uac-{}", self.uac_count));
        let dst_uri = nexthop.clone().unwrap_or_else(|| ruri.to_string());
        let Some(dst) = self.resolve(&dst_uri) else {
            return fail(self, &format!("cannot resolve destination {dst_uri}"));
        };
        // build_uac_req (tm/t_msgbuilder.c): To and From carry only the URI
        // (and the tags), the extra headers come last but for From, To,
        // Call-ID and CSeq
        let branch = self.next_branch(&format!("uac{call_id}{cseq}"));
        let mut text = format!(
            "{method} {ruri} SIP/2.0\r\nVia: SIP/2.0/{} {};branch={branch}\r\n",
            ctx.proto.name().to_ascii_uppercase(),
            fmt_addr(local)
        );
        text.push_str(&format!("To: <{}>", to.uri));
        if let Some(t) = to.param("tag") {
            text.push_str(&format!(";tag={t}"));
        }
        text.push_str(&format!("\r\nFrom: <{}>;tag={ftag}\r\n", from.uri));
        text.push_str(&format!("CSeq: {cseq} {method}\r\nCall-ID: {call_id}\r\n"));
        if !hdrs
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("max-forwards"))
        {
            text.push_str("Max-Forwards: 70\r\n");
        }
        text.push_str(&format!("Content-Length: {}\r\n", body.len()));
        text.push_str(&format!("User-Agent: {}\r\n", self.user_agent()));
        for (n, v) in &hdrs {
            let skip = ["from", "f", "to", "t", "call-id", "i", "cseq"]
                .iter()
                .any(|s| n.eq_ignore_ascii_case(s));
            if !skip {
                text.push_str(&format!("{n}: {v}\r\n"));
            }
        }
        text.push_str("\r\n");
        text.push_str(body);
        let Ok(mut req) = SipMsg::parse(text.as_bytes()) else {
            return fail(self, "the request does not parse");
        };
        let mut dst = dst;
        // event_route[tm:local-request] on the new request (LOCAL_ROUTE):
        // $si is the sending socket, $Ri the destination; $du, $ru and the
        // headers may change; drop stops the sending
        if let Some(rt) = self.prog.route_rc(RouteTable::Event, "tm:local-request") {
            let mut lctx = self.new_ctx(req.clone(), local, dst, ctx.proto, RouteType::Local);
            lctx.du = Some(dst_uri.clone());
            let saved = self.snd.replace(SndInfo {
                proto: ctx.proto,
                from: local,
                to: dst,
                buf: req.to_wire(),
            });
            let _ = self.run_route_code(&mut lctx, &rt);
            self.snd = saved;
            if lctx.dropped {
                // not sent, and yet t_uac_send returns 1 (measured with 5.6.3)
                self.step(Step::Note {
                    text: format!("{method} made by t_uac_send dropped in tm:local-request"),
                });
                return 1;
            }
            if let Some(d) = lctx.du.as_deref().filter(|d| *d != dst_uri) {
                match self.resolve(d) {
                    Some(a) => dst = a,
                    None => return fail(self, &format!("cannot resolve destination {d}")),
                }
            }
            req = lctx.msg;
        }
        self.sent("request", "tm", ctx.proto, local, dst, &req);
        // a transaction of tm's own: replies end its branch, nothing goes upstream
        let fr = self.prog.modparam_int("tm", "fr_timer", 30000) as f64 / 1000.0;
        let key = self.tkey(&req);
        let ti = self.trans.len();
        self.trans_by_key.entry(key.clone()).or_default().push(ti);
        self.branch_index.insert(branch.clone(), (ti, 0));
        self.open_trans.insert(ti);
        self.trans.push(Box::new(Trans {
            key,
            method: method.to_string(),
            call_id,
            cseq: cseq.to_string(),
            req: req.clone(),
            du: nexthop,
            src: dst,
            local,
            proto: ctx.proto,
            branches: vec![UacBranch {
                ruri: ruri.to_string(),
                dst,
                proto: ctx.proto,
                branch,
                sent: req,
                last_code: 0,
                reply: None,
                reply_local: false,
                final_: false,
                canceled: false,
                timer_at: self.clock + fr,
                on_branch_failure: None,
            }],
            on_reply: None,
            on_failure: None,
            on_branch: None,
            on_branch_failure: None,
            uac_local: true,
            uas_code: 0,
            uas_reply: None,
            flags: 0,
            avps: Default::default(),
            ds_left: Vec::new(),
            fr_timer: fr,
            fr_inv_timer: fr,
            to_tag: crate::engine::LazyTag::known(String::new()),
            canceled: false,
            in_failure: false,
            dlg: None,
        }));
        1
    }

    /// The User-Agent header tm puts in its own requests (`user_agent_header`).
    fn user_agent(&self) -> String {
        self.prog
            .global("user_agent_header")
            .map(|s| s.trim_start_matches("User-Agent:").trim().to_string())
            .unwrap_or_else(|| crate::engine::SERVER_HEADER.to_string())
    }
}
