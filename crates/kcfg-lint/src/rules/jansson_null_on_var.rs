//! KC210 `jansson-null-on-var`.

use std::collections::BTreeSet;

use kcfg_syntax::SyntaxKind::*;

use crate::ctx::{bin_op, bin_operands, call_args, string_value};
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC210",
    name: "jansson-null-on-var",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "a JSON `null` test on a `$var` that `jansson_get` wrote: it can never match",
    what: "Finds tests for null (`== $null`, `== \"null\"`, `=~ \"null\"`, `defined`) on a `$var` that is a destination of `jansson_get`.",
    why: "Measured on Kamailio 5.6.3 (the code is the same in 6.0): a JSON `null` arrives as a null value; a `$var` destination stores it as the integer `0`, indistinguishable from JSON `0`. So `$var(x) == $null` is never true and `=~ \"^null$\"` never matches. An `$avp`/`$xavp` destination stays unset instead.",
    example: "loadmodule \"pv.so\"\nloadmodule \"jansson.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tjansson_get(\"user\", \"$rb\", \"$var(user)\");\n\tif ($var(user) == \"null\") {\n\t\txlog(\"L_INFO\", \"no user\\n\");\n\t}\n\texit;\n}\n",
    fix: "Get the value into an `$avp` or `$xavp` and test it with `!defined $avp(x)` or `$avp(x) == $null`.",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"jansson.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\tjansson_get(\"user\", \"$rb\", \"$avp(user)\");\n\tif ($avp(user) == $null) {\n\t\txlog(\"L_INFO\", \"no user\\n\");\n\t}\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

/// The `$var` names written by `jansson_get` anywhere in the config.
pub fn jansson_vars(ctx: &Ctx<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if !ctx.mentions("jansson_get") {
        return out;
    }
    for (_, call, name) in ctx.calls() {
        let name = name.as_str();
        if name != "jansson_get" {
            continue;
        }
        if let Some(v) = call_args(call).get(2).and_then(string_value) {
            if let Some((c, Some(i), false)) = crate::ctx::pv_parts(v.trim()) {
                if c == "var" {
                    out.insert(i);
                }
            }
        }
    }
    out
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let vars = jansson_vars(ctx);
    if vars.is_empty() {
        return;
    }
    for (file, f) in ctx.files() {
        for e in f.parse.syntax_node().descendants() {
            let (var, what) = match e.kind() {
                BIN_EXPR => {
                    let Some(op) = bin_op(&e) else { continue };
                    let (Some(a), Some(b)) = bin_operands(&e) else {
                        continue;
                    };
                    let mut found = None;
                    for (x, y) in [(&a, &b), (&b, &a)] {
                        let Some(name) = super::var_compared_with_null::var_name(x) else {
                            continue;
                        };
                        let nullish = super::var_compared_with_null::is_null(y)
                            || string_value(y)
                                .is_some_and(|v| v.to_ascii_lowercase().contains("null"));
                        if nullish
                            && matches!(
                                op.kind(),
                                EQ2 | NEQ | EQ_KW | NE_KW | IEQ_KW | INE_KW | MATCH
                            )
                        {
                            found = Some((name, "compared with null"));
                        }
                    }
                    let Some(f) = found else { continue };
                    f
                }
                BUILTIN_EXPR if e.first_token().is_some_and(|t| t.kind() == DEFINED_KW) => {
                    let Some(name) = e
                        .children()
                        .find_map(|c| super::var_compared_with_null::var_name(&c))
                    else {
                        continue;
                    };
                    (name, "tested with `defined`")
                }
                _ => continue,
            };
            if vars.contains(&var) {
                out.push(
                    Finding::new(file, e.text_range(), format!("`$var({var})` is written by `jansson_get` and {what}: a JSON null is stored in a `$var` as 0, so this never detects it"))
                        .help("let `jansson_get` write an `$avp`/`$xavp` and test `$avp(x) == $null`"),
                );
            }
        }
    }
}
