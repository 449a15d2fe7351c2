//! KC502 `unknown-suppression` (reported by [`crate::suppress`](mod@crate::suppress)).

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC502",
    name: "unknown-suppression",
    category: Category::Hygiene,
    severity: Severity::Warning,
    summary: "a suppression comment with a code or name kcfg does not know, or malformed",
    what: "Finds `# kcfg:` comments that are not `ignore[...]`/`ignore-file[...]`, and codes in them that name no rule or check.",
    why: "A misspelt code suppresses nothing, and the finding it was meant for stays (or, worse, the author believes it is handled).",
    example: "request_route {\n\t# kcfg: ignore[KC999]\n\texit;\n}\n",
    fix: "Use a code (`KC301`), a code prefix (`KC3`) or a rule name (`reply-without-exit`); `kcfg explain CODE` shows what a code means.",
    fixed_example: "request_route {\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(_: &Ctx<'_>, _: &mut Vec<Finding>) {}
