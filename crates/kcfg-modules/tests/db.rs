//! Checks the embedded tables against the JSON they were generated from.
//!
//! The JSON is read here, at test time, with serde_json; the library itself
//! never parses it. Comparing every row proves the embedding is complete and
//! faithful; the spot checks at the end are the ones `shared/kamailio-db`'s
//! README documents.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use kcfg_modules::*;
use serde_json::Value;

fn file_of(v: KamailioVersion) -> &'static str {
    match v {
        KamailioVersion::V5_6 => "kamailio-5.6.3.json",
        KamailioVersion::V6_0 => "kamailio-6.0.7.json",
        KamailioVersion::Master => "kamailio-master.json",
    }
}

fn json(v: KamailioVersion) -> &'static Value {
    static CACHE: OnceLock<Vec<Value>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        KamailioVersion::ALL
            .iter()
            .map(|v| {
                let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("data")
                    .join(file_of(*v));
                serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
            })
            .collect()
    });
    &all[KamailioVersion::ALL.iter().position(|x| *x == v).unwrap()]
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn count(j: &Value, key: &str) -> usize {
    j["counts"][key].as_u64().unwrap() as usize
}

fn modules_of(j: &Value) -> &serde_json::Map<String, Value> {
    j["modules"].as_object().unwrap()
}

// ---------------------------------------------------------------- counts

#[test]
fn counts_match_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        assert_eq!(d.version(), v);
        assert_eq!(d.source_tag(), j["source"]["tag"].as_str().unwrap());
        assert_eq!(d.source_commit(), j["source"]["commit"].as_str().unwrap());
        assert_eq!(v.full(), d.source_tag());

        assert_eq!(d.modules().count(), count(j, "modules"), "{v} modules");
        let all_variants: usize = d.modules().map(|m| m.functions().len()).sum();
        assert_eq!(all_variants, count(j, "function_variants"), "{v} variants");
        assert_eq!(
            d.all_functions().len(),
            count(j, "function_variants_script_callable"),
            "{v} script-callable variants"
        );
        assert_eq!(
            d.function_names().count(),
            count(j, "function_names_script_callable"),
            "{v} function names"
        );
        let nparams: usize = d.modules().map(|m| m.params().len()).sum();
        assert_eq!(nparams, count(j, "modparams"), "{v} modparams");
        assert_eq!(
            d.pv_classes().count(),
            count(j, "pv_classes_distinct"),
            "{v} pvs"
        );
        assert_eq!(
            d.kemi_functions().count(),
            count(j, "kemi_functions_modules") + count(j, "kemi_functions_core"),
            "{v} kemi"
        );
        assert_eq!(
            d.core_kemi_functions().len(),
            count(j, "kemi_functions_core")
        );
        assert_eq!(
            d.transformation_classes().count(),
            count(j, "transformation_classes"),
            "{v} tr classes"
        );
        assert_eq!(
            d.transformations().count(),
            count(j, "transformation_subnames"),
            "{v} tr subnames"
        );
        assert_eq!(
            d.event_routes().count(),
            count(j, "event_routes"),
            "{v} event routes"
        );
        assert_eq!(d.global_params().count(), count(j, "core_global_params"));
        assert_eq!(d.core_actions().count(), count(j, "core_actions"));
        assert_eq!(d.reserved_words().count(), count(j, "core_reserved_words"));
        // README's summary table, for the release we lint against by default
        if v == KamailioVersion::V6_0 {
            assert_eq!(d.modules().count(), 254);
            assert_eq!(d.function_names().count(), 1170);
            assert_eq!(d.kemi_functions().count(), 1365);
        }
    }
}

// ---------------------------------------------------------------- full tables

#[test]
fn every_function_row_matches_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        for (mname, m) in modules_of(j) {
            let rows = m["functions"].as_array().unwrap();
            let got = d.module_functions(mname);
            assert_eq!(got.len(), rows.len(), "{v} {mname}");
            for (f, r) in got.iter().zip(rows) {
                assert_eq!(f.name, r["name"].as_str().unwrap());
                assert_eq!(f.module, mname);
                assert_eq!(
                    f.nparams.map(i64::from),
                    r["nparams"].as_i64(),
                    "{v} {mname}.{}",
                    f.name
                );
                assert_eq!(f.var_params, r["var_params"].as_bool().unwrap());
                assert_eq!(f.script_callable, r["script_callable"].as_bool().unwrap());
                assert_eq!(u64::from(f.route_types), r["flags_value"].as_u64().unwrap());
                assert_eq!(f.fixup, r["fixup"].as_str());
                assert_eq!(f.cond, strs(&r["cond"]).as_slice());
                let want: BTreeSet<&str> = strs(&r["allowed_in"]).into_iter().collect();
                let got: BTreeSet<&str> = f.allowed_in.iter().map(BlockKind::id).collect();
                assert_eq!(got, want, "{v} {mname}.{} allowed_in", f.name);
                if f.script_callable {
                    assert!(d.functions(f.name).contains(f));
                } else {
                    assert!(!d.functions(f.name).contains(f));
                }
            }
        }
        // function_index: name -> modules exporting a script-callable variant
        for (name, mods) in j["function_index"].as_object().unwrap() {
            let got: BTreeSet<&str> = d.functions(name).iter().map(|f| f.module).collect();
            let want: BTreeSet<&str> = strs(mods).into_iter().collect();
            assert_eq!(got, want, "{v} function_index {name}");
        }
        assert!(d.functions("no_such_function_xyz").is_empty());
    }
}

#[test]
fn every_modparam_matches_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        for (mname, m) in modules_of(j) {
            let mut want: Vec<(&str, &str, bool)> = m["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap(),
                        p["type"].as_str().unwrap(),
                        p["use_func"].as_bool().unwrap(),
                    )
                })
                .collect();
            want.sort();
            let mut got: Vec<(&str, &str, bool)> = d
                .modparams(mname)
                .iter()
                .map(|p| {
                    let ty = match p.ty {
                        ParamType::Int => "int",
                        ParamType::Str => "str",
                        ParamType::String => "string",
                        ParamType::Var => "var",
                    };
                    (p.name, ty, p.use_func)
                })
                .collect();
            got.sort();
            assert_eq!(got, want, "{v} {mname}");
            for (name, ..) in &want {
                assert!(d
                    .modparam(mname, name)
                    .all(|p| p.name == *name && p.module == mname));
                assert!(
                    d.modparam(mname, name).next().is_some(),
                    "{v} {mname}.{name}"
                );
            }
        }
    }
}

#[test]
fn every_pv_matches_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        for (name, pv) in j["pvs"].as_object().unwrap() {
            let p = d.pv_class(name).unwrap_or_else(|| panic!("{v} ${name}"));
            assert_eq!(p.name, name);
            assert_eq!(p.modules, strs(&pv["modules"]).as_slice());
            assert_eq!(p.has_name, pv["has_name"].as_bool().unwrap());
            assert_eq!(p.has_index, pv["has_index"].as_bool().unwrap());
            assert_eq!(p.settable, pv["settable"].as_bool().unwrap());
            assert_eq!(p.syntax, pv["syntax"].as_str().unwrap());
            assert_eq!(p.ty, pv["type"].as_str().unwrap());
        }
        // module-level lists agree with the index
        for m in d.modules() {
            for pv in m.pv_classes {
                assert!(
                    d.pv_class(pv).unwrap().modules.contains(&m.name),
                    "{v} {pv}"
                );
            }
        }
    }
}

#[test]
fn every_kemi_function_matches_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        let check = |k: &Value, provided_by: &str| {
            let ksr = k["ksr"].as_str().unwrap();
            let found = d
                .kemi_all(ksr)
                .find(|f| f.provided_by == provided_by)
                .unwrap_or_else(|| panic!("{v} {ksr} from {provided_by}"));
            assert_eq!(found.module, k["module"].as_str().unwrap());
            assert_eq!(found.name, k["name"].as_str().unwrap());
            assert_eq!(found.params, strs(&k["params"]).as_slice());
            assert_eq!(found.ret, k["return"].as_str().unwrap());
            // the short form resolves too
            let short = ksr.strip_prefix("KSR.").unwrap();
            assert!(d.kemi(short).is_some(), "{v} {short}");
        };
        for k in j["core"]["kemi"].as_array().unwrap() {
            check(k, "core");
        }
        for (mname, m) in modules_of(j) {
            for k in m["kemi"].as_array().unwrap() {
                check(k, mname);
            }
            assert_eq!(
                d.module(mname).unwrap().kemi().len(),
                m["kemi"].as_array().unwrap().len()
            );
            assert_eq!(
                d.module(mname).unwrap().kemi_x_functions,
                strs(&m["kemi_x_functions"]).as_slice()
            );
        }
    }
}

#[test]
fn every_transformation_matches_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        for (class, t) in j["transformations"].as_object().unwrap() {
            assert!(d.transformation_class_exists(class));
            let subs = t["subnames"].as_object().unwrap();
            assert_eq!(d.transformation_class(class).len(), subs.len());
            for (sub, s) in subs {
                let tr = d.transformation(class, sub).unwrap();
                assert_eq!(u64::from(tr.min_params), s["min_params"].as_u64().unwrap());
                assert_eq!(u64::from(tr.max_params), s["max_params"].as_u64().unwrap());
                assert_eq!(tr.unmatchable, s["unmatchable"].as_bool().unwrap_or(false));
                assert_eq!(tr.module, t["module"].as_str().unwrap());
            }
        }
        assert!(!d.transformation_class_exists("nosuchclass"));
        assert!(d.transformation("s", "nosuchsub").is_none());
    }
}

#[test]
fn every_event_route_matches_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let d = db(v);
        for (name, mods) in j["event_routes"].as_object().unwrap() {
            let e = d.event_route(name).unwrap_or_else(|| panic!("{v} {name}"));
            assert_eq!(e.name, name);
            assert_eq!(e.modules, strs(mods).as_slice());
        }
        // Documentation examples of dynamic names are not in the index; they
        // must resolve to their family through the dynamic-suffix rule.
        let prefix = "documentation example of a dynamic name built on ";
        let mut n = 0;
        for m in modules_of(j).values() {
            for e in m["event_routes"].as_array().unwrap() {
                let name = e["name"].as_str().unwrap();
                for ev in strs(&e["evidence"]) {
                    if let Some(family) = ev.strip_prefix(prefix) {
                        let got = d.event_route(name).unwrap_or_else(|| panic!("{v} {name}"));
                        assert_eq!(got.name, family, "{v} {name}");
                        assert!(got.dynamic_suffix);
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 0);
        // dynamic flags as in the module entries
        for m in modules_of(j).values() {
            for e in m["event_routes"].as_array().unwrap() {
                if e["dynamic_suffix"].as_bool().unwrap() {
                    let r = d.event_route(e["name"].as_str().unwrap()).unwrap();
                    assert!(r.dynamic_suffix);
                    assert_eq!(r.suffix_separator, e["suffix_separator"].as_str());
                }
            }
        }
    }
}

#[test]
fn core_language_tables_match_json() {
    for v in KamailioVersion::ALL {
        let j = json(v);
        let core = &j["core"];
        let d = db(v);
        for g in core["global_params"].as_array().unwrap() {
            for name in strs(&g["names"]) {
                let p = d.global_param(name).unwrap_or_else(|| panic!("{v} {name}"));
                assert_eq!(p.names, strs(&g["names"]).as_slice());
                assert_eq!(p.value_types, strs(&g["value_types"]).as_slice());
            }
        }
        for a in core["actions"].as_array().unwrap() {
            let nargs: Vec<String> = a["nargs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| match x {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            for name in strs(&a["names"]) {
                let act = d.core_action(name).unwrap_or_else(|| panic!("{v} {name}"));
                assert_eq!(act.names, strs(&a["names"]).as_slice());
                assert_eq!(
                    act.nargs,
                    nargs
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .as_slice()
                );
                assert_eq!(
                    act.allowed_in_onsend_route,
                    a["allowed_in_onsend_route"].as_bool().unwrap()
                );
            }
        }
        for w in strs(&core["reserved_words"]) {
            assert!(d.is_reserved_word(w), "{v} {w}");
        }
        assert!(!d.is_reserved_word("t_relay"));

        let pp: Vec<(&str, &[&str])> = d.preprocessor_directives().collect();
        let want: Vec<(&str, Vec<&str>)> = core["preprocessor_directives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["directive"].as_str().unwrap(), strs(&x["spellings"])))
            .collect();
        assert_eq!(pp.len(), want.len());
        for ((d1, s1), (d2, s2)) in pp.iter().zip(&want) {
            assert_eq!(d1, d2);
            assert_eq!(*s1, s2.as_slice());
        }

        let ops: Vec<_> = d.operators().collect();
        let want = core["operators"].as_array().unwrap();
        assert_eq!(ops.len(), want.len());
        for (o, w) in ops.iter().zip(want) {
            assert_eq!(o.token, w["token"].as_str().unwrap());
            assert_eq!(o.names, strs(&w["names"]).as_slice());
            assert_eq!(o.precedence.map(u64::from), w["precedence"].as_u64());
            let assoc = o.assoc.map(|a| match a {
                Assoc::Left => "left",
                Assoc::Right => "right",
                Assoc::NonAssoc => "nonassoc",
            });
            assert_eq!(assoc, w["assoc"].as_str());
        }

        // block spellings -> kinds, as in core.block_kinds
        for (id, k) in core["block_kinds"].as_object().unwrap() {
            let kind = BlockKind::from_id(id).unwrap();
            for sp in strs(&k["blocks"]) {
                let (kw, name) = match sp.split_once('[') {
                    Some((kw, rest)) => (kw, Some(rest.trim_end_matches(']'))),
                    None => (sp, None),
                };
                assert_eq!(d.block_kind(kw, name), Some(kind), "{v} {sp}");
            }
        }
    }
}

// ---------------------------------------------------------------- spot checks

#[test]
fn t_relay_has_0_and_2_param_variants() {
    for v in [KamailioVersion::V5_6, KamailioVersion::V6_0] {
        let d = db(v);
        let counts: BTreeSet<Option<u8>> = d
            .functions("t_relay")
            .iter()
            .filter(|f| f.module == "tm")
            .map(|f| f.nparams)
            .collect();
        assert_eq!(counts, BTreeSet::from([Some(0), Some(2)]), "{v}");
        assert!(d
            .functions("t_relay")
            .iter()
            .all(|f| f.allowed_in.contains(BlockKind::Request)));
    }
}

#[test]
fn sl_send_reply_blocks() {
    // The JSON (and the live 5.6.3 oracle) say REQUEST_ROUTE only: allowed
    // in request routes and event routes, *not* in failure_route.
    for v in KamailioVersion::ALL {
        let j = json(v);
        let want: Vec<BlockKinds> = j["modules"]["sl"]["functions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["name"] == "sl_send_reply")
            .map(|f| {
                strs(&f["allowed_in"])
                    .into_iter()
                    .map(|id| BlockKind::from_id(id).unwrap())
                    .collect()
            })
            .collect();
        let fs = db(v).functions("sl_send_reply");
        assert!(!fs.is_empty());
        assert_eq!(fs.iter().map(|f| f.allowed_in).collect::<Vec<_>>(), want);
        for f in fs {
            assert_eq!(f.module, "sl");
            assert_eq!(f.nparams, Some(2));
            assert!(f.accepts_nargs(2) && !f.accepts_nargs(1));
            assert!(f.allowed_in.contains(BlockKind::Request));
            assert!(f.allowed_in.contains(BlockKind::Event));
            assert!(!f.allowed_in.contains(BlockKind::OnSend));
            assert!(!f.allowed_in.contains(BlockKind::Failure));
            assert!(!f.allowed_in.contains(BlockKind::Branch));
        }
    }
    // send_reply (also sl) is allowed in failure_route
    let sr = db(KamailioVersion::V6_0).functions("send_reply");
    assert!(sr
        .iter()
        .any(|f| f.nparams == Some(2) && f.allowed_in.contains(BlockKind::Failure)));
}

#[test]
fn readme_function_spot_checks() {
    let d = db(KamailioVersion::V6_0);
    let counts = |m: &str, f: &str| -> BTreeSet<u8> {
        d.module_functions(m)
            .iter()
            .filter(|x| x.name == f && x.script_callable)
            .filter_map(|x| x.nparams)
            .collect()
    };
    assert_eq!(counts("tm", "t_on_failure"), BTreeSet::from([1]));
    assert_eq!(counts("sl", "send_reply"), BTreeSet::from([2]));
    assert_eq!(
        counts("dispatcher", "ds_select_dst"),
        BTreeSet::from([2, 3])
    );
    assert_eq!(counts("textops", "is_method"), BTreeSet::from([1]));
    assert_eq!(
        counts("maxfwd", "mf_process_maxfwd_header"),
        BTreeSet::from([1])
    );
    assert_eq!(counts("sqlops", "sql_query"), BTreeSet::from([2, 3]));
    assert_eq!(counts("sqlops", "sql_pvquery"), BTreeSet::from([3]));
    assert_eq!(counts("mqueue", "mq_add"), BTreeSet::from([3]));
    assert_eq!(counts("jansson", "jansson_get"), BTreeSet::from([3]));
    // var_params: lcr.load_gws
    assert!(d
        .functions("load_gws")
        .iter()
        .any(|f| f.var_params && f.accepts_nargs(7)));
    // non-script-callable rows are in module_functions only
    assert!(d.module_functions("sl").iter().any(|f| !f.script_callable));
    assert!(d.functions("bind_sl").is_empty());
}

#[test]
fn modparam_checks() {
    let d = db(KamailioVersion::V6_0);
    let fr: Vec<_> = d.modparam("tm", "fr_timer").collect();
    assert_eq!(fr.len(), 1);
    assert_eq!(fr[0].ty, ParamType::Int);
    assert!(fr[0].ty.accepts_int() && !fr[0].ty.accepts_string());
    // jsonrpcs fifo_user: one name, two types
    let tys: HashSet<ParamType> = d.modparam("jsonrpcs", "fifo_user").map(|p| p.ty).collect();
    assert_eq!(tys.len(), 2);
    assert_eq!(d.modparam("tm", "no_such_param").count(), 0);
    assert_eq!(d.modparam("no_such_module", "x").count(), 0);
    assert!(d.modparams("no_such_module").is_empty());
    // sorted by name within a module
    let names: Vec<&str> = d.modparams("tm").iter().map(|p| p.name).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn pv_checks() {
    let d = db(KamailioVersion::V6_0);
    let ru = d.pv_class("ru").unwrap();
    assert!(ru.settable);
    assert_eq!(ru.modules, ["pv"]);
    assert_eq!(d.pv_class("$ru"), Some(ru));
    assert!(!d.pv_class("si").unwrap().settable);
    for name in [
        "rU", "fu", "fU", "si", "ci", "rs", "Ts", "TS", "TV", "avp", "xavp", "var", "hdr",
        "dlg_var",
    ] {
        assert!(d.pv_class(name).is_some(), "${name}");
    }
    assert!(d.pv_class("avp").unwrap().has_name);
    assert_eq!(d.pv_class("?").unwrap().modules, ["core"]);
    assert_eq!(d.pv_class("err.class").unwrap().syntax, "$(err.class)");
    assert!(d.pv_class("nosuchpv").is_none());
}

#[test]
fn transformation_checks() {
    for v in KamailioVersion::ALL {
        let d = db(v);
        let t = d.transformation("s", "substr").unwrap();
        assert_eq!((t.min_params, t.max_params), (2, 2));
        assert!(!t.unmatchable);
        let p = d.transformation("param", "value").unwrap();
        assert_eq!((p.min_params, p.max_params), (1, 2));
        assert!(
            d.transformation("json", "encode").unwrap().unmatchable,
            "{v}"
        );
        assert!(d.transformation_class_exists("uri"));
    }
}

#[test]
fn event_route_checks() {
    let d = db(KamailioVersion::V6_0);
    let e = d.event_route("htable:mod-init").unwrap();
    assert_eq!(e.modules, ["htable"]);
    assert!(!e.dynamic_suffix);

    let bf = d.event_route("tm:branch-failure:myroute").unwrap();
    assert_eq!(bf.name, "tm:branch-failure");
    assert!(bf.dynamic_suffix);
    assert_eq!(bf.suffix_separator, Some(":"));

    let ex = d.event_route("htable:expired:mytable").unwrap();
    assert_eq!(ex.name, "htable:expired");
    // the dash-separated family
    assert_eq!(
        d.event_route("kazoo:consumer-event-foo").unwrap().name,
        "kazoo:consumer-event"
    );

    // a bare separator without a suffix is not a match, neither is a sibling
    assert!(d.event_route("tm:branch-failure:").is_none());
    assert!(d.event_route("tm:branch-failurex").is_none());
    assert!(d.event_route("nosuch:route").is_none());
    assert_eq!(
        d.event_route("core:worker-one-init").unwrap().modules,
        ["core"]
    );
    assert!(d.event_route_name_pattern().contains(':'));
}

#[test]
fn module_lookup() {
    let d = db(KamailioVersion::V6_0);
    let tm = d.module("tm").unwrap();
    assert_eq!(tm.loadmodule, "tm.so");
    for arg in [
        "tm",
        "tm.so",
        "/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so",
        "modules/tm.so",
    ] {
        assert_eq!(d.module_by_file(arg), Some(tm), "{arg}");
    }
    assert!(d.module_by_file("nosuch.so").is_none());
    assert_eq!(d.module("tlsa").unwrap().exports_name, Some("tls"));
    assert_eq!(tm.version(), KamailioVersion::V6_0);
    assert!(tm.functions().iter().any(|f| f.name == "t_relay"));
    assert!(d
        .module("htable")
        .unwrap()
        .event_routes
        .contains(&"htable:mod-init"));
    // sorted
    let names: Vec<&str> = d.modules().map(|m| m.name).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn kemi_lookup() {
    let d = db(KamailioVersion::V6_0);
    let k = d.kemi("KSR.tm.t_relay").unwrap();
    assert_eq!(d.kemi("tm.t_relay"), Some(k));
    assert_eq!(k.provided_by, "tm");
    assert_eq!(k.module, "tm");
    assert_eq!(d.kemi("KSR.info").unwrap().provided_by, "core");
    assert_eq!(d.kemi("info").unwrap().ksr, "KSR.info");
    // KSR sub-module differs from the directory: pv -> pvx
    assert!(d
        .kemi_functions()
        .any(|k| k.provided_by == "pv" && k.module == "pvx"));
    // one path from several modules
    assert!(d.kemi_all("KSR.tls.cget").count() >= 2);
    assert!(d.kemi("KSR.tm.no_such").is_none());
    assert!(d
        .kemi_x_functions()
        .any(|(m, n)| m == "app_lua" && n == "modf"));
}

#[test]
fn core_checks() {
    let d = db(KamailioVersion::V6_0);
    let shm = d.global_param("shm_mem_size").unwrap();
    assert_eq!(d.global_param("shm"), Some(shm));
    assert!(d.global_param("no_such_param").is_none());
    assert_eq!(d.core_action("seth"), d.core_action("rewritehost"));
    assert!(d.core_action("drop").is_some());
    assert!(d.is_reserved_word("port"));
    assert!(d.is_reserved_word("method"));
    assert!(!d.is_reserved_word("PORT_no_such"));
    let (_, def) = d
        .preprocessor_directives()
        .find(|(dir, _)| *dir == "DEFINE")
        .unwrap();
    assert!(def.contains(&"#!define") && def.contains(&"!!def"));
    assert_eq!(
        d.preprocessor_directive("#!ifdef").unwrap().directive,
        "IFDEF"
    );
    let and = d.operator("&&").unwrap();
    assert_eq!(and.names, ["and", "&&"]);
    assert!(d.operator("*").unwrap().precedence > and.precedence);
    assert_eq!(
        d.block_kind("onreply_route", Some("0")),
        Some(BlockKind::OnReplyCore)
    );
    assert_eq!(
        d.block_kind("onreply_route", Some("x")),
        Some(BlockKind::OnReplyTm)
    );
    assert_eq!(
        d.block_kind("onreply_route", None),
        Some(BlockKind::OnReplyCore)
    );
    assert_eq!(d.block_kind("route", Some("FOO")), Some(BlockKind::Request));
    assert_eq!(
        d.block_kind("event_route", Some("htable:mod-init")),
        Some(BlockKind::Event)
    );
    assert_eq!(d.block_kind("event_route", None), None);
    assert_eq!(d.block_kind("t_relay", None), None);
    assert!(d.condition_keywords().any(|c| c.onsend_only));
    assert!(d
        .value_keywords()
        .any(|(t, s)| t == "YES" && s.contains(&"on")));
    assert!(d.module_statements().any(|(n, _)| n.contains(&"modparam")));
}

// ---------------------------------------------------------------- versions

#[test]
fn version_parsing() {
    use KamailioVersion::*;
    for (s, v) in [
        ("5.6", V5_6),
        ("5.6.3", V5_6),
        ("5.6.0", V5_6),
        ("6.0", V6_0),
        ("6.0.7", V6_0),
        ("v6.0.7", V6_0),
        ("master", Master),
        ("MASTER", Master),
    ] {
        assert_eq!(KamailioVersion::parse(s), Some(v), "{s}");
        assert_eq!(s.parse::<KamailioVersion>(), Ok(v));
    }
    for s in ["", "5", "5.7", "6.1", "6.0.x", "6.0.7.1", "6.0.", "main"] {
        assert_eq!(KamailioVersion::parse(s), None, "{s}");
    }
    assert_eq!(KamailioVersion::default(), V6_0);
    assert_eq!(V5_6.full(), "5.6.3");
    assert_eq!(V6_0.full(), "6.0.7");
    assert_eq!(Master.full(), "master");
    for v in KamailioVersion::ALL {
        assert_eq!(KamailioVersion::parse(v.as_str()), Some(v));
        assert_eq!(KamailioVersion::parse(v.full()), Some(v));
    }
}

#[test]
fn versions_with_function_from_data() {
    use KamailioVersion::*;
    // Found with a script over function_index: new in 6.0.7, kept in master.
    assert_eq!(versions_with_function("async_tkv_emit"), vec![V6_0, Master]);
    assert_eq!(versions_with_function("t_relay"), vec![V5_6, V6_0, Master]);
    assert!(versions_with_function("no_such_function_xyz").is_empty());

    // And the same property, derived from the JSON for every name.
    let idx = |v| -> BTreeMap<String, Value> {
        json(v)["function_index"]
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .collect()
    };
    let (a, b, c) = (idx(V5_6), idx(V6_0), idx(Master));
    let mut n = 0;
    for name in b.keys() {
        let want: Vec<_> = [(V5_6, &a), (V6_0, &b), (Master, &c)]
            .into_iter()
            .filter(|(_, m)| m.contains_key(name))
            .map(|(v, _)| v)
            .collect();
        assert_eq!(versions_with_function(name), want, "{name}");
        if want == [V6_0, Master] {
            n += 1;
        }
    }
    assert!(n > 0);
}

#[test]
fn versions_with_pv_and_modparam() {
    use KamailioVersion::*;
    assert_eq!(versions_with_pv("ru"), vec![V5_6, V6_0, Master]);
    assert_eq!(
        versions_with_modparam("tm", "fr_timer"),
        vec![V5_6, V6_0, Master]
    );
    assert!(versions_with_pv("nosuchpv").is_empty());
    // data-driven: a PV and a modparam new in 6.0.7
    let pvs5 = json(V5_6)["pvs"].as_object().unwrap();
    let pv_new = json(V6_0)["pvs"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| !pvs5.contains_key(*k))
        .unwrap();
    assert!(!versions_with_pv(pv_new).contains(&V5_6));
    assert!(versions_with_pv(pv_new).contains(&V6_0));
    assert_eq!(versions_with_modparam("async", "mode"), {
        let mut v = vec![];
        for ver in KamailioVersion::ALL {
            if json(ver)["modules"]["async"]["params"]
                .as_array()
                .is_some_and(|a| a.iter().any(|p| p["name"] == "mode"))
            {
                v.push(ver);
            }
        }
        v
    });
    assert!(!versions_with_modparam("async", "mode").contains(&V5_6));
    assert_eq!(versions_with_module("tm"), vec![V5_6, V6_0, Master]);
    assert_eq!(
        versions_with_kemi("KSR.tm.t_relay"),
        vec![V5_6, V6_0, Master]
    );
}

#[test]
fn block_kinds_set() {
    let s: BlockKinds = [BlockKind::Request, BlockKind::Event].into_iter().collect();
    assert!(s.contains(BlockKind::Request) && !s.contains(BlockKind::Failure));
    assert_eq!(s.len(), 2);
    assert_eq!(
        s.iter().collect::<Vec<_>>(),
        [BlockKind::Request, BlockKind::Event]
    );
    assert!(BlockKinds::EMPTY.is_empty());
    assert_eq!(BlockKinds::ALL.len(), 7);
    assert_eq!(format!("{s:?}"), "{Request, Event}");
    for k in BlockKind::ALL {
        assert_eq!(BlockKind::from_id(k.id()), Some(k));
    }
}
