//! Small functions of several modules, each as Kamailio 5.6.3's C source
//! does it: htable's `sht_lock`/`sht_unlock`, textops' `has_body`, tm's
//! `t_send_reply`, `t_lookup_request`, `t_branch_timeout`,
//! `t_retransmit_reply`, core's `isdsturiset`, siputils' `options_reply`,
//! avpops' `is_avp_set` and `avp_delete`.

use crate::engine::{Ctx, RouteType, Runtime};
use crate::ir::Call;
use crate::sip::{Header, SipMsg};
use crate::value::Val;

/// The functions this file simulates.
pub const MISC_FUNCS: &[&str] = &[
    "sht_lock",
    "sht_unlock",
    "has_body",
    "t_send_reply",
    "t_lookup_request",
    "t_branch_timeout",
    "t_retransmit_reply",
    "isdsturiset",
    "options_reply",
    "is_avp_set",
    "avp_delete",
];

/// `decode_mime_type` of core's parse_content.c as (type, subtype) numbers;
/// `None` for text it cannot read.
fn mime_code(m: &str) -> Option<(u32, u32)> {
    let m = m
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (t, s) = m.split_once('/')?;
    let t = match t.trim() {
        "text" => 1,
        "message" => 2,
        "application" => 3,
        "multipart" => 4,
        "*" => 0xfe,
        "" => return None,
        _ => 0xff,
    };
    let s = match s.trim() {
        "plain" => 1,
        "cpim" => 2,
        "sdp" => 3,
        "cpl+xml" => 4,
        "pidf+xml" => 5,
        "rlmi+xml" => 6,
        "related" => 7,
        "lpidf+xml" => 8,
        "xpidf+xml" => 9,
        "watcherinfo+xml" => 10,
        "external-body" => 11,
        "xml+msrtc.pidf" => 12,
        "cpim-pidf+xml" => 13,
        "mixed" => 14,
        "isup" => 15,
        "*" => 0xfe,
        "" => return None,
        _ => 0xff,
    };
    Some((t, s))
}

/// textops' `has_body_helper`: a Content-Length header with a value other
/// than 0 and, with a type, the Content-Type's (application/sdp when
/// there is none).
pub fn has_body(m: &SipMsg, ty: Option<&str>) -> i64 {
    let Some(cl) = m.header("content-length") else {
        return -1;
    };
    if cl.trim().parse::<u64>().unwrap_or(0) == 0 {
        return -1;
    }
    let Some(ty) = ty.filter(|t| !t.is_empty()) else {
        return 1;
    };
    let want = mime_code(ty);
    let have = match m.header("content-type") {
        None => Some((3, 3)),
        Some(ct) => match mime_code(ct) {
            Some(c) => Some(c),
            None => return -1,
        },
    };
    if want.is_some() && want == have {
        1
    } else {
        -1
    }
}

impl Runtime {
    /// One of [`MISC_FUNCS`]; `None` for any other function.
    pub(crate) fn misc_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        if !MISC_FUNCS.contains(&n) {
            return None;
        }
        macro_rules! s {
            ($i:expr) => {
                match c.args.get($i) {
                    Some(e) => self.eval_arg(ctx, e),
                    None => String::new(),
                }
            };
        }
        Some(match n {
            // one process, one message at a time: a slot lock never waits
            "sht_lock" | "sht_unlock" => 1,
            "has_body" => {
                let t = if c.args.is_empty() { None } else { Some(s!(0)) };
                has_body(&ctx.msg, t.as_deref())
            }
            "t_send_reply" => {
                if ctx.msg.method() == "ACK" {
                    return Some(-1);
                }
                // the code is an int parameter: a PV must hold an integer,
                // else tm's default_code (500) is sent
                let code = match c.args.first() {
                    Some(e) => self.int_param(ctx, e),
                    None => None,
                };
                let code = code
                    .and_then(|v| u16::try_from(v).ok())
                    .unwrap_or(self.prog.modparam_int("tm", "default_code", 500) as u16);
                let reason = s!(1);
                if ctx.trans.is_none() {
                    self.t_newtran(ctx);
                }
                self.t_reply(ctx, code, &reason)
            }
            "t_lookup_request" => {
                if ctx.msg.is_request() {
                    b(self.find_trans_pub(&ctx.msg).is_some())
                } else {
                    b(ctx.trans.is_some())
                }
            }
            "t_branch_timeout" => {
                let ti = ctx.trans;
                let bi = match ctx.rtype {
                    RouteType::Failure => ti.and_then(|t| self.best_branch_pub(t)),
                    RouteType::BranchFailure => ctx.reply_branch,
                    _ => None,
                };
                match (ti, bi) {
                    (Some(t), Some(bi)) => b(self.branch_timed_out(t, bi)),
                    _ => -1,
                }
            }
            "t_retransmit_reply" => {
                let ti = if ctx.msg.is_request() {
                    self.find_trans_pub(&ctx.msg)
                } else {
                    ctx.trans
                };
                match ti {
                    None => -1,
                    Some(_) if ctx.msg.method() == "ACK" => -1,
                    Some(ti) => self.retransmit_reply(ti),
                }
            }
            "isdsturiset" => b(ctx.du.as_deref().is_some_and(|d| !d.is_empty())),
            "options_reply" => self.options_reply(ctx),
            "is_avp_set" => {
                let spec = s_raw(c);
                self.is_avp_set(ctx, &spec)
            }
            _ => {
                // avp_delete
                let spec = s_raw(c);
                self.avp_delete(ctx, &spec)
            }
        })
    }

    /// The branch ended by tm's own 408 (its fr timer fired: F_RB_TIMEOUT).
    fn branch_timed_out(&self, ti: usize, bi: usize) -> bool {
        self.trans[ti]
            .branches
            .get(bi)
            .is_some_and(|b| b.final_ && b.reply_local)
    }

    /// tm's `t_retransmit_reply`: the last reply sent upstream, again; -1
    /// when none was sent yet.
    fn retransmit_reply(&mut self, ti: usize) -> i64 {
        if self.resend_uas_reply(ti) {
            1
        } else {
            -1
        }
    }

    fn options_reply(&mut self, ctx: &mut Ctx) -> i64 {
        if ctx.msg.method() != "OPTIONS" {
            return -1;
        }
        match crate::sip::Uri::parse(ctx.msg.ruri()) {
            Some(u) if u.user.is_empty() => {}
            _ => return -1,
        }
        let p = |name: &str, def: &str| {
            self.prog
                .modparam_str("siputils", name)
                .unwrap_or_else(|| def.to_string())
        };
        let hs = [
            ("Accept", p("options_accept", "*/*")),
            ("Accept-Encoding", p("options_accept_encoding", "")),
            ("Accept-Language", p("options_accept_language", "en")),
            ("Supported", p("options_support", "")),
        ];
        for (n, v) in hs {
            ctx.reply_lumps.push(Header::new(n, v));
        }
        self.sl_reply(ctx, 200, "OK", "siputils");
        1
    }

    /// avpops' `is_avp_set("$avp(name)[/flags]")`: flags `s` (a string
    /// value), `n` (an integer), `e` (empty: "" or 0).
    fn is_avp_set(&mut self, ctx: &mut Ctx, spec: &str) -> i64 {
        let Some((key, flags)) = avp_spec(spec) else {
            return -1;
        };
        let Some(v) = self.avps_pub(ctx).get(&key).and_then(|l| l.last()).cloned() else {
            return -1;
        };
        let is_str = !matches!(v, Val::Int(_));
        if (flags.contains('s') && !is_str) || (flags.contains('n') && is_str) {
            return -1;
        }
        if flags.contains('e') {
            return b(match &v {
                Val::Int(i) => *i == 0,
                other => other.as_str().is_empty(),
            });
        }
        1
    }

    /// avpops' `avp_delete("$avp(name)[/g]")`: the newest value, or all of
    /// them with `g`; 1 when something was removed.
    fn avp_delete(&mut self, ctx: &mut Ctx, spec: &str) -> i64 {
        let Some((key, flags)) = avp_spec(spec) else {
            return -1;
        };
        let avps = self.avps_pub(ctx);
        let Some(l) = avps.get_mut(&key) else {
            return -1;
        };
        if l.is_empty() {
            return -1;
        }
        if flags.contains('g') {
            avps.remove(&key);
        } else {
            l.pop();
            if l.is_empty() {
                avps.remove(&key);
            }
        }
        1
    }
}

/// The first argument as written (avpops parses its own `$avp(...)/flags`).
fn s_raw(c: &Call) -> String {
    match c.args.first() {
        Some(crate::ir::Expr::Str(f)) => f.raw.clone(),
        _ => String::new(),
    }
}

/// `$avp(name)/flags` → (the engine's AVP key, flags).
fn avp_spec(spec: &str) -> Option<(String, String)> {
    let (pv, flags) = match spec.rsplit_once('/') {
        Some((p, f)) if p.ends_with(')') => (p, f.to_ascii_lowercase()),
        _ => (spec, String::new()),
    };
    let inner = pv.trim().strip_prefix("$avp(")?.strip_suffix(')')?;
    Some((format!("avp:{inner}"), flags))
}

fn b(x: bool) -> i64 {
    if x {
        1
    } else {
        -1
    }
}
