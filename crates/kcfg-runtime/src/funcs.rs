//! Core actions and module functions the runtime simulates. Everything
//! else is reported as unsupported (with its place) and the run is marked
//! incomplete.

use crate::engine::{CallRes, RouteType, Runtime};
use crate::event::Step;
use crate::ir::{Call, Expr};
use crate::sip::{Header, NameAddr, Uri};
use crate::value::Val;

/// The functions `call` simulates (for documentation and `--list`).
pub const SIMULATED: &[&str] = &[
    "route",
    "log",
    "xlog",
    "xdbg",
    "xinfo",
    "xnotice",
    "xwarn",
    "xerr",
    "xalert",
    "xcrit",
    "xbug",
    "sl_send_reply",
    "send_reply",
    "sl_reply_error",
    "send_reply_error",
    "t_reply",
    "t_relay",
    "t_newtran",
    "t_check_trans",
    "t_precheck_trans",
    "t_on_reply",
    "t_on_failure",
    "t_on_branch",
    "t_on_branch_failure",
    "t_uac_send",
    "t_is_set",
    "t_is_canceled",
    "t_check_status",
    "t_release",
    "t_is_branch_route",
    "t_is_failure_route",
    "t_is_reply_route",
    "t_set_fr",
    "t_reset_fr",
    "record_route",
    "record_route_preset",
    "loose_route",
    "add_rr_param",
    "check_route_param",
    "is_direction",
    "mf_process_maxfwd_header",
    "sanity_check",
    "has_totag",
    "is_method",
    "is_request",
    "is_reply",
    "remove_hf",
    "append_hf",
    "insert_hf",
    "is_present_hf",
    "search",
    "setflag",
    "resetflag",
    "isflagset",
    "setbflag",
    "resetbflag",
    "isbflagset",
    "force_rport",
    "add_rport",
    "set_reply_no_connect",
    "set_forward_no_connect",
    "save",
    "lookup",
    "registered",
    "forward",
    "append_to_reply",
    "is_first_hop",
    "msg_apply_changes",
    "nat_uac_test",
    "rewriteuri",
    "seturi",
    "rewritehost",
    "sethost",
    "rewriteuser",
    "setuser",
    "rewriteport",
    "setport",
    "append_branch",
    "revert_uri",
    "pike_check_req",
    "sht_rm",
    "drop",
    "exit",
    "is_myself",
    "is_uri_host_local",
    "uri_param",
    "add_uri_param",
    "t_drop_replies",
    "strip",
    "prefix",
    "strip_tail",
    "auth_check",
    "www_authorize",
    "proxy_authorize",
    "www_authenticate",
    "proxy_authenticate",
    "auth_challenge",
    "www_challenge",
    "proxy_challenge",
    "consume_credentials",
    "ds_select_dst",
    "ds_select_domain",
    "ds_next_dst",
    "ds_next_domain",
    "ds_is_from_list",
    "sql_query",
    "sql_result_free",
    "dlg_manage",
    "is_known_dlg",
];

/// A function of `call_inner`, resolved from its name when the program is
/// lowered (one arm per variant; `Other`: the modules of `modext.rs` or
/// unsupported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `route`
    Route,
    /// `is_method`
    IsMethod,
    /// `sanity_check`
    SanityCheck,
    /// `force_rport`, `add_rport`
    ForceRport,
    /// `mf_process_maxfwd_header`
    MfProcessMaxfwdHeader,
    /// `t_check_trans`
    TCheckTrans,
    /// `has_totag`
    HasTotag,
    /// `setflag`, `resetflag`, `isflagset`, `setbflag`, `resetbflag`, `isbflagset`
    Setflag,
    /// `t_precheck_trans`
    TPrecheckTrans,
    /// `t_is_set`
    TIsSet,
    /// `remove_hf`
    RemoveHf,
    /// `xlog`, `xdbg`, `xinfo`, `xnotice`, `xwarn`, `xerr`, `xalert`, `xcrit`, `xbug`
    Xlog,
    /// `t_release`, `t_drop_replies`, `t_set_fr`, `t_reset_fr`, `set_reply_no_connect`, `set_forward_no_connect`
    TRelease,
    /// `log`
    Log,
    /// `sl_send_reply`, `send_reply`, `t_reply`, `sl_reply`
    SlSendReply,
    /// `sl_reply_error`, `send_reply_error`
    SlReplyError,
    /// `t_newtran`
    TNewtran,
    /// `t_uac_send`
    TUacSend,
    /// `t_relay`, `t_relay_to_udp`, `t_relay_to_tcp`, `t_relay_to`
    TRelay,
    /// `forward`, `forward_udp`, `forward_tcp`
    Forward,
    /// `t_on_reply`, `t_on_failure`, `t_on_branch`, `t_on_branch_failure`
    TOnReply,
    /// `t_is_canceled`
    TIsCanceled,
    /// `t_check_status`
    TCheckStatus,
    /// `pike_check_req`
    PikeCheckReq,
    /// `msg_apply_changes`
    MsgApplyChanges,
    /// `t_is_branch_route`
    TIsBranchRoute,
    /// `t_is_failure_route`
    TIsFailureRoute,
    /// `t_is_reply_route`
    TIsReplyRoute,
    /// `record_route`
    RecordRoute,
    /// `record_route_preset`
    RecordRoutePreset,
    /// `add_rr_param`
    AddRrParam,
    /// `loose_route`
    LooseRoute,
    /// `dlg_manage`
    DlgManage,
    /// `is_known_dlg`
    IsKnownDlg,
    /// `check_route_param`
    CheckRouteParam,
    /// `is_request`
    IsRequest,
    /// `is_reply`
    IsReply,
    /// `is_present_hf`
    IsPresentHf,
    /// `append_hf`, `insert_hf`
    AppendHf,
    /// `append_to_reply`
    AppendToReply,
    /// `search`
    Search,
    /// `save`
    Save,
    /// `lookup`
    Lookup,
    /// `registered`
    Registered,
    /// `is_first_hop`
    IsFirstHop,
    /// `rewriteuri`, `seturi`
    Rewriteuri,
    /// `rewritehost`, `sethost`, `rewriteuser`, `setuser`, `rewriteport`, `setport`, `strip`, `prefix`, `strip_tail`
    Rewritehost,
    /// `append_branch`
    AppendBranch,
    /// `sht_rm`
    ShtRm,
    /// `is_myself`, `is_uri_host_local`
    IsMyself,
    /// `auth_check`, `www_authorize`, `proxy_authorize`, `www_authenticate`, `proxy_authenticate`
    AuthCheck,
    /// `auth_challenge`, `www_challenge`, `proxy_challenge`
    AuthChallenge,
    /// `consume_credentials`
    ConsumeCredentials,
    /// `ds_select_dst`, `ds_select_domain`, `ds_select`
    DsSelectDst,
    /// `sql_query`
    SqlQuery,
    /// `sql_result_free`
    SqlResultFree,
    /// `ds_next_dst`, `ds_next_domain`
    DsNextDst,
    /// `ds_is_from_list`
    DsIsFromList,
    /// `exit`
    Exit,
    /// `drop`
    Drop,
    Other,
}

impl Func {
    /// The arm of `call_inner` for a function name.
    pub fn of(name: &str) -> Func {
        match name {
            "route" => Func::Route,
            "is_method" => Func::IsMethod,
            "sanity_check" => Func::SanityCheck,
            "force_rport" | "add_rport" => Func::ForceRport,
            "mf_process_maxfwd_header" => Func::MfProcessMaxfwdHeader,
            "t_check_trans" => Func::TCheckTrans,
            "has_totag" => Func::HasTotag,
            "setflag" | "resetflag" | "isflagset" | "setbflag" | "resetbflag" | "isbflagset" => {
                Func::Setflag
            }
            "t_precheck_trans" => Func::TPrecheckTrans,
            "t_is_set" => Func::TIsSet,
            "remove_hf" => Func::RemoveHf,
            "xlog" | "xdbg" | "xinfo" | "xnotice" | "xwarn" | "xerr" | "xalert" | "xcrit"
            | "xbug" => Func::Xlog,
            "t_release"
            | "t_drop_replies"
            | "t_set_fr"
            | "t_reset_fr"
            | "set_reply_no_connect"
            | "set_forward_no_connect" => Func::TRelease,
            "log" => Func::Log,
            "sl_send_reply" | "send_reply" | "t_reply" | "sl_reply" => Func::SlSendReply,
            "sl_reply_error" | "send_reply_error" => Func::SlReplyError,
            "t_newtran" => Func::TNewtran,
            "t_uac_send" => Func::TUacSend,
            "t_relay" | "t_relay_to_udp" | "t_relay_to_tcp" | "t_relay_to" => Func::TRelay,
            "forward" | "forward_udp" | "forward_tcp" => Func::Forward,
            "t_on_reply" | "t_on_failure" | "t_on_branch" | "t_on_branch_failure" => Func::TOnReply,
            "t_is_canceled" => Func::TIsCanceled,
            "t_check_status" => Func::TCheckStatus,
            "pike_check_req" => Func::PikeCheckReq,
            "msg_apply_changes" => Func::MsgApplyChanges,
            "t_is_branch_route" => Func::TIsBranchRoute,
            "t_is_failure_route" => Func::TIsFailureRoute,
            "t_is_reply_route" => Func::TIsReplyRoute,
            "record_route" => Func::RecordRoute,
            "record_route_preset" => Func::RecordRoutePreset,
            "add_rr_param" => Func::AddRrParam,
            "loose_route" => Func::LooseRoute,
            "dlg_manage" => Func::DlgManage,
            "is_known_dlg" => Func::IsKnownDlg,
            "check_route_param" => Func::CheckRouteParam,
            "is_request" => Func::IsRequest,
            "is_reply" => Func::IsReply,
            "is_present_hf" => Func::IsPresentHf,
            "append_hf" | "insert_hf" => Func::AppendHf,
            "append_to_reply" => Func::AppendToReply,
            "search" => Func::Search,
            "save" => Func::Save,
            "lookup" => Func::Lookup,
            "registered" => Func::Registered,
            "is_first_hop" => Func::IsFirstHop,
            "rewriteuri" | "seturi" => Func::Rewriteuri,
            "rewritehost" | "sethost" | "rewriteuser" | "setuser" | "rewriteport" | "setport"
            | "strip" | "prefix" | "strip_tail" => Func::Rewritehost,
            "append_branch" => Func::AppendBranch,
            "sht_rm" => Func::ShtRm,
            "is_myself" | "is_uri_host_local" => Func::IsMyself,
            "auth_check" | "www_authorize" | "proxy_authorize" | "www_authenticate"
            | "proxy_authenticate" => Func::AuthCheck,
            "auth_challenge" | "www_challenge" | "proxy_challenge" => Func::AuthChallenge,
            "consume_credentials" => Func::ConsumeCredentials,
            "ds_select_dst" | "ds_select_domain" | "ds_select" => Func::DsSelectDst,
            "sql_query" => Func::SqlQuery,
            "sql_result_free" => Func::SqlResultFree,
            "ds_next_dst" | "ds_next_domain" => Func::DsNextDst,
            "ds_is_from_list" => Func::DsIsFromList,
            "exit" => Func::Exit,
            "drop" => Func::Drop,
            _ => Func::Other,
        }
    }
}

impl Runtime {
    pub(crate) fn call(&mut self, ctx: &mut crate::engine::Ctx, c: &Call) -> CallRes {
        let r = if c.func == Func::Route {
            self.call_route(ctx, c)
        } else {
            self.call_inner(ctx, c)
        };
        let ret = match r {
            CallRes::Ret(v) => v,
            CallRes::Exit => 0,
        };
        if c.func != Func::Route {
            ctx.rc = ret;
        }
        if self.trace_room() {
            self.step_trace(Step::Call {
                function: c.name.clone(),
                ret,
                at: c.loc.clone(),
            });
        }
        r
    }

    /// `route(NAME)`: its own function, called before `call_inner`'s
    /// dispatch (a config may call 10,000 routes per message).
    fn call_route(&mut self, ctx: &mut crate::engine::Ctx, c: &Call) -> CallRes {
        // a literal name found before (below): straight to the route
        if let Some(Some(i)) = c.route_idx.get() {
            if ctx.depth < crate::engine::MAX_RECURSION {
                ctx.depth += 1;
                let f = self.run_route_idx(ctx, *i);
                ctx.depth -= 1;
                match f {
                    Some(crate::engine::FlowPub::Exit) => return CallRes::Exit,
                    Some(crate::engine::FlowPub::Value(v)) => {
                        ctx.rc = v;
                        return CallRes::Ret(v);
                    }
                    // (not reached: the index is one of the program's routes)
                    None => {}
                }
            }
        }
        let args: &[Expr] = &c.args;
        let ret: i64 = {
            // the name is almost always a literal: borrowed, not copied
            let (name, static_name): (std::borrow::Cow<str>, bool) = match args.first() {
                Some(Expr::Str(f)) if f.is_static() => (f.raw.as_str().into(), true),
                Some(Expr::Keyword(k)) => (k.as_str().into(), true),
                _ => (self.route_name_arg(ctx, args.first()), false),
            };
            if ctx.depth >= crate::engine::MAX_RECURSION {
                self.step(Step::Error {
                    message: format!(
                        "too many nested route() calls (max_recursive_level {})",
                        crate::engine::MAX_RECURSION
                    ),
                    at: Some(c.loc.clone()),
                });
                return CallRes::Exit;
            }
            ctx.depth += 1;
            let f = if static_name {
                let idx = *c.route_idx.get_or_init(|| {
                    self.prog.index[crate::ir::table_id(kcfg_sema::RouteTable::Request) as usize]
                        .get(name.as_ref())
                        .copied()
                });
                idx.and_then(|i| self.run_route_idx(ctx, i))
            } else {
                self.run_named_route(ctx, &name)
            };
            ctx.depth -= 1;
            match f {
                None => {
                    self.step(Step::Error {
                        message: format!("route \"{name}\" not found"),
                        at: Some(c.loc.clone()),
                    });
                    -1
                }
                Some(crate::engine::FlowPub::Exit) => return CallRes::Exit,
                Some(crate::engine::FlowPub::Value(v)) => {
                    ctx.rc = v;
                    v
                }
            }
        };
        CallRes::Ret(ret)
    }

    fn route_name_arg<'e>(
        &mut self,
        ctx: &mut crate::engine::Ctx,
        e: Option<&'e Expr>,
    ) -> std::borrow::Cow<'e, str> {
        match e {
            Some(e) => self.arg_cow(ctx, e),
            None => std::borrow::Cow::Borrowed(""),
        }
    }

    fn call_inner(&mut self, ctx: &mut crate::engine::Ctx, c: &Call) -> CallRes {
        let n: &str = &c.name;
        let args: &[Expr] = &c.args;
        macro_rules! a {
            ($i:expr) => {
                match args.get($i) {
                    Some(e) => self.arg_cow(ctx, e),
                    None => std::borrow::Cow::Borrowed(""),
                }
            };
        }
        let ret: i64 = match c.func {
            // (the arms are tried in order: the functions a config calls most come first)
            Func::Route => return self.call_route(ctx, c),
            Func::IsMethod => {
                // a literal list was split when the program was lowered
                let m = match &c.methods {
                    Some(_) => "".into(),
                    None => a!(0),
                };
                let me = if ctx.msg.is_request() {
                    ctx.msg.method()
                } else {
                    ctx.msg.cseq_method_str()
                };
                match &c.methods {
                    Some(ms) => b(ms.iter().any(|x| x.eq_ignore_ascii_case(me))),
                    None => b(method_listed(&m, me)),
                }
            }
            Func::SanityCheck => self.sanity(ctx),
            Func::ForceRport => {
                ctx.force_rport = true;
                1
            }
            Func::MfProcessMaxfwdHeader => {
                // a number as written is its own value (not made a text first)
                let lim: i64 = match args.first() {
                    Some(Expr::Int(n)) => *n,
                    _ => a!(0).trim().parse().unwrap_or(70),
                };
                self.maxfwd(ctx, lim)
            }
            Func::TCheckTrans => self.t_check_trans(ctx),
            Func::HasTotag => b(ctx.msg.to_tag_str().is_some_and(|t| !t.is_empty())),
            Func::Setflag => {
                let f: u32 = a!(0).trim().parse().unwrap_or(0);
                let bit = 1u64 << (f.min(63));
                let target = if n.contains("bflag") {
                    &mut ctx.bflags
                } else {
                    &mut ctx.flags
                };
                match n {
                    "setflag" | "setbflag" => {
                        *target |= bit;
                        1
                    }
                    "resetflag" | "resetbflag" => {
                        *target &= !bit;
                        1
                    }
                    _ => b(*target & bit != 0),
                }
            }
            Func::TPrecheckTrans => self.t_precheck(ctx),
            Func::TIsSet => {
                let what = a!(0);
                if self.t_is_set(ctx, &what) {
                    1
                } else {
                    -1
                }
            }
            Func::RemoveHf => {
                let h = a!(0);
                let c = ctx.msg.remove_headers(&crate::sip::canon_name(&h));
                if c > 0 {
                    c as i64
                } else {
                    -1
                }
            }
            Func::Xlog => {
                let (level, text) = match (n, args.len()) {
                    ("xlog", 1) => ("L_ERR".into(), a!(0)),
                    ("xlog", 2) => (a!(0), a!(1)),
                    ("xlog", _) => (a!(1), a!(2)),
                    ("xdbg", _) => ("L_DBG".into(), a!(0)),
                    ("xinfo", _) => ("L_INFO".into(), a!(0)),
                    ("xnotice", _) => ("L_NOTICE".into(), a!(0)),
                    ("xwarn", _) => ("L_WARN".into(), a!(0)),
                    ("xerr", _) => ("L_ERR".into(), a!(0)),
                    ("xalert", _) => ("L_ALERT".into(), a!(0)),
                    ("xcrit", _) => ("L_CRIT".into(), a!(0)),
                    _ => ("L_BUG".into(), a!(0)),
                };
                let (num, name) = log_level(&level);
                if num <= self.debug {
                    let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
                    self.step(Step::Log {
                        level: name.to_string(),
                        text: format!("{name}: <script>: {text}"),
                        at: c.loc.clone(),
                    });
                }
                1
            }
            Func::TRelease => 1,
            Func::Log => {
                // the core's LOG_T (core/action.c): log("text") logs at
                // L_DBG+1, log(level, "text") at a number of 0 or more; the
                // text is printed as written, pseudo-variables and all
                let (level, text) = match args {
                    [Expr::Str(t)] => (crate::funcs::L_DBG + 1, t.raw.as_str()),
                    [level, Expr::Str(t)] => {
                        let n = match level {
                            Expr::Int(n) => Some(*n),
                            Expr::Keyword(w) => number_word(w),
                            // a bare word argument (`log(yes, "...")`)
                            Expr::Str(w) if w.is_static() => number_word(&w.raw),
                            _ => None,
                        };
                        let Some(n) = n else {
                            self.step(Step::Unsupported {
                                function: "log() with this level".into(),
                                at: c.loc.clone(),
                            });
                            return CallRes::Ret(1);
                        };
                        (n, t.raw.as_str())
                    }
                    _ => {
                        self.step(Step::Unsupported {
                            function: "log() with these arguments".into(),
                            at: c.loc.clone(),
                        });
                        return CallRes::Ret(1);
                    }
                };
                if level <= self.debug {
                    let name = match level {
                        0 => "WARNING",
                        1 => "NOTICE",
                        2 => "INFO",
                        _ => "DEBUG",
                    };
                    let text = text.strip_suffix('\n').unwrap_or(text);
                    self.step(Step::Log {
                        level: name.to_string(),
                        text: format!("{name}: <script>: {text}"),
                        at: c.loc.clone(),
                    });
                }
                1
            }
            Func::SlSendReply => {
                let code_s = a!(0);
                let reason = a!(1);
                let Some(code) = code_s.trim().parse::<u16>().ok() else {
                    self.step(Step::Error {
                        message: format!("bad reply code `{code_s}`"),
                        at: Some(c.loc.clone()),
                    });
                    return CallRes::Ret(-1);
                };
                if n == "t_reply" || (n == "send_reply" && ctx.trans.is_some()) {
                    self.t_reply(ctx, code, &reason)
                } else {
                    self.sl_reply(ctx, code, &reason, "sl")
                }
            }
            Func::SlReplyError => {
                if ctx.trans.is_some() {
                    self.t_reply(ctx, 500, "Server Internal Error")
                } else {
                    self.sl_reply(ctx, 500, "Server Internal Error", "sl")
                }
            }
            Func::TNewtran => self.t_newtran(ctx),
            Func::TUacSend => {
                let (m, r, nh, so, h, b) = (a!(0), a!(1), a!(2), a!(3), a!(4), a!(5));
                self.t_uac_send(ctx, &m, &r, &nh, &so, &h, &b)
            }
            Func::TRelay => {
                let to = if args.len() >= 2 {
                    let host = a!(0);
                    let port = a!(1);
                    format!("{host}:{port}").parse().ok()
                } else if args.len() == 1 && n == "t_relay_to" {
                    let s = a!(0);
                    let s = s
                        .split_once(':')
                        .filter(|(p, _)| ["udp", "tcp", "tls"].contains(p))
                        .map(|(_, r)| r.to_string())
                        .unwrap_or_else(|| s.into_owned());
                    s.parse().ok()
                } else {
                    None
                };
                self.t_relay(ctx, to)
            }
            Func::Forward => {
                let to = if !args.is_empty() {
                    let s = a!(0);
                    let port = if args.len() > 1 { a!(1) } else { "5060".into() };
                    format!("{s}:{port}").parse().ok()
                } else {
                    None
                };
                self.forward(ctx, to, "core")
            }
            Func::TOnReply => {
                let name = a!(0);
                let v = if name == "0" || name.is_empty() {
                    None
                } else {
                    Some(name.into_owned())
                };
                self.set_t_on(ctx, n, v);
                1
            }
            Func::TIsCanceled => {
                if self.t_canceled(ctx) {
                    1
                } else {
                    -1
                }
            }
            Func::TCheckStatus => {
                let re = a!(0);
                let code = self.current_reply_code(ctx);
                match self.regex(&format!("^(?:{re})"), false) {
                    Some(r) if r.is_match(&code.to_string()) => 1,
                    _ => -1,
                }
            }
            Func::PikeCheckReq => self.pike_check(ctx, &c.loc),
            Func::MsgApplyChanges => {
                // the lumps become the message: nathelper may rewrite the
                // (re-parsed) Contact again, registrar sees added params
                ctx.contact_fixed = false;
                ctx.contact_orig.clear();
                ctx.contact_parsed_orig = false;
                ctx.body_orig = None;
                1
            }
            Func::TIsBranchRoute => b(ctx.rtype == RouteType::Branch),
            Func::TIsFailureRoute => b(ctx.rtype == RouteType::Failure),
            Func::TIsReplyRoute => b(ctx.rtype == RouteType::OnReply),
            Func::RecordRoute => {
                let extra = if args.is_empty() {
                    String::new()
                } else {
                    a!(0).into_owned()
                };
                self.record_route(ctx, &extra);
                1
            }
            Func::RecordRoutePreset => {
                let v = a!(0);
                let lr = if self.prog.modparam_int("rr", "enable_full_lr", 0) == 1 {
                    "lr=on"
                } else {
                    "lr"
                };
                let ft = self.fromtag_param(ctx);
                ctx.msg.headers.insert(
                    0,
                    Header::new("Record-Route", format!("<sip:{v};{lr}{ft}>")),
                );
                1
            }
            Func::AddRrParam => {
                let p = a!(0);
                self.rr_param(ctx, &p);
                1
            }
            Func::LooseRoute => self.loose_route(ctx),
            Func::DlgManage => self.dlg_manage(ctx),
            Func::IsKnownDlg => b(self.dlg_of(ctx).is_some()),
            Func::CheckRouteParam => {
                let re = a!(0);
                let routes = ctx.msg.header_elems("route");
                let p = routes
                    .first()
                    .map(|r| NameAddr::parse(r).uri)
                    .and_then(|u| Uri::parse(&u))
                    .map(|u| u.params)
                    .unwrap_or_default();
                match self.regex(&re, false) {
                    Some(r) if r.is_match(&p) => 1,
                    _ => -1,
                }
            }
            Func::IsRequest => b(ctx.msg.is_request()),
            Func::IsReply => b(!ctx.msg.is_request()),
            Func::IsPresentHf => {
                let h = a!(0);
                b(ctx.msg.header(&crate::sip::canon_name(&h)).is_some())
            }
            Func::AppendHf => {
                let text = a!(0);
                let hs = parse_header_text(&text);
                if hs.is_empty() {
                    -1
                } else {
                    if n == "append_hf" {
                        ctx.msg.headers.extend(hs);
                    } else {
                        for (i, h) in hs.into_iter().enumerate() {
                            ctx.msg.headers.insert(i, h);
                        }
                    }
                    1
                }
            }
            Func::AppendToReply => {
                let text = a!(0);
                ctx.reply_lumps.extend(parse_header_text(&text));
                1
            }
            Func::Search => {
                let re = a!(0);
                let wire = ctx.msg.to_wire();
                match self.regex(&re, true) {
                    Some(r) => b(r.is_match(&wire)),
                    None => -1,
                }
            }
            Func::Save => self.save(ctx),
            Func::Lookup => self.lookup(ctx),
            Func::Registered => {
                let aor = self.aor_of(ctx.msg.ruri());
                b(self.usrloc_has(&aor))
            }
            Func::IsFirstHop => b(ctx.msg.header_elems("via").len() <= 1),
            Func::Rewriteuri => {
                let u = a!(0);
                ctx.msg.set_ruri(&u);
                1
            }
            Func::Rewritehost => {
                let v = a!(0);
                if let Some(mut u) = Uri::parse(ctx.msg.ruri()) {
                    match n {
                        "rewritehost" | "sethost" => u.host = v.into_owned(),
                        "rewriteuser" | "setuser" => u.user = v.into_owned(),
                        "rewriteport" | "setport" => u.port = v.into_owned(),
                        "strip" => {
                            let k: usize = v.parse().unwrap_or(0);
                            u.user = u.user.chars().skip(k).collect();
                        }
                        "strip_tail" => {
                            let k: usize = v.parse().unwrap_or(0);
                            let l = u.user.chars().count().saturating_sub(k);
                            u.user = u.user.chars().take(l).collect();
                        }
                        _ => u.user = format!("{v}{}", u.user),
                    }
                    ctx.msg.set_ruri(&u.to_string_full());
                    1
                } else {
                    -1
                }
            }
            Func::AppendBranch => {
                let u = if args.is_empty() {
                    ctx.msg.ruri().to_string()
                } else {
                    a!(0).into_owned()
                };
                ctx.branches.push((u, None));
                1
            }
            Func::ShtRm => {
                let t = a!(0);
                let k = a!(1);
                self.sht_remove(&t, &k);
                1
            }
            Func::IsMyself => {
                let u = if args.is_empty() {
                    ctx.msg.ruri().to_string()
                } else {
                    a!(0).into_owned()
                };
                match Uri::parse(&u) {
                    Some(u) => b(self.is_myself_uri(&u)),
                    None => -1,
                }
            }
            Func::AuthCheck => {
                let realm = a!(0);
                let www = match n {
                    "www_authorize" | "www_authenticate" => Some(true),
                    "proxy_authorize" | "proxy_authenticate" => Some(false),
                    _ => None,
                };
                let flags: i64 = if n == "auth_check" {
                    a!(2).trim().parse().unwrap_or(0)
                } else {
                    0
                };
                self.auth_check(ctx, &realm, www, flags)
            }
            Func::AuthChallenge => {
                let realm = a!(0);
                let www = match n {
                    "www_challenge" => Some(true),
                    "proxy_challenge" => Some(false),
                    _ => None,
                };
                self.auth_challenge(ctx, &realm, www)
            }
            Func::ConsumeCredentials => self.consume_credentials(ctx),
            Func::DsSelectDst => {
                let set: i64 = a!(0).trim().parse().unwrap_or(-1);
                let alg: i64 = a!(1).trim().parse().unwrap_or(0);
                let limit = if args.len() > 2 {
                    a!(2).trim().parse().unwrap_or(usize::MAX)
                } else {
                    usize::MAX
                };
                let r = self.ds_select(ctx, set, alg, limit, n == "ds_select_domain");
                if r == -2 {
                    self.step(Step::Unsupported {
                        function: format!("{n}() with algorithm {alg}"),
                        at: c.loc.clone(),
                    });
                    -1
                } else {
                    r
                }
            }
            Func::SqlQuery => {
                let (con, q) = (a!(0), a!(1));
                let res = if args.len() > 2 { Some(a!(2)) } else { None };
                match self.sql_query(&con, &q, res.as_deref()) {
                    Ok(r) => r,
                    Err(e) => {
                        self.step(Step::Unsupported {
                            function: format!("sql_query() on `{con}`: {e}"),
                            at: c.loc.clone(),
                        });
                        -1
                    }
                }
            }
            Func::SqlResultFree => {
                let r = a!(0);
                self.sql.results.remove(r.as_ref());
                1
            }
            Func::DsNextDst => self.ds_next(ctx, n == "ds_next_domain"),
            Func::DsIsFromList => {
                let set = if args.is_empty() {
                    None
                } else {
                    a!(0).trim().parse().ok()
                };
                self.ds_is_from_list(ctx, set)
            }
            Func::Exit => return CallRes::Exit,
            Func::Drop => {
                ctx.dropped = true;
                return CallRes::Exit;
            }
            Func::Other => {
                // jansson, mqueue, http_client, permissions (modext.rs)
                if let Some(r) = self.ext_call(ctx, c) {
                    return CallRes::Ret(r);
                }
                self.step(Step::Unsupported {
                    function: format!("{n}()"),
                    at: c.loc.clone(),
                });
                1
            }
        };
        CallRes::Ret(ret)
    }
}

fn b(x: bool) -> i64 {
    if x {
        1
    } else {
        -1
    }
}

/// xlog level name → (number, printed name).
/// Kamailio's L_DBG.
pub(crate) const L_DBG: i64 = 3;

/// The words Kamailio's lexer reads as numbers.
fn number_word(w: &str) -> Option<i64> {
    match w {
        "yes" | "on" | "true" | "enable" => Some(1),
        "no" | "off" | "false" | "disable" => Some(0),
        _ => None,
    }
}

pub fn log_level(l: &str) -> (i64, &'static str) {
    match l.trim() {
        "L_ALERT" => (-5, "ALERT"),
        "L_BUG" => (-4, "BUG"),
        "L_CRIT2" | "L_CRIT" => (-3, "CRITICAL"),
        "L_ERR" => (-1, "ERROR"),
        "L_WARN" => (0, "WARNING"),
        "L_NOTICE" => (1, "NOTICE"),
        "L_INFO" => (2, "INFO"),
        "L_DBG" => (3, "DEBUG"),
        other => match other.as_bytes().get(2) {
            Some(b'A') => (-5, "ALERT"),
            Some(b'B') => (-4, "BUG"),
            Some(b'C') => (-3, "CRITICAL"),
            Some(b'E') => (-1, "ERROR"),
            Some(b'W') => (0, "WARNING"),
            Some(b'I') => (2, "INFO"),
            Some(b'D') => (3, "DEBUG"),
            _ => (1, "NOTICE"),
        },
    }
}

/// `"X-A: 1\r\nX-B: 2\r\n"` → headers.
pub fn parse_header_text(text: &str) -> Vec<Header> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some(Header::new(n.trim(), v.trim()))
        })
        .collect()
}

impl Val {
    pub fn or_null_str(self) -> String {
        self.as_str()
    }
}

/// `list.split('|').any(|x| x.trim().eq_ignore_ascii_case(method))` (the
/// method list of `is_method`), split by bytes: `|` is ASCII.
pub(crate) fn method_listed(list: &str, method: &str) -> bool {
    let b = list.as_bytes();
    let mut s = 0;
    loop {
        let e = b[s..]
            .iter()
            .position(|&c| c == b'|')
            .map_or(b.len(), |x| s + x);
        if crate::sip::trim(&list[s..e]).eq_ignore_ascii_case(method) {
            return true;
        }
        if e == b.len() {
            return false;
        }
        s = e + 1;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn literal_method_lists_equal_method_listed() {
        let lists = [
            "",
            "|",
            "INVITE",
            " invite ",
            "INVITE|BYE|SUBSCRIBE|UPDATE",
            "BYE| invite |",
            "||INVITE||",
            "\u{a0}INVITE\u{a0}|ACK",
            "Ö|INVITE",
        ];
        for l in lists {
            let ms = crate::ir::method_list(l);
            for m in ["INVITE", "BYE", "ACK", "", "Ö", "INVITEX", "UPDATE", "|"] {
                assert_eq!(
                    ms.iter().any(|x| x.eq_ignore_ascii_case(m)),
                    super::method_listed(l, m),
                    "{l:?} {m:?}"
                );
            }
        }
    }

    #[test]
    fn func_of_names_the_arm() {
        use super::Func;
        assert_eq!(Func::of("route"), Func::Route);
        assert_eq!(Func::of("t_reply"), Func::SlSendReply);
        assert_eq!(Func::of("sl_send_reply"), Func::SlSendReply);
        assert_eq!(Func::of("xdbg"), Func::Xlog);
        assert_eq!(Func::of("isbflagset"), Func::Setflag);
        assert_eq!(Func::of("drop"), Func::Drop);
        // modext.rs functions and unknown ones
        assert_eq!(Func::of("jansson_get"), Func::Other);
        assert_eq!(Func::of("Route"), Func::Other);
        assert_eq!(Func::of(""), Func::Other);
    }

    #[test]
    fn method_listed_equals_the_split_test() {
        let lists = [
            "",
            "|",
            "INVITE",
            "invite",
            " INVITE ",
            "INVITE|BYE",
            "BYE|INVITE",
            "BYE| invite |",
            "||INVITE||",
            "INVITEX|BYE",
            "\u{a0}INVITE\u{a0}|ACK",
            "INVITE\t|\tACK",
            "Ö|INVITE",
            "INVITE |BYE",
            "BYE| INVITE",
            "B|INVITE|",
            "I|INVITEX|INVIT|invite",
        ];
        for l in lists {
            for m in [
                "INVITE",
                "BYE",
                "ACK",
                "",
                "Ö",
                "INVITEX",
                "B",
                "I",
                "|",
                "INVITE|BYE",
            ] {
                let old = l.split('|').any(|x| x.trim().eq_ignore_ascii_case(m));
                assert_eq!(super::method_listed(l, m), old, "{l:?} {m:?}");
            }
        }
    }
}
