//! SIP message model: parse, inspect, change and serialise requests and
//! replies the way the runtime needs them.
//!
//! A message keeps its headers as written (name and value text), so a
//! forwarded request reproduces the headers Kamailio would copy byte for
//! byte; changes (header added or removed, Via inserted, Request-URI
//! rewritten) are applied to this list, and the message is serialised
//! again with a recomputed Content-Length only when the body changed.

use std::fmt::Write as _;

/// Largest message the runtime accepts (Kamailio's `BUF_SIZE` is 64 KiB).
pub const MAX_MSG_SIZE: usize = 65_535;

/// Line ends of a message head kept by the parser's first scan (a head
/// with more lines is split by a second scan).
const LINE_ENDS: usize = 64;

pub use smol_str::SmolStr;

/// One header line. Name and value are [`SmolStr`]s: short texts inline,
/// longer ones shared, so a copy of a message (for the transaction, a
/// branch, the timeline) allocates nothing per header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The name as written (`v`, `Via`, `call-id`).
    pub name: SmolStr,
    /// The value, trimmed, folded lines joined with one space.
    pub value: SmolStr,
    /// Index in [`KNOWN`] of the canonical name (`canon_name(name)`), found
    /// once when the header is made; [`OTHER`] for the rest. Headers are
    /// looked up by name many times per message: this makes a lookup a
    /// compare of two short static strings.
    kind: u8,
}

impl PartialEq for Header {
    fn eq(&self, o: &Header) -> bool {
        // `kind` follows from `name`
        self.name == o.name && self.value == o.value
    }
}
impl Eq for Header {}

/// The canonical (lower-case long) names with a cached kind.
const KNOWN: [&str; 36] = [
    "via",
    "from",
    "to",
    "call-id",
    "cseq",
    "contact",
    "content-length",
    "content-type",
    "max-forwards",
    "route",
    "record-route",
    "user-agent",
    "expires",
    "server",
    "allow",
    "supported",
    "require",
    "proxy-require",
    "authorization",
    "proxy-authorization",
    "www-authenticate",
    "proxy-authenticate",
    "event",
    "subject",
    "content-encoding",
    "refer-to",
    "referred-by",
    "allow-events",
    "accept-contact",
    "reject-contact",
    "request-disposition",
    "session-expires",
    "identity",
    "identity-info",
    "p-asserted-identity",
    "content-disposition",
];
const OTHER: u8 = u8::MAX;
/// The usual spelling of each [`KNOWN`] name (RFC 3261's): a parsed header
/// written so keeps this static text as its name instead of a copy.
const WRITTEN: [&str; 36] = [
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Content-Length",
    "Content-Type",
    "Max-Forwards",
    "Route",
    "Record-Route",
    "User-Agent",
    "Expires",
    "Server",
    "Allow",
    "Supported",
    "Require",
    "Proxy-Require",
    "Authorization",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Proxy-Authenticate",
    "Event",
    "Subject",
    "Content-Encoding",
    "Refer-To",
    "Referred-By",
    "Allow-Events",
    "Accept-Contact",
    "Reject-Contact",
    "Request-Disposition",
    "Session-Expires",
    "Identity",
    "Identity-Info",
    "P-Asserted-Identity",
    "Content-Disposition",
];
/// [`KNOWN`] indexes of the headers looked up most (see
/// [`SipMsg::header_known`]).
pub(crate) const K_VIA: u8 = 0;
pub(crate) const K_FROM: u8 = 1;
pub(crate) const K_TO: u8 = 2;
pub(crate) const K_CALL_ID: u8 = 3;
pub(crate) const K_CSEQ: u8 = 4;
pub(crate) const K_CONTACT: u8 = 5;
pub(crate) const K_CONTENT_LENGTH: u8 = 6;
pub(crate) const K_RECORD_ROUTE: u8 = 10;
pub(crate) const K_SERVER: u8 = 13;

/// The [`KNOWN`] index of `canon` when it is one of them exactly (a
/// lower-case long name), else [`OTHER`].
#[inline(always)]
fn canon_kind(canon: &str) -> u8 {
    canon_kind_bytes(canon.as_bytes())
}

#[inline(always)]
fn canon_kind_bytes(b: &[u8]) -> u8 {
    for &k in candidates(b.len(), b.first().copied().unwrap_or(0)) {
        if eq_short(KNOWN[k as usize].as_bytes(), b) {
            return k;
        }
    }
    OTHER
}

/// The [`KNOWN`] names of this length and first byte: a cheap filter
/// before the one compare.
#[inline(always)]
fn candidates(len: usize, first: u8) -> &'static [u8] {
    match (len, first) {
        (3, b'v') => &[0],
        (4, b'f') => &[1],
        (2, b't') => &[2],
        (7, b'c') => &[3, 5],
        (4, b'c') => &[4],
        (14, b'c') => &[6],
        (12, b'c') => &[7],
        (12, b'm') => &[8],
        (5, b'r') => &[9],
        (12, b'r') => &[10],
        (10, b'u') => &[11],
        (7, b'e') => &[12],
        (6, b's') => &[13],
        (5, b'a') => &[14],
        (9, b's') => &[15],
        (7, b'r') => &[16],
        (13, b'p') => &[17],
        (13, b'a') => &[18],
        (19, b'p') => &[19, 34],
        (16, b'w') => &[20],
        (18, b'p') => &[21],
        (5, b'e') => &[22],
        (7, b's') => &[23],
        (16, b'c') => &[24],
        (8, b'r') => &[25],
        (11, b'r') => &[26],
        (12, b'a') => &[27],
        (14, b'a') => &[28],
        (14, b'r') => &[29],
        (19, b'r') => &[30],
        (15, b's') => &[31],
        (8, b'i') => &[32],
        (13, b'i') => &[33],
        (19, b'c') => &[35],
        _ => &[],
    }
}

/// [`kind_of`] for a token of two bytes or more. In a token only ASCII
/// letters change under `| 0x20` into a letter, and `-` is the only other
/// byte of the known names: `x | 0x20 == '-'` is `-` or CR, not a token byte.
/// So `name | 0x20 == known` (bytewise) is `eq_ignore_ascii_case` here.
fn kind_of_token(b: &[u8]) -> u8 {
    let n = b.len();
    for &k in candidates(n, b[0].to_ascii_lowercase()) {
        let c = KNOWN[k as usize].as_bytes();
        let same = if n < 8 {
            b.iter().zip(c).all(|(x, y)| x | 0x20 == *y)
        } else {
            let word =
                |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
            const FOLD: u64 = 0x2020_2020_2020_2020;
            let mut i = 0;
            let mut eq = true;
            while i + 8 < n {
                if word(b, i) | FOLD != word(c, i) {
                    eq = false;
                    break;
                }
                i += 8;
            }
            eq && word(b, n - 8) | FOLD == word(c, n - 8)
        };
        if same {
            return k;
        }
    }
    OTHER
}

/// `a == b` for two texts of the same length (a name of at most 19 bytes)
/// in word compares, without a call to `memcmp`.
#[inline(always)]
fn eq_short(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// The [`KNOWN`] index of `name`'s canonical name: the one `is_name` accepts.
fn kind_of(name: &str) -> u8 {
    let b = name.as_bytes();
    let solid = |b: u8| b.is_ascii() && !b.is_ascii_whitespace();
    if b.len() > 1 && solid(b[0]) && solid(b[b.len() - 1]) {
        // a long name as written (nearly always): its lower-case form
        if b.len() > 20 {
            return OTHER;
        }
        let mut low = [0u8; 20];
        for (d, s) in low.iter_mut().zip(b) {
            *d = s.to_ascii_lowercase();
        }
        return canon_kind_bytes(&low[..b.len()]);
    }
    KNOWN
        .iter()
        .position(|c| is_name(name, c))
        .map_or(OTHER, |i| i as u8)
}

impl Header {
    pub fn new(name: impl Into<SmolStr>, value: impl Into<SmolStr>) -> Header {
        let name = name.into();
        let kind = kind_of(&name);
        Header {
            name,
            value: value.into(),
            kind,
        }
    }
    /// [`Header::new`] for a literal name whose [`KNOWN`] index is `kind`
    /// (`Header::known(K_VIA, "Via", v)`): the name is not copied nor
    /// looked up (a unit test checks each pair used).
    #[inline]
    pub(crate) fn known(kind: u8, name: &'static str, value: impl Into<SmolStr>) -> Header {
        debug_assert_eq!(kind_of(name), kind);
        Header {
            name: SmolStr::new_static(name),
            value: value.into(),
            kind,
        }
    }
    /// This header with another value (same name and kind).
    #[inline]
    pub(crate) fn with_value(&self, value: impl Into<SmolStr>) -> Header {
        Header {
            name: self.name.clone(),
            value: value.into(),
            kind: self.kind,
        }
    }
    /// [`Header::new`] for a name the parser checked is a token (letters,
    /// digits and `-.!%*_+`'~`): its kind is found with word compares.
    fn with_token_name(name: &str, value: &str) -> Header {
        let b = name.as_bytes();
        let kind = if b.len() > 1 {
            kind_of_token(b)
        } else {
            kind_of(name)
        };
        // the usual spelling of a known name: no copy of it
        let name = match WRITTEN.get(kind as usize) {
            Some(w) if eq_short(b, w.as_bytes()) => SmolStr::new_static(w),
            _ => name.into(),
        };
        Header {
            name,
            value: value.into(),
            kind,
        }
    }
    /// The canonical lower-case long name (`v` → `via`).
    pub fn canon(&self) -> String {
        canon_name(&self.name)
    }
    /// Is this header `canon` (a lower-case long name)? No allocation:
    /// it is asked for every header of every lookup.
    #[inline]
    pub fn is(&self, canon: &str) -> bool {
        self.is_kind(canon, canon_kind(canon))
    }
    /// The canonical name when it is one of the well-known ones
    /// (`Some(c)` exactly when `self.is(c)`, for those).
    pub(crate) fn known_canon(&self) -> Option<&'static str> {
        KNOWN.get(self.kind as usize).copied()
    }
    /// [`Header::is`] with `canon_kind(canon)` already known (a lookup
    /// over all headers finds it once).
    #[inline]
    fn is_kind(&self, canon: &str, kind: u8) -> bool {
        if kind != OTHER {
            // `canon` is a known name as is: the header is it exactly when
            // its name's canonical form is (`is_name` is that test)
            return self.kind == kind;
        }
        is_name(&self.name, canon)
    }
}

/// Is a header named `name` the header `canon`: `canon` equal (ASCII case
/// ignored) to the trimmed name, or to the long form of a compact name.
fn is_name(name: &str, canon: &str) -> bool {
    let raw = name.as_bytes();
    // the common case: a long name as written, compared in place
    if raw.len() == canon.len() && canon.len() > 1 {
        if raw.eq_ignore_ascii_case(canon.as_bytes()) {
            return true;
        }
        // nothing to trim (no ASCII or other whitespace at either end)
        let solid = |b: u8| b.is_ascii() && !b.is_ascii_whitespace();
        if solid(raw[0]) && solid(raw[raw.len() - 1]) {
            return false;
        }
    }
    // names are stored trimmed (by the parser): a name of another length
    // that is neither compact nor padded cannot match
    if raw.len() != canon.len()
        && raw.len() != 1
        && !raw.first().is_some_and(u8::is_ascii_whitespace)
        && !raw.last().is_some_and(u8::is_ascii_whitespace)
    {
        return false;
    }
    let n = name.trim();
    if n.len() == 1 {
        let mut b = [0u8; 1];
        let l = n.as_bytes()[0].to_ascii_lowercase() as char;
        return compact_long(l.encode_utf8(&mut b)) == Some(canon);
    }
    n.eq_ignore_ascii_case(canon)
}

/// `str::trim`, without the Unicode scan when neither end is whitespace or
/// non-ASCII (header names, values and parameters nearly always).
#[inline]
pub fn trim(s: &str) -> &str {
    let solid = |b: u8| b.is_ascii() && !b.is_ascii_whitespace();
    match s.as_bytes() {
        [] => s,
        [f, .., l] if solid(*f) && solid(*l) => s,
        [f] if solid(*f) => s,
        _ => trim_slow(s),
    }
}

/// The rest of [`trim`]: `str::trim`, with the common case (spaces around
/// a header value) done on bytes.
#[inline(never)]
fn trim_slow(s: &str) -> &str {
    let b = s.as_bytes();
    // spaces around a header value: strip ASCII whitespace; when what is
    // left starts and ends with ASCII that `str::trim` keeps (not
    // whitespace, not the vertical tab), that is its result
    let keep = |b: u8| b.is_ascii() && !b.is_ascii_whitespace() && b != 0x0b;
    // most often: the one space after a header's colon
    if b.len() >= 2 && b[0] == b' ' && keep(b[1]) && keep(b[b.len() - 1]) {
        return &s[1..];
    }
    let st = b.iter().position(|c| !c.is_ascii_whitespace());
    let en = b.iter().rposition(|c| !c.is_ascii_whitespace());
    match (st, en) {
        (Some(i), Some(j)) if keep(b[i]) && keep(b[j]) => &s[i..=j],
        _ => s.trim(),
    }
}

fn compact_long(l: &str) -> Option<&'static str> {
    Some(match l {
        "i" => "call-id",
        "m" => "contact",
        "e" => "content-encoding",
        "l" => "content-length",
        "c" => "content-type",
        "f" => "from",
        "s" => "subject",
        "k" => "supported",
        "t" => "to",
        "v" => "via",
        "r" => "refer-to",
        "b" => "referred-by",
        "o" => "event",
        "u" => "allow-events",
        "a" => "accept-contact",
        "j" => "reject-contact",
        "d" => "request-disposition",
        "x" => "session-expires",
        "y" => "identity",
        "n" => "identity-info",
        _ => return None,
    })
}

/// `canon_name(name) == canon` without building the canonical name
/// (`canon` a lower-case name).
#[inline]
pub fn name_is(name: &str, canon: &str) -> bool {
    let b = name.as_bytes();
    match b {
        // nothing for `str::trim` to take (ASCII, not whitespace, at both
        // ends): the lower-cased name or its long form
        [f, .., l] if f.is_ascii_graphic() && l.is_ascii_graphic() => {
            b.eq_ignore_ascii_case(canon.as_bytes())
        }
        [f] if f.is_ascii_graphic() => {
            let low = [f.to_ascii_lowercase()];
            let l = std::str::from_utf8(&low).unwrap_or("");
            match compact_long(l) {
                Some(long) => long == canon,
                None => l == canon,
            }
        }
        _ => canon_name(name) == canon,
    }
}

/// Compact header forms (RFC 3261 and extensions), as Kamailio's parser knows them.
pub fn canon_name(name: &str) -> String {
    let l = name.trim().to_ascii_lowercase();
    match compact_long(&l) {
        Some(long) => long.to_string(),
        None => l,
    }
}

/// The first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    // short texts inline, so a copy of a message copies no allocation here
    Request {
        method: SmolStr,
        uri: SmolStr,
        version: SmolStr,
    },
    Reply {
        version: SmolStr,
        code: u16,
        reason: SmolStr,
    },
}

/// A SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMsg {
    pub start: StartLine,
    pub headers: Vec<Header>,
    pub body: String,
}

/// Why a message could not be parsed (Kamailio drops such messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The bytes of a token (letters, digits and `-.!%*_+`'~`), by table.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        i += 1;
    }
    t
};

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| TOKEN[b as usize])
}

impl SipMsg {
    /// Parse one message. The body is everything after the blank line (for
    /// datagrams Kamailio takes the rest of the packet too).
    pub fn parse(data: &[u8]) -> Result<SipMsg, ParseError> {
        if data.len() > MAX_MSG_SIZE {
            return Err(ParseError(format!(
                "message of {} bytes is larger than {} bytes",
                data.len(),
                MAX_MSG_SIZE
            )));
        }
        // valid UTF-8 (nearly every message) is checked by the fast
        // validator; only the rest pays for the lossy conversion
        let text = match std::str::from_utf8(data) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(data),
        };
        // Kamailio skips leading CRLFs (keepalives are all CRLF)
        let text = text.trim_start_matches(['\r', '\n']);
        if text.is_empty() {
            return Err(ParseError("empty message (keepalive)".into()));
        }
        // the head ends at the first blank line: `\r\n\r\n` or `\n\n`,
        // whichever comes first (one scan over the line ends, which keeps
        // the line ends before it: they are the head's)
        let b = text.as_bytes();
        let mut ends = [0u32; LINE_ENDS];
        let mut nends = 0usize;
        let (head, body) = memchr::memchr_iter(b'\n', b)
            .find_map(|i| {
                if b.get(i + 1) == Some(&b'\n') {
                    Some((&text[..i], &text[i + 2..]))
                } else if i >= 1 && b[i - 1] == b'\r' && b[i + 1..].starts_with(b"\r\n") {
                    Some((&text[..i - 1], &text[i + 3..]))
                } else {
                    if nends < LINE_ENDS {
                        // (a message is at most MAX_MSG_SIZE bytes)
                        ends[nends] = i as u32;
                    }
                    nends += 1;
                    None
                }
            })
            .unwrap_or((text, ""));
        let hb = head.as_bytes();
        let mut pos = 0;
        let mut k = 0;
        // the lines of the head, without their `\r`
        let mut lines = std::iter::from_fn(|| {
            if pos > hb.len() {
                return None;
            }
            let end = if nends <= LINE_ENDS {
                // the line ends found above
                let e = ends
                    .get(k)
                    .filter(|_| k < nends)
                    .map_or(hb.len(), |&e| e as usize);
                k += 1;
                e
            } else {
                memchr::memchr(b'\n', &hb[pos..]).map_or(hb.len(), |e| pos + e)
            };
            let l = &head[pos..end];
            pos = end + 1;
            Some(l.strip_suffix('\r').unwrap_or(l))
        });
        let first = lines.next().unwrap_or("");
        let start = parse_start_line(first)?;
        let mut headers: Vec<Header> = Vec::with_capacity(16);
        for line in lines {
            if line.starts_with([' ', '\t']) {
                if let Some(h) = headers.last_mut() {
                    h.value = smol_str::format_smolstr!("{} {}", h.value, line.trim());
                    continue;
                }
                return Err(ParseError("continuation line before any header".into()));
            }
            // header names are short: a byte scan finds the colon sooner
            // than a vectorised search sets itself up
            let Some(colon) = line.bytes().position(|b| b == b':') else {
                if line.trim().is_empty() {
                    continue;
                }
                return Err(ParseError(format!("bad header line `{}`", clip(line))));
            };
            let name = trim(&line[..colon]);
            if !is_token(name) {
                return Err(ParseError(format!("bad header name `{}`", clip(name))));
            }
            headers.push(Header::with_token_name(name, trim(&line[colon + 1..])));
        }
        let msg = SipMsg {
            start,
            headers,
            body: body.to_string(),
        };
        if msg.header_known(K_VIA).is_none() {
            return Err(ParseError("no Via header".into()));
        }
        Ok(msg)
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }
    pub fn method(&self) -> &str {
        match &self.start {
            StartLine::Request { method, .. } => method,
            StartLine::Reply { .. } => "",
        }
    }
    /// For a reply the method of its CSeq.
    pub fn cseq_method(&self) -> String {
        self.header_known(K_CSEQ)
            .and_then(|v| v.split_whitespace().nth(1).map(|s| s.to_string()))
            .unwrap_or_default()
    }
    /// [`SipMsg::cseq_method`] without copying.
    pub fn cseq_method_str(&self) -> &str {
        self.header_known(K_CSEQ)
            .and_then(|v| v.split_whitespace().nth(1))
            .unwrap_or("")
    }
    pub fn cseq_num(&self) -> String {
        self.header_known(K_CSEQ)
            .and_then(|v| v.split_whitespace().next().map(|s| s.to_string()))
            .unwrap_or_default()
    }
    pub fn ruri(&self) -> &str {
        match &self.start {
            StartLine::Request { uri, .. } => uri,
            _ => "",
        }
    }
    pub fn set_ruri(&mut self, new: &str) {
        if let StartLine::Request { uri, .. } = &mut self.start {
            *uri = new.into();
        }
    }
    pub fn status(&self) -> u16 {
        match &self.start {
            StartLine::Reply { code, .. } => *code,
            _ => 0,
        }
    }
    pub fn reason(&self) -> &str {
        match &self.start {
            StartLine::Reply { reason, .. } => reason,
            _ => "",
        }
    }
    /// The first header with this canonical name.
    #[inline]
    pub fn header(&self, canon: &str) -> Option<&str> {
        let k = canon_kind(canon);
        self.headers
            .iter()
            .find(|h| h.is_kind(canon, k))
            .map(|h| h.value.as_str())
    }
    /// [`SipMsg::header`] of the well-known name `KNOWN[kind]` (`K_VIA`,
    /// ...), without finding the name's kind first.
    #[inline]
    pub(crate) fn header_known(&self, kind: u8) -> Option<&str> {
        debug_assert!((kind as usize) < KNOWN.len());
        self.headers
            .iter()
            .find(|h| h.kind == kind)
            .map(|h| h.value.as_str())
    }
    /// All header values with this canonical name.
    pub fn headers_named<'a>(&'a self, canon: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let k = canon_kind(canon);
        self.headers
            .iter()
            .filter(move |h| h.is_kind(canon, k))
            .map(|h| h.value.as_str())
    }
    /// Every comma-separated element of the headers with this name (Via,
    /// Route, Record-Route, Contact).
    pub fn header_elems(&self, canon: &str) -> Vec<String> {
        self.headers_named(canon)
            .flat_map(split_commas_str)
            .map(str::to_string)
            .collect()
    }
    pub fn call_id(&self) -> &str {
        self.header_known(K_CALL_ID).unwrap_or("")
    }
    pub fn from_tag(&self) -> Option<String> {
        self.from_tag_str().map(str::to_string)
    }
    pub fn to_tag(&self) -> Option<String> {
        self.to_tag_str().map(str::to_string)
    }
    /// [`SipMsg::from_tag`] without copying.
    pub fn from_tag_str(&self) -> Option<&str> {
        self.header_known(K_FROM)
            .and_then(|v| param_str_lit(NameAddr::params_str(v), "tag", "tag="))
    }
    /// [`SipMsg::to_tag`] without copying.
    pub fn to_tag_str(&self) -> Option<&str> {
        self.header_known(K_TO)
            .and_then(|v| param_str_lit(NameAddr::params_str(v), "tag", "tag="))
    }
    /// The top Via's `branch` parameter (`""` when none), borrowed:
    /// `via1().branch()` without taking the Via apart.
    pub fn via1_branch(&self) -> &str {
        self.header_known(K_VIA).map_or("", via_branch_of)
    }
    /// The CSeq number (`cseq_num` without copying).
    pub fn cseq_num_str(&self) -> &str {
        self.header_known(K_CSEQ)
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or("")
    }
    /// The top Via element.
    pub fn via1(&self) -> Option<Via> {
        self.header_known(K_VIA)
            .and_then(|v| split_commas_str(v).next())
            .map(Via::parse)
    }
    pub fn start_line_text(&self) -> String {
        // built in one allocation of the right size (`format!` grew it
        // piece by piece: this is asked for every message in and out)
        let (a, mid, c) = match &self.start {
            StartLine::Request {
                method,
                uri,
                version,
            } => (method.as_str(), Mid::Text(uri), version.as_str()),
            StartLine::Reply {
                version,
                code,
                reason,
            } => (version.as_str(), Mid::Code(*code), reason.as_str()),
        };
        let mut digits = [0u8; 5];
        let mid = match mid {
            Mid::Text(t) => t,
            Mid::Code(n) => {
                let mut i = digits.len();
                let mut n = n;
                loop {
                    i -= 1;
                    digits[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                // ASCII digits
                std::str::from_utf8(&digits[i..]).unwrap_or("")
            }
        };
        let mut s = String::with_capacity(a.len() + mid.len() + c.len() + 2);
        s.push_str(a);
        s.push(' ');
        s.push_str(mid);
        s.push(' ');
        s.push_str(c);
        s
    }
    /// Serialise: start line, headers as they are, blank line, body.
    pub fn to_wire(&self) -> String {
        let mut s = self.start_line_text();
        s.push_str("\r\n");
        for h in &self.headers {
            let _ = write!(s, "{}: {}\r\n", h.name, h.value);
        }
        s.push_str("\r\n");
        s.push_str(&self.body);
        s
    }
    pub fn remove_headers(&mut self, canon: &str) -> usize {
        let before = self.headers.len();
        let k = canon_kind(canon);
        self.headers.retain(|h| !h.is_kind(canon, k));
        before - self.headers.len()
    }
    /// Set Content-Length to the body's length (appended if missing).
    pub fn fix_content_length(&mut self) {
        let len = self.body.len().to_string();
        if let Some(h) = self.headers.iter_mut().find(|h| h.is("content-length")) {
            h.value = len.into();
        } else {
            self.headers.push(Header::new("Content-Length", len));
        }
    }
}

/// The middle part of a start line.
enum Mid<'a> {
    Text(&'a str),
    Code(u16),
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    let line = line.trim_end();
    if line.starts_with("SIP/") {
        // `line.splitn(3, ' ')`, by bytes
        let (version, r) = match split_byte(line, b' ') {
            Some((a, r)) => (a, Some(r)),
            None => (line, None),
        };
        let (code_s, reason) = match r.map(|r| split_byte(r, b' ').ok_or(r)) {
            Some(Ok((c, reason))) => (c, reason),
            Some(Err(c)) => (c, ""),
            None => ("", ""),
        };
        let code: u16 = code_s
            .parse()
            .ok()
            .filter(|c| (100..700).contains(c))
            .ok_or_else(|| ParseError(format!("bad status code in `{}`", clip(line))))?;
        return Ok(StartLine::Reply {
            version: version.into(),
            code,
            reason: reason.into(),
        });
    }
    // the first three of `line.split(' ').filter(|p| !p.is_empty())`
    let mut parts = [""; 3];
    let mut n = 0;
    let mut rest = line;
    while n < 3 {
        let (p, r) = match split_byte(rest, b' ') {
            Some((p, r)) => (p, Some(r)),
            None => (rest, None),
        };
        if !p.is_empty() {
            parts[n] = p;
            n += 1;
        }
        match r {
            Some(r) => rest = r,
            None => break,
        }
    }
    if n < 3 {
        return Err(ParseError(format!("bad first line `{}`", clip(line))));
    }
    let [method, uri, version] = parts;
    if !is_token(method) || !is_sip_version(version) {
        return Err(ParseError(format!("bad first line `{}`", clip(line))));
    }
    Ok(StartLine::Request {
        method: method.into(),
        uri: uri.into(),
        version: version.into(),
    })
}

/// `version.to_ascii_uppercase().starts_with("SIP/")` without the copy.
fn is_sip_version(version: &str) -> bool {
    version
        .as_bytes()
        .get(..4)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/"))
}

/// Split a header value at commas that are not inside `<>` or quotes.
pub fn split_commas(v: &str) -> Vec<String> {
    split_commas_str(v).map(str::to_string).collect()
}

/// The `branch` parameter of a top Via header's value (`""` when none):
/// what [`SipMsg::via1_branch`] reads, a function of the value's text only.
pub fn via_branch_of(v: &str) -> &str {
    let Some(v) = first_comma_elem(v) else {
        return "";
    };
    // as `Via::parse`: the parameters follow the first `;` after the
    // sent-protocol (`v` is trimmed)
    let b = v.as_bytes();
    let params = if v.is_ascii() {
        // `char::is_whitespace` on ASCII
        let sp = b
            .iter()
            .position(|&c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'));
        let rest = sp.map_or("", |i| &v[i + 1..]);
        memchr::memchr(b';', rest.as_bytes()).map_or("", |i| &rest[i + 1..])
    } else {
        let rest = v.split_once(char::is_whitespace).map_or("", |x| x.1).trim();
        rest.split_once(';').map_or("", |x| x.1)
    };
    param_str_lit(params, "branch", "branch=").unwrap_or("")
}

/// `split_commas_str(v).next()`, found with one vectorised search when the
/// value has no quotes or `<>` before its first comma (a Via nearly always).
pub fn first_comma_elem(v: &str) -> Option<&str> {
    match memchr::memchr3(b',', b'"', b'<', v.as_bytes()) {
        Some(i) if v.as_bytes()[i] != b',' => split_commas_str(v).next(),
        end => {
            let t = trim(&v[..end.unwrap_or(v.len())]);
            if t.is_empty() {
                split_commas_str(v).next()
            } else {
                Some(t)
            }
        }
    }
}

/// [`split_commas`] without copying: the trimmed, non-empty elements.
pub fn split_commas_str(v: &str) -> impl Iterator<Item = &str> {
    let b = v.as_bytes();
    let (mut inq, mut ina) = (false, false);
    let mut start = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        while start <= b.len() {
            // with no comma left the rest is one element, whatever quotes
            // or brackets it has (one vectorised search instead of a
            // byte-by-byte scan of the most common case)
            if memchr::memchr(b',', &b[i.min(b.len())..]).is_none() {
                i = b.len();
            }
            // the separators are ASCII: byte offsets stay on char boundaries
            while i < b.len() {
                match b[i] {
                    b'"' if !ina => inq = !inq,
                    b'<' if !inq => ina = true,
                    b'>' if !inq => ina = false,
                    b',' if !inq && !ina => break,
                    _ => {}
                }
                i += 1;
            }
            let t = trim(&v[start..i]);
            i += 1;
            start = i;
            if !t.is_empty() {
                return Some(t);
            }
        }
        None
    })
}

/// A SIP/SIPS/TEL URI taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uri {
    pub scheme: String,
    pub user: String,
    pub password: Option<String>,
    pub host: String,
    pub port: String,
    /// `;a=b;c` without the leading `;`
    pub params: String,
    /// after `?`
    pub headers: String,
}

/// A [`Uri`] borrowed from the text it was parsed from (no allocation):
/// for reads such as `$fd` or a registrar's AOR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UriRef<'a> {
    /// lower case: `sip`, `sips`, `tel` or `urn`
    pub scheme: &'static str,
    pub user: &'a str,
    pub password: Option<&'a str>,
    pub host: &'a str,
    pub port: &'a str,
    pub params: &'a str,
    pub headers: &'a str,
}

/// Where each part of a [`UriRef`] lies in the text it was parsed from
/// (byte ranges), so a parse can be kept and applied to the same text again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct UriSpans {
    scheme: &'static str,
    user: (u32, u32),
    password: Option<(u32, u32)>,
    host: (u32, u32),
    port: (u32, u32),
    params: (u32, u32),
    headers: (u32, u32),
}

impl UriSpans {
    fn of(base: &str, u: &UriRef<'_>) -> UriSpans {
        // every non-empty part is a slice of `base`; an empty one may be the
        // default `""` (anywhere in memory): it becomes the empty range 0..0
        let b = base.as_ptr() as usize;
        let r = |x: &str| {
            if x.is_empty() {
                (0, 0)
            } else {
                let o = (x.as_ptr() as usize - b) as u32;
                (o, o + x.len() as u32)
            }
        };
        UriSpans {
            scheme: u.scheme,
            user: r(u.user),
            password: u.password.map(r),
            host: r(u.host),
            port: r(u.port),
            params: r(u.params),
            headers: r(u.headers),
        }
    }

    fn apply<'a>(&self, s: &'a str) -> UriRef<'a> {
        let g = |(a, b): (u32, u32)| &s[a as usize..b as usize];
        UriRef {
            scheme: self.scheme,
            user: g(self.user),
            password: self.password.map(g),
            host: g(self.host),
            port: g(self.port),
            params: g(self.params),
            headers: g(self.headers),
        }
    }
}

/// The last few URIs taken apart, by their text (so always current: a
/// changed Request-URI is a different text). A message's R-URI, From and To
/// URIs are read many times while the config runs (`uri == myself`, `$rU`,
/// registrar's AOR, the next hop): each is parsed once. With the parse, the
/// answer of `uri == myself` for that text (it depends on the runtime's
/// aliases and listen addresses only, which do not change).
#[derive(Debug, Default)]
pub struct UriCache {
    entries: [(String, Option<UriSpans>, Option<bool>); URI_CACHE],
    next: usize,
    /// the entry found last (tried first: the same URI is asked for again)
    last: usize,
}

const URI_CACHE: usize = 4;

impl UriCache {
    fn slot(&mut self, s: &str) -> usize {
        if same_text(&self.entries[self.last].0, s) {
            return self.last;
        }
        if let Some(i) = self.entries.iter().position(|e| same_text(&e.0, s)) {
            self.last = i;
            return i;
        }
        let i = self.next;
        self.last = i;
        self.next = (i + 1) % URI_CACHE;
        let e = &mut self.entries[i];
        e.0.clear();
        e.0.push_str(s);
        e.1 = UriRef::parse(s).map(|u| UriSpans::of(s, &u));
        e.2 = None;
        i
    }

    /// `parse(s).map(|u| u.user)`, without making the other parts.
    pub fn user<'a>(&mut self, s: &'a str) -> Option<&'a str> {
        let i = self.slot(s);
        self.entries[i]
            .1
            .as_ref()
            .map(|sp| &s[sp.user.0 as usize..sp.user.1 as usize])
    }

    /// `parse(s).map(|u| u.host)`, without making the other parts.
    pub fn host<'a>(&mut self, s: &'a str) -> Option<&'a str> {
        let i = self.slot(s);
        self.entries[i]
            .1
            .as_ref()
            .map(|sp| &s[sp.host.0 as usize..sp.host.1 as usize])
    }

    /// [`UriRef::parse`] of `s`, kept for the next call with the same text.
    pub fn parse<'a>(&mut self, s: &'a str) -> Option<UriRef<'a>> {
        let i = self.slot(s);
        self.entries[i].1.map(|sp| sp.apply(s))
    }

    /// [`UriRef::parse`] of `s` and `f` of it, the answer of `f` kept with the
    /// parse (`f` must depend on the URI's text only, for this cache's life).
    pub fn parse_test(&mut self, s: &str, f: impl FnOnce(&UriRef<'_>) -> bool) -> Option<bool> {
        let i = self.slot(s);
        let e = &mut self.entries[i];
        let sp = e.1?;
        if let Some(b) = e.2 {
            return Some(b);
        }
        let b = f(&sp.apply(s));
        e.2 = Some(b);
        Some(b)
    }
}

/// `a == b`, short texts (URIs, user parts) compared eight bytes at a time
/// without a call to `memcmp`.
#[inline]
pub fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 32 {
        return a == b;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    let w = |x: &[u8]| u64::from_ne_bytes(x.try_into().unwrap_or([0; 8]));
    for (x, y) in (&mut ca).zip(&mut cb) {
        if w(x) != w(y) {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

impl<'a> UriRef<'a> {
    pub fn parse(s: &'a str) -> Option<UriRef<'a>> {
        // URIs are short: the separators (all ASCII, so byte offsets are
        // char boundaries) are found by plain byte scans
        let s = trim_exact(s);
        let colon = find_byte(s, b':')?;
        let scheme = &s[..colon];
        let scheme = ["sip", "sips", "tel", "urn"]
            .into_iter()
            .find(|k| scheme.eq_ignore_ascii_case(k))?;
        let mut rest = &s[colon + 1..];
        let mut u = UriRef {
            scheme,
            ..Default::default()
        };
        if let Some(q) = find_byte(rest, b'?') {
            u.headers = &rest[q + 1..];
            rest = &rest[..q];
        }
        if u.scheme == "tel" || u.scheme == "urn" {
            let (user, params) = split_byte(rest, b';').unwrap_or((rest, ""));
            u.user = user;
            u.params = params;
            return Some(u);
        }
        if let Some(at) = rest.bytes().rposition(|b| b == b'@') {
            let ui = &rest[..at];
            match split_byte(ui, b':') {
                Some((a, b)) => {
                    u.user = a;
                    u.password = Some(b);
                }
                None => u.user = ui,
            }
            rest = &rest[at + 1..];
        }
        let (hp, params) = split_byte(rest, b';').unwrap_or((rest, ""));
        u.params = params;
        if hp.starts_with('[') {
            let end = find_byte(hp, b']')?;
            u.host = &hp[..=end];
            if let Some(p) = hp[end + 1..].strip_prefix(':') {
                u.port = p;
            }
        } else if let Some((h, p)) = split_byte(hp, b':') {
            u.host = h;
            u.port = p;
        } else {
            u.host = hp;
        }
        if u.host.is_empty() {
            return None;
        }
        if !u.port.is_empty() && u.port.parse::<u16>().is_err() {
            return None;
        }
        Some(u)
    }

    pub fn to_owned(&self) -> Uri {
        Uri {
            scheme: self.scheme.to_string(),
            user: self.user.to_string(),
            password: self.password.map(str::to_string),
            host: self.host.to_string(),
            port: self.port.to_string(),
            params: self.params.to_string(),
            headers: self.headers.to_string(),
        }
    }

    /// [`Uri::port_num`].
    pub fn port_num(&self) -> u16 {
        self.port
            .parse()
            .unwrap_or(if self.scheme == "sips" { 5061 } else { 5060 })
    }
}

impl Uri {
    pub fn parse(s: &str) -> Option<Uri> {
        UriRef::parse(s).map(|u| u.to_owned())
    }
    pub fn param(&self, name: &str) -> Option<String> {
        param_of(&self.params, name)
    }
    pub fn has_param(&self, name: &str) -> bool {
        self.params.split(';').any(|p| {
            p.split('=')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(name)
        })
    }
    /// `host:port` (port only when present).
    pub fn hostport(&self) -> String {
        if self.port.is_empty() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
    pub fn port_num(&self) -> u16 {
        self.port
            .parse()
            .unwrap_or(if self.scheme == "sips" { 5061 } else { 5060 })
    }
    pub fn transport(&self) -> String {
        self.param("transport")
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_else(|| "udp".into())
    }
    pub fn to_string_full(&self) -> String {
        let mut s = format!("{}:", self.scheme);
        if self.scheme == "tel" || self.scheme == "urn" {
            s.push_str(&self.user);
        } else {
            if !self.user.is_empty() || self.password.is_some() {
                s.push_str(&self.user);
                if let Some(p) = &self.password {
                    s.push(':');
                    s.push_str(p);
                }
                s.push('@');
            }
            s.push_str(&self.hostport());
        }
        if !self.params.is_empty() {
            s.push(';');
            s.push_str(&self.params);
        }
        if !self.headers.is_empty() {
            s.push('?');
            s.push_str(&self.headers);
        }
        s
    }
}

/// `s.find(c)` for an ASCII `c`, by a byte scan (short texts).
#[inline]
fn find_byte(s: &str, c: u8) -> Option<usize> {
    s.bytes().position(|b| b == c)
}

/// `s.split_once(c)` for an ASCII `c`, by a byte scan (short texts).
#[inline]
fn split_byte(s: &str, c: u8) -> Option<(&str, &str)> {
    find_byte(s, c).map(|i| (&s[..i], &s[i + 1..]))
}

/// `s.split_once(c)` for an ASCII `c`, by a byte scan.
#[inline]
pub(crate) fn split_at_byte(s: &str, c: u8) -> Option<(&str, &str)> {
    split_byte(s, c)
}

/// `str::trim`, returning at once when both ends are ASCII that it keeps.
#[inline]
pub fn trim_exact(s: &str) -> &str {
    let keep = |b: u8| b.is_ascii() && !b.is_ascii_whitespace() && b != 0x0b;
    match s.as_bytes() {
        [f, .., l] if keep(*f) && keep(*l) => s,
        [f] if keep(*f) => s,
        _ => s.trim(),
    }
}

/// Value of `name` in a `;`-separated parameter list (`""` for a flag).
pub fn param_of(params: &str, name: &str) -> Option<String> {
    param_str(params, name).map(str::to_string)
}

/// [`param_str`] for a literal `name` without `=`, `;` or whitespace
/// (`name_eq` is `name` and `=`): the common case, a first parameter
/// written `name=` (`branch=` of a Via, `tag=` of From/To), is taken
/// without the scan of each parameter; the rest is `param_str`'s.
#[inline]
pub(crate) fn param_str_lit<'a>(
    params: &'a str,
    name: &'static str,
    name_eq: &'static str,
) -> Option<&'a str> {
    debug_assert_eq!(name_eq.strip_suffix('='), Some(name));
    if params.is_empty() && !name.is_empty() {
        // (`param_str` finds no parameter with a name in an empty text)
        return None;
    }
    if let Some(v) = params.strip_prefix(name_eq) {
        // the first parameter is `name`: its value ends at the next `;`
        let e = memchr::memchr(b';', v.as_bytes()).unwrap_or(v.len());
        return Some(trim(&v[..e]));
    }
    param_str(params, name)
}

/// [`param_of`] without copying.
pub fn param_str<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    let b = params.as_bytes();
    let nb = name.as_bytes();
    // a name of visible ASCII without `=`/`;` (every name asked for) can be
    // compared in place with the start of each parameter
    let simple = !nb.is_empty()
        && nb
            .iter()
            .all(|&c| c.is_ascii_graphic() && c != b'=' && c != b';');
    let mut s = 0;
    loop {
        let e = memchr::memchr(b';', &b[s..]).map_or(b.len(), |x| s + x);
        let seg = &b[s..e];
        if simple && seg.first().is_some_and(u8::is_ascii_graphic) {
            // nothing to trim at the start: the trimmed name is `name`
            // exactly when the parameter starts with it and then ends or
            // has its `=`
            if seg.len() >= nb.len() && seg[..nb.len()].eq_ignore_ascii_case(nb) {
                match seg.get(nb.len()) {
                    None => return Some(""),
                    Some(b'=') => return Some(trim(&params[s + nb.len() + 1..e])),
                    _ => {
                        if let Some(v) = param_at(&params[s..e], name) {
                            return Some(v);
                        }
                    }
                }
            }
        } else if let Some(v) = param_at(&params[s..e], name) {
            return Some(v);
        }
        if e >= b.len() {
            return None;
        }
        s = e + 1;
    }
}

/// The value of the one parameter `p` (`name[=value]`) when its trimmed
/// name is `name` (ASCII case ignored).
fn param_at<'a>(p: &'a str, name: &str) -> Option<&'a str> {
    let (n, v) = match p.as_bytes().iter().position(|&c| c == b'=') {
        Some(q) => (&p[..q], &p[q + 1..]),
        None => (p, ""),
    };
    trim(n).eq_ignore_ascii_case(name).then(|| trim(v))
}

/// `"Display" <uri>;params` or `uri;params`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameAddr {
    pub display: String,
    pub uri: String,
    /// header parameters without the leading `;`
    pub params: String,
}

impl NameAddr {
    pub fn parse(v: &str) -> NameAddr {
        let v = v.trim();
        if let Some(lt) = find_unquoted(v, '<') {
            let gt = v[lt..].find('>').map(|g| g + lt).unwrap_or(v.len());
            let display = v[..lt].trim().to_string();
            let uri = v[lt + 1..gt.min(v.len())].to_string();
            let rest = if gt < v.len() { &v[gt + 1..] } else { "" };
            let params = rest.trim().trim_start_matches(';').to_string();
            NameAddr {
                display,
                uri,
                params,
            }
        } else {
            let (uri, params) = v.split_once(';').unwrap_or((v, ""));
            NameAddr {
                display: String::new(),
                uri: uri.trim().to_string(),
                params: params.to_string(),
            }
        }
    }
    pub fn param(&self, name: &str) -> Option<String> {
        param_of(&self.params, name)
    }
    /// The URI of `v` (`NameAddr::parse(v).uri`), borrowed.
    pub fn uri_str(v: &str) -> &str {
        let v = v.trim();
        if let Some(lt) = find_unquoted(v, '<') {
            let gt = v[lt..].find('>').map(|g| g + lt).unwrap_or(v.len());
            &v[lt + 1..gt.min(v.len())]
        } else {
            v.split_once(';').unwrap_or((v, "")).0.trim()
        }
    }
    /// The header parameters of `v` (`NameAddr::parse(v).params`), borrowed.
    pub fn params_str(v: &str) -> &str {
        Self::params_after(trim(v))
    }
    /// `NameAddr::parse(v).params` exactly (trimmed as `str::trim` does).
    pub fn params_exact(v: &str) -> &str {
        Self::params_after(trim_exact(v))
    }
    fn params_after(v: &str) -> &str {
        // `<uri>;params` (no display name, the usual form): the first
        // unquoted `<` is the first byte
        let lt = if v.as_bytes().first() == Some(&b'<') {
            Some(0)
        } else {
            find_unquoted(v, '<')
        };
        if let Some(lt) = lt {
            // (ASCII: the byte offset is the char offset)
            let gt = memchr::memchr(b'>', &v.as_bytes()[lt..])
                .map(|g| g + lt)
                .unwrap_or(v.len());
            let rest = if gt < v.len() { &v[gt + 1..] } else { "" };
            rest.trim().trim_start_matches(';')
        } else {
            v.split_once(';').map_or("", |x| x.1)
        }
    }
}

fn find_unquoted(s: &str, c: char) -> Option<usize> {
    if c.is_ascii() && c != '"' {
        // ASCII bytes never occur inside a multi-byte UTF-8 sequence: jump
        // from quote to quote (or to `c`) with a vectorised search
        let (b, c) = (s.as_bytes(), c as u8);
        let mut inq = false;
        let mut i = 0;
        while let Some(j) = memchr::memchr2(b'"', c, &b[i..]) {
            let k = i + j;
            if b[k] == b'"' {
                inq = !inq;
            } else if !inq {
                return Some(k);
            }
            i = k + 1;
        }
        return None;
    }
    find_unquoted_chars(s, c)
}

/// [`find_unquoted`] char by char (any `c`).
fn find_unquoted_chars(s: &str, c: char) -> Option<usize> {
    let mut inq = false;
    for (i, ch) in s.char_indices() {
        match ch {
            '"' => inq = !inq,
            x if x == c && !inq => return Some(i),
            _ => {}
        }
    }
    None
}

/// One Via element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Via {
    /// `UDP`, `TCP`, ...
    pub transport: String,
    pub host: String,
    pub port: String,
    pub params: String,
}

impl Via {
    /// The host (as `Via::parse` gives it) and the parameters of a Via
    /// element, borrowed.
    pub fn host_params(v: &str) -> (&str, &str) {
        let v = trim(v);
        let rest = if v.is_ascii() {
            // `char::is_whitespace` on ASCII, found by bytes
            v.bytes()
                .position(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
                .map_or("", |i| &v[i + 1..])
        } else {
            v.split_once(char::is_whitespace).map_or("", |x| x.1)
        };
        let rest = trim(rest);
        let (hp, params) = split_byte(rest, b';').unwrap_or((rest, ""));
        let hp = trim(hp);
        let host = if hp.starts_with('[') {
            let end = find_byte(hp, b']').unwrap_or(hp.len() - 1);
            &hp[..=end]
        } else {
            split_byte(hp, b':').map_or(hp, |x| x.0)
        };
        (host, params)
    }
    pub fn parse(v: &str) -> Via {
        let v = v.trim();
        let (proto, rest) = v.split_once(char::is_whitespace).unwrap_or((v, ""));
        let transport = proto.rsplit('/').next().unwrap_or("").trim().to_string();
        let rest = rest.trim();
        let (hp, params) = rest.split_once(';').unwrap_or((rest, ""));
        let hp = hp.trim();
        let (host, port) = if hp.starts_with('[') {
            let end = hp.find(']').unwrap_or(hp.len() - 1);
            (
                hp[..=end].to_string(),
                hp[end + 1..].trim_start_matches(':').to_string(),
            )
        } else {
            match hp.split_once(':') {
                Some((h, p)) => (h.to_string(), p.trim().to_string()),
                None => (hp.to_string(), String::new()),
            }
        };
        Via {
            transport,
            host,
            port,
            params: params.to_string(),
        }
    }
    pub fn param(&self, name: &str) -> Option<String> {
        param_of(&self.params, name)
    }
    pub fn branch(&self) -> String {
        self.param("branch").unwrap_or_default()
    }
}

/// Parse a stream (TCP) buffer: returns complete messages and the bytes
/// consumed. A message without Content-Length on a stream cannot be framed
/// (Kamailio rejects it); such data is returned as an error and skipped.
pub fn frame_stream(buf: &[u8]) -> (Vec<Result<Vec<u8>, String>>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        // skip CRLF keepalives
        while pos < buf.len() && (buf[pos] == b'\r' || buf[pos] == b'\n') {
            pos += 1;
        }
        if pos >= buf.len() {
            break;
        }
        let rest = &buf[pos..];
        let Some(hend) = find_sub(rest, b"\r\n\r\n") else {
            if rest.len() > MAX_MSG_SIZE {
                out.push(Err("headers longer than the message size limit".to_string()));
                pos = buf.len();
            }
            break;
        };
        let head = String::from_utf8_lossy(&rest[..hend]);
        let mut clen: Option<usize> = None;
        for line in head.split("\r\n").skip(1) {
            if let Some((n, v)) = line.split_once(':') {
                if canon_name(n) == "content-length" {
                    clen = v.trim().parse().ok();
                }
            }
        }
        let Some(clen) = clen else {
            out.push(Err("stream message without Content-Length".to_string()));
            pos += hend + 4;
            continue;
        };
        // a Content-Length near usize::MAX must not overflow the sum
        let total = (hend + 4).saturating_add(clen);
        if total > MAX_MSG_SIZE {
            out.push(Err(format!(
                "message of {} header bytes and Content-Length {clen} is too large",
                hend + 4
            )));
            pos = buf.len();
            break;
        }
        if rest.len() < total {
            break;
        }
        out.push(Ok(rest[..total].to_vec()));
        pos += total;
    }
    (out, pos)
}

pub fn find_sub(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_text_is_eq() {
        let texts = [
            "",
            "a",
            "ab",
            "u1234",
            "u1235",
            "sip:ping@10.0.0.1:5060",
            "sip:pinh@10.0.0.1:5060",
            "sip:alice@10.0.0.1:5060",
            "sip:alice@10.0.0.1:5061",
            "12345678",
            "12345679",
            "0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdeF",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdef1",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(super::same_text(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    use super::*;

    #[test]
    fn written_names_are_the_known_ones() {
        for (k, w) in WRITTEN.iter().enumerate() {
            assert_eq!(w.to_ascii_lowercase(), KNOWN[k]);
            assert_eq!(kind_of(w), k as u8);
            let h = Header::with_token_name(w, "x");
            assert_eq!((&*h.name, h.kind), (*w, k as u8));
            // another spelling keeps its own
            let lower = Header::with_token_name(KNOWN[k], "x");
            assert_eq!((&*lower.name, lower.kind), (KNOWN[k], k as u8));
        }
    }

    #[test]
    fn token_table_is_the_token_bytes() {
        for b in 0..=255u8 {
            let old = b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b);
            assert_eq!(TOKEN[b as usize], old, "byte {b}");
        }
    }

    #[test]
    fn find_unquoted_equals_the_char_scan() {
        for v in [
            "",
            "<",
            "\"a<b\" <sip:x@h>",
            "\"unterminated <sip:x@h>",
            "\"\"<x>",
            "Ö\"ü<\"<sip:ä@h>;tag=1",
            "sip:x@h;a=\"<\";b",
            "no bracket at all",
        ] {
            for c in ['<', '>', ';', '"', 'ü'] {
                assert_eq!(
                    find_unquoted(v, c),
                    find_unquoted_chars(v, c),
                    "{v:?} {c:?}"
                );
            }
        }
    }

    /// `split_commas_str` before its no-comma-left shortcut.
    fn split_commas_scan(v: &str) -> Vec<&str> {
        let b = v.as_bytes();
        let (mut inq, mut ina) = (false, false);
        let (mut start, mut i) = (0, 0);
        let mut out = Vec::new();
        while start <= b.len() {
            while i < b.len() {
                match b[i] {
                    b'"' if !ina => inq = !inq,
                    b'<' if !inq => ina = true,
                    b'>' if !inq => ina = false,
                    b',' if !inq && !ina => break,
                    _ => {}
                }
                i += 1;
            }
            let t = trim(&v[start..i]);
            i += 1;
            start = i;
            if !t.is_empty() {
                out.push(t);
            }
        }
        out
    }

    #[test]
    fn split_commas_str_equals_the_scan() {
        for v in [
            "",
            ",",
            " , ,",
            "a",
            "a,b",
            "a,,b ,",
            "\"x,y\" <sip:a@h>;tag=1, <sip:b@h>",
            "<sip:a@h;p=1,2>, c",
            "\"unterminated, <sip:a@h>",
            "<sip:a@h, \"q>\",z",
            "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1, SIP/2.0/TCP h:5061",
            "Ö, ü ,",
        ] {
            assert_eq!(
                split_commas_str(v).collect::<Vec<_>>(),
                split_commas_scan(v),
                "{v:?}"
            );
        }
    }

    #[test]
    fn known_headers_equal_new() {
        for (k, n) in [
            (K_VIA, "Via"),
            (K_FROM, "From"),
            (K_TO, "To"),
            (K_CALL_ID, "Call-ID"),
            (K_CSEQ, "CSeq"),
            (K_CONTACT, "Contact"),
            (K_CONTENT_LENGTH, "Content-Length"),
            (K_RECORD_ROUTE, "Record-Route"),
            (K_SERVER, "Server"),
        ] {
            let a = Header::known(k, n, "x");
            let b = Header::new(n, "x");
            assert_eq!(a, b);
            assert_eq!(a.kind, b.kind, "{n}");
            let c = b.with_value("y");
            assert_eq!(c, Header::new(n, "y"));
            assert_eq!(c.kind, b.kind);
        }
    }

    #[test]
    fn known_kind_constants() {
        for (k, c) in [
            (K_VIA, "via"),
            (K_FROM, "from"),
            (K_TO, "to"),
            (K_CALL_ID, "call-id"),
            (K_CSEQ, "cseq"),
        ] {
            assert_eq!(KNOWN[k as usize], c);
            assert_eq!(canon_kind(c), k);
        }
        let m = SipMsg::parse(b"INVITE sip:a SIP/2.0\r\nv: SIP/2.0/UDP h\r\nF: <sip:a>;tag=1\r\nTO: <sip:b>\r\ni: x\r\nCSeq: 1 INVITE\r\nX-Via: no\r\n\r\n").unwrap();
        for c in ["via", "from", "to", "call-id", "cseq"] {
            assert_eq!(m.header_known(canon_kind(c)), m.header(c), "{c}");
        }
    }

    #[test]
    fn via_host_params_equals_the_old_split() {
        fn old(v: &str) -> (&str, &str) {
            let v = v.trim();
            let (_, rest) = v.split_once(char::is_whitespace).unwrap_or((v, ""));
            let rest = rest.trim();
            let (hp, params) = rest.split_once(';').unwrap_or((rest, ""));
            let hp = hp.trim();
            let host = if hp.starts_with('[') {
                let end = hp.find(']').unwrap_or(hp.len() - 1);
                &hp[..=end]
            } else {
                hp.split_once(':').map_or(hp, |x| x.0)
            };
            (host, params)
        }
        for v in [
            "SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bK1;rport",
            " SIP/2.0/UDP  h ; branch=x ",
            "SIP/2.0/UDP\th",
            "SIP/2.0/UDP [::1]:5060;rport",
            "SIP/2.0/UDP [::1",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP\u{a0}h;x",
            "SIP/2.0/UDP ö:1;x",
            "SIP/2.0/UDP\u{b}h:1",
            "",
            " ",
            "a b:c:d;e;f",
        ] {
            assert_eq!(Via::host_params(v), old(v), "{v:?}");
        }
    }

    /// `parse_start_line` as it was before the byte splits (session 7).
    fn parse_start_line_old(line: &str) -> Result<StartLine, ParseError> {
        let line = line.trim_end();
        if line.strip_prefix("SIP/").is_some() {
            let mut parts = line.splitn(3, ' ');
            let version = parts.next().unwrap_or("").to_string();
            let code_s = parts.next().unwrap_or("");
            let reason = parts.next().unwrap_or("").to_string();
            let code: u16 = code_s
                .parse()
                .ok()
                .filter(|c| (100..700).contains(c))
                .ok_or_else(|| ParseError(format!("bad status code in `{}`", clip(line))))?;
            return Ok(StartLine::Reply {
                version: version.into(),
                code,
                reason: reason.into(),
            });
        }
        let mut parts = line.split(' ').filter(|p| !p.is_empty());
        let (Some(method), Some(uri), Some(version)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError(format!("bad first line `{}`", clip(line))));
        };
        if !is_token(method) || !version.to_ascii_uppercase().starts_with("SIP/") {
            return Err(ParseError(format!("bad first line `{}`", clip(line))));
        }
        Ok(StartLine::Request {
            method: method.into(),
            uri: uri.into(),
            version: version.into(),
        })
    }

    #[test]
    fn parse_start_line_equals_the_old_split() {
        for l in [
            "",
            " ",
            "SIP/2.0 200 OK",
            "SIP/2.0 200",
            "SIP/2.0 200 ",
            "SIP/2.0  200 OK",
            "SIP/2.0",
            "SIP/2.0 99 x",
            "SIP/2.0 700 x",
            "SIP/2.0 486 Busy  Here ",
            "SIP/",
            "sip/2.0 200 OK",
            "INVITE sip:a SIP/2.0",
            "INVITE  sip:a   SIP/2.0  ",
            " INVITE sip:a SIP/2.0",
            "INVITE sip:a",
            "INVITE sip:a sip/2.0",
            "INVITE sip:a SIP/",
            "INVITE sip:a SIP",
            "INVITE sip:a SIP/2.0 extra",
            "INV(TE sip:a SIP/2.0",
            "INVITE\tsip:a SIP/2.0",
            "ÖÖ sip:a SIP/2.0",
            "INVITE sip:ö SIP/2.0",
            "INVITE sip:a SİP/2.0",
            "OPTIONS sip:a SIP/2.0\t",
        ] {
            assert_eq!(parse_start_line(l), parse_start_line_old(l), "{l:?}");
        }
    }

    /// `Uri::parse` as it was before `UriRef` (session 7).
    fn uri_parse_old(s: &str) -> Option<Uri> {
        let s = trim_exact(s);
        let colon = find_byte(s, b':')?;
        let scheme = &s[..colon];
        if !["sip", "sips", "tel", "urn"]
            .iter()
            .any(|k| scheme.eq_ignore_ascii_case(k))
        {
            return None;
        }
        let mut rest = &s[colon + 1..];
        let mut u = Uri {
            scheme: scheme.to_ascii_lowercase(),
            ..Default::default()
        };
        if let Some(q) = find_byte(rest, b'?') {
            u.headers = rest[q + 1..].to_string();
            rest = &rest[..q];
        }
        if u.scheme == "tel" || u.scheme == "urn" {
            let (user, params) = split_byte(rest, b';').unwrap_or((rest, ""));
            u.user = user.to_string();
            u.params = params.to_string();
            return Some(u);
        }
        if let Some(at) = rest.bytes().rposition(|b| b == b'@') {
            let ui = &rest[..at];
            match split_byte(ui, b':') {
                Some((a, b)) => {
                    u.user = a.to_string();
                    u.password = Some(b.to_string());
                }
                None => u.user = ui.to_string(),
            }
            rest = &rest[at + 1..];
        }
        let (hp, params) = split_byte(rest, b';').unwrap_or((rest, ""));
        u.params = params.to_string();
        if hp.starts_with('[') {
            let end = find_byte(hp, b']')?;
            u.host = hp[..=end].to_string();
            if let Some(p) = hp[end + 1..].strip_prefix(':') {
                u.port = p.to_string();
            }
        } else if let Some((h, p)) = split_byte(hp, b':') {
            u.host = h.to_string();
            u.port = p.to_string();
        } else {
            u.host = hp.to_string();
        }
        if u.host.is_empty() {
            return None;
        }
        if !u.port.is_empty() && u.port.parse::<u16>().is_err() {
            return None;
        }
        Some(u)
    }

    #[test]
    fn uri_ref_equals_the_old_uri_parse() {
        let uris = [
            "",
            "sip:",
            "sip:h",
            "SIP:U@H:5060;Transport=TCP?x=1",
            " sip:a@b ",
            "sips:[::1]:5061",
            "sip:[::1",
            "sip:a:pw@h:1;lr",
            "sip:a@b@c",
            "tel:+123;phone-context=x",
            "TEL:+1?h",
            "urn:service:sos",
            "http://x",
            "sip:a@h:99999",
            "sip:a@h:",
            "sip:@h",
            "sip:a@",
            "sip:h;a=b;c",
            "sip:ö@h",
            "sip:a@h?",
            "\u{a0}sip:a@h",
            "sip:a@[::1]:x",
            "sIpS:h:1",
        ];
        for u in uris {
            assert_eq!(Uri::parse(u), uri_parse_old(u), "{u:?}");
            if let Some(r) = UriRef::parse(u) {
                assert_eq!(r.port_num(), uri_parse_old(u).unwrap().port_num(), "{u:?}");
            }
        }
        // the cache gives the parse of the text asked, first time or kept
        // (more texts than entries, each asked twice in a row and again later)
        let mut c = UriCache::default();
        for round in 0..3 {
            for (i, u) in uris.iter().enumerate() {
                for _ in 0..2 {
                    assert_eq!(c.parse(u), UriRef::parse(u), "{u:?}");
                    // a copy at another address: the kept ranges apply to it
                    let copy = u.to_string();
                    assert_eq!(c.parse(&copy), UriRef::parse(u), "{u:?}");
                    let even = |r: &UriRef<'_>| r.host.len().is_multiple_of(2);
                    let t = c.parse_test(u, even);
                    assert_eq!(t, UriRef::parse(u).map(|r| even(&r)), "{u:?} {round} {i}");
                }
            }
        }
    }

    #[test]
    fn name_addr_uri_str_equals_parse() {
        for v in [
            "",
            "<sip:a@h>",
            "\"A, <B>\" <sip:a@h>;tag=1",
            "sip:a@h;tag=1",
            " sip:a@h ;tag",
            "<sip:a@h",
            "\"x\" <>",
            "A <sip:a@h>>",
            "\"unterminated <sip:a@h>",
            "<",
            ";tag=1",
            " \u{a0}<sip:ö>",
        ] {
            assert_eq!(NameAddr::uri_str(v), NameAddr::parse(v).uri, "{v:?}");
        }
    }

    /// `param_str` as it was before the in-place compare (session 7).
    fn param_str_old<'a>(params: &'a str, name: &str) -> Option<&'a str> {
        let b = params.as_bytes();
        let mut s = 0;
        loop {
            let e = b[s..]
                .iter()
                .position(|&c| c == b';')
                .map_or(b.len(), |x| s + x);
            let p = &params[s..e];
            let (n, v) = match p.as_bytes().iter().position(|&c| c == b'=') {
                Some(q) => (&p[..q], &p[q + 1..]),
                None => (p, ""),
            };
            if trim(n).eq_ignore_ascii_case(name) {
                return Some(trim(v));
            }
            if e >= b.len() {
                return None;
            }
            s = e + 1;
        }
    }

    #[test]
    fn param_str_equals_the_old_scan() {
        let lists = [
            "",
            ";",
            ";;",
            "branch=z9hG4bK1;rport",
            "rport;branch=z9hG4bK1",
            "BRANCH=X",
            " branch = y ;rport",
            "branch",
            "branch;",
            "branchx=1;branch=2",
            "branc=1",
            "br=1;branch",
            "branch =1",
            "branch\t=1",
            "\u{a0}branch=1",
            "branch\u{a0}=1",
            "rport=;received=1.2.3.4",
            "tag=a=b",
            "tag==",
            "x;TAG=abc ;tag=def",
            "=1;tag",
            "lr",
            "lr=on",
            " lr",
            "transport=TCP;lr",
            "ö=1;tag=2",
            "tag=ö",
            "tag",
            "t",
        ];
        let names = [
            "branch",
            "rport",
            "received",
            "tag",
            "lr",
            "transport",
            "",
            "=",
            "a=b",
            " tag",
            "tag ",
            "ö",
            "TAG",
            "t",
            "x;y",
        ];
        for l in lists {
            for n in names {
                assert_eq!(param_str(l, n), param_str_old(l, n), "{l:?} {n:?}");
            }
            for (n, ne) in [("branch", "branch="), ("tag", "tag="), ("rport", "rport=")] {
                for l in [l.to_string(), format!("{ne}x;{l}"), format!("{ne} x ;{l}")] {
                    assert_eq!(param_str_lit(&l, n, ne), param_str(&l, n), "{l:?} {n:?}");
                }
            }
        }
    }

    #[test]
    fn name_is_equals_canon_name() {
        let names = [
            "Via",
            "v",
            "V",
            " via",
            "via ",
            "\u{a0}Via",
            "Via\u{a0}",
            "CSeq",
            "cseq ",
            "t",
            "T",
            " t",
            "x",
            "X",
            "z",
            "Call-ID",
            "i",
            "I",
            "",
            "  ",
            "\tto",
            "To\t",
            "Tö",
            "ö",
            "Route",
            "ROUTE",
            "r",
            "Record-Route",
            "f",
            "From",
            "Session-Expires",
            "x-foo",
            "X-Foo",
            "\u{b}to",
            "to\u{b}",
            "\u{1c}to",
        ];
        let canons = [
            "via",
            "cseq",
            "call-id",
            "to",
            "route",
            "from",
            "session-expires",
            "refer-to",
            "z",
            "x",
            "x-foo",
            "",
            "tö",
        ];
        for n in names {
            for c in canons {
                assert_eq!(name_is(n, c), canon_name(n) == c, "{n:?} {c:?}");
            }
        }
    }

    #[test]
    fn parse_keeps_every_line_past_the_kept_line_ends() {
        // more header lines than the first scan keeps (`LINE_ENDS`), with
        // either line end, with and without a blank line and a body
        for k in [0usize, 1, 2, 61, 62, 63, 64, 65, 66, 100] {
            for eol in ["\r\n", "\n"] {
                for tail in ["", "\r\n", "\n", "\r\nbody", "\nbody\n\nmore"] {
                    let mut t =
                        format!("OPTIONS sip:a SIP/2.0{eol}Via: SIP/2.0/UDP h;branch=z9hG4bK1");
                    for j in 0..k {
                        t.push_str(eol);
                        t.push_str(&format!("X-H{j}:  v{j} "));
                    }
                    t.push_str(eol);
                    t.push_str(tail);
                    let parsed = SipMsg::parse(t.as_bytes());
                    // the reference: the head split at its line ends
                    let (head, body) = match (t.find("\r\n\r\n"), t.find("\n\n")) {
                        (Some(a), Some(b)) if a + 1 < b => (&t[..a], &t[a + 4..]),
                        (_, Some(b)) => (&t[..b], &t[b + 2..]),
                        (Some(a), None) => (&t[..a], &t[a + 4..]),
                        (None, None) => (t.as_str(), ""),
                    };
                    let lines: Vec<&str> = head
                        .split('\n')
                        .skip(1)
                        .map(|l| l.strip_suffix('\r').unwrap_or(l))
                        .filter(|l| !l.trim().is_empty())
                        .collect();
                    if lines.iter().any(|l| !l.contains(':')) {
                        // no blank line before the body: a bad header line
                        assert!(parsed.is_err(), "{k} {eol:?} {tail:?}");
                        continue;
                    }
                    let m = parsed.unwrap();
                    let want: Vec<(String, String)> = lines
                        .iter()
                        .map(|l| {
                            let (n, v) = l.split_once(':').unwrap();
                            (n.trim().to_string(), v.trim().to_string())
                        })
                        .collect();
                    let got: Vec<(String, String)> = m
                        .headers
                        .iter()
                        .map(|h| (h.name.to_string(), h.value.to_string()))
                        .collect();
                    assert_eq!(got, want, "{k} {eol:?} {tail:?}");
                    assert_eq!(m.body, body, "{k} {eol:?} {tail:?}");
                }
            }
        }
    }

    #[test]
    fn parses_request_with_compact_and_folded_headers() {
        let m = SipMsg::parse(
            b"INVITE sip:bob@b.com;transport=tcp SIP/2.0\r\nv: SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKx;rport, SIP/2.0/TCP h\r\nf: \"A, B\" <sip:a@a.com>;tag=1\r\nt: sip:bob@b.com\r\ni: abc\r\nCSeq: 1\r\n INVITE\r\nl: 4\r\n\r\nabcd",
        )
        .unwrap();
        assert_eq!(m.method(), "INVITE");
        assert_eq!(m.call_id(), "abc");
        assert_eq!(m.header("cseq"), Some("1 INVITE"));
        assert_eq!(m.header_elems("via").len(), 2);
        let v = m.via1().unwrap();
        assert_eq!((v.host.as_str(), v.port.as_str()), ("1.2.3.4", "5060"));
        assert_eq!(v.branch(), "z9hG4bKx");
        assert_eq!(m.from_tag().as_deref(), Some("1"));
        let na = NameAddr::parse(m.header("from").unwrap());
        assert_eq!(na.display, "\"A, B\"");
        let u = Uri::parse(m.ruri()).unwrap();
        assert_eq!(u.user, "bob");
        assert_eq!(u.transport(), "tcp");
        assert_eq!(m.body, "abcd");
    }

    #[test]
    fn header_kind_agrees_with_name_test() {
        let names = [
            "Via",
            "v",
            "V",
            "VIA",
            " via",
            "via ",
            "From",
            "f",
            "To",
            "t",
            "Call-ID",
            "i",
            "CSeq",
            "Contact",
            "m",
            "Content-Length",
            "l",
            "content-type",
            "c",
            "Max-Forwards",
            "Route",
            "Record-Route",
            "User-Agent",
            "Expires",
            "Server",
            "Supported",
            "k",
            "Event",
            "o",
            "x",
            "z",
            "X-Foo",
            "Vía",
            "P-Asserted-Identity",
            "Proxy-Authorization",
            "Content-Disposition",
            "Identity-Info",
            "n",
            " l ",
            "A-Very-Long-Header-Name-Indeed",
        ];
        let mut canons: Vec<String> = KNOWN.iter().map(|c| c.to_string()).collect();
        canons.extend(KNOWN.iter().map(|c| c.to_ascii_uppercase()));
        canons.extend(["Via", "x-foo", "", "v", "z", " via"].map(String::from));
        for n in names {
            let h = Header::new(n, "x");
            for c in &canons {
                assert_eq!(h.is(c), is_name(n, c), "{n:?} is {c:?}");
            }
        }
    }

    #[test]
    fn trim_is_str_trim_where_it_trims() {
        for t in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "  a b  ",
            "\t\r\nx\r\n",
            "\u{0b}x",
            " \u{0b}x ",
            " \u{a0}x",
            "x\u{a0} ",
            " é ",
            "\u{0c}x\u{0c}",
            "  \u{2003}",
        ] {
            let old = {
                let solid = |b: u8| b.is_ascii() && !b.is_ascii_whitespace();
                match t.as_bytes() {
                    [] => t,
                    [f, .., l] if solid(*f) && solid(*l) => t,
                    [f] if solid(*f) => t,
                    _ => t.trim(),
                }
            };
            assert_eq!(trim(t), old, "{t:?}");
        }
    }

    #[test]
    fn writes_numbers_and_addresses_as_display() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "255.255.255.255",
            "10.20.3.4",
            "::1",
            "fe80::1:2",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let mut s = String::from("x");
            crate::engine::push_ip(&mut s, ip);
            assert_eq!(s, format!("x{ip}"));
        }
        for n in [0u64, 7, 10, 65535, u64::MAX] {
            let mut s = String::new();
            crate::engine::push_num(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn trim_exact_is_str_trim() {
        for t in [
            "", " ", "a", " a ", "\u{0b}a", "a\u{0b}", "é", " é", "\u{a0}a", "ab",
        ] {
            assert_eq!(trim_exact(t), t.trim(), "{t:?}");
        }
    }

    #[test]
    fn uri_parse_cases() {
        // fields as the earlier char-search version gave them
        let u = Uri::parse(" SIP:alice:pw@[::1]:5070;lr;transport=TCP?subject=x ").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.user.as_str(), u.password.as_deref()),
            ("sip", "alice", Some("pw"))
        );
        assert_eq!((u.host.as_str(), u.port.as_str()), ("[::1]", "5070"));
        assert_eq!(
            (u.params.as_str(), u.headers.as_str()),
            ("lr;transport=TCP", "subject=x")
        );
        let u = Uri::parse("sip:a@b@host:5060").unwrap();
        assert_eq!((u.user.as_str(), u.host.as_str()), ("a@b", "host"));
        let u = Uri::parse("Tel:+1-555;phone-context=x").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.user.as_str(), u.params.as_str()),
            ("tel", "+1-555", "phone-context=x")
        );
        for bad in [
            "",
            "sip",
            "http://x",
            "sip:",
            "sip:u@",
            "sip:h:99999",
            "sip:[::1",
            "sipx:h",
        ] {
            assert!(Uri::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn params_exact_is_parse_params() {
        for v in [
            "<sip:a@b>;tag=1",
            " \"A;B\" <sip:a@b;lr> ; tag=2 ",
            "sip:a@b;tag=3",
            "\u{0b}sip:a@b;tag=4\u{0b}",
            "<sip:a@b",
            "",
            "x",
        ] {
            assert_eq!(
                NameAddr::params_exact(v),
                NameAddr::parse(v).params,
                "{v:?}"
            );
        }
    }

    #[test]
    fn token_kind_is_kind() {
        let mut names: Vec<String> = KNOWN.iter().map(|c| c.to_string()).collect();
        names.extend(KNOWN.iter().map(|c| c.to_ascii_uppercase()));
        names.extend(KNOWN.iter().map(|c| c.replace('-', "_")));
        names.extend(KNOWN.iter().map(|c| c.replace('-', ".")));
        names.extend(KNOWN.iter().map(|c| format!("{c}x")));
        names.extend(
            [
                "Call-Id",
                "cSeQ",
                "X-Via",
                "Vía",
                "a",
                "v",
                "7",
                "Max-Forwards2",
            ]
            .map(String::from),
        );
        for n in names.iter().filter(|n| is_token(n)) {
            assert_eq!(
                Header::with_token_name(n, "x").kind,
                Header::new(n.as_str(), "x").kind,
                "{n:?}"
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(SipMsg::parse(b"hello world\r\n\r\n").is_err());
        assert!(SipMsg::parse(b"SIP/2.0 abc OK\r\nVia: x\r\n\r\n").is_err());
        assert!(SipMsg::parse(b"OPTIONS sip:a SIP/2.0\r\nFrom: x\r\n\r\n").is_err());
        assert!(SipMsg::parse(&vec![b'a'; MAX_MSG_SIZE + 1]).is_err());
    }

    #[test]
    fn uri_roundtrip() {
        for s in [
            "sip:alice@127.0.0.1:5060;lr;ftag=x",
            "sips:[::1]:5061",
            "sip:u:p@h?x=y",
            "tel:+123;phone-context=a",
        ] {
            assert_eq!(Uri::parse(s).unwrap().to_string_full(), s);
        }
    }

    #[test]
    fn frames_tcp_stream() {
        let a = b"OPTIONS sip:a SIP/2.0\r\nVia: x\r\nContent-Length: 2\r\n\r\nhi";
        let mut buf = a.to_vec();
        buf.extend_from_slice(b"\r\n\r\n");
        buf.extend_from_slice(&a[..10]);
        let (msgs, used) = frame_stream(&buf);
        assert_eq!(msgs.len(), 1);
        assert_eq!(used, a.len() + 4);
    }

    #[test]
    fn stream_content_length_near_usize_max_is_an_error_not_an_overflow() {
        // found by the pcap fuzzer: header length + Content-Length overflowed
        let buf = format!(
            "OPTIONS sip:a SIP/2.0\r\nContent-Length: {}\r\n\r\n",
            usize::MAX
        );
        let (msgs, used) = frame_stream(buf.as_bytes());
        assert_eq!(msgs.len(), 1);
        let err = msgs[0].as_ref().unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert_eq!(used, buf.len());
    }
}
