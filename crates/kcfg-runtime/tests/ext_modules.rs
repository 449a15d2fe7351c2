//! What the jansson/mqueue/http_client/permissions simulation does not
//! cover is reported as not simulated, with the function and its place,
//! and the run is incomplete (never a silent success).

use kcfg_runtime::{Config, Input, Runner};

fn run(script: &str, modparams: &str) -> Runner {
    let cfg = format!(
        "listen=udp:127.0.0.1:5060\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\n\
         loadmodule \"jansson.so\"\nloadmodule \"http_client.so\"\nloadmodule \"permissions.so\"\n\
         {modparams}\nrequest_route {{\n{script}\n  sl_send_reply(\"200\", \"OK\");\n}}\n"
    );
    let config = Config::from_text("t.cfg", &cfg, &[]).unwrap();
    let input = Input::from_sip_text(
        "MESSAGE sip:svc@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\n\
         From: <sip:a@b>;tag=1\nTo: <sip:svc@b>\nCall-ID: x\nCSeq: 1 MESSAGE\nContent-Length: 0\n",
        &Default::default(),
    )
    .unwrap();
    let mut r = Runner::new(&config);
    r.run(&input);
    r
}

fn logs(r: &Runner) -> Vec<String> {
    r.records()
        .iter()
        .flat_map(|x| x.logs())
        .map(str::to_string)
        .collect()
}

#[test]
fn http_without_a_response_is_not_simulated() {
    let r = run(
        "  http_client_query(\"http://h/x\", \"$var(r)\");\n  xlog(\"L_INFO\", \"rc=$rc\\n\");",
        "",
    );
    let s = r.summary();
    assert!(!s.complete);
    let (name, (n, at)) = s.unsupported.iter().next().unwrap();
    assert!(
        name.contains("http_client_query(): no HTTP response given for GET http://h/x"),
        "{name}"
    );
    assert_eq!(*n, 1);
    assert!(at.starts_with("t.cfg:"), "{at}");
    assert_eq!(logs(&r), ["INFO: <script>: rc=-1"]);
}

#[test]
fn http_with_a_response() {
    let mut r = {
        let cfg = "listen=udp:127.0.0.1:5060\nloadmodule \"http_client.so\"\n\
                   request_route {\n  http_client_query(\"http://h/x\", \"$var(r)\");\n  \
                   xlog(\"L_INFO\", \"rc=$rc r=$var(r)\\n\");\n}\n";
        Runner::new(&Config::from_text("t.cfg", cfg, &[]).unwrap())
    };
    let input = Input::from_sip_text(
        "#@http /x 203 a\\nb\nMESSAGE sip:svc@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\n\
         From: <sip:a@b>;tag=1\nTo: <sip:svc@b>\nCall-ID: x\nCSeq: 1 MESSAGE\nContent-Length: 0\n",
        &Default::default(),
    )
    .unwrap();
    r.run(&input);
    assert!(r.summary().complete);
    assert_eq!(logs(&r), ["INFO: <script>: rc=203 r=a"]);
}

#[test]
fn address_table_in_a_database_is_not_simulated() {
    let r = run(
        "  if (!allow_source_address(\"1\")) xlog(\"L_INFO\", \"denied\\n\");",
        "modparam(\"permissions\", \"db_url\", \"mysql://k:k@localhost/kamailio\")",
    );
    assert!(!r.summary().complete);
    assert!(r
        .summary()
        .unsupported
        .keys()
        .any(|k| k
            .starts_with("allow_source_address(): the address table is read from the database")));
}

#[test]
fn other_functions_stay_unsupported() {
    let r = run(
        "  jansson_xdecode(\"{}\", \"x\");\n  allow_trusted();\n  http_connect(\"c\", \"/p\", \"$var(r)\");",
        "",
    );
    let names: Vec<&String> = r.summary().unsupported.keys().collect();
    for f in ["jansson_xdecode()", "allow_trusted()"] {
        assert!(names.iter().any(|n| *n == f), "{f} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("http_connect(): connection `c` is not defined")),
        "{names:?}"
    );
}
