//! `kcfg docs`: what the knowledge base ([`kcfg_modules`]) knows about a
//! name, as text.
//!
//! A query is classified by its shape: `KSR.m.f` (KEMI), `$name` (a
//! pseudo-variable), `{class.name}` (a transformation), `module.param` or
//! `module:param` (a modparam, else a transformation `class.name`, else a
//! KEMI `module.function`), and a plain word (script functions, core
//! actions, core parameters, modules: every kind that has the name).

use std::fmt::Write as _;

use kcfg_modules::{db, suggest, Db, KamailioVersion};

/// The documentation series in kamailio.org URLs (`5.6.x`, `devel`).
fn doc_series(v: KamailioVersion) -> &'static str {
    match v {
        KamailioVersion::V5_6 => "5.6.x",
        KamailioVersion::V6_0 => "6.0.x",
        KamailioVersion::Master => "devel",
    }
}

fn module_url(v: KamailioVersion, module: &str, anchor: Option<String>) -> String {
    let mut u = format!(
        "https://www.kamailio.org/docs/modules/{}/modules/{module}.html",
        doc_series(v)
    );
    if let Some(a) = anchor {
        u.push('#');
        u.push_str(&a);
    }
    u
}

fn cookbook_url(v: KamailioVersion, page: &str) -> String {
    format!(
        "https://www.kamailio.org/wikidocs/cookbooks/{}/{page}/",
        doc_series(v)
    )
}

/// The entries for `query`, as text; `Err` with "did you mean" suggestions
/// when nothing has that name.
pub fn lookup(version: KamailioVersion, query: &str) -> Result<String, Vec<String>> {
    let d = db(version);
    let q = query.trim();
    let mut out = String::new();
    if let Some(rest) = q.strip_prefix("KSR.") {
        kemi(d, version, rest, &mut out);
        return found(out, || suggest_kemi(d, q));
    }
    if q.starts_with('$') {
        pv(d, version, q, &mut out);
        return found(out, || {
            let name = pv_class_name(q);
            suggest(&name, d.pv_classes().map(|c| c.name))
                .map(|s| format!("${s}"))
                .into_iter()
                .collect()
        });
    }
    if let Some(inner) = q.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        transformation(d, version, inner, &mut out);
        return found(out, || suggest_transformation(d, inner));
    }
    if let Some((a, b)) = q.split_once(['.', ':']) {
        if d.module(a).is_some() {
            modparam(d, version, a, b, &mut out);
        }
        if out.is_empty() && d.transformation_class_exists(a) {
            transformation(d, version, q, &mut out);
        }
        if out.is_empty() {
            kemi(d, version, &q.replace(':', "."), &mut out);
        }
        return found(out, || {
            let mut s = Vec::new();
            if d.module(a).is_some() {
                s.extend(
                    suggest(b, d.modparams(a).iter().map(|p| p.name)).map(|p| format!("{a}.{p}")),
                );
            } else if let Some(m) = suggest(a, d.modules().map(|m| m.name)) {
                s.push(format!("{m}.{b}"));
            }
            s.extend(suggest_transformation(d, q));
            s.extend(suggest_kemi(d, &format!("KSR.{q}")));
            s
        });
    }
    functions(d, version, q, &mut out);
    core_action(d, q, &mut out);
    core_param(d, version, q, &mut out);
    module(d, version, q, &mut out);
    found(out, || {
        let words = d
            .function_names()
            .chain(d.global_params().flat_map(|g| g.names.iter().copied()))
            .chain(d.core_actions().flat_map(|a| a.names.iter().copied()))
            .chain(d.modules().map(|m| m.name));
        suggest(q, words).map(str::to_string).into_iter().collect()
    })
}

fn found(out: String, suggestions: impl FnOnce() -> Vec<String>) -> Result<String, Vec<String>> {
    if out.is_empty() {
        let mut s = suggestions();
        s.dedup();
        Err(s)
    } else {
        Ok(out)
    }
}

fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push('\n');
    }
}

fn functions(d: &Db, v: KamailioVersion, name: &str, out: &mut String) {
    for f in d.functions(name) {
        sep(out);
        let _ = writeln!(out, "function {}  (module {})", f.name, f.module);
        let arity = match (f.nparams, f.var_params) {
            (_, true) => "variable".to_string(),
            (Some(n), false) => n.to_string(),
            (None, false) => "unknown".to_string(),
        };
        let _ = writeln!(out, "  arguments:   {arity}");
        let kinds: Vec<&str> = f.allowed_in.iter().map(|k| k.id()).collect();
        let _ = writeln!(out, "  route types: {}", kinds.join(", "));
        if let Some(fx) = f.fixup {
            let _ = writeln!(out, "  fixup:       {fx}");
        }
        if !f.cond.is_empty() {
            let _ = writeln!(out, "  compiled if: {}", f.cond.join(" && "));
        }
        let _ = writeln!(out, "  loadmodule:  {}", loadmodule_of(d, f.module));
        let _ = writeln!(
            out,
            "  docs:        {}",
            module_url(v, f.module, Some(format!("{}.f.{}", f.module, f.name)))
        );
    }
}

fn loadmodule_of(d: &Db, module: &str) -> String {
    d.module(module).map_or_else(
        || format!("{module}.so"),
        |m| format!("loadmodule \"{}\"", m.loadmodule),
    )
}

fn core_action(d: &Db, name: &str, out: &mut String) {
    if let Some(a) = d.core_action(name) {
        sep(out);
        let _ = writeln!(out, "core action {}", a.names.join(" / "));
        let _ = writeln!(out, "  arguments:   {}", a.nargs.join(" or "));
        let _ = writeln!(
            out,
            "  onsend_route: {}",
            if a.allowed_in_onsend_route {
                "allowed"
            } else {
                "not allowed"
            }
        );
    }
}

fn core_param(d: &Db, v: KamailioVersion, name: &str, out: &mut String) {
    if let Some(g) = d.global_param(name) {
        sep(out);
        let _ = writeln!(out, "core parameter {}", g.names.join(" / "));
        let _ = writeln!(out, "  value:       {}", g.value_types.join(" or "));
        let _ = writeln!(
            out,
            "  docs:        {}#{}",
            cookbook_url(v, "core"),
            g.names[0]
        );
    }
}

fn module(d: &Db, v: KamailioVersion, name: &str, out: &mut String) {
    let m = d
        .module(name)
        .or_else(|| d.module_by_file(name).filter(|_| name.ends_with(".so")));
    if let Some(m) = m {
        sep(out);
        let _ = writeln!(out, "module {}", m.name);
        let _ = writeln!(out, "  loadmodule:  loadmodule \"{}\"", m.loadmodule);
        let script: Vec<&str> = m
            .functions()
            .iter()
            .filter(|f| f.script_callable)
            .map(|f| f.name)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let _ = writeln!(out, "  functions:   {}", list_or_none(&script));
        let params: Vec<&str> = m.params().iter().map(|p| p.name).collect();
        let _ = writeln!(out, "  modparams:   {}", list_or_none(&params));
        if !m.pv_classes.is_empty() {
            let pvs: Vec<String> = m.pv_classes.iter().map(|p| format!("${p}")).collect();
            let _ = writeln!(out, "  PVs:         {}", pvs.join(", "));
        }
        if !m.event_routes.is_empty() {
            let _ = writeln!(out, "  event routes: {}", m.event_routes.join(", "));
        }
        let _ = writeln!(out, "  docs:        {}", module_url(v, m.name, None));
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn modparam(d: &Db, v: KamailioVersion, module: &str, name: &str, out: &mut String) {
    for p in d.modparam(module, name) {
        sep(out);
        let _ = writeln!(out, "modparam(\"{}\", \"{}\", …)", p.module, p.name);
        let ty = match p.ty {
            kcfg_modules::ParamType::Int => "integer",
            kcfg_modules::ParamType::Str | kcfg_modules::ParamType::String => "string",
            kcfg_modules::ParamType::Var => "integer or string",
        };
        let _ = writeln!(out, "  value:       {ty}");
        if p.use_func {
            let _ = writeln!(
                out,
                "  note:        parsed by the module (may be given several times)"
            );
        }
        let _ = writeln!(out, "  loadmodule:  {}", loadmodule_of(d, p.module));
        let _ = writeln!(
            out,
            "  docs:        {}",
            module_url(v, p.module, Some(format!("{}.p.{}", p.module, p.name)))
        );
    }
}

/// `$ru` → `ru`, `$avp(x)` → `avp`, `$(ru{s.len})` → `ru`, `$T_reply_code` as is.
fn pv_class_name(q: &str) -> String {
    let s = q.trim_start_matches('$');
    let s = s.strip_prefix('(').unwrap_or(s);
    s.split(['(', '{', '[', ')', '.'])
        .next()
        .unwrap_or(s)
        .to_string()
}

fn pv(d: &Db, v: KamailioVersion, q: &str, out: &mut String) {
    let name = pv_class_name(q);
    let Some(c) = d.pv_class(&name) else { return };
    sep(out);
    let _ = writeln!(out, "pseudo-variable ${}", c.name);
    let _ = writeln!(out, "  syntax:      {}", c.syntax);
    let _ = writeln!(out, "  provided by: {}", c.modules.join(", "));
    let _ = writeln!(
        out,
        "  name:        {}",
        if c.has_name { "required" } else { "none" }
    );
    let _ = writeln!(
        out,
        "  index:       {}",
        if c.has_index { "accepted" } else { "none" }
    );
    let _ = writeln!(
        out,
        "  assignable:  {}",
        if c.settable { "yes" } else { "no (read-only)" }
    );
    let _ = writeln!(out, "  docs:        {}", cookbook_url(v, "pseudovariables"));
}

fn transformation(d: &Db, v: KamailioVersion, q: &str, out: &mut String) {
    let Some((class, sub)) = q.split_once('.') else {
        return;
    };
    let sub = sub.split(',').next().unwrap_or(sub);
    let Some(t) = d.transformation(class, sub) else {
        return;
    };
    sep(out);
    let _ = writeln!(out, "transformation {{{}.{}}}", t.class, t.name);
    let params = if t.min_params == t.max_params {
        t.min_params.to_string()
    } else {
        format!("{} to {}", t.min_params, t.max_params)
    };
    let _ = writeln!(out, "  parameters:  {params}");
    let _ = writeln!(out, "  provided by: {}", t.module);
    let _ = writeln!(out, "  docs:        {}", cookbook_url(v, "transformations"));
}

fn suggest_transformation(d: &Db, q: &str) -> Vec<String> {
    let all: Vec<String> = d
        .transformations()
        .map(|t| format!("{}.{}", t.class, t.name))
        .collect();
    suggest(q, all.iter().map(String::as_str))
        .map(|s| format!("{{{s}}}"))
        .into_iter()
        .collect()
}

fn kemi(d: &Db, v: KamailioVersion, path: &str, out: &mut String) {
    for k in d.kemi_all(path) {
        sep(out);
        let _ = writeln!(out, "KEMI {}", k.ksr);
        let _ = writeln!(out, "  parameters:  ({})", k.params.join(", "));
        let _ = writeln!(out, "  returns:     {}", k.ret);
        let _ = writeln!(out, "  provided by: {}", k.provided_by);
        if k.provided_by != "core" {
            let _ = writeln!(out, "  loadmodule:  {}", loadmodule_of(d, k.provided_by));
            let _ = writeln!(out, "  docs:        {}", module_url(v, k.provided_by, None));
        }
    }
    if out.is_empty() {
        // KSR.x.* of the app_* modules
        if let Some(name) = path.strip_prefix("x.") {
            let providers: Vec<&str> = d
                .kemi_x_functions()
                .filter(|(_, n)| *n == name)
                .map(|(m, _)| m)
                .collect();
            if !providers.is_empty() {
                let _ = writeln!(out, "KEMI KSR.x.{name}");
                let _ = writeln!(
                    out,
                    "  provided by: {} (each for its own language)",
                    providers.join(", ")
                );
            }
        }
    }
}

fn suggest_kemi(d: &Db, q: &str) -> Vec<String> {
    suggest(q, d.kemi_functions().map(|k| k.ksr))
        .map(str::to_string)
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(q: &str) -> String {
        lookup(KamailioVersion::V5_6, q).unwrap_or_else(|s| panic!("{q}: not found, {s:?}"))
    }

    #[test]
    fn each_kind() {
        let t = ok("t_relay");
        assert!(t.contains("function t_relay  (module tm)"), "{t}");
        assert!(
            t.contains("https://www.kamailio.org/docs/modules/5.6.x/modules/tm.html#tm.f.t_relay")
        );
        assert!(ok("$ru").contains("assignable:  yes"));
        assert!(ok("$si").contains("no (read-only)"));
        assert!(ok("$avp(x)").contains("pseudo-variable $avp"));
        assert!(ok("tm.fr_timer").contains("value:       integer"));
        assert!(ok("tm:fr_timer").contains("modparam(\"tm\", \"fr_timer\""));
        assert!(ok("{s.substr}").contains("parameters:  2"));
        assert!(ok("children").contains("core parameter children"));
        assert!(ok("KSR.tm.t_relay").contains("KEMI KSR.tm.t_relay"));
        assert!(ok("KSR.x.modf").contains("app_lua"));
        assert!(ok("tm").contains("module tm"));
        assert!(ok("drop").contains("core action"));
    }

    #[test]
    fn did_you_mean() {
        let s = |q: &str| lookup(KamailioVersion::V5_6, q).unwrap_err();
        assert_eq!(s("t_rely"), ["t_relay"]);
        assert_eq!(s("$ruu"), ["$ru"]);
        assert!(s("tm.fr_timr").contains(&"tm.fr_timer".to_string()));
        assert_eq!(s("KSR.tm.t_rely"), ["KSR.tm.t_relay"]);
        assert!(s("nonexistent_thing_xyz").is_empty());
    }

    #[test]
    fn versions_differ() {
        // send_reply_error is new in 6.0
        assert!(lookup(KamailioVersion::V5_6, "send_reply_error").is_err());
        assert!(lookup(KamailioVersion::V6_0, "send_reply_error").is_ok());
    }
}
