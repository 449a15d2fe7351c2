//! dispatcher: destination sets from the scenario (the lines of a
//! `list_file`: `SETID URI [FLAGS [PRIORITY]]`), `ds_select_dst` /
//! `ds_select_domain` with algorithms 0-4 and 8, failover with
//! `ds_next_dst` / `ds_next_domain`, `ds_is_from_list`. Orders and hashes
//! follow modules/dispatcher/dispatch.c of Kamailio 5.6.3.

use std::net::IpAddr;

use crate::engine::{Ctx, Runtime};
use crate::sip::{NameAddr, Uri};

/// One destination.
#[derive(Debug, Clone)]
pub struct DsDest {
    pub uri: String,
    pub priority: i64,
}

/// `ds_get_hash` (dispatch.c): the hash algorithms 0-3 use.
pub fn ds_get_hash(x: &[u8]) -> u32 {
    let mut h: u32 = 0;
    let mut i = 0;
    // the C code reads `char`, signed on x86_64
    let b = |k: usize| x[k] as i8 as i32 as u32;
    if x.len() >= 4 {
        while i + 4 <= x.len() {
            let v = (b(i) << 24)
                .wrapping_add(b(i + 1) << 16)
                .wrapping_add(b(i + 2) << 8)
                .wrapping_add(b(i + 3));
            h = h.wrapping_add(v ^ (v >> 3));
            i += 4;
        }
    }
    let mut v: u32 = 0;
    while i < x.len() {
        v = (v << 8).wrapping_add(b(i));
        i += 1;
    }
    h = h.wrapping_add(v ^ (v >> 3));
    h = h
        .wrapping_add(h >> 11)
        .wrapping_add((h >> 13).wrapping_add(h >> 23));
    if h == 0 {
        1
    } else {
        h
    }
}

/// Parse list-file lines into sets, in Kamailio's index order: by
/// priority, highest first, and among equal priorities the last line
/// first (add_dest2list + reindex_dests).
pub fn parse_list(lines: &[String]) -> Vec<(i64, Vec<DsDest>)> {
    let mut sets: Vec<(i64, Vec<DsDest>)> = Vec::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let mut f = l.split_whitespace();
        let (Some(id), Some(uri)) = (f.next().and_then(|x| x.parse().ok()), f.next()) else {
            continue;
        };
        let _flags = f.next();
        let priority = f.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let d = DsDest {
            uri: uri.to_string(),
            priority,
        };
        match sets.iter_mut().find(|(i, _)| *i == id) {
            // linked list sorted ascending, a new entry after its equals
            Some((_, v)) => {
                let pos = v
                    .iter()
                    .position(|x| x.priority > priority)
                    .unwrap_or(v.len());
                v.insert(pos, d);
            }
            None => sets.push((id, vec![d])),
        }
    }
    for (_, v) in sets.iter_mut() {
        v.reverse(); // reindex_dests copies backwards
    }
    sets
}

impl Runtime {
    fn ds_set(&self, id: i64) -> Option<&Vec<DsDest>> {
        self.ds_sets.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }

    /// ds_select_dst / ds_select_domain: 1 and the first destination set
    /// in `$du` (or the R-URI host), the rest kept for ds_next_*; -1 when
    /// the set does not exist.
    pub(crate) fn ds_select(
        &mut self,
        ctx: &mut Ctx,
        set: i64,
        alg: i64,
        limit: usize,
        domain: bool,
    ) -> i64 {
        let Some(dests) = self.ds_set(set).cloned() else {
            return -1;
        };
        let nr = dests.len();
        if nr == 0 {
            return -1;
        }
        let hash: u32 = match alg {
            0 => ds_get_hash(ctx.msg.call_id().trim().as_bytes()),
            1 | 2 => {
                let h = if alg == 1 { "from" } else { "to" };
                let u = ctx
                    .msg
                    .header(h)
                    .map(|v| NameAddr::parse(v).uri)
                    .and_then(|u| Uri::parse(&u));
                match u {
                    Some(u) => {
                        // user@host[:port] as ds_get_hash(key1, key2) with key1 = user
                        let key2 = if u.port.is_empty() || u.port == "5060" {
                            u.host.clone()
                        } else {
                            format!("{}:{}", u.host, u.port)
                        };
                        ds_get_hash2(u.user.as_bytes(), key2.as_bytes())
                    }
                    None => return -1,
                }
            }
            3 => match Uri::parse(ctx.msg.ruri()) {
                Some(u) => {
                    let key2 = if u.port.is_empty() || u.port == "5060" {
                        u.host.clone()
                    } else {
                        format!("{}:{}", u.host, u.port)
                    };
                    ds_get_hash2(u.user.as_bytes(), key2.as_bytes())
                }
                None => return -1,
            },
            4 => {
                let last = self.ds_rr.entry(set).or_insert(0);
                let h = *last;
                *last = (*last + 1) % nr as u32;
                h
            }
            8 => 0,
            _ => return -2, // not simulated: reported by the caller
        };
        let first = (hash as usize) % nr;
        let mut order: Vec<String> = Vec::new();
        for i in (first..nr).chain(0..first) {
            if order.len() >= limit {
                break;
            }
            order.push(dests[i].uri.clone());
        }
        let Some(pick) = order.first().cloned() else {
            return -1;
        };
        self.ds_apply(ctx, &pick, domain);
        // the failover list is kept only with failover support on
        // (modparam flags bit 2, DS_FAILOVER_ON); else ds_next_* fail
        ctx.ds_left = if self.prog.modparam_int("dispatcher", "flags", 0) & 2 != 0 {
            order[1..].to_vec()
        } else {
            Vec::new()
        };
        1
    }

    fn ds_apply(&mut self, ctx: &mut Ctx, uri: &str, domain: bool) {
        if domain {
            if let (Some(mut r), Some(d)) = (Uri::parse(ctx.msg.ruri()), Uri::parse(uri)) {
                r.host = d.host;
                r.port = d.port;
                ctx.msg.set_ruri(&r.to_string_full());
            }
        } else {
            ctx.du = Some(uri.to_string());
        }
    }

    /// ds_next_dst / ds_next_domain.
    pub(crate) fn ds_next(&mut self, ctx: &mut Ctx, domain: bool) -> i64 {
        if ctx.ds_left.is_empty() {
            return -1;
        }
        let next = ctx.ds_left.remove(0);
        self.ds_apply(ctx, &next, domain);
        1
    }

    /// ds_is_from_list([set]): the source address is a destination's.
    pub(crate) fn ds_is_from_list(&mut self, ctx: &mut Ctx, set: Option<i64>) -> i64 {
        for (id, v) in &self.ds_sets {
            if set.is_some_and(|s| s != *id) {
                continue;
            }
            for d in v {
                if let Some(u) = Uri::parse(&d.uri) {
                    let ip: Option<IpAddr> = u.host.trim_matches(['[', ']']).parse().ok();
                    if ip == Some(ctx.src.ip()) && u.port_num() == ctx.src.port() {
                        return 1;
                    }
                }
            }
        }
        -1
    }
}

fn ds_get_hash2(x: &[u8], y: &[u8]) -> u32 {
    // the two-key form of ds_get_hash: both parts add into one sum
    let part = |x: &[u8]| -> u32 {
        let b = |k: usize| x[k] as i8 as i32 as u32;
        let mut h: u32 = 0;
        let mut i = 0;
        while x.len() >= 4 && i + 4 <= x.len() {
            let v = (b(i) << 24)
                .wrapping_add(b(i + 1) << 16)
                .wrapping_add(b(i + 2) << 8)
                .wrapping_add(b(i + 3));
            h = h.wrapping_add(v ^ (v >> 3));
            i += 4;
        }
        let mut v: u32 = 0;
        while i < x.len() {
            v = (v << 8).wrapping_add(b(i));
            i += 1;
        }
        h.wrapping_add(v ^ (v >> 3))
    };
    let mut h = part(x);
    if !y.is_empty() {
        h = h.wrapping_add(part(y));
    }
    h = h
        .wrapping_add(h >> 11)
        .wrapping_add((h >> 13).wrapping_add(h >> 23));
    if h == 0 {
        1
    } else {
        h
    }
}
