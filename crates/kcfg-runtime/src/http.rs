//! The http_client module's `http_client_query` (2, 3 and 4 parameters)
//! and `http_client_get`, with the responses given by the scenario
//! (`[[http]]` in `kcfg test`, `#@http` lines in `.sip` files): the runtime
//! never opens a connection. As http_client.c / functions.c of 5.6.3 do:
//! the function returns the HTTP status (a transport failure returns its
//! libcurl error code, e.g. 7 for "could not connect", and status 0 is -1);
//! the result PV gets the body only for statuses 200–499, cut at the first
//! line feed unless `modparam("http_client", "query_result", 0)`, and at
//! `query_maxdatasize` bytes when that is set; otherwise an empty string.
//! A request without a given response is reported unsupported (the run is
//! incomplete) and returns -1.

use crate::engine::{Ctx, Runtime};
use crate::ir::Call;
use crate::value::Val;

/// An answer of the simulated HTTP server.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpResponse {
    /// the URL it answers: the whole URL, or a path (`/check?u=1`) that
    /// matches any scheme/host/port; a trailing `*` matches any rest
    pub url: String,
    /// `GET`/`POST`; any method when absent
    #[serde(default)]
    pub method: Option<String>,
    /// HTTP status (default 200)
    #[serde(default = "default_code")]
    pub code: u16,
    #[serde(default)]
    pub body: String,
    /// instead of a response: the libcurl error code (7: could not connect, 28: timeout)
    #[serde(default)]
    pub curl_error: Option<u32>,
}

fn default_code() -> u16 {
    200
}

/// The path and query of a URL (`http://h:1/p?q` → `/p?q`).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match rest.find('/') {
        Some(i) => &rest[i..],
        None => "/",
    }
}

impl HttpResponse {
    pub fn matches(&self, method: &str, url: &str) -> bool {
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        let target = if self.url.starts_with('/') {
            path_of(url)
        } else {
            url
        };
        match self.url.strip_suffix('*') {
            Some(prefix) => target.starts_with(prefix),
            None => target == self.url,
        }
    }

    /// `#@http PATH-OR-URL CODE [BODY]` (`\n` in BODY is a line feed).
    pub fn from_directive(line: &str) -> Option<HttpResponse> {
        let mut it = line.trim().splitn(3, ' ');
        let url = it.next()?.to_string();
        let code = it.next()?.trim().parse().ok()?;
        let body = it.next().unwrap_or("").replace("\\n", "\n");
        Some(HttpResponse {
            url,
            code,
            body,
            ..Default::default()
        })
    }
}

impl Runtime {
    /// http_client functions; `None` when `c` is not one of them.
    pub(crate) fn http_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n = c.name.as_str();
        let na = c.args.len();
        let (url, body) = match (n, na) {
            ("http_client_query", 2) => (self.eval_arg(ctx, &c.args[0]), String::new()),
            ("http_client_query", 3 | 4) | ("http_client_get", 4) => (
                self.eval_arg(ctx, &c.args[0]),
                self.eval_arg(ctx, &c.args[1]),
            ),
            _ => return None,
        };
        if na == 4 {
            // extra headers: evaluated for their side effects only
            let _ = self.eval_arg(ctx, &c.args[2]);
        }
        let dst = self.dest_pv(&c.args[na - 1])?;
        if url.is_empty() {
            return Some(-1);
        }
        let method = if n == "http_client_get" || body.is_empty() {
            "GET"
        } else {
            "POST"
        };
        let Some(resp) = self
            .ext
            .http
            .iter()
            .find(|r| r.matches(method, &url))
            .cloned()
        else {
            self.ext_unsupported(
                format!("{n}(): no HTTP response given for {method} {url}"),
                &c.loc,
            );
            return Some(-1);
        };
        let (ret, result) = match resp.curl_error {
            Some(e) => (e as i64, String::new()),
            None => {
                let code = resp.code as i64;
                let mut out = String::new();
                if (200..500).contains(&code) && !resp.body.is_empty() {
                    let oneline = self.prog.modparam_int("http_client", "query_result", 1) != 0;
                    let max = self
                        .prog
                        .modparam_int("http_client", "query_maxdatasize", 0)
                        .max(0) as usize;
                    let b = resp.body.as_bytes();
                    let cut = match b.iter().position(|x| *x == b'\n') {
                        Some(i) if oneline => i,
                        _ if max > 0 && b.len() > max => max,
                        _ => b.len(),
                    };
                    out = String::from_utf8_lossy(&b[..cut]).into_owned();
                }
                (code, out)
            }
        };
        self.set_pv(ctx, &dst, Val::Str(result), &c.loc);
        Some(if ret == 0 { -1 } else { ret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching() {
        let r = HttpResponse::from_directive("/check?u=1 404 no\\nmore").unwrap();
        assert_eq!(r.code, 404);
        assert_eq!(r.body, "no\nmore");
        assert!(r.matches("GET", "http://127.0.0.1:8000/check?u=1"));
        assert!(!r.matches("GET", "http://127.0.0.1:8000/check?u=2"));
        let p = HttpResponse {
            url: "http://api/v1/*".into(),
            method: Some("POST".into()),
            ..Default::default()
        };
        assert!(p.matches("POST", "http://api/v1/x"));
        assert!(!p.matches("GET", "http://api/v1/x"));
    }
}
