//! KC402 `ifdef-unknown-name`.

use std::collections::HashSet;

use kcfg_syntax::SyntaxKind::*;

use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC402",
    name: "ifdef-unknown-name",
    category: Category::Preprocessor,
    severity: Severity::Warning,
    summary: "`#!ifdef` of a name defined nowhere that looks like a misspelt define",
    what: "Finds `#!ifdef`/`#!ifndef` names that no `#!define`/`#!trydef`/`#!redefine`/`#!substdef` defines, that `-D` does not define, that appear nowhere else in the text (not even in a comment such as `# #!define WITH_MYSQL`, the usual way to document a switch), and that are within two edits of a name that is defined.",
    why: "Kamailio does not warn about unknown names in `#!ifdef`; a typo turns a whole section off (or on, with `#!ifndef`) without a word.",
    example: "#!define WITH_NAT\n#!ifdef WITH_NTA\nloadmodule \"nathelper.so\"\n#!endif\nrequest_route {\n#!ifdef WITH_NAT\n\texit;\n#!endif\n}\n",
    fix: "Fix the spelling.",
    fixed_example: "#!define WITH_NAT\n#!ifdef WITH_NAT\nloadmodule \"nathelper.so\"\n#!endif\nrequest_route {\n#!ifdef WITH_NAT\n\texit;\n#!endif\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// How often `name` appears as a whole word in the config's files.
fn mentions(ctx: &Ctx<'_>, name: &str) -> usize {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    ctx.files()
        .map(|(_, f)| {
            f.text
                .match_indices(name)
                .filter(|(i, _)| {
                    !word(f.text[..*i].chars().next_back())
                        && !word(f.text[i + name.len()..].chars().next())
                })
                .count()
        })
        .sum()
}

/// A cheap lower bound: two names whose byte counts differ by more than 4
/// are more than 2 edits apart (an edit changes the counts by at most 2).
fn far_apart(a: &str, b: &str) -> bool {
    let mut h = [0i16; 256];
    for c in a.bytes() {
        h[c as usize] += 1;
    }
    for c in b.bytes() {
        h[c as usize] -= 1;
    }
    h.iter().map(|x| x.unsigned_abs() as u32).sum::<u32>() > 4
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // names defined by the config's text (candidates for "did you mean");
    // `-D` names are not: they are exactly what `#!ifdef` tests without a
    // definition in the text
    let cli: HashSet<String> = ctx
        .model
        .defines
        .values()
        .filter(|d| d.origin == kcfg_sema::DefineOrigin::CommandLine)
        .map(|d| d.name.clone())
        .collect();
    let mut defined: HashSet<String> = ctx
        .model
        .defines
        .values()
        .filter(|d| d.origin != kcfg_sema::DefineOrigin::CommandLine)
        .map(|d| d.name.clone())
        .collect();
    // `#!ifdef`/`#!ifndef` directives are lines of their own: find the
    // names tested in the text first, and walk the tree only when one of
    // them is unknown (rare)
    let mut candidates = false;
    let mut seen: HashSet<&str> = HashSet::new();
    for (_, f) in ctx.files() {
        for (i, _) in f.text.match_indices("#!if") {
            let l = &f.text[i..];
            let rest = l
                .strip_prefix("#!ifndef")
                .or_else(|| l.strip_prefix("#!ifdef"));
            let name = rest.and_then(|r| r.split_whitespace().next());
            if let Some(name) = name.filter(|n| seen.insert(n)) {
                if !defined.contains(name)
                    && !cli.contains(name)
                    && defined.iter().any(|d| {
                        d.len() >= 4
                            && d.len().abs_diff(name.len()) <= 2
                            && !far_apart(d, name)
                            && strsim::damerau_levenshtein(d, name) <= 2
                    })
                {
                    candidates = true;
                }
            }
        }
    }
    if !candidates {
        return;
    }
    let mut tested = Vec::new();
    let name_of = |n: &kcfg_syntax::SyntaxNode| {
        n.children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| t.kind() == PP_NAME)
    };
    let keyword = |n: &kcfg_syntax::SyntaxNode| {
        n.first_token()
            .map(|k| k.text().to_string())
            .unwrap_or_default()
    };
    for (_, n) in ctx.nodes(PP_DEFINE) {
        if let (Some(t), false) = (name_of(n), keyword(n).contains("undef")) {
            defined.insert(t.text().to_string());
        }
    }
    for (file, n) in ctx.nodes(PP_DIRECTIVE) {
        let kw = keyword(n);
        if kw.contains("ifdef") || kw.contains("ifndef") {
            if let Some(t) = name_of(n) {
                tested.push((file, t.text().to_string(), t.text_range()));
            }
        }
    }
    for (file, name, range) in tested {
        if defined.contains(&name) || cli.contains(&name) {
            continue;
        }
        let close = defined
            .iter()
            .filter(|d| d.len() >= 4 && strsim::damerau_levenshtein(d, &name) <= 2)
            .min_by_key(|d| strsim::damerau_levenshtein(d, &name));
        // two switches of one family (`WITH_A`/`WITH_B`) are not typos of each other
        let close = close.filter(|d| d.len() > 6 || d.len() != name.len());
        // a name mentioned elsewhere (a comment `# #!define WITH_MYSQL`, docs
        // saying `-D WITH_TLS`) is a known switch
        let close = close.filter(|_| mentions(ctx, &name) <= 1);
        if let Some(d) = close {
            out.push(
                Finding::new(
                    file,
                    range,
                    format!("`{name}` is defined nowhere; did you mean `{d}`?"),
                )
                .help(format!(
                    "`{d}` is defined; an unknown name silently switches this section"
                )),
            );
        }
    }
}
