//! The registry: every lint rule, by code. Codes are never reused; a rule
//! that is removed leaves its code unused.

use crate::rules::*;
use crate::Rule;

macro_rules! rule {
    ($m:ident) => {
        Rule {
            meta: &$m::META,
            check: $m::check,
        }
    };
}

/// All lint rules, in code order.
pub static RULES: &[Rule] = &[
    rule!(string_concat_with_dot),
    rule!(cached_time_after_slow_call),
    rule!(tv_usec_unpadded),
    rule!(break_in_route_called_from_loop),
    rule!(var_compared_with_null),
    rule!(sql_query_not_constant),
    rule!(sql_pvquery_result_not_pv),
    rule!(avp_read_in_dialog),
    rule!(cancel_in_branch_route),
    rule!(jansson_null_on_var),
    rule!(mq_add_repeating_key),
    rule!(break_outside_loop),
    rule!(local_response_once),
    rule!(reply_without_exit),
    rule!(sl_reply_after_t_newtran),
    rule!(unreachable_code),
    rule!(return_zero_in_subroute),
    rule!(var_read_before_write),
    rule!(t_relay_result_unchecked),
    rule!(loose_route_without_record_route),
    rule!(t_reply_without_transaction),
    rule!(unused_define),
    rule!(ifdef_unknown_name),
    rule!(define_shadows_route),
    rule!(unused_suppression),
    rule!(unknown_suppression),
    rule!(duplicate_modparam),
    rule!(unused_module),
    rule!(removed_in_newer_version),
];

/// The rule with this code or name (`KC201`, `string-concat-with-dot`;
/// codes are case-insensitive).
pub fn by_code_or_name(s: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.meta.code.eq_ignore_ascii_case(s) || r.meta.name == s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_sorted_and_in_their_category() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for w in RULES.windows(2) {
            assert!(
                w[0].meta.code < w[1].meta.code,
                "registry not in code order at {}",
                w[1].meta.code
            );
        }
        for r in RULES {
            let m = r.meta;
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(
                m.code.starts_with(m.category.prefix()),
                "{} is not in {:?}",
                m.code,
                m.category
            );
            assert!(
                m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                m.name
            );
            // never collide with the semantic checks
            assert!(
                kcfg_sema::codes::name(m.code).is_none(),
                "{} is a kcfg-sema code",
                m.code
            );
        }
    }

    #[test]
    fn every_rule_has_docs_and_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/lint");
        for r in RULES {
            let m = r.meta;
            for (what, text) in [
                ("summary", m.summary),
                ("what", m.what),
                ("why", m.why),
                ("example", m.example),
                ("fix", m.fix),
                ("fixed_example", m.fixed_example),
            ] {
                assert!(text.trim().len() > 10, "{}: `{what}` is missing", m.code);
            }
            for f in ["ok.cfg", "err.cfg"] {
                assert!(
                    root.join(m.code).join(f).is_file(),
                    "{}: fixtures/lint/{}/{f} is missing",
                    m.code,
                    m.code
                );
            }
        }
    }
}
