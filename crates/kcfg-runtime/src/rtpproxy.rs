//! rtpproxy without an RTP proxy: the runtime simulates none, so these
//! functions behave as Kamailio 5.6.3's `src/modules/rtpproxy/rtpproxy.c`
//! does when the `rtpproxy_sock` does not answer (the usual case under
//! test). Each child tests the proxy at start (`rtpp_test` in
//! `child_init`); on a connected UDP socket the ICMP error makes the
//! second send fail at once, the node is disabled for
//! `rtpproxy_disable_tout` seconds and every later test fails the same way.
//! So after the checks of the message (flags, body, tags, SDP) each call
//! ends in "no available proxies": `rtpproxy_offer`/`rtpproxy_answer`
//! (and `rtpproxy_manage` on SDP) return -3, `unforce_rtp_proxy` -1.
//! Every call adds a note to the timeline saying so.

use crate::engine::{Ctx, RouteType, Runtime};
use crate::event::Step;
use crate::ir::Call;
use crate::sip::SipMsg;

/// The rtpproxy functions the runtime simulates (all without a proxy).
pub const RTPPROXY_FUNCS: &[&str] = &[
    "rtpproxy_manage",
    "rtpproxy_offer",
    "rtpproxy_answer",
    "unforce_rtp_proxy",
    "rtpproxy_destroy",
];

/// rtpproxy's `check_content_type` and `extract_body`: `None` when the
/// body cannot be handed to the proxy.
fn sdp_for_proxy(m: &SipMsg) -> Option<&str> {
    let cl: usize = m.header("content-length")?.trim().parse().ok()?;
    if cl == 0 || m.body.is_empty() {
        return None;
    }
    if let Some(ct) = m.header("content-type") {
        let t = ct.trim().to_ascii_lowercase();
        if t.starts_with("multipart/mixed") {
            // the SDP part of a multipart body
            return m
                .body
                .to_ascii_lowercase()
                .contains("application/sdp")
                .then_some(m.body.as_str());
        }
        let (ty, rest) = t.split_once('/')?;
        if ty.trim_end() != "application" {
            return None;
        }
        let rest = rest.trim_start();
        let sub = rest.get(..3)?;
        if sub != "sdp" {
            return None;
        }
        match rest.as_bytes().get(3) {
            None | Some(b';' | b' ' | b'\t' | b'\r' | b'\n') => {}
            _ => return None,
        }
    }
    Some(&m.body)
}

/// core's `parse_sdp` after the checks: it needs a Content-Type (none is
/// an error there) and the SDP must have media (`m=`) lines.
fn sdp_streams(m: &SipMsg) -> Option<usize> {
    m.header("content-type")?;
    Some(m.body.split('\n').filter(|l| l.starts_with("m=")).count())
}

fn via_branch(m: &SipMsg, n: usize) -> Option<String> {
    let v = m.header_elems("via");
    let via = crate::sip::Via::parse(v.get(n - 1)?);
    Some(via.branch()).filter(|b| !b.is_empty())
}

impl Runtime {
    /// One of [`RTPPROXY_FUNCS`]; `None` for any other function.
    pub(crate) fn rtpproxy_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        if !RTPPROXY_FUNCS.contains(&n) {
            return None;
        }
        let flags = match c.args.first() {
            Some(e) => self.eval_arg(ctx, e),
            None => String::new(),
        };
        let explicit_ip = c.args.len() > 1;
        let is_req = ctx.msg.is_request();
        let r = match n {
            "rtpproxy_manage" => self.rtpp_manage(ctx, &flags),
            "rtpproxy_offer" => self.force_rtp_proxy(ctx, &flags, true, explicit_ip),
            "rtpproxy_answer" => {
                if is_req && ctx.msg.method() != "ACK" {
                    -1
                } else {
                    self.force_rtp_proxy(ctx, &flags, false, explicit_ip)
                }
            }
            _ => self.unforce_rtp_proxy(ctx, &flags),
        };
        Some(r)
    }

    fn rtpp_note(&mut self, what: &str) {
        let sock = self
            .prog
            .modparam_str("rtpproxy", "rtpproxy_sock")
            .unwrap_or_else(|| "unix:/var/run/rtpproxy.sock".into());
        self.step(Step::Note {
            text: format!(
                "rtpproxy: no RTP proxy is simulated; {what} as Kamailio does when \
                 {sock} does not answer (\"no available proxies\")"
            ),
        });
    }

    fn rtpp_manage(&mut self, ctx: &mut Ctx, flags: &str) -> i64 {
        if ctx.rtype == RouteType::BranchFailure {
            return 1;
        }
        let method = ctx.msg.cseq_method().to_ascii_uppercase();
        if !["INVITE", "ACK", "CANCEL", "BYE", "UPDATE", "PRACK"].contains(&method.as_str()) {
            return -1;
        }
        if method == "CANCEL" || method == "BYE" {
            return self.unforce_rtp_proxy(ctx, flags);
        }
        // parse_sdp: 0 with an SDP body
        let has_sdp = !ctx.msg.body.is_empty()
            && ctx.msg.header("content-type").is_some_and(|t| {
                let t = t.trim().to_ascii_lowercase();
                t.starts_with("application/sdp") || t.starts_with("multipart/mixed")
            });
        if ctx.msg.is_request() {
            if !has_sdp {
                return -1;
            }
            match method.as_str() {
                "ACK" => self.force_rtp_proxy(ctx, flags, false, false),
                "PRACK" | "UPDATE" => self.force_rtp_proxy(ctx, flags, true, false),
                _ => {
                    // INVITE
                    if ctx.rtype == RouteType::Failure {
                        self.unforce_rtp_proxy(ctx, flags)
                    } else {
                        self.force_rtp_proxy(ctx, flags, true, false)
                    }
                }
            }
        } else {
            if ctx.msg.status() >= 300 {
                return self.unforce_rtp_proxy(ctx, flags);
            }
            if !has_sdp {
                return -1;
            }
            // an answer; an offer when the request of the transaction had
            // no SDP (the INVITE's FL_SDP_BODY)
            let req_sdp = ctx.trans.is_none_or(|ti| {
                let r = &self.trans[ti].req;
                !r.body.is_empty() && r.header("content-type").is_some()
            });
            let offer = !matches!(method.as_str(), "PRACK" | "UPDATE") && !req_sdp;
            self.force_rtp_proxy(ctx, flags, offer, false)
        }
    }

    /// `force_rtp_proxy`: the message checks, then "no available proxies"
    /// (-3).
    fn force_rtp_proxy(&mut self, ctx: &mut Ctx, flags: &str, offer: bool, _ip: bool) -> i64 {
        let m = &ctx.msg;
        let (mut via, mut force, mut flookup) = (0, false, false);
        let mut chars = flags.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '1' => via = 1,
                '2' => via = 2,
                '3' => via = if m.is_request() { 1 } else { 2 },
                'l' | 'L' => {
                    if !offer {
                        return -1;
                    }
                    flookup = true;
                }
                'f' | 'F' => force = true,
                'z' | 'Z' => {
                    while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                        chars.next();
                    }
                }
                'a' | 'A' | 'b' | 'i' | 'I' | 'e' | 'E' | 'r' | 'R' | 'c' | 'C' | 'o' | 'O'
                | 'x' | 'X' | 'w' | 'W' | 't' | 'T' => {}
                _ => return -1,
            }
        }
        let Some(body) = sdp_for_proxy(m) else {
            return -1;
        };
        if !has_call_keys(m, via) {
            return -1;
        }
        let to_tag = m.to_tag().unwrap_or_default();
        let needs_to_tag = flookup || (!m.is_request() && offer) || (m.is_request() && !offer);
        if needs_to_tag && to_tag.is_empty() {
            return -1;
        }
        let nortp = self
            .prog
            .modparam_str("rtpproxy", "nortpproxy_str")
            .unwrap_or_else(|| "a=nortpproxy:yes".into());
        if !nortp.is_empty() && !force {
            let proxied = body
                .match_indices(nortp.as_str())
                .any(|(i, _)| i > 0 && matches!(body.as_bytes()[i - 1], b'\n' | b'\r'));
            if proxied {
                return -2;
            }
        }
        match sdp_streams(m) {
            None | Some(0) => return -1,
            Some(_) => {}
        }
        self.rtpp_note(if offer {
            "the offer is not sent"
        } else {
            "the answer is not sent"
        });
        -3
    }

    /// `unforce_rtp_proxy`: the message checks, then "no available
    /// proxies" (-1).
    fn unforce_rtp_proxy(&mut self, ctx: &mut Ctx, flags: &str) -> i64 {
        let m = &ctx.msg;
        let mut via = 0;
        for ch in flags.chars() {
            match ch {
                '1' => via = 1,
                '2' => via = 2,
                '3' => via = if m.is_request() { 1 } else { 2 },
                't' | 'T' | 'b' | 'a' | 'A' | 'i' | 'I' | 'e' | 'E' | 'l' | 'L' | 'f' | 'F'
                | 'r' | 'R' | 'c' | 'C' | 'o' | 'O' | 'x' | 'X' | 'w' | 'W' | 'z' | 'Z' => {}
                _ => return -1,
            }
        }
        if !has_call_keys(m, via) {
            return -1;
        }
        self.rtpp_note("the session is not deleted");
        -1
    }
}

/// The message has what the proxy's session key needs: Call-ID, To, a From
/// tag and, when `via` asks for it, that Via's branch.
fn has_call_keys(m: &SipMsg, via: usize) -> bool {
    !m.call_id().is_empty()
        && m.header("to").is_some()
        && m.from_tag().is_some_and(|t| !t.is_empty())
        && (via == 0 || via_branch(m, via).is_some())
}
