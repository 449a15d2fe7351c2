//! nathelper, as Kamailio 5.6.3's `src/modules/nathelper/nathelper.c` does
//! it: `nat_uac_test` (all ten tests), `fix_nated_contact`,
//! `set_contact_alias`, `add_contact_alias` (0 and 3 parameters),
//! `handle_ruri_alias`, `fix_nated_register` (the `received_avp` the
//! registrar stores), `add_rcv_param`, `is_rfc1918` and `fix_nated_sdp`.
//!
//! Kamailio changes the message through lumps: the headers a script reads
//! afterwards (`$ct`, `$hdr(Contact)`) still show the received text, while
//! the parsed Contact that `fix_nated_contact`/`set_contact_alias` update is
//! what registrar's `save()` stores. The runtime edits the header itself,
//! and remembers that the first Contact was rewritten (`Ctx::contact_fixed`)
//! because Kamailio refuses a second rewrite ("you can't call
//! fix_nated_contact twice").

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::capture::Proto;
use crate::engine::{Ctx, Runtime};
use crate::ir::Call;
use crate::sip::SipMsg;

/// The nathelper functions the runtime simulates.
pub const NATHELPER_FUNCS: &[&str] = &[
    "nat_uac_test",
    "fix_nated_contact",
    "fix_nated_register",
    "set_contact_alias",
    "add_contact_alias",
    "handle_ruri_alias",
    "add_rcv_param",
    "is_rfc1918",
    "fix_nated_sdp",
];

/// Kamailio's protocol numbers (`PROTO_UDP` 1 ... `PROTO_WS` 5).
pub(crate) fn proto_num(p: Proto) -> u8 {
    match p {
        Proto::Udp => 1,
        Proto::Tcp => 2,
        Proto::Tls => 3,
        Proto::Sctp => 4,
        Proto::Ws => 5,
    }
}

/// `inet_aton(3)`: dotted forms with 1 to 4 parts, each decimal, octal
/// (leading 0) or hexadecimal (0x); the last part fills the remaining bytes.
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or(p.strip_prefix("0X")) {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if p.is_empty() || (digits.is_empty() && radix == 16) {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        if v > u32::MAX as u64 {
            return None;
        }
        nums.push(v as u32);
    }
    let n = nums.len();
    let mut addr: u32 = 0;
    for (i, v) in nums.iter().enumerate() {
        if i + 1 < n {
            if *v > 255 {
                return None;
            }
            addr |= v << (24 - 8 * i);
        } else {
            let bits = 32 - 8 * (n - 1);
            if bits < 32 && (*v as u64) >= (1u64 << bits) {
                return None;
            }
            addr |= v;
        }
    }
    Some(Ipv4Addr::from(addr))
}

/// nathelper's `is1918addr_n`: RFC 1918, RFC 6598 (100.64/10), RFC 7335
/// (192.0.0.0/29) and, with `nat_addr_mode` 1 (the default), 192.0.0.0/24.
pub fn is_1918_v4(a: Ipv4Addr, nat_addr_mode: i64) -> bool {
    let h = u32::from(a);
    let nets: [(u32, u32); 5] = [
        (0x0a00_0000, 0xffff_ffff << 24),
        (0xac10_0000, 0xffff_ffff << 20),
        (0xc0a8_0000, 0xffff_ffff << 16),
        (0x6440_0000, 0xffff_ffff << 22),
        (0xc000_0000, 0xffff_ffff << 3),
    ];
    if nets.iter().any(|(n, m)| h & m == *n) {
        return true;
    }
    nat_addr_mode == 1 && h & (0xffff_ffff << 8) == 0xc000_0000
}

/// `is1918addr` on text: `None` when `inet_aton` refuses it.
fn is_1918_str(s: &str, mode: i64) -> Option<bool> {
    inet_aton(s).map(|a| is_1918_v4(a, mode))
}

/// Kamailio's `ip_addr2a` of a source address.
fn ip_text(ip: IpAddr) -> String {
    ip.to_string()
}

/// `ip` as it goes in a URI (IPv6 in brackets).
fn ip_uri(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v) => format!("[{v}]"),
        IpAddr::V4(v) => v.to_string(),
    }
}

/// core's `get_src_uri(msg, 0)`: `sip:IP:PORT`, `;transport=` unless UDP.
pub(crate) fn src_uri(src: SocketAddr, proto: Proto) -> String {
    let mut s = format!("sip:{}:{}", ip_uri(src.ip()), src.port());
    if proto != Proto::Udp {
        s.push_str(";transport=");
        s.push_str(proto.name());
    }
    s
}

/// Byte spans of a SIP URI's parts (as Kamailio's `parse_uri` cuts them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriSpans {
    pub host: (usize, usize),
    pub port: Option<(usize, usize)>,
    /// end of host[:port]
    pub hostport_end: usize,
    /// the `;params` part: from `hostport_end` to `?` or the end
    pub params_end: usize,
}

impl UriSpans {
    pub fn parse(u: &str) -> Option<UriSpans> {
        let colon = u.find(':')?;
        let scheme = u[..colon].to_ascii_lowercase();
        if !matches!(scheme.as_str(), "sip" | "sips") {
            return None;
        }
        let rest_start = colon + 1;
        let rest = &u[rest_start..];
        let hstart = match rest.find('@') {
            Some(at) => rest_start + at + 1,
            None => rest_start,
        };
        let b = u.as_bytes();
        let mut i = hstart;
        if b.get(i) == Some(&b'[') {
            while i < b.len() && b[i] != b']' {
                i += 1;
            }
            if i == b.len() {
                return None;
            }
            i += 1;
        } else {
            while i < b.len() && !matches!(b[i], b':' | b';' | b'?') {
                i += 1;
            }
        }
        let host = (hstart, i);
        if host.1 == host.0 {
            return None;
        }
        let mut port = None;
        if b.get(i) == Some(&b':') {
            let ps = i + 1;
            i = ps;
            while i < b.len() && !matches!(b[i], b';' | b'?') {
                i += 1;
            }
            let p = &u[ps..i];
            if p.is_empty() || p.parse::<u16>().is_err() {
                return None;
            }
            port = Some((ps, i));
        }
        let hostport_end = i;
        let params_end = u[i..].find('?').map(|q| i + q).unwrap_or(u.len());
        Some(UriSpans {
            host,
            port,
            hostport_end,
            params_end,
        })
    }

    fn port_no(&self, u: &str) -> u16 {
        self.port
            .and_then(|(s, e)| u[s..e].parse().ok())
            .unwrap_or(0)
    }

    /// the span of the parameter `name=...` (name, `=` and value, without
    /// the `;`) among the URI parameters
    fn param(&self, u: &str, name: &str) -> Option<(usize, usize)> {
        let mut pos = self.hostport_end;
        let ps = &u[pos..self.params_end];
        for p in ps.split(';') {
            let start = pos;
            pos += p.len() + 1;
            let n = p.split('=').next().unwrap_or("").trim();
            if !p.is_empty() && n.eq_ignore_ascii_case(name) {
                return Some((start, start + p.len()));
            }
        }
        None
    }

    /// the `transport` parameter as Kamailio's protocol number (0: none)
    fn proto(&self, u: &str) -> u8 {
        match self.param(u, "transport") {
            Some((s, e)) => {
                let v = u[s..e].split_once('=').map(|x| x.1).unwrap_or("");
                proto_num_of_name(v.trim()).unwrap_or(0)
            }
            None => 0,
        }
    }
}

/// One contact of a Contact header: byte offsets in the header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSpan {
    /// index of the header in the message
    pub hdr: usize,
    /// the URI (without `<>`)
    pub uri: (usize, usize),
    /// the URI is between `<` and `>`
    pub bracketed: bool,
    /// end of the contact (its header parameters included)
    pub end: usize,
}

/// The contacts of one Contact header value (none for `*`).
pub fn contact_spans(v: &str, hdr: usize) -> Vec<ContactSpan> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t' || b[i] == b',') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        // the element ends at a ',' outside quotes and brackets
        let (mut q, mut a) = (false, false);
        let mut lt = None;
        let mut gt = None;
        while i < b.len() {
            match b[i] {
                b'"' if !a => q = !q,
                b'\\' if q => i += 1,
                b'<' if !q && !a && lt.is_none() => {
                    a = true;
                    lt = Some(i);
                }
                b'>' if a => {
                    a = false;
                    gt = Some(i);
                }
                b',' if !q && !a => break,
                _ => {}
            }
            i += 1;
        }
        let mut end = i.min(b.len());
        while end > start && (b[end - 1] == b' ' || b[end - 1] == b'\t') {
            end -= 1;
        }
        let elem = &v[start..end];
        if elem == "*" {
            continue;
        }
        let (uri, bracketed) = match (lt, gt) {
            (Some(l), Some(g)) => ((l + 1, g), true),
            _ => {
                let e = v[start..end]
                    .find([';', ' ', '\t'])
                    .map(|x| start + x)
                    .unwrap_or(end);
                ((start, e), false)
            }
        };
        out.push(ContactSpan {
            hdr,
            uri,
            bracketed,
            end,
        });
    }
    out
}

/// nathelper's `get_contact_uri`: the first contact of the first Contact
/// header with its parsed URI.
fn first_contact(m: &SipMsg) -> Option<(ContactSpan, String, UriSpans)> {
    let hi = m.headers.iter().position(|h| h.is("contact"))?;
    let v = &m.headers[hi].value;
    let c = contact_spans(v, hi).into_iter().next()?;
    let uri = v[c.uri.0..c.uri.1].to_string();
    let sp = UriSpans::parse(&uri)?;
    Some((c, uri, sp))
}

fn replace_span(ctx: &mut Ctx, hdr: usize, span: (usize, usize), new: &str) {
    keep_orig(ctx, hdr);
    let h = &mut ctx.msg.headers[hdr].value;
    let mut v = h.to_string();
    v.replace_range(span.0..span.1, new);
    *h = v.into();
}

/// Remember a Contact header as received before its first change.
fn keep_orig(ctx: &mut Ctx, hdr: usize) {
    if !ctx.contact_orig.iter().any(|(i, _)| *i == hdr) {
        let v = ctx.msg.headers[hdr].value.to_string();
        ctx.contact_orig.push((hdr, v));
    }
}

impl Ctx {
    /// The body as the script reads it (`$rb`, `$cl`, nathelper's SDP
    /// tests): as received while `fix_nated_sdp`'s change is a lump.
    pub(crate) fn script_body(&self) -> &str {
        self.body_orig.as_deref().unwrap_or(&self.msg.body)
    }

    /// The Contact header values as the script reads them (`$ct`,
    /// `$hdr(Contact)`): as received while nathelper's changes are lumps.
    pub(crate) fn script_contacts(&self) -> Vec<String> {
        self.msg
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.is("contact"))
            .map(|(i, h)| {
                self.contact_orig
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| h.value.to_string())
            })
            .collect()
    }

    /// The contacts of the message as received (what registrar parses
    /// after `add_contact_alias`/`add_rcv_param`).
    pub(crate) fn received_contact_elems(&self) -> Vec<String> {
        self.script_contacts()
            .iter()
            .flat_map(|v| crate::sip::split_commas(v))
            .collect()
    }
}

/// The `;alias=` value of core's `uri_add_rcv_alias`.
fn rcv_alias(src: SocketAddr, proto: Proto) -> String {
    format!(
        ";alias={}~{}~{}",
        ip_uri(src.ip()),
        src.port(),
        proto_num(proto)
    )
}

/// core's `uri_trim_rcv_alias`: the URI without its last well-formed
/// `;alias=ip~port~proto` (`None` when it has none).
fn trim_rcv_alias(u: &str) -> Option<String> {
    const SA: &str = ";alias=";
    if u.len() < SA.len() + 16 {
        return None;
    }
    let b = u.as_bytes();
    let mut p = u.len() - SA.len() - 11;
    let mut skip = None;
    while p > 5 {
        if b[p..].starts_with(SA.as_bytes()) {
            skip = Some(p);
            break;
        }
        p -= 1;
    }
    let s = skip?;
    let ip = s + SA.len();
    let t1 = ip + u[ip..].find('~')?;
    let port = t1 + 1;
    if port >= u.len() {
        return None;
    }
    let t2 = port + u[port..].find('~')?;
    let mut q = t2 + 1;
    if q >= u.len() {
        return None;
    }
    q += 1; // the protocol digit
    if q != u.len() && b[q] != b';' {
        return None;
    }
    Some(format!("{}{}", &u[..s], &u[q..]))
}

impl Runtime {
    /// A nathelper function: `None` when `c` is none of them.
    pub(crate) fn nathelper_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        if !NATHELPER_FUNCS.contains(&n) {
            return None;
        }
        // an int parameter (fixup_igp): a PV must hold an integer, else -1
        macro_rules! int {
            ($i:expr) => {
                match c.args.get($i) {
                    None => 0,
                    Some(e) => match self.int_param(ctx, e) {
                        Some(v) => v,
                        None => return Some(-1),
                    },
                }
            };
        }
        macro_rules! s {
            ($i:expr) => {
                match c.args.get($i) {
                    Some(e) => self.eval_arg(ctx, e),
                    None => String::new(),
                }
            };
        }
        let nargs = c.args.len();
        Some(match n {
            "nat_uac_test" => {
                let f = int!(0);
                self.nat_uac_test(ctx, f)
            }
            "fix_nated_contact" => self.fix_nated_contact(ctx),
            "set_contact_alias" => {
                let trim = int!(0) > 0;
                self.set_contact_alias(ctx, trim)
            }
            "add_contact_alias" => {
                if nargs >= 3 {
                    let (ip, port, proto) = (s!(0), s!(1), s!(2));
                    add_contact_alias_3(ctx, &ip, &port, &proto)
                } else {
                    add_contact_alias_0(ctx)
                }
            }
            "handle_ruri_alias" => {
                let mode = int!(0);
                handle_ruri_alias(ctx, mode)
            }
            "fix_nated_register" => self.fix_nated_register(ctx),
            "add_rcv_param" => {
                let upos = int!(0);
                add_rcv_param(ctx, upos != 0)
            }
            "is_rfc1918" => {
                let a = s!(0);
                if a.is_empty() {
                    -2
                } else if is_1918_str(&a, self.nat_addr_mode()) == Some(true) {
                    1
                } else {
                    -1
                }
            }
            _ => {
                // fix_nated_sdp(level [, ip])
                let level = int!(0);
                let ip = if nargs > 1 { Some(s!(1)) } else { None };
                let sdp_old = self
                    .prog
                    .modparam_int("nathelper", "append_sdp_oldmediaip", 1);
                let nortp = self
                    .prog
                    .modparam_str("nathelper", "nortpproxy_str")
                    .unwrap_or_else(|| "a=nortpproxy:yes".into());
                fix_nated_sdp(ctx, level, ip.as_deref(), sdp_old != 0, &nortp)
            }
        })
    }

    fn nat_addr_mode(&self) -> i64 {
        self.prog.modparam_int("nathelper", "nat_addr_mode", 1)
    }

    /// `nat_uac_test(flags)`: 1 when one of the selected tests holds.
    pub(crate) fn nat_uac_test(&mut self, ctx: &mut Ctx, tests: i64) -> i64 {
        let mode = self.nat_addr_mode();
        let m = &ctx.msg;
        let via = m.via1();
        // 16: source port differs from the top Via's port
        if tests & 0x10 != 0 {
            if let Some(v) = &via {
                let p: u16 = v.port.trim().parse().unwrap_or(5060);
                if ctx.src.port() != p {
                    return 1;
                }
            }
        }
        // 2: source address differs from the top Via's host (text compare)
        if tests & 0x02 != 0 {
            if let Some(v) = &via {
                let s = ip_text(ctx.src.ip());
                let h = v.host.trim();
                let same = h == s
                    || (ctx.src.is_ipv6()
                        && (h.eq_ignore_ascii_case(&s)
                            || h.strip_prefix('[')
                                .and_then(|x| x.strip_suffix(']'))
                                .is_some_and(|x| x.eq_ignore_ascii_case(&s))));
                if !same {
                    return 1;
                }
            }
        }
        // 1: private address in the Contact URI
        if tests & 0x01 != 0 {
            if let Some((_, u, sp)) = first_contact(m) {
                if is_1918_str(&u[sp.host.0..sp.host.1], mode) == Some(true) {
                    return 1;
                }
            }
        }
        // 8: private address in the SDP
        if tests & 0x08 != 0 && sdp_1918(m, ctx.script_body(), mode) {
            return 1;
        }
        // 4: private address in the top Via
        if tests & 0x04 != 0 {
            if let Some(v) = &via {
                if is_1918_str(v.host.trim(), mode) == Some(true) {
                    return 1;
                }
            }
        }
        // 32: private source address
        if tests & 0x20 != 0 {
            if let IpAddr::V4(a) = ctx.src.ip() {
                if is_1918_v4(a, mode) {
                    return 1;
                }
            }
        }
        // 64: received over WebSocket
        if tests & 0x40 != 0 && ctx.proto == Proto::Ws {
            return 1;
        }
        // 128: source port differs from the Contact URI's port
        if tests & 0x80 != 0 {
            if let Some((_, u, sp)) = first_contact(m) {
                let p = sp.port_no(&u);
                if ctx.src.port() != if p == 0 { 5060 } else { p } {
                    return 1;
                }
            }
        }
        // 256: an SDP session's c= address differs from the source address
        if tests & 0x100 != 0 && sdp_cline_mismatch(m, ctx.script_body(), ctx.src.ip()) {
            return 1;
        }
        // 512: destination differs from the R-URI (2nd Via for replies)
        if tests & 0x200 != 0 && test_destination(ctx) > 0 {
            return 1;
        }
        -1
    }

    fn fix_nated_contact(&mut self, ctx: &mut Ctx) -> i64 {
        let Some((c, u, sp)) = first_contact(&ctx.msg) else {
            return -1;
        };
        if ctx.contact_fixed {
            self.nh_error("you can't call fix_nated_contact twice, check your config!");
            return -1;
        }
        let src = format!("{}:{}", ip_uri(ctx.src.ip()), ctx.src.port());
        let mut new = format!("{}{}", &u[..sp.host.0], src);
        match sp.param(&u, "maddr") {
            None => new.push_str(&u[sp.hostport_end..]),
            Some((ms, me)) => {
                // the maddr parameter goes: it makes no sense any more
                let p1 = u[sp.hostport_end..ms].trim_end_matches([' ', '\t', ';']);
                new.push_str(p1);
                new.push_str(&u[me..]);
            }
        }
        replace_span(ctx, c.hdr, c.uri, &new);
        ctx.contact_fixed = true;
        1
    }

    fn set_contact_alias(&mut self, ctx: &mut Ctx, trim: bool) -> i64 {
        let Some((c, u, _)) = first_contact(&ctx.msg) else {
            return -1;
        };
        if ctx.contact_fixed {
            self.nh_error("you can't update contact twice, check your config!");
            return -1;
        }
        let base = if trim {
            trim_rcv_alias(&u).unwrap_or(u)
        } else {
            u
        };
        let mut new = format!("{base}{}", rcv_alias(ctx.src, ctx.proto));
        if !c.bracketed {
            new = format!("<{new}>");
        }
        replace_span(ctx, c.hdr, c.uri, &new);
        ctx.contact_fixed = true;
        1
    }

    fn fix_nated_register(&mut self, ctx: &mut Ctx) -> i64 {
        let Some(key) = self.received_avp_key("nathelper") else {
            return 1;
        };
        let uri = src_uri(ctx.src, ctx.proto);
        self.avps_pub(ctx)
            .entry(key)
            .or_default()
            .push(crate::value::Val::Str(uri));
        1
    }

    /// The AVP a module's `received_avp` parameter names, as the engine
    /// keys AVPs (`avp:NAME`).
    pub(crate) fn received_avp_key(&self, module: &str) -> Option<String> {
        let p = self.prog.modparam_str(module, "received_avp")?;
        let p = p.trim();
        let inner = p.strip_prefix("$avp(")?.strip_suffix(')')?;
        Some(format!("avp:{inner}"))
    }

    fn nh_error(&mut self, text: &str) {
        self.step(crate::event::Step::Note {
            text: format!("nathelper: {text}"),
        });
    }
}

/// `add_contact_alias()`: 1 added, 2 not needed (or no Contact), -1 error.
fn add_contact_alias_0(ctx: &mut Ctx) -> i64 {
    if !ctx.msg.headers.iter().any(|h| h.is("contact")) {
        return 2;
    }
    let Some((c, u, sp)) = first_contact(&ctx.msg) else {
        return -1;
    };
    let host = &u[sp.host.0..sp.host.1];
    let hip = host.parse::<Ipv4Addr>().map(IpAddr::V4).ok().or_else(|| {
        host.strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(IpAddr::V6)
    });
    if let Some(ip) = hip {
        let port = sp.port_no(&u);
        if ip == ctx.src.ip()
            && (ctx.src.port() == port || (sp.port.is_none() && ctx.src.port() == 5060))
            && sp.proto(&u) == proto_num(ctx.proto)
        {
            return 2;
        }
    }
    if ctx.contact_fixed {
        return -1;
    }
    let a = rcv_alias(ctx.src, ctx.proto);
    insert_alias(ctx, &c, &sp, &a);
    1
}

/// `add_contact_alias(ip, port, proto)`.
fn add_contact_alias_3(ctx: &mut Ctx, ip: &str, port: &str, proto: &str) -> i64 {
    if !ctx.msg.headers.iter().any(|h| h.is("contact")) {
        return 2;
    }
    let Some((c, _, sp)) = first_contact(&ctx.msg) else {
        return -1;
    };
    let ip_ok = ip.parse::<Ipv4Addr>().is_ok()
        || ip
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(ip)
            .parse::<std::net::Ipv6Addr>()
            .is_ok();
    if !ip_ok {
        return -1;
    }
    match port.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) && port.bytes().all(|b| b.is_ascii_digit()) => {}
        _ => return -1,
    }
    let Some(pn) = proto_num_of_name(proto) else {
        return -1;
    };
    if ctx.contact_fixed {
        return -1;
    }
    let a = format!(";alias={ip}~{port}~{pn}");
    insert_alias(ctx, &c, &sp, &a);
    1
}

/// Insert `;alias=...` after the Contact URI's host[:port]; a contact
/// header without `<` gets one before its value and `>` after the alias.
fn insert_alias(ctx: &mut Ctx, c: &ContactSpan, sp: &UriSpans, alias: &str) {
    keep_orig(ctx, c.hdr);
    ctx.contact_parsed_orig = true;
    let h = &mut ctx.msg.headers[c.hdr].value;
    let mut v = h.to_string();
    let at = c.uri.0 + sp.hostport_end;
    if v.contains('<') {
        v.insert_str(at, alias);
    } else {
        v.insert_str(at, &format!("{alias}>"));
        v.insert(0, '<');
    }
    *h = v.into();
}

/// `handle_ruri_alias([mode])`: 1 done, 2 no alias, -1 error. As in
/// 5.6.3: mode 1 (the last alias) keeps the length left after the scan, so
/// the value it reads is 6 bytes short; the first `~` of the chosen alias
/// becomes `:` in the R-URI itself before the value is checked.
fn handle_ruri_alias(ctx: &mut Ctx, mode: i64) -> i64 {
    const ALIAS: &[u8] = b"alias=";
    let mut ruri = ctx.msg.ruri().as_bytes().to_vec();
    let text = String::from_utf8_lossy(&ruri).into_owned();
    let Some(sp) = UriSpans::parse(&text) else {
        return -1;
    };
    // sip_params: after the ';' that follows host[:port], up to '?'
    if sp.hostport_end >= sp.params_end || ruri[sp.hostport_end] != b';' {
        return 2;
    }
    let pend = sp.params_end;
    let mut rest = sp.hostport_end + 1;
    let mut rest_len = pend - rest;
    let mut start = None;
    while rest_len > ALIAS.len() + 4 {
        if ruri[rest..].starts_with(ALIAS) {
            start = Some(rest);
            if mode == 0 {
                break;
            }
            rest += ALIAS.len();
            rest_len -= ALIAS.len();
        }
        match ruri[rest..rest + rest_len].iter().position(|&c| c == b';') {
            None => break,
            Some(x) => {
                rest_len -= x + 1;
                rest += x + 1;
            }
        }
    }
    let Some(start) = start else {
        return 2;
    };
    let val = start + ALIAS.len();
    // unsigned in C: a wrap makes the searches run to the end
    let val_len = rest_len.checked_sub(ALIAS.len()).unwrap_or(usize::MAX);
    let rl = ruri.len();
    let lim = move |from: usize, len: usize| -> usize { from.saturating_add(len).min(rl) };
    let Some(t1) = ruri[val..lim(val, val_len)]
        .iter()
        .position(|&c| c == b'~')
        .map(|x| val + x)
    else {
        return -1;
    };
    ruri[t1] = b':';
    ctx.msg.set_ruri(&String::from_utf8_lossy(&ruri));
    let port = t1 + 1;
    let left = val_len.checked_sub(port - val).unwrap_or(usize::MAX);
    let Some(t2) = ruri[port.min(ruri.len())..lim(port, left)]
        .iter()
        .position(|&c| c == b'~')
        .map(|x| port + x)
    else {
        return -1;
    };
    let ip_port_len = t2 - val;
    let trans = t2 + 1;
    let tch = ruri.get(trans).copied().unwrap_or(0);
    if ip_port_len + 2 > val_len || tch == b';' || tch == b'?' {
        return -1;
    }
    let mut du = format!("sip:{}", String::from_utf8_lossy(&ruri[val..t2]));
    let proto = tch.wrapping_sub(b'0');
    if proto != 1 {
        let name = match proto {
            2 => "tcp",
            3 => "tls",
            4 => "sctp",
            5 | 6 => "ws",
            _ => return -1,
        };
        du.push_str(";transport=");
        du.push_str(name);
    }
    let next = trans + 1;
    let nch = ruri.get(next).copied().unwrap_or(0);
    if ip_port_len + 2 < val_len && nch != b';' && nch != b'?' {
        return -1;
    }
    ctx.du = Some(du);
    // the R-URI without ";alias=ip~port~N"
    let alias_len = 1 + ALIAS.len() + ip_port_len + 2;
    let keep = start - 1;
    let mut new = ruri[..keep].to_vec();
    new.extend_from_slice(&ruri[(keep + alias_len).min(ruri.len())..]);
    ctx.msg.set_ruri(&String::from_utf8_lossy(&new));
    1
}

/// `add_rcv_param([flag])`: `;received="sip:ip:port"` after every contact
/// (flag 0) or `;received=sip:ip:port` inside every contact URI (flag 1,
/// UDP only).
fn add_rcv_param(ctx: &mut Ctx, upos: bool) -> i64 {
    if upos && ctx.proto != Proto::Udp {
        return -1;
    }
    let uri = src_uri(ctx.src, ctx.proto);
    let idx: Vec<usize> = ctx
        .msg
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.is("contact"))
        .map(|(i, _)| i)
        .collect();
    for hi in idx {
        let spans = contact_spans(&ctx.msg.headers[hi].value, hi);
        // from the last, so the earlier offsets stay right
        for c in spans.iter().rev() {
            let (at, p) = if upos {
                (c.uri.1, format!(";received={uri}"))
            } else {
                (c.end, format!(";received=\"{uri}\""))
            };
            keep_orig(ctx, hi);
            let mut v = ctx.msg.headers[hi].value.to_string();
            v.insert_str(at, &p);
            ctx.msg.headers[hi].value = v.into();
        }
    }
    ctx.contact_parsed_orig = true;
    1
}

/// The SDP of a message: `None` unless the body is `application/sdp`.
fn sdp_body<'a>(m: &SipMsg, body: &'a str) -> Option<&'a str> {
    if body.is_empty() {
        return None;
    }
    let ct = m.header("content-type")?;
    let t = ct.split(';').next().unwrap_or("").trim();
    if t.eq_ignore_ascii_case("application/sdp") {
        Some(body)
    } else {
        None
    }
}

/// One SDP session: its own `c=` and its streams' `c=` (address family and
/// address; `None` without a c= line).
#[derive(Debug, Default)]
struct SdpSession {
    c: Option<(String, String)>,
    streams: Vec<Option<(String, String)>>,
}

fn parse_sdp_sessions(body: &str) -> Vec<SdpSession> {
    let mut out: Vec<SdpSession> = Vec::new();
    for l in body.split('\n') {
        let l = l.strip_suffix('\r').unwrap_or(l);
        if l.starts_with("v=") || out.is_empty() {
            out.push(SdpSession::default());
            if l.starts_with("v=") {
                continue;
            }
        }
        let s = out.last_mut().expect("a session");
        if l.starts_with("m=") {
            s.streams.push(None);
        } else if let Some(c) = l.strip_prefix("c=") {
            let mut it = c.split_whitespace();
            let (_net, af, addr) = (it.next(), it.next(), it.next());
            if let (Some(af), Some(addr)) = (af, addr) {
                let addr = addr.split('/').next().unwrap_or(addr).to_string();
                let v = Some((af.to_string(), addr));
                match s.streams.last_mut() {
                    Some(st) => *st = v,
                    None => s.c = v,
                }
            }
        }
    }
    out
}

/// nathelper's `sdp_1918`.
fn sdp_1918(m: &SipMsg, body: &str, mode: i64) -> bool {
    let Some(body) = sdp_body(m, body) else {
        return false;
    };
    for s in parse_sdp_sessions(body) {
        for st in &s.streams {
            let Some((af, ip)) = st.as_ref().or(s.c.as_ref()) else {
                break;
            };
            if af != "IP4" || ip == "0.0.0.0" {
                break;
            }
            if is_1918_str(ip, mode) == Some(true) {
                return true;
            }
        }
    }
    false
}

/// nathelper's `test_sdp_cline`: a session whose c= address is not the
/// source address.
fn sdp_cline_mismatch(m: &SipMsg, body: &str, src: IpAddr) -> bool {
    let Some(body) = sdp_body(m, body) else {
        return false;
    };
    let mut n = 0;
    let mut same = 0;
    for s in parse_sdp_sessions(body) {
        let Some((af, ip)) = &s.c else {
            break;
        };
        let a = match af.as_str() {
            "IP4" => ip.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
            "IP6" => ip.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6),
            _ => None,
        };
        let Some(a) = a else {
            return false;
        };
        if a == src {
            same += 1;
        }
        n += 1;
    }
    n - same > 0
}

/// nathelper's `nh_test_destination`.
fn test_destination(ctx: &Ctx) -> i64 {
    let m = &ctx.msg;
    let sip_port = |port: &str, tr: &str| -> u16 {
        port.trim()
            .parse()
            .unwrap_or(if tr.eq_ignore_ascii_case("tls") {
                5061
            } else {
                5060
            })
    };
    let (dhost, rhost) = if !m.is_request() {
        let vias = m.header_elems("via");
        let Some(v2) = vias.get(1).map(|v| crate::sip::Via::parse(v)) else {
            return 0;
        };
        let tr = v2.transport.to_ascii_lowercase();
        if tr == "ws" || tr == "wss" {
            return 1;
        }
        let dport: u16 = v2.param("rport").and_then(|r| r.parse().ok()).unwrap_or(0);
        if dport != 0 && dport != sip_port(&v2.port, &tr) {
            return 1;
        }
        let Some(r) = v2.param("received") else {
            return 0;
        };
        (r, v2.host.clone())
    } else {
        let ru = crate::sip::Uri::parse(m.ruri());
        let Some(du) = &ctx.du else {
            return match ru {
                Some(u) if matches!(u.transport().as_str(), "ws" | "wss") => 1,
                _ => 0,
            };
        };
        let Some(d) = crate::sip::Uri::parse(du) else {
            return -1;
        };
        if matches!(d.transport().as_str(), "ws" | "wss") {
            return 1;
        }
        let Some(r) = ru else {
            return -1;
        };
        // the port, or the default of the URI's transport
        let port = |u: &crate::sip::Uri| {
            if !u.port.is_empty() {
                u.port_num()
            } else if u.transport() == "tls" || u.scheme == "sips" {
                5061
            } else {
                5060
            }
        };
        let (dp, rp) = (port(&d), port(&r));
        if dp != rp {
            return 1;
        }
        (d.host, r.host)
    };
    if dhost.is_empty() {
        return 0;
    }
    let ipx = |h: &str| -> Option<IpAddr> { h.trim_matches(['[', ']']).parse::<IpAddr>().ok() };
    match (ipx(&dhost), ipx(&rhost)) {
        (None, None) => i64::from(!rhost.is_empty() && rhost != dhost),
        (Some(a), Some(b)) => i64::from(a != b),
        _ => 1,
    }
}

/// `fix_nated_sdp(level [, ip])`: 1 changed, 2 nothing to change, -1 error.
/// level: 1 adds `a=direction:active`, 2 rewrites `c=` (and `a=rtcp`), 4
/// adds the `nortpproxy_str` line, 8 rewrites `o=` (and `a=rtcp`).
fn fix_nated_sdp(ctx: &mut Ctx, level: i64, ip: Option<&str>, old: bool, nortp: &str) -> i64 {
    if ctx.msg.body.is_empty() || sdp_body(&ctx.msg, &ctx.msg.body).is_none() {
        return -1;
    }
    let newip = match ip.filter(|s| !s.is_empty()) {
        Some(s) => s.to_string(),
        None => ip_text(ctx.src.ip()),
    };
    let body = ctx.msg.body.clone();
    // edits as (offset, deleted length, inserted text), applied at the end
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut count = 0;
    if level & 1 != 0 {
        // after every media section: before the next "\r\nm=" or at the end
        if let Some(mut from) = body.find("\r\nm=") {
            loop {
                let ms = from + 4;
                let end = body[ms..].find("\r\nm=").map(|x| ms + x);
                edits.push((
                    end.unwrap_or(body.len()),
                    0,
                    "\r\na=direction:active".into(),
                ));
                match end {
                    Some(e) => from = e,
                    None => break,
                }
            }
        }
    }
    if level & 4 != 0 && !nortp.is_empty() {
        edits.push((body.len(), 0, format!("\r\n{nortp}")));
    }
    if level & (2 | 8) != 0 {
        let mut lines: Vec<(&str, bool)> = vec![("a=rtcp", true)];
        if level & 2 != 0 {
            lines.push(("c=", false));
        }
        if level & 8 != 0 {
            lines.push(("o=", false));
        }
        for (line, can_omit) in lines {
            match replace_sdp_ip(&body, line, &newip, old, can_omit, &mut edits) {
                Some(c) => count += c,
                None => return -1,
            }
        }
    }
    if edits.is_empty() && count == 0 {
        return 2;
    }
    // apply from the end; at one offset, in the order they were made
    let mut idx: Vec<usize> = (0..edits.len()).collect();
    idx.sort_by(|a, b| edits[*b].0.cmp(&edits[*a].0).then(b.cmp(a)));
    let mut nb = body;
    for i in idx {
        let (at, del, ins) = &edits[i];
        nb.replace_range(*at..*at + *del, ins);
    }
    if ctx.body_orig.is_none() {
        ctx.body_orig = Some(std::mem::replace(&mut ctx.msg.body, nb));
    } else {
        ctx.msg.body = nb;
    }
    ctx.msg.fix_content_length();
    if count > 0 {
        1
    } else {
        2
    }
}

/// nathelper's `replace_sdp_ip` for one line kind: `None` on a line without
/// `IP4`/`IP6` (unless it may be omitted, as `a=rtcp` without an address).
fn replace_sdp_ip(
    body: &str,
    line: &str,
    newip: &str,
    old: bool,
    can_omit: bool,
    edits: &mut Vec<(usize, usize, String)>,
) -> Option<i64> {
    let mut count = 0;
    let mut pos = 0;
    while let Some(x) = body[pos..].find(line) {
        let at = pos + x;
        pos = at + line.len();
        if at > 0 && !matches!(body.as_bytes()[at - 1], b'\n' | b'\r') {
            continue;
        }
        let lend = body[pos..]
            .find(['\r', '\n'])
            .map(|e| pos + e)
            .unwrap_or(body.len());
        // the token after IP4/IP6
        let text = &body[pos..lend];
        let mut off = pos;
        let mut found = None;
        let mut next_is_ip = false;
        for tok in text.split(' ') {
            if next_is_ip {
                if !tok.is_empty() {
                    found = Some((off, tok));
                }
                break;
            }
            if tok == "IP4" || tok == "IP6" {
                next_is_ip = true;
            }
            off += tok.len() + 1;
        }
        let Some((ipos, oldip)) = found else {
            if can_omit {
                continue;
            }
            return None;
        };
        // null addresses and the same address stay
        if oldip == "0.0.0.0"
            || oldip.bytes().all(|b| b == b'0' || b == b':') && oldip.contains(':')
        {
            continue;
        }
        if oldip == newip {
            continue;
        }
        if old {
            let v6 = body[pos..ipos].contains("IP6");
            let name = if v6 {
                "a=oldmediaip6:"
            } else {
                "a=oldmediaip:"
            };
            edits.push((body.len(), 0, format!("\r\n{name}{oldip}")));
        }
        edits.push((ipos, oldip.len(), newip.to_string()));
        count += 1;
    }
    Some(count)
}

/// Kamailio's number of a transport name (`PROTO_UDP` = 1 ... `PROTO_WSS` = 6).
fn proto_num_of_name(name: &str) -> Option<u8> {
    Some(match name.to_ascii_lowercase().as_str() {
        "udp" => 1,
        "tcp" => 2,
        "tls" => 3,
        "sctp" => 4,
        "ws" => 5,
        "wss" => 6,
        _ => return None,
    })
}
