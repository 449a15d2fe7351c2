//! KC207 `sql-pvquery-result-not-pv`.

use crate::ctx::{call_args, string_value};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC207",
    name: "sql-pvquery-result-not-pv",
    category: Category::Gotcha,
    severity: Severity::Error,
    summary: "`sql_pvquery` result that is a result-set name instead of PVs",
    what: "Finds `sql_pvquery(con, query, res)` whose `res` is not a list of writable PVs (`\"$avp(a),$var(b)\"`), e.g. a result-set name like `\"ra\"` as `sql_query` takes.",
    why: "`sql_pvquery` stores the columns of the first row in the PVs it is given. Measured on Kamailio 5.6.3: `kamailio -c` accepts `sql_pvquery(\"ca\", \"select a from t\", \"ra\")`, and Kamailio then refuses to start.",
    example: "loadmodule \"pv.so\"\nloadmodule \"db_sqlite.so\"\nloadmodule \"sqlops.so\"\nmodparam(\"sqlops\", \"sqlcon\", \"ca=>sqlite:///tmp/kcfg.db\")\nrequest_route {\n\tsql_pvquery(\"ca\", \"select a from t\", \"ra\");\n\texit;\n}\n",
    fix: "Name one PV per column: `sql_pvquery(\"ca\", \"select a from t\", \"$avp(a)\")`, or use `sql_query` with a result set.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"db_sqlite.so\"\nloadmodule \"sqlops.so\"\nmodparam(\"sqlops\", \"sqlcon\", \"ca=>sqlite:///tmp/kcfg.db\")\nrequest_route {\n\tsql_pvquery(\"ca\", \"select a from t\", \"$avp(a)\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::FailsAtStartup,
};

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if !ctx.mentions("sql_pvquery") {
        return;
    }
    for (file, call, name) in ctx.calls() {
        let (file, name) = (*file, name.as_str());
        if name != "sql_pvquery" {
            continue;
        }
        let args = call_args(call);
        let Some(res) = args.get(2) else { continue };
        let Some(v) = string_value(res) else { continue };
        if v.split(',').any(|p| !p.trim().starts_with('$')) {
            out.push(
                Finding::new(file, res.text_range(), format!("`sql_pvquery` stores the row in PVs; `\"{v}\"` is not a list of PVs (Kamailio fails at start-up)"))
                    .help("give one writable PV per column, e.g. `\"$avp(a),$var(b)\"`, or use `sql_query` for a result set"),
            );
        }
    }
}
