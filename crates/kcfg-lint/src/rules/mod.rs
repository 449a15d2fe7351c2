//! The rules, one file each. The registry is [`crate::registry::RULES`].

pub mod break_in_route_called_from_loop;
pub mod cached_time_after_slow_call;
pub mod cancel_in_branch_route;
pub mod duplicate_modparam;
pub mod ifdef_unknown_name;
pub mod jansson_null_on_var;
pub mod loose_route_without_record_route;
pub mod mq_add_repeating_key;
pub mod reply_without_exit;
pub mod return_zero_in_subroute;
pub mod sl_reply_after_t_newtran;
pub mod sql_pvquery_result_not_pv;
pub mod sql_query_not_constant;
pub mod string_concat_with_dot;
pub mod t_relay_result_unchecked;
pub mod tv_usec_unpadded;
pub mod unknown_suppression;
pub mod unreachable_code;
pub mod unused_define;
pub mod unused_suppression;
pub mod var_compared_with_null;
pub mod var_read_before_write;
