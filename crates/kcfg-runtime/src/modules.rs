//! Module behaviour: tm helpers, rr, maxfwd, sanity, registrar/usrloc,
//! nathelper tests, htable.

use std::net::IpAddr;

use kcfg_sema::RouteTable;

use crate::capture::Proto;
use crate::engine::{Ctx, FlowPub, RouteType, Runtime};
use crate::event::Step;
use crate::ir::Expr;
use crate::sip::SipMsg;
use crate::sip::{Header, NameAddr, Uri};

/// A usrloc binding: contact URI, expiry (virtual clock) and the
/// `received` address registrar stored with it (nathelper's
/// `received_avp`, or the contact's `received` parameter).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Binding {
    pub(crate) uri: String,
    pub(crate) exp: f64,
    pub(crate) received: Option<String>,
}

impl Runtime {
    /// [`Runtime::eval_arg`], borrowed from the config when the argument
    /// is a literal (most are: `is_method("INVITE")`, `t_is_set("...")`).
    pub(crate) fn arg_cow<'e>(&mut self, ctx: &mut Ctx, e: &'e Expr) -> std::borrow::Cow<'e, str> {
        match e {
            Expr::Str(f) if f.is_static() => std::borrow::Cow::Borrowed(f.raw.as_str()),
            Expr::Keyword(k) => std::borrow::Cow::Borrowed(k.as_str()),
            _ => std::borrow::Cow::Owned(self.eval_arg(ctx, e)),
        }
    }

    pub(crate) fn eval_arg(&mut self, ctx: &mut Ctx, e: &Expr) -> String {
        match e {
            Expr::Str(f) => self.fmt(ctx, f),
            Expr::Int(i) => i.to_string(),
            Expr::Keyword(k) => k.clone(),
            _ => self.eval_pub(ctx, e).as_str(),
        }
    }

    pub(crate) fn run_named_route(&mut self, ctx: &mut Ctx, name: &str) -> Option<FlowPub> {
        let f = self.run_route_pub(ctx, RouteTable::Request, name)?;
        Some(f)
    }

    pub(crate) fn t_check_trans(&mut self, ctx: &mut Ctx) -> i64 {
        let m = &ctx.msg;
        if !m.is_request() {
            return if ctx.trans.is_some() { 1 } else { -1 };
        }
        let Some(ti) = self.find_trans_pub(m) else {
            return -1;
        };
        match m.method() {
            "CANCEL" => 1,
            "ACK" => {
                let t = &self.trans[ti];
                if t.uas_code >= 300 {
                    0 // ACK to a negative reply of this proxy: absorbed
                } else {
                    1
                }
            }
            _ => {
                // retransmission: the last reply is sent again, script stops
                self.resend_uas_reply(ti);
                0
            }
        }
    }

    pub(crate) fn t_precheck(&mut self, _ctx: &mut Ctx) -> i64 {
        // messages are processed one after the other: no request is ever
        // being processed concurrently
        -1
    }

    pub(crate) fn set_t_on(&mut self, ctx: &mut Ctx, which: &str, v: Option<String>) {
        if let Some(ti) = ctx.trans {
            let t = &mut self.trans[ti];
            match which {
                "t_on_reply" => t.on_reply = v,
                "t_on_failure" => t.on_failure = v,
                "t_on_branch_failure" => t.on_branch_failure = v,
                _ => t.on_branch = v,
            }
        } else {
            let p = self.pending_t_on.get_or_insert_with(Default::default);
            match which {
                "t_on_reply" => p.reply = v,
                "t_on_failure" => p.failure = v,
                "t_on_branch_failure" => p.branch_failure = v,
                _ => p.branch = v,
            }
        }
    }

    pub(crate) fn t_is_set(&mut self, ctx: &mut Ctx, what: &str) -> bool {
        let (r, f, b) = match ctx.trans {
            Some(ti) => {
                let t = &self.trans[ti];
                (
                    t.on_reply.is_some(),
                    t.on_failure.is_some(),
                    t.on_branch.is_some(),
                )
            }
            None => match &self.pending_t_on {
                Some(p) => (p.reply.is_some(), p.failure.is_some(), p.branch.is_some()),
                None => (false, false, false),
            },
        };
        // tm's t_is_set looks at the first character only (`b`, `f`, `o`)
        match what.as_bytes().first() {
            Some(b'o') => r,
            Some(b'f') => f,
            Some(b'b') => b,
            _ => false,
        }
    }

    pub(crate) fn t_canceled(&mut self, ctx: &mut Ctx) -> bool {
        ctx.trans.is_some_and(|ti| self.trans[ti].canceled)
    }

    pub(crate) fn current_reply_code(&mut self, ctx: &mut Ctx) -> u16 {
        if ctx.t_reply_code > 0 {
            ctx.t_reply_code
        } else if !ctx.msg.is_request() {
            ctx.msg.status()
        } else {
            0
        }
    }

    pub(crate) fn fromtag_param(&self, ctx: &Ctx) -> String {
        if self.prog.modparam_int("rr", "append_fromtag", 1) == 1 {
            if let Some(t) = ctx.msg.from_tag_str() {
                return [";ftag=", t].concat();
            }
        }
        String::new()
    }

    pub(crate) fn record_route(&mut self, ctx: &mut Ctx, extra: &str) {
        if ctx.rr_done {
            return;
        }
        ctx.rr_done = true;
        let lr = if self.prog.modparam_int("rr", "enable_full_lr", 0) == 1 {
            "lr=on"
        } else {
            "lr"
        };
        // `<sip:{host}:{port}{;transport=..};{lr}{ftag}{extra}{pending}>`,
        // pushed piece by piece (no `format!`, the IPv4 address by bytes)
        let ft = self.fromtag_param(ctx);
        let pending = self.pending_rr_params.take().unwrap_or_default();
        let mut v = String::with_capacity(64 + ft.len() + extra.len() + pending.len());
        v.push_str("<sip:");
        match ctx.local.ip() {
            IpAddr::V6(a) => {
                use std::fmt::Write as _;
                let _ = write!(v, "[{a}]");
            }
            ip @ IpAddr::V4(_) => crate::engine::push_ip(&mut v, ip),
        }
        v.push(':');
        crate::engine::push_num(&mut v, ctx.local.port().into());
        if ctx.proto != crate::capture::Proto::Udp {
            v.push_str(";transport=");
            v.push_str(ctx.proto.name());
        }
        v.push(';');
        v.push_str(lr);
        v.push_str(&ft);
        v.push_str(extra);
        v.push_str(&pending);
        v.push('>');
        ctx.msg.headers.insert(
            0,
            Header::known(crate::sip::K_RECORD_ROUTE, "Record-Route", v),
        );
    }

    pub(crate) fn rr_param(&mut self, ctx: &mut Ctx, p: &str) {
        if ctx.rr_done {
            if let Some(h) = ctx.msg.headers.iter_mut().find(|h| h.is("record-route")) {
                if let Some(gt) = h.value.rfind('>') {
                    let mut v = h.value.to_string();
                    v.insert_str(gt, p);
                    h.value = v.into();
                }
            }
        } else {
            self.pending_rr_params
                .get_or_insert_with(String::new)
                .push_str(p);
        }
    }

    pub(crate) fn is_myself_uri(&self, u: &Uri) -> bool {
        self.is_myself_pub(&u.host, &u.port)
    }

    /// rr's loose_route(): 1 when Route headers were processed, -1 otherwise.
    pub(crate) fn loose_route(&mut self, ctx: &mut Ctx) -> i64 {
        let routes = ctx.msg.header_elems("route");
        let Some(first) = routes.first() else {
            return -1;
        };
        let uri = NameAddr::parse(first).uri;
        let Some(u) = Uri::parse(&uri) else {
            return -1;
        };
        if self.is_myself_uri(&u) {
            let did = u.param("did");
            // remove the first Route element
            remove_first_elem(&mut ctx.msg.headers, "route");
            let rest = ctx.msg.header_elems("route");
            if let Some(next) = rest.first() {
                let nu = NameAddr::parse(next).uri;
                ctx.du = Some(nu);
            }
            // rr callbacks: the dialog module matches in-dialog requests
            self.dlg_route_hook(ctx, did);
            1
        } else {
            ctx.du = Some(uri);
            1
        }
    }

    pub(crate) fn maxfwd(&mut self, ctx: &mut Ctx, limit: i64) -> i64 {
        let max_limit = self.prog.modparam_int("maxfwd", "max_limit", 70);
        let Some(h) = ctx.msg.headers.iter_mut().find(|h| h.is("max-forwards")) else {
            ctx.msg
                .headers
                .insert(0, Header::new("Max-Forwards", limit.to_string()));
            return 2;
        };
        let raw = h.value.clone();
        let Ok(mut v) = raw.trim().parse::<i64>() else {
            return -2;
        };
        if v == 0 {
            return -1;
        }
        if v > max_limit {
            v = max_limit + 1;
        }
        v -= 1;
        // (the number made on the stack: a short value is kept inline)
        let mut d = [0u8; 21];
        let s = int_text(v, &mut d);
        let width = raw.len();
        h.value = if s.len() < width {
            format!("{}{}", " ".repeat(width - s.len()), s).into()
        } else {
            s.into()
        };
        1
    }

    pub(crate) fn sanity(&mut self, ctx: &mut Ctx) -> i64 {
        let m = &ctx.msg;
        if m.is_request() {
            // (the CSeq's parts borrowed, not copied)
            let cm = m.cseq_method_str();
            if !cm.eq_ignore_ascii_case(m.method()) {
                return self.sanity_fail(ctx, "Bad CSeq");
            }
            if m.cseq_num_str().parse::<u32>().is_err() {
                return self.sanity_fail(ctx, "Bad CSeq");
            }
            if let Some(cl) = m.header_known(crate::sip::K_CONTENT_LENGTH) {
                if cl.trim().parse::<usize>().ok() != Some(m.body.len()) {
                    return self.sanity_fail(ctx, "Content-Length mis-match");
                }
            }
        }
        1
    }

    fn sanity_fail(&mut self, ctx: &mut Ctx, why: &str) -> i64 {
        if ctx.msg.method() != "ACK" {
            self.sl_reply(ctx, 400, why, "sanity");
        }
        if self.prog.modparam_int("sanity", "autodrop", 1) == 1 {
            0
        } else {
            -1
        }
    }

    pub(crate) fn aor_of(&self, uri: &str) -> String {
        let use_domain = self.prog.modparam_int("usrloc", "use_domain", 0) == 1;
        let u = self.uris.borrow_mut().parse(uri);
        match u {
            Some(u) if use_domain => format!("{}@{}", u.user, u.host),
            Some(u) => u.user.to_string(),
            None => uri.to_string(),
        }
    }

    pub(crate) fn usrloc_has(&self, aor: &str) -> bool {
        self.usrloc
            .get(aor)
            .is_some_and(|l| l.iter().any(|b| b.exp > self.clock))
    }

    /// registrar's save(): update the bindings and reply 200 with them.
    pub(crate) fn save(&mut self, ctx: &mut Ctx) -> i64 {
        let Some(to) = ctx.msg.header_known(crate::sip::K_TO).map(NameAddr::parse) else {
            return -1;
        };
        let aor = self.aor_of(&to.uri);
        let default_exp = self.prog.modparam_int("registrar", "default_expires", 3600);
        let max_exp = self.prog.modparam_int("registrar", "max_expires", 0);
        let min_exp = self.prog.modparam_int("registrar", "min_expires", 60);
        let hdr_exp: Option<i64> = ctx
            .msg
            .header("expires")
            .and_then(|v| v.trim().parse().ok());
        let contacts = if ctx.contact_parsed_orig {
            ctx.received_contact_elems()
        } else {
            ctx.msg.header_elems("contact")
        };
        let now = self.clock;
        // registrar's received_avp (set by nathelper's fix_nated_register)
        let rcv_avp: Option<String> = self.received_avp_key("registrar").and_then(|k| {
            self.avps_pub(ctx)
                .get(&k)
                .and_then(|l| l.last())
                .map(|v| v.as_str())
                .filter(|s| !s.is_empty())
        });
        if contacts.iter().any(|c| c.trim() == "*") {
            if hdr_exp == Some(0) {
                self.usrloc.remove(&aor);
            } else {
                return self.reg_reply(ctx, &aor, 400, "Bad Request");
            }
        }
        for c in contacts.iter().filter(|c| c.trim() != "*") {
            let na = NameAddr::parse(c);
            let mut exp = na
                .param("expires")
                .and_then(|e| e.parse().ok())
                .or(hdr_exp)
                .unwrap_or(default_exp);
            if exp > 0 && max_exp > 0 && exp > max_exp {
                exp = max_exp;
            }
            if exp > 0 && min_exp > 0 && exp < min_exp {
                exp = min_exp;
            }
            // the contact's own `received` parameter first
            let received = na
                .param("received")
                .map(|r| r.trim_matches('"').to_string())
                .or_else(|| rcv_avp.clone());
            let list = self.usrloc.entry(aor.clone()).or_default();
            list.retain(|b| b.uri != na.uri);
            if exp > 0 {
                list.push(Binding {
                    uri: na.uri.clone(),
                    exp: now + exp as f64,
                    received,
                });
            }
        }
        self.reg_reply(ctx, &aor, 200, "OK")
    }

    fn reg_reply(&mut self, ctx: &mut Ctx, aor: &str, code: u16, reason: &str) -> i64 {
        let now = self.clock;
        let mut parts = Vec::new();
        if code == 200 {
            if let Some(list) = self.usrloc.get(aor) {
                let rcv_param = self
                    .prog
                    .modparam_str("registrar", "received_param")
                    .unwrap_or_else(|| "received".into());
                for b in list.iter().filter(|b| b.exp > now) {
                    // `<{uri}>;expires={secs}` without `format!`
                    let secs = (b.exp - now).round() as i64;
                    let mut c = String::with_capacity(b.uri.len() + 32);
                    c.push('<');
                    c.push_str(&b.uri);
                    c.push_str(">;expires=");
                    let mut d = [0u8; 21];
                    c.push_str(int_text(secs, &mut d));
                    if let (false, Some(r)) = (rcv_param.is_empty(), &b.received) {
                        c.push_str(&format!(";{rcv_param}=\"{r}\""));
                    }
                    parts.push(c);
                }
            }
        }
        if !parts.is_empty() {
            ctx.reply_lumps.push(Header::known(
                crate::sip::K_CONTACT,
                "Contact",
                parts.join(", "),
            ));
        }
        if ctx.trans.is_some() {
            self.t_reply(ctx, code, reason)
        } else {
            self.sl_reply(ctx, code, reason, "registrar")
        }
    }

    /// registrar's lookup(): 1 found (R-URI rewritten), -1 not found.
    pub(crate) fn lookup(&mut self, ctx: &mut Ctx) -> i64 {
        let aor = self.aor_of(ctx.msg.ruri());
        let now = self.clock;
        let list: Vec<Binding> = self
            .usrloc
            .get(&aor)
            .map(|l| l.iter().rev().filter(|b| b.exp > now).cloned().collect())
            .unwrap_or_default();
        let Some(first) = list.first() else {
            return -1;
        };
        ctx.msg.set_ruri(&first.uri);
        // the received address becomes the destination ($du)
        if let Some(r) = &first.received {
            ctx.du = Some(r.clone());
        }
        for other in &list[1..] {
            ctx.branches
                .push((other.uri.clone(), other.received.clone()));
        }
        1
    }

    pub(crate) fn sht_remove(&mut self, table: &str, key: &str) {
        if let Some(h) = self.htable.get_mut(table) {
            h.remove(key);
        }
    }

    /// `pike_check_req()`: 1 (not blocked) while the source IP stays below
    /// pike's density (`reqs_density_per_unit` requests, 30 by default, in a
    /// `sampling_time_unit`, 2 s). pike's IP tree and its blocking are not
    /// simulated: once an IP reaches the density the call is reported as
    /// not simulated (the run is incomplete) instead of guessing.
    pub(crate) fn pike_check(&mut self, ctx: &Ctx, at: &crate::ir::Loc) -> i64 {
        let unit = self
            .prog
            .modparam_int("pike", "sampling_time_unit", 2)
            .max(1) as u64;
        let density = self
            .prog
            .modparam_int("pike", "reqs_density_per_unit", 30)
            .max(1) as u64;
        let window = self.now_secs() / unit;
        let e = self.pike_hits.entry(ctx.src.ip()).or_insert((window, 0, 0));
        // (current window, hits in it, hits in the one before)
        if e.0 != window {
            let prev = if e.0 + 1 == window { e.1 } else { 0 };
            *e = (window, 0, prev);
        }
        e.1 += 1;
        if e.1 >= density || e.2 >= density {
            self.step(Step::Unsupported {
                function: format!(
                    "pike_check_req() with {density}+ requests per {unit} s from one IP (pike's blocking is not simulated)"
                ),
                at: at.clone(),
            });
        }
        1
    }

    /// htable's `timer_interval` (seconds, default 20).
    pub(crate) fn sht_interval(&self) -> u64 {
        self.prog
            .modparam_int("htable", "timer_interval", 20)
            .max(1) as u64
    }

    /// The clock in whole seconds, as Kamailio's `time(NULL)`.
    pub(crate) fn now_secs(&self) -> u64 {
        self.clock.max(0.0) as u64
    }

    /// htable's timer (`ht_timer`, every `timer_interval` seconds, 20 by
    /// default) up to `t`: expired items are removed, and
    /// `event_route[htable:expired:NAME]` runs for each with `$shtrecord`.
    pub(crate) fn run_htable_timer(&mut self, t: f64) {
        // the timer's phase starts with the first item that can expire
        let Some(mut at) = self.sht_timer_at else {
            return;
        };
        let interval = self.sht_interval();
        let until = t.max(0.0) as u64;
        // the routes run at the tick's time; tm's timers keep their own
        let saved = self.clock;
        while at <= until {
            self.clock = saved.max(at as f64);
            if !self
                .htable
                .values()
                .any(|h| h.items.values().any(|(_, e)| *e != 0))
            {
                // nothing can expire: skip the idle runs
                at += (until - at) / interval * interval + interval;
                break;
            }
            let mut names: Vec<String> = self.htable.keys().cloned().collect();
            names.sort();
            for name in names {
                let gone = self
                    .htable
                    .get_mut(&name)
                    .map(|h| h.take_expired(at))
                    .unwrap_or_default();
                if gone.is_empty() {
                    continue;
                }
                let ev = format!("htable:expired:{name}");
                let Some(rt) = self.prog.route_rc(RouteTable::Event, &ev) else {
                    continue;
                };
                let Ok(msg) = SipMsg::parse(crate::engine::FAKED_SIP_MSG.as_bytes()) else {
                    continue;
                };
                for item in gone {
                    self.begin("timer", None, None, None, Some(&msg));
                    let local = self.default_local(Proto::Udp);
                    let mut ctx = self.new_ctx(
                        msg.clone(),
                        crate::tmlocal::NO_SOURCE,
                        local,
                        Proto::Udp,
                        RouteType::Event,
                    );
                    self.sht_expired = Some(item);
                    let _ = self.run_route_code(&mut ctx, &rt);
                    self.sht_expired = None;
                    self.end();
                }
            }
            at += interval;
        }
        self.clock = saved;
        self.sht_timer_at = Some(at);
    }
}

fn remove_first_elem(headers: &mut Vec<Header>, canon: &str) {
    if let Some(i) = headers.iter().position(|h| h.is(canon)) {
        let elems = crate::sip::split_commas(&headers[i].value);
        if elems.len() > 1 {
            headers[i].value = elems[1..].join(",").into();
        } else {
            headers.remove(i);
        }
    }
}

/// `v.to_string()`, written at the end of `d`.
fn int_text(v: i64, d: &mut [u8; 21]) -> &str {
    let mut i = d.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        d[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        d[i] = b'-';
    }
    std::str::from_utf8(&d[i..]).expect("ASCII digits")
}

#[cfg(test)]
mod int_text_tests {
    #[test]
    fn int_text_equals_to_string() {
        for v in [0, 1, -1, 9, 10, 69, 70, -70, 12345, i64::MAX, i64::MIN] {
            let mut d = [0u8; 21];
            assert_eq!(super::int_text(v, &mut d), v.to_string());
        }
    }
}
