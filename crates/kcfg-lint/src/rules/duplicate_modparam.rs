//! KC503 `duplicate-modparam`.

use std::collections::HashMap;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC503",
    name: "duplicate-modparam",
    category: Category::Hygiene,
    severity: Severity::Warning,
    summary: "the same single-value `modparam` set twice: the first value is lost",
    what: "Finds a `modparam(module, param, ...)` set a second time in the active code, for a parameter that takes one value (not one handled by a function, such as `htable`'s `htable` or `mqueue`'s `mqueue`, which may be repeated).",
    why: "Kamailio keeps the last value without a warning; the first line misleads whoever reads the config (often a setting added at the end of a long file that silently overrides an earlier one).",
    example: "loadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timer\", 30000)\nmodparam(\"tm\", \"fr_timer\", 5000)\nrequest_route {\n\texit;\n}\n",
    fix: "Keep one line.",
    fixed_example: "loadmodule \"tm.so\"\nmodparam(\"tm\", \"fr_timer\", 5000)\nrequest_route {\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    use kcfg_syntax::SyntaxKind::PP_ARM;
    let db = kcfg_modules::db(ctx.model.version);
    // (module, param) -> every place it is set
    type Site = (
        kcfg_sema::FileIdx,
        kcfg_syntax::TextRange,
        kcfg_syntax::SyntaxNode,
    );
    let mut sites: HashMap<(&str, &str), Vec<Site>> = HashMap::new();
    for mp in ctx.modparams() {
        let (Some(m), Some(p)) = (&mp.module, &mp.param) else {
            continue;
        };
        sites.entry((m.as_str(), p.as_str())).or_default().push((
            mp.file,
            mp.param_range,
            mp.node.clone(),
        ));
    }
    let mut dups: Vec<_> = sites.into_iter().filter(|(_, v)| v.len() > 1).collect();
    dups.sort_by_key(|(_, v)| (v[0].0, v[0].1.start()));
    for ((m, p), v) in dups {
        let multi = db.modparam(m, p).any(|x| x.use_func) || db.modparam(m, p).next().is_none();
        if multi || m.contains('|') {
            continue;
        }
        // only the code Kamailio reads: not in an inactive #!ifdef arm
        let live: Vec<&Site> = v
            .iter()
            .filter(|(file, _, node)| {
                !node.ancestors().any(|a| a.kind() == PP_ARM) || active(ctx, *file, node)
            })
            .collect();
        for w in live.windows(2) {
            let ((pf, pr, _), (file, at, _)) = (w[0], w[1]);
            let mut f2 = Finding::new(
                *file,
                *at,
                format!("`{m}` parameter `{p}` is set again: the earlier value is ignored"),
            )
            .help("keep one of the two lines");
            if pf == file {
                f2 = f2.label(*pr, "first set here");
            }
            out.push(f2);
        }
    }
}

/// Whether a node in a `PP_ARM` is in code Kamailio reads: the model lists
/// the modparams it saw through its routes and modules only, so compare
/// with the loaded modules' arms by position: a modparam counts as active
/// when a `loadmodule` of the model sits in the same arm, or the arm has none.
fn active(ctx: &Ctx<'_>, file: kcfg_sema::FileIdx, node: &kcfg_syntax::SyntaxNode) -> bool {
    let arm = node
        .ancestors()
        .find(|a| a.kind() == kcfg_syntax::SyntaxKind::PP_ARM);
    let Some(arm) = arm else { return true };
    let r = arm.text_range();
    let loads_in_arm = arm
        .descendants()
        .filter(|d| d.kind() == kcfg_syntax::SyntaxKind::LOADMODULE)
        .count();
    if loads_in_arm == 0 {
        return false; // unknown: leave it alone
    }
    ctx.model
        .modules
        .iter()
        .any(|m| m.file == file && r.contains_range(m.range))
}
