//! KC501 `unused-suppression` (reported by [`crate::suppress`](mod@crate::suppress)).

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC501",
    name: "unused-suppression",
    category: Category::Hygiene,
    severity: Severity::Warning,
    summary: "a `# kcfg: ignore[...]` comment that silences nothing",
    what: "Finds codes in suppression comments for which nothing was reported on the covered line (or in the file, for `ignore-file`).",
    why: "A stale suppression hides the next real problem on that line, and tells the reader about a problem that is no longer there.",
    example: "loadmodule \"tm.so\"\nrequest_route {\n\t# kcfg: ignore[KC306] -- checked below\n\texit;\n}\n",
    fix: "Remove the code from the comment (or the whole comment).",
    fixed_example: "loadmodule \"tm.so\"\nrequest_route {\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(_: &Ctx<'_>, _: &mut Vec<Finding>) {}
