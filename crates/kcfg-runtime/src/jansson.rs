//! The jansson module (and the json module's `json_get_field` /
//! `json_get_string`, see [`loads_jsonc`]): `jansson_get`, `jansson_get_field`,
//! `jansson_array_size`, `jansson_set`, `jansson_append`, ported from
//! Kamailio 5.6.3's `jansson_funcs.c`, `jansson_path.c` and
//! `jansson_utils.c` with libjansson 2.14's parser and compact dumper.
//!
//! What was measured on 5.6.3 (see `fixtures/runtime/jansson.cfg`):
//! a JSON `null` reaches the destination as a null value, so a `$var`
//! stores the integer 0 and an `$avp` stays unset
//! (`../shared/docs/kamailio-gotchas.md` #17); booleans become 1/0,
//! integers outside the C `int` range and reals (`%.15g`) become strings,
//! objects and arrays their compact JSON text in key order.
//!
//! JSON objects keep their key order (libjansson keeps insertion order),
//! so the document is parsed with serde_json into [`J`], whose objects are
//! vectors of pairs, instead of `serde_json::Value` (which would sort keys
//! without serde_json's `preserve_order` feature, a workspace-wide change).

use std::fmt::Write as _;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::engine::{Ctx, Runtime};
use crate::ir::Call;
use crate::value::Val;

/// A JSON value as libjansson holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

thread_local! {
    /// parsing for the json module (json-c keeps the last of repeated keys)
    static ALLOW_DUPS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

struct JVisitor;

impl<'de> Visitor<'de> for JVisitor {
    type Value = J;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<J, E> {
        Ok(J::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<J, E> {
        Ok(J::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<J, E> {
        Ok(J::Int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<J, E> {
        // libjansson's json_int_t is a long long: larger is "too big integer"
        i64::try_from(u)
            .map(J::Int)
            .map_err(|_| E::custom("too big integer"))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<J, E> {
        if f.is_finite() {
            Ok(J::Real(f))
        } else {
            Err(E::custom("real number overflow"))
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<J, E> {
        if s.contains('\0') {
            // JSON_ALLOW_NUL is not given
            return Err(E::custom("\\u0000 is not allowed without JSON_ALLOW_NUL"));
        }
        Ok(J::Str(s.to_string()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<J, E> {
        self.visit_str(&s)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element::<J>()? {
            v.push(x);
        }
        Ok(J::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut v: Vec<(String, J)> = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            if k.contains('\0') {
                return Err(de::Error::custom("NUL byte in object key not supported"));
            }
            let val = map.next_value::<J>()?;
            match v.iter_mut().find(|(x, _)| *x == k) {
                // json-c: the last value of a repeated key stays
                Some((_, old)) if ALLOW_DUPS.with(|a| a.get()) => *old = val,
                // JSON_REJECT_DUPLICATES
                Some(_) => {
                    return Err(de::Error::custom(format!("duplicate object key `{k}`")));
                }
                None => v.push((k, val)),
            }
        }
        Ok(J::Obj(v))
    }
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        d.deserialize_any(JVisitor)
    }
}

/// `json_loads(s, JSON_REJECT_DUPLICATES)`: without `JSON_DECODE_ANY` the
/// text must be an object or an array.
pub fn loads(s: &str) -> Result<J, String> {
    let j: J = serde_json::from_str(s).map_err(|e| e.to_string())?;
    match j {
        J::Obj(_) | J::Arr(_) => Ok(j),
        _ => Err("'[' or '{' expected".into()),
    }
}

/// json-c's `json_tokener_parse` (any JSON value at the top, repeated
/// keys keep the last value). json-c's non-strict extensions (single
/// quotes, `NaN`, ...) are not accepted.
pub fn loads_jsonc(s: &str) -> Result<J, String> {
    ALLOW_DUPS.with(|a| a.set(true));
    let r = serde_json::from_str::<J>(s).map_err(|e| e.to_string());
    ALLOW_DUPS.with(|a| a.set(false));
    r
}

/// A JSON string as json-c prints it: `/` escaped, lower-case `\u` hex.
fn dump_str_jsonc(s: &str, out: &mut String) {
    escape_str(s, out, true);
}

/// json-c 0.16's `json_object_to_json_string` (JSON_C_TO_STRING_SPACED):
/// `{ "a": 1, "b": [ 1, 2 ] }`, `/` escaped. Reals are printed in their
/// shortest form (json-c keeps the text they were parsed from).
pub fn dumps_jsonc(v: &J) -> String {
    let mut s = String::new();
    dump_jsonc(v, &mut s);
    s
}

fn dump_jsonc(v: &J, out: &mut String) {
    match v {
        J::Real(f) => {
            let _ = write!(out, "{f}");
        }
        J::Str(s) => dump_str_jsonc(s, out),
        J::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push(' ');
                dump_jsonc(x, out);
            }
            out.push_str(" ]");
        }
        J::Obj(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push(' ');
                dump_str_jsonc(k, out);
                out.push_str(": ");
                dump_jsonc(x, out);
            }
            out.push_str(" }");
        }
        other => dump(other, out),
    }
}

/// C's `%.{prec}g`.
pub fn fmt_g(x: f64, prec: usize) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let p = prec.max(1);
    let e = format!("{:.*e}", p - 1, x);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= p as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mant), exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip(&format!("{:.*}", decimals, x))
    }
}

/// A JSON string as libjansson prints it: `/` kept, upper-case `\u` hex.
fn dump_str(s: &str, out: &mut String) {
    escape_str(s, out, false);
}

/// The two libraries' string escapes differ only in `/` and the hex case.
fn escape_str(s: &str, out: &mut String, jsonc: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if jsonc => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 && jsonc => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json_dumps(v, JSON_COMPACT|JSON_PRESERVE_ORDER)` (libjansson 2.14:
/// reals with 17 significant digits and a `.0` when they look integral).
pub fn dumps(v: &J) -> String {
    let mut s = String::new();
    dump(v, &mut s);
    s
}

fn dump(v: &J, out: &mut String) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Int(i) => {
            let _ = write!(out, "{i}");
        }
        J::Real(f) => {
            let mut r = fmt_g(*f, 17);
            if !r.contains(['.', 'e', 'n', 'i']) {
                r.push_str(".0");
            }
            // jsonp_dtostr drops the exponent's `+` and leading zeros (1e+300 -> 1e300)
            if let Some((m, e)) = r.split_once('e') {
                let (neg, digits) = match e.strip_prefix('-') {
                    Some(d) => (true, d),
                    None => (false, e.trim_start_matches('+')),
                };
                let digits = digits.trim_start_matches('0');
                let digits = if digits.is_empty() { "0" } else { digits };
                r = format!("{m}e{}{digits}", if neg { "-" } else { "" });
            }
            out.push_str(&r);
        }
        J::Str(s) => dump_str(s, out),
        J::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                dump(x, out);
            }
            out.push(']');
        }
        J::Obj(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                dump_str(k, out);
                out.push(':');
                dump(x, out);
            }
            out.push('}');
        }
    }
}

/// `jansson_to_val`: the script value of a JSON value.
pub fn to_val(v: &J) -> Val {
    match v {
        J::Obj(_) | J::Arr(_) => Val::Str(dumps(v)),
        J::Str(s) => Val::Str(s.clone()),
        J::Bool(b) => Val::Int(*b as i64),
        J::Real(f) => Val::Str(fmt_g(*f, 15)),
        J::Int(i) => {
            if *i > i32::MAX as i64 || *i < i32::MIN as i64 {
                Val::Str(i.to_string())
            } else {
                Val::Int(*i)
            }
        }
        J::Null => Val::Null,
    }
}

/// C's `strtol(s, &end, 0)` as a `size_t` index: `None` when characters
/// follow the number (or the index is negative, which wraps to a huge
/// `size_t` that no array has).
fn strtol_index(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let start_ws = i;
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let (radix, mut j) = if b.len() > i + 1
        && b[i] == b'0'
        && (b[i + 1] == b'x' || b[i + 1] == b'X')
        && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        (16, i + 2)
    } else if i < b.len() && b[i] == b'0' {
        (8, i)
    } else {
        (10, i)
    };
    let ds = j;
    let mut v: u128 = 0;
    while j < b.len() && (b[j] as char).is_digit(radix) {
        v = v
            .saturating_mul(radix as u128)
            .saturating_add((b[j] as char).to_digit(radix).unwrap_or(0) as u128);
        j += 1;
    }
    // no digits: endptr is the start of the string
    let _ = start_ws;
    let end = if j == ds { 0 } else { j };
    if end != b.len() {
        return None;
    }
    if neg && v != 0 {
        return None;
    }
    usize::try_from(v).ok()
}

fn obj_get<'a>(j: &'a J, k: &str) -> Option<&'a J> {
    match j {
        J::Obj(o) => o.iter().find(|(x, _)| x == k).map(|(_, v)| v),
        _ => None,
    }
}

fn arr_get(j: &J, i: usize) -> Option<&J> {
    match j {
        J::Arr(a) => a.get(i),
        _ => None,
    }
}

/// `json_path_get` of jansson_path.c: `a.b[2].c`, `[0]`, `""` (the root).
pub fn path_get<'a>(root: &'a J, path: &str) -> Option<&'a J> {
    const DELIMS: &[u8] = b".[";
    const CLOSE: &[u8] = b"]";
    let b = path.as_bytes();
    let mut cursor = Some(root);
    let mut expect = DELIMS;
    let mut token: Option<usize> = Some(0);
    let mut peek: Option<usize> = Some(0);
    let mut delim = 0u8;
    if b.first() == Some(&b'[') {
        expect = CLOSE;
        token = Some(1);
    }
    while let (Some(p), Some(cur)) = (peek, cursor) {
        if p >= b.len() {
            break;
        }
        let last_peek = p;
        let found = b[p..]
            .iter()
            .position(|c| expect.contains(c))
            .map(|x| x + p);
        let tok_end;
        match found {
            Some(pos) => {
                if token.is_none() && pos != last_peek {
                    return None;
                }
                delim = b[pos];
                tok_end = pos;
                peek = Some(pos + 1);
            }
            None => {
                if expect != DELIMS || token.is_none() {
                    return None;
                }
                tok_end = b.len();
                peek = None;
            }
        }
        if expect == DELIMS {
            if let Some(t) = token {
                cursor = obj_get(cur, &path[t..tok_end]);
            }
            expect = if delim == b'[' { CLOSE } else { DELIMS };
            token = peek;
        } else {
            let t = token?;
            let idx = strtol_index(&path[t..tok_end])?;
            cursor = arr_get(cur, idx);
            token = None;
            expect = DELIMS;
        }
    }
    cursor
}

#[derive(Clone, Debug)]
enum Seg {
    K(String),
    I(usize),
}

fn at<'a>(root: &'a J, p: &[Seg]) -> Option<&'a J> {
    let mut c = root;
    for s in p {
        c = match s {
            Seg::K(k) => obj_get(c, k)?,
            Seg::I(i) => arr_get(c, *i)?,
        };
    }
    Some(c)
}

fn at_mut<'a>(root: &'a mut J, p: &[Seg]) -> Option<&'a mut J> {
    let mut c = root;
    for s in p {
        c = match (s, c) {
            (Seg::K(k), J::Obj(o)) => o.iter_mut().find(|(x, _)| x == k).map(|(_, v)| v)?,
            (Seg::I(i), J::Arr(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(c)
}

/// `json_object_set`: replace in place or append.
fn obj_set(o: &mut Vec<(String, J)>, k: &str, v: J) {
    match o.iter_mut().find(|(x, _)| x == k) {
        Some((_, old)) => *old = v,
        None => o.push((k.to_string(), v)),
    }
}

/// `json_path_set` of jansson_path.c (`append` is jansson_append).
pub fn path_set(root: &mut J, path: &str, value: J, append: bool) -> Result<(), String> {
    const DELIMS: &[u8] = b".[";
    const CLOSE: &[u8] = b"]";
    let b = path.as_bytes();
    let mut cursor: Vec<Seg> = Vec::new();
    let mut parent: Option<Vec<Seg>> = None;
    let mut expect = DELIMS;
    let mut token: Option<(usize, usize)> = Some((0, b.len()));
    let mut peek: usize = 0;
    let mut delim;
    let mut index_saved: Option<usize> = None;
    if b.first() == Some(&b'[') {
        expect = CLOSE;
        token = Some((1, b.len()));
    }
    while peek < b.len() {
        let last_peek = peek;
        let found = b[peek..]
            .iter()
            .position(|c| expect.contains(c))
            .map(|x| x + peek);
        let tok_end = match found {
            Some(pos) => {
                if token.is_none() && pos != last_peek {
                    return Err(format!(
                        "unexpected trailing chars in JSON path at pos {last_peek}"
                    ));
                }
                delim = b[pos];
                peek = pos + 1;
                pos
            }
            None => {
                if expect == DELIMS {
                    break;
                }
                return Err("missing ']'".into());
            }
        };
        if expect == DELIMS {
            if let Some((t, _)) = token {
                let tok = &path[t..tok_end];
                if tok.is_empty() {
                    return Err(format!("empty token at pos {peek}"));
                }
                let par = cursor.clone();
                let pj = at(root, &par).ok_or("no cursor")?;
                let exists = obj_get(pj, tok).is_some();
                if !exists {
                    if !matches!(pj, J::Obj(_)) {
                        return Err(format!("object expected at pos {peek}"));
                    }
                    if delim == b'.' {
                        if let Some(J::Obj(o)) = at_mut(root, &par) {
                            o.push((tok.to_string(), J::Obj(Vec::new())));
                        }
                    } else {
                        return Err(format!("new array is not allowed at pos {peek}"));
                    }
                }
                cursor.push(Seg::K(tok.to_string()));
                parent = Some(par);
            }
            expect = if delim == b'[' { CLOSE } else { DELIMS };
            token = Some((peek, b.len()));
        } else {
            let (t, _) = token.ok_or("no token")?;
            let par = cursor.clone();
            let pj = at(root, &par).ok_or("no cursor")?;
            if !matches!(pj, J::Arr(_)) {
                return Err(format!("array expected at pos {peek}"));
            }
            let idx = strtol_index(&path[t..tok_end])
                .ok_or_else(|| format!("invalid array index at pos {peek}"))?;
            if arr_get(pj, idx).is_none() {
                return Err(format!("array index out of bound at pos {peek}"));
            }
            cursor.push(Seg::I(idx));
            parent = Some(par);
            index_saved = Some(idx);
            token = None;
            expect = DELIMS;
        }
    }
    let tok = token.map(|(t, e)| &path[t.min(e)..e]);
    match tok {
        Some(tok) if append => {
            let cur = at_mut(root, &cursor).ok_or("no cursor")?;
            if !tok.is_empty() {
                let J::Obj(o) = cur else {
                    return Err("JSON array or object expected".into());
                };
                match o.iter_mut().find(|(x, _)| x == tok).map(|(_, v)| v) {
                    Some(J::Arr(a)) => a.push(value),
                    Some(J::Obj(t)) if matches!(value, J::Obj(_)) => {
                        if let J::Obj(vo) = value {
                            for (k, v) in vo {
                                obj_set(t, &k, v);
                            }
                        }
                    }
                    _ => return Err("JSON array or object expected".into()),
                }
            } else {
                match cur {
                    J::Arr(a) => a.push(value),
                    J::Obj(t) if matches!(value, J::Obj(_)) => {
                        if let J::Obj(vo) = value {
                            for (k, v) in vo {
                                obj_set(t, &k, v);
                            }
                        }
                    }
                    _ => return Err("JSON array or object expected".into()),
                }
            }
        }
        Some(tok) if !tok.is_empty() => match at_mut(root, &cursor) {
            Some(J::Obj(o)) => obj_set(o, tok, value),
            _ => return Err("JSON object expected".into()),
        },
        _ => match (index_saved, parent.as_deref()) {
            (Some(i), Some(par)) => match at_mut(root, par) {
                Some(J::Arr(a)) if i < a.len() => a[i] = value,
                _ => return Err("invalid JSON path".into()),
            },
            _ => return Err("invalid JSON path".into()),
        },
    }
    Ok(())
}

/// The value `jansson_set`/`jansson_append` adds, from its type name.
fn typed_value(ty: &str, v: &str) -> Result<J, String> {
    match ty {
        "object" | "obj" => match loads(v)? {
            j @ J::Obj(_) => Ok(j),
            _ => Err("value to add is not an object".into()),
        },
        "array" => match loads(v)? {
            j @ J::Arr(_) => Ok(j),
            _ => Err("value to add is not an array".into()),
        },
        "string" | "str" => Ok(J::Str(v.to_string())),
        "integer" | "int" => {
            // strtoll: no digits leaves endptr at the start (only "" passes)
            let (num, rest) = split_number(v.trim_start(), false);
            if num.is_empty() && !v.is_empty() || !num.is_empty() && !rest.is_empty() {
                return Err(format!("parsing int failed for `{v}`"));
            }
            let i = if num.is_empty() {
                0
            } else {
                num.parse::<i64>().unwrap_or(if num.starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                })
            };
            Ok(J::Int(i))
        }
        "real" => {
            let (num, rest) = split_number(v.trim_start(), true);
            if num.is_empty() && !v.is_empty() || !num.is_empty() && !rest.is_empty() {
                return Err(format!("parsing real failed for `{v}`"));
            }
            Ok(J::Real(num.parse::<f64>().unwrap_or(0.0)))
        }
        "true" => Ok(J::Bool(true)),
        "false" => Ok(J::Bool(false)),
        "null" => Ok(J::Null),
        _ => Err("unrecognized input type".into()),
    }
}

/// The longest prefix `strtoll`/`strtod` would read (decimal only), and the rest.
fn split_number(t: &str, real: bool) -> (&str, &str) {
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let ds = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i > ds;
    if real {
        if i < b.len() && b[i] == b'.' {
            let f = i + 1;
            let mut k = f;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            if digits || k > f {
                i = k;
                digits = true;
            }
        }
        if digits && i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            let mut k = i + 1;
            if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
                k += 1;
            }
            let es = k;
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            if k > es {
                i = k;
            }
        }
    }
    if !digits {
        return ("", t);
    }
    (&t[..i], &t[i..])
}

impl Runtime {
    /// jansson functions; `None` when `c` is not one of them.
    pub(crate) fn jansson_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        let r = match n {
            "jansson_get" | "jansson_get_field" | "jansson_array_size" if c.args.len() == 3 => {
                let (path, src) = if n == "jansson_get_field" {
                    (
                        self.eval_arg(ctx, &c.args[1]),
                        self.eval_arg(ctx, &c.args[0]),
                    )
                } else {
                    (
                        self.eval_arg(ctx, &c.args[0]),
                        self.eval_arg(ctx, &c.args[1]),
                    )
                };
                let dst = self.dest_pv(&c.args[2])?;
                let Ok(json) = loads(&src) else {
                    return Some(-1);
                };
                let Some(v) = path_get(&json, &path) else {
                    return Some(-1);
                };
                let val = if n == "jansson_array_size" {
                    match v {
                        J::Arr(a) => Val::Int(a.len() as i64),
                        _ => return Some(-1),
                    }
                } else {
                    to_val(v)
                };
                self.set_pv(ctx, &dst, val, &c.loc);
                1
            }
            "jansson_set" | "jansson_append" if c.args.len() == 4 => {
                let ty = self.eval_arg(ctx, &c.args[0]);
                let path = self.eval_arg(ctx, &c.args[1]);
                let value = self.eval_arg(ctx, &c.args[2]);
                let dst = self.dest_pv(&c.args[3])?;
                let Ok(value) = typed_value(&ty, &value) else {
                    return Some(-1);
                };
                let cur = match self.get_pv(ctx, &dst) {
                    Val::Str(s) => s,
                    _ => "{}".to_string(),
                };
                let Ok(mut doc) = loads(&cur) else {
                    return Some(-1);
                };
                if path_set(&mut doc, &path, value, n == "jansson_append").is_err() {
                    return Some(-1);
                }
                self.set_pv(ctx, &dst, to_val(&doc), &c.loc);
                1
            }
            _ => return None,
        };
        Some(r)
    }

    /// The json module's `json_get_field(json, field, dst)` (the member as
    /// JSON text) and `json_get_string` (a string member without quotes):
    /// a top-level member only; a missing or `null` member is -1.
    pub(crate) fn json_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        if !matches!(n, "json_get_field" | "json_get_string") || c.args.len() != 3 {
            return None;
        }
        let src = self.eval_arg(ctx, &c.args[0]);
        let field = self.eval_arg(ctx, &c.args[1]);
        let dst = self.dest_pv(&c.args[2])?;
        let Ok(J::Obj(o)) = loads_jsonc(&src) else {
            return Some(-1);
        };
        let Some(v) = o
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v)
            .filter(|v| **v != J::Null)
        else {
            return Some(-1);
        };
        let text = match v {
            J::Str(s) if n == "json_get_string" => s.clone(),
            v => dumps_jsonc(v),
        };
        self.set_pv(ctx, &dst, Val::Str(text), &c.loc);
        Some(1)
    }

    /// The PV a function writes to (`"$var(x)"`, `$avp(y)`).
    pub(crate) fn dest_pv(&self, e: &crate::ir::Expr) -> Option<crate::ir::Pv> {
        use crate::ir::{Expr, FmtPart, Pv};
        match e {
            Expr::Pv(p) => Some((**p).clone()),
            Expr::Str(f) => match f.parts.as_slice() {
                [FmtPart::Pv(p)] => Some((**p).clone()),
                _ => Pv::parse(f.raw.trim()),
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let j = loads(r#"{"a":{"b":[1,{"c":"x"}]},"n":null,"t":true}"#).unwrap();
        assert_eq!(path_get(&j, "a.b[1].c"), Some(&J::Str("x".into())));
        assert_eq!(path_get(&j, "a.b[0]"), Some(&J::Int(1)));
        assert_eq!(path_get(&j, "a.b[2]"), None);
        assert_eq!(path_get(&j, "a.b[x]"), None);
        assert_eq!(path_get(&j, "n"), Some(&J::Null));
        assert_eq!(path_get(&j, ""), Some(&j));
        assert_eq!(path_get(&j, "zz"), None);
        assert_eq!(dumps(path_get(&j, "a").unwrap()), r#"{"b":[1,{"c":"x"}]}"#);
    }

    #[test]
    fn set_and_append() {
        let mut j = loads("{}").unwrap();
        path_set(&mut j, "a.b", J::Int(3), false).unwrap();
        assert_eq!(dumps(&j), r#"{"a":{"b":3}}"#);
        path_set(&mut j, "a.b", J::Str("z".into()), false).unwrap();
        assert_eq!(dumps(&j), r#"{"a":{"b":"z"}}"#);
        assert!(path_set(&mut j, "x[0]", J::Int(1), false).is_err());
        path_set(&mut j, "l", J::Arr(vec![]), false).unwrap();
        path_set(&mut j, "l", J::Int(1), true).unwrap();
        path_set(&mut j, "l", J::Int(2), true).unwrap();
        path_set(&mut j, "l[0]", J::Bool(false), false).unwrap();
        assert_eq!(dumps(&j), r#"{"a":{"b":"z"},"l":[false,2]}"#);
    }

    #[test]
    fn values() {
        assert_eq!(to_val(&J::Null), Val::Null);
        assert_eq!(to_val(&J::Real(1.5)), Val::Str("1.5".into()));
        assert_eq!(
            to_val(&J::Int(3_000_000_000)),
            Val::Str("3000000000".into())
        );
        assert_eq!(dumps(&J::Real(0.1)), "0.10000000000000001");
        assert_eq!(dumps(&J::Real(2.0)), "2.0");
        assert_eq!(dumps(&J::Real(1e300)), "1.0000000000000001e300");
        assert_eq!(dumps(&J::Real(1e-7)), "9.9999999999999995e-8");
        assert_eq!(fmt_g(1e20, 15), "1e+20");
        assert_eq!(fmt_g(0.0001, 15), "0.0001");
        assert!(loads("5").is_err());
        assert!(loads(r#"{"a":1,"a":2}"#).is_err());
        assert_eq!(strtol_index("0x1"), Some(1));
        assert_eq!(strtol_index(""), Some(0));
        assert_eq!(strtol_index("1a"), None);
        let j = loads_jsonc(r#"{"a":"x/y","b":[1,{}],"a":2.5,"e":[]}"#).unwrap();
        assert_eq!(
            dumps_jsonc(&j),
            r#"{ "a": 2.5, "b": [ 1, { } ], "e": [ ] }"#
        );
        assert_eq!(dumps_jsonc(&J::Str("x/y".into())), r#""x\/y""#);
        assert!(loads(r#"{"a":1,"a":2}"#).is_err());
    }
}
