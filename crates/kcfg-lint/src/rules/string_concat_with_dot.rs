//! KC201 `string-concat-with-dot`.

use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::TextRange;

use crate::{
    Applicability, Category, Ctx, Finding, Fix, FixAvailability, KamailioVerdict, RuleMeta,
};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC201",
    name: "string-concat-with-dot",
    category: Category::Gotcha,
    severity: Severity::Error,
    summary: "`.` used as string concatenation; Kamailio's operator is `+`",
    what: "Finds a `.` between two operands of an expression, the PHP/Perl habit of joining strings with a dot.",
    why: "Kamailio has no `.` operator. Measured on 5.6.3: `$var(ts) = $Ts . $TV(u);` makes `kamailio -c` fail with `bad command` at the `.` (and a misleading `read only pvar in assignment left side`). kcfg reports it as a syntax error (KC001) too; this rule adds the fix. String concatenation is `+` when the left operand is a string.",
    example: "request_route {\n\t$var(id) = \"call-\" . $ci;\n\texit;\n}\n",
    fix: "Replace the `.` with `+` (safe fix: `kcfg check --fix`). Make sure the left operand is a string: `$var(n) + \"x\"` adds numbers when `$var(n)` holds an integer.",
    fixed_example: "request_route {\n\t$var(id) = \"call-\" + $ci;\n\texit;\n}\n",
    fix_availability: FixAvailability::Safe,
    kamailio: KamailioVerdict::Rejects,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (file, f) in ctx.files() {
        let root = f.parse.syntax_node();
        for e in f.parse.errors() {
            // only the parser's "`.` between operands" error, not a `.` met
            // while recovering from another error (`src_ip==192.168.0.1`)
            if !e.message.contains("concatenation") {
                continue;
            }
            let Some(tok) = root.token_at_offset(e.range.start()).right_biased() else {
                continue;
            };
            if tok.kind() != DOT || tok.text_range().start() != e.range.start() {
                continue;
            }
            if tok.parent_ancestors().any(|a| a.kind() == SELECT_EXPR) {
                continue;
            }
            let r = tok.text_range();
            let before = tok.prev_token().is_some_and(|t| t.kind().is_trivia());
            let after = tok.next_token().is_some_and(|t| t.kind().is_trivia());
            let repl = format!(
                "{}+{}",
                if before { "" } else { " " },
                if after { "" } else { " " }
            );
            out.push(
                Finding::new(
                    file,
                    r,
                    "`.` is not string concatenation in Kamailio: use `+`",
                )
                .help("replace `.` with `+`")
                .fix(Fix::replace(
                    Applicability::Safe,
                    "replace `.` with `+`",
                    TextRange::new(r.start(), r.end()),
                    repl,
                )),
            );
        }
    }
}
