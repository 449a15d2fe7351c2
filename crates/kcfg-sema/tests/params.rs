//! Values of core parameters (KC134), database URLs of modparams (KC135)
//! and the load order of modules that bind others at start-up (KC136), in
//! memory. Every verdict here was checked with real Kamailio 5.6.3
//! (`kamailio -c`, and a start-up for KC135 and KC136).

use kcfg_sema::{KamailioVersion, MemoryLoader, Model, SemaOptions, Severity};

fn check(text: &str) -> Model {
    let opts = SemaOptions {
        version: KamailioVersion::V5_6,
        cwd: Some("/cfg".into()),
        ..Default::default()
    };
    Model::build("/cfg/kamailio.cfg", text, &MemoryLoader::new(), &opts)
}

/// (code, line, message, help) of each diagnostic.
fn found(text: &str) -> Vec<(&'static str, u32, String, String)> {
    let m = check(text);
    m.diagnostics
        .iter()
        .map(|d| {
            (
                d.code,
                m.file(d.file).line_of(d.range),
                d.message.clone(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect()
}

const ROUTE: &str = "request_route {\n\tdrop;\n}\n";

fn core(line: &str) -> Vec<(&'static str, u32, String, String)> {
    found(&format!("{line}\n{ROUTE}"))
}

// ---------------------------------------------------------------- KC134

#[test]
fn a_quoted_string_for_a_number_is_a_syntax_error() {
    // Kamailio: "parse error ... line 1, column 12-17: syntax error"
    let f = core("children = \"four\"");
    assert_eq!(f.len(), 1, "{f:?}");
    let (code, line, msg, help) = &f[0];
    assert_eq!((*code, *line), ("KC134", 1));
    assert!(
        msg.contains("`children` takes a number, not a quoted string"),
        "{msg}"
    );
    assert!(help.contains("without quotes"), "{help}");
    assert!(help.contains("syntax error"), "{help}");
    // the number in quotes: the help gives the fix
    let f = core("debug = \"3\"");
    assert_eq!(f[0].0, "KC134");
    assert!(f[0].3.contains("`debug = 3`"), "{}", f[0].3);
    let f = core("disable_tcp = \"yes\"");
    assert!(f[0].3.contains("`disable_tcp = yes`"), "{}", f[0].3);
    // single quotes and adjacent pieces are strings too
    assert_eq!(core("children = '4'")[0].0, "KC134");
    assert_eq!(core("children = \"4\" \"5\"")[0].0, "KC134");
}

#[test]
fn only_kamailios_number_words_are_numbers() {
    for ok in [
        "children = 4",
        "children = 0x10",
        "children = 010",
        "children = 101b",
        "disable_tcp = yes",
        "disable_tcp = no",
        "mhomed = on",
        "mhomed = off",
        "mhomed = true",
        "mhomed = false",
        "mhomed = enable",
        "mhomed = disable",
        "children = inet",
        "children = ipv6",
        "children = 4;",
        "children = 4 # comment",
    ] {
        assert!(core(ok).is_empty(), "{ok}: {:?}", core(ok));
    }
    // case-sensitive, whole words, no other words
    for (bad, hint) in [
        ("disable_tcp = Yes", "lower-case `yes`"),
        ("children = YES", "lower-case `yes`"),
        ("children = enabled", "yes/no"),
        ("children = udp", "yes/no"),
        ("children = FOUR", "`#!define` it before this line"),
    ] {
        let f = core(bad);
        assert_eq!(f.len(), 1, "{bad}: {f:?}");
        assert_eq!(f[0].0, "KC134", "{bad}");
        assert!(f[0].2.contains("not a bare word"), "{bad}: {}", f[0].2);
        assert!(f[0].3.contains(hint), "{bad}: {}", f[0].3);
    }
}

#[test]
fn negative_numbers_only_where_the_grammar_takes_intno() {
    // debug is `intno`, children and tos are `NUMBER`
    assert!(core("debug = -1").is_empty());
    assert!(core("log_stderror = no").is_empty());
    let f = core("children = -1");
    assert_eq!(f[0].0, "KC134");
    assert!(f[0].2.contains("takes no negative number"), "{}", f[0].2);
    assert_eq!(core("tos = -1")[0].0, "KC134");
    // Kamailio reads `- 1` as MINUS NUMBER too
    assert!(core("debug = - 1").is_empty());
}

#[test]
fn strings_names_and_numbers() {
    // STRING only
    let f = core("server_header = 5");
    assert_eq!(f[0].0, "KC134");
    assert!(f[0].3.contains("`server_header = \"5\"`"), "{}", f[0].3);
    assert_eq!(core("log_name = foo")[0].0, "KC134");
    let f = core("log_name = yes");
    assert!(
        f[0].2.contains("a word Kamailio reads as a number"),
        "{}",
        f[0].2
    );
    assert!(core("server_header = \"Server: kamailio\"").is_empty());
    // STRING or ID
    assert!(core("user = kamailio").is_empty());
    assert!(core("user = \"kamailio\"").is_empty());
    assert_eq!(core("user = 1000")[0].0, "KC134");
    assert!(core("tcp_poll_method = epoll_lt").is_empty());
    assert_eq!(core("tcp_poll_method = 5")[0].0, "KC134");
    // ID only
    assert!(core("log_facility = LOG_LOCAL0").is_empty());
    let f = core("log_facility = \"LOG_LOCAL0\"");
    assert_eq!(f[0].0, "KC134");
    assert!(f[0].3.contains("`log_facility = LOG_LOCAL0`"), "{}", f[0].3);
    assert_eq!(core("log_facility = 5")[0].0, "KC134");
    // NUMBER or ID
    assert!(core("tos = IPTOS_LOWDELAY").is_empty());
    assert!(core("tos = 0x10").is_empty());
    assert_eq!(core("tos = \"IPTOS_LOWDELAY\"")[0].0, "KC134");
}

#[test]
fn values_through_defines() {
    assert!(core("#!define N 4\nchildren = N").is_empty());
    assert!(core("#!define ON yes\ndisable_tcp = ON").is_empty());
    assert!(core("#!substdef \"/NUM/4/\"\nchildren = NUM").is_empty());
    assert!(core("#!define A B\n#!define B 8\nchildren = A").is_empty());
    assert!(core("#!define SRV \"x\"\nserver_header = SRV").is_empty());
    let f = core("#!define N \"4\"\nchildren = N");
    assert_eq!((f[0].0, f[0].1), ("KC134", 2));
    assert!(f[0].2.contains("`N` expands to `\"4\"`"), "{}", f[0].2);
    assert!(f[0].3.contains("`#!define N 4`"), "{}", f[0].3);
    let f = core("#!define SRV x\nserver_header = SRV");
    assert!(f[0].3.contains("`#!define SRV \"x\"`"), "{}", f[0].3);
    // a define whose value kcfg cannot know, or several tokens: not checked
    assert!(core("#!defenv N=HOME\nchildren = N").is_empty());
    assert!(core("#!define N 1 + 2\nchildren = N").is_empty());
    // the parameter name itself a define: Kamailio substitutes it
    assert!(core("#!define children debug\nchildren = \"x\"").is_empty());
}

#[test]
fn forms_kcfg_does_not_judge_are_left_alone() {
    for text in [
        "listen = udp:127.0.0.1:5060",
        "alias = \"example.com\"",
        "advertised_address = \"1.2.3.4\"",
        "tcp_source_ipv4 = 127.0.0.1",
        "tls_method = TLSv1",
        "udp_mtu_try_proto = TCP",
        // several tokens, malformed numbers: not classified
        "children = 4.5",
        "children = 08",
        // cfg-framework variables
        "my.var = \"x\" desc \"d\"",
    ] {
        assert!(
            core(text).iter().all(|d| d.0 != "KC134"),
            "{text}: {:?}",
            core(text)
        );
    }
}

#[test]
fn a_wrong_value_is_an_error() {
    let m = check(&format!("children = \"four\"\n{ROUTE}"));
    assert!(m.has_errors());
    assert_eq!(m.diagnostics[0].severity, Severity::Error);
}

// ---------------------------------------------------------------- KC135

fn with_route(text: &str) -> Vec<(&'static str, u32, String, String)> {
    found(&format!("{text}{ROUTE}"))
}

#[test]
fn a_db_url_needs_its_database_module() {
    // Kamailio: "db_bind_mod(): Module db_mysql not found. Missing loadmodule?"
    let f = with_route(
        "loadmodule \"acc.so\"\nmodparam(\"acc\", \"db_url\", \"mysql://u:p@localhost/k\")\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
    let (code, line, msg, help) = &f[0];
    assert_eq!((*code, *line), ("KC135", 2));
    assert!(
        msg.contains("`db_url` of module `acc` is a `mysql://` URL"),
        "{msg}"
    );
    assert!(msg.contains("`db_mysql` is not loaded"), "{msg}");
    assert!(help.contains("loadmodule \"db_mysql.so\""), "{help}");
    // the scheme names the module: db_ + the URL up to its first `:`
    for (url, module) in [
        ("postgres://u:p@h/k", "db_postgres"),
        ("text:///tmp/dbtext", "db_text"),
        ("sqlite:///tmp/k.db", "db_sqlite"),
        ("redis://127.0.0.1:6379/1", "db_redis"),
        ("cluster://cls1", "db_cluster"),
        ("unixodbc://u:p@h/k", "db_unixodbc"),
    ] {
        let f = with_route(&format!(
            "loadmodule \"acc.so\"\nmodparam(\"acc\", \"db_url\", \"{url}\")\n"
        ));
        assert_eq!(f.len(), 1, "{url}: {f:?}");
        assert!(f[0].2.contains(&format!("`{module}`")), "{url}: {}", f[0].2);
    }
    // loaded, before or after: fine (Kamailio binds when it starts)
    assert!(with_route(
        "loadmodule \"acc.so\"\nmodparam(\"acc\", \"db_url\", \"mysql://u:p@h/k\")\nloadmodule \"db_mysql.so\"\n"
    )
    .is_empty());
    // other parameters, other URL schemes, defines
    assert!(with_route(
        "loadmodule \"acc.so\"\nmodparam(\"acc\", \"db_url\", \"http://example.com/x\")\n"
    )
    .is_empty());
    let f = with_route(
        "#!define DBURL \"mysql://u:p@h/k\"\nloadmodule \"auth_db.so\"\nmodparam(\"auth_db\", \"db_url\", DBURL)\n",
    );
    assert_eq!((f[0].0, f[0].1), ("KC135", 3));
    // a modparam for several modules at once
    let f = with_route(
        "loadmodule \"acc.so\"\nloadmodule \"htable.so\"\nmodparam(\"acc|htable\", \"db_url\", \"mysql://u:p@h/k\")\n",
    );
    assert_eq!(f.len(), 2, "{f:?}");
    // other URL parameters
    let f = with_route(
        "loadmodule \"utils.so\"\nmodparam(\"utils\", \"pres_db_url\", \"mysql://u:p@h/k\")\n",
    );
    assert_eq!(f[0].0, "KC135");
}

#[test]
fn modules_that_do_not_bind_their_url_are_left_alone() {
    // usrloc and dialog bind only with db_mode != 0; Kamailio 5.6.3 starts
    for text in [
        "loadmodule \"usrloc.so\"\nmodparam(\"usrloc\", \"db_url\", \"mysql://u:p@h/k\")\n",
        "loadmodule \"tm.so\"\nloadmodule \"dialog.so\"\nmodparam(\"dialog\", \"db_url\", \"mysql://u:p@h/k\")\n",
        "loadmodule \"rtpproxy.so\"\nmodparam(\"rtpproxy\", \"db_url\", \"mysql://u:p@h/k\")\n",
        // the database turned off, or moved elsewhere
        "loadmodule \"siptrace.so\"\nmodparam(\"siptrace\", \"trace_to_database\", 0)\n",
        "loadmodule \"topos.so\"\nmodparam(\"topos\", \"storage\", \"redis\")\n",
        "loadmodule \"sl.so\"\nloadmodule \"presence.so\"\nloadmodule \"presence_xml.so\"\nmodparam(\"presence_xml\", \"force_active\", 1)\n",
        // a failed loadmodule of the driver is reported by KC101 already
        "loadmodule \"mysql.so\"\nloadmodule \"acc.so\"\nmodparam(\"acc\", \"db_url\", \"mysql://u:p@h/k\")\n",
    ] {
        let f = with_route(text);
        assert!(f.iter().all(|d| d.0 != "KC135"), "{text}: {f:?}");
    }
}

#[test]
fn a_default_db_url_needs_db_mysql() {
    // presence_xml binds its default mysql:// URL at start-up (test/unit/34.cfg)
    let f = with_route(
        "loadmodule \"sl.so\"\nloadmodule \"presence.so\"\nloadmodule \"presence_xml.so\"\nmodparam(\"presence_xml\", \"integrated_xcap_server\", 1)\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
    let (code, line, msg, help) = &f[0];
    assert_eq!((*code, *line), ("KC135", 3));
    assert!(msg.contains("`db_url` defaults to `mysql://...`"), "{msg}");
    assert!(help.contains("loadmodule \"db_mysql.so\""), "{help}");
    // with db_mysql loaded, or with a URL of a loaded driver: fine
    assert!(with_route(
        "loadmodule \"db_mysql.so\"\nloadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\n"
    )
    .is_empty());
    assert!(with_route(
        "loadmodule \"db_text.so\"\nloadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\nmodparam(\"auth_db\", \"db_url\", \"text:///tmp\")\n"
    )
    .is_empty());
    // a modparam kcfg cannot read may set it: not reported
    assert!(with_route(
        "loadmodule \"auth.so\"\nloadmodule \"auth_db.so\"\nmodparam(MODS, \"db_url\", \"text:///tmp\")\n"
    )
    .iter()
    .all(|d| d.0 != "KC135"));
}

// ---------------------------------------------------------------- KC136

#[test]
fn registrar_must_be_loaded_after_usrloc() {
    // Kamailio: "bind_usrloc(): configuration error - trying to bind to
    // usrloc module before being initialized" (modules are initialised in
    // load order)
    let f = with_route(
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"registrar.so\"\nloadmodule \"usrloc.so\"\n",
    );
    assert_eq!(f.len(), 1, "{f:?}");
    let (code, line, msg, help) = &f[0];
    assert_eq!((*code, *line), ("KC136", 3));
    assert!(msg.contains("`registrar` binds module `usrloc`"), "{msg}");
    assert!(msg.contains("(at line 4)"), "{msg}");
    assert!(
        help.contains("move `loadmodule \"usrloc.so\"` before `loadmodule \"registrar.so\"`"),
        "{help}"
    );
    // without usrloc: "Can't bind to the usrloc module"
    let f = with_route("loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"registrar.so\"\n");
    assert_eq!(f[0].0, "KC136");
    assert!(f[0].2.contains("which is not loaded"), "{}", f[0].2);
    assert!(f[0].3.contains("loadmodule \"usrloc.so\""), "{}", f[0].3);
    // pua_usrloc binds it the same way
    let f = with_route("loadmodule \"pua_usrloc.so\"\nloadmodule \"usrloc.so\"\n");
    assert_eq!((f[0].0, f[0].1), ("KC136", 1));
}

#[test]
fn load_orders_kamailio_accepts() {
    for text in [
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\n",
        // nathelper and snmpstats use usrloc but bind it later (checked)
        "loadmodule \"nathelper.so\"\nloadmodule \"usrloc.so\"\n",
        // p_usrloc exports `ul_bind_usrloc` too
        "loadmodule \"sl.so\"\nloadmodule \"tm.so\"\nloadmodule \"p_usrloc.so\"\nloadmodule \"registrar.so\"\n",
    ] {
        let f = with_route(text);
        assert!(f.iter().all(|d| d.0 != "KC136"), "{text}: {f:?}");
    }
}
