//! The dialog module: dialogs created by `dlg_manage()` or the `dlg_flag`
//! (modparam) set before the transaction is made, their state
//! (dlg_hash.c `next_state_dlg`), `$dlg_var(name)` with dialog scope and
//! `$dlg(...)`, `is_known_dlg()`, and in-dialog matching when `loose_route()`
//! runs (the rr callback `dlg_onroute`, by the `did` Route parameter or by
//! Call-ID and tags as `dlg_match_mode` says).
//!
//! Measured against Kamailio 5.6.3 (`fixtures/runtime/dialog*.sip`): a
//! dialog is UNCONFIRMED (1) from its creation through the reply routes of
//! the INVITE, CONFIRMED_NA (3) once a 2xx was sent upstream, CONFIRMED (4)
//! after an ACK matched at `loose_route`, DELETED (5) after a BYE matched
//! there and still known to the next requests; with the default
//! `dlg_match_mode` 0 a Route without the dialog's `did` does not match (the
//! state stays), while `$dlg_var`, `$dlg` and `is_known_dlg()` find the
//! dialog by Call-ID and tags; `$dlg_var` set without a dialog lives for the
//! message only, and moves into the dialog when the flag creates it at
//! `t_relay`; the INVITE's Record-Route gets `;did=ENTRY.ID`.
//! From the source only (not measured): EARLY (2) on a provisional reply
//! above 100, DELETED on a negative final reply of an unconfirmed dialog.

use std::collections::{BTreeMap, HashMap};

use std::net::SocketAddr;

use kcfg_sema::RouteTable;

use crate::capture::Proto;
use crate::engine::{Ctx, Origin, RouteType, Runtime, FAKED_SIP_MSG};
use crate::sip::SipMsg;
use crate::tmlocal::NO_SOURCE;
use crate::value::Val;

pub(crate) const UNCONFIRMED: i64 = 1;
pub(crate) const EARLY: i64 = 2;
pub(crate) const CONFIRMED_NA: i64 = 3;
pub(crate) const CONFIRMED: i64 = 4;
pub(crate) const DELETED: i64 = 5;

/// Size of the dialog hash table (modparam `hash_size`, default 4096).
const HASH_SIZE: u32 = 4096;

#[derive(Debug, Clone)]
pub(crate) struct Dialog {
    pub(crate) call_id: String,
    pub(crate) from_tag: String,
    pub(crate) to_tag: Option<String>,
    pub(crate) from_uri: String,
    pub(crate) to_uri: String,
    pub(crate) state: i64,
    /// `ENTRY.ID` in hex, as in the `did` Record-Route parameter
    pub(crate) did: String,
    pub(crate) vars: BTreeMap<String, Val>,
}

/// All dialogs of a run, indexed by Call-ID.
#[derive(Debug, Default)]
pub struct Dialogs {
    pub(crate) list: Vec<Dialog>,
    by_call_id: HashMap<String, Vec<usize>>,
    next_id: u32,
}

impl Dialogs {
    /// Number of dialogs created so far.
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The dialog of this Call-ID whose tags are `(a, b)` in either
    /// direction; one without a callee tag yet matches its caller's tag on
    /// either side (dlg_hash.h `match_dialog`).
    fn matching(&self, call_id: &str, a: &str, b: &str) -> Option<usize> {
        self.by_call_id
            .get(call_id)?
            .iter()
            .rev()
            .copied()
            .find(|&d| {
                let x = &self.list[d];
                match x.to_tag.as_deref() {
                    None | Some("") => x.from_tag == a || x.from_tag == b,
                    Some(tt) => (x.from_tag == a && tt == b) || (x.from_tag == b && tt == a),
                }
            })
    }
}

/// core_hash-like spread of the Call-ID over the hash table (only the
/// look of `did`; its value is Kamailio's own and random in its ID part).
fn entry_of(call_id: &str) -> u32 {
    let mut h: u32 = 0;
    for b in call_id.bytes() {
        h = h.wrapping_mul(31).wrapping_add(b as u32);
    }
    h % HASH_SIZE
}

impl Runtime {
    fn dlg_flag(&self) -> Option<u64> {
        if !self.prog.has_module("dialog") {
            return None;
        }
        let f = self.prog.modparam_int("dialog", "dlg_flag", -1);
        (0..64).contains(&f).then_some(f as u64)
    }

    fn dlg_match_mode(&self) -> i64 {
        self.prog.modparam_int("dialog", "dlg_match_mode", 0)
    }

    /// The dialog of the message: the one of this message or transaction,
    /// else (a request or reply with a To-tag) the one with its Call-ID and
    /// tags (`dlg_get_msg_dialog`).
    pub(crate) fn dlg_of(&self, ctx: &Ctx) -> Option<usize> {
        if let Some(d) = ctx.dlg {
            return Some(d);
        }
        if let Some(d) = ctx
            .trans
            .and_then(|t| self.trans.get(t))
            .and_then(|t| t.dlg)
        {
            return Some(d);
        }
        self.dlg_lookup_msg(&ctx.msg)
    }

    fn dlg_lookup_msg(&self, m: &SipMsg) -> Option<usize> {
        if self.dialogs.is_empty() {
            return None;
        }
        let tt = m.to_tag()?;
        let ft = m.from_tag().unwrap_or_default();
        self.dialogs.matching(m.call_id(), &ft, &tt)
    }

    /// `dlg_new_dialog`: a dialog for an initial INVITE (1), -1 otherwise.
    pub(crate) fn dlg_create(&mut self, ctx: &mut Ctx) -> i64 {
        if ctx.dlg.is_some() {
            return 1;
        }
        if ctx.msg.method() != "INVITE" || ctx.msg.to_tag_str().is_some() {
            return -1;
        }
        let call_id = ctx.msg.call_id().to_string();
        let Some(from_tag) = ctx.msg.from_tag() else {
            return -1;
        };
        let uri = |h: &str| {
            ctx.msg
                .header(h)
                .map(|v| crate::sip::NameAddr::parse(v).uri)
                .unwrap_or_default()
        };
        let (from_uri, to_uri) = (uri("from"), uri("to"));
        self.dialogs.next_id += 1;
        let did = format!("{:x}.{:x}", entry_of(&call_id), self.dialogs.next_id);
        let d = self.dialogs.list.len();
        self.dialogs.list.push(Dialog {
            call_id: call_id.clone(),
            from_tag,
            to_tag: None,
            from_uri,
            to_uri,
            state: UNCONFIRMED,
            did: did.clone(),
            vars: std::mem::take(&mut ctx.dlg_vars),
        });
        self.dialogs.by_call_id.entry(call_id).or_default().push(d);
        ctx.dlg = Some(d);
        if let Some(t) = ctx.trans {
            self.trans[t].dlg = Some(d);
        }
        self.rr_param(ctx, &format!(";did={did}"));
        1
    }

    /// tm made the transaction of `ctx`: the dialog flag creates the dialog
    /// (`dlg_onreq`), a dialog made before goes with the transaction.
    pub(crate) fn dlg_on_newtran(&mut self, ctx: &mut Ctx, ti: usize) {
        if let Some(d) = ctx.dlg {
            self.trans[ti].dlg = Some(d);
            return;
        }
        if let Some(f) = self.dlg_flag() {
            if ctx.flags & (1 << f) != 0 {
                self.dlg_create(ctx);
            }
        }
    }

    /// A reply tm sends upstream for a transaction with a dialog.
    pub(crate) fn dlg_on_reply_out(&mut self, ti: usize, r: &SipMsg, origin: Origin) {
        let Some(d) = self.trans[ti].dlg else { return };
        if self.trans[ti].method != "INVITE" {
            return;
        }
        let code = r.status();
        if code <= 100 {
            return;
        }
        let dl = &mut self.dialogs.list[d];
        if dl.to_tag.is_none() && code < 300 {
            dl.to_tag = r.to_tag();
        }
        let old = dl.state;
        dl.state = match (code, dl.state) {
            (101..=199, UNCONFIRMED | EARLY) => EARLY,
            (200..=299, UNCONFIRMED | EARLY | DELETED) => CONFIRMED_NA,
            (300.., UNCONFIRMED | EARLY) => DELETED,
            (_, s) => s,
        };
        let new = dl.state;
        // tm's callbacks see FAKED_REPLY for a reply tm made: the event
        // route then runs on Kamailio's faked OPTIONS
        let (msg, src) = match origin {
            Origin::Relayed(from) => (r.clone(), from),
            Origin::Local | Origin::RelayedLocal => match SipMsg::parse(FAKED_SIP_MSG.as_bytes()) {
                Ok(m) => (m, NO_SOURCE),
                Err(_) => return,
            },
        };
        let (local, proto) = (self.trans[ti].local, self.trans[ti].proto);
        self.dlg_event_route(d, old, new, msg, src, local, proto);
    }

    /// The dialog module's event routes (`dlg_run_event_route` in
    /// dialog/dlg_handlers.c), on a state change of dialog `d`:
    /// `dialog:start` when it becomes confirmed (CONFIRMED_NA),
    /// `dialog:end` when a confirmed one is deleted, `dialog:failed` when
    /// an unconfirmed or early one is. They run as LOCAL_ROUTE on `msg`
    /// with the dialog as the current one (`$dlg_var`, `$dlg(...)`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dlg_event_route(
        &mut self,
        d: usize,
        old: i64,
        new: i64,
        msg: SipMsg,
        src: SocketAddr,
        local: SocketAddr,
        proto: Proto,
    ) {
        if old == new {
            return;
        }
        let name = match (old, new) {
            (_, CONFIRMED_NA) => "dialog:start",
            (CONFIRMED | CONFIRMED_NA, DELETED) => "dialog:end",
            (UNCONFIRMED | EARLY, DELETED) => "dialog:failed",
            _ => return,
        };
        let Some(rt) = self.prog.route_rc(RouteTable::Event, name) else {
            return;
        };
        let mut ctx = self.new_ctx(msg, src, local, proto, RouteType::Local);
        ctx.dlg = Some(d);
        let _ = self.run_route_code(&mut ctx, &rt);
    }

    /// rr's callback when `loose_route()` processed a Route of ours
    /// (`dlg_onroute`); `did` is that Route's `did` parameter.
    pub(crate) fn dlg_on_route(&mut self, ctx: &mut Ctx, did: Option<String>, mode: i64) {
        if self.dialogs.is_empty() || !ctx.msg.is_request() {
            return;
        }
        let by_tags = self.dlg_lookup_msg(&ctx.msg);
        let d = match (mode, did) {
            (2, _) => by_tags,
            // a did of ours must name this dialog; one that is not ours came
            // from a capture of real Kamailio (its IDs are random): trust the tags
            (_, Some(id)) => match self.dialogs.list.iter().position(|x| x.did == id) {
                Some(i) if Some(i) == by_tags => by_tags,
                Some(_) => None,
                None => by_tags,
            },
            (1, None) => by_tags,
            _ => None,
        };
        let Some(d) = d else { return };
        ctx.dlg = Some(d);
        let dl = &mut self.dialogs.list[d];
        let old = dl.state;
        match ctx.msg.method() {
            "ACK" if dl.state == CONFIRMED_NA => dl.state = CONFIRMED,
            "BYE" if dl.state == CONFIRMED_NA || dl.state == CONFIRMED => dl.state = DELETED,
            _ => {}
        }
        let new = dl.state;
        // dialog:end runs inside loose_route(), on the BYE
        let (msg, src, local, proto) = (ctx.msg.clone(), ctx.src, ctx.local, ctx.proto);
        self.dlg_event_route(d, old, new, msg, src, local, proto);
    }

    pub(crate) fn dlg_route_hook(&mut self, ctx: &mut Ctx, did: Option<String>) {
        if self.prog.has_module("dialog") {
            let mode = self.dlg_match_mode();
            self.dlg_on_route(ctx, did, mode);
        }
    }

    /// `dlg_manage()`
    pub(crate) fn dlg_manage(&mut self, ctx: &mut Ctx) -> i64 {
        if ctx.msg.to_tag_str().is_some() {
            self.dlg_on_route(ctx, None, 2);
            return 1;
        }
        let r = self.dlg_create(ctx);
        if r == 1 {
            if let Some(t) = ctx.trans {
                self.trans[t].dlg = ctx.dlg;
            }
        }
        r
    }

    pub(crate) fn dlg_var_get(&self, ctx: &Ctx, name: &str) -> Val {
        match self.dlg_of(ctx) {
            Some(d) => self.dialogs.list[d].vars.get(name).cloned(),
            None => ctx.dlg_vars.get(name).cloned(),
        }
        .unwrap_or(Val::Null)
    }

    pub(crate) fn dlg_var_set(&mut self, ctx: &mut Ctx, name: String, v: Val) {
        let vars = match self.dlg_of(ctx) {
            Some(d) => &mut self.dialogs.list[d].vars,
            None => &mut ctx.dlg_vars,
        };
        if v.is_null() {
            vars.remove(&name);
        } else {
            vars.insert(name, v);
        }
    }

    /// `$dlg(key)`; `None` for a key the runtime does not simulate.
    pub(crate) fn dlg_pv(&self, ctx: &Ctx, key: &str) -> Option<Val> {
        let d = self.dlg_of(ctx).map(|d| &self.dialogs.list[d]);
        let Some(d) = d else {
            return [
                "state", "callid", "from_tag", "to_tag", "from_uri", "to_uri",
            ]
            .contains(&key)
            .then_some(Val::Null);
        };
        Some(match key {
            "state" => Val::Int(d.state),
            "callid" => Val::Str(d.call_id.clone()),
            "from_tag" => Val::Str(d.from_tag.clone()),
            "to_tag" => d.to_tag.clone().map(Val::Str).unwrap_or(Val::Null),
            "from_uri" => Val::Str(d.from_uri.clone()),
            "to_uri" => Val::Str(d.to_uri.clone()),
            _ => return None,
        })
    }
}
