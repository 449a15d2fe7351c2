//! Rule documentation as Markdown: `kcfg explain` prints it and
//! `docs/rules/` is generated from it (a test fails when the checked-in
//! files differ; `KCFG_UPDATE_DOCS=1 cargo test -p kcfg-lint --test docs`
//! rewrites them).

use crate::{FixAvailability, KamailioVerdict, RuleMeta, RULES};

/// The page of one rule.
pub fn markdown(m: &RuleMeta) -> String {
    let fix = match m.fix_availability {
        FixAvailability::None => "no automatic fix",
        FixAvailability::Safe => "safe fix (`kcfg check --fix`)",
        FixAvailability::Unsafe => "unsafe fix (`kcfg check --fix --unsafe-fixes`)",
    };
    let kamailio = match m.kamailio {
        KamailioVerdict::Accepts => "accepts it (`kamailio -c` passes): only kcfg reports it",
        KamailioVerdict::FailsAtStartup => {
            "`kamailio -c` accepts it; Kamailio fails when it starts"
        }
        KamailioVerdict::Rejects => {
            "rejects it too (`kamailio -c` fails); kcfg explains it and can fix it"
        }
    };
    format!(
        "# {code} `{name}`\n\n{summary}.\n\n- Category: {cat} ({prefix}xx)\n- Default severity: {sev}\n- Fix: {fix}\n- Kamailio 5.6.3: {kamailio}\n\n## What it does\n\n{what}\n\n## Why is this bad\n\n{why}\n\n## Example\n\n```kamailio\n{example}```\n\n## Fix\n\n{fixtext}\n\n```kamailio\n{fixed}```\n\nSuppress one finding with `# kcfg: ignore[{code}] -- reason` on its line or the line before; disable the rule with `ignore = [\"{code}\"]` in `[lint]` of `kcfg.toml`.\n",
        code = m.code,
        name = m.name,
        summary = m.summary.trim_end_matches('.'),
        cat = m.category.title(),
        prefix = m.category.prefix(),
        sev = m.severity.as_str(),
        what = m.what,
        why = m.why,
        example = m.example,
        fixtext = m.fix,
        fixed = m.fixed_example,
    )
}

/// The index page: every rule by category.
pub fn index() -> String {
    let mut out = String::from("# Lint rules\n\nGenerated from the rule registry of `crates/kcfg-lint` (do not edit; `KCFG_UPDATE_DOCS=1 cargo test -p kcfg-lint --test docs` regenerates these files). `kcfg explain CODE` prints the same text.\n\nCodes KC0xx (syntax) and KC1xx (what Kamailio rejects, from `kcfg-sema`) are not lint rules; `kcfg explain` knows them too.\n");
    let mut cats: Vec<_> = RULES.iter().map(|r| r.meta.category).collect();
    cats.dedup();
    for c in cats {
        out.push_str(&format!("\n## {} ({}xx)\n\n| code | name | severity | fix | summary |\n| --- | --- | --- | --- | --- |\n", c.title(), c.prefix()));
        for r in RULES.iter().filter(|r| r.meta.category == c) {
            let m = r.meta;
            let fix = match m.fix_availability {
                FixAvailability::None => "",
                FixAvailability::Safe => "safe",
                FixAvailability::Unsafe => "unsafe",
            };
            out.push_str(&format!(
                "| [{c}]({c}.md) | `{n}` | {s} | {fix} | {sum} |\n",
                c = m.code,
                n = m.name,
                s = m.severity.as_str(),
                sum = m.summary.replace('|', "\\|")
            ));
        }
    }
    out
}
