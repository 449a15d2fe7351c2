//! Transformations (`{s.len}`, `{uri.user}`, ...): the ones real configs use.

use crate::sip::{param_of, NameAddr, Uri};
use crate::value::Val;

/// Apply `{class.sub,params}` to `v`. `Err(name)` for a transformation
/// the runtime does not simulate.
pub fn apply(class: &str, sub: &str, params: &[String], v: Val) -> Result<Val, String> {
    let s = v.as_str();
    let p = |i: usize| params.get(i).cloned().unwrap_or_default();
    let pi = |i: usize| {
        params
            .get(i)
            .and_then(|x| x.trim().parse::<i64>().ok())
            .unwrap_or(0)
    };
    let out = match (class, sub) {
        ("s", "len") => Val::Int(s.len() as i64),
        ("s", "int") => Val::Int(crate::value::str2sint(&s).unwrap_or(0)),
        ("s", "toupper") => Val::Str(s.to_uppercase()),
        ("s", "tolower") => Val::Str(s.to_lowercase()),
        ("s", "md5") => {
            use md5::{Digest, Md5};
            Val::Str(
                Md5::digest(s.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            )
        }
        ("s", "substr") => {
            let (off, len) = (pi(0), pi(1));
            let n = s.len() as i64;
            let start = if off < 0 {
                (n + off).max(0)
            } else {
                off.min(n)
            } as usize;
            let end = if len == 0 {
                s.len()
            } else if len < 0 {
                (n + len).max(start as i64) as usize
            } else {
                (start + len as usize).min(s.len())
            };
            Val::Str(s.get(start..end).unwrap_or("").to_string())
        }
        ("s", "select") => {
            let idx = pi(0);
            let sep = p(1).chars().next().unwrap_or(',');
            let parts: Vec<&str> = s.split(sep).collect();
            let i = if idx < 0 {
                parts.len() as i64 + idx
            } else {
                idx
            };
            match parts.get(i.max(0) as usize).filter(|_| i >= 0) {
                Some(x) => Val::Str(x.to_string()),
                None => Val::Null,
            }
        }
        ("s", "strip") => Val::Str(s.chars().skip(pi(0).max(0) as usize).collect()),
        ("s", "striptail") => {
            let k = s.chars().count().saturating_sub(pi(0).max(0) as usize);
            Val::Str(s.chars().take(k).collect())
        }
        ("s", "prefixes") | ("s", "trim") => Val::Str(s.trim().to_string()),
        ("s", "rtrim") => Val::Str(s.trim_end().to_string()),
        ("s", "ltrim") => Val::Str(s.trim_start().to_string()),
        ("s", "replace") => Val::Str(s.replace(&p(0), &p(1))),
        ("s", "encode.hexa") => Val::Str(s.bytes().map(|b| format!("{b:02x}")).collect()),
        ("s", "numeric") => Val::Int(s.chars().all(|c| c.is_ascii_digit()) as i64),
        ("s", "unquote") => Val::Str(s.trim_matches('"').to_string()),
        ("uri", _) => {
            let Some(u) = Uri::parse(&s) else {
                return Ok(Val::Null);
            };
            match sub {
                "user" => Val::Str(u.user),
                "host" | "domain" => Val::Str(u.host),
                "port" => Val::Str(u.port),
                "params" => Val::Str(u.params),
                "param" => param_of(&u.params, &p(0))
                    .map(Val::Str)
                    .unwrap_or(Val::Null),
                "transport" => u.param("transport").map(Val::Str).unwrap_or(Val::Null),
                "scheme" => Val::Str(u.scheme),
                "passwd" => u.password.map(Val::Str).unwrap_or(Val::Null),
                "headers" => Val::Str(u.headers),
                "tosocket" => Val::Str(format!("{}:{}:{}", u.transport(), u.host, u.port_num())),
                _ => return Err(format!("{class}.{sub}")),
            }
        }
        ("tobody", _) | ("nameaddr", _) => {
            let na = NameAddr::parse(&s);
            match sub {
                "uri" => Val::Str(na.uri),
                "display" | "name" => Val::Str(na.display),
                "tag" => na.param("tag").map(Val::Str).unwrap_or(Val::Null),
                "params" => Val::Str(na.params),
                "user" => Val::Str(Uri::parse(&na.uri).map(|u| u.user).unwrap_or_default()),
                "host" => Val::Str(Uri::parse(&na.uri).map(|u| u.host).unwrap_or_default()),
                "len" => Val::Int(s.len() as i64),
                _ => return Err(format!("{class}.{sub}")),
            }
        }
        ("param", "value") => param_of(&s, &p(0)).map(Val::Str).unwrap_or(Val::Null),
        ("param", "count") => Val::Int(s.split(';').filter(|x| !x.is_empty()).count() as i64),
        ("param", "exist") => Val::Int(param_of(&s, &p(0)).is_some() as i64),
        ("via", _) => {
            let v = crate::sip::Via::parse(&s);
            match sub {
                "host" => Val::Str(v.host),
                "port" => Val::Str(v.port),
                "transport" => Val::Str(v.transport),
                "branch" => Val::Str(v.branch()),
                "params" => Val::Str(v.params),
                _ => return Err(format!("{class}.{sub}")),
            }
        }
        _ => return Err(format!("{class}.{sub}")),
    };
    Ok(out)
}
