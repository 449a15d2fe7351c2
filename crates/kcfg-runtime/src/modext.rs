//! State and dispatch of the modules that live in their own files
//! (jansson, mqueue, http_client, permissions), so the shared dispatch in
//! `funcs.rs`/`engine.rs` only needs one hook for functions and one for PVs.

use std::collections::HashMap;

use crate::engine::{Ctx, Runtime};
use crate::event::Step;
use crate::ir::{Call, Loc, Pv};
use crate::value::Val;

/// The functions these modules simulate (besides [`crate::SIMULATED`]
/// and the lists of nathelper, rtpproxy and the small functions:
/// `nathelper::NATHELPER_FUNCS`, `rtpproxy::RTPPROXY_FUNCS`,
/// `misc::MISC_FUNCS`; the other functions of these modules are reported
/// unsupported).
pub const SIMULATED_EXT: &[&str] = &[
    "jansson_get",
    "jansson_get_field",
    "jansson_array_size",
    "jansson_set",
    "jansson_append",
    "json_get_field",
    "json_get_string",
    "mq_add",
    "mq_fetch",
    "mq_size",
    "mq_pv_free",
    "allow_source_address",
    "allow_address",
    "allow_source_address_group",
    "allow_address_group",
    "allow_routing",
    "allow_register",
    "http_client_query",
    "http_client_get",
    "http_connect",
];

/// Module state that outlives a message.
#[derive(Debug, Default)]
pub struct ModState {
    /// mqueue queues, read from the modparams on first use
    pub mqueues: Option<HashMap<String, crate::mqueue::MQueue>>,
    /// permissions tables and rule files
    pub perm: crate::permissions::PermState,
    /// files a module reads, given by the scenario (`files`): name as the
    /// config writes it → content
    pub files: HashMap<String, String>,
    /// answers of the simulated HTTP servers (http_client)
    pub http: Vec<crate::http::HttpResponse>,
}

impl Runtime {
    /// A function of one of these modules: `None` when it is none of them
    /// (the caller reports it unsupported).
    pub(crate) fn ext_call(&mut self, ctx: &mut Ctx, c: &Call) -> Option<i64> {
        let n: &str = &c.name;
        if n.starts_with("jansson_") {
            return self.jansson_call(ctx, c);
        }
        if n.starts_with("json_") {
            return self.json_call(ctx, c);
        }
        if n.starts_with("mq_") {
            return self.mqueue_call(ctx, c);
        }
        if n.starts_with("http_") {
            return self.http_call(ctx, c);
        }
        if n.starts_with("allow_") {
            return self.perm_call(ctx, c);
        }
        if let Some(r) = self.nathelper_call(ctx, c) {
            return Some(r);
        }
        if let Some(r) = self.misc_call(ctx, c) {
            return Some(r);
        }
        if let Some(r) = self.rtpproxy_call(ctx, c) {
            return Some(r);
        }
        None
    }

    /// A PV of one of these modules: `None` when it is none of them.
    pub(crate) fn ext_pv(&mut self, ctx: &mut Ctx, pv: &Pv) -> Option<Val> {
        match pv.class.as_str() {
            "mqk" | "mqv" | "mq_size" => {
                let q = match &pv.inner {
                    Some(f) => self.fmt(ctx, f),
                    None => String::new(),
                };
                Some(match self.mqueue_pv(&pv.class, &q) {
                    Ok(v) => v,
                    Err(e) => {
                        self.step(Step::Error {
                            message: format!("{}: {e}", pv.text),
                            at: None,
                        });
                        Val::Null
                    }
                })
            }
            _ => None,
        }
    }

    /// Report something these modules cannot simulate here.
    pub(crate) fn ext_unsupported(&mut self, what: String, at: &Loc) {
        self.step(Step::Unsupported {
            function: what,
            at: at.clone(),
        });
    }
}
