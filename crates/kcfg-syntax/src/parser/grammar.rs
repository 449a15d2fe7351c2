//! The grammar of kamailio.cfg, after `src/core/cfg.y` of Kamailio.
//!
//! Top level: global parameters, cfg-framework variables, module statements,
//! route blocks, preprocessor lines. Inside routes: Kamailio's `actions`.
//! Expressions follow the precedence table of cfg.y (`%left`/`%right`).

use super::{CompletedMarker, Operand, Parser};
use crate::pp::Directive;
use crate::SyntaxKind::{self, *};
use crate::TextRange;

/// Core actions that Kamailio's grammar accepts without parentheses
/// (`cmd: FORCE_RPORT | FORCE_RPORT LPAREN RPAREN | ...` in cfg.y).
/// `tests/core_actions.rs` checks this list against the knowledge base.
pub const BARE_CORE_ACTIONS: &[&str] = &[
    "add_local_rport",
    "add_rport",
    "add_tcp_alias",
    "force_rport",
    "force_tcp_alias",
    "revert_uri",
    "set_forward_close",
    "set_forward_no_connect",
    "set_reply_close",
    "set_reply_no_connect",
];

/// Core actions of cfg.y's `cmd` rule that are written like calls. Their
/// arguments have forms of their own (hosts, flag names, route names), so
/// bare names there are not define uses.
/// `tests/tests/grammar_facts.rs` checks this list against the knowledge base.
pub const CORE_ACTIONS: &[&str] = &[
    "add_local_rport",
    "add_rport",
    "add_tcp_alias",
    "cfg_reset",
    "cfg_select",
    "clear_branches",
    "error",
    "exec",
    "force_rport",
    "force_send_socket",
    "force_tcp_alias",
    "forward",
    "forward_sctp",
    "forward_tcp",
    "forward_tls",
    "forward_udp",
    "isavpflagset",
    "isflagset",
    "log",
    "prefix",
    "remove_branch",
    "resetavpflag",
    "resetflag",
    "revert_uri",
    "rewritehost",
    "rewritehostport",
    "rewritehostporttrans",
    "rewriteport",
    "rewriteuri",
    "rewriteuser",
    "rewriteuserpass",
    "route",
    "set_advertised_address",
    "set_advertised_port",
    "set_forward_close",
    "set_forward_no_connect",
    "set_reply_close",
    "set_reply_no_connect",
    "setavpflag",
    "setflag",
    "seth",
    "sethost",
    "sethostport",
    "sethostporttrans",
    "sethp",
    "sethpt",
    "setp",
    "setport",
    "setu",
    "setup",
    "seturi",
    "setuser",
    "setuserpass",
    "strip",
    "strip_tail",
    "udp_mtu_try_proto",
    "userphone",
];

/// Names that Kamailio's lexer turns into value or condition tokens, so they
/// may stand bare in an expression (`uri == myself`, `proto == UDP`).
const VALUE_KEYWORDS: &[&str] = &[
    "yes",
    "true",
    "on",
    "enable",
    "no",
    "false",
    "off",
    "disable",
    "udp",
    "UDP",
    "tcp",
    "TCP",
    "tls",
    "TLS",
    "sctp",
    "SCTP",
    "ws",
    "WS",
    "wss",
    "WSS",
    "inet",
    "INET",
    "ipv4",
    "IPv4",
    "IPV4",
    "inet6",
    "INET6",
    "ipv6",
    "IPv6",
    "IPV6",
    "sslv23",
    "SSLv23",
    "SSLV23",
    "sslv2",
    "SSLv2",
    "SSLV2",
    "sslv3",
    "SSLv3",
    "SSLV3",
    "tlsv1",
    "TLSv1",
    "TLSV1",
    "myself",
    "uri:host",
    "uri:port",
    "method",
    "proto",
    "snd_proto",
    "to_proto",
    "uri",
    "status",
    "from_uri",
    "to_uri",
    "src_port",
    "dst_port",
    "af",
    "msg:len",
    "snd_port",
    "to_port",
    "snd_af",
    "to_af",
    "src_ip",
    "dst_ip",
    "snd_ip",
    "to_ip",
];

/// Words of Kamailio's lexer, besides the core actions, core parameters and
/// value keywords, that are tokens of their own (`cfg.lex`) in 5.6 and 6.0:
/// where the grammar wants a name (`setflag(NAME)`) they are syntax errors.
/// Each was checked with `kamailio -c` 5.6.3 as the argument of `setflag`.
const OTHER_KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "eq",
    "ne",
    "ieq",
    "ine",
    "mod",
    "bool",
    "defined",
    "strlen",
    "strempty",
    "selval",
    "advertise",
    "ADVERTISE",
    "name",
    "NAME",
    "virtual",
    "max_len",
    "statistics",
    "desc",
    "descr",
    "description",
    "kemi",
    "cfgengine",
    "event_route_callback",
    "onsend_route_callback",
    "pre_routing_callback",
    "received_route_callback",
    "reply_route_callback",
    "route",
    "request_route",
    "reply_route",
    "onreply_route",
    "failure_route",
    "branch_route",
    "onsend_route",
    "event_route",
    "flags",
    "avpflags",
    "loadmodule",
    "loadmodulex",
    "modparam",
    "modparamx",
    "loadpath",
    "mpath",
];

/// The value keywords that Kamailio's lexer reads as the numbers 1 and 0.
pub const NUMBER_WORDS: &[&str] = &[
    "yes", "true", "on", "enable", "no", "false", "off", "disable",
];

/// Whether `word`, as the flag of `setflag`/`resetflag`/`isflagset`, is one
/// of the keywords Kamailio's lexer makes a token of its own (a syntax error
/// there, which the parser reports) rather than a flag name; `is_core_param`
/// answers for the core parameter names of the Kamailio version checked.
/// `yes`/`no` and their kin are numbers, not keywords, here.
pub fn is_keyword_flag_name(word: &str, is_core_param: impl Fn(&str) -> bool) -> bool {
    !NUMBER_WORDS.contains(&word)
        && (CORE_ACTIONS.contains(&word)
            || BARE_CORE_ACTIONS.contains(&word)
            || VALUE_KEYWORDS.contains(&word)
            || OTHER_KEYWORDS.contains(&word)
            || is_core_param(word))
}

/// `setflag(NAME)`, `resetflag(NAME)`, `isflagset(NAME)`: cfg.y takes a
/// number, a string or an identifier there; a word that Kamailio's lexer makes
/// a keyword token is a syntax error (`setflag(debug)`), reported at the word
/// as Kamailio does. (`yes`/`no` and their kin are numbers there.)
fn check_flag_name(p: &mut Parser, name: &str) {
    if !matches!(name, "setflag" | "resetflag" | "isflagset")
        || p.nth(1) != L_PAREN
        || p.nth(3) != R_PAREN
    {
        return;
    }
    let word = p.nth_text(2);
    if !word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        || word.starts_with(|c: char| c.is_ascii_digit())
        || NUMBER_WORDS.contains(&word)
        || p.is_defined(word)
    {
        return;
    }
    let core_params = p.core_params;
    if !is_keyword_flag_name(word, |w| {
        core_params.is_some_and(|k| k.iter().any(|k| k == w))
    }) {
        return;
    }
    let range = p.nth_range(2);
    let word = word.to_string();
    let e = p.error_at(
        range,
        format!("`{word}` is a keyword of Kamailio's config language, not a flag name"),
    );
    e.unexpected = Some(range);
    e.hint = Some("declare the flag under another name (`flags NAME;`) or use its number".into());
}

/// `setavpflag(AVP, FLAG)`, `resetavpflag(..)`, `isavpflagset(..)`: cfg.y's
/// `avpflag_oper LPAREN attr_id_any_str COMMA flag_name RPAREN` takes as the
/// AVP a string, a `%name` attribute or a `$name` without parentheses (an
/// `AVP_OR_PVAR` token; after a `#!KAMAILIO` marker the lexer makes `$name`
/// a `PVAR` token, which fails too), and as the flag a string or an
/// identifier (a number or a keyword fails). Anything else is a syntax error
/// at that argument, reported there as Kamailio does (checked with
/// `kamailio -c` 5.6.3). Defined names are left alone (their value counts).
fn check_avpflag_args(p: &mut Parser, name: &str) {
    if !matches!(name, "setavpflag" | "resetavpflag" | "isavpflagset")
        || p.nth(1) != L_PAREN
        || p.nth(3) != COMMA
        || p.nth(5) != R_PAREN
    {
        return;
    }
    let avp = p.nth_text(2);
    let bare_pv = p.nth(2) == PVAR && avp.starts_with('$') && !avp.contains(['(', '[']);
    let after_marker = bare_pv && p.kamailio_compat_at(2);
    let avp_ok = match p.nth(2) {
        STRING | SQ_STRING => true,
        PVAR if avp.starts_with('%') => true,
        PVAR => bare_pv && !after_marker,
        IDENT => p.is_defined(avp),
        _ => false,
    };
    let flag = p.nth_text(4);
    let flag_ok = match p.nth(4) {
        STRING | SQ_STRING => true,
        IDENT => {
            p.is_defined(flag)
                || !(NUMBER_WORDS.contains(&flag)
                    || is_keyword_flag_name(flag, |w| {
                        p.core_params.is_some_and(|k| k.iter().any(|k| k == w))
                    }))
        }
        _ => false,
    };
    let (n, message, hint) = if after_marker {
        (
            2,
            format!("`{name}` does not take `{avp}` after a `#!KAMAILIO` marker: Kamailio's lexer makes it a pseudo-variable token there"),
            "write the AVP as a string: `\"$avp(name)\"`",
        )
    } else if !avp_ok {
        (
            2,
            format!(
                "`{name}` takes the AVP as a string (`\"$avp(x)\"`), `%x` or `$x`, not `{avp}`"
            ),
            "write the AVP as a string: `\"$avp(name)\"`",
        )
    } else if !flag_ok {
        (
            4,
            format!(
                "`{name}` takes an avpflag name (declared with `avpflags NAME;`), not `{flag}`"
            ),
            "use the name of an `avpflags` declaration",
        )
    } else {
        return;
    };
    let range = p.nth_range(n);
    let e = p.error_at(range, message);
    e.unexpected = Some(range);
    e.hint = Some(hint.into());
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    /// top level of the file
    Item,
    /// inside a block
    Stmt,
    /// inside a `switch` body: `case`/`default` clauses
    Case,
}

/// A bare name used as a value: Kamailio only accepts it when it is a
/// define (replaced by its value in the lexer) or one of its keywords.
fn check_bare_name(p: &mut Parser, name: &str, range: TextRange) {
    // old-style conditions take bare names on the right: `method==REGISTER`,
    // `src_ip==my.host` (cfg.y's exp_elem)
    let is_op = |t: &str| matches!(t, "==" | "!=" | "=~" | "eq" | "ne");
    let is_kw = |t: &str| {
        matches!(
            t,
            "method" | "uri" | "from_uri" | "to_uri" | "src_ip" | "dst_ip" | "snd_ip" | "to_ip"
        )
    };
    // the name may already be consumed (expressions) or not (modparam values)
    let old_style = (is_op(p.prev_text(1)) && is_kw(p.prev_text(2)))
        || (is_op(p.prev_text(2)) && is_kw(p.prev_text(3)));
    if old_style || p.core_args > 0 || VALUE_KEYWORDS.contains(&name) {
        return;
    }
    if p.is_defined(name) {
        check_define_value(p, name, range);
        return;
    }
    if p.has_includes && !p.includes_resolved {
        p.note_include_decision(range);
        return;
    }
    let e = p.error_at(
        range,
        format!("`{name}` is not defined: a bare name is only valid as a `#!define`d name"),
    );
    e.unexpected = Some(range);
    e.hint = Some(format!(
        "quote it (`\"{name}\"`) or add `#!define {name} ...`"
    ));
}

/// A define used as a value is replaced by its text in Kamailio's lexer: the
/// text must then be a valid expression (`#!substdef "/DOMAIN/a.b.c/"` used as
/// `"@" + DOMAIN` is not).
fn check_define_value(p: &mut Parser, name: &str, range: TextRange) {
    if p.validating_define {
        return;
    }
    // the same for every use of the name: parse the value once
    let invalid = match p.define_checks.get(name) {
        Some(invalid) => invalid.clone(),
        None => {
            let invalid = p.define_value(name).filter(|value| {
                let snippet = format!("request_route {{ $var(kcfg) = {value}; }}");
                !crate::parse_define_value(&snippet, p.defined_names_of_parse()).is_empty()
            });
            p.define_checks.insert(name.to_string(), invalid.clone());
            invalid
        }
    };
    if let Some(value) = invalid {
        let e = p.error_at(
            range,
            format!("`{name}` expands to `{value}`, which is not a valid value here"),
        );
        e.unexpected = Some(range);
        e.hint = Some("quote the define's value if it is meant as a string".into());
    }
}

pub(super) fn source_file(p: &mut Parser) {
    // the file node is open from the start, so that each item's events can go
    // to the sink as soon as the item is parsed
    p.start_file();
    while !p.at_eof() || p.pending_pp().is_some() {
        if p.at_clean_split() {
            // the other piece of a split parse takes it from here
            p.stopped = true;
            break;
        }
        if handle_pp(p, Level::Item) {
            // an #!else/#!endif of no open group at top level: leave it
            if let Some(idx) = p.pending_pp() {
                p.bump_pp(idx, PP_DIRECTIVE);
            }
            p.flush_events();
            continue;
        }
        if p.at_eof() {
            break;
        }
        item(p);
        p.flush_events();
    }
    p.finish_file();
}

/// Consume the directive lines before the current token at item/statement
/// level. Returns true when it stopped at an `#!else`/`#!endif` that belongs
/// to an open group (the caller's arm ends there) or that has no group.
fn handle_pp(p: &mut Parser, level: Level) -> bool {
    while let Some(idx) = p.pending_pp() {
        let line = p.pp_line(idx);
        let d = line.directive;
        match d {
            Directive::Else | Directive::EndIf => match line.group {
                Some(g) if p.pp_is_open(g) => return true,
                _ => p.bump_pp(idx, PP_DIRECTIVE),
            },
            d if d.opens_group() => {
                let g = line.group.unwrap_or(0);
                if p.pp_group_balanced(g) {
                    pp_if(p, idx, g, level);
                } else {
                    p.bump_pp(idx, PP_DIRECTIVE);
                }
            }
            d => {
                let kind = d.node_kind();
                p.bump_pp(idx, kind);
            }
        }
    }
    false
}

/// `#!ifdef X` arm `#!else` arm `#!endif`, every arm parsed at `level`.
fn pp_if(p: &mut Parser, first_line: usize, g: usize, level: Level) {
    if !p.enter() {
        // too deeply nested groups: leave the directive line flat
        p.bump_pp(first_line, PP_DIRECTIVE);
        return;
    }
    let m = p.start();
    p.pp_if_count += 1;
    let group = &p.pp.groups[g];
    let taken = group.active;
    if !p.defines_certain
        || !group.balanced
        || !group.closed
        || group
            .lines
            .iter()
            .any(|&l| p.pp.lines[l].directive == Directive::IfExp)
    {
        p.uncertain_groups += 1;
    }
    p.pp_push(g);
    let mut line = first_line;
    let mut arm_index = 0;
    loop {
        let arm = p.start();
        p.bump_pp(line, PP_DIRECTIVE);
        loop {
            if handle_pp(p, level) {
                break;
            }
            if p.at_eof() {
                break;
            }
            match level {
                Level::Item => item(p),
                Level::Stmt => {
                    if p.at(R_BRACE) {
                        break;
                    }
                    statement(p);
                    if taken == Some(arm_index) {
                        p.active_stmts += 1;
                    }
                }
                Level::Case => {
                    if p.at(R_BRACE) {
                        break;
                    }
                    case_item(p)
                }
            }
        }
        arm.complete(p, PP_ARM);
        match p.pending_pp() {
            Some(idx) if p.pp_line(idx).group == Some(g) => {
                if p.pp_directive(idx) == Directive::Else {
                    line = idx;
                    arm_index += 1;
                    continue;
                }
                // #!endif
                p.bump_pp(idx, PP_DIRECTIVE);
                break;
            }
            _ => break,
        }
    }
    p.pp_pop();
    p.leave();
    m.complete(p, PP_IF);
}

// ---------------------------------------------------------------- items

fn item(p: &mut Parser) {
    match p.current() {
        k if k.is_route_keyword() => route_block(p),
        LOADMODULE_KW | LOADMODULEX_KW => loadmodule(p),
        LOADPATH_KW => loadpath(p),
        MODPARAM_KW | MODPARAMX_KW => modparam(p),
        CFGENGINE_KW => cfgengine(p),
        IDENT if matches!(p.nth_text(0), "flags" | "avpflags") && p.nth(1) != EQ => flags_decl(p),
        IDENT => global_or_cfg_var(p),
        SEMICOLON => {
            let m = p.start();
            p.bump(SEMICOLON);
            m.complete(p, EMPTY_STMT);
        }
        _ if p.current().is_keyword() && p.nth(1) == EQ => global_or_cfg_var(p),
        R_BRACE => p.err_and_bump("unmatched `}`: there is no open block here"),
        _ => {
            let found = p.found_desc();
            let is_stmt_kw = matches!(
                p.current(),
                IF_KW | SWITCH_KW | WHILE_KW | RETURN_KW | EXIT_KW | DROP_KW
            );
            let m = p.start();
            let r = p.nth_range(0);
            let e = p.error_at(
                r,
                format!(
                    "expected a global parameter, `loadmodule`, `modparam` or a route block, found {found}"
                ),
            );
            e.unexpected = Some(r);
            if is_stmt_kw {
                e.hint = Some(
                    "statements belong inside a route block such as `request_route { ... }`".into(),
                );
            }
            // skip to the start of the next line
            p.bump_any();
            while !p.at_eof() && !p.newline_before_current() && !p.at(SEMICOLON) {
                p.bump_any();
            }
            p.eat(SEMICOLON);
            m.complete(p, ERROR);
        }
    }
}

/// A string argument: `"a"`, `'a'`, `"a" "b"` (joined) or a define name.
fn string_arg(p: &mut Parser) -> bool {
    match p.current() {
        STRING | SQ_STRING => {
            string_lit(p);
            true
        }
        IDENT => {
            let m = p.start();
            p.bump(IDENT);
            m.complete(p, NAME_REF);
            true
        }
        _ => false,
    }
}

fn string_lit(p: &mut Parser) -> CompletedMarker {
    let m = p.start();
    if p.at(SQ_STRING) {
        p.bump(SQ_STRING);
    } else {
        while p.at(STRING) {
            p.bump(STRING);
        }
    }
    m.complete(p, STRING_LIT)
}

fn loadmodule(p: &mut Parser) {
    let m = p.start();
    p.bump_any();
    if p.eat(L_PAREN) {
        if !string_arg(p) {
            p.expect(STRING);
        }
        if p.eat(COMMA) && !string_arg(p) {
            p.expect(STRING);
        }
        p.expect(R_PAREN);
    } else if !string_arg(p) {
        let e = p.error(format!(
            "`loadmodule` needs the module file as a string, found {}",
            p.found_desc()
        ));
        e.hint = Some("write `loadmodule \"tm.so\"`".into());
    }
    p.eat(SEMICOLON);
    m.complete(p, LOADMODULE);
}

fn loadpath(p: &mut Parser) {
    let m = p.start();
    p.bump(LOADPATH_KW);
    p.eat(EQ);
    if !string_arg(p) {
        p.error(format!(
            "expected the module path as a string, found {}",
            p.found_desc()
        ));
    }
    p.eat(SEMICOLON);
    m.complete(p, LOADPATH);
}

fn cfgengine(p: &mut Parser) {
    let m = p.start();
    p.bump(CFGENGINE_KW);
    p.eat(EQ);
    if !string_arg(p) {
        p.error(format!(
            "expected the engine name as a string, found {}",
            p.found_desc()
        ));
    }
    p.eat(SEMICOLON);
    m.complete(p, CFGENGINE);
}

/// `modparam("module", "param", value)`
fn modparam(p: &mut Parser) {
    let m = p.start();
    let modparamx = p.at(MODPARAMX_KW);
    p.bump_any();
    if !p.expect(L_PAREN) {
        p.eat(SEMICOLON);
        m.complete(p, MODPARAM);
        return;
    }
    let args = p.start();
    for i in 0..3 {
        if i > 0 && !p.at(COMMA) {
            let e = p.error(format!(
                "`modparam` takes three arguments (module, parameter, value), found {}",
                p.found_desc()
            ));
            e.hint = Some("write `modparam(\"module\", \"param\", value)`".into());
            break;
        }
        if i > 0 {
            p.bump(COMMA);
        }
        let ok = match p.current() {
            IDENT => {
                let (name, range) = (p.nth_text(0).to_string(), p.nth_range(0));
                check_bare_name(p, &name, range);
                string_arg(p)
            }
            STRING | SQ_STRING => string_arg(p),
            NUMBER if i == 2 => {
                let l = p.start();
                p.bump_any();
                l.complete(p, LITERAL);
                true
            }
            PVAR if i == 2 && modparamx => {
                let l = p.start();
                p.bump_any();
                l.complete(p, PV_EXPR);
                true
            }
            MINUS if i == 2 && p.nth(1) == NUMBER => {
                let l = p.start();
                p.bump(MINUS);
                p.bump(NUMBER);
                l.complete(p, LITERAL);
                true
            }
            _ => false,
        };
        if !ok {
            let what = ["the module name", "the parameter name", "the value"][i];
            let found = p.found_desc();
            p.error(format!(
                "expected {what} (a string{}), found {found}",
                if i == 2 { " or a number" } else { "" }
            ));
            break;
        }
    }
    args.complete(p, ARG_LIST);
    if !p.eat(R_PAREN) {
        // skip to the closing parenthesis on this line
        if p.errors
            .last()
            .is_none_or(|e| e.range.start() < p.nth_range(0).start())
        {
            p.expect(R_PAREN);
        }
        while !p.at_eof() && !p.at(R_PAREN) && !p.newline_before_current() {
            p.bump_any();
        }
        p.eat(R_PAREN);
    }
    p.eat(SEMICOLON);
    m.complete(p, MODPARAM);
}

/// `flags FLAG_ACC : 1, FLAG_X` / `avpflags name`
fn flags_decl(p: &mut Parser) {
    let m = p.start();
    p.bump(IDENT);
    loop {
        match p.current() {
            IDENT => p.bump(IDENT),
            STRING | SQ_STRING => {
                string_lit(p);
            }
            _ => {
                p.error(format!("expected a flag name, found {}", p.found_desc()));
                break;
            }
        }
        if p.eat(COLON) {
            p.expect(NUMBER);
        }
        if !p.eat(COMMA) {
            break;
        }
    }
    m.complete(p, FLAGS_DECL);
}

/// `name = value...` (core parameter) or `group.var = value [desc "..."]`.
fn global_or_cfg_var(p: &mut Parser) {
    let m = p.start();
    let mut dotted = false;
    let (name, name_range) = (p.nth_text(0), p.nth_range(0));
    p.bump_any();
    // cfg framework: group[N].var
    if p.at(L_BRACK) && p.nth(1) == NUMBER && p.nth(2) == R_BRACK {
        p.bump(L_BRACK);
        p.bump(NUMBER);
        p.bump(R_BRACK);
        dotted = p.at(DOT);
    }
    while p.at(DOT) && (p.nth(1) == IDENT || p.nth(1).is_keyword()) {
        dotted = true;
        p.bump(DOT);
        p.bump_remap(IDENT);
    }
    if !p.at(EQ) {
        let found = p.found_desc();
        let name_hint = p.at(L_PAREN);
        let e = p.error(format!(
            "expected `=` after the parameter name, found {found}"
        ));
        if name_hint {
            e.hint = Some("function calls belong inside a route block".into());
        }
        // skip the rest of the line
        while !p.at_eof() && !p.newline_before_current() {
            p.bump_any();
        }
        p.eat(SEMICOLON);
        m.complete(p, ERROR);
        return;
    }
    if !dotted {
        if let Some(known) = p.core_params {
            if !known.iter().any(|k| k == name) {
                let e = p.error_at(name_range, format!("unknown core parameter `{name}`"));
                e.unexpected = Some(name_range);
                e.hint = Some("Kamailio knows a fixed set of core parameters; module settings go in `modparam(\"module\", \"name\", value)`".into());
            }
        }
    }
    p.bump(EQ);
    param_value(p);
    p.eat(SEMICOLON);
    m.complete(p, if dotted { CFG_VAR } else { GLOBAL_PARAM });
}

/// The value of a global parameter: Kamailio has a form per parameter
/// (`listen=udp:1.2.3.4:5060 advertise 5.6.7.8:5060 name "x"`), checked by
/// `kcfg-sema`; the syntax keeps the tokens up to the end of the line
/// (lines continue inside parentheses).
fn param_value(p: &mut Parser) {
    let m = p.start();
    if p.at_eof() || p.at(SEMICOLON) || p.newline_before_current() {
        let r = TextRange::empty(p.prev_end());
        let found = p.found_desc();
        let unexpected = p.nth_range(0);
        let e = p.error_at(r, format!("missing value after `=` (found {found})"));
        e.unexpected = Some(unexpected);
        e.hint = Some("write the value on the same line: `name = value`".into());
        m.complete(p, PARAM_VALUE);
        return;
    }
    let mut depth = 0i32;
    let mut first = true;
    loop {
        if p.at_eof() {
            break;
        }
        if !first && depth == 0 && (p.newline_before_current() || p.at(SEMICOLON)) {
            break;
        }
        if p.pending_pp().is_some() && !first && depth == 0 {
            break;
        }
        match p.current() {
            L_PAREN => depth += 1,
            R_PAREN => depth -= 1,
            L_BRACE | R_BRACE if depth == 0 => break,
            _ => {}
        }
        if (p.at(STRING) || p.at(SQ_STRING)) && depth == 0 {
            string_lit(p);
        } else {
            p.bump_any();
        }
        first = false;
    }
    m.complete(p, PARAM_VALUE);
}

/// `request_route { ... }`, `route[NAME] { ... }`, `event_route[mod:ev] { ... }`.
fn route_block(p: &mut Parser) {
    let m = p.start();
    let kw = p.current();
    p.bump_any();
    if p.at(L_BRACK) {
        let n = p.start();
        p.bump(L_BRACK);
        match p.current() {
            IDENT | NUMBER if kw == EVENT_ROUTE_KW => {
                let e = p.error(format!(
                    "`{}` is not an event route name: they look like `module:event` (e.g. `tm:local-request`)",
                    p.nth_text(0)
                ));
                e.hint = Some("see the module's documentation for the events it fires".into());
                p.bump_any();
            }
            NUMBER | IDENT | EVENT_ROUTE_NAME => p.bump_any(),
            STRING | SQ_STRING => {
                string_lit(p);
            }
            k if k.is_keyword() => p.bump_remap(IDENT),
            _ => {
                let msg = if kw == EVENT_ROUTE_KW {
                    format!(
                        "expected an event route name like `tm:local-request`, found {}",
                        p.found_desc()
                    )
                } else {
                    format!("expected a route name, found {}", p.found_desc())
                };
                p.error(msg);
            }
        }
        p.expect(R_BRACK);
        n.complete(p, ROUTE_NAME);
    } else if kw == EVENT_ROUTE_KW {
        p.error(format!(
            "`event_route` needs a name: `event_route[module:event]`, found {}",
            p.found_desc()
        ));
    }
    if p.at(L_BRACE) {
        block(p, true);
    } else {
        p.error(format!(
            "expected `{{` to start the route body, found {}",
            p.found_desc()
        ));
    }
    m.complete(p, ROUTE_BLOCK);
}

// ---------------------------------------------------------------- statements

/// `{ statements }`. Kamailio needs at least one statement in a block.
fn block(p: &mut Parser, route_body: bool) {
    let m = p.start();
    let open = p.nth_range(0);
    p.bump(L_BRACE);
    if !p.enter() {
        skip_balanced_rest(p);
        m.complete(p, BLOCK);
        return;
    }
    let mut count = 0;
    let groups_before = p.pp_if_count;
    let active_before = p.active_stmts;
    let uncertain_before = p.uncertain_groups;
    loop {
        if handle_pp(p, Level::Stmt) {
            break;
        }
        if p.at(R_BRACE) || p.at_eof() {
            break;
        }
        if p.current().is_route_keyword() && p.nth(1) != L_PAREN && p.newline_before_current() {
            // a route block inside a block: the `}` of this block is missing
            break;
        }
        statement(p);
        count += 1;
        if p.too_deep() {
            break;
        }
    }
    p.leave();
    if p.at(R_BRACE) {
        // (statements only in `#!ifdef` arms Kamailio does not take: empty too)
        let only_arms_not_taken =
            p.active_stmts == active_before && p.uncertain_groups == uncertain_before;
        if count == 0
            && p.pp_if_count != groups_before
            && p.active_stmts == active_before
            && p.uncertain_groups != uncertain_before
            && p.has_includes
            && !p.includes_resolved
        {
            // empty but for arms whose defines an include could change
            p.note_include_decision(TextRange::new(open.start(), p.nth_range(0).end()));
        }
        if count == 0 && (p.pp_if_count == groups_before || only_arms_not_taken) && !p.too_deep() {
            let r = TextRange::new(open.start(), p.nth_range(0).end());
            let what = if route_body {
                "a route block"
            } else {
                "a block"
            };
            let closing = p.nth_range(0);
            let arms = p.pp_if_count != groups_before;
            let e = p.error_at(
                r,
                if arms {
                    format!("empty block with these defines: every statement of {what} is in an `#!ifdef` arm Kamailio does not take, and it needs at least one")
                } else {
                    format!("empty block: Kamailio needs at least one statement in {what}")
                },
            );
            e.unexpected = Some(closing);
            e.hint = Some(if arms {
                "put `;` or `return;` after the `#!endif`".into()
            } else {
                "put `;` or `return;` inside, or remove the block".into()
            });
        }
        p.bump(R_BRACE);
    } else if !p.too_deep() {
        let at = p.nth_range(0);
        let e = p.error_at(
            open,
            format!(
                "unclosed `{{`: the matching `}}` is missing (found {})",
                p.found_desc()
            ),
        );
        e.unexpected = Some(at);
    } else {
        skip_balanced_rest(p);
    }
    m.complete(p, BLOCK);
}

/// After the nesting limit: consume tokens up to the `}` that closes the
/// current block, without recursion.
fn skip_balanced_rest(p: &mut Parser) {
    let mut depth = 1u32;
    while !p.at_eof() {
        match p.current() {
            L_BRACE => depth += 1,
            R_BRACE => {
                depth -= 1;
                if depth == 0 {
                    p.bump(R_BRACE);
                    return;
                }
            }
            _ => {}
        }
        p.bump_any();
    }
}

fn statement(p: &mut Parser) {
    match p.current() {
        SEMICOLON => {
            let m = p.start();
            p.bump(SEMICOLON);
            m.complete(p, EMPTY_STMT);
        }
        IF_KW => if_stmt(p),
        SWITCH_KW => switch_stmt(p),
        WHILE_KW => while_stmt(p),
        RETURN_KW => ret_stmt(p, RETURN_STMT),
        EXIT_KW => ret_stmt(p, EXIT_STMT),
        DROP_KW => ret_stmt(p, DROP_STMT),
        BREAK_KW => {
            let m = p.start();
            p.bump(BREAK_KW);
            p.expect(SEMICOLON);
            m.complete(p, BREAK_STMT);
        }
        L_BRACE => {
            let r = p.nth_range(0);
            let e = p.error_at(r, "a block `{ ... }` cannot stand alone here");
            e.hint = Some(
                "Kamailio accepts blocks only after `if`, `else` and `while`; remove the braces"
                    .into(),
            );
            block(p, false);
        }
        ELSE_KW => {
            let m = p.start();
            let r = p.nth_range(0);
            let e = p.error_at(r, "`else` without `if`");
            e.unexpected = Some(r);
            e.hint = Some("is there a `;` or `}` too many before it?".into());
            p.bump(ELSE_KW);
            if p.at(IF_KW) {
                if_stmt(p);
            } else {
                stmt_or_block(p);
            }
            m.complete(p, ERROR);
        }
        CASE_KW | DEFAULT_KW => {
            p.err_and_bump("`case`/`default` outside `switch`");
            p.eat(COLON);
        }
        IDENT if p.nth_text(0) == "continue" && p.nth(1) == SEMICOLON => {
            let m = p.start();
            let r = p.nth_range(0);
            let e = p.error_at(r, "`continue` does not exist in Kamailio's language");
            e.unexpected = Some(r);
            e.hint = Some("use a flag variable checked by the `while` condition".into());
            p.bump(IDENT);
            p.bump(SEMICOLON);
            m.complete(p, ERROR);
        }
        PVAR | AT => assign_or_expr_stmt(p),
        IDENT | ROUTE_KW => call_stmt(p),
        k if k.is_keyword() && p.nth(1) == L_PAREN => call_stmt(p),
        _ => {
            let found = p.found_desc();
            p.err_and_bump(format!("expected a statement, found {found}"));
        }
    }
}

fn stmt_or_block(p: &mut Parser) {
    if p.at(L_BRACE) {
        block(p, false);
    } else if p.at_eof() || p.at(R_BRACE) {
        p.error(format!(
            "expected a statement or `{{`, found {}",
            p.found_desc()
        ));
    } else if p.enter() {
        statement(p);
        p.leave();
    }
}

/// `if c s [else if c s]* [else s]`: `else if` arms are flat `ELSE_BRANCH`
/// children of one `IF_STMT` (`else`, `if`, condition, statement), so a long
/// chain costs no nesting (Kamailio has no limit there either).
fn if_stmt(p: &mut Parser) {
    let m = p.start();
    p.bump(IF_KW);
    condition(p);
    stmt_or_block(p);
    while p.at(ELSE_KW) {
        let e = p.start();
        p.bump(ELSE_KW);
        if p.eat(IF_KW) {
            condition(p);
            stmt_or_block(p);
            e.complete(p, ELSE_BRANCH);
            continue;
        }
        stmt_or_block(p);
        e.complete(p, ELSE_BRANCH);
        break;
    }
    m.complete(p, IF_STMT);
}

/// The condition of `if`/`while`/`switch`: any expression (the parentheses
/// are an ordinary parenthesised expression in Kamailio's grammar).
fn condition(p: &mut Parser) {
    if p.at(L_BRACE) || p.at_eof() {
        p.error(format!("expected a condition, found {}", p.found_desc()));
        return;
    }
    expr(p);
}

fn while_stmt(p: &mut Parser) {
    let m = p.start();
    p.bump(WHILE_KW);
    condition(p);
    stmt_or_block(p);
    m.complete(p, WHILE_STMT);
}

fn switch_stmt(p: &mut Parser) {
    let m = p.start();
    p.bump(SWITCH_KW);
    condition(p);
    if !p.at(L_BRACE) {
        p.error(format!(
            "expected `{{` after the switch expression, found {}",
            p.found_desc()
        ));
        m.complete(p, SWITCH_STMT);
        return;
    }
    let b = p.start();
    let open = p.nth_range(0);
    p.bump(L_BRACE);
    if p.enter() {
        loop {
            if handle_pp(p, Level::Case) {
                break;
            }
            if p.at(R_BRACE) || p.at_eof() {
                break;
            }
            case_item(p);
            if p.too_deep() {
                break;
            }
        }
        p.leave();
    }
    if !p.eat(R_BRACE) {
        let at = p.nth_range(0);
        let e = p.error_at(
            open,
            format!("unclosed `{{` of `switch` (found {})", p.found_desc()),
        );
        e.unexpected = Some(at);
    }
    b.complete(p, BLOCK);
    m.complete(p, SWITCH_STMT);
}

/// `case X:` / `case /"re":` / `default:` and their statements.
fn case_item(p: &mut Parser) {
    let m = p.start();
    match p.current() {
        CASE_KW => {
            p.bump(CASE_KW);
            p.eat(SLASH);
            if p.at(COLON) {
                p.error("expected a case label before `:`");
            } else {
                expr_bp(p, 0, false);
            }
            p.expect(COLON);
        }
        DEFAULT_KW => {
            p.bump(DEFAULT_KW);
            p.expect(COLON);
        }
        _ => {
            p.error(format!(
                "expected `case` or `default` inside `switch`, found {}",
                p.found_desc()
            ));
            statement(p);
            m.complete(p, ERROR);
            return;
        }
    }
    loop {
        if handle_pp(p, Level::Stmt) {
            break;
        }
        if matches!(p.current(), CASE_KW | DEFAULT_KW | R_BRACE | EOF) {
            break;
        }
        statement(p);
        if p.too_deep() {
            break;
        }
    }
    m.complete(p, CASE_CLAUSE);
}

/// `return [expr];`, `exit [expr];`, `drop [expr];`
fn ret_stmt(p: &mut Parser, kind: SyntaxKind) {
    let m = p.start();
    p.bump_any();
    if p.at(L_PAREN) && p.nth(1) == R_PAREN {
        p.bump(L_PAREN);
        p.bump(R_PAREN);
    } else if starts_expr(p.current()) {
        // like Kamailio, `return` takes the expression that follows, even on the next line
        expr(p);
    }
    p.expect(SEMICOLON);
    m.complete(p, kind);
}

fn assign_or_expr_stmt(p: &mut Parser) {
    let m = p.start();
    let lhs = p.start();
    let is_select = !p.at(PVAR);
    let lhs_start = p.nth_range(0).start();
    if p.at(PVAR) {
        p.bump(PVAR);
        lhs.complete(p, PV_EXPR);
    } else {
        select(p, lhs);
    }
    if is_select && p.at(EQ) {
        let r = TextRange::new(lhs_start, p.prev_end());
        let e = p.error_at(r, "a select (`@...`) cannot be assigned");
        e.unexpected = Some(r);
        e.hint = Some("assign a pseudo-variable instead, e.g. `$ru`, `$rU` or `$var(x)`".into());
    }
    match p.current() {
        EQ => {
            p.bump(EQ);
            if p.at(SEMICOLON) || p.at_eof() {
                p.error(format!(
                    "expected a value after `=`, found {}",
                    p.found_desc()
                ));
            } else {
                expr(p);
            }
            p.expect(SEMICOLON);
            m.complete(p, ASSIGN_STMT);
        }
        PLUS_EQ => {
            let r = p.nth_range(0);
            let e = p.error_at(r, "Kamailio has no `+=` operator");
            e.unexpected = Some(r);
            e.hint = Some("write `$x = $x + value;`".into());
            p.bump(PLUS_EQ);
            expr(p);
            p.eat(SEMICOLON);
            m.complete(p, ASSIGN_STMT);
        }
        COLON if p.nth(1) == EQ => {
            let r = TextRange::new(p.nth_range(0).start(), p.nth_range(1).end());
            let colon = p.nth_range(0);
            let e = p.error_at(r, "Kamailio has no `:=` operator");
            e.unexpected = Some(colon);
            e.hint = Some("assign with `=`".into());
            p.bump(COLON);
            p.bump(EQ);
            expr(p);
            p.eat(SEMICOLON);
            m.complete(p, ASSIGN_STMT);
        }
        _ => {
            let found = p.found_desc();
            let r = p.nth_range(0);
            let e = p.error_at(r, format!("expected `=` after the variable, found {found}"));
            e.unexpected = Some(r);
            e.hint = Some("a pseudo-variable alone is not a statement: assign it (`$x = ...;`) or use it in a condition".into());
            // skip to the end of the statement
            while !p.at_eof()
                && !matches!(p.current(), SEMICOLON | L_BRACE | R_BRACE)
                && !p.newline_before_current()
            {
                p.bump_any();
            }
            p.eat(SEMICOLON);
            m.complete(p, ERROR);
        }
    }
}

/// `f(args);`, `route(NAME);`, `force_rport;`
fn call_stmt(p: &mut Parser) {
    let m = p.start();
    let c = p.start();
    let name = p.nth_text(0);
    let name_range = p.nth_range(0);
    let core = p.at(ROUTE_KW) || CORE_ACTIONS.contains(&name);
    let route = p.at(ROUTE_KW);
    check_flag_name(p, name);
    check_avpflag_args(p, name);
    p.bump_remap(if route { ROUTE_KW } else { IDENT });
    if p.at(L_PAREN) {
        call_args(p, core, route);
    } else if p.is_defined(name) {
        // a define used as a whole statement: its value is the code
    } else if !BARE_CORE_ACTIONS.contains(&name) {
        if p.at(EQ) {
            let e = p.error_at(name_range, format!("`{name}` is not a variable: only pseudo-variables (`$var(...)`, `$avp(...)`, ...) can be assigned"));
            e.unexpected = Some(name_range);
            e.hint = Some(format!("did you mean `$var({name})`?"));
            p.bump(EQ);
            expr(p);
        } else {
            let found = p.found_desc();
            let e = p.error_at(
                TextRange::empty(name_range.end()),
                format!("expected `(` after the function name `{name}`, found {found}"),
            );
            e.hint = Some(format!("call it as `{name}()`"));
        }
    }
    let define_stmt = !p.at(L_PAREN) && p.is_defined(name) && !p.at(SEMICOLON);
    c.complete(p, CALL);
    if define_stmt {
        p.eat(SEMICOLON);
    } else {
        p.expect(SEMICOLON);
    }
    m.complete(p, EXPR_STMT);
}

fn call_args(p: &mut Parser, core: bool, route: bool) {
    if route && p.nth(1) == R_PAREN {
        // cfg.y: `ROUTE LPAREN error RPAREN` ("bad route argument")
        let close = p.nth_range(1);
        let r = TextRange::new(p.nth_range(0).start(), close.end());
        let e = p.error_at(
            r,
            "`route()` needs the name of a route block: `route(NAME)`",
        );
        e.unexpected = Some(close);
    }
    if core {
        p.core_args += 1;
    }
    arg_list(p);
    if core {
        p.core_args -= 1;
    }
}

fn arg_list(p: &mut Parser) {
    let m = p.start();
    p.bump(L_PAREN);
    if !p.enter() {
        while !p.at_eof() && !p.at(R_PAREN) {
            p.bump_any();
        }
        p.eat(R_PAREN);
        m.complete(p, ARG_LIST);
        return;
    }
    if !p.at(R_PAREN) {
        loop {
            if p.at(COMMA) || p.at(R_PAREN) {
                p.error(format!("expected an argument, found {}", p.found_desc()));
            } else {
                arg(p);
            }
            if !p.eat(COMMA) {
                break;
            }
        }
    }
    p.leave();
    if !p.eat(R_PAREN) {
        let found = p.found_desc();
        let r = p.nth_range(0);
        let e = p.error_at(
            TextRange::empty(p.prev_end()),
            format!("expected `)` or `,` in the argument list, found {found}"),
        );
        e.unexpected = Some(r);
    }
    m.complete(p, ARG_LIST);
}

/// A call argument: an expression, or a socket/host literal (`udp:1.2.3.4:5060`, `uri:host`).
fn arg(p: &mut Parser) {
    if matches!(p.current(), IDENT | NUMBER | IPV6 | STAR) && p.nth(1) == COLON {
        addr_lit(p);
        return;
    }
    expr(p);
}

/// `proto:host:port`, `uri:host`, `host:port` in a call argument.
fn addr_lit(p: &mut Parser) {
    let m = p.start();
    loop {
        match p.current() {
            IDENT | IPV6 | STAR => p.bump_any(),
            NUMBER => {
                p.bump(NUMBER);
                while p.at(DOT) && p.nth(1) == NUMBER {
                    p.bump(DOT);
                    p.bump(NUMBER);
                }
            }
            L_BRACK => {
                p.bump(L_BRACK);
                p.eat(IPV6);
                p.expect(R_BRACK);
            }
            _ => {
                p.error(format!("expected an address, found {}", p.found_desc()));
                break;
            }
        }
        while p.at(DOT) && matches!(p.nth(1), IDENT | NUMBER) {
            p.bump(DOT);
            p.bump_any();
        }
        if !p.eat(COLON) {
            break;
        }
    }
    m.complete(p, IP_LIT);
}

// ---------------------------------------------------------------- expressions

pub(super) fn starts_expr(k: SyntaxKind) -> bool {
    matches!(
        k,
        NUMBER
            | STRING
            | SQ_STRING
            | PVAR
            | AT
            | IDENT
            | IPV6
            | L_PAREN
            | BANG
            | NOT_KW
            | TILDE
            | MINUS
            | INT_CAST
            | STR_CAST
            | DEFINED_KW
            | STRLEN_KW
            | STREMPTY_KW
            | SELVAL_KW
            | ROUTE_KW
    )
}

fn expr(p: &mut Parser) {
    expr_bp(p, 0, true);
}

/// Binding power (left, right) of a binary operator, from cfg.y's precedence.
fn infix_bp(k: SyntaxKind) -> Option<u8> {
    Some(match k {
        PIPE2 | OR_KW => 2,
        AMP2 | AND_KW => 3,
        PIPE => 4,
        AMP => 5,
        CARET => 6,
        SHL => 7,
        SHR => 8,
        EQ2 | NEQ | MATCH | EQ_KW | NE_KW | IEQ_KW | INE_KW | NOT_MATCH => 9,
        GT | LT | GTE | LTE => 10,
        PLUS | MINUS => 11,
        STAR | SLASH | MOD_KW | PERCENT => 12,
        _ => return None,
    })
}

fn expr_bp(p: &mut Parser, min_bp: u8, allow_assign_like: bool) -> Option<CompletedMarker> {
    if !p.enter() {
        // too deep: swallow the rest of the expression flatly
        while !p.at_eof() && !matches!(p.current(), SEMICOLON | L_BRACE | R_BRACE) {
            p.bump_any();
        }
        return None;
    }
    let r = expr_bp_inner(p, min_bp, allow_assign_like);
    p.leave();
    r
}

/// Operators in one chain before the tree would get too deep to drop safely.
const MAX_CHAIN: u32 = 1000;

fn expr_bp_inner(p: &mut Parser, min_bp: u8, allow_assign_like: bool) -> Option<CompletedMarker> {
    let comparison_rhs = std::mem::take(&mut p.comparison_rhs);
    p.operand = Operand::Other;
    p.bare = Operand::Other;
    let mut lhs = prefix_expr(p)?;
    let mut lhs_operand = std::mem::replace(&mut p.bare, Operand::Other);
    let mut chain = 0u32;
    // each operator nests the tree one level deeper; chains nested in
    // parentheses add up, so deeper chains get a smaller share (the sum over
    // all nesting levels stays bounded: about MAX_CHAIN * ln(MAX_DEPTH))
    let cap = (MAX_CHAIN / (1 + p.depth / 4)).max(8);
    loop {
        chain += 1;
        if chain > cap {
            let r = p.nth_range(0);
            p.error_at(
                r,
                format!("expression with more than {cap} operators: kcfg stops parsing it"),
            );
            while !p.at_eof() && !matches!(p.current(), SEMICOLON | L_BRACE | R_BRACE) {
                p.bump_any();
            }
            break;
        }
        let op = p.current();
        if op == DOT {
            // `$a . $b`: not an operator in Kamailio
            let r = p.nth_range(0);
            let e = p.error_at(
                r,
                "`.` is not the string concatenation operator in Kamailio",
            );
            e.unexpected = Some(r);
            e.hint = Some("use `+` to join strings: `$var(a) + \".\" + $var(b)`".into());
            let m = lhs.precede(p);
            p.bump(DOT);
            expr_bp(p, 12, allow_assign_like);
            lhs = m.complete(p, BIN_EXPR);
            continue;
        }
        if op == EQ && allow_assign_like && min_bp <= 9 {
            // `if ($x = 1)`: an assignment inside a condition
            let r = p.nth_range(0);
            let e = p.error_at(r, "`=` assigns; compare with `==`");
            e.unexpected = Some(r);
            let m = lhs.precede(p);
            p.bump(EQ);
            expr_bp(p, 10, allow_assign_like);
            lhs = m.complete(p, BIN_EXPR);
            continue;
        }
        let Some(bp) = infix_bp(op) else { break };
        if bp <= min_bp {
            break;
        }
        let r = p.nth_range(0);
        match op {
            PERCENT => {
                let e = p.error_at(r, "`%` is not an operator in Kamailio");
                e.unexpected = Some(r);
                e.hint = Some("the modulo operator is `mod`: `$var(x) mod 2`".into());
            }
            NOT_MATCH => {
                let e = p.error_at(r, "`!~` is not an operator in Kamailio");
                e.unexpected = Some(r);
                e.hint = Some("negate a regex match with `!($x =~ \"re\")`".into());
            }
            _ => {}
        }
        let m = lhs.precede(p);
        p.bump_any();
        let comparison = bp == 9;
        let mut rhs_operand = Operand::Other;
        if p.at_eof() || matches!(p.current(), R_PAREN | SEMICOLON | L_BRACE | R_BRACE | COMMA) {
            p.error(format!(
                "expected an operand after the operator, found {}",
                p.found_desc()
            ));
        } else {
            p.comparison_rhs = comparison;
            p.operand = Operand::Other;
            expr_bp(p, bp, allow_assign_like);
            p.comparison_rhs = false;
            rhs_operand = std::mem::replace(&mut p.operand, Operand::Other);
        }
        if comparison {
            myself_comparison(p, lhs_operand, op, rhs_operand, r);
        }
        lhs = m.complete(p, BIN_EXPR);
        lhs_operand = Operand::Other;
    }
    if let Operand::Myself(at) = lhs_operand {
        if !comparison_rhs {
            myself_alone(p, at);
        }
    }
    p.operand = lhs_operand;
    Some(lhs)
}

/// `cfg.y` takes `myself` only in `exp_elem`: `uri_type strop MYSELF`,
/// `eip_op strop MYSELF` and `MYSELF equalop (uri_type | eip_op)` (no `=~`
/// with `myself` on the left). Anything else with it is a syntax error.
fn myself_comparison(
    p: &mut Parser,
    lhs: Operand,
    op: SyntaxKind,
    rhs: Operand,
    op_range: TextRange,
) {
    let equality = matches!(op, EQ2 | NEQ | EQ_KW | NE_KW);
    let (at, ok) = match (lhs, rhs) {
        (Operand::UriOrIp, Operand::Myself(at)) => (at, equality || op == MATCH),
        (Operand::Myself(at), Operand::UriOrIp) => (at, equality),
        (Operand::Myself(at), _) | (_, Operand::Myself(at)) => (at, false),
        _ => return,
    };
    if ok {
        return;
    }
    let e = p.error_at(
        at,
        if matches!(lhs, Operand::Myself(_)) && matches!(rhs, Operand::UriOrIp) {
            "`myself` on the left may only be compared with `==` or `!=`".to_string()
        } else {
            "`myself` may only be compared with `uri`, `from_uri`, `to_uri`, `src_ip`, `dst_ip`, `snd_ip` or `to_ip`".to_string()
        },
    );
    e.unexpected = Some(if matches!(lhs, Operand::Myself(_)) {
        op_range
    } else {
        at
    });
    e.hint = Some("to test a pseudo-variable, use `is_myself(\"$var\")` (module corex)".into());
}

/// `myself` as a value of its own (assigned, an argument, negated).
fn myself_alone(p: &mut Parser, at: TextRange) {
    let e = p.error_at(
        at,
        "`myself` is not a value: it may only be compared with `uri`, `from_uri`, `to_uri`, `src_ip`, `dst_ip`, `snd_ip` or `to_ip`",
    );
    e.unexpected = Some(at);
    e.hint = Some("to test a pseudo-variable, use `is_myself(\"$var\")` (module corex)".into());
}

fn prefix_expr(p: &mut Parser) -> Option<CompletedMarker> {
    match p.current() {
        BANG | NOT_KW | TILDE | MINUS => {
            let m = p.start();
            let not = matches!(p.current(), BANG | NOT_KW);
            p.bump_any();
            // cfg.y reads `!uri == myself` as `!(uri == myself)`: a negated
            // `uri`/`myself` stays an operand of the comparison after it
            p.comparison_rhs = not;
            p.operand = Operand::Other;
            expr_bp(p, 13, true);
            p.comparison_rhs = false;
            if not {
                p.bare = std::mem::replace(&mut p.operand, Operand::Other);
            }
            Some(m.complete(p, PREFIX_EXPR))
        }
        DEFINED_KW => {
            let m = p.start();
            p.bump(DEFINED_KW);
            expr_bp(p, 14, true);
            Some(m.complete(p, BUILTIN_EXPR))
        }
        INT_CAST | STR_CAST => {
            let m = p.start();
            p.bump_any();
            expr_bp(p, 15, true);
            Some(m.complete(p, CAST_EXPR))
        }
        _ => primary(p),
    }
}

fn primary(p: &mut Parser) -> Option<CompletedMarker> {
    let m = p.start();
    match p.current() {
        NUMBER => {
            // 1.2.3.4 (and 10.0.0.0/8 in old-style conditions)
            if p.nth(1) == DOT
                && p.nth(2) == NUMBER
                && p.nth(3) == DOT
                && p.nth(4) == NUMBER
                && p.nth(5) == DOT
                && p.nth(6) == NUMBER
            {
                for _ in 0..7 {
                    p.bump_any();
                }
                if p.at(SLASH) && p.nth(1) == NUMBER {
                    p.bump(SLASH);
                    p.bump(NUMBER);
                }
                return Some(m.complete(p, IP_LIT));
            }
            p.bump(NUMBER);
            Some(m.complete(p, LITERAL))
        }
        IPV6 => {
            p.bump(IPV6);
            Some(m.complete(p, IP_LIT))
        }
        STRING | SQ_STRING => {
            m.abandon(p);
            Some(string_lit(p))
        }
        PVAR => {
            p.bump(PVAR);
            Some(m.complete(p, PV_EXPR))
        }
        AT => Some(select(p, m)),
        IDENT | ROUTE_KW => {
            if p.nth(1) == L_PAREN {
                let core = p.at(ROUTE_KW) || CORE_ACTIONS.contains(&p.nth_text(0));
                let route = p.at(ROUTE_KW);
                check_flag_name(p, p.nth_text(0));
                check_avpflag_args(p, p.nth_text(0));
                p.bump_remap(if route { ROUTE_KW } else { IDENT });
                call_args(p, core, route);
                return Some(m.complete(p, CALL));
            }
            let name_start = p.nth_range(0).start();
            p.bump_remap(IDENT);
            // `msg:len`, `uri:host`, `uri:port`: single tokens in Kamailio's lexer
            if p.at(COLON)
                && p.next_is_adjacent_to_prev()
                && p.nth(1) == IDENT
                && p.next_is_adjacent()
            {
                p.bump(COLON);
                p.bump(IDENT);
            }
            // host names: `my.host.example` in old-style conditions
            let mut host = false;
            while p.at(DOT) && p.nth(1) == IDENT && p.next_is_adjacent_to_prev() {
                p.bump(DOT);
                p.bump(IDENT);
                host = true;
            }
            let range = TextRange::new(name_start, p.prev_end());
            if !host {
                let name = p.text_of(range).to_string();
                if !p.is_defined(&name) {
                    p.bare = match name.as_str() {
                        "myself" => Operand::Myself(range),
                        "uri" | "from_uri" | "to_uri" | "src_ip" | "dst_ip" | "snd_ip"
                        | "to_ip" => Operand::UriOrIp,
                        _ => Operand::Other,
                    };
                }
                let before = p.errors.len();
                check_bare_name(p, &name, range);
                // Kamailio reads a bare name as the start of a call and
                // fails at the token after it
                let next = p.nth_range(0);
                if p.errors.len() > before {
                    if let Some(e) = p.errors.last_mut().filter(|e| e.range == range) {
                        e.unexpected = Some(next);
                    }
                }
            }
            Some(m.complete(p, NAME_REF))
        }
        L_PAREN => {
            p.bump(L_PAREN);
            if p.at(R_PAREN) {
                p.error("expected an expression inside `( )`");
            } else if p.at(PVAR) && p.nth(1) == EQ {
                // `($x = f())`: an assignment used as a value
                let a = p.start();
                let l = p.start();
                p.bump(PVAR);
                l.complete(p, PV_EXPR);
                p.bump(EQ);
                expr(p);
                a.complete(p, ASSIGN_STMT);
            } else {
                expr_bp(p, 0, true);
            }
            if !p.eat(R_PAREN) {
                let found = p.found_desc();
                let r = p.nth_range(0);
                let e = p.error_at(
                    TextRange::empty(p.prev_end()),
                    format!("expected `)`, found {found}"),
                );
                e.unexpected = Some(r);
            }
            Some(m.complete(p, PAREN_EXPR))
        }
        STRLEN_KW | STREMPTY_KW | SELVAL_KW => {
            let kw = p.current();
            p.bump_any();
            if p.at(L_PAREN) {
                arg_list(p);
            } else {
                p.error(format!(
                    "expected `(` after `{}`",
                    if kw == STRLEN_KW {
                        "strlen"
                    } else if kw == SELVAL_KW {
                        "selval"
                    } else {
                        "strempty"
                    }
                ));
            }
            Some(m.complete(p, BUILTIN_EXPR))
        }
        k if k.is_keyword()
            && p.nth(1) == L_PAREN
            && !matches!(k, IF_KW | WHILE_KW | SWITCH_KW) =>
        {
            // keyword-named actions used as values, e.g. `if (drop())` is odd but parses
            p.bump_remap(IDENT);
            arg_list(p);
            Some(m.complete(p, CALL))
        }
        _ => {
            m.abandon(p);
            let found = p.found_desc();
            let r = p.nth_range(0);
            let e = p.error_at(r, format!("expected an expression, found {found}"));
            e.unexpected = Some(r);
            if !matches!(
                p.current(),
                R_PAREN | SEMICOLON | L_BRACE | R_BRACE | COMMA | EOF
            ) {
                let em = p.start();
                p.bump_any();
                return Some(em.complete(p, ERROR));
            }
            None
        }
    }
}

/// `@from.uri.user`, `@hf_value["X"][1]`: no whitespace inside, as in Kamailio's SELECT state.
fn select(p: &mut Parser, m: super::Marker) -> CompletedMarker {
    p.bump(AT);
    if !(p.at(IDENT) || p.current().is_keyword()) || !p.next_is_adjacent_to_prev() {
        p.error(format!(
            "expected a select name after `@`, found {}",
            p.found_desc()
        ));
        return m.complete(p, SELECT_EXPR);
    }
    p.bump_remap(IDENT);
    loop {
        if !p.next_is_adjacent_to_prev() {
            break;
        }
        match p.current() {
            DOT if matches!(p.nth(1), IDENT) || p.nth(1).is_keyword() => {
                p.bump(DOT);
                p.bump_remap(IDENT);
            }
            L_BRACK => {
                p.bump(L_BRACK);
                match p.current() {
                    NUMBER | STRING => p.bump_any(),
                    MINUS if p.nth(1) == NUMBER => {
                        p.bump(MINUS);
                        p.bump(NUMBER);
                    }
                    _ => {
                        p.error(format!(
                            "expected a number or a string in the select index, found {}",
                            p.found_desc()
                        ));
                    }
                }
                p.expect(R_BRACK);
            }
            _ => break,
        }
    }
    m.complete(p, SELECT_EXPR)
}
