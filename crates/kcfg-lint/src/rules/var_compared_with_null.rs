//! KC205 `var-compared-with-null`.

use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::SyntaxNode;

use crate::ctx::{bin_op, bin_operands, pv_parts, pv_token};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC205",
    name: "var-compared-with-null",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`$var(x) == $null` is never true: a `$var` is never null",
    what: "Finds `==`/`!=` comparisons of a `$var(...)` with `$null`.",
    why: "Measured on Kamailio 5.6.3 (requests sent to a running instance): a `$var` that was never set reads as `0`, and `$var(x) = $null;` stores `0` too, so `$var(x) == $null` was false in both cases and `!= $null` is always true. The test looks like a guard but guards nothing. `$avp`/`$xavp` can be unset, and `$avp(x) == $null` works for them. (Comparing an integer value with a non-numeric string such as `\"null\"` logs `rval expression conversion to int failed` and is false.)",
    example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tif ($var(user) == $null) {\n\t\txlog(\"L_INFO\", \"no user\\n\");\n\t}\n\texit;\n}\n",
    fix: "Test the value you store for \"nothing\" (`$var(x) == 0`, `strempty($var(x))`), or keep values that may be absent in an `$avp`/`$xavp`, where `$null` tests work.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tif ($avp(user) == $null) {\n\t\txlog(\"L_INFO\", \"no user\\n\");\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// `$var` name of an operand without transformations.
pub fn var_name(n: &SyntaxNode) -> Option<String> {
    let t = pv_token(n)?;
    match pv_parts(t.text())? {
        (c, Some(i), false) if c == "var" => Some(i),
        _ => None,
    }
}

/// Whether an operand is `$null`.
pub fn is_null(n: &SyntaxNode) -> bool {
    pv_token(n).is_some_and(|t| t.text() == "$null")
}

/// `(comparison node, var name, var operand)` for every `$var == $null`
/// style comparison.
pub fn null_comparisons<'n>(
    exprs: impl Iterator<Item = &'n SyntaxNode>,
) -> Vec<(SyntaxNode, String, SyntaxNode)> {
    let mut out = Vec::new();
    for e in exprs {
        if !bin_op(e)
            .is_some_and(|o| matches!(o.kind(), EQ2 | NEQ | EQ_KW | NE_KW | IEQ_KW | INE_KW))
        {
            continue;
        }
        let (Some(a), Some(b)) = bin_operands(e) else {
            continue;
        };
        for (x, y) in [(&a, &b), (&b, &a)] {
            if is_null(y) {
                if let Some(name) = var_name(x) {
                    out.push((e.clone(), name, x.clone()));
                }
            }
        }
    }
    out
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let jansson = super::jansson_null_on_var::jansson_vars(ctx);
    for (file, f) in ctx.files() {
        // a comparison with `$null` has `$null` in its text: where the
        // file has one, found once (not a search of every expression's text)
        let nulls: Vec<usize> = memchr::memmem::find_iter(f.text.as_bytes(), "$null").collect();
        if nulls.is_empty() {
            continue;
        }
        let has_null = |n: &SyntaxNode| {
            let r = n.text_range();
            let (start, end) = (usize::from(r.start()), usize::from(r.end()));
            let i = nulls.partition_point(|&p| p < start);
            nulls.get(i).is_some_and(|&p| p + "$null".len() <= end)
        };
        let exprs = ctx
            .nodes(BIN_EXPR)
            .filter(|(x, n)| *x == file && has_null(n))
            .map(|(_, n)| n);
        for (e, name, _) in null_comparisons(exprs) {
            if jansson.contains(&name) {
                continue; // KC210 says more
            }
            out.push(
                Finding::new(file, e.text_range(), format!("`$var({name})` is never `$null`: this comparison is always {}", if e.text().to_string().contains("!=") { "true" } else { "false" }))
                    .help("an unset `$var` reads as 0; test `$var(x) == 0` or `strempty($var(x))`, or use an `$avp`/`$xavp`, which can be unset"),
            );
        }
    }
}
