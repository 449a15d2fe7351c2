//! KC401 `unused-define`.

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC401",
    name: "unused-define",
    category: Category::Preprocessor,
    severity: Severity::Info,
    summary: "`#!define` of a name nothing uses",
    what: "Finds `#!define`/`#!trydef`/`#!redefine`/`#!substdef` names in effect that appear nowhere else in the text of the config and its includes (as a whole word: in `#!ifdef`/`#!ifndef`, as an identifier the preprocessor replaces, in another define's value). A mention in a comment or a string counts as a use, so a name used only in commented-out code is not reported.",
    why: "A define nobody tests or uses is either dead or, more often, misspelt where it is tested: `#!define WITH_NATT` next to `#!ifdef WITH_NAT` silently leaves NAT handling out.",
    example: "#!define WITH_NATT\nrequest_route {\n\texit;\n}\n",
    fix: "Delete the define, or fix the spelling where it is used.",
    fixed_example: "request_route {\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// How often `name` appears as a whole word in `text`, counted up to
/// `limit`.
fn count_words(text: &str, name: &str, limit: usize) -> usize {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() {
        // (memmem would also match inside multi-byte characters)
        return text
            .match_indices(name)
            .filter(|(i, _)| {
                !word(text[..*i].chars().next_back()) && !word(text[*i..].chars().next())
            })
            .take(limit)
            .count();
    }
    // memmem: non-overlapping matches like `str::match_indices`, faster
    memchr::memmem::find_iter(text.as_bytes(), name)
        .filter(|i| {
            !word(text[..*i].chars().next_back()) && !word(text[i + name.len()..].chars().next())
        })
        .take(limit)
        .count()
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // the defines in effect (those of inactive `#!ifdef` arms are not linted)
    for d in ctx.model.defines.values() {
        let kcfg_sema::DefineOrigin::Directive { file, range } = d.origin else {
            continue;
        };
        // only whether it is more than its own `#!define`: counting stops
        // at the second word
        let mut total = 0;
        for (_, f) in ctx.files() {
            total += count_words(&f.text, &d.name, 2 - total);
            if total >= 2 {
                break;
            }
        }
        if total <= 1 {
            out.push(
                Finding::new(
                    file,
                    range,
                    format!("`{}` is defined but never used", d.name),
                )
                .help("delete it, or check the spelling where it should be used"),
            );
        }
    }
}
