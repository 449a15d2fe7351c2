//! Transformations whose results are not what one would guess: the
//! expected values are what Kamailio 5.6.3 printed for the same inputs in
//! the differential scenario `fixtures/runtime/transformations.*`
//! (`tests/tests/differential_runtime.rs` replays it through both).

use kcfg_runtime::trans::{apply, apply_chain, Param, TrErr};
use kcfg_runtime::value::Val;

fn lit(x: &[&str]) -> Vec<Param> {
    x.iter().map(|s| Param::Lit(s.to_string())).collect()
}

fn s(x: &str) -> Val {
    Val::Str(x.to_string())
}

/// The printed form (what xlog shows), "FAIL" for a failed transformation.
fn show(class: &str, sub: &str, params: &[&str], v: Val) -> String {
    match apply_chain(&[(class, sub, lit(params))], v) {
        Ok((_, Some(d))) => d,
        Ok((v, None)) => v.as_str(),
        Err(TrErr::Fail) => "FAIL".into(),
        Err(TrErr::Unsupported(n)) => format!("UNSUPPORTED {n}"),
    }
}

fn hexa(class: &str, sub: &str, params: &[&str], v: Val) -> String {
    match apply_chain(
        &[(class, sub, lit(params)), ("s", "encode.hexa", vec![])],
        v,
    ) {
        Ok((v, _)) => v.as_str(),
        Err(e) => format!("{e:?}"),
    }
}

const LIST: &str = "alice@example.com,bob,,carol";

#[test]
fn select_counts_fields_from_either_end() {
    // `{s.select,N,,}` reaches the transformation as ["N", "", ""]
    let sel = |n: &str| show("s", "select", &[n, "", ""], s(LIST));
    assert_eq!(sel("0"), "alice@example.com");
    assert_eq!(sel("1"), "bob");
    assert_eq!(sel("-1"), "carol");
    assert_eq!(sel("-2"), "");
    // past the end: an empty string, not a failure (a `!= ""` loop stops)
    assert_eq!(sel("5"), "");
    assert_eq!(sel("-5"), "");
    assert_eq!(
        show("s", "select", &["1", "@"], s(LIST)),
        "example.com,bob,,carol"
    );
    assert_eq!(show("s", "select", &["1", "\\t"], s("a\tb\tc")), "b");
}

#[test]
fn substr_and_its_failures() {
    assert_eq!(show("s", "substr", &["1", "2"], s(LIST)), "li");
    assert_eq!(show("s", "substr", &["-3", "0"], s(LIST)), "rol");
    assert_eq!(show("s", "substr", &["3", "9"], s(LIST)), "ce@exampl");
    assert_eq!(show("s", "substr", &["-2", "5"], s("-0042")), "42");
    // an offset at or past the end fails
    assert_eq!(show("s", "substr", &["5", "1"], s("-0042")), "FAIL");
    // a parameter PV must hold an integer: a string "1" fails
    let p = vec![Param::Pv(s("1")), Param::Lit("1".into())];
    assert_eq!(apply("s", "substr", &p, s(LIST)), Err(TrErr::Fail));
    let p = vec![Param::Pv(Val::Int(1)), Param::Pv(Val::Int(2))];
    assert_eq!(apply("s", "substr", &p, s(LIST)), Ok(s("li")));
}

#[test]
fn int_keeps_the_text_it_was_given() {
    // an integer -42 that xlog prints as "-0042"
    let r = apply_chain(&[("s", "int", vec![])], s("-0042")).unwrap();
    assert_eq!(r, (Val::Int(-42), Some("-0042".to_string())));
    assert_eq!(show("s", "int", &[], s("2147483648")), "FAIL");
    assert_eq!(show("s", "int", &[], s("-2147483648")), "-2147483648");
    assert_eq!(show("s", "int", &[], s("12a")), "FAIL");
    // a missing value fails every s.* transformation
    assert_eq!(show("s", "len", &[], Val::Null), "FAIL");
}

#[test]
fn fmtlines_breaks_before_the_first_n_minus_1_characters() {
    assert_eq!(
        hexa("s", "fmtlines", &["3", "2"], s("-0042")),
        "2d0d0a2020300d0a2020303432"
    );
    assert_eq!(
        hexa("s", "fmtlinet", &["2", "1"], s("-0042")),
        "2d0d0a0930303432"
    );
    // m >= the length: Kamailio reads the buffer it is writing
    assert_eq!(hexa("s", "fmtlines", &["3", "2"], s("ab")), "610d0a20200d");
}

#[test]
fn encodings_as_kamailio_computes_them() {
    assert_eq!(show("s", "encode.base58", &[], s("-0042")), "66hMx33");
    assert_eq!(
        show("s", "encode.base58", &[], s(LIST)),
        "217pHSNPiZ8qrFvah2vhhLfrWo6HPdvvpPeGKKh"
    );
    // base64 decoders: padding added, bad digits decode as 0xff, no error
    assert_eq!(hexa("s", "decode.base64t", &[], s("-0042")), "ff4d38df");
    assert_eq!(hexa("s", "decode.base64url", &[], s("-0042")), "fb4d38");
    // a length that is not a multiple of 4 fails
    assert_eq!(hexa("s", "decode.base64", &[], s("-0042")), "Fail");
    assert_eq!(
        show("s", "escape.user", &[], s("040/123 456-7")),
        "040%2f123%20456-7"
    );
    assert_eq!(
        show("s", "escape.param", &[], s("040/123 456-7")),
        "040/123%20456-7"
    );
    assert_eq!(show("s", "escape.user", &[], s("héllo")), "FAIL");
    assert_eq!(show("s", "corehash", &[], s(LIST)), "3932893941");
    assert_eq!(show("s", "corehash", &["16"], s(LIST)), "5");
    assert_eq!(hexa("s", "decode.7bit", &[], s("C8329BFD06")), "48656c6c6f");
}

#[test]
fn reverse_before_and_after() {
    assert_eq!(show("s", "rbefore", &[";"], s("a;b;")), "a;b");
    assert_eq!(show("s", "rafter", &[";"], s("a;b;")), "");
    // the reverse search walks past the value unless the last byte matches
    assert!(show("s", "rbefore", &[";"], s("a;b")).starts_with("UNSUPPORTED"));
    assert_eq!(show("s", "count", &["", ""], s(LIST)), "3");
    assert_eq!(show("s", "after", &["", ""], s(LIST)), "bob,,carol");
}

#[test]
fn param_lists() {
    let p = "a=1;b=2;c;d=\"x y\";A=5";
    // the last of repeated names, case-insensitive
    assert_eq!(show("param", "value", &["a"], s(p)), "5");
    assert_eq!(show("param", "value", &["d"], s(p)), "x y");
    assert_eq!(show("param", "in", &["zz"], s(p)), "0");
    assert_eq!(show("param", "valueat", &["-1"], s(p)), "5");
    assert_eq!(show("param", "name", &["-1"], s(p)), "A");
    assert_eq!(show("param", "count", &[], s(p)), "5");
    // another separator: a parse error
    assert_eq!(show("param", "value", &["b", "&"], s(p)), "FAIL");
    assert_eq!(show("param", "value", &["b", "&"], s("a=1&b=2&c=3&")), "2");
    assert_eq!(show("param", "count", &["&"], s("a=1&b=2&c=3&")), "3");
    // the list stops at a comma
    assert_eq!(show("param", "count", &[], s("a=1,b=2, c=3")), "1");
    assert_eq!(show("param", "value", &["a"], s("a=1 b=2")), "FAIL");
}

#[test]
fn uris() {
    let u = "sip:bob:secret@10.0.0.1:5070;transport=tcp;lr;maddr=1.2.3.4;ttl=5?subject=hi&x=y";
    assert_eq!(show("uri", "passwd", &[], s(u)), "secret");
    assert_eq!(
        show("uri", "params", &[], s(u)),
        "transport=tcp;lr;maddr=1.2.3.4;ttl=5"
    );
    assert_eq!(show("uri", "headers", &[], s(u)), "subject=hi&x=y");
    assert_eq!(show("uri", "tosocket", &[], s(u)), "tcp:10.0.0.1:5070");
    assert_eq!(show("urialias", "encode", &[], s(u)), "10.0.0.1~5070~2");
    // no transport parameter: no socket
    assert_eq!(show("uri", "tosocket", &[], s("sip:alice@example.com")), "");
    // a port that is absent: integer 0 printed as ""
    let r = apply_chain(&[("uri", "port", vec![])], s("sip:alice@example.com")).unwrap();
    assert_eq!(r, (Val::Int(0), Some(String::new())));
    // tel: the number is the user; parameters are not sip_params
    assert_eq!(
        show(
            "uri",
            "user",
            &[],
            s("tel:+4912345;phone-context=example.com")
        ),
        "+4912345"
    );
    assert_eq!(
        show(
            "uri",
            "params",
            &[],
            s("tel:+4912345;phone-context=example.com")
        ),
        ""
    );
    assert_eq!(show("uri", "user", &[], s("not a uri")), "FAIL");
    // a stale byte after the scheme in Kamailio 5.6.3
    assert!(show("uri", "saor", &[], s(u)).starts_with("UNSUPPORTED"));
    assert_eq!(
        show("urialias", "decode", &[], s("[2001:db8::1]~5061~3")),
        "sip:[2001:db8::1]:5061;transport=tls"
    );
}

#[test]
fn name_addr_and_to_body() {
    let f = "\"Alice A\" <sip:alice@example.com>;tag=abc;x=1";
    assert_eq!(show("nameaddr", "name", &[], s(f)), "\"Alice A\" ");
    assert_eq!(show("nameaddr", "len", &[], s(f)), "33");
    assert_eq!(show("tobody", "tag", &[], s(f)), "abc");
    assert_eq!(show("tobody", "params", &[], s(f)), "tag=abc;x=1");
    assert_eq!(
        show(
            "nameaddr",
            "name",
            &[],
            s("Bob Smith <sip:bob@b.com>;tag=t1")
        ),
        "Bob Smith "
    );
}

#[test]
fn lines() {
    let body = "v=0\r\no=alice\r\nb=AS:64\r\nlast line";
    assert_eq!(show("line", "count", &[], s(body)), "4");
    assert_eq!(show("line", "at", &["1"], s(body)), "o=alice");
    assert_eq!(show("line", "at", &["-1"], s(body)), "last line");
    assert_eq!(show("line", "at", &["-2"], s(body)), "b=AS:64");
    assert_eq!(show("line", "at", &["9"], s(body)), "");
    assert_eq!(show("line", "sw", &["b="], s(body)), "b=AS:64");
}

#[test]
fn sockets_msrp_and_sql() {
    assert_eq!(
        show("sock", "touri", &[], s("udp:1.2.3.4:5060")),
        "sip:1.2.3.4:5060;transport=udp"
    );
    assert_eq!(
        show("sock", "host", &[], s("tcp:example.com")),
        "example.com"
    );
    assert_eq!(show("sock", "proto", &[], s("xyz:1.2.3.4:5060")), "FAIL");
    let m = "msrps://bob:pw@biloxi.example.com:12763/kjhd37s2s20w2a;tcp;x=1";
    assert_eq!(show("msrpuri", "user", &[], s(m)), "bob");
    assert_eq!(show("msrpuri", "userinfo", &[], s(m)), "bob:pw");
    // "tcp" longer than 3: proto tcp and the params keep it
    assert_eq!(show("msrpuri", "proto", &[], s(m)), "tcp");
    assert_eq!(show("msrpuri", "params", &[], s(m)), "tcp;x=1");
    assert_eq!(show("sql", "val", &[], s("'quoted'")), "'\\'quoted\\''");
    assert_eq!(show("sql", "val", &[], Val::Null), "NULL");
    assert_eq!(show("sql", "val.str", &[], Val::Int(42)), "42");
}

#[test]
fn large_results_are_bounded() {
    // pv_trans.c refuses prefixes that would not fit its 64 KiB buffer
    let long = "a".repeat(1000);
    assert_eq!(show("s", "prefixes", &[], s(&long)), "FAIL");
    assert_eq!(
        show("s", "prefixes", &["10"], s(&long)).len(),
        10 * 11 / 2 + 9
    );
    // a huge fill count fails the size check instead of allocating
    assert_eq!(
        show("s", "fmtlines", &["2", "2000000000"], s("abcdef")),
        "FAIL"
    );
    let big = "x".repeat(40_000);
    let p = vec![Param::Lit("x".into()), Param::Pv(s(&big))];
    assert!(matches!(
        apply("s", "replace", &p, s(&big)),
        Err(TrErr::Unsupported(_))
    ));
    // re.subst works in an 8 KiB buffer
    assert_eq!(
        show("re", "subst", &["/x/y/"], s(&"x".repeat(9000))),
        "FAIL"
    );
}
