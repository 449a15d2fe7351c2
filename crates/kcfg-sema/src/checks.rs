//! The checks, run on the data the walk collected. Each reproduces a check
//! of Kamailio 5.6's cfg parser (`cfg.y`, `modparam.c`, `sr_module.c`) or
//! of its start-up fixups, and was verified against the real binary (see
//! `tests/differential.rs`).

use rustc_hash::FxHashMap as HashMap;

use kcfg_modules::{suggest, versions_with_function, BlockKind, FunctionVariant, KamailioVersion};

use crate::defines::Const;
use crate::diagnostic::{codes, SemaDiagnostic};
use crate::model::{
    CallSite, GlobalSite, RouteTable, TableMap, ValueKind, ValueToken, Walker, NUMBER_WORDS,
};

pub(crate) fn run(w: &mut Walker<'_>) {
    loadmodules(w);
    run_after_loadmodules(w);
}

/// The checks after `loadmodules` (which sets the modules' `loaded`; the
/// others change nothing of the walk's results but add diagnostics).
pub(crate) fn run_after_loadmodules(w: &mut Walker<'_>) {
    globals(w);
    global_values(w);
    modparams(w);
    db_urls(w);
    load_order(w);
    let slots = route_slots(w);
    calls(w, &slots);
    flags(w);
    crate::exprs::run(w);
}

fn other_versions(this: KamailioVersion, vs: Vec<KamailioVersion>) -> Vec<KamailioVersion> {
    vs.into_iter().filter(|v| *v != this).collect()
}

fn version_list(vs: &[KamailioVersion]) -> String {
    vs.iter()
        .map(|v| v.full().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn did_you_mean(s: Option<&str>) -> Option<String> {
    s.map(|s| format!("did you mean `{s}`?"))
}

// ------------------------------------------------------------ loadmodule

/// Unknown modules and modules loaded twice (Kamailio: "failed to load
/// module", after "could not find module" / "attempting to load the same
/// module twice").
pub(crate) fn loadmodules(w: &mut Walker<'_>) {
    let version = w.options.version;
    let mut seen: HashMap<&'static str, usize> = HashMap::default();
    for i in 0..w.modules.len() {
        let m = w.modules[i].clone();
        let Some(module) = m.module else {
            let base = m.arg.rsplit('/').next().unwrap_or(&m.arg);
            let stem = base.strip_suffix(".so").unwrap_or(base);
            let others = other_versions(version, kcfg_modules::versions_with_module(stem));
            let mut d = SemaDiagnostic::new(
                codes::UNKNOWN_MODULE,
                m.file,
                m.arg_range,
                format!("unknown module `{stem}`"),
            );
            if !others.is_empty() {
                d.message = format!(
                    "module `{stem}` does not exist in Kamailio {}: it exists only in {}",
                    version.full(),
                    version_list(&others)
                );
            } else {
                // old names of database drivers: `mysql` is now `db_mysql`
                let db_name = format!("db_{stem}");
                let near =
                    w.db.module(&db_name)
                        .map(|m| m.name)
                        .or_else(|| suggest(stem, w.db.modules().map(|m| m.name)));
                d = d.with_help_opt(
                    near.map(|s| format!("did you mean `{s}`? (`loadmodule \"{s}.so\"`)")),
                );
            }
            w.report(m.seq, d);
            continue;
        };
        if let Some(&first) = seen.get(module.name) {
            let f = w.modules[first].clone();
            let place = w.place(f.file, f.range, m.file);
            let mut d = SemaDiagnostic::new(
                codes::DUPLICATE_LOADMODULE,
                m.file,
                m.arg_range,
                format!("module `{}` is already loaded {place}", module.name),
            )
            .with_help("remove this `loadmodule`: Kamailio refuses to load a module twice");
            if f.file == m.file {
                d = d.with_label(f.arg_range, "first loaded here");
            }
            w.report(m.seq, d);
            continue;
        }
        seen.insert(module.name, i);
        w.modules[i].loaded = true;
    }
}

/// Modules Kamailio has loaded when it reads the item with sequence `seq`.
fn loaded_before<'a>(
    w: &'a Walker<'_>,
    seq: u32,
) -> impl Iterator<Item = &'static kcfg_modules::Module> + 'a {
    w.modules
        .iter()
        .filter(move |m| m.loaded && m.seq < seq)
        .filter_map(|m| m.module)
}

// ------------------------------------------------------------ global params

/// `name = value` with a name that is no core parameter: Kamailio's grammar
/// has no rule for it ("syntax error", "unknown config variable").
fn globals(w: &mut Walker<'_>) {
    let version = w.options.version;
    for g in w.globals.clone() {
        if w.defines.contains(&g.name) || w.db.global_param(&g.name).is_some() {
            continue;
        }
        let others: Vec<KamailioVersion> = KamailioVersion::ALL
            .into_iter()
            .filter(|v| *v != version && kcfg_modules::db(*v).global_param(&g.name).is_some())
            .collect();
        let mut d = SemaDiagnostic::new(
            codes::UNKNOWN_CORE_PARAM,
            g.file,
            g.range,
            format!("unknown core parameter `{}`", g.name),
        );
        if !others.is_empty() {
            d.message = format!(
                "core parameter `{}` does not exist in Kamailio {}: it exists only in {}",
                g.name,
                version.full(),
                version_list(&others)
            );
        } else {
            let names = w.db.global_params().flat_map(|p| p.names.iter().copied());
            d = d.with_help_opt(did_you_mean(suggest(&g.name, names)));
            if d.help.is_none() && !g.name.contains('.') {
                d = d.with_help(
                    "a custom cfg-framework variable needs a group: `group.name = value`",
                );
            }
        }
        w.report(g.seq, d);
    }
}

/// `name = value` whose value is a token the grammar has no rule for:
/// `children = "four"`, `disable_tcp = "yes"`, `log_name = foo`,
/// `user = 1000` (Kamailio: "syntax error" at the value). Only parameters
/// whose forms are plain `NUMBER`/`intno`/`STRING`/`ID` are checked, and
/// only single-token values (after define substitution).
fn global_values(w: &mut Walker<'_>) {
    for g in w.globals.clone() {
        let Some(v) = &g.value else {
            continue;
        };
        let Some(p) = w.db.global_param(&g.name) else {
            continue;
        };
        let forms = p.value_forms;
        if forms.is_empty()
            || !forms
                .iter()
                .all(|f| matches!(*f, "NUMBER" | "intno" | "STRING" | "ID"))
        {
            continue;
        }
        let has = |f: &str| forms.contains(&f);
        let number = has("NUMBER") || has("intno");
        let ok = match &v.token {
            ValueToken::Str(_) => has("STRING"),
            ValueToken::Number(_) => number,
            ValueToken::NegNumber(_) => has("intno"),
            ValueToken::Ident(_) => has("ID"),
        };
        if ok {
            continue;
        }
        let d = global_value_diagnostic(&g, v, number, has("STRING"), has("ID"));
        w.report(g.seq, d);
    }
}

fn global_value_diagnostic(
    g: &GlobalSite,
    v: &crate::model::GlobalValue,
    number: bool,
    string: bool,
    id: bool,
) -> SemaDiagnostic {
    let name = &g.name;
    let mut wants = Vec::new();
    if number {
        wants.push("a number");
    }
    if string {
        wants.push("a quoted string");
    }
    if id {
        wants.push("a bare name");
    }
    let want = match wants.as_slice() {
        [a] => a.to_string(),
        [a, b] => format!("{a} or {b}"),
        _ => wants.join(", "),
    };
    let (got, written) = match &v.token {
        ValueToken::Str(s) => ("a quoted string", format!("\"{s}\"")),
        ValueToken::Number(n) if NUMBER_WORDS.contains(&n.as_str()) => {
            ("a word Kamailio reads as a number", n.clone())
        }
        ValueToken::Number(n) => ("a number", n.clone()),
        ValueToken::NegNumber(n) => ("a negative number", format!("-{n}")),
        ValueToken::Ident(s) => ("a bare word", s.clone()),
    };
    let shown = match &v.via_define {
        Some(def) => format!("`{def}` expands to `{written}`"),
        None => format!("`{written}`"),
    };
    let message = if number && matches!(v.token, ValueToken::NegNumber(_)) {
        format!("core parameter `{name}` takes no negative number: {shown}")
    } else {
        format!("core parameter `{name}` takes {want}, not {got}: {shown}")
    };
    // the value as it should be written, when kcfg can tell
    let fixed = |how: &str, value: String| match &v.via_define {
        Some(def) => format!("{how} in the define: `#!define {def} {value}`"),
        None => format!("{how}: `{name} = {value}`"),
    };
    let help = match &v.token {
        ValueToken::Str(s) if number => {
            let inner = s.trim();
            if crate::model::is_kamailio_number(inner) || NUMBER_WORDS.contains(&inner) {
                fixed("write it without quotes", inner.to_string())
            } else {
                "write a number without quotes; yes/no, on/off, true/false and enable/disable also count (as 1/0)".to_string()
            }
        }
        ValueToken::Str(s) if id && crate::defines::is_identifier(s.trim()) => {
            fixed("write it without quotes", s.trim().to_string())
        }
        ValueToken::Str(_) => "remove the quotes".to_string(),
        ValueToken::Ident(s) if number => {
            let lower = s.to_ascii_lowercase();
            if NUMBER_WORDS.contains(&lower.as_str()) {
                format!("Kamailio reads only lower-case `{lower}` as a number")
            } else if v.via_define.is_none() && s.bytes().all(|b| !b.is_ascii_lowercase()) {
                format!(
                    "write a number; if `{s}` is meant to be a define, `#!define` it before this line"
                )
            } else {
                "write a number; the only words Kamailio reads as numbers are yes/no, on/off, true/false and enable/disable".to_string()
            }
        }
        ValueToken::NegNumber(_) if number => {
            format!("give `{name}` a number of 0 or more")
        }
        ValueToken::Number(n) | ValueToken::Ident(n) if string => {
            fixed("put the value in quotes", format!("\"{n}\""))
        }
        _ => format!("give {want}"),
    };
    SemaDiagnostic::new(codes::CORE_PARAM_WRONG_TYPE, g.file, v.range, message)
        .with_help(format!("{help} (Kamailio stops with a syntax error here)"))
}

// ------------------------------------------------------------ modparam

/// The module argument of `modparam` is a POSIX regex matched (anchored,
/// case-insensitively) against the loaded modules' names. kcfg evaluates
/// plain names and `a|b` alternatives; anything else is not checked.
fn module_alternatives(pattern: &str) -> Option<Vec<&str>> {
    let plain =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let alts: Vec<&str> = pattern.split('|').collect();
    alts.iter().all(|a| plain(a)).then_some(alts)
}

fn modparams(w: &mut Walker<'_>) {
    let version = w.options.version;
    for mp in w.modparams.clone() {
        let (Some((pattern, mrange)), Some((param, prange))) = (&mp.module, &mp.param) else {
            continue;
        };
        let Some(alts) = module_alternatives(pattern) else {
            continue;
        };
        let matches_alt = |name: &str| alts.iter().any(|a| a.eq_ignore_ascii_case(name));
        let matched: Vec<&'static kcfg_modules::Module> = loaded_before(w, mp.seq)
            .filter(|m| matches_alt(m.exports_name.unwrap_or(m.name)))
            .collect();
        if matched.is_empty() {
            // a loadmodule of it already failed: that error says enough
            let failed_before = w.modules.iter().any(|m| {
                m.seq < mp.seq && !m.loaded && {
                    let base = m.arg.rsplit('/').next().unwrap_or(&m.arg);
                    matches_alt(base.strip_suffix(".so").unwrap_or(base))
                }
            });
            if failed_before {
                continue;
            }
            let later = w
                .modules
                .iter()
                .find(|m| {
                    m.seq > mp.seq
                        && m.loaded
                        && m.module
                            .is_some_and(|x| matches_alt(x.exports_name.unwrap_or(x.name)))
                })
                .cloned();
            let mut d = SemaDiagnostic::new(
                codes::MODPARAM_MODULE_NOT_LOADED,
                mp.file,
                *mrange,
                format!("module `{pattern}` is not loaded"),
            );
            if let Some(l) = later {
                let place = w.place(l.file, l.range, mp.file);
                d.message =
                    format!("module `{pattern}` is loaded only after this modparam ({place})");
                d = d.with_help(format!(
                    "move `loadmodule \"{}\"` before its modparams: Kamailio sets a parameter when it reads the modparam",
                    l.arg
                ));
                if l.file == mp.file {
                    d = d.with_label(l.arg_range, "loaded here");
                }
            } else if alts.len() == 1 {
                let name = alts[0];
                if let Some(m) =
                    w.db.modules()
                        .find(|m| m.exports_name.unwrap_or(m.name).eq_ignore_ascii_case(name))
                {
                    d = d.with_help(format!("add `loadmodule \"{}\"` before it", m.loadmodule));
                } else {
                    d.message = format!("there is no module `{name}`");
                    d = d
                        .with_help_opt(did_you_mean(suggest(name, w.db.modules().map(|m| m.name))));
                }
            }
            w.report(mp.seq, d);
            continue;
        }
        // Kamailio walks its module list newest first and stops at the
        // first module without the parameter
        for m in matched.iter().rev() {
            let rows: Vec<&kcfg_modules::ModParam> = w.db.modparam(m.name, param).collect();
            if rows.is_empty() {
                let others =
                    other_versions(version, kcfg_modules::versions_with_modparam(m.name, param));
                let mut d = SemaDiagnostic::new(
                    codes::UNKNOWN_MODPARAM,
                    mp.file,
                    *prange,
                    format!("module `{}` has no parameter `{param}`", m.name),
                );
                if !others.is_empty() {
                    d.message = format!(
                        "module `{}` has no parameter `{param}` in Kamailio {}: it exists only in {}",
                        m.name,
                        version.full(),
                        version_list(&others)
                    );
                } else {
                    d = d.with_help_opt(did_you_mean(suggest(
                        param,
                        m.params().iter().map(|p| p.name),
                    )));
                }
                w.report(mp.seq, d);
                break;
            }
            let Some((kind, text, vrange)) = &mp.value else {
                break;
            };
            let ok = match kind {
                ValueKind::Int => rows.iter().any(|p| p.ty.accepts_int()),
                ValueKind::Str => rows.iter().any(|p| p.ty.accepts_string()),
                ValueKind::Unknown => true,
            };
            if !ok {
                let (want, got, help) = if *kind == ValueKind::Str {
                    let inner = text.trim().trim_matches('"').trim_matches('\'');
                    let help = if crate::defines::parse_number(inner).is_some() {
                        format!("write the number without quotes: `{inner}`")
                    } else {
                        "give an integer".to_string()
                    };
                    ("an integer", "a string", help)
                } else {
                    (
                        "a string",
                        "an integer",
                        format!("put the value in quotes: `\"{}\"`", text.trim()),
                    )
                };
                let d = SemaDiagnostic::new(
                    codes::MODPARAM_WRONG_TYPE,
                    mp.file,
                    *vrange,
                    format!(
                        "parameter `{param}` of module `{}` takes {want}, not {got}",
                        m.name
                    ),
                )
                .with_help(format!("{help}; Kamailio does not convert modparam values"));
                w.report(mp.seq, d);
                break;
            }
        }
    }
}

// ------------------------------------------------------------ database URLs

/// A module that binds a database module for a URL parameter when it
/// starts (`db_bind_mod`, or srdb2's `db_drv_func`).
struct DbUrlUser {
    module: &'static str,
    /// the URL parameters it binds when they are set
    params: &'static [&'static str],
    /// it binds its default URL (`mysql://...`) when the first parameter is
    /// not set
    binds_default: bool,
    /// parameters that can turn the database off (or move it to another
    /// backend): when the config sets one, nothing is checked
    off: &'static [&'static str],
    /// srdb2 (`db_drv_func`): the driver is `db_<scheme>` or `<scheme>`
    srdb2: bool,
}

const fn db_user(
    module: &'static str,
    params: &'static [&'static str],
    binds_default: bool,
    off: &'static [&'static str],
) -> DbUrlUser {
    DbUrlUser {
        module,
        params,
        binds_default,
        off,
        srdb2: false,
    }
}

/// The modules whose start-up fails with "db_bind_mod(): Module db_<scheme>
/// not found" when the database module of their URL is not loaded. Each
/// row was checked with a real start-up of Kamailio 5.6.3: the module with
/// its default parameters, with and without `modparam(m, p,
/// "mysql://...")`, and no database module. Modules that bind only in some
/// modes are left out (usrloc and dialog with `db_mode` 0, mqueue, rtpproxy,
/// uid_auth_db, uid_avp_db, uid_gflags, db2_ops and ims_usrloc_pcscf start
/// with a `db_url` and no database module), and so are modules that need
/// more set-up than a probe can give (p_usrloc, presence, sipcapture,
/// carrierroute, cplc, avpops, uac, kazoo, mohqueue, ims_*).
const DB_URL_USERS: &[DbUrlUser] = &[
    db_user("acc", &["db_url"], false, &[]),
    db_user("alias_db", &["db_url"], true, &[]),
    db_user("auth_db", &["db_url"], true, &[]),
    db_user("dialplan", &["db_url"], true, &[]),
    db_user("dispatcher", &["db_url"], false, &[]),
    db_user("domain", &["db_url"], true, &[]),
    db_user("domainpolicy", &["db_url"], true, &[]),
    db_user("drouting", &["db_url"], true, &[]),
    db_user("group", &["db_url"], true, &[]),
    db_user("htable", &["db_url"], false, &[]),
    db_user("imc", &["db_url"], true, &[]),
    db_user("lcr", &["db_url"], true, &[]),
    db_user("matrix", &["db_url"], true, &[]),
    db_user("msilo", &["db_url"], true, &[]),
    db_user("mtree", &["db_url"], true, &[]),
    db_user("pdt", &["db_url"], true, &[]),
    db_user("permissions", &["db_url"], false, &["load_backends"]),
    db_user("pipelimit", &["db_url"], false, &[]),
    db_user(
        "presence_xml",
        &["db_url"],
        true,
        &["force_active", "passive_mode"],
    ),
    db_user("pua", &["db_url"], true, &[]),
    db_user(
        "rls",
        &["db_url", "rlpres_db_url", "xcap_db_url"],
        true,
        &[],
    ),
    db_user("rtpengine", &["db_url"], false, &[]),
    db_user("sca", &["db_url"], true, &[]),
    db_user("secfilter", &["db_url"], true, &[]),
    db_user(
        "siptrace",
        &["db_url"],
        true,
        &["trace_to_database", "trace_mode"],
    ),
    db_user("speeddial", &["db_url"], true, &[]),
    db_user("topos", &["db_url"], true, &["storage"]),
    db_user("uri_db", &["db_url"], true, &[]),
    db_user("userblocklist", &["db_url"], true, &[]),
    db_user("utils", &["pres_db_url"], false, &[]),
    db_user("xcap_client", &["db_url"], true, &[]),
    DbUrlUser {
        srdb2: true,
        ..db_user("cfg_db", &["db_url"], true, &[])
    },
    DbUrlUser {
        srdb2: true,
        ..db_user("prefix_route", &["db_url"], true, &[])
    },
    DbUrlUser {
        srdb2: true,
        ..db_user("uid_domain", &["db_url"], true, &[])
    },
    DbUrlUser {
        srdb2: true,
        ..db_user("uid_uri_db", &["db_url"], false, &[])
    },
];

/// The scheme of a database URL (`mysql` of `mysql://u:p@h/db`).
fn db_scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.trim().split_once("://")?;
    (!scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(scheme)
}

/// A `db_url` (or another URL parameter from [`DB_URL_USERS`]) whose
/// database module is not loaded: Kamailio's start-up fails with
/// "db_bind_mod(): Module db_mysql not found. Missing loadmodule?" (the
/// module is `db_` + the URL up to its first `:`, `db.c`), or "database
/// driver for 'mysql' not found" for srdb2 modules. A module that binds its
/// default URL (`mysql://...`) fails the same way when no URL is set.
fn db_urls(w: &mut Walker<'_>) {
    let loaded: Vec<&'static kcfg_modules::Module> = w
        .modules
        .iter()
        .filter(|m| m.loaded)
        .filter_map(|m| m.module)
        .collect();
    let is_loaded = |name: &str| {
        loaded
            .iter()
            .any(|m| m.name == name || m.exports_name == Some(name))
    };
    for user in DB_URL_USERS {
        let Some(lm) = w
            .modules
            .iter()
            .find(|m| m.loaded && m.module.is_some_and(|x| x.name == user.module))
            .cloned()
        else {
            continue;
        };
        if w.db.module(user.module).is_none() {
            continue;
        }
        // the modparams that reach this module, in order
        let sets: Vec<&crate::model::ModParamSite> = w
            .modparams
            .iter()
            .filter(|mp| {
                mp.module.as_ref().is_some_and(|(pattern, _)| {
                    module_alternatives(pattern).is_some_and(|alts| {
                        alts.iter().any(|a| a.eq_ignore_ascii_case(user.module))
                    })
                })
            })
            .collect();
        let unknown_target = w.modparams.iter().any(|mp| {
            mp.module.is_none()
                || mp.param.is_none()
                || mp
                    .module
                    .as_ref()
                    .is_some_and(|(p, _)| module_alternatives(p).is_none())
        });
        let param_set = |name: &str| {
            sets.iter()
                .any(|mp| mp.param.as_ref().is_some_and(|(p, _)| p == name))
        };
        if user.off.iter().any(|p| param_set(p)) {
            continue;
        }
        let missing = |scheme: &str| -> Option<String> {
            let db_name = format!("db_{scheme}");
            // only schemes of a database module Kamailio has
            w.db.module(&db_name)?;
            if is_loaded(&db_name) || (user.srdb2 && is_loaded(scheme)) {
                return None;
            }
            // a `loadmodule` of it that already failed (`mysql.so`,
            // `modules/dbtext/dbtext.so`): that error says enough
            let plain = db_name.replace('_', "");
            let failed = w.modules.iter().any(|m| {
                !m.loaded && {
                    let base = m.arg.rsplit('/').next().unwrap_or(&m.arg);
                    let stem = base.strip_suffix(".so").unwrap_or(base);
                    stem == scheme || stem == db_name || stem == plain
                }
            });
            (!failed).then_some(db_name)
        };
        let mut reports = Vec::new();
        for (i, param) in user.params.iter().enumerate() {
            let last = sets
                .iter()
                .rev()
                .find(|mp| mp.param.as_ref().is_some_and(|(p, _)| p == param));
            let Some(mp) = last else {
                // the default URL; a modparam kcfg cannot read may set it
                if i == 0 && user.binds_default && !unknown_target {
                    if let Some(db_name) = missing("mysql") {
                        let d = SemaDiagnostic::new(
                            codes::DB_MODULE_NOT_LOADED,
                            lm.file,
                            lm.arg_range,
                            format!(
                                "module `{}` connects to its database when Kamailio starts, and its `{param}` defaults to `mysql://...`, but module `{db_name}` is not loaded",
                                user.module
                            ),
                        )
                        .with_help(format!(
                            "add `loadmodule \"{db_name}.so\"`, or set `modparam(\"{}\", \"{param}\", ...)` to the database you use; Kamailio fails at start-up (\"db_bind_mod(): Module {db_name} not found\")",
                            user.module
                        ));
                        reports.push((lm.seq, d));
                    }
                }
                continue;
            };
            let Some(url) = &mp.value_str else {
                continue;
            };
            let Some(scheme) = db_scheme(url) else {
                continue;
            };
            let Some(db_name) = missing(scheme) else {
                continue;
            };
            let range = mp.value.as_ref().map_or(lm.arg_range, |v| v.2);
            let d = SemaDiagnostic::new(
                codes::DB_MODULE_NOT_LOADED,
                mp.file,
                range,
                format!(
                    "`{param}` of module `{}` is a `{scheme}://` URL, but module `{db_name}` is not loaded",
                    user.module
                ),
            )
            .with_help(format!(
                "add `loadmodule \"{db_name}.so\"`: module `{}` binds it when Kamailio starts, which fails with \"Module {db_name} not found\"",
                user.module
            ));
            reports.push((mp.seq, d));
        }
        for (seq, d) in reports {
            w.report(seq, d);
        }
    }
}

// ------------------------------------------------------------ load order

/// `(module, module it binds in its mod_init, the export it looks up)`:
/// the bound module's API
/// refuses to bind before its own mod_init ran (usrloc's `bind_usrloc`:
/// "trying to bind to usrloc module before being initialized"), and
/// Kamailio initialises modules in the order they are loaded, so the
/// module must be loaded after the one it binds. Read from Kamailio
/// 5.6.3's sources (the `ul_init_flag` check in `usrloc/usrloc.c`, the
/// callers' `mod_init`) and checked with real start-ups: registrar and
/// pua_usrloc fail when loaded before usrloc or without it; nathelper,
/// snmpstats and the others that use usrloc bind it later or not at all.
/// When another module that exports the same function is loaded
/// (p_usrloc and ims_usrloc_scscf export `ul_bind_usrloc` too), nothing is
/// checked.
const BINDS_AT_INIT: &[(&str, &str, &str)] = &[
    ("registrar", "usrloc", "ul_bind_usrloc"),
    ("pua_usrloc", "usrloc", "ul_bind_usrloc"),
];

/// A module loaded before (or without) a module it binds when Kamailio
/// starts: the start-up fails.
fn load_order(w: &mut Walker<'_>) {
    for (user, needed, export) in BINDS_AT_INIT {
        let Some(u) = w
            .modules
            .iter()
            .find(|m| m.loaded && m.module.is_some_and(|x| x.name == *user))
            .cloned()
        else {
            continue;
        };
        let Some(lm) = w.db.module(needed).map(|m| m.loadmodule) else {
            continue;
        };
        // another provider of the export
        let other_provider = w.modules.iter().any(|m| {
            m.loaded
                && m.module.is_some_and(|x| {
                    x.name != *needed && x.functions().iter().any(|f| f.name == *export)
                })
        });
        if other_provider {
            continue;
        }
        // a loadmodule of it that failed already has its error
        let failed = w.modules.iter().any(|m| {
            !m.loaded && {
                let base = m.arg.rsplit('/').next().unwrap_or(&m.arg);
                base.strip_suffix(".so").unwrap_or(base) == *needed
            }
        });
        if failed {
            continue;
        }
        let n = w
            .modules
            .iter()
            .find(|m| m.loaded && m.module.is_some_and(|x| x.name == *needed))
            .cloned();
        let d = match n {
            Some(n) if n.seq < u.seq => continue,
            Some(n) => {
                let place = w.place(n.file, n.range, u.file);
                let mut d = SemaDiagnostic::new(
                    codes::MODULE_LOADED_TOO_EARLY,
                    u.file,
                    u.arg_range,
                    format!(
                        "module `{user}` binds module `{needed}` when Kamailio starts, but `{needed}` is loaded only after it ({place})"
                    ),
                )
                .with_help(format!(
                    "move `loadmodule \"{}\"` before `loadmodule \"{}\"`: Kamailio initialises modules in load order, and `{needed}` refuses to be bound before it is initialised",
                    n.arg, u.arg
                ));
                if n.file == u.file {
                    d = d.with_label(n.arg_range, "loaded here");
                }
                d
            }
            None => SemaDiagnostic::new(
                codes::MODULE_LOADED_TOO_EARLY,
                u.file,
                u.arg_range,
                format!("module `{user}` needs module `{needed}`, which is not loaded"),
            )
            .with_help(format!(
                "add `loadmodule \"{lm}\"` before it: `{user}` binds it when Kamailio starts, and the start-up fails without it"
            )),
        };
        w.report(u.seq, d);
    }
}

// ------------------------------------------------------------ routes

/// The name slots of each route table: `(table, name)` → (first route
/// index, has actions). Kamailio's slot `"0"` is the unnamed default route
/// of every table.
pub(crate) struct Slots {
    map: TableMap<(Option<usize>, bool)>,
    /// per table: the names, and the names of routes with actions
    /// (sorted); made when a finding needs them (the undefined-route
    /// suggestions), not in every build
    names: std::cell::OnceCell<TableNames>,
}

/// Per route table: the names, and the names of routes with actions.
type TableNames = HashMap<RouteTable, (Vec<String>, Vec<String>)>;

impl Slots {
    fn get(&self, table: RouteTable, name: &str) -> Option<&(Option<usize>, bool)> {
        self.map.get(table, name)
    }
}

/// The route names of a table (`non_empty`: only routes with actions).
fn names_in(slots: &Slots, table: RouteTable, non_empty: bool) -> &[String] {
    slots
        .names
        .get_or_init(|| {
            let mut names = TableNames::default();
            for (t, n, (_, has)) in slots.map.iter() {
                if n == "0" {
                    continue;
                }
                let e = names.entry(t).or_default();
                e.0.push(n.to_string());
                if *has {
                    e.1.push(n.to_string());
                }
            }
            for (all, ne) in names.values_mut() {
                all.sort();
                ne.sort();
            }
            names
        })
        .get(&table)
        .map_or(&[], |(all, ne)| if non_empty { ne } else { all })
}

/// "Did you mean" for route names: not for one- or two-letter names (every
/// other short name is one edit away), and not among thousands of routes
/// (the search is quadratic).
fn route_suggestion<'a>(name: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if name.chars().count() < 3 {
        return None;
    }
    let names: Vec<&str> = names.into_iter().take(1001).collect();
    if names.len() > 1000 {
        return None;
    }
    suggest(name, names)
}

/// Route tables as Kamailio fills them, and "duplicate route" where it
/// stops: a named block whose slot already has actions.
fn route_slots(w: &mut Walker<'_>) -> Slots {
    let mut slots: TableMap<(Option<usize>, bool)> = TableMap::default();
    for t in RouteTable::ALL {
        slots.get_or_insert_with(t, "0", || (None, false));
    }
    for i in 0..w.routes.len() {
        // the route is cloned only for a finding
        let (table, has_actions, name) = {
            let r = &w.routes[i];
            (r.table, r.has_actions, r.name.as_deref())
        };
        let seq = w.route_seqs[i];
        let key_name = name.unwrap_or("0");
        let appends = name.is_none() || (table == RouteTable::OnReply && key_name == "0");
        let slot = slots.get_or_insert_with(table, key_name, || (None, false));
        if appends {
            slot.0.get_or_insert(i);
            slot.1 |= has_actions;
            continue;
        }
        if slot.1 {
            let r = w.routes[i].clone();
            let first = slot.0.map(|f| w.routes[f].clone());
            let mut d = SemaDiagnostic::new(
                codes::DUPLICATE_ROUTE,
                r.file,
                r.head_range,
                format!("duplicate route: `{}` is already defined", r.display()),
            )
            .with_help(
                "rename one of the blocks or merge them (Kamailio stops reading the config here)",
            );
            if let Some(f) = first {
                let place = w.place(f.file, f.head_range, r.file);
                d.message = format!(
                    "duplicate route: `{}` is already defined {place}{}",
                    r.display(),
                    if f.name.is_none() {
                        format!(" (as `{}`)", f.keyword)
                    } else {
                        String::new()
                    }
                );
                if f.file == r.file {
                    d = d.with_label(f.head_range, "first defined here");
                }
            }
            w.report(seq, d);
            continue;
        }
        slot.0.get_or_insert(i);
        slot.1 |= has_actions;
    }
    Slots {
        map: slots,
        names: std::cell::OnceCell::new(),
    }
}

// ------------------------------------------------------------ calls

fn block_name(k: BlockKind) -> &'static str {
    match k {
        BlockKind::Request => "request_route/route",
        BlockKind::Failure => "failure_route",
        BlockKind::OnReplyCore => "onreply_route (unnamed or [0])",
        BlockKind::OnReplyTm => "onreply_route[NAME]",
        BlockKind::Branch => "branch_route",
        BlockKind::OnSend => "onsend_route",
        BlockKind::Event => "event_route",
    }
}

fn count_list(counts: &[String]) -> String {
    match counts {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn calls(w: &mut Walker<'_>, slots: &Slots) {
    // taken out for the loop (nothing below reads `w.calls`) and put back:
    // a clone of every call site cost more than the checks of most sites
    let calls = std::mem::take(&mut w.calls);
    calls_of(w, &calls, slots);
    w.calls = calls;
}

fn calls_of(w: &mut Walker<'_>, calls: &[CallSite], slots: &Slots) {
    // the modules loaded before each call (nothing below loads modules)
    let before = crate::exprs::LoadedBefore::new(w);
    for c in calls {
        if c.is_route_kw {
            route_call(w, c, slots);
            continue;
        }
        let Some(route_idx) = c.route else {
            continue;
        };
        let Some(block) = w.routes[route_idx].block_kind else {
            continue;
        };
        if let Some(action) = w.db.core_action(c.name()) {
            core_action_args(w, c, action);
            continue;
        }
        if w.db.is_reserved_word(c.name()) {
            continue;
        }
        let loaded = before.at(c.seq);
        // the variants of loaded modules (not collected: most calls are
        // fine, and this runs for every call on every keystroke)
        let variants =
            w.db.functions(c.name())
                .iter()
                .filter(|v| loaded.contains(&v.module));
        if variants.clone().next().is_none() {
            unknown_function(w, c, loaded);
            continue;
        }
        let Some(n) = c.nargs else {
            continue;
        };
        let with_n = variants.clone().filter(|v| v.accepts_nargs(n));
        if with_n.clone().any(|v| v.allowed_in.contains(block)) {
            tm_route_name(w, c, slots);
            continue;
        }
        let variants: Vec<&'static FunctionVariant> = variants.collect();
        let with_n: Vec<_> = with_n.collect();
        if with_n.is_empty() {
            let mut counts: Vec<u8> = variants.iter().filter_map(|v| v.nparams).collect();
            counts.sort_unstable();
            counts.dedup();
            let counts: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
            let plural = if counts.len() == 1 && counts[0] == "1" {
                "argument"
            } else {
                "arguments"
            };
            let d = SemaDiagnostic::new(
                codes::WRONG_ARGUMENT_COUNT,
                c.file,
                c.range,
                format!(
                    "`{}` takes {} {plural}, not {n}",
                    c.name(),
                    count_list(&counts)
                ),
            )
            .with_help(format!(
                "Kamailio looks functions up by name and argument count (module `{}`)",
                variants[0].module
            ));
            w.report(c.seq, d);
            continue;
        }
        // no variant with this count is allowed in this block
        let allowed: Vec<&str> = BlockKind::ALL
            .into_iter()
            .filter(|k| with_n.iter().any(|v| v.allowed_in.contains(*k)))
            .map(block_name)
            .collect();
        let r = &w.routes[route_idx];
        let mut d = SemaDiagnostic::new(
            codes::FUNCTION_NOT_ALLOWED_HERE,
            c.file,
            c.range,
            format!("`{}` cannot be used in {}", c.name(), block_name(block)),
        )
        .with_help(format!("it is allowed in: {}", allowed.join(", ")));
        if r.file == c.file {
            d = d.with_label(r.head_range, format!("this is a {}", block_name(block)));
        }
        w.report(c.seq, d);
    }
}

/// The kind of a core action's argument in its grammar forms that
/// [`core_action_args`] can tell apart.
fn core_arg_fits(kind: &str, arg: &Option<Const>) -> bool {
    match (kind, arg) {
        ("STRING", Some(Const::Str(_))) => true,
        ("NUMBER", Some(Const::Int(n))) => *n >= 0,
        // yes/no, on/off, true/false, enable/disable are NUMBER tokens
        ("NUMBER", Some(Const::Ident(w))) => NUMBER_WORDS.contains(&w.as_str()),
        ("intno", Some(Const::Int(_))) => true,
        ("intno", Some(Const::Ident(w))) => NUMBER_WORDS.contains(&w.as_str()),
        // flag_name: STRING | ID (whether it is declared is another matter)
        ("flag_name", Some(Const::Str(_) | Const::Ident(_))) => true,
        _ => false,
    }
}

/// A core action whose grammar takes literals only (`log(1, "text")`,
/// `strip(2)`, `rewritehost("host")`): Kamailio's parser rejects anything
/// else there (a pseudo-variable, an expression, a negative number) with a
/// syntax error. Actions with other forms (hosts, sockets, expressions) are
/// not checked.
fn core_action_args(w: &mut Walker<'_>, c: &CallSite, action: &kcfg_modules::CoreAction) {
    const ARG_KINDS: [&str; 4] = ["STRING", "NUMBER", "intno", "flag_name"];
    // a count no form of the action takes (`isflagset()`, `strip()`,
    // `force_rport(1)`): cfg.y's `error` alternatives of the action
    if action.grammar_rule == "cmd" && !action.nargs.is_empty() {
        if let Some(n) = c
            .nargs
            .filter(|n| !action.nargs.contains(&n.to_string().as_str()))
        {
            let mut counts: Vec<u32> = action.nargs.iter().filter_map(|k| k.parse().ok()).collect();
            counts.sort_unstable();
            let counts: Vec<String> = counts.iter().map(u32::to_string).collect();
            let plural = if action.nargs == ["1"] { "" } else { "s" };
            let d = SemaDiagnostic::new(
                codes::CORE_ACTION_ARGUMENT,
                c.file,
                c.range,
                format!(
                    "the core action `{}` takes {} argument{plural}, not {n}",
                    c.name(),
                    count_list(&counts)
                ),
            )
            .with_help("`kamailio -c` stops here with a syntax error".to_string());
            w.report(c.seq, d);
            return;
        }
    }
    let kinds = |form: &'static str| {
        form.split_whitespace()
            .filter(|t| !matches!(*t, "LPAREN" | "RPAREN" | "COMMA"))
            .collect::<Vec<_>>()
    };
    if action.grammar_rule != "cmd"
        || action.forms.is_empty()
        || action
            .forms
            .iter()
            .any(|f| !kinds(f).iter().all(|k| ARG_KINDS.contains(k)))
    {
        return;
    }
    let Some(n) = c.nargs else {
        return;
    };
    if n != c.args().len() {
        return;
    }
    let same_arity: Vec<Vec<&str>> = action
        .forms
        .iter()
        .map(|f| kinds(f))
        .filter(|k| k.len() == n)
        .collect();
    if same_arity.is_empty() {
        // a count the grammar does not take: the parser's own error
        return;
    }
    // `-1` is a prefix expression in the tree, a MINUS and a NUMBER to
    // Kamailio's grammar (`intno`)
    let args: Vec<Option<Const>> = c
        .args()
        .map(|(arg, range)| match arg {
            None => {
                let text = w.files[c.file.0]
                    .text
                    .get(std::ops::Range::<usize>::from(range))?;
                let digits = text.strip_prefix('-')?.trim_start();
                crate::model::is_kamailio_number(digits)
                    .then(|| crate::defines::parse_number(digits).map(|v| Const::Int(-v)))
                    .flatten()
            }
            known => known.clone(),
        })
        .collect();
    if same_arity.iter().any(|form| {
        form.iter()
            .zip(&args)
            .all(|(kind, arg)| core_arg_fits(kind, arg))
    }) {
        return;
    }
    // the first argument that fits no form of this arity
    let bad = (0..n)
        .find(|&i| !same_arity.iter().any(|f| core_arg_fits(f[i], &args[i])))
        .unwrap_or(0);
    let describe = |kind: &str| match kind {
        "STRING" => "a quoted string",
        "NUMBER" => "a number (0 or more)",
        "intno" => "a number",
        _ => "a flag number or name",
    };
    let mut wants: Vec<&str> = same_arity.iter().map(|f| describe(f[bad])).collect();
    wants.dedup();
    let shapes: Vec<String> = action
        .forms
        .iter()
        .map(|f| {
            let args: Vec<&str> = kinds(f)
                .iter()
                .map(|k| match *k {
                    "STRING" => "\"...\"",
                    "NUMBER" => "N",
                    "intno" => "[-]N",
                    _ => "FLAG",
                })
                .collect();
            if f.is_empty() {
                c.name().to_string()
            } else {
                format!("{}({})", c.name(), args.join(", "))
            }
        })
        .collect();
    let d = SemaDiagnostic::new(
        codes::CORE_ACTION_ARGUMENT,
        c.file,
        c.arg(bad).map_or(c.range, |a| a.1),
        format!(
            "argument {} of the core action `{}` must be {}",
            bad + 1,
            c.name(),
            wants.join(" or ")
        ),
    )
    .with_help(format!(
        "Kamailio's grammar takes only literal values here ({}): no pseudo-variables, expressions or negative numbers; `kamailio -c` stops with a syntax error",
        shapes.join(" or ")
    ));
    w.report(c.seq, d);
}

// ------------------------------------------------------------ flags

/// Kamailio's message flags are 0..=31 (`MAX_FLAG`).
const MAX_FLAG: i64 = 31;
/// `avpflags` names Kamailio 5.6 can hold: 32 bits of `avp_flags_t` minus
/// one, minus the 13 it keeps for itself (`MAX_AVPFLAG`).
const MAX_AVPFLAG: usize = 32 - 1 - 13;

/// `flags`/`avpflags` declarations and the flags of the core actions that
/// take one (`setflag`, `resetflag`, `isflagset`, `setavpflag`, ...; the
/// knowledge base's forms with a `flag_name`), as `cfg.y` handles them while
/// it reads the config: `register_flag` (a name twice, a position above 31,
/// no free flag left: "register flag failed"), `get_flag_no` ("flag not
/// declared": a name must be declared above its use), `check_flag` ("bad
/// flag value" above 31) and `get_avpflag_no` ("avpflag not declared";
/// avpflag names compare without case, and a name beyond the 18 Kamailio
/// holds is not refused where it is declared, only where it is used).
fn flags(w: &mut Walker<'_>) {
    // (seq, name) of the names Kamailio registered
    let mut flags: Vec<(u32, String)> = Vec::new();
    let mut avpflags: Vec<(u32, String)> = Vec::new();
    let mut used = [false; MAX_FLAG as usize + 1];
    let mut next_free = 0usize;
    for d in w.flag_decls.clone() {
        if d.avp {
            let known = avpflags
                .iter()
                .any(|(_, n)| n.eq_ignore_ascii_case(&d.name));
            if !known && avpflags.len() < MAX_AVPFLAG {
                avpflags.push((d.seq, d.name));
            }
            continue;
        }
        let problem = if flags.iter().any(|(_, n)| *n == d.name) {
            Some(format!("flag `{}` is declared twice", d.name))
        } else if let Some(pos) = d.pos {
            if (0..=MAX_FLAG).contains(&pos) {
                used[pos as usize] = true;
                None
            } else {
                Some(format!(
                    "flag `{}` at position {pos}: message flags are 0 to {MAX_FLAG}",
                    d.name
                ))
            }
        } else {
            let n = used.len();
            match (0..n).map(|i| (next_free + i) % n).find(|&i| !used[i]) {
                Some(free) => {
                    used[free] = true;
                    next_free = free;
                    None
                }
                None => Some(format!(
                    "flag `{}` gets no number: all {n} message flags are taken",
                    d.name
                )),
            }
        };
        match problem {
            None => flags.push((d.seq, d.name)),
            Some(message) => {
                let diag = SemaDiagnostic::new(codes::BAD_FLAG, d.file, d.range, message)
                    .with_help("`kamailio -c` stops here: register flag failed".to_string());
                w.report(d.seq, diag);
            }
        }
    }
    // taken out for the loop (nothing below reads `w.calls`) and put back,
    // as in `calls`: cloning every call site cost more than this check
    let calls = std::mem::take(&mut w.calls);
    for c in &calls {
        if c.is_route_kw || c.route.is_none() || c.nargs != Some(c.args().len()) {
            continue;
        }
        let Some(action) = w.db.core_action(c.name()) else {
            continue;
        };
        let avp = action.action_types.contains(&"AVPFLAG_OPER_T");
        // the argument that is a flag in every form of this arity
        let Some(i) = flag_argument(action, c.args().len()) else {
            continue;
        };
        let Some((arg, range)) = c.arg(i) else {
            continue;
        };
        let message = match arg {
            Some(Const::Int(n)) if !avp && *n > MAX_FLAG => {
                format!("flag {n} is out of range: message flags are 0 to {MAX_FLAG}")
            }
            // `yes`/`no` and their kin are the numbers 1 and 0 in Kamailio's
            // lexer (a syntax error as an avpflag); its other keywords
            // (`setflag(forward)`) are syntax errors: the parser reports both
            Some(Const::Ident(name))
                if kcfg_syntax::NUMBER_WORDS.contains(&name.as_str())
                    || kcfg_syntax::is_keyword_flag_name(name, |_| false) =>
            {
                continue;
            }
            // so are the core parameter names, but the parser does not know
            // them (they depend on the version)
            Some(Const::Ident(name)) if w.db.global_param(name).is_some() => {
                let d = SemaDiagnostic::new(
                    codes::BAD_FLAG,
                    c.file,
                    range,
                    format!(
                        "`{name}` is a core parameter, a keyword of Kamailio's config language, not a flag name"
                    ),
                )
                .with_help(
                    "declare the flag under another name (`flags NAME;`) or use its number; `kamailio -c` stops here with a syntax error".to_string(),
                );
                w.report(c.seq, d);
                continue;
            }
            Some(Const::Str(name) | Const::Ident(name)) => {
                let declared = if avp {
                    avpflags
                        .iter()
                        .any(|(seq, n)| *seq < c.seq && n.eq_ignore_ascii_case(name))
                } else {
                    flags.iter().any(|(seq, n)| *seq < c.seq && n == name)
                };
                if declared {
                    continue;
                }
                let (what, line) = if avp {
                    ("avpflag", "avpflags")
                } else {
                    ("flag", "flags")
                };
                let d = SemaDiagnostic::new(
                    codes::BAD_FLAG,
                    c.file,
                    range,
                    format!("{what} `{name}` is not declared"),
                )
                .with_help(format!(
                    "declare it above its first use (`{line} {name};`){}; `kamailio -c` stops here: {what} not declared",
                    if avp { "" } else { ", or `#!define` it as a number" }
                ));
                w.report(c.seq, d);
                continue;
            }
            _ => continue,
        };
        let d = SemaDiagnostic::new(codes::BAD_FLAG, c.file, range, message)
            .with_help("`kamailio -c` stops here: bad flag value".to_string());
        w.report(c.seq, d);
    }
    w.calls = calls;
}

/// The index of the argument that is a `flag_name` in the forms of `action`
/// with `n` arguments (none when the forms disagree or have none).
fn flag_argument(action: &kcfg_modules::CoreAction, n: usize) -> Option<usize> {
    let mut found = None;
    for form in action.forms {
        let args: Vec<&str> = form
            .split_whitespace()
            .filter(|t| !matches!(*t, "LPAREN" | "RPAREN" | "COMMA"))
            .collect();
        if args.len() != n {
            continue;
        }
        let i = args.iter().position(|a| *a == "flag_name");
        if i.is_some() {
            if found.is_some_and(|f| Some(f) != i) {
                return None;
            }
            found = i;
        }
    }
    found
}

fn unknown_function(w: &mut Walker<'_>, c: &CallSite, loaded: &[&'static str]) {
    let version = w.options.version;
    let all = w.db.functions(c.name());
    let mut d = SemaDiagnostic::new(
        codes::UNKNOWN_FUNCTION,
        c.file,
        c.range,
        format!("unknown function `{}`", c.name()),
    );
    if !all.is_empty() {
        let mut providers: Vec<&'static str> = all.iter().map(|v| v.module).collect();
        providers.dedup();
        // loaded, but only after this call?
        let later = w
            .modules
            .iter()
            .find(|m| {
                m.loaded && m.seq > c.seq && m.module.is_some_and(|x| providers.contains(&x.name))
            })
            .cloned();
        if let Some(l) = later {
            let place = w.place(l.file, l.range, c.file);
            d.message = format!(
                "`{}` is exported by module `{}`, which is loaded only after this call ({place})",
                c.name(),
                l.module.map_or("?", |m| m.name)
            );
            d = d.with_help(format!(
                "move `loadmodule \"{}\"` before the route blocks: Kamailio looks functions up while it reads the config",
                l.arg
            ));
        } else {
            let list = providers
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ");
            d.message = if providers.len() > 1 {
                format!(
                    "unknown function `{}`: it is provided by modules {list}, none of which is loaded",
                    c.name()
                )
            } else {
                format!(
                    "unknown function `{}`: it is provided by module {list}, which is not loaded",
                    c.name()
                )
            };
            let m = w.db.module(providers[0]).map_or("?.so", |m| m.loadmodule);
            d = d.with_help(format!("add `loadmodule \"{m}\"`"));
        }
        w.report(c.seq, d);
        return;
    }
    let others = other_versions(version, versions_with_function(c.name()));
    if let Some(v) = others.first() {
        let module = kcfg_modules::db(*v)
            .functions(c.name())
            .first()
            .map_or("?", |f| f.module);
        d.message = format!(
            "unknown function `{}`: it does not exist in Kamailio {}, only in {} (module `{module}`)",
            c.name(),
            version.full(),
            version_list(&others)
        );
        w.report(c.seq, d);
        return;
    }
    // did you mean: first among loaded modules and core actions, then anywhere
    let db = w.db;
    let near_loaded = suggest(
        c.name(),
        loaded
            .iter()
            .flat_map(|m| db.module_functions(m).iter())
            .filter(|f| f.script_callable)
            .map(|f| f.name)
            .chain(db.core_actions().flat_map(|a| a.names.iter().copied())),
    );
    let help = match near_loaded {
        Some(s) => Some(format!("did you mean `{s}`?")),
        None => suggest(c.name(), db.function_names()).map(|s| {
            let module = db.functions(s).first().map_or("?", |f| f.module);
            format!("did you mean `{s}` (module `{module}`, not loaded)?")
        }),
    };
    d = d.with_help_opt(help.or_else(|| {
        Some("it is neither a core action nor exported by any module Kamailio knows".to_string())
    }));
    w.report(c.seq, d);
}

fn const_name(c: &Const) -> std::borrow::Cow<'_, str> {
    match c {
        Const::Str(s) | Const::Ident(s) => s.as_str().into(),
        Const::Int(v) => v.to_string().into(),
    }
}

/// `route(NAME)` with no `route[NAME]`: Kamailio fails at start-up
/// ("route \"NAME\" not found").
fn route_call(w: &mut Walker<'_>, c: &CallSite, slots: &Slots) {
    let Some((Some(arg), range)) = c.first_arg() else {
        return;
    };
    if c.nargs != Some(1) {
        return;
    }
    let name = const_name(arg);
    if name.contains('$') || slots.get(RouteTable::Request, &name).is_some() {
        return;
    }
    let names = names_in(slots, RouteTable::Request, false);
    let d = SemaDiagnostic::new(
        codes::UNDEFINED_ROUTE,
        c.file,
        range,
        format!("route `{name}` is not defined: there is no `route[{name}]`"),
    )
    .with_help_opt(
        did_you_mean(route_suggestion(&name, names.iter().map(String::as_str)))
            .or_else(|| Some(format!("define it with `route[{name}] {{ ... }}`"))),
    );
    w.report(c.seq, d);
}

/// `t_on_failure("X")` and friends naming a route that does not exist:
/// tm only warns at start-up ("empty/non existing route") and the call
/// then does nothing.
fn tm_route_name(w: &mut Walker<'_>, c: &CallSite, slots: &Slots) {
    let (table, prefix, kw) = match c.name() {
        "t_on_failure" => (RouteTable::Failure, "", "failure_route"),
        "t_on_reply" => (RouteTable::OnReply, "", "onreply_route"),
        "t_on_branch" => (RouteTable::Branch, "", "branch_route"),
        "t_on_branch_failure" => (RouteTable::Event, "tm:branch-failure:", "event_route"),
        _ => return,
    };
    if c.nargs != Some(1) {
        return;
    }
    let Some((Some(arg), range)) = c.first_arg() else {
        return;
    };
    let Const::Str(name) = arg else {
        return;
    };
    // "0" (or "") resets the route: tm does not look it up
    if name.contains('$') || name.is_empty() || name == "0" {
        return;
    }
    let full = format!("{prefix}{name}");
    if slots.get(table, &full).is_some_and(|s| s.1) {
        return;
    }
    let names = names_in(slots, table, true);
    let d = SemaDiagnostic::new(
        codes::UNDEFINED_TM_ROUTE,
        c.file,
        range,
        format!(
            "`{}` names `{kw}[{full}]`, which does not exist or is empty: the call does nothing",
            c.name()
        ),
    )
    .with_help_opt(
        did_you_mean(route_suggestion(
            name,
            names.iter().filter_map(|n| n.strip_prefix(prefix)),
        ))
        .or_else(|| Some(format!("define it with `{kw}[{full}] {{ ... }}`"))),
    );
    w.report(c.seq, d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modparam_module_patterns() {
        assert_eq!(module_alternatives("tm"), Some(vec!["tm"]));
        assert_eq!(module_alternatives("tm|sl"), Some(vec!["tm", "sl"]));
        assert_eq!(module_alternatives("t.*"), None);
        assert_eq!(module_alternatives(""), None);
    }

    #[test]
    fn counts() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(count_list(&v(&["1"])), "1");
        assert_eq!(count_list(&v(&["0", "1", "2"])), "0, 1 or 2");
    }
}
