//! auth + auth_db: digest challenges and credential checks (RFC 2617,
//! MD5, no qop, as `auth_challenge(realm, "0")` asks). The subscribers
//! come from the scenario (`Runtime::users`), the way auth_db reads them
//! from its `subscriber` table with `calculate_ha1 yes`.

use crate::engine::{Ctx, Runtime};
use crate::sip::{Header, NameAddr, Uri};

fn md5hex(s: &str) -> String {
    use md5::{Digest, Md5};
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The RFC 2617 response without qop.
pub fn digest_response(
    user: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
) -> String {
    let ha1 = md5hex(&format!("{user}:{realm}:{password}"));
    let ha2 = md5hex(&format!("{method}:{uri}"));
    md5hex(&format!("{ha1}:{nonce}:{ha2}"))
}

/// A `key="value"` or `key=value` parameter of a Digest header.
pub fn digest_param(h: &str, key: &str) -> Option<String> {
    let body = h.trim().strip_prefix("Digest").unwrap_or(h);
    for part in crate::sip::split_commas(body) {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(key) {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

impl Runtime {
    /// Which header carries credentials for this request.
    fn cred_header(ctx: &Ctx, www: Option<bool>) -> &'static str {
        let www = www.unwrap_or(ctx.msg.method() == "REGISTER");
        if www {
            "authorization"
        } else {
            "proxy-authorization"
        }
    }

    /// auth_check / www_authorize / proxy_authorize: 1 when the request
    /// carries valid credentials for `realm`, negative otherwise (-2 wrong
    /// password, -3 unknown user, -5 no credentials, -8 user mismatch).
    pub(crate) fn auth_check(
        &mut self,
        ctx: &mut Ctx,
        realm: &str,
        www: Option<bool>,
        flags: i64,
    ) -> i64 {
        let hname = Self::cred_header(ctx, www);
        let realm = realm.trim();
        let creds: Vec<String> = ctx.msg.headers_named(hname).map(str::to_string).collect();
        let Some(c) = creds
            .iter()
            .find(|c| digest_param(c, "realm").as_deref() == Some(realm))
        else {
            return -5;
        };
        let user = digest_param(c, "username").unwrap_or_default();
        let nonce = digest_param(c, "nonce").unwrap_or_default();
        let uri = digest_param(c, "uri").unwrap_or_default();
        let resp = digest_param(c, "response").unwrap_or_default();
        if !self.nonces.contains(&nonce) {
            return -6; // stale or foreign nonce
        }
        let Some(pw) = self.users.get(&user).cloned() else {
            return -3;
        };
        let want = digest_response(&user, realm, &pw, ctx.msg.method(), &uri, &nonce);
        if !want.eq_ignore_ascii_case(&resp) {
            return -2;
        }
        if flags & 1 != 0 {
            // the identity must be the authenticated user (To for REGISTER)
            let h = if ctx.msg.method() == "REGISTER" {
                "to"
            } else {
                "from"
            };
            let id = ctx
                .msg
                .header(h)
                .map(|v| NameAddr::parse(v).uri)
                .and_then(|u| Uri::parse(&u))
                .map(|u| u.user)
                .unwrap_or_default();
            if id != user {
                return -8;
            }
        }
        ctx.auth_user = Some(user);
        ctx.auth_hdr = Some(hname);
        1
    }

    /// auth_challenge / www_challenge / proxy_challenge: 401 with
    /// WWW-Authenticate (REGISTER) or 407 with Proxy-Authenticate.
    pub(crate) fn auth_challenge(&mut self, ctx: &mut Ctx, realm: &str, www: Option<bool>) -> i64 {
        let www = www.unwrap_or(ctx.msg.method() == "REGISTER");
        self.counter += 1;
        let nonce = md5hex(&format!("kcfg-nonce-{}-{}", self.counter, self.clock));
        self.nonces.insert(nonce.clone());
        let (code, reason, hname) = if www {
            (401, "Unauthorized", "WWW-Authenticate")
        } else {
            (407, "Proxy Authentication Required", "Proxy-Authenticate")
        };
        ctx.reply_lumps.push(Header::new(
            hname,
            format!("Digest realm=\"{}\", nonce=\"{nonce}\"", realm.trim()),
        ));
        if ctx.trans.is_some() {
            self.t_reply(ctx, code, reason)
        } else {
            self.sl_reply(ctx, code, reason, "auth")
        }
    }

    /// consume_credentials: remove the credentials auth_check used.
    pub(crate) fn consume_credentials(&mut self, ctx: &mut Ctx) -> i64 {
        let Some(h) = ctx.auth_hdr else {
            return -1;
        };
        match ctx.msg.headers.iter().position(|x| x.is(h)) {
            Some(i) => {
                ctx.msg.headers.remove(i);
                1
            }
            None => -1,
        }
    }
}
