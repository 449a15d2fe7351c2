//! KC206 `sql-query-not-constant`.

use crate::ctx::call_args;
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;
use kcfg_syntax::SyntaxKind::*;

pub const META: RuleMeta = RuleMeta {
    code: "KC206",
    name: "sql-query-not-constant",
    category: Category::Gotcha,
    severity: Severity::Error,
    summary: "`sql_query` with a query built by an expression",
    what: "Finds `sql_query`/`sql_xquery` whose query argument is an expression (`\"...\" + $var(x)`) instead of one string.",
    why: "The query parameter must be a constant string (PVs inside it are expanded when the query runs). Measured on Kamailio 5.6.3: `kamailio -c` fails with `function sql_query: parameter 2 is not constant` followed by `bad command`, which does not say what to do.",
    example: "loadmodule \"pv.so\"\nloadmodule \"db_sqlite.so\"\nloadmodule \"sqlops.so\"\nmodparam(\"sqlops\", \"sqlcon\", \"ca=>sqlite:///tmp/kcfg.db\")\nrequest_route {\n\tsql_query(\"ca\", \"select a from t where id=\" + $var(id), \"ra\");\n\texit;\n}\n",
    fix: "Write the PVs inside the string: `sql_query(\"ca\", \"select a from t where id=$var(id)\", \"ra\")` (escape values with `{sql.val}` transformations), or build the query in a `$var` and pass `\"$var(q)\"`.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"db_sqlite.so\"\nloadmodule \"sqlops.so\"\nmodparam(\"sqlops\", \"sqlcon\", \"ca=>sqlite:///tmp/kcfg.db\")\nrequest_route {\n\tsql_query(\"ca\", \"select a from t where id=$var(id)\", \"ra\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Rejects,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("sql_") {
        return;
    }
    for (file, call, name) in ctx.calls() {
        let (file, name) = (*file, name.as_str());
        if name != "sql_query" && name != "sql_xquery" {
            continue;
        }
        let args = call_args(call);
        let Some(q) = args.get(1) else { continue };
        if matches!(q.kind(), BIN_EXPR | PREFIX_EXPR | PAREN_EXPR | CAST_EXPR) {
            out.push(
                Finding::new(file, q.text_range(), format!("the query of `{name}` must be one string, not an expression"))
                    .help("write the PVs inside the string (`\"... id=$var(id)\"`) or pass a `$var` holding the query as `\"$var(q)\"`"),
            );
        }
    }
}
