//! Transformations (`{s.len}`, `{uri.user}`, `{param.value,x}`, ...), as
//! Kamailio 5.6.3 computes them: `src/modules/pv/pv_trans.c` (classes `s`,
//! `uri`, `param`, `nameaddr`, `tobody`, `line`, `urialias`), textops'
//! `txt_var.c` (`re.subst`), sqlops' `sql_trans.c` (`sql.*`), corex's
//! `corex_var.c` (`sock.*`), xhttp's `xhttp_trans.c` (`url.*`) and msrp's
//! `msrp_vars.c` (`msrpuri.*`).
//!
//! Values are bytes while a chain of transformations runs (Kamailio's are;
//! `{s.substr}` may cut a UTF-8 character): only the end result becomes a
//! script value again.
//!
//! A transformation that fails in Kamailio (returns -1) makes the whole PV
//! evaluation fail: [`TrErr::Fail`]. One the runtime does not simulate, or
//! whose result in Kamailio depends on memory past the value (reads beyond
//! the string's end), is [`TrErr::Unsupported`].

use crate::jansson::J;
use crate::value::Val;

/// A transformation parameter: literal text as written in the config (not
/// interpolated: Kamailio takes `a$var(x)` literally) or the value of the
/// PV the parameter is (`$var(i)`).
#[derive(Debug, Clone)]
pub enum Param {
    Lit(String),
    Pv(Val),
    /// literal text with its PVs substituted (the json module's
    /// parameters are `spve` strings: `{json.parse,a.$var(k)}`)
    Spve(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrErr {
    /// Kamailio's transformation returns an error: the PV has no value.
    Fail,
    /// Not simulated (the name, e.g. `s.ftime`).
    Unsupported(String),
}

/// A value inside a chain: Kamailio's `pv_value_t` flags reduced to null,
/// integer (which also has its decimal string) and string-only.
#[derive(Debug, Clone, PartialEq, Eq)]
enum V {
    Null,
    Int(i64),
    /// an integer whose string is not its decimal form (`{s.int}` of
    /// "-0042" prints "-0042"; `{uri.port}` of a URI without a port is 0
    /// printed as "")
    IntS(i64, Vec<u8>),
    Str(Vec<u8>),
}

impl V {
    fn from_val(v: Val) -> V {
        match v {
            Val::Null => V::Null,
            Val::Int(i) => V::Int(i),
            Val::Str(s) => V::Str(s.into_bytes()),
        }
    }
    fn into_val(self) -> Val {
        match self {
            V::Null => Val::Null,
            V::Int(i) | V::IntS(i, _) => Val::Int(i),
            V::Str(b) => Val::Str(lossy(b)),
        }
    }
    /// What xlog prints when it is not the value's own string form.
    fn display(&self) -> Option<String> {
        match self {
            V::IntS(i, b) if i.to_string().as_bytes() != b.as_slice() => Some(lossy(b.clone())),
            _ => None,
        }
    }
    /// The string form (`int2str` of an integer); `None` for null.
    fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            V::Null => None,
            V::Int(i) => Some(i.to_string().into_bytes()),
            V::IntS(_, b) | V::Str(b) => Some(b.clone()),
        }
    }
}

fn lossy(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The value's string when it is not empty (the check of most classes:
/// `!(flags&PV_VAL_STR) || rs.len<=0` fails).
fn nonempty(v: &V) -> Result<Vec<u8>, TrErr> {
    match v.bytes() {
        Some(b) if !b.is_empty() => Ok(b),
        _ => Err(TrErr::Fail),
    }
}

fn s(b: &[u8]) -> V {
    V::Str(b.to_vec())
}

/// Apply a chain of transformations `(class, sub, params)` to `v`: the
/// value, and what xlog prints for it when that is not the value's own
/// string (an integer that keeps the text it came from).
pub fn apply_chain(
    chain: &[(&str, &str, Vec<Param>)],
    v: Val,
) -> Result<(Val, Option<String>), TrErr> {
    let mut cur = V::from_val(v);
    for (class, sub, params) in chain {
        cur = apply_one(class, sub, params, cur)?;
    }
    let d = cur.display();
    Ok((cur.into_val(), d))
}

/// Apply one transformation (tests and callers with a single step).
pub fn apply(class: &str, sub: &str, params: &[Param], v: Val) -> Result<Val, TrErr> {
    apply_one(class, sub, params, V::from_val(v)).map(V::into_val)
}

fn unsupported(class: &str, sub: &str) -> TrErr {
    TrErr::Unsupported(format!("{class}.{sub}"))
}

/// Kamailio's transformation buffers are 64 KiB (`TR_BUFFER_SIZE`): what
/// does not fit fails or overflows there, differently per transformation.
const TR_BUFFER_SIZE: usize = 65536;

fn apply_one(class: &str, sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    if v.bytes().is_some_and(|b| b.len() >= TR_BUFFER_SIZE - 2) {
        return Err(TrErr::Unsupported(format!(
            "{class}.{sub} of a value of 64 KiB or more"
        )));
    }
    let out = apply_class(class, sub, params, v)?;
    if out.bytes().is_some_and(|b| b.len() >= TR_BUFFER_SIZE - 1) {
        return Err(TrErr::Unsupported(format!(
            "{class}.{sub} with a result of 64 KiB or more"
        )));
    }
    Ok(out)
}

fn apply_class(class: &str, sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    let lsub = sub.trim().to_ascii_lowercase();
    let sub = lsub.as_str();
    match class.trim().to_ascii_lowercase().as_str() {
        "s" => tr_string(sub, params, v),
        "uri" => tr_uri(sub, params, v),
        "param" => tr_paramlist(sub, params, v),
        "nameaddr" => tr_nameaddr(sub, v),
        "tobody" => tr_tobody(sub, v),
        "line" => tr_line(sub, params, v),
        "urialias" => tr_urialias(sub, v),
        "sql" => tr_sql(sub, v),
        "sock" => tr_sock(sub, v),
        "url" => tr_url(sub, v),
        "msrpuri" => tr_msrpuri(sub, v),
        "re" if sub == "subst" => tr_re_subst(params, v),
        "json" => tr_json(sub, params, v),
        c => Err(unsupported(c, sub)),
    }
}

// ------------------------------------------------------------ parameters

const WS: &[u8] = b" \t\n";

/// A numeric parameter (`_tr_parse_nparam`): a literal number or a PV
/// that has an integer value.
fn nparam(params: &[Param], i: usize) -> Result<i64, TrErr> {
    match params.get(i) {
        None => Err(TrErr::Fail),
        Some(Param::Pv(Val::Int(n))) => Ok(*n as i32 as i64),
        Some(Param::Pv(_)) | Some(Param::Spve(_)) => Err(TrErr::Fail),
        Some(Param::Lit(l)) => {
            let b = l.as_bytes();
            let mut p = 0;
            while p < b.len() && WS.contains(&b[p]) {
                p += 1;
            }
            let mut sign = 1i64;
            if p < b.len() && b[p] == b'-' {
                sign = -1;
                p += 1;
            } else if p < b.len() && b[p] == b'+' {
                p += 1;
            }
            while p < b.len() && WS.contains(&b[p]) {
                p += 1;
            }
            let mut n: i64 = 0;
            while p < b.len() && b[p].is_ascii_digit() {
                n = (n * 10 + (b[p] - b'0') as i64) as i32 as i64;
                p += 1;
            }
            Ok(((sign * n) as i32) as i64)
        }
    }
}

/// A string parameter (`_tr_parse_sparam`): literal text from its first
/// non-blank up to a tab or line feed, or a PV with a non-empty string.
fn sparam(params: &[Param], i: usize) -> Result<Vec<u8>, TrErr> {
    match params.get(i) {
        None => Err(TrErr::Fail),
        Some(Param::Pv(v)) => match v {
            Val::Int(n) => Ok(n.to_string().into_bytes()),
            Val::Str(s) if !s.is_empty() => Ok(s.as_bytes().to_vec()),
            _ => Err(TrErr::Fail),
        },
        Some(Param::Lit(l)) => Ok(lit_sparam(l)),
        Some(Param::Spve(t)) => Ok(t.as_bytes().to_vec()),
    }
}

fn lit_sparam(l: &str) -> Vec<u8> {
    let b = l.as_bytes();
    let start = b.iter().position(|c| !WS.contains(c)).unwrap_or(b.len());
    let rest = &b[start..];
    let end = rest
        .iter()
        .position(|c| *c == b'\t' || *c == b'\n')
        .unwrap_or(rest.len());
    rest[..end].to_vec()
}

/// `_tr_parse_sparamx` with the marker allowed: `{s.count,,}` counts
/// commas (the config parser split it into two empty parameters).
fn sparamx(params: &[Param]) -> Result<Vec<u8>, TrErr> {
    if params.len() == 2
        && matches!((&params[0], &params[1]), (Param::Lit(a), Param::Lit(b)) if a.is_empty() && b.is_empty())
    {
        return Ok(b",".to_vec());
    }
    let v = sparam(params, 0)?;
    if v.is_empty() {
        // Kamailio reads the character at the parameter's position: the
        // closing brace or the comma
        return Err(TrErr::Unsupported(
            "an empty transformation parameter".into(),
        ));
    }
    Ok(v)
}

// ------------------------------------------------------------ s.*

fn tr_string(sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    if v == V::Null {
        return Err(TrErr::Fail);
    }
    let b = v.bytes().unwrap_or_default();
    let out = match sub {
        "len" => V::Int(b.len() as i64),
        "int" => match v {
            V::Int(_) | V::IntS(..) => v,
            // "" converts to 0 in str2sint, but an empty $var has no
            // string pointer and fails: the common case is taken
            _ if b.is_empty() => return Err(TrErr::Fail),
            _ => V::IntS(str2sint(&b).ok_or(TrErr::Fail)?, b),
        },
        "rmws" => V::Str(
            b.iter()
                .copied()
                .filter(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                .collect(),
        ),
        "md5" => {
            use md5::{Digest, Md5};
            V::Str(hex(&Md5::digest(&b)))
        }
        "sha256" => {
            use sha2::Digest;
            V::Str(hex(&sha2::Sha256::digest(&b)))
        }
        "sha384" => {
            use sha2::Digest;
            V::Str(hex(&sha2::Sha384::digest(&b)))
        }
        "sha512" => {
            use sha2::Digest;
            V::Str(hex(&sha2::Sha512::digest(&b)))
        }
        "encode.hexa" => V::Str(hex(&b)),
        "decode.hexa" => {
            let mut o = Vec::with_capacity(b.len() / 2);
            for i in 0..b.len() / 2 {
                let hi = hexval(b[2 * i]).ok_or(TrErr::Fail)?;
                let lo = hexval(b[2 * i + 1]).ok_or(TrErr::Fail)?;
                o.push(hi << 4 | lo);
            }
            V::Str(o)
        }
        "decode.7bit" => {
            if b.len() % 2 == 1 {
                // reads the byte after the value
                return Err(unsupported("s", sub));
            }
            V::Str(pdu_7bit_decode(&b))
        }
        "numeric" => V::Str(b.iter().copied().filter(u8::is_ascii_digit).collect()),
        "encode.base58" => V::Str(b58_encode(&b)),
        "encode.base64" => V::Str(base64_enc(&b, STD64).into_bytes()),
        "decode.base64" => {
            let o = base64_dec(&b).ok_or(TrErr::Fail)?;
            if o.is_empty() && !b.is_empty() {
                return Err(TrErr::Fail);
            }
            V::Str(o)
        }
        "encode.base64t" => V::Str(trim_pad(base64_enc(&b, STD64)).into_bytes()),
        "decode.base64t" => {
            let o = base64_dec(&pad4(&b)).ok_or(TrErr::Fail)?;
            if o.is_empty() && !b.is_empty() {
                return Err(TrErr::Fail);
            }
            V::Str(o)
        }
        "encode.base64url" => V::Str(base64_enc(&b, URL64).into_bytes()),
        "encode.base64urlt" => V::Str(trim_pad(base64_enc(&b, URL64)).into_bytes()),
        "decode.base64url" | "decode.base64urlt" => {
            let inp = if sub == "decode.base64urlt" {
                pad4(&b)
            } else {
                b.clone()
            };
            if inp.is_empty() {
                // base64url_dec: olen 0 is an error
                return Err(TrErr::Fail);
            }
            V::Str(base64url_dec(&inp).ok_or(TrErr::Fail)?)
        }
        "escape.common" => {
            let mut o = Vec::new();
            for &c in &b {
                match c {
                    b'\'' | b'"' | b'\\' => o.extend_from_slice(&[b'\\', c]),
                    0 => o.extend_from_slice(b"\\0"),
                    _ => o.push(c),
                }
            }
            V::Str(o)
        }
        "unescape.common" => {
            let mut o = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'\\' && i + 1 < b.len() {
                    match b[i + 1] {
                        b'\'' | b'"' | b'\\' => {
                            o.push(b[i + 1]);
                            i += 1;
                        }
                        b'0' => {
                            o.push(0);
                            i += 1;
                        }
                        _ => o.push(b[i]),
                    }
                } else {
                    o.push(b[i]);
                }
                i += 1;
            }
            V::Str(o)
        }
        "escape.user" => V::Str(escape_set(&b, b"-_.!~*'()&=+$,;?")?),
        "escape.param" => V::Str(escape_set(&b, b"-_.!~*'()[]/:&+$")?),
        "unescape.user" | "unescape.param" => V::Str(unescape_user(&b)?),
        "escape.csv" => {
            let mut o = vec![b'"'];
            for &c in &b {
                if c == b'"' {
                    o.push(b'"');
                }
                o.push(c);
            }
            o.push(b'"');
            V::Str(o)
        }
        "urlencode.param" => {
            let mut o = Vec::new();
            for &c in &b {
                if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
                    o.push(c);
                } else {
                    o.push(b'%');
                    o.push(HEX[(c >> 4) as usize]);
                    o.push(HEX[(c & 15) as usize]);
                }
            }
            V::Str(o)
        }
        "urldecode.param" => {
            let mut o = Vec::new();
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'%' => {
                        if i + 2 >= b.len() {
                            // urldecode reads p[1] and p[2] past the value
                            return Err(unsupported("s", sub));
                        }
                        let h = |c: u8| -> i32 {
                            if c.is_ascii_digit() {
                                (c - b'0') as i8 as i32
                            } else {
                                (c.to_ascii_lowercase().wrapping_sub(b'a').wrapping_add(10)) as i8
                                    as i32
                            }
                        };
                        o.push((h(b[i + 1]) << 4 | h(b[i + 2])) as u8);
                        i += 2;
                    }
                    b'+' => o.push(b' '),
                    c => o.push(c),
                }
                i += 1;
            }
            V::Str(o)
        }
        "substr" => {
            let i = nparam(params, 0)?;
            let mut j = nparam(params, 1)?;
            if j < 0 {
                return Err(TrErr::Fail);
            }
            let n = b.len() as i64;
            if i >= 0 {
                if i >= n {
                    return Err(TrErr::Fail);
                }
                if i + j >= n {
                    j = 0;
                }
                let (st, en) = if j == 0 { (i, n) } else { (i, i + j) };
                s(&b[st as usize..en as usize])
            } else {
                let i = -i;
                if i > n {
                    return Err(TrErr::Fail);
                }
                if i < j {
                    j = 0;
                }
                let st = (n - i) as usize;
                if j == 0 {
                    s(&b[st..])
                } else {
                    s(&b[st..st + j as usize])
                }
            }
        }
        "select" => {
            let idx = nparam(params, 0)?;
            let c = select_sep(params)?;
            V::Str(select(&b, idx, c))
        }
        "tolower" => match v {
            V::Int(_) | V::IntS(..) => v,
            _ => V::Str(b.to_ascii_lowercase()),
        },
        "toupper" => match v {
            V::Int(_) | V::IntS(..) => v,
            _ => V::Str(b.to_ascii_uppercase()),
        },
        "strip" | "striptail" => {
            let i = nparam(params, 0)?;
            if i <= 0 {
                V::Str(b)
            } else if i as usize >= b.len() {
                V::Str(vec![])
            } else if sub == "strip" {
                s(&b[i as usize..])
            } else {
                s(&b[..b.len() - i as usize])
            }
        }
        "stripto" => {
            let st = sparam(params, 0)?;
            let c = *st.first().ok_or(TrErr::Fail)?;
            match b.iter().position(|x| *x == c) {
                Some(p) => s(&b[p..]),
                None => V::Str(vec![]),
            }
        }
        "prefixes" | "prefixes.quoted" => {
            let mut max = b.len() as i64;
            if !params.is_empty() {
                let m = nparam(params, 0)?;
                if m > 0 && m < max {
                    max = m;
                }
            }
            let q = sub == "prefixes.quoted";
            // pv_trans.c's size check (1 for quoted, 3 for plain, as written)
            if max * (max / 2 + if q { 1 } else { 3 }) > (TR_BUFFER_SIZE - 1) as i64 {
                return Err(TrErr::Fail);
            }
            let mut o = Vec::new();
            for i in 1..=max as usize {
                if q {
                    o.push(b'\'');
                }
                o.extend_from_slice(&b[..i]);
                if q {
                    o.push(b'\'');
                }
                o.push(b',');
            }
            o.pop();
            V::Str(o)
        }
        "replace" => {
            let from = sparam(params, 0)?;
            let to = sparam(params, 1)?;
            V::Str(replace_all(&b, &from, Some(&to)))
        }
        "rm" => {
            let what = match params.first() {
                Some(Param::Lit(l)) => unescape_rm(&lit_sparam(l)),
                _ => sparam(params, 0)?,
            };
            if what.is_empty() {
                return Err(TrErr::Unsupported("s.rm with an empty parameter".into()));
            }
            V::Str(replace_all(&b, &what, None))
        }
        "trim" => s(trim_bytes(&b, true, true)),
        "rtrim" => s(trim_bytes(&b, false, true)),
        "ltrim" => s(trim_bytes(&b, true, false)),
        "unquote" | "unbracket" => {
            if let V::Int(_) | V::IntS(..) = v {
                return Ok(v);
            }
            if b.len() < 2 {
                return Ok(V::Str(b));
            }
            let (f, l) = (b[0], b[b.len() - 1]);
            let strip = if sub == "unquote" {
                f == l && (f == b'"' || f == b'\'')
            } else {
                matches!(
                    (f, l),
                    (b'(', b')') | (b'[', b']') | (b'{', b'}') | (b'<', b'>')
                )
            };
            if strip {
                s(&b[1..b.len() - 1])
            } else {
                V::Str(b)
            }
        }
        "count" => {
            let c = sparamx(params)?[0];
            V::Int(b.iter().filter(|x| **x == c).count() as i64)
        }
        "before" | "after" | "rbefore" | "rafter" => {
            let c = sparamx(params)?[0];
            let i = if sub == "before" || sub == "after" {
                b.iter().position(|x| *x == c).unwrap_or(b.len())
            } else if b.last() == Some(&c) {
                // the reverse search walks forward (i++) from the last
                // byte: only a match there stays inside the value
                b.len() - 1
            } else {
                return Err(unsupported("s", sub));
            };
            if sub.ends_with("before") {
                s(&b[..i])
            } else if i + 1 >= b.len() {
                V::Str(vec![])
            } else {
                s(&b[i + 1..])
            }
        }
        "fmtlines" | "fmtlinet" => {
            let n = nparam(params, 0)?;
            let m = nparam(params, 1)?;
            if n <= 0 || m < 0 {
                return Err(TrErr::Fail);
            }
            let len = b.len() as i64;
            if len + (len / n) * (2 + m) > (TR_BUFFER_SIZE - 2) as i64 {
                return Err(TrErr::Fail);
            }
            // the check counts len/n breaks, the loop makes min(n, len)-1
            if len + (n.min(len) - 1).max(0) * (2 + m) > (TR_BUFFER_SIZE - 2) as i64 {
                return Err(unsupported("s", "fmtlines past Kamailio's buffer"));
            }
            // Kamailio 5.6.3 tests `(i/n)==0`: the break goes before each
            // of the first n-1 characters after the first. When m >= len
            // it first copies the value into its output buffer and then
            // reads from the buffer it writes (the copy is overwritten)
            let fill = if sub == "fmtlines" { b' ' } else { b'\t' };
            let len = b.len();
            let inplace = m as usize >= len;
            let mut buf = b.clone();
            let mut o: Vec<u8> = Vec::new();
            let put = |o: &mut Vec<u8>, buf: &mut Vec<u8>, pos: usize, c: u8| {
                if inplace {
                    if pos >= buf.len() {
                        buf.resize(pos + 1, 0);
                    }
                    buf[pos] = c;
                } else {
                    o.push(c);
                }
            };
            let mut p = 0usize;
            for i in 0..len {
                if i != 0 && (i as i64 / n) == 0 {
                    put(&mut o, &mut buf, p, b'\r');
                    put(&mut o, &mut buf, p + 1, b'\n');
                    p += 2;
                    for _ in 0..m {
                        put(&mut o, &mut buf, p, fill);
                        p += 1;
                    }
                }
                let c = if inplace { buf[i] } else { b[i] };
                put(&mut o, &mut buf, p, c);
                p += 1;
            }
            if inplace {
                buf.truncate(p);
                V::Str(buf)
            } else {
                V::Str(o)
            }
        }
        "corehash" => {
            let size = if params.is_empty() {
                0u32
            } else {
                nparam(params, 0)? as u32
            };
            V::Str(core_hash(&b, size).to_string().into_bytes())
        }
        // encode.7bit reads the byte after the value; ftime depends on the
        // time zone; decode.base58 returns a byte it never writes
        _ => return Err(unsupported("s", sub)),
    };
    Ok(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex(b: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(b.len() * 2);
    for &c in b {
        o.push(HEX[(c >> 4) as usize]);
        o.push(HEX[(c & 15) as usize]);
    }
    o
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `str2sint` (`ut.h`): optional sign, decimal digits, a 32-bit range;
/// the empty string (and a lone sign) is 0.
pub(crate) fn str2sint(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first() {
        Some(b'+') => (false, &b[1..]),
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let mut r: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        r = r * 10 + (c - b'0') as i64;
        if (!neg && r > i32::MAX as i64) || (neg && -r < i32::MIN as i64) {
            return None;
        }
    }
    Some(if neg { -r } else { r })
}

fn trim_bytes(b: &[u8], lead: bool, trail: bool) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut st = 0;
    let mut en = b.len();
    if lead {
        while st < en && ws(&b[st]) {
            st += 1;
        }
    }
    if trail {
        while en > st && ws(&b[en - 1]) {
            en -= 1;
        }
    }
    &b[st..en]
}

/// `s.replace` (`to` given) and `s.rm` (`to` = None): every occurrence,
/// left to right, not overlapping.
fn replace_all(b: &[u8], from: &[u8], to: Option<&[u8]>) -> Vec<u8> {
    let mut o = Vec::new();
    let mut i = 0;
    // Kamailio stops at its buffer's end (apply_one reports what is longer)
    while i < b.len() && o.len() < TR_BUFFER_SIZE {
        if !from.is_empty() && b[i..].starts_with(from) {
            if let Some(t) = to {
                o.extend_from_slice(t);
            }
            i += from.len();
        } else {
            o.push(b[i]);
            i += 1;
        }
    }
    o
}

/// The backslash escapes of a literal `s.rm` parameter.
fn unescape_rm(st: &[u8]) -> Vec<u8> {
    if !st.contains(&b'\\') {
        return st.to_vec();
    }
    let mut o = Vec::new();
    let mut i = 0;
    while i + 1 < st.len() {
        if st[i] == b'\\' {
            o.push(match st[i + 1] {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                c => c,
            });
            i += 2;
        } else {
            o.push(st[i]);
            i += 1;
        }
    }
    if i == st.len() - 1 {
        o.push(st[i]);
    }
    o
}

/// The separator of `{s.select,N,C}`: one character or `\\ \n \r \t`.
fn select_sep(params: &[Param]) -> Result<u8, TrErr> {
    // `{s.select,1,,}`: the separator is a comma
    if params.len() == 3
        && matches!((&params[1], &params[2]), (Param::Lit(a), Param::Lit(b)) if a.is_empty() && b.is_empty())
    {
        return Ok(b',');
    }
    let raw = match params.get(1) {
        Some(Param::Lit(l)) => l.as_bytes().to_vec(),
        Some(Param::Pv(_)) | Some(Param::Spve(_)) => {
            return Err(TrErr::Unsupported("s.select with a PV separator".into()))
        }
        None => return Err(TrErr::Fail),
    };
    match raw.as_slice() {
        [c] => Ok(*c),
        [b'\\', e] => Ok(match e {
            b'\\' => b'\\',
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            _ => return Err(TrErr::Fail),
        }),
        _ => Err(TrErr::Unsupported("s.select separator".into())),
    }
}

fn select(b: &[u8], idx: i64, c: u8) -> Vec<u8> {
    if idx < 0 {
        let mut i = -idx - 1;
        let mut s_end: isize = b.len() as isize - 1;
        let mut p: isize = s_end;
        while p >= 0 {
            if b[p as usize] == c {
                if i == 0 {
                    break;
                }
                s_end = p - 1;
                i -= 1;
            }
            p -= 1;
        }
        if i == 0 {
            let st = (p + 1) as usize;
            let len = s_end - p;
            if len <= 0 {
                vec![]
            } else {
                b[st..st + len as usize].to_vec()
            }
        } else {
            vec![]
        }
    } else {
        let mut i = idx;
        let mut st = 0usize;
        let mut p = 0usize;
        while p < b.len() {
            if b[p] == c {
                if i == 0 {
                    break;
                }
                st = p + 1;
                i -= 1;
            }
            p += 1;
        }
        if i == 0 {
            b[st..p].to_vec()
        } else {
            vec![]
        }
    }
}

fn escape_set(b: &[u8], keep: &[u8]) -> Result<Vec<u8>, TrErr> {
    let mut o = Vec::new();
    for &c in b {
        if !(32..=126).contains(&c) {
            return Err(TrErr::Fail);
        }
        if c.is_ascii_alphanumeric() || keep.contains(&c) {
            o.push(c);
        } else {
            o.push(b'%');
            o.push(HEX[(c >> 4) as usize]);
            o.push(HEX[(c & 15) as usize]);
        }
    }
    Ok(o)
}

fn unescape_user(b: &[u8]) -> Result<Vec<u8>, TrErr> {
    let mut o = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            // past the value Kamailio reads the next byte of its buffer,
            // which is never a hex digit in a header or a variable
            let hi = b.get(i + 1).copied().and_then(hexval).ok_or(TrErr::Fail)?;
            let lo = b.get(i + 2).copied().and_then(hexval).ok_or(TrErr::Fail)?;
            let c = hi << 4 | lo;
            if !(32..=126).contains(&c) {
                return Err(TrErr::Fail);
            }
            o.push(c);
            i += 3;
        } else {
            o.push(b[i]);
            i += 1;
        }
    }
    Ok(o)
}

fn pdu_7bit_decode(b: &[u8]) -> Vec<u8> {
    let hx = |c: u8| -> u8 {
        // hex_to_char
        if c.is_ascii_digit() {
            c - b'0'
        } else {
            c.to_ascii_lowercase().wrapping_sub(b'a').wrapping_add(10)
        }
    };
    let mut o = Vec::new();
    let mut nleft: u32 = 1;
    let mut oldfill: u8 = 0;
    let mut i = 0;
    while i < b.len() {
        let mut x: u8 = (hx(b[i]) << 4) | hx(b[i + 1]);
        let fill = x >> (8 - nleft);
        x <<= nleft - 1;
        x &= 0x7f;
        x |= oldfill;
        oldfill = fill;
        o.push(x);
        nleft += 1;
        if nleft == 8 {
            o.push(oldfill);
            nleft = 1;
            oldfill = 0;
        }
        i += 2;
    }
    o
}

const STD64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64_enc(b: &[u8], alpha: &[u8; 64]) -> String {
    let mut o = String::new();
    for ch in b.chunks(3) {
        let n = (ch[0] as u32) << 16
            | (*ch.get(1).unwrap_or(&0) as u32) << 8
            | *ch.get(2).unwrap_or(&0) as u32;
        o.push(alpha[(n >> 18 & 63) as usize] as char);
        o.push(alpha[(n >> 12 & 63) as usize] as char);
        o.push(if ch.len() > 1 {
            alpha[(n >> 6 & 63) as usize] as char
        } else {
            '='
        });
        o.push(if ch.len() > 2 {
            alpha[(n & 63) as usize] as char
        } else {
            '='
        });
    }
    o
}

fn trim_pad(mut s: String) -> String {
    if s.len() > 1 && s.ends_with('=') {
        s.pop();
        if s.len() > 1 && s.ends_with('=') {
            s.pop();
        }
    }
    s
}

fn pad4(b: &[u8]) -> Vec<u8> {
    let mut o = b.to_vec();
    while !o.len().is_multiple_of(4) {
        o.push(b'=');
    }
    o
}

/// `base64_dec` (`basex.h`): `Some(empty)` for a bad length or padding
/// (Kamailio returns 0); other bytes decode to 0xff digits, no error.
fn base64_dec(b: &[u8]) -> Option<Vec<u8>> {
    let l = b.len();
    if l < 4 || !l.is_multiple_of(4) || (b[l - 2] == b'=' && b[l - 1] != b'=') {
        return Some(vec![]);
    }
    let un = |c: u8| -> u32 {
        match STD64.iter().position(|x| *x == c) {
            Some(p) => p as u32,
            None => 0xff,
        }
    };
    let osize = l / 4 * 3 - (b[l - 2] == b'=') as usize - (b[l - 1] == b'=') as usize;
    let mut o = Vec::with_capacity(osize);
    for ch in b.chunks(4) {
        let (a, bb, c, d) = (un(ch[0]), un(ch[1]), un(ch[2]), un(ch[3]));
        o.push(((a << 2) | (bb >> 4)) as u8);
        o.push(((bb << 4) | (c >> 2)) as u8);
        o.push(((c << 6) | d) as u8);
    }
    o.truncate(osize);
    Some(o)
}

fn base64url_dec(b: &[u8]) -> Option<Vec<u8>> {
    let mut n = 0;
    let mut i = b.len();
    while i > 0 && b[i - 1] == b'=' {
        n += 1;
        i -= 1;
    }
    let olen = ((b.len() * 6) >> 3) as i64 - n as i64;
    if olen <= 0 {
        return None;
    }
    let olen = olen as usize;
    let end = b.len() - n;
    let mut o = vec![0u8; olen];
    let (mut i, mut idx) = (0, 0);
    while i < end {
        let mut block: u32 = 0;
        let mut j = 0;
        while j < 4 && i < end {
            let c = URL64.iter().position(|x| *x == b[i])? as u32;
            i += 1;
            block += c << (18 - 6 * j);
            j += 1;
        }
        let mut k = 0;
        let mut sh = 16;
        while k < 3 && idx + k < olen {
            o[idx + k] = (block >> sh & 0xff) as u8;
            k += 1;
            sh -= 8;
        }
        idx += 3;
    }
    Some(o)
}

fn b58_encode(bin: &[u8]) -> Vec<u8> {
    const DIG: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let zcount = bin.iter().take_while(|c| **c == 0).count();
    let size = (bin.len() - zcount) * 138 / 100 + 1;
    let mut buf = vec![0u32; size];
    let mut high = size as isize - 1;
    for &byte in &bin[zcount..] {
        let mut carry = byte as u32;
        let mut j = size as isize - 1;
        while j > high || carry != 0 {
            carry += 256 * buf[j as usize];
            buf[j as usize] = carry % 58;
            carry /= 58;
            j -= 1;
        }
        high = j;
    }
    let first = buf.iter().position(|x| *x != 0).unwrap_or(size);
    let mut o = vec![b'1'; zcount];
    o.extend(buf[first..].iter().map(|d| DIG[*d as usize]));
    o
}

/// Kamailio's `core_hash(s, NULL, size)` (`hashes.h`): the value, masked
/// with `size-1` when a size is given.
fn core_hash(b: &[u8], size: u32) -> u32 {
    // `char` is signed: bytes >= 0x80 are sign-extended
    let c = |x: u8| x as i8 as i32 as u32;
    let mut h: u32 = 0;
    let mut i = 0;
    while i + 4 <= b.len() {
        let v = (c(b[i]) << 24)
            .wrapping_add(c(b[i + 1]) << 16)
            .wrapping_add(c(b[i + 2]) << 8)
            .wrapping_add(c(b[i + 3]));
        h = h.wrapping_add(v ^ (v >> 3));
        i += 4;
    }
    let mut v: u32 = 0;
    while i < b.len() {
        v = (v << 8).wrapping_add(c(b[i]));
        i += 1;
    }
    h = h.wrapping_add(v ^ (v >> 3));
    let r = h
        .wrapping_add(h >> 11)
        .wrapping_add((h >> 13).wrapping_add(h >> 23));
    if size != 0 {
        r & size.wrapping_sub(1)
    } else {
        r
    }
}

// ------------------------------------------------------------ uri.*

/// A SIP URI as Kamailio's `parse_uri` splits it (the parts the
/// transformations use).
#[derive(Debug, Default, Clone)]
pub(crate) struct PUri {
    pub user: Option<Vec<u8>>,
    pub passwd: Option<Vec<u8>>,
    pub host: Option<Vec<u8>>,
    pub port: Option<Vec<u8>>,
    pub port_no: u32,
    pub params: Option<Vec<u8>>,
    pub headers: Option<Vec<u8>>,
    pub transport: Option<Vec<u8>>,
    pub proto: u8,
    pub ttl: Option<Vec<u8>>,
    pub uparam: Option<Vec<u8>>,
    pub maddr: Option<Vec<u8>>,
    pub method: Option<Vec<u8>>,
    pub lr: Option<Vec<u8>>,
    pub r2: Option<Vec<u8>>,
}

/// `parse_uri` for the URIs configs carry: `sip:`, `sips:`, `tel:`,
/// `tels:`, `urn:` (case-insensitive). `None` where Kamailio's parser
/// rejects the URI (or where this one is not sure it would accept it).
pub(crate) fn parse_uri(b: &[u8]) -> Option<PUri> {
    let colon = b.iter().position(|c| *c == b':')?;
    let scheme = b[..colon].to_ascii_lowercase();
    let kind = match scheme.as_slice() {
        b"sip" => 0,
        b"sips" => 1,
        b"tel" => 2,
        b"tels" => 3,
        b"urn" => 4,
        _ => return None,
    };
    let mut u = PUri::default();
    let rest = &b[colon + 1..];
    if rest.is_empty() {
        return None;
    }
    // characters that make the state machine stop or that this simple
    // parser does not follow
    if rest
        .iter()
        .any(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'<' | b'>' | b'"'))
    {
        return None;
    }
    let (main, headers) = match rest.iter().position(|c| *c == b'?') {
        Some(q) => (&rest[..q], Some(rest[q + 1..].to_vec())),
        None => (rest, None),
    };
    u.headers = headers;
    if kind == 4 {
        // urn: everything is the host
        u.host = Some(main.to_vec());
        return Some(u);
    }
    // userinfo: up to the '@' (only one allowed here)
    let ats = main.iter().filter(|c| **c == b'@').count();
    if ats > 1 {
        return None;
    }
    let (userinfo, hostpart) = match main.iter().position(|c| *c == b'@') {
        Some(a) => (Some(&main[..a]), &main[a + 1..]),
        None => (None, main),
    };
    if let Some(ui) = userinfo {
        if ui.is_empty() {
            return None;
        }
        // a ';' in the user part: Kamailio's user params, not followed here
        match ui.iter().position(|c| *c == b':') {
            Some(c) => {
                u.user = Some(ui[..c].to_vec());
                u.passwd = Some(ui[c + 1..].to_vec());
            }
            None => u.user = Some(ui.to_vec()),
        }
    }
    let (hp, params) = match hostpart.iter().position(|c| *c == b';') {
        Some(sc) => (&hostpart[..sc], Some(hostpart[sc + 1..].to_vec())),
        None => (hostpart, None),
    };
    let (host, port) = if hp.first() == Some(&b'[') {
        let e = hp.iter().position(|c| *c == b']')?;
        let after = &hp[e + 1..];
        match after.first() {
            None => (&hp[..=e], None),
            Some(b':') => (&hp[..=e], Some(&after[1..])),
            _ => return None,
        }
    } else {
        match hp.iter().position(|c| *c == b':') {
            Some(c) => (&hp[..c], Some(&hp[c + 1..])),
            None => (hp, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u32 = std::str::from_utf8(p).ok()?.parse().ok()?;
        if n > 65535 {
            return None;
        }
        u.port_no = n;
        u.port = Some(p.to_vec());
    }
    u.host = Some(host.to_vec());
    if let Some(ps) = &params {
        for p in ps.split(|c| *c == b';') {
            let (n, val) = match p.iter().position(|c| *c == b'=') {
                Some(e) => (&p[..e], Some(p[e + 1..].to_vec())),
                None => (p, None),
            };
            let n = n.to_ascii_lowercase();
            let v = val.clone().unwrap_or_default();
            match n.as_slice() {
                b"transport" => {
                    u.proto = match v.to_ascii_lowercase().as_slice() {
                        b"udp" => 1,
                        b"tcp" => 2,
                        b"tls" => 3,
                        b"sctp" => 4,
                        b"ws" => 5,
                        _ => 0,
                    };
                    u.transport = Some(v);
                }
                b"ttl" => u.ttl = Some(v),
                b"user" => u.uparam = Some(v),
                b"maddr" => u.maddr = Some(v),
                b"method" => u.method = Some(v),
                b"lr" => u.lr = Some(v),
                b"r2" => u.r2 = Some(v),
                _ => {}
            }
        }
    }
    u.params = params;
    if kind == 2 || kind == 3 {
        // tel: the number is the user, the host is empty
        u.user = u.host.take();
        u.host = Some(vec![]);
        // sip_params (uri.params, uri.param) are only a sip(s) URI's
        u.params = None;
        if u.port.is_some() || userinfo.is_some() {
            return None;
        }
    }
    Some(u)
}

/// `urn:` URIs: Kamailio's parser splits them in a way not followed here.
fn is_urn(b: &[u8]) -> bool {
    b.len() >= 4 && b[..4].eq_ignore_ascii_case(b"urn:")
}

fn tr_uri(sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    if is_urn(&b) {
        return Err(unsupported("uri", "of a urn: URI"));
    }
    let mut pb: &[u8] = &b;
    if b.len() > 4 && b[b.len() - 1] == b';' {
        pb = &b[..b.len() - 1];
    }
    let u = parse_uri(pb).ok_or(TrErr::Fail)?;
    let or_empty = |x: &Option<Vec<u8>>| V::Str(x.clone().unwrap_or_default());
    Ok(match sub {
        "user" => or_empty(&u.user),
        "host" | "domain" => or_empty(&u.host),
        "passwd" => or_empty(&u.passwd),
        // an integer (port_no) printed as the port's text
        "port" => V::IntS(u.port_no as i64, u.port.clone().unwrap_or_default()),
        "params" => or_empty(&u.params),
        "headers" => or_empty(&u.headers),
        "transport" => or_empty(&u.transport),
        "ttl" => or_empty(&u.ttl),
        "uparam" => or_empty(&u.uparam),
        "maddr" => or_empty(&u.maddr),
        "method" => or_empty(&u.method),
        "lr" => or_empty(&u.lr),
        "r2" => or_empty(&u.r2),
        "scheme" => V::Str(b[..b.iter().position(|c| *c == b':').unwrap_or(b.len())].to_vec()),
        "param" => {
            let name = sparam(params, 0)?;
            match &u.params {
                Some(ps) if !ps.is_empty() => {
                    let list = parse_params(ps, b';').ok_or(TrErr::Fail)?;
                    match list.iter().find(|p| p.name.eq_ignore_ascii_case(&name)) {
                        Some(p) => V::Str(p.body.clone()),
                        None => V::Str(vec![]),
                    }
                }
                _ => V::Str(vec![]),
            }
        }
        // Kamailio 5.6.3 copies one byte too many after the scheme's ':'
        // (a stale byte of its buffer)
        "saor" | "suri" | "duri" => return Err(unsupported("uri", sub)),
        "tosocket" => {
            let proto = match u.proto {
                1 => "udp",
                2 => "tcp",
                3 => "tls",
                4 => "sctp",
                5 => "ws",
                _ => return Ok(V::Str(vec![])),
            };
            let mut o = proto.as_bytes().to_vec();
            o.push(b':');
            o.extend_from_slice(u.host.as_deref().unwrap_or_default());
            o.extend_from_slice(
                format!(":{}", if u.port_no != 0 { u.port_no } else { 5060 }).as_bytes(),
            );
            V::Str(o)
        }
        _ => return Err(unsupported("uri", sub)),
    })
}

// ------------------------------------------------------------ param.*

#[derive(Debug, Clone)]
pub(crate) struct P {
    pub name: Vec<u8>,
    pub body: Vec<u8>,
}

/// `parse_params2` (`parse_param.c`) in string order; `None` on a parse
/// error. Parsing stops at a `,` or `>` after a parameter.
pub(crate) fn parse_params(b: &[u8], sep: u8) -> Option<Vec<P>> {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut out = Vec::new();
    let mut i = 0;
    if b.is_empty() {
        return Some(out);
    }
    loop {
        let ns = i;
        while i < b.len() && !ws(b[i]) && b[i] != b',' && b[i] != b'=' && b[i] != sep {
            i += 1;
        }
        let name = b[ns..i].to_vec();
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            out.push(P { name, body: vec![] });
            return Some(out);
        }
        let mut body = vec![];
        if b[i] == b'=' {
            i += 1;
            while i < b.len() && ws(b[i]) {
                i += 1;
            }
            if i < b.len() {
                if b[i] == b'"' || b[i] == b'\'' {
                    if b.len() - i < 2 {
                        return None;
                    }
                    let q = b[i];
                    let e = b[i + 1..].iter().position(|c| *c == q)? + i + 1;
                    body = b[i + 1..e].to_vec();
                    i = e + 1;
                } else {
                    let st = i;
                    while i < b.len() && !ws(b[i]) && b[i] != b',' && b[i] != sep {
                        i += 1;
                    }
                    if i == st {
                        return None;
                    }
                    body = b[st..i].to_vec();
                }
            }
            while i < b.len() && ws(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                out.push(P { name, body });
                return Some(out);
            }
        }
        out.push(P { name, body });
        if b[i] == b',' || b[i] == b'>' {
            return Some(out);
        }
        if b[i] != sep {
            return None;
        }
        i += 1;
        while i < b.len() && ws(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
    }
}

fn tr_paramlist(sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    let mut sep = b';';
    if sub == "count" {
        if !params.is_empty() {
            let s = sparamx(params)?;
            if matches!(params.first(), Some(Param::Lit(_))) && s.len() != 1 {
                return Err(TrErr::Fail);
            }
            sep = s[0];
        }
    } else if params.len() >= 2 {
        match &params[1] {
            Param::Lit(l) => {
                let s = lit_sparam(l);
                if s.len() != 1 {
                    return Err(TrErr::Fail);
                }
                sep = s[0];
            }
            Param::Pv(_) | Param::Spve(_) => return Err(TrErr::Fail),
        }
    }
    let mut sv: &[u8] = &b;
    if sv.len() > 1 && sv[sv.len() - 1] == sep {
        sv = &sv[..sv.len() - 1];
    }
    let list = parse_params(sv, sep).ok_or(TrErr::Fail)?;
    if list.is_empty() {
        return Err(TrErr::Fail);
    }
    Ok(match sub {
        "value" | "in" => {
            let name = sparam(params, 0)?;
            // the list is searched from its last parameter (it is built reversed)
            let found = list
                .iter()
                .rev()
                .find(|p| p.name.eq_ignore_ascii_case(&name));
            if sub == "in" {
                V::Int(found.is_some() as i64)
            } else {
                V::Str(found.map(|p| p.body.clone()).unwrap_or_default())
            }
        }
        "valueat" | "name" => {
            let n = nparam(params, 0)?;
            let len = list.len() as i64;
            // n<0 counts from the end, n>=0 from the start
            let idx = if n < 0 { len + n } else { n };
            match list.get(idx as usize).filter(|_| idx >= 0 && idx < len) {
                Some(p) => V::Str(if sub == "name" {
                    p.name.clone()
                } else {
                    p.body.clone()
                }),
                None => V::Str(vec![]),
            }
        }
        "count" => V::Int(list.len() as i64),
        _ => return Err(unsupported("param", sub)),
    })
}

// ------------------------------------------------------------ nameaddr / tobody

/// `find_not_quoted` (`parser_f.h`).
fn find_not_quoted(b: &[u8], c: u8) -> Option<usize> {
    let mut quoted = false;
    for i in 0..b.len() {
        if !quoted {
            if b[i] == b'"' {
                quoted = true;
            } else if b[i] == c {
                return Some(i);
            }
        } else if b[i] == b'"' && b[i - 1] != b'\\' {
            quoted = false;
        }
    }
    None
}

fn tr_nameaddr(sub: &str, v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    // parse_nameaddr; no `<`: the whole value is the URI
    let (name, uri, len) = match find_not_quoted(&b, b'<') {
        None => (vec![], b.clone(), b.len()),
        Some(lt) => match find_not_quoted(&b[lt + 1..], b'>') {
            Some(gt) => (
                b[..lt].to_vec(),
                b[lt + 1..lt + 1 + gt].to_vec(),
                lt + gt + 2,
            ),
            // Kamailio keeps the half-parsed value cached for the next
            // nameaddr transformation of the same string
            None => return Err(unsupported("nameaddr", "with no closing '>'")),
        },
    };
    Ok(match sub {
        "uri" => V::Str(uri),
        "name" => V::Str(name),
        "len" => V::Int(len as i64),
        _ => return Err(unsupported("nameaddr", sub)),
    })
}

/// The parts of a To/From body (`parse_to`).
struct ToBody {
    display: Vec<u8>,
    uri: Vec<u8>,
    params: Vec<u8>,
    tag: Vec<u8>,
}

fn parse_to_body(b: &[u8]) -> Option<ToBody> {
    let t = trim_bytes(b, true, true);
    let (display, uri, rest) = if let Some(first) = t.first() {
        if *first == b'"' {
            // quoted display name, escapes allowed
            let mut i = 1;
            while i < t.len() && t[i] != b'"' {
                if t[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            if i >= t.len() {
                return None;
            }
            let display = t[..=i].to_vec();
            let r = trim_bytes(&t[i + 1..], true, false);
            if r.first() != Some(&b'<') {
                return None;
            }
            let gt = r.iter().position(|c| *c == b'>')?;
            (display, r[1..gt].to_vec(), &r[gt + 1..])
        } else if let Some(lt) = t.iter().position(|c| *c == b'<') {
            let gt = t[lt..].iter().position(|c| *c == b'>')? + lt;
            let display = trim_bytes(&t[..lt], true, true).to_vec();
            (display, t[lt + 1..gt].to_vec(), &t[gt + 1..])
        } else {
            // addr-spec: the URI ends at the first ';' or blank
            let e = t
                .iter()
                .position(|c| matches!(c, b';' | b' ' | b'\t'))
                .unwrap_or(t.len());
            (vec![], t[..e].to_vec(), &t[e..])
        }
    } else {
        return None;
    };
    let r = trim_bytes(rest, true, true);
    let mut tag = vec![];
    let params = if r.is_empty() {
        vec![]
    } else {
        if r[0] != b';' {
            return None;
        }
        let ps = trim_bytes(&r[1..], true, false);
        if ps.is_empty() {
            return None;
        }
        let list = parse_params(ps, b';')?;
        for p in &list {
            if p.name.eq_ignore_ascii_case(b"tag") {
                tag = p.body.clone();
            }
        }
        ps.to_vec()
    };
    Some(ToBody {
        display,
        uri,
        params,
        tag,
    })
}

fn tr_tobody(sub: &str, v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    let tb = parse_to_body(&b).ok_or(TrErr::Fail)?;
    if is_urn(&tb.uri) {
        return Err(unsupported("tobody", "with a urn: URI"));
    }
    let u = parse_uri(&tb.uri).ok_or(TrErr::Fail)?;
    Ok(match sub {
        "uri" => V::Str(tb.uri),
        "tag" => V::Str(tb.tag),
        "display" => V::Str(tb.display),
        "user" => V::Str(u.user.unwrap_or_default()),
        "host" => V::Str(u.host.unwrap_or_default()),
        "params" => V::Str(tb.params),
        _ => return Err(unsupported("tobody", sub)),
    })
}

// ------------------------------------------------------------ line.*

fn tr_line(sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    let lines_at = |st: usize| -> &[u8] {
        let e = b[st..]
            .iter()
            .position(|c| *c == b'\n')
            .map(|e| e + st)
            .unwrap_or(b.len());
        &b[st..e]
    };
    let mut out: Vec<u8> = match sub {
        "count" => {
            let mut n = b.iter().filter(|c| **c == b'\n').count();
            if b.last() != Some(&b'\n') {
                n += 1;
            }
            n.to_string().into_bytes()
        }
        "sw" => {
            let pre = sparam(params, 0)?;
            let mut found = None;
            if b.len() >= pre.len() {
                let mut p = 0usize;
                loop {
                    if b[p..].starts_with(&pre) {
                        found = Some(p);
                        break;
                    }
                    match b[p..].iter().position(|c| *c == b'\n') {
                        Some(nl) => {
                            p += nl + 1;
                            if p > b.len() - pre.len() {
                                break;
                            }
                        }
                        None => break,
                    }
                }
            }
            match found {
                Some(p) => lines_at(p).to_vec(),
                None => vec![],
            }
        }
        "at" => {
            let n = nparam(params, 0)?;
            if n < 0 {
                // the n-th line from the end (a final '\n' ends the last)
                let body = if b.last() == Some(&b'\n') {
                    &b[..b.len() - 1]
                } else {
                    &b[..]
                };
                let lines: Vec<&[u8]> = body.split(|c| *c == b'\n').collect();
                let k = (-n) as usize;
                if k <= lines.len() {
                    lines[lines.len() - k].to_vec()
                } else {
                    vec![]
                }
            } else {
                let mut p = Some(0usize);
                let mut i = 0;
                while i < n && p.is_some() {
                    p = p.and_then(|st| {
                        b[st..].iter().position(|c| *c == b'\n').map(|x| st + x + 1)
                    });
                    i += 1;
                }
                match p {
                    Some(st) if st <= b.len() => lines_at(st).to_vec(),
                    _ => vec![],
                }
            }
        }
        _ => return Err(unsupported("line", sub)),
    };
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    Ok(V::Str(out))
}

// ------------------------------------------------------------ urialias.*

fn tr_urialias(sub: &str, v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    Ok(match sub {
        "encode" if is_urn(&b) => return Err(unsupported("urialias", "encode of a urn: URI")),
        "encode" => match parse_uri(&b) {
            None => V::Str(vec![]),
            Some(u) => {
                let mut o = u.host.unwrap_or_default();
                o.push(b'~');
                match u.port.filter(|p| !p.is_empty()) {
                    Some(p) => o.extend_from_slice(&p),
                    None => o.extend_from_slice(if u.proto == 3 { b"5061" } else { b"5060" }),
                }
                o.push(b'~');
                o.push(if u.proto == 0 { 1 } else { u.proto } + b'0');
                V::Str(o)
            }
        },
        "decode" => {
            let mut o = b"sip:".to_vec();
            let mut n = 0;
            for (i, &c) in b.iter().enumerate() {
                if c == 0 {
                    break;
                }
                if c == b'~' {
                    n += 1;
                    if n == 1 {
                        o.push(b':');
                    } else {
                        let Some(&pc) = b.get(i + 1) else {
                            return Ok(V::Str(vec![]));
                        };
                        let mut np = pc.wrapping_sub(b'0');
                        if np == 0 {
                            np = 1;
                        }
                        if np != 1 {
                            let t: &[u8] = match np {
                                2 => b"tcp",
                                3 => b"tls",
                                4 => b"sctp",
                                5 | 6 => b"ws",
                                _ => return Ok(V::Str(vec![])),
                            };
                            o.extend_from_slice(b";transport=");
                            o.extend_from_slice(t);
                        }
                        return Ok(V::Str(o));
                    }
                } else {
                    o.push(c);
                }
            }
            // fewer than two '~': Kamailio keeps the whole output buffer
            return Err(unsupported("urialias", "decode without two '~'"));
        }
        _ => return Err(unsupported("urialias", sub)),
    })
}

// ------------------------------------------------------------ sql.*

fn tr_sql(sub: &str, v: V) -> Result<V, TrErr> {
    if v == V::Null {
        return Ok(s(match sub {
            "val" => b"NULL",
            "val.int" => b"0",
            "val.str" => b"''",
            _ => return Err(unsupported("sql", sub)),
        }));
    }
    if !matches!(sub, "val" | "val.int" | "val.str") {
        return Err(unsupported("sql", sub));
    }
    Ok(match v {
        V::Int(i) | V::IntS(i, _) => V::Str(i.to_string().into_bytes()),
        V::Str(b) => {
            let mut o = vec![b'\''];
            for &c in &b {
                match c {
                    b'\'' | b'"' | b'\\' => o.extend_from_slice(&[b'\\', c]),
                    0 => o.extend_from_slice(b"\\0"),
                    _ => o.push(c),
                }
            }
            o.push(b'\'');
            V::Str(o)
        }
        V::Null => unreachable!(),
    })
}

// ------------------------------------------------------------ sock.*

fn tr_sock(sub: &str, v: V) -> Result<V, TrErr> {
    let Some(b) = v.bytes() else {
        return Err(TrErr::Fail);
    };
    if b.is_empty() {
        return Err(TrErr::Fail);
    }
    // parse_protohostport
    let (mut first, mut second) = (None, None);
    let mut bracket = 0;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'[' => {
                bracket += 1;
                if bracket > 1 {
                    return Err(TrErr::Fail);
                }
            }
            b']' => {
                bracket -= 1;
                if bracket < 0 {
                    return Err(TrErr::Fail);
                }
            }
            b':' if bracket == 0 => {
                if first.is_none() {
                    first = Some(i);
                } else if second.is_none() {
                    second = Some(i);
                } else {
                    return Err(TrErr::Fail);
                }
            }
            _ => {}
        }
    }
    if b.last() == Some(&b':') {
        return Err(TrErr::Fail);
    }
    let proto_ok = |p: &[u8]| -> Result<(), TrErr> {
        match p.to_ascii_lowercase().as_slice() {
            b"udp" | b"tcp" => Ok(()),
            // tls and sctp depend on the core's tls/sctp settings
            b"tls" | b"sctp" => Err(TrErr::Unsupported("sock with tls/sctp".into())),
            _ => Err(TrErr::Fail),
        }
    };
    let port_ok = |p: &[u8]| -> bool {
        let d = p.strip_prefix(b"+").unwrap_or(p);
        d.iter().all(u8::is_ascii_digit)
            && std::str::from_utf8(d)
                .ok()
                .map(|x| x.is_empty() || x.parse::<u32>().is_ok())
                .unwrap_or(false)
    };
    let (proto, host, port): (&[u8], &[u8], &[u8]) = match (first, second) {
        (None, _) => (b"", &b[..], b""),
        (Some(f), Some(s2)) => {
            proto_ok(&b[..f])?;
            if !port_ok(&b[s2 + 1..]) {
                return Err(TrErr::Fail);
            }
            (&b[..f], &b[f + 1..s2], &b[s2 + 1..])
        }
        (Some(f), None) => {
            if port_ok(&b[f + 1..]) {
                (b"", &b[..f], &b[f + 1..])
            } else {
                proto_ok(&b[..f])?;
                (&b[..f], &b[f + 1..], b"")
            }
        }
    };
    let mut o = Vec::new();
    match sub {
        "host" => o.extend_from_slice(host),
        "port" => o.extend_from_slice(port),
        "proto" => o.extend_from_slice(proto),
        "touri" => {
            if !host.is_empty() {
                o.extend_from_slice(b"sip:");
                o.extend_from_slice(host);
                if !port.is_empty() {
                    o.push(b':');
                    o.extend_from_slice(port);
                }
                if !proto.is_empty() {
                    o.extend_from_slice(b";transport=");
                    o.extend_from_slice(proto);
                }
            }
        }
        _ => return Err(unsupported("sock", sub)),
    }
    Ok(V::Str(o))
}

// ------------------------------------------------------------ url.*

fn tr_url(sub: &str, v: V) -> Result<V, TrErr> {
    let Some(b) = v.bytes() else {
        return Err(TrErr::Fail);
    };
    let q = b.iter().position(|c| *c == b'?');
    match sub {
        "path" => Ok(match q {
            Some(p) => s(&b[..p]),
            None => v,
        }),
        "querystring" => match q {
            Some(p) => Ok(s(&b[p + 1..])),
            // Kamailio writes a NUL into the value itself
            None => Err(unsupported("url", "querystring without '?'")),
        },
        _ => Err(unsupported("url", sub)),
    }
}

// ------------------------------------------------------------ msrpuri.*

fn tr_msrpuri(sub: &str, v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    if b.len() < 8 {
        return Err(TrErr::Fail);
    }
    type R = Option<(usize, usize)>;
    let (scheme, mut s0): (R, usize) = if b[..7].eq_ignore_ascii_case(b"msrp://") {
        (Some((0, 4)), 7)
    } else if b[..8].eq_ignore_ascii_case(b"msrps://") {
        (Some((0, 5)), 8)
    } else {
        return Err(TrErr::Fail);
    };
    let e = b.len();
    let find =
        |from: usize, to: usize, c: u8| b[from..to].iter().position(|x| *x == c).map(|p| p + from);
    let (mut userinfo, mut user): (R, R) = (None, None);
    if let Some(p) = find(s0, e, b'@') {
        let l = find(s0, e, b';');
        if l.is_none() || p < l.unwrap() {
            userinfo = Some((s0, p - s0));
            let ul = match find(s0, p, b';') {
                Some(l) => l - s0,
                None => match find(s0, p, b':') {
                    Some(l) => l - s0,
                    None => p - s0,
                },
            };
            user = Some((s0, ul));
        }
        s0 = p + 1;
        if s0 >= e {
            return Err(TrErr::Fail);
        }
    }
    // hooks: 0 host, 1 port, 2 session, 3 params: (start, len)
    let mut hooks: [R; 4] = [None; 4];
    let mut h = 0usize;
    hooks[0] = Some((s0, 0));
    if b[s0] == b'[' {
        let p = find(s0, e, b']').ok_or(TrErr::Fail)?;
        let st = s0;
        s0 = p + 1;
        hooks[0] = Some((st, s0 - st));
    }
    if let Some(p) = find(s0, e, b':') {
        if hooks[0].map(|x| x.1).unwrap_or(0) == 0 {
            let st = hooks[0].unwrap().0;
            hooks[0] = Some((st, p - st));
        }
        h = 1;
        s0 = p + 1;
        if s0 >= e {
            return Err(TrErr::Fail);
        }
    }
    let keep_len = |x: R| x.map(|x| x.1).unwrap_or(0);
    hooks[h] = Some((s0, keep_len(hooks[h])));
    if let Some(p) = find(s0, e, b'/') {
        let st = hooks[h].unwrap().0;
        hooks[h] = Some((st, p - st));
        h = 2;
        s0 = p + 1;
        if s0 >= e {
            return Err(TrErr::Fail);
        }
    }
    hooks[h] = Some((s0, keep_len(hooks[h])));
    if let Some(p) = find(s0, e, b';') {
        let st = hooks[h].unwrap().0;
        hooks[h] = Some((st, p - st));
        h = 3;
        s0 = p + 1;
        if s0 >= e {
            return Err(TrErr::Fail);
        }
    }
    // the last hook runs to the end, trimmed
    {
        let t = trim_bytes(&b[s0..e], true, true);
        let off = t.as_ptr() as usize - b.as_ptr() as usize;
        hooks[h] = Some((off, t.len()));
    }
    let [host, port, session, mut params] = hooks;
    if keep_len(host) == 0 {
        return Err(TrErr::Fail);
    }
    if keep_len(port) > 0 {
        let (st, l) = port.unwrap();
        let mut n: i64 = 0;
        for &c in &b[st..st + l] {
            if !c.is_ascii_digit() {
                break;
            }
            n = n * 10 + (c - b'0') as i64;
            if n > 1 << 20 {
                break;
            }
        }
        if !(1..=65535).contains(&n) {
            return Err(TrErr::Fail);
        }
    }
    let mut proto: R = None;
    if keep_len(params) > 0 {
        let (st, l) = params.unwrap();
        let ps = &b[st..st + l];
        if l > 3 && ps[..3].eq_ignore_ascii_case(b"tcp") {
            proto = Some((st, 3));
        } else if l > 2 && ps[..2].eq_ignore_ascii_case(b"ws") {
            proto = Some((st, 2));
        } else {
            match ps.iter().position(|c| *c == b';') {
                Some(p) => {
                    proto = Some((st, p));
                    params = Some((st + p + 1, l - p - 1));
                }
                None => {
                    proto = Some((st, l));
                    params = None;
                }
            }
        }
    }
    let get = |x: R| V::Str(x.map(|(st, l)| b[st..st + l].to_vec()).unwrap_or_default());
    Ok(match sub {
        "user" => get(user),
        "userinfo" => get(userinfo),
        "host" => get(host),
        "port" => get(port),
        "session" => get(session),
        "proto" => get(proto),
        "params" => get(params),
        "scheme" => get(scheme),
        _ => return Err(unsupported("msrpuri", sub)),
    })
}

// ------------------------------------------------------------ json.*

fn tr_json(sub: &str, params: &[Param], v: V) -> Result<V, TrErr> {
    let Some(b) = v.bytes() else {
        return Err(TrErr::Fail);
    };
    match sub {
        // Kamailio 5.6.3 cannot parse `{json.encode}` (json_tr_parse
        // compares "encode" with a 5-character length): a config that
        // uses it does not start
        "parse" => {
            let field = sparam(params, 0)?;
            let text = std::str::from_utf8(&b)
                .map_err(|_| TrErr::Unsupported("json.parse of non-UTF-8".into()))?;
            let Ok(root) = crate::jansson::loads_jsonc(text) else {
                return Ok(V::Str(vec![]));
            };
            let field = String::from_utf8_lossy(&field).into_owned();
            let mut cur = Some(&root);
            for tok in field.split('.') {
                // sscanf("%[^[][%[^]]]") into 25-byte buffers: an empty or
                // long name, or one starting with '[', is undefined there
                let (name, idx) = match tok.find('[') {
                    Some(i) => (&tok[..i], Some(&tok[i + 1..])),
                    None => (tok, None),
                };
                if name.is_empty() || name.len() > 24 {
                    return Err(unsupported("json", "parse with this path"));
                }
                let Some(J::Obj(o)) = cur else {
                    cur = None;
                    break;
                };
                // repeated keys: json-c keeps the last
                cur = o.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
                if let (Some(J::Arr(a)), Some(ix)) = (cur, idx) {
                    let ix = ix.split(']').next().unwrap_or("");
                    if ix.is_empty() || ix.len() > 24 {
                        return Err(unsupported("json", "parse with this path"));
                    }
                    let n = atoi(ix.as_bytes());
                    cur = if n >= 0 { a.get(n as usize) } else { None };
                }
                if matches!(cur, Some(J::Null)) {
                    cur = None;
                }
                if cur.is_none() {
                    break;
                }
            }
            Ok(V::Str(match cur {
                None => vec![],
                Some(J::Str(x)) => x.clone().into_bytes(),
                Some(j) => crate::jansson::dumps_jsonc(j).into_bytes(),
            }))
        }
        _ => Err(unsupported("json", sub)),
    }
}

/// C's `atoi`: blanks, a sign, digits; anything else ends it.
fn atoi(b: &[u8]) -> i64 {
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let mut n: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        n = (n * 10 + (b[i] - b'0') as i64) as i32 as i64;
        i += 1;
    }
    if neg {
        -n
    } else {
        n
    }
}

// ------------------------------------------------------------ re.subst

/// txt_var.c's buffer
const TR_TXT_BUF_SIZE: usize = 8192;

fn tr_re_subst(params: &[Param], v: V) -> Result<V, TrErr> {
    let b = nonempty(&v)?;
    if b.len() >= TR_TXT_BUF_SIZE - 1 {
        return Err(TrErr::Fail);
    }
    let expr: Vec<u8> = match params {
        [Param::Pv(Val::Str(x))] if !x.is_empty() => x.as_bytes().to_vec(),
        [Param::Pv(_)] => return Err(TrErr::Fail),
        _ => {
            // the config parser split the expression at its commas
            let mut t = String::new();
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    t.push(',');
                }
                match p {
                    Param::Lit(l) => t.push_str(l),
                    Param::Pv(_) | Param::Spve(_) => {
                        return Err(TrErr::Unsupported("re.subst with a PV".into()))
                    }
                }
            }
            t.into_bytes()
        }
    };
    let se = Subst::parse(&expr).ok_or(TrErr::Fail)?;
    let out = se.run(&b)?;
    if out.bytes().is_some_and(|o| o.len() >= TR_TXT_BUF_SIZE - 1) {
        return Err(TrErr::Fail);
    }
    Ok(out)
}

struct Subst {
    re: regex::bytes::Regex,
    /// the replacement: literal bytes and `\N` references
    repl: Vec<Repl>,
    all: bool,
}

enum Repl {
    Lit(u8),
    Group(usize),
}

impl Subst {
    fn parse(e: &[u8]) -> Option<Subst> {
        if e.len() < 3 || e[0] == b'\\' {
            return None;
        }
        let sep = e[0];
        let mut p = 1;
        while p < e.len() && !(e[p] == sep && e[p - 1] != b'\\') {
            p += 1;
        }
        if p >= e.len() || e.len() < p + 2 {
            return None;
        }
        let re = &e[1..p];
        p += 1;
        let mut repl = Vec::new();
        let mut esc = false;
        loop {
            if p >= e.len() {
                return None;
            }
            let c = e[p];
            if esc {
                esc = false;
                repl.push(match c {
                    b'\\' => Repl::Lit(b'\\'),
                    b'n' => Repl::Lit(b'\n'),
                    b'r' => Repl::Lit(b'\r'),
                    b't' => Repl::Lit(b'\t'),
                    b'$' => Repl::Lit(b'$'),
                    b'0'..=b'9' => Repl::Group((c - b'0') as usize),
                    b'u' => return None,
                    _ => Repl::Lit(c),
                });
            } else if c == b'\\' {
                esc = true;
            } else if c == b'$' {
                // a PV in the replacement: not simulated
                return None;
            } else if c == sep {
                break;
            } else {
                repl.push(Repl::Lit(c));
            }
            p += 1;
        }
        p += 1;
        let (mut icase, mut dotall, mut all) = (false, false, false);
        for &f in &e[p..] {
            match f {
                b'i' => icase = true,
                b's' => dotall = true,
                b'g' => all = true,
                _ => return None,
            }
        }
        let pat = std::str::from_utf8(re).ok()?;
        let re = regex::bytes::RegexBuilder::new(pat)
            .case_insensitive(icase)
            .multi_line(!dotall)
            .dot_matches_new_line(dotall)
            .unicode(false)
            .build()
            .ok()?;
        Some(Subst { re, repl, all })
    }

    fn run(&self, b: &[u8]) -> Result<V, TrErr> {
        // POSIX regexec picks the longest of the leftmost matches; the
        // regex crate the first alternative: the same for patterns
        // without alternatives that overlap
        let mut out = Vec::new();
        let mut last = 0;
        let mut n = 0;
        for caps in self.re.captures_iter(b) {
            let m = caps.get(0).expect("group 0");
            if m.start() == m.end() {
                return Err(TrErr::Fail);
            }
            out.extend_from_slice(&b[last..m.start()]);
            for r in &self.repl {
                match r {
                    Repl::Lit(c) => out.push(*c),
                    Repl::Group(g) => {
                        if let Some(x) = caps.get(*g) {
                            out.extend_from_slice(x.as_bytes());
                        }
                    }
                }
            }
            last = m.end();
            n += 1;
            if !self.all {
                break;
            }
        }
        if n == 0 {
            return Ok(V::Str(b.to_vec()));
        }
        out.extend_from_slice(&b[last..]);
        Ok(V::Str(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(x: &[&str]) -> Vec<Param> {
        x.iter().map(|s| Param::Lit(s.to_string())).collect()
    }
    fn st(v: Result<Val, TrErr>) -> String {
        match v {
            Ok(v) => v.as_str(),
            Err(e) => format!("{e:?}"),
        }
    }

    #[test]
    fn select_and_substr() {
        let v = || Val::Str("a,b,,c".into());
        assert_eq!(st(apply("s", "select", &lit(&["1", ","]), v())), "b");
        assert_eq!(st(apply("s", "select", &lit(&["-1", ","]), v())), "c");
        assert_eq!(st(apply("s", "select", &lit(&["2", ","]), v())), "");
        assert_eq!(st(apply("s", "select", &lit(&["9", ","]), v())), "");
        assert_eq!(st(apply("s", "substr", &lit(&["1", "2"]), v())), ",b");
        assert_eq!(
            apply("s", "substr", &lit(&["9", "0"]), v()),
            Err(TrErr::Fail)
        );
    }

    #[test]
    fn int_fails_on_text() {
        assert_eq!(
            apply("s", "int", &[], Val::Str("12a".into())),
            Err(TrErr::Fail)
        );
        assert_eq!(
            apply("s", "int", &[], Val::Str("".into())),
            Err(TrErr::Fail)
        );
        assert_eq!(apply("s", "len", &[], Val::Null), Err(TrErr::Fail));
    }

    #[test]
    fn core_hash_matches_kamailio_formula() {
        // "abcd": v=0x61626364, h = v ^ (v>>3); then the final mix
        let v: u32 = 0x6162_6364;
        let h = v ^ (v >> 3);
        let r = h
            .wrapping_add(h >> 11)
            .wrapping_add(h >> 13)
            .wrapping_add(h >> 23);
        assert_eq!(core_hash(b"abcd", 0), r);
    }
}
