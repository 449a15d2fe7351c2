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
    let mut tested = Vec::new();
    let mut words: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (file, f) in ctx.files() {
        for w in f
            .text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        {
            if !w.is_empty() {
                *words.entry(w.to_string()).or_default() += 1;
            }
        }
        for t in f
            .parse
            .syntax_node()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
        {
            if t.kind() != PP_NAME {
                continue;
            }
            let Some(p) = t.parent() else { continue };
            let kw = p
                .first_token()
                .map(|k| k.text().to_string())
                .unwrap_or_default();
            if p.kind() == PP_DEFINE && !kw.contains("undef") {
                defined.insert(t.text().to_string());
            } else if kw.contains("ifdef") || kw.contains("ifndef") {
                tested.push((file, t.text().to_string(), t.text_range()));
            }
        }
        for n in kcfg_syntax::ast::descendants::<kcfg_syntax::ast::PpSubst>(&f.parse.syntax_node())
        {
            if let Some(name) = n.defined_name() {
                defined.insert(name);
            }
        }
    }
    for (file, name, range) in tested {
        if defined.contains(&name)
            || cli.contains(&name)
            || words.get(&name).copied().unwrap_or(0) > 1
        {
            continue;
        }
        let close = defined
            .iter()
            .filter(|d| d.len() >= 4 && strsim::damerau_levenshtein(d, &name) <= 2)
            .min_by_key(|d| strsim::damerau_levenshtein(d, &name));
        // two switches of one family (`WITH_A`/`WITH_B`) are not typos of each other
        let close = close.filter(|d| d.len() > 6 || d.len() != name.len());
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
