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
//! incomplete) and returns -1. `http_connect` (3 and 5 parameters) queries
//! the URL of an `httpcon` connection + `/` + its path and keeps the whole
//! body (`maxdatasize` of the connection or module).

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

/// The base URL of an `httpcon` connection (`name => proto://[user:pw@]server/path[;params]`,
/// curlcon.c): `proto://server/path` and the connection's `maxdatasize`, if given.
pub fn connection_url(def: &str, name: &str) -> Option<(String, Option<usize>)> {
    let (n, rest) = def.split_once("=>")?;
    if n.trim() != name {
        return None;
    }
    let (schema, rest) = rest.trim().split_once("://")?;
    let (url, params) = rest.split_once(';').unwrap_or((rest, ""));
    let url = match url.find('/') {
        Some(slash) => match url[..slash].rfind('@') {
            Some(at) => &url[at + 1..],
            None => url,
        },
        None => url.rsplit_once('@').map(|(_, h)| h).unwrap_or(url),
    };
    let max = params
        .split(';')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim() == "maxdatasize")
        .and_then(|(_, v)| v.trim().parse().ok());
    Some((format!("{schema}://{url}"), max))
}

impl Runtime {
    /// The answer for a query and what the result PV gets (functions.c
    /// `curL_request_url`): `None` when the scenario gives no answer.
    fn http_answer(
        &self,
        method: &str,
        url: &str,
        oneline: bool,
        max: usize,
    ) -> Option<(i64, String)> {
        let resp = self.ext.http.iter().find(|r| r.matches(method, url))?;
        Some(match resp.curl_error {
            Some(e) => (e as i64, String::new()),
            None => {
                let code = resp.code as i64;
                let mut out = String::new();
                if (200..500).contains(&code) && !resp.body.is_empty() {
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
        })
    }

    /// `http_connect(con, url, result)` and `http_connect(con, url, ctype, data, result)`:
    /// the connection's URL + `/` + url, the whole body (no one-line cut).
    fn http_connect(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let na = c.args.len();
        if na != 3 && na != 5 {
            return None;
        }
        let con = self.eval_arg(ctx, &c.args[0]);
        let path = self.eval_arg(ctx, &c.args[1]);
        let data = if na == 5 {
            self.eval_arg(ctx, &c.args[3])
        } else {
            String::new()
        };
        let dst = self.dest_pv(&c.args[na - 1])?;
        let defs: Vec<String> = self
            .prog
            .modparams
            .iter()
            .filter(|(m, p, _)| m == "http_client" && p.eq_ignore_ascii_case("httpcon"))
            .filter_map(|(_, _, v)| match v {
                crate::ir::ParamVal::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let Some((base, max)) = defs.iter().find_map(|d| connection_url(d, &con)) else {
            self.ext_unsupported(
                format!("http_connect(): connection `{con}` is not defined by an httpcon modparam"),
                &c.loc,
            );
            return Some(-1);
        };
        let url = if path.is_empty() {
            base
        } else if path.starts_with('/') {
            format!("{base}{path}")
        } else {
            format!("{base}/{path}")
        };
        let method = if data.is_empty() { "GET" } else { "POST" };
        let max = max.unwrap_or_else(|| {
            self.prog
                .modparam_int("http_client", "maxdatasize", 0)
                .max(0) as usize
        });
        let Some((ret, result)) = self.http_answer(method, &url, false, max) else {
            self.ext_unsupported(
                format!("http_connect(): no HTTP response given for {method} {url}"),
                &c.loc,
            );
            return Some(-1);
        };
        self.set_pv(ctx, &dst, Val::Str(result), &c.loc);
        Some(if ret == 0 { -1 } else { ret })
    }

    /// http_client functions; `None` when `c` is not one of them.
    pub(crate) fn http_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        if n == "http_connect" {
            return self.http_connect(ctx, c);
        }
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
        let oneline = self.prog.modparam_int("http_client", "query_result", 1) != 0;
        let max = self
            .prog
            .modparam_int("http_client", "query_maxdatasize", 0)
            .max(0) as usize;
        let Some((ret, result)) = self.http_answer(method, &url, oneline, max) else {
            self.ext_unsupported(
                format!("{n}(): no HTTP response given for {method} {url}"),
                &c.loc,
            );
            return Some(-1);
        };
        self.set_pv(ctx, &dst, Val::Str(result), &c.loc);
        Some(if ret == 0 { -1 } else { ret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections() {
        assert_eq!(
            connection_url(
                "api=>http://u:p@127.0.0.1:8080/v1;timeout=2;maxdatasize=5",
                "api"
            ),
            Some(("http://127.0.0.1:8080/v1".into(), Some(5)))
        );
        assert_eq!(
            connection_url("api => https://h", "api"),
            Some(("https://h".into(), None))
        );
        assert_eq!(connection_url("api=>http://h", "other"), None);
    }

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
