//! KC211 `mq-add-repeating-key`.

use std::collections::BTreeMap;

use crate::ctx::{call_args, pv_token, string_value};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC211",
    name: "mq-add-repeating-key",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`mq_add` into a queue with `addmode` 1 or 2, with a key that is the same for every event of a call",
    what: "Finds `mq_add(queue, key, value)` whose key is only a per-call value (`$ci`, `$ft`, `$tt`, `$fu`, `$tu`, `$ru`, `$rU`, `$fU`, `$tU`) while the queue is declared with `addmode=1` or `addmode=2`.",
    why: "Measured on Kamailio 5.6.3: with `modparam(\"mqueue\", \"mqueue\", \"name=q;addmode=1\")` a second `mq_add` with the same key is dropped (the oldest item stays); with `addmode=2` it replaces the earlier item. Keyed by `$ci`, the INVITE, 180 and 200 of one call are one key, so all but one event are silently lost.",
    example: "loadmodule \"pv.so\"\nloadmodule \"mqueue.so\"\nmodparam(\"mqueue\", \"mqueue\", \"name=events;addmode=1\")\nrequest_route {\n\tmq_add(\"events\", \"$ci\", \"$rm\");\n\texit;\n}\n",
    fix: "Make the key unique per event (`\"$ci-$cs-$rm-$TV(Sn)\"`), or use the default `addmode=0` if every item must be kept.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"mqueue.so\"\nmodparam(\"mqueue\", \"mqueue\", \"name=events;addmode=1\")\nrequest_route {\n\tmq_add(\"events\", \"$ci-$cs-$rm\", \"$rm\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

const PER_CALL: &[&str] = &[
    "$ci", "$ft", "$tt", "$fu", "$tu", "$ru", "$rU", "$fU", "$tU",
];

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("mq_add") {
        return;
    }
    // queue name -> addmode
    let mut modes: BTreeMap<String, String> = BTreeMap::new();
    for (_, f) in ctx.files() {
        for mp in f.parse.tree().modparams() {
            if mp.module().as_deref() != Some("mqueue") || mp.param().as_deref() != Some("mqueue") {
                continue;
            }
            let Some(v) = mp.value().and_then(|v| string_value(&v)) else {
                continue;
            };
            let mut name = None;
            let mut mode = "0".to_string();
            for kv in v.split(';') {
                if let Some((k, val)) = kv.split_once('=') {
                    match k.trim() {
                        "name" => name = Some(val.trim().to_string()),
                        "addmode" => mode = val.trim().to_string(),
                        _ => {}
                    }
                }
            }
            if let Some(n) = name {
                modes.insert(n, mode);
            }
        }
    }
    for (file, call, name) in ctx.calls() {
        let (file, name) = (*file, name.as_str());
        if name != "mq_add" {
            continue;
        }
        let args = call_args(call);
        let (Some(q), Some(key)) = (args.first().and_then(string_value), args.get(1)) else {
            continue;
        };
        let Some(mode) = modes.get(&q) else { continue };
        if mode != "1" && mode != "2" {
            continue;
        }
        let key_text = string_value(key).or_else(|| pv_token(key).map(|t| t.text().to_string()));
        let Some(k) = key_text else { continue };
        if PER_CALL.contains(&k.trim()) {
            let effect = if mode == "1" {
                "dropped"
            } else {
                "replaces the earlier one"
            };
            out.push(
                Finding::new(file, key.text_range(), format!("queue `{q}` has addmode={mode}: every later event of the same call with key `{}` is {effect}", k.trim()))
                    .help("make the key unique per event, e.g. `\"$ci-$cs-$rm\"`"),
            );
        }
    }
}
