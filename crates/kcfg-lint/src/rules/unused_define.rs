//! KC401 `unused-define`.

use std::collections::HashSet;

use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC401",
    name: "unused-define",
    category: Category::Preprocessor,
    severity: Severity::Info,
    summary: "`#!define` of a name nothing uses",
    what: "Finds `#!define`/`#!trydef`/`#!redefine` names that appear nowhere else in the config and its includes: not in `#!ifdef`/`#!ifndef`, not as an identifier the preprocessor replaces, not in another define's value. Configs whose names are used through `#!subst`/`#!substdef` text replacement are not checked for those names.",
    why: "A define nobody tests or uses is either dead or, more often, misspelt where it is tested: `#!define WITH_NATT` next to `#!ifdef WITH_NAT` silently leaves NAT handling out.",
    example: "#!define WITH_NATT\nrequest_route {\n\texit;\n}\n",
    fix: "Delete the define, or fix the spelling where it is used.",
    fixed_example: "request_route {\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut defined = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    for (file, f) in ctx.files() {
        for t in f
            .parse
            .syntax_node()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
        {
            match t.kind() {
                PP_NAME => {
                    let is_def = t.parent().is_some_and(|p| p.kind() == PP_DEFINE)
                        && t.parent()
                            .and_then(|p| p.first_token())
                            .is_some_and(|k| !k.text().contains("undef"));
                    if is_def {
                        defined.push((file, t.text().to_string(), t.text_range()));
                    } else {
                        used.insert(t.text().to_string());
                    }
                }
                IDENT | PP_BODY | STRING | INACTIVE_CODE => {
                    for w in t
                        .text()
                        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    {
                        if !w.is_empty() {
                            used.insert(w.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for (file, name, range) in defined {
        if !used.contains(&name) {
            out.push(
                Finding::new(file, range, format!("`{name}` is defined but never used"))
                    .help("delete it, or check the spelling where it should be used"),
            );
        }
    }
}
