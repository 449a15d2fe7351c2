//! KC203 `tv-usec-unpadded`.

use kcfg_syntax::SyntaxKind::*;
use kcfg_syntax::{TextRange, TextSize};

use crate::ctx::pv_parts;
use crate::{Category, Ctx, Finding, FixAvailability, KamailioVerdict, RuleMeta};
use kcfg_diagnostics::Severity;

pub const META: RuleMeta = RuleMeta {
    code: "KC203",
    name: "tv-usec-unpadded",
    category: Category::Gotcha,
    severity: Severity::Warning,
    summary: "`$TV(u)` joined to seconds as a decimal fraction without zero padding",
    what: "Finds `$TV(u)`/`$TV(un)` (microseconds) concatenated into a string with `+`, or written right after a `.` in a string (`\"$TV(s).$TV(u)\"`).",
    why: "`$TV(u)` is the microsecond part as a plain number, 0 to 999999, without leading zeros: 12 s + 5 µs prints `12.5`, the same as 12.5 s. Timestamps built that way are ambiguous and sort wrong. (Kamailio 5.6.3 source, `modules/pv/pv_time.c`: `$TV(u)` is `pv_get_uintval(tv_usec)`, an unpadded integer.)",
    example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"t=$TV(s).$TV(u)\\n\");\n\texit;\n}\n",
    fix: "Pad the microseconds to six digits: add 1000000 and cut the leading `1` (`$var(u) = $(TV(u){s.int}) + 1000000;` then `$(var(u){s.substr,1,6})`), or use `$TV(Sn)`, which Kamailio 5.6.3 formats as `%u.%06u` (`pv_time.c`; it reads the clock now, while `$TV(s)`/`$TV(u)` are the arrival time of the message).",
    fixed_example: "loadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"t=$TV(Sn)\\n\");\n\texit;\n}\n",
    fix_availability: FixAvailability::None,
    kamailio: KamailioVerdict::Accepts,
};

fn is_tv_u(text: &str) -> bool {
    matches!(pv_parts(text), Some((c, Some(i), false)) if c == "TV" && (i == "u" || i == "un"))
}

pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (file, f) in ctx.files() {
        if !f.text.contains("TV(u") {
            continue;
        }
        for t in f
            .parse
            .syntax_node()
            .descendants_with_tokens()
            .filter_map(|e| e.into_token())
        {
            match t.kind() {
                PVAR if is_tv_u(t.text()) => {
                    // an operand of a `+` chain that has a string in it
                    let chain = t
                        .parent_ancestors()
                        .skip(1)
                        .take_while(|a| a.kind() == BIN_EXPR || a.kind() == PAREN_EXPR)
                        .filter(|a| {
                            a.kind() == BIN_EXPR
                                && crate::ctx::bin_op(a).is_some_and(|o| o.kind() == PLUS)
                        })
                        .last();
                    if let Some(chain) = chain {
                        if chain.descendants().any(|d| d.kind() == STRING_LIT) {
                            out.push(
                                Finding::new(
                                    file,
                                    t.text_range(),
                                    "`$TV(u)` is not zero-padded: `12.5` may mean 12.000005 s",
                                )
                                .help("pad it to six digits, or use `$TV(Sn)`"),
                            );
                        }
                    }
                }
                STRING => {
                    let s = t.text();
                    let mut from = 0;
                    while let Some(i) = s[from..].find("$TV(u)") {
                        let at = from + i;
                        if at > 0 && s.as_bytes()[at - 1] == b'.' {
                            let r = TextRange::at(
                                t.text_range().start() + TextSize::from(at as u32),
                                TextSize::from(6),
                            );
                            out.push(Finding::new(file, r, "`$TV(u)` after `.` is not zero-padded: `12.5` may mean 12.000005 s").help("use `$TV(Sn)` for `sec.usec` with padding"));
                        }
                        from = at + 6;
                    }
                }
                _ => {}
            }
        }
    }
}
