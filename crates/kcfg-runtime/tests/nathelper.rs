//! nathelper as Kamailio 5.6.3 does it (the differential scenario
//! `fixtures/runtime/nathelper.sip` checks the same against the real
//! binary): the tricky parts of the alias format, the R-URI alias
//! handling, address classes and the registrar's `received`.

use kcfg_runtime::nathelper::{contact_spans, inet_aton, is_1918_v4, UriSpans};
use kcfg_runtime::{Config, Input, Runner};

fn run_msgs(script: &str, msgs: &str) -> Runner {
    let cfg = format!(
        "listen=udp:127.0.0.1:5060\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\n\
         loadmodule \"tm.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\nloadmodule \"nathelper.so\"\nloadmodule \"textopsx.so\"\n\
         modparam(\"nathelper|registrar\", \"received_avp\", \"$avp(RECEIVED)\")\n\
         request_route {{\n{script}\n}}\n"
    );
    let config = Config::from_text("t.cfg", &cfg, &[]).unwrap();
    let input = Input::from_sip_text(msgs, &Default::default()).unwrap();
    let mut r = Runner::new(&config);
    r.run(&input);
    r
}

fn msg(method: &str, ruri: &str, extra: &str) -> String {
    format!(
        "{method} {ruri} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-{method}\n\
         From: <sip:a@b>;tag=1\nTo: <sip:carol@b>\nCall-ID: x-{method}\nCSeq: 1 {method}\n{extra}Content-Length: 0\n"
    )
}

fn logs(r: &Runner) -> Vec<String> {
    r.records()
        .iter()
        .flat_map(|x| x.logs())
        .map(|l| l.trim_start_matches("INFO: <script>: ").to_string())
        .collect()
}

#[test]
fn private_ranges_and_inet_aton_forms() {
    let v = |s: &str| is_1918_v4(inet_aton(s).unwrap(), 1);
    assert!(v("10.255.0.1") && v("172.31.0.1") && v("192.168.0.1"));
    assert!(v("100.64.0.1") && v("100.127.255.255") && !v("100.128.0.1"));
    // 192.0.0.0/29 always, the rest of 192.0.0.0/24 only with nat_addr_mode 1
    assert!(v("192.0.0.200"));
    assert!(!is_1918_v4(inet_aton("192.0.0.200").unwrap(), 0));
    assert!(is_1918_v4(inet_aton("192.0.0.7").unwrap(), 0));
    assert!(!v("172.32.0.1") && !v("127.0.0.1"));
    // inet_aton: one part is the whole address, hex and octal parts
    assert_eq!(inet_aton("10").unwrap().to_string(), "0.0.0.10");
    assert_eq!(inet_aton("0x0a000001").unwrap().to_string(), "10.0.0.1");
    assert_eq!(inet_aton("012.1").unwrap().to_string(), "10.0.0.1");
    assert_eq!(inet_aton("192.168").unwrap().to_string(), "192.0.0.168");
    assert!(inet_aton("1.2.3.256").is_none() && inet_aton("x").is_none());
}

#[test]
fn uri_and_contact_spans() {
    let u = "sip:alice@10.0.0.5:5070;transport=udp?X=1";
    let s = UriSpans::parse(u).unwrap();
    assert_eq!(&u[s.host.0..s.host.1], "10.0.0.5");
    assert_eq!(&u[s.hostport_end..s.params_end], ";transport=udp");
    let v = "\"A, B\" <sip:a@h;lr>;expires=5, sip:b@10.0.0.6;q=1";
    let c = contact_spans(v, 0);
    assert_eq!(c.len(), 2);
    assert_eq!(&v[c[0].uri.0..c[0].uri.1], "sip:a@h;lr");
    assert_eq!(&v[..c[0].end], "\"A, B\" <sip:a@h;lr>;expires=5");
    assert_eq!(&v[c[1].uri.0..c[1].uri.1], "sip:b@10.0.0.6");
    assert!(!c[1].bracketed);
    assert!(contact_spans("*", 0).is_empty());
}

#[test]
fn ruri_alias_last_mode_reads_six_bytes_short() {
    // 5.6.3's mode 1 keeps the scan's remaining length: the last alias's
    // value is cut, the second '~' is not found, and the first '~' has
    // already become ':' in the R-URI
    let r = run_msgs(
        "handle_ruri_alias(\"1\");\nxlog(\"L_INFO\", \"rc=$rc ru=$ru du=$du\\n\");\nexit;",
        &msg(
            "MESSAGE",
            "sip:b@10.0.0.7;alias=10.1.1.1~5070~2;alias=10.2.2.2~5080~3",
            "",
        ),
    );
    assert_eq!(
        logs(&r),
        ["rc=-1 ru=sip:b@10.0.0.7;alias=10.1.1.1~5070~2;alias=10.2.2.2:5080~3 du=<null>"]
    );
    let r = run_msgs(
        "handle_ruri_alias();\nxlog(\"L_INFO\", \"rc=$rc ru=$ru du=$du\\n\");\nexit;",
        &msg(
            "MESSAGE",
            "sip:b@10.0.0.7;x=1;alias=10.1.1.1~5070~2;y=2",
            "",
        ),
    );
    assert_eq!(
        logs(&r),
        ["rc=1 ru=sip:b@10.0.0.7;x=1;y=2 du=sip:10.1.1.1:5070;transport=tcp"]
    );
}

#[test]
fn int_parameters_in_pvs_must_hold_integers() {
    let r = run_msgs(
        "$var(m) = \"1\";\nhandle_ruri_alias(\"$var(m)\");\nxlog(\"L_INFO\", \"str rc=$rc\\n\");\n\
         $var(m) = 0;\nhandle_ruri_alias(\"$var(m)\");\nxlog(\"L_INFO\", \"int rc=$rc du=$du\\n\");\nexit;",
        &msg("MESSAGE", "sip:b@10.0.0.7;alias=10.1.1.1~5070~1", ""),
    );
    assert_eq!(logs(&r), ["str rc=-1", "int rc=1 du=sip:10.1.1.1:5070"]);
}

#[test]
fn contact_rewrites_once_and_alias_forms() {
    let r = run_msgs(
        "fix_nated_contact();\nxlog(\"L_INFO\", \"rc=$rc\\n\");\nset_contact_alias();\nxlog(\"L_INFO\", \"again rc=$rc\\n\");\n\
         msg_apply_changes();\nxlog(\"L_INFO\", \"ct=$ct\\n\");\nexit;",
        &msg(
            "MESSAGE",
            "sip:b@h",
            "Contact: <sip:a@10.0.0.5:5070;transport=udp;maddr=10.0.0.6;lr>;expires=60\n",
        ),
    );
    assert_eq!(
        logs(&r),
        [
            "rc=1",
            "again rc=-1",
            "ct=<sip:a@127.0.0.1:5070;transport=udp;lr>;expires=60"
        ]
    );
    // add_contact_alias puts the alias after host:port; without <> it adds them
    let r = run_msgs(
        "add_contact_alias();\n$var(rc) = $rc;\nmsg_apply_changes();\nxlog(\"L_INFO\", \"rc=$var(rc) ct=$ct\\n\");\nexit;",
        &msg(
            "MESSAGE",
            "sip:b@h",
            "Contact: sip:a@10.0.0.5:5060;expires=5\n",
        ),
    );
    assert_eq!(
        logs(&r),
        ["rc=1 ct=<sip:a@10.0.0.5:5060;alias=127.0.0.1~5070~1>;expires=5"]
    );
    // the source address and port: not needed (2) only with a transport
    // parameter that names the received protocol; without one the URI's
    // protocol is "none" and the alias is added
    let r = run_msgs(
        "add_contact_alias();\nxlog(\"L_INFO\", \"rc=$rc\\n\");\nexit;",
        &format!(
            "{}---\n{}",
            msg(
                "MESSAGE",
                "sip:b@h",
                "Contact: <sip:a@127.0.0.1:5070;transport=udp>\n"
            ),
            msg("OPTIONS", "sip:b@h", "Contact: <sip:a@127.0.0.1:5070>\n"),
        ),
    );
    assert_eq!(logs(&r), ["rc=2", "rc=1"]);
}

#[test]
fn registrar_stores_received_and_lookup_sets_du() {
    let reg = msg(
        "REGISTER",
        "sip:b",
        "Contact: <sip:carol@192.168.1.9:5090>;expires=60\n",
    );
    let inv = msg("MESSAGE", "sip:carol@b", "");
    let r = run_msgs(
        "if (is_method(\"REGISTER\")) {\n fix_nated_register();\n save(\"location\");\n exit;\n}\n\
         lookup(\"location\");\nxlog(\"L_INFO\", \"ru=$ru du=$du\\n\");\nsl_send_reply(\"200\", \"OK\");",
        &format!("{reg}---\n{inv}"),
    );
    let rec = &r.records()[0];
    let ok = rec.sent().next().unwrap();
    let contact = ok
        .headers
        .iter()
        .find(|(n, _)| n == "Contact")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(
        contact,
        "<sip:carol@192.168.1.9:5090>;expires=60;received=\"sip:127.0.0.1:5070\""
    );
    assert_eq!(
        logs(&r),
        ["ru=sip:carol@192.168.1.9:5090 du=sip:127.0.0.1:5070"]
    );
}

/// `if {} else if {} else {}`: the last else belongs to the `else if`
/// (the CST has both else branches side by side).
#[test]
fn else_if_chain_runs_one_branch() {
    let r = run_msgs(
        "if ($hdr(X-Mode) == \"1\") { xlog(\"L_INFO\", \"one\\n\"); } else if ($hdr(X-Mode) == \"pv\") {\n handle_ruri_alias(\"$hdr(X-Mode)\"); xlog(\"L_INFO\", \"pv rc=$rc\\n\"); } else { xlog(\"L_INFO\", \"else\\n\"); }\nexit;",
        &msg("MESSAGE", "sip:b@10.0.0.7;alias=10.1.1.1~5070~1", "X-Mode: pv\n"),
    );
    assert_eq!(logs(&r), ["pv rc=-1"]);
    let r = run_msgs(
        "if ($hdr(X-Mode) == \"1\") { xlog(\"L_INFO\", \"one\\n\"); } else if ($hdr(X-Mode) == \"2\") { xlog(\"L_INFO\", \"two\\n\"); } else if ($hdr(X-Mode) == \"3\") { xlog(\"L_INFO\", \"three\\n\"); } else { xlog(\"L_INFO\", \"else\\n\"); }\nexit;",
        &format!(
            "{}---\n{}---\n{}",
            msg("MESSAGE", "sip:b@h", "X-Mode: 2\n"),
            msg("OPTIONS", "sip:b@h", "X-Mode: 3\n"),
            msg("INFO", "sip:b@h", "X-Mode: 4\n")
        ),
    );
    assert_eq!(logs(&r), ["two", "three", "else"]);
}

#[test]
fn has_body_needs_a_content_length_and_compares_mime_codes() {
    use kcfg_runtime::misc::has_body;
    use kcfg_runtime::sip::SipMsg;
    let m = |extra: &str, body: &str| {
        SipMsg::parse(
            format!(
                "MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n\
                 From: <sip:a@b>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 MESSAGE\r\n{extra}\r\n{body}"
            )
            .as_bytes(),
        )
        .unwrap()
    };
    // no Content-Length header: no body for has_body, whatever follows
    assert_eq!(has_body(&m("", "hello"), None), -1);
    assert_eq!(has_body(&m("Content-Length: 0\r\n", ""), None), -1);
    let plain = m("Content-Type: text/plain\r\nContent-Length: 5\r\n", "hello");
    assert_eq!(has_body(&plain, None), 1);
    assert_eq!(has_body(&plain, Some("text/plain")), 1);
    assert_eq!(has_body(&plain, Some("application/sdp")), -1);
    // without Content-Type the body counts as application/sdp
    let bare = m("Content-Length: 5\r\n", "hello");
    assert_eq!(has_body(&bare, Some("application/sdp")), 1);
    // two unknown subtypes of one type have the same code
    let foo = m(
        "Content-Type: application/foo\r\nContent-Length: 5\r\n",
        "hello",
    );
    assert_eq!(has_body(&foo, Some("application/bar")), 1);
}

/// Odd Contacts and R-URIs never panic: every function gives a return code.
#[test]
fn odd_input_gives_return_codes() {
    let script = "fix_nated_contact();\nxlog(\"L_INFO\", \"a $rc\\n\");\nmsg_apply_changes();\n\
                  set_contact_alias(\"1\");\nxlog(\"L_INFO\", \"b $rc\\n\");\nmsg_apply_changes();\n\
                  add_contact_alias();\nxlog(\"L_INFO\", \"c $rc\\n\");\n\
                  add_contact_alias(\"[::1]\", \"5\", \"ws\");\nxlog(\"L_INFO\", \"d $rc\\n\");\n\
                  handle_ruri_alias();\nxlog(\"L_INFO\", \"e $rc\\n\");\nhandle_ruri_alias(\"1\");\n\
                  xlog(\"L_INFO\", \"f $rc\\n\");\nadd_rcv_param(\"1\");\nxlog(\"L_INFO\", \"g $rc\\n\");\n\
                  fix_nated_sdp(\"15\");\nxlog(\"L_INFO\", \"h $rc\\n\");\nnat_uac_test(\"1023\");\n\
                  xlog(\"L_INFO\", \"i $rc\\n\");\nexit;";
    let cases = [
        ("sip:b@h;alias=~~", "Contact: <>\n"),
        (
            "sip:b@h;alias=é~é~é",
            "Contact: \"é\\\" ,\" <sip:é@[::1]:5;alias=é~5~é>\n",
        ),
        ("sip:b@h;aliasxxxxxx;alias=1~2~", "Contact: sip:\n"),
        (
            "sip:b@[::1];alias=[::2]~5~6;x",
            "Contact: <sip:a@[::1]:70000>, *\n",
        ),
        (
            "sip:b@h;alias=1.2.3.4~5~1?;alias=",
            "Contact: <sip:a@h;maddr=>;q=1\n",
        ),
    ];
    for (ruri, contact) in cases {
        let body = "v=0\r\nc=IN IP4\r\nm=audio 1 RTP/AVP 0\r\na=rtcp:5\r\no=x IP6 ::\r\n";
        let text = format!(
            "INVITE {ruri} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\n\
             From: <sip:a@b>;tag=1\nTo: <sip:b@h>\nCall-ID: x\nCSeq: 1 INVITE\n{contact}\
             Content-Type: application/sdp\nContent-Length: 0\n\n{body}"
        );
        let r = run_msgs(script, &text);
        assert_eq!(logs(&r).len(), 9, "{ruri} {contact}: {:?}", logs(&r));
    }
}

/// nathelper changes the Contact through lumps: `$ct` shows it as received
/// until `msg_apply_changes()`; registrar stores the URI fix_nated_contact
/// made (it updates the parsed Contact) but not an alias add_contact_alias
/// inserted (measured with 5.6.3).
#[test]
fn contact_changes_are_lumps_for_the_script_and_registrar() {
    let r = run_msgs(
        "set_contact_alias();\nxlog(\"L_INFO\", \"ct=$ct hdr=$hdr(Contact)\\n\");\nmsg_apply_changes();\n\
         xlog(\"L_INFO\", \"applied=$ct\\n\");\nexit;",
        &msg("MESSAGE", "sip:b@h", "Contact: <sip:a@10.0.0.5:5070>\n"),
    );
    assert_eq!(
        logs(&r),
        [
            "ct=<sip:a@10.0.0.5:5070> hdr=<sip:a@10.0.0.5:5070>",
            "applied=<sip:a@10.0.0.5:5070;alias=127.0.0.1~5070~1>"
        ]
    );
    let reg = |f: &str| {
        let r = run_msgs(
            &format!("{f};\nsave(\"location\");\nexit;"),
            &msg(
                "REGISTER",
                "sip:b",
                "Contact: <sip:carol@10.0.0.5:5090>;expires=60\n",
            ),
        );
        let rec = &r.records()[0];
        let ok = rec.sent().next().unwrap().clone();
        ok.headers
            .iter()
            .find(|(n, _)| n == "Contact")
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        reg("add_contact_alias()"),
        "<sip:carol@10.0.0.5:5090>;expires=60"
    );
    assert_eq!(
        reg("fix_nated_contact()"),
        "<sip:carol@127.0.0.1:5070>;expires=60"
    );
}
