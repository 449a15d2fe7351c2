//! The inside of a pseudo-variable: class, inner name, index and
//! transformations (`$(hdr(From){tobody.user}{s.tolower})`), and the PVs
//! embedded in format strings (`xlog("from $fu to $(tu{uri.user})")`).
//!
//! The lexer keeps a PV as one token, as Kamailio's lexer does; this module
//! takes it apart for the semantic checks.

/// One transformation `{class.sub,param,...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform<'a> {
    pub class: &'a str,
    pub sub: &'a str,
    pub params: Vec<&'a str>,
    /// byte range within the PV text
    pub start: usize,
    pub end: usize,
}

/// A parsed pseudo-variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvRef<'a> {
    /// `ru` in `$ru`, `var` in `$var(x)`, `?` in `$?`, `%` for SER's `%avp`
    pub class: &'a str,
    /// `x` in `$var(x)`, `t=>$ci` in `$sht(t=>$ci)`
    pub inner: Option<&'a str>,
    /// `1` in `$(avp(x)[1])`
    pub index: Option<&'a str>,
    pub transforms: Vec<Transform<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PvError {
    pub message: String,
    /// byte offset within the PV text
    pub offset: usize,
}

fn id_len(s: &[u8]) -> usize {
    s.iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'.')
        .count()
}

/// Position of the `close` that matches the `open` at `s[0]` (only `open`/`close` count).
pub fn matching(s: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut depth = 0i32;
    for (i, &b) in s.iter().enumerate() {
        if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Split `a,b,{c,d}` at the commas outside `()`, `[]` and `{}`.
pub fn split_params(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => depth -= 1,
            b',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Parse a whole PV token text (starting with `$`).
pub fn parse_pv(text: &str) -> Result<PvRef<'_>, PvError> {
    let err = |m: &str, o: usize| {
        Err(PvError {
            message: m.to_string(),
            offset: o,
        })
    };
    let b = text.as_bytes();
    if b.first() == Some(&b'%') {
        // SER's AVP syntax: `%name`, `%f.name`, `%name[1]`
        let body = &text[1..];
        let (name, index) = match body.find('[') {
            Some(i) if body.ends_with(']') => (&body[..i], Some(&body[i + 1..body.len() - 1])),
            _ => (body, None),
        };
        if name.is_empty() {
            return err("expected an AVP name after `%`", 1);
        }
        return Ok(PvRef {
            class: "%",
            inner: Some(name),
            index,
            transforms: vec![],
        });
    }
    if b.first() != Some(&b'$') {
        return err("a pseudo-variable starts with `$`", 0);
    }
    if text == "$?" {
        return Ok(PvRef {
            class: "?",
            inner: None,
            index: None,
            transforms: vec![],
        });
    }
    if b.get(1) == Some(&b'(') {
        // $( name [ (inner) ] [ [idx] ] {tr}* )
        let Some(close) = matching(&b[1..], b'(', b')') else {
            return err("unclosed `$(`", 1);
        };
        let close = close + 1;
        let body = &text[2..close];
        let mut r = parse_class_inner(body, 2)?;
        let mut rest_off = 2 + r.1;
        let rest = &text[rest_off..close];
        let mut rb = rest.as_bytes();
        if rb.first() == Some(&b'[') {
            let Some(e) = matching(rb, b'[', b']') else {
                return err("unclosed `[` in the index", rest_off);
            };
            r.0.index = Some(&text[rest_off + 1..rest_off + e]);
            rest_off += e + 1;
            rb = &rb[e + 1..];
        }
        while rb.first() == Some(&b'{') {
            let Some(e) = matching(rb, b'{', b'}') else {
                return err("unclosed `{` in a transformation", rest_off);
            };
            let tr = &text[rest_off + 1..rest_off + e];
            let params = split_params(tr);
            let head = params[0];
            let (class, sub) = match head.find('.') {
                Some(d) => (&head[..d], &head[d + 1..]),
                None => (head, ""),
            };
            r.0.transforms.push(Transform {
                class,
                sub,
                params: params[1..].to_vec(),
                start: rest_off,
                end: rest_off + e + 1,
            });
            rest_off += e + 1;
            rb = &rb[e + 1..];
        }
        if !rb.is_empty() {
            return err("unexpected text inside `$( )`", rest_off);
        }
        if close + 1 != text.len() {
            return err("unexpected text after the pseudo-variable", close + 1);
        }
        return Ok(r.0);
    }
    let (r, used) = parse_class_inner(&text[1..], 1)?;
    if 1 + used != text.len() {
        // `$foo[1]`: old AVP index
        let rest = &text[1 + used..];
        if rest.starts_with('[') && rest.ends_with(']') {
            return Ok(PvRef {
                index: Some(&rest[1..rest.len() - 1]),
                ..r
            });
        }
        return err("unexpected text after the pseudo-variable", 1 + used);
    }
    Ok(r)
}

/// `name` or `name(inner)` at the start of `s`; returns the ref and the bytes used.
fn parse_class_inner(s: &str, base: usize) -> Result<(PvRef<'_>, usize), PvError> {
    let b = s.as_bytes();
    let l = id_len(b);
    if l == 0 {
        return Err(PvError {
            message: "expected a pseudo-variable name".into(),
            offset: base,
        });
    }
    let class = &s[..l];
    if b.get(l) == Some(&b'(') {
        let Some(e) = matching(&b[l..], b'(', b')') else {
            return Err(PvError {
                message: "unclosed `(` in the pseudo-variable name".into(),
                offset: base + l,
            });
        };
        let inner = &s[l + 1..l + e];
        return Ok((
            PvRef {
                class,
                inner: Some(inner),
                index: None,
                transforms: vec![],
            },
            l + e + 1,
        ));
    }
    Ok((
        PvRef {
            class,
            inner: None,
            index: None,
            transforms: vec![],
        },
        l,
    ))
}

/// A PV found inside a string: its byte range in the string's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedPv {
    pub start: usize,
    pub end: usize,
}

/// Find the PVs in a format string (the content of a string literal), the way
/// Kamailio's `pv_parse_format` reads them. `$$`... is not an escape in
/// Kamailio; a `$` that does not start a PV is kept as text.
pub fn scan_format(s: &str) -> Vec<EmbeddedPv> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let start = i;
        let rest = &b[i + 1..];
        let len = match rest.first() {
            Some(b'(') => matching(rest, b'(', b')').map(|e| e + 1),
            Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
                let l = rest
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                if rest.get(l) == Some(&b'(') {
                    matching(&rest[l..], b'(', b')').map(|e| l + e + 1)
                } else {
                    Some(l)
                }
            }
            _ => None,
        };
        match len {
            Some(l) => {
                out.push(EmbeddedPv {
                    start,
                    end: start + 1 + l,
                });
                i = start + 1 + l;
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let p = parse_pv("$ru").unwrap();
        assert_eq!((p.class, p.inner), ("ru", None));
        let p = parse_pv("$var(x)").unwrap();
        assert_eq!((p.class, p.inner), ("var", Some("x")));
        let p = parse_pv("$sht(t=>$ci)").unwrap();
        assert_eq!(p.inner, Some("t=>$ci"));
        let p = parse_pv("$(hdr(From)[1]{tobody.user}{s.substr,1,2})").unwrap();
        assert_eq!(
            (p.class, p.inner, p.index),
            ("hdr", Some("From"), Some("1"))
        );
        assert_eq!(p.transforms.len(), 2);
        assert_eq!(
            (p.transforms[0].class, p.transforms[0].sub),
            ("tobody", "user")
        );
        assert_eq!(p.transforms[1].params, vec!["1", "2"]);
        let p = parse_pv("$(err.class)").unwrap();
        assert_eq!(p.class, "err.class");
        let p = parse_pv("$(ru{s.encode.base64})").unwrap();
        assert_eq!(p.transforms[0].sub, "encode.base64");
        assert!(parse_pv("$(ru{s.len)").is_err());
    }

    #[test]
    fn format_strings() {
        let s = "from $fu to $(tu{uri.user}) $var(x)! $ 5$";
        let found: Vec<_> = scan_format(s).iter().map(|e| &s[e.start..e.end]).collect();
        assert_eq!(found, vec!["$fu", "$(tu{uri.user})", "$var(x)"]);
    }
}
