//! Build script: turns `data/kamailio-*.json` into static Rust tables.
//!
//! The JSON files (~2 MB each) are parsed here, once, at compile time. The
//! output is `$OUT_DIR/kamailio_db.rs`, which `src/lib.rs` `include!`s. It
//! contains only `static` arrays of plain structs whose fields are
//! `&'static str` literals, integers, booleans and references to other
//! statics, sorted so that the run-time lookups are binary searches. Nothing
//! is parsed, allocated or lazily initialised when the program starts.
//!
//! To keep rustc's work small, every distinct string *list* (PV module lists,
//! KEMI parameter lists, spellings, `#if` conditions, ...) is emitted once as
//! its own `static` array and shared by reference across all versions.
//!
//! No fact is typed in here: every name, count and flag comes from the JSON.
//! The only fixed vocabulary is the schema itself (field names, the block-kind
//! ids of `core.block_kinds`, the modparam type names and the associativity
//! names), and the script panics if the data uses a value outside it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// (file, Rust version variant, prefix for the generated statics).
const VERSIONS: [(&str, &str, &str); 3] = [
    ("kamailio-5.6.3.json", "V5_6", "V56"),
    ("kamailio-6.0.7.json", "V6_0", "V60"),
    ("kamailio-master.json", "Master", "VMA"),
];

/// Block-kind ids of `core.block_kinds`, in the bit order of `BlockKinds`.
const BLOCK_KIND_IDS: [(&str, &str); 7] = [
    ("request", "Request"),
    ("failure", "Failure"),
    ("onreply_core", "OnReplyCore"),
    ("onreply_tm", "OnReplyTm"),
    ("branch", "Branch"),
    ("onsend", "OnSend"),
    ("event", "Event"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let data = manifest.join("data");
    println!("cargo:rerun-if-changed=build.rs");
    for (file, _, _) in VERSIONS {
        println!("cargo:rerun-if-changed={}", data.join(file).display());
    }

    let mut g = Gen::default();
    for (file, variant, prefix) in VERSIONS {
        let json = load(&data.join(file));
        g.version(&json, variant, prefix);
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("kamailio_db.rs");
    std::fs::write(&out, g.finish()).unwrap();
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
    assert_eq!(
        v["schema_version"].as_u64(),
        Some(1),
        "{}: unsupported schema_version",
        path.display()
    );
    v
}

// ---------------------------------------------------------------- helpers

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    static EMPTY: Vec<Value> = Vec::new();
    match v {
        Value::Null => &EMPTY,
        Value::Array(a) => a,
        _ => panic!("expected an array, got {v}"),
    }
}

fn obj(v: &Value) -> &serde_json::Map<String, Value> {
    v.as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
}

fn b(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(x) => *x,
        _ => panic!("expected a bool, got {v}"),
    }
}

fn strs(v: &Value) -> Vec<String> {
    arr(v).iter().map(|x| s(x).to_string()).collect()
}

/// A Rust string literal.
fn lit(x: &str) -> String {
    format!("{x:?}")
}

fn opt_lit(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        _ => format!("Some({})", lit(s(v))),
    }
}

fn u8_of(v: &Value) -> u8 {
    let n = v
        .as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"));
    u8::try_from(n).unwrap_or_else(|_| panic!("{n} does not fit u8"))
}

fn block_kind_variant(id: &str) -> &'static str {
    BLOCK_KIND_IDS
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("unknown block kind id {id:?}"))
}

fn block_kinds_bits(v: &Value) -> u8 {
    let mut bits = 0u8;
    for id in arr(v) {
        let id = s(id);
        let i = BLOCK_KIND_IDS
            .iter()
            .position(|(k, _)| *k == id)
            .unwrap_or_else(|| panic!("unknown block kind id {id:?} in allowed_in"));
        bits |= 1 << i;
    }
    bits
}

// ---------------------------------------------------------------- generator

#[derive(Default)]
struct Gen {
    /// distinct string lists -> id of `static SL<id>`
    lists: HashMap<Vec<String>, usize>,
    list_order: Vec<Vec<String>>,
    body: String,
}

impl Gen {
    /// Reference expression for a string list, interned.
    fn list(&mut self, items: Vec<String>) -> String {
        if items.is_empty() {
            return "&[]".into();
        }
        let next = self.list_order.len();
        let id = *self.lists.entry(items.clone()).or_insert_with(|| {
            self.list_order.push(items);
            next
        });
        format!("&SL{id}")
    }

    fn finish(self) -> String {
        let mut out = String::with_capacity(self.body.len() + 64 * self.list_order.len());
        out.push_str("// @generated by kcfg-modules/build.rs from data/*.json. Do not edit.\n");
        for (id, items) in self.list_order.iter().enumerate() {
            let _ = write!(out, "static SL{id}: [&str; {}] = [", items.len());
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&lit(it));
            }
            out.push_str("];\n");
        }
        out.push_str(&self.body);
        out
    }

    fn version(&mut self, j: &Value, variant: &str, p: &str) {
        let core = &j["core"];
        let modules = obj(&j["modules"]);
        // BTreeMap order == byte-wise str order, which is what the run-time
        // binary searches use.
        let modules: BTreeMap<&str, &Value> =
            modules.iter().map(|(k, v)| (k.as_str(), v)).collect();

        // block_kinds sanity: every id must be known
        let block_kinds = obj(&core["block_kinds"]);
        for id in block_kinds.keys() {
            block_kind_variant(id);
        }

        let mut o = String::new();

        // ---- functions (grouped by module, source order) ----------------
        let mut funcs = Vec::new(); // (name, module, literal, script_callable)
        let mut fn_ranges = HashMap::new();
        for (&mname, m) in &modules {
            let start = funcs.len();
            for f in arr(&m["functions"]) {
                let name = s(&f["name"]).to_string();
                let nparams = match &f["nparams"] {
                    Value::Null => "None".to_string(),
                    v => format!("Some({})", u8_of(v)),
                };
                let route_types = f["flags_value"]
                    .as_u64()
                    .and_then(|x| u32::try_from(x).ok())
                    .unwrap_or_else(|| panic!("{mname}.{name}: bad flags_value"));
                let cond = self.list(strs(&f["cond"]));
                let script_callable = b(&f["script_callable"]);
                let l = format!(
                    "FunctionVariant{{name:{},module:{},nparams:{nparams},var_params:{},allowed_in:BlockKinds({}),route_types:{route_types},fixup:{},script_callable:{script_callable},cond:{cond}}}",
                    lit(&name),
                    lit(mname),
                    b(&f["var_params"]),
                    block_kinds_bits(&f["allowed_in"]),
                    opt_lit(&f["fixup"]),
                );
                funcs.push((name, mname, l, script_callable));
            }
            fn_ranges.insert(mname, (start, funcs.len()));
        }
        emit_array(
            &mut o,
            &format!("{p}_FUNCS"),
            "FunctionVariant",
            funcs.iter().map(|f| f.2.as_str()),
        );
        let mut by_name: Vec<_> = funcs.iter().filter(|f| f.3).collect();
        by_name.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1))); // stable
        emit_array(
            &mut o,
            &format!("{p}_FUNCS_BY_NAME"),
            "FunctionVariant",
            by_name.iter().map(|f| f.2.as_str()),
        );
        // the first variant of each name, for the hash table
        let firsts: Vec<(String, usize)> = by_name
            .iter()
            .enumerate()
            .filter(|(i, f)| *i == 0 || by_name[i - 1].0 != f.0)
            .map(|(i, f)| (f.0.clone(), i))
            .collect();
        emit_hash(&mut o, &format!("{p}_FUNCS_HASH"), &firsts);

        // ---- modparams (grouped by module, sorted by name) --------------
        let mut params = Vec::new();
        let mut param_ranges = HashMap::new();
        for (&mname, m) in &modules {
            let start = params.len();
            let mut ps: Vec<&Value> = arr(&m["params"]).iter().collect();
            ps.sort_by(|a, b| s(&a["name"]).cmp(s(&b["name"]))); // stable
            for prm in ps {
                let ty = match s(&prm["type"]) {
                    "int" => "Int",
                    "str" => "Str",
                    "string" => "String",
                    "var" => "Var",
                    other => panic!("{mname}: unknown modparam type {other:?}"),
                };
                let cond = self.list(strs(&prm["cond"]));
                params.push(format!(
                    "ModParam{{module:{},name:{},ty:ParamType::{ty},use_func:{},cond:{cond}}}",
                    lit(mname),
                    lit(s(&prm["name"])),
                    b(&prm["use_func"]),
                ));
            }
            param_ranges.insert(mname, (start, params.len()));
        }
        emit_array(
            &mut o,
            &format!("{p}_PARAMS"),
            "ModParam",
            params.iter().map(String::as_str),
        );

        // ---- KEMI (core first, then modules; index sorted by path) ------
        let mut kemi = Vec::new(); // (ksr, literal)
        let mut kemi_ranges = HashMap::new();
        fn push_kemi(g: &mut Gen, k: &Value, provided_by: &str, kemi: &mut Vec<(String, String)>) {
            let params = g.list(strs(&k["params"]));
            kemi.push((
                s(&k["ksr"]).to_string(),
                format!(
                    "KemiFunction{{module:{},name:{},ksr:{},params:{params},ret:{},provided_by:{}}}",
                    lit(s(&k["module"])),
                    lit(s(&k["name"])),
                    lit(s(&k["ksr"])),
                    lit(s(&k["return"])),
                    lit(provided_by),
                ),
            ));
        }
        for k in arr(&core["kemi"]) {
            push_kemi(self, k, "core", &mut kemi);
        }
        let n_core_kemi = kemi.len();
        for (&mname, m) in &modules {
            let start = kemi.len();
            for k in arr(&m["kemi"]) {
                push_kemi(self, k, mname, &mut kemi);
            }
            kemi_ranges.insert(mname, (start, kemi.len()));
        }
        emit_array(
            &mut o,
            &format!("{p}_KEMI"),
            "KemiFunction",
            kemi.iter().map(|k| k.1.as_str()),
        );
        let mut kemi_idx: Vec<usize> = (0..kemi.len()).collect();
        kemi_idx.sort_by(|&a, &b| kemi[a].0.cmp(&kemi[b].0)); // stable: core, then module order
        let kemi_idx: Vec<String> = kemi_idx.iter().map(|i| i.to_string()).collect();
        emit_array(
            &mut o,
            &format!("{p}_KEMI_INDEX"),
            "u16",
            kemi_idx.iter().map(String::as_str),
        );
        assert!(kemi.len() < u16::MAX as usize);

        // ---- modules ----------------------------------------------------
        let mut mods = Vec::new();
        let mut kemi_x = Vec::new();
        for (&mname, m) in &modules {
            let fr = fn_ranges[mname];
            let pr = param_ranges[mname];
            let kr = kemi_ranges[mname];
            let pv_names = arr(&m["pvs"])
                .iter()
                .map(|pv| s(&pv["name"]).to_string())
                .collect();
            let pv_list = self.list(pv_names);
            let tr_list = self.list(strs(&m["transformation_classes"]));
            let ev_list = self.list(
                arr(&m["event_routes"])
                    .iter()
                    .map(|e| s(&e["name"]).to_string())
                    .collect(),
            );
            let kx = strs(&m["kemi_x_functions"]);
            for name in &kx {
                kemi_x.push(format!("({},{})", lit(mname), lit(name)));
            }
            let kx_list = self.list(kx);
            let incl = self.list(strs(&m["sources_included_from"]));
            mods.push(format!(
                "Module{{name:{},loadmodule:{},exports_name:{},exports_file:{},sources_included_from:{incl},pv_classes:{pv_list},transformation_classes:{tr_list},event_routes:{ev_list},kemi_x_functions:{kx_list},version:KamailioVersion::{variant},fns:({},{}),params:({},{}),kemi:({},{})}}",
                lit(mname),
                lit(s(&m["loadmodule"])),
                opt_lit(&m["exports_name"]),
                opt_lit(&m["exports_file"]),
                fr.0, fr.1, pr.0, pr.1, kr.0, kr.1,
            ));
        }
        emit_array(
            &mut o,
            &format!("{p}_MODULES"),
            "Module",
            mods.iter().map(String::as_str),
        );
        emit_array(
            &mut o,
            &format!("{p}_KEMI_X"),
            "(&str, &str)",
            kemi_x.iter().map(String::as_str),
        );

        // ---- PV classes (top-level index) -------------------------------
        let mut pvs = Vec::new();
        for (name, pv) in obj(&j["pvs"]) {
            let ms = self.list(strs(&pv["modules"]));
            pvs.push((
                name.clone(),
                format!(
                    "PvClass{{name:{},modules:{ms},has_name:{},has_index:{},settable:{},syntax:{},ty:{}}}",
                    lit(name),
                    b(&pv["has_name"]),
                    b(&pv["has_index"]),
                    b(&pv["settable"]),
                    lit(s(&pv["syntax"])),
                    lit(s(&pv["type"])),
                ),
            ));
        }
        pvs.sort();
        emit_array(
            &mut o,
            &format!("{p}_PVS"),
            "PvClass",
            pvs.iter().map(|x| x.1.as_str()),
        );

        // ---- transformations --------------------------------------------
        let mut trs = Vec::new();
        for (class, t) in obj(&j["transformations"]) {
            // two modules registering one class: {"variants": [...]}
            let variants: Vec<&Value> = match t.get("variants") {
                Some(v) => arr(v).iter().collect(),
                None => vec![t],
            };
            for t in variants {
                for (sub, d) in obj(&t["subnames"]) {
                    trs.push((
                        (class.clone(), sub.clone()),
                        format!(
                            "TransformSub{{class:{},name:{},min_params:{},max_params:{},unmatchable:{},module:{}}}",
                            lit(class),
                            lit(sub),
                            u8_of(&d["min_params"]),
                            u8_of(&d["max_params"]),
                            b(&d["unmatchable"]),
                            lit(s(&t["module"])),
                        ),
                    ));
                }
            }
        }
        trs.sort_by(|a, b| a.0.cmp(&b.0));
        emit_array(
            &mut o,
            &format!("{p}_TRANSFORMS"),
            "TransformSub",
            trs.iter().map(|x| x.1.as_str()),
        );

        // ---- event routes (top-level index, attributes merged) ----------
        let mut ev_entries: HashMap<&str, Vec<&Value>> = HashMap::new();
        for e in arr(&core["event_routes"]) {
            ev_entries.entry(s(&e["name"])).or_default().push(e);
        }
        for m in modules.values() {
            for e in arr(&m["event_routes"]) {
                ev_entries.entry(s(&e["name"])).or_default().push(e);
            }
        }
        let mut evs = Vec::new();
        for (name, ms) in obj(&j["event_routes"]) {
            let entries = ev_entries
                .get(name.as_str())
                .unwrap_or_else(|| panic!("event route {name} has no module entry"));
            let dynamic = entries.iter().any(|e| b(&e["dynamic_suffix"]));
            let exact = entries.iter().any(|e| b(&e["exact_name"]));
            let sep = entries
                .iter()
                .find(|e| !e["suffix_separator"].is_null())
                .map(|e| opt_lit(&e["suffix_separator"]))
                .unwrap_or_else(|| "None".into());
            let doc_only = entries.iter().all(|e| s(&e["found_in"]) == "doc");
            let documented = entries
                .iter()
                .any(|e| b(&e["documented"]) || s(&e["found_in"]) == "doc");
            let ml = self.list(strs(ms));
            evs.push((
                name.clone(),
                format!(
                    "EventRoute{{name:{},modules:{ml},exact_name:{exact},dynamic_suffix:{dynamic},suffix_separator:{sep},from_doc_only:{doc_only},documented:{documented}}}",
                    lit(name)
                ),
            ));
        }
        evs.sort();
        emit_array(
            &mut o,
            &format!("{p}_EVENT_ROUTES"),
            "EventRoute",
            evs.iter().map(|x| x.1.as_str()),
        );

        // ---- core: global params, actions (+ spelling indexes) ---------
        let mut gps = Vec::new();
        let mut gp_idx = Vec::new();
        for (i, g) in arr(&core["global_params"]).iter().enumerate() {
            let names = strs(&g["names"]);
            for n in &names {
                gp_idx.push((n.clone(), i));
            }
            let nl = self.list(names);
            let vt = self.list(strs(&g["value_types"]));
            let vf = self.list(strs(&g["value_forms"]));
            gps.push(format!(
                "GlobalParam{{names:{nl},value_types:{vt},token:{},value_forms:{vf}}}",
                lit(s(&g["token"]))
            ));
        }
        emit_array(
            &mut o,
            &format!("{p}_GLOBAL_PARAMS"),
            "GlobalParam",
            gps.iter().map(String::as_str),
        );
        emit_index(&mut o, &format!("{p}_GLOBAL_PARAM_INDEX"), gp_idx);

        let mut acts = Vec::new();
        let mut act_idx = Vec::new();
        for (i, a) in arr(&core["actions"]).iter().enumerate() {
            let names = strs(&a["names"]);
            for n in &names {
                act_idx.push((n.clone(), i));
            }
            let nl = self.list(names);
            let nargs: Vec<String> = arr(&a["nargs"])
                .iter()
                .map(|x| match x {
                    Value::String(t) => t.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => panic!("bad nargs entry {x}"),
                })
                .collect();
            let na = self.list(nargs);
            let at = self.list(strs(&a["action_types"]));
            let forms = self.list(strs(&a["forms"]));
            acts.push(format!(
                "CoreAction{{names:{nl},nargs:{na},allowed_in_onsend_route:{},token:{},grammar_rule:{},action_types:{at},forms:{forms}}}",
                b(&a["allowed_in_onsend_route"]),
                lit(s(&a["token"])),
                lit(s(&a["grammar_rule"])),
            ));
        }
        emit_array(
            &mut o,
            &format!("{p}_ACTIONS"),
            "CoreAction",
            acts.iter().map(String::as_str),
        );
        act_idx.sort();
        let act_pos: Vec<(String, usize)> = act_idx
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.clone(), i))
            .collect();
        emit_hash(&mut o, &format!("{p}_ACTION_HASH"), &act_pos);
        emit_index(&mut o, &format!("{p}_ACTION_INDEX"), act_idx);

        // ---- core: reserved words, directives, operators, keywords -----
        let mut reserved = strs(&core["reserved_words"]);
        reserved.sort();
        reserved.dedup();
        let reserved_pos: Vec<(String, usize)> = reserved
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i))
            .collect();
        emit_hash(&mut o, &format!("{p}_RESERVED_HASH"), &reserved_pos);
        let reserved: Vec<String> = reserved.iter().map(|w| lit(w)).collect();
        emit_array(
            &mut o,
            &format!("{p}_RESERVED"),
            "&str",
            reserved.iter().map(String::as_str),
        );

        let mut pps = Vec::new();
        for d in arr(&core["preprocessor_directives"]) {
            let sp = self.list(strs(&d["spellings"]));
            let st = self.list(strs(&d["states"]));
            pps.push(format!(
                "PreprocessorDirective{{directive:{},spellings:{sp},states:{st},kind:{},prefix_optional:{}}}",
                lit(s(&d["directive"])),
                opt_lit(&d["kind"]),
                b(&d["prefix_optional"]),
            ));
        }
        emit_array(
            &mut o,
            &format!("{p}_PREPROC"),
            "PreprocessorDirective",
            pps.iter().map(String::as_str),
        );

        let mut ops = Vec::new();
        for op in arr(&core["operators"]) {
            let nl = self.list(strs(&op["names"]));
            let prec = match &op["precedence"] {
                Value::Null => "None".to_string(),
                v => format!("Some({})", u8_of(v)),
            };
            let assoc = match &op["assoc"] {
                Value::Null => "None",
                v => match s(v) {
                    "left" => "Some(Assoc::Left)",
                    "right" => "Some(Assoc::Right)",
                    "nonassoc" => "Some(Assoc::NonAssoc)",
                    other => panic!("unknown assoc {other:?}"),
                },
            };
            ops.push(format!(
                "Operator{{token:{},names:{nl},precedence:{prec},assoc:{assoc}}}",
                lit(s(&op["token"]))
            ));
        }
        emit_array(
            &mut o,
            &format!("{p}_OPERATORS"),
            "Operator",
            ops.iter().map(String::as_str),
        );

        let mut cks = Vec::new();
        for c in arr(&core["condition_keywords"]) {
            let nl = self.list(strs(&c["names"]));
            cks.push(format!(
                "ConditionKeyword{{names:{nl},token:{},onsend_only:{}}}",
                lit(s(&c["token"])),
                b(&c["onsend_only"])
            ));
        }
        emit_array(
            &mut o,
            &format!("{p}_COND_KEYWORDS"),
            "ConditionKeyword",
            cks.iter().map(String::as_str),
        );

        let mut vks = Vec::new();
        for (tok, sp) in obj(&core["value_keywords"]) {
            let nl = self.list(strs(sp));
            vks.push(format!("({},{nl})", lit(tok)));
        }
        emit_array(
            &mut o,
            &format!("{p}_VALUE_KEYWORDS"),
            "(&str, &[&str])",
            vks.iter().map(String::as_str),
        );

        let mut mss = Vec::new();
        for m in arr(&core["module_statements"]) {
            let nl = self.list(strs(&m["names"]));
            let fl = self.list(strs(&m["forms"]));
            mss.push(format!("({nl},{fl})"));
        }
        emit_array(
            &mut o,
            &format!("{p}_MODULE_STATEMENTS"),
            "(&[&str], &[&str])",
            mss.iter().map(String::as_str),
        );

        // block spelling ("route", "route[name]", "onreply_route[0]") -> kind
        let mut blocks = Vec::new();
        for (id, k) in block_kinds {
            for sp in arr(&k["blocks"]) {
                blocks.push((s(sp).to_string(), block_kind_variant(id)));
            }
        }
        blocks.sort();
        let blocks_pos: Vec<(String, usize)> = blocks
            .iter()
            .enumerate()
            .map(|(i, (sp, _))| (sp.clone(), i))
            .collect();
        emit_hash(&mut o, &format!("{p}_BLOCKS_HASH"), &blocks_pos);
        let blocks: Vec<String> = blocks
            .iter()
            .map(|(sp, v)| format!("({},BlockKind::{v})", lit(sp)))
            .collect();
        emit_array(
            &mut o,
            &format!("{p}_BLOCKS"),
            "(&str, BlockKind)",
            blocks.iter().map(String::as_str),
        );

        // ---- the Db ------------------------------------------------------
        let src = &j["source"];
        let _ = writeln!(
            o,
            "pub(crate) static {p}_DB: Db = Db{{version:KamailioVersion::{variant},tag:{},commit:{},event_route_name_pattern:{},modules:&{p}_MODULES,funcs:&{p}_FUNCS,funcs_by_name:&{p}_FUNCS_BY_NAME,params:&{p}_PARAMS,pvs:&{p}_PVS,transforms:&{p}_TRANSFORMS,event_routes:&{p}_EVENT_ROUTES,global_params:&{p}_GLOBAL_PARAMS,global_param_index:&{p}_GLOBAL_PARAM_INDEX,actions:&{p}_ACTIONS,action_index:&{p}_ACTION_INDEX,reserved:&{p}_RESERVED,funcs_hash:&{p}_FUNCS_HASH,action_hash:&{p}_ACTION_HASH,reserved_hash:&{p}_RESERVED_HASH,blocks_hash:&{p}_BLOCKS_HASH,kemi:&{p}_KEMI,kemi_index:&{p}_KEMI_INDEX,kemi_core_len:{n_core_kemi},kemi_x:&{p}_KEMI_X,preproc:&{p}_PREPROC,operators:&{p}_OPERATORS,condition_keywords:&{p}_COND_KEYWORDS,value_keywords:&{p}_VALUE_KEYWORDS,module_statements:&{p}_MODULE_STATEMENTS,blocks:&{p}_BLOCKS}};",
            lit(s(&src["tag"])),
            lit(s(&src["commit"])),
            lit(s(&core["event_route_name_pattern"])),
        );
        let _ = writeln!(
            o,
            "pub(crate) const {p}_TAG: &str = {};",
            lit(s(&src["tag"]))
        );

        self.body.push_str(&o);
    }
}

fn emit_array<'a>(
    o: &mut String,
    name: &str,
    ty: &str,
    items: impl ExactSizeIterator<Item = &'a str>,
) {
    let _ = write!(o, "static {name}: [{ty}; {}] = [", items.len());
    for it in items {
        o.push_str(it);
        o.push_str(",\n");
    }
    o.push_str("];\n");
}

/// `[(spelling, index)]` sorted by spelling, for binary search.
fn emit_index(o: &mut String, name: &str, mut idx: Vec<(String, usize)>) {
    idx.sort();
    let lines: Vec<String> = idx
        .iter()
        .map(|(n, i)| {
            assert!(*i < u16::MAX as usize);
            format!("({},{i})", lit(n))
        })
        .collect();
    emit_array(o, name, "(&str, u16)", lines.iter().map(String::as_str));
}

/// FNV-1a (32 bit) of a name: the same function as `name_hash` in
/// `src/lib.rs` (the `hash_tables_find_every_key` test there fails if the
/// two differ).
fn name_hash(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// An open-addressing hash table of `(key, value)` pairs: a power-of-two
/// number of `u16` slots (at least twice the keys), each `value + 1` or 0 for
/// empty, linear probing from `name_hash(key)`. The key is not stored: the
/// lookup compares the entry the value points at.
fn emit_hash(o: &mut String, name: &str, keys: &[(String, usize)]) {
    let len = (keys.len() * 2).next_power_of_two().max(8);
    let mut slots = vec![0u16; len];
    for (k, v) in keys {
        assert!(*v + 1 < u16::MAX as usize, "{name}: value {v} too large");
        let mut i = name_hash(k.as_bytes()) as usize & (len - 1);
        while slots[i] != 0 {
            i = (i + 1) & (len - 1);
        }
        slots[i] = (*v + 1) as u16;
    }
    let _ = write!(o, "static {name}: [u16; {len}] = [");
    for v in &slots {
        let _ = write!(o, "{v},");
    }
    o.push_str("];\n");
}
