//! KC303 `unreachable-code`.

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::statements;
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC303",
    name: "unreachable-code",
    category: Category::CallFlow,
    severity: Severity::Warning,
    summary: "statements after `exit`, `drop`, `return` or `break` in the same block",
    what: "Finds the first statement that follows `exit`, `drop`, `return` or `break` in the same block.",
    why: "Those statements never run. Measured on Kamailio 5.6.3: nothing after `exit`, `return` or a `break` runs, in the same block. Usually the order is wrong (an `exit` placed before the reply it should follow) or the code is dead and misleads the reader.",
    example: "loadmodule \"sl.so\"\nrequest_route {\n\texit;\n\tsl_send_reply(\"404\", \"Not here\");\n}\n",
    fix: "Move the statements before the `exit`/`return`, or delete them.",
    fixed_example: "loadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"404\", \"Not here\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (file, b) in ctx.nodes(BLOCK).chain(ctx.nodes(CASE_CLAUSE)) {
        // most blocks have no statement that ends them (read from the green
        // node: no red node for each statement)
        let kind_of = <kcfg_syntax::KamailioLanguage as rowan::Language>::kind_from_raw;
        if !b.green().children().any(|s| {
            s.as_node().is_some_and(|s| {
                matches!(
                    kind_of(s.kind()),
                    EXIT_STMT | DROP_STMT | RETURN_STMT | BREAK_STMT
                )
            })
        }) {
            continue;
        }
        let Some(r) = ctx.route_of(file, b) else {
            continue;
        };
        {
            let stmts = statements(b);
            if let Some(pos) = stmts
                .iter()
                .position(|s| matches!(s.kind(), EXIT_STMT | DROP_STMT | RETURN_STMT | BREAK_STMT))
            {
                if let Some(next) = stmts.get(pos + 1) {
                    let last = stmts.last().unwrap_or(next);
                    let kw = stmts[pos]
                        .first_token()
                        .map(|t| t.text().to_string())
                        .unwrap_or_default();
                    out.push(
                        Finding::new(
                            r.file,
                            next.text_range().cover(last.text_range()),
                            format!("unreachable: this never runs after `{kw}`"),
                        )
                        .label(
                            stmts[pos].text_range(),
                            format!("`{kw}` ends the block here"),
                        ),
                    );
                }
            }
        }
    }
}
