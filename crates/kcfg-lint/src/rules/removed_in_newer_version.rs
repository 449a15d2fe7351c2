//! KC505 `removed-in-newer-version`.

use kcfg_modules::KamailioVersion;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC505",
    name: "removed-in-newer-version",
    category: Category::Hygiene,
    severity: Severity::Warning,
    summary: "module, function or `modparam` of the chosen Kamailio version that newer versions no longer have",
    what: "Finds `loadmodule` of a module, `modparam` of a parameter and calls of a module function that exist in the chosen Kamailio version but in none, or not all, of the newer versions kcfg knows (5.6.3, 6.0.7 and the unreleased master snapshot). The facts come from the knowledge base only (`kcfg_modules`, extracted from the Kamailio sources of each version): nothing is listed by hand. Where the chosen version lacks the name, the semantic checks already report an error (KC101 unknown module, KC103 unknown function, KC107 unknown modparam, each saying which version has it).",
    why: "These lines work today and break the upgrade: a Kamailio version without the module, parameter or function refuses the config at `kamailio -c`, as 5.6.3 does for any unknown one (`parameter <x> of type <2:int> not found in module <tm>` … `Can't set module parameter`; `unknown command, missing loadmodule?`; `could not find module`). `dialog`'s `dlg_flag` is the common case: the 6.0.7 sources no longer have it, dialogs are tracked with `dlg_manage()` instead of a flag. Kamailio itself never warns about this: 5.6.3 accepts the config silently.",
    example: "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"dialog.so\"\nloadmodule \"textops.so\"\nmodparam(\"dialog\", \"dlg_flag\", 4)\nrequest_route {\n\tif (is_method(\"INVITE\")) {\n\t\tsetflag(4);\n\t}\n\texit;\n}\n",
    fix: "Use what the newer version offers (for `dlg_flag`: call `dlg_manage()` on the initial INVITE), or suppress the finding with the reason when the config stays on this version.",
    fixed_example: "loadmodule \"tm.so\"\nloadmodule \"rr.so\"\nloadmodule \"dialog.so\"\nloadmodule \"textops.so\"\nrequest_route {\n\tif (is_method(\"INVITE\")) {\n\t\tdlg_manage();\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// "removed in 6.0.7 and master" for the newer versions in `gone`.
fn describe(gone: &[KamailioVersion]) -> String {
    let names: Vec<String> = gone
        .iter()
        .map(|v| match v {
            KamailioVersion::Master => "the unreleased master".to_string(),
            v => v.full().to_string(),
        })
        .collect();
    format!("not in Kamailio {}", names.join(" nor in "))
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let target = ctx.model.version;
    let newer: Vec<KamailioVersion> = KamailioVersion::ALL
        .into_iter()
        .filter(|v| *v > target)
        .collect();
    if newer.is_empty() {
        return;
    }
    let db = kcfg_modules::db(target);
    let gone_in = |has: &dyn Fn(KamailioVersion) -> bool| -> Vec<KamailioVersion> {
        newer.iter().copied().filter(|v| !has(*v)).collect()
    };
    // modules
    for m in &ctx.model.modules {
        let Some(module) = m.module else { continue };
        let gone = gone_in(&|v| kcfg_modules::db(v).module(module.name).is_some());
        if !gone.is_empty() {
            out.push(
                Finding::new(
                    m.file,
                    m.arg_range,
                    format!("module `{}` is {}", module.name, describe(&gone)),
                )
                .help("plan its replacement before upgrading"),
            );
        }
    }
    // modparams
    for mp in ctx.modparams() {
        let file = mp.file;
        let (Some(m), Some(p)) = (mp.module.as_deref(), mp.param.as_deref()) else {
            continue;
        };
        // known here (unknown ones are KC107's business) and missing from
        // a newer version: binary searches in the knowledge base, no set
        // built from all of it (that cost a one-shot `kcfg check` 6 M
        // instructions, more than the rest of the lint)
        if db.modparam(m, p).next().is_none() {
            continue;
        }
        let gone = gone_in(&|v| kcfg_modules::db(v).modparam(m, p).next().is_some());
        // a parameter of a module that is gone is reported with the module
        let module_gone = gone_in(&|v| kcfg_modules::db(v).module(m).is_some());
        if gone.is_empty() || gone == module_gone {
            continue;
        }
        let at = mp.param_range;
        out.push(
            Finding::new(
                file,
                at,
                format!("`{m}` parameter `{p}` is {}", describe(&gone)),
            )
            .help("Kamailio versions without it refuse the config at `-c`"),
        );
    }
    // functions of loaded modules
    let loaded: Vec<&str> = ctx
        .model
        .modules
        .iter()
        .filter_map(|m| m.module.map(|x| x.name))
        .collect();
    // what is said about a function depends on its name alone: looked up
    // once per name (a config calls a few dozen functions thousands of times)
    let answer = |name: &str| -> Option<(&'static str, Vec<KamailioVersion>)> {
        let variants = db.functions(name);
        let f = variants
            .iter()
            .find(|f| f.script_callable && loaded.contains(&f.module))?;
        let gone = gone_in(&|v| {
            kcfg_modules::db(v)
                .functions(name)
                .iter()
                .any(|g| g.script_callable)
        });
        let module_gone = gone_in(&|v| kcfg_modules::db(v).module(f.module).is_some());
        if gone.is_empty() || gone == module_gone {
            return None;
        }
        Some((f.module, gone))
    };
    // (the answers in `answers`, by name in `by_name`; `recent` holds the
    // last name of each (length, first byte) slot: most calls find their
    // name there, compared without hashing)
    let mut answers: Vec<Option<(&'static str, Vec<KamailioVersion>)>> = Vec::new();
    let mut by_name: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    let mut recent: [(&str, usize); 16] = [("", usize::MAX); 16];
    for (file, call, name) in ctx.calls() {
        let name = name.as_str();
        let slot = (name.len() ^ usize::from(name.as_bytes().first().copied().unwrap_or(0))) & 15;
        let at = if recent[slot].1 != usize::MAX && recent[slot].0 == name {
            recent[slot].1
        } else {
            let at = *by_name.entry(name).or_insert_with(|| {
                answers.push(answer(name));
                answers.len() - 1
            });
            recent[slot] = (name, at);
            at
        };
        let Some((module, gone)) = &answers[at] else {
            continue;
        };
        let head = crate::ctx::call_head(call);
        out.push(
            Finding::new(
                *file,
                head,
                format!("`{name}` (module `{module}`) is {}", describe(gone)),
            )
            .help("Kamailio versions without it refuse the config at `-c`"),
        );
    }
}
