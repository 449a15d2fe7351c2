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
/// `damerau_levenshtein(a, b) <= 2`, with a cheap test first (strsim's
/// Damerau distance builds a hash map per call): each edit changes the
/// multiset of characters by at most two (insert, delete: one; substitute:
/// two; transpose: none), so two ASCII names whose byte counts differ in
/// more than four places are more than two edits apart.
fn within_two_edits(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        let mut count = [0i16; 128];
        for &c in a.as_bytes() {
            count[usize::from(c)] += 1;
        }
        for &c in b.as_bytes() {
            count[usize::from(c)] -= 1;
        }
        let differ: u32 = count.iter().map(|&n| n.unsigned_abs() as u32).sum();
        if differ > 4 {
            return false;
        }
    }
    strsim::damerau_levenshtein(a, b) <= 2
}

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
        for i in memchr::memmem::find_iter(f.text.as_bytes(), "#!if") {
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
                            && within_two_edits(d, name)
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
            .filter(|d| d.len() >= 4 && within_two_edits(d, &name))
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

#[cfg(test)]
mod tests {
    use super::within_two_edits;

    #[test]
    fn prefilter_agrees_with_the_damerau_distance() {
        let names = [
            "WITH_NAT",
            "WITH_NTA",
            "WITH_TLS",
            "WITH_MYSQL",
            "WITH_MYSQ",
            "WITH_AUTH",
            "WITH_ATUH",
            "WITH_IPAUTH",
            "WITH_DEBUG",
            "WITH_DBUEG",
            "WITHNAT",
            "WITH__NAT",
            "DBURL",
            "DBRUL",
            "FLT_ACC",
            "FLT_NATS",
            "FLB_NATB",
            "ABCD",
            "DCBA",
            "ABDC",
            "WITH_XMLRPC",
            "WITH_XMLRCP",
            "WITH_NATSIPPING",
            "WITH_PRESENCE",
            "éTAT_X",
            "ÉTAT_X",
            "ETAT_X",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    within_two_edits(a, b),
                    strsim::damerau_levenshtein(a, b) <= 2,
                    "{a} {b}"
                );
            }
        }
    }
}
