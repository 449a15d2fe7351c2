//! The typed AST on the stock `kamailio.cfg`, `LineIndex` on non-ASCII text,
//! and the pseudo-variable parser.

use kcfg_syntax::ast::{self, AstNode, RouteKind};
use kcfg_syntax::pvar::{parse_pv, scan_format};
use kcfg_syntax::{LineCol, LineIndex, SyntaxKind, TextSize, WideEncoding, WideLineCol};

const STOCK: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/corpus/etc/kamailio.cfg"
));

fn stock() -> kcfg_syntax::Parse {
    kcfg_syntax::parse(STOCK)
}

// ---------------------------------------------------------------- stock config

#[test]
fn stock_config_parses_cleanly() {
    let p = stock();
    assert_eq!(p.syntax_node().to_string(), STOCK);
    let msgs: Vec<_> = p.errors().iter().map(|e| (e.range, &e.message)).collect();
    assert!(msgs.is_empty(), "errors: {msgs:?}");
    // the SQL inside `#!ifdef ACCDB_COMMENT` is never parsed by Kamailio
    assert!(p.warnings().is_empty(), "{:?}", p.warnings());
}

#[test]
fn stock_route_blocks() {
    let blocks: Vec<_> = stock().tree().route_blocks().collect();
    let found: Vec<(Option<RouteKind>, Option<String>)> =
        blocks.iter().map(|b| (b.kind(), b.name())).collect();
    let r = |k: RouteKind, n: Option<&str>| (Some(k), n.map(str::to_string));
    use RouteKind::*;
    assert_eq!(
        found,
        vec![
            r(Request, None),
            r(Route, Some("RELAY")),
            r(Route, Some("REQINIT")),
            r(Route, Some("WITHINDLG")),
            r(Route, Some("REGISTRAR")),
            r(Route, Some("LOCATION")),
            r(Route, Some("PRESENCE")),
            r(Route, Some("AUTH")),
            r(Route, Some("NATDETECT")),
            r(Route, Some("NATMANAGE")),
            r(Route, Some("DLGURI")),
            r(Route, Some("SIPOUT")),
            r(Route, Some("PSTN")),
            r(Event, Some("xhttp:request")),
            r(Route, Some("TOVOICEMAIL")),
            r(Branch, Some("MANAGE_BRANCH")),
            r(OnReply, None),
            r(OnReply, Some("MANAGE_REPLY")),
            r(Failure, Some("MANAGE_FAILURE")),
        ]
    );
    // every block has a body, and the keyword token is the first token
    for b in &blocks {
        assert!(b.body().is_some(), "{:?} has no body", b.name());
        assert!(b.keyword().unwrap().kind().is_route_keyword());
    }
    let request = &blocks[0];
    assert_eq!(request.keyword().unwrap().text(), "request_route");
    // `route(REQINIT)` is the first statement of request_route
    let first_call = ast::descendants::<ast::Call>(request.syntax())
        .next()
        .unwrap();
    assert_eq!(first_call.name().unwrap().text(), "route");
    let args: Vec<String> = first_call.args().map(|a| a.to_string()).collect();
    assert_eq!(args, vec!["REQINIT"]);
}

#[test]
fn stock_route_calls_name_existing_routes() {
    let tree = stock().tree();
    let names: Vec<String> = tree
        .route_blocks()
        .filter(|b| b.kind() == Some(RouteKind::Route))
        .filter_map(|b| b.name())
        .collect();
    let calls: Vec<String> = ast::descendants::<ast::Call>(tree.syntax())
        .filter(|c| c.name().is_some_and(|t| t.kind() == SyntaxKind::ROUTE_KW))
        .filter_map(|c| c.args().next().map(|a| a.to_string()))
        .collect();
    assert_eq!(calls.len(), 27);
    for c in &calls {
        assert!(names.contains(c), "route({c}) calls no route block");
    }
}

#[test]
fn stock_loadmodules() {
    let paths: Vec<String> = stock()
        .tree()
        .loadmodules()
        .map(|l| l.path().expect("loadmodule path"))
        .collect();
    // 38 lines, also those in `#!ifdef` arms
    assert_eq!(paths.len(), 38, "{paths:?}");
    assert_eq!(paths[0], "tls.so");
    assert_eq!(paths[1], "db_mysql.so");
    assert!(paths.contains(&"tm.so".to_string()));
    assert!(paths.contains(&"rtpengine.so".to_string()));
    assert!(paths.contains(&"rtpproxy.so".to_string()));
    assert_eq!(paths.last().unwrap(), "debugger.so");
    assert!(paths.iter().all(|p| p.ends_with(".so")), "{paths:?}");
}

#[test]
fn stock_modparams() {
    let mps: Vec<_> = stock().tree().modparams().collect();
    assert_eq!(mps.len(), 65);
    let pairs: Vec<(String, String)> = mps
        .iter()
        .map(|m| (m.module().unwrap(), m.param().unwrap()))
        .collect();
    let has = |m: &str, p: &str| pairs.contains(&(m.to_string(), p.to_string()));
    assert_eq!(
        pairs[0],
        ("jsonrpcs".to_string(), "pretty_format".to_string())
    );
    assert!(has("tm", "fr_timer"));
    assert!(has("tm", "fr_inv_timer"));
    assert!(has("rr", "enable_full_lr"));
    assert!(has("registrar", "max_expires"));
    assert!(has("usrloc", "db_url"));
    // values: a number, and a define name
    let fr = mps
        .iter()
        .find(|m| m.module().as_deref() == Some("tm") && m.param().as_deref() == Some("fr_timer"))
        .unwrap();
    let v = fr.value().unwrap();
    assert_eq!(v.kind(), SyntaxKind::LITERAL);
    assert_eq!(v.to_string(), "30000");
    let db = mps
        .iter()
        .find(|m| m.module().as_deref() == Some("usrloc") && m.param().as_deref() == Some("db_url"))
        .unwrap();
    let v = db.value().unwrap();
    assert_eq!(v.kind(), SyntaxKind::NAME_REF);
    assert_eq!(v.to_string(), "DBURL");
}

#[test]
fn stock_defines_and_includes() {
    let tree = stock().tree();
    let defs: Vec<(String, Option<String>)> = tree
        .defines()
        .map(|d| {
            (
                d.name().unwrap().text().to_string(),
                d.body().map(|b| b.text().to_string()),
            )
        })
        .collect();
    let d = |n: &str, b: Option<&str>| (n.to_string(), b.map(str::to_string));
    assert_eq!(
        defs,
        vec![
            d("DBGLEVEL", Some("3")),
            d("DBGLEVEL", Some("2")),
            d(
                "DBURL",
                Some("\"mysql://kamailio:kamailiorw@localhost/kamailio\"")
            ),
            d("MULTIDOMAIN", Some("1")),
            d("MULTIDOMAIN", Some("0")),
            d("WITH_HTABLE", None),
            d("FLT_ACC", Some("1")),
            d("FLT_ACCMISSED", Some("2")),
            d("FLT_ACCFAILED", Some("3")),
            d("FLT_NATS", Some("5")),
            d("FLB_NATB", Some("6")),
            d("FLB_NATSIPPING", Some("7")),
        ]
    );
    let incs: Vec<_> = tree.includes().collect();
    assert_eq!(incs.len(), 1);
    assert_eq!(incs[0].path().as_deref(), Some("kamailio-local.cfg"));
    assert!(incs[0].is_import());
}

#[test]
fn stock_global_params() {
    let tree = stock().tree();
    let params: Vec<(String, String)> = tree
        .global_params()
        .map(|g| {
            (
                g.name().unwrap().text().to_string(),
                g.value_text().unwrap(),
            )
        })
        .collect();
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!(get("debug"), Some("DBGLEVEL"));
    assert_eq!(get("children"), Some("8"));
    assert_eq!(get("log_prefix"), Some("\"{$mt $hdr(CSeq) $ci} \""));
    assert_eq!(get("tcp_connection_lifetime"), Some("3605"));
}

#[test]
fn stock_ifdef_arms() {
    let tree = stock().tree();
    let groups: Vec<ast::PpIf> = ast::descendants(tree.syntax()).collect();
    assert!(groups.len() > 40, "{} groups", groups.len());
    // #!ifdef WITH_DEBUG / #!define DBGLEVEL 3 / #!else / #!define DBGLEVEL 2 / #!endif
    let dbg = groups
        .iter()
        .find(|g| {
            g.syntax()
                .to_string()
                .starts_with("#!ifdef WITH_DEBUG\n#!define DBGLEVEL")
        })
        .expect("the WITH_DEBUG group");
    let arms: Vec<_> = dbg.arms().collect();
    assert_eq!(arms.len(), 2);
    assert_eq!(
        arms[0].directive().unwrap().to_string(),
        "#!ifdef WITH_DEBUG"
    );
    assert_eq!(arms[1].directive().unwrap().to_string(), "#!else");
}

// ---------------------------------------------------------------- typed AST on small inputs

#[test]
fn typed_nodes_on_small_input() {
    let text = "loadmodule(\"pv.so\")\n#!define M \"tm.so\"\nloadmodule M\n\
                modparam(\"tm\", 'fr_timer', -5)\nmodparamx(\"a\" \"b\", \"c\", $env(X))\n\
                include_file \"x.cfg\"\n#!include_file 'y.cfg'\n\
                route[\"quoted\"] { exit; }\nroute[7] { exit; }\nroute { exit; }\n\
                onreply_route[0] { exit; }\nonsend_route { exit; }\n\
                request_route { $var(x) = f(1, \"a\", g($ru)); }\n";
    let p = kcfg_syntax::parse(text);
    assert!(p.errors().is_empty(), "{:?}", p.errors());
    let tree = p.tree();
    let lm: Vec<_> = tree.loadmodules().map(|l| l.path()).collect();
    assert_eq!(lm, vec![Some("pv.so".into()), Some("M".into())]);
    let mp: Vec<_> = tree.modparams().collect();
    assert_eq!(mp[0].module().as_deref(), Some("tm"));
    assert_eq!(mp[0].param().as_deref(), Some("fr_timer"));
    assert_eq!(mp[0].value().unwrap().to_string(), "-5");
    // adjacent strings are joined, as Kamailio joins them
    assert_eq!(mp[1].module().as_deref(), Some("ab"));
    assert_eq!(mp[1].value().unwrap().to_string(), "$env(X)");
    let inc: Vec<_> = tree.includes().map(|i| (i.path(), i.is_import())).collect();
    assert_eq!(
        inc,
        vec![(Some("x.cfg".into()), false), (Some("y.cfg".into()), false)]
    );
    let routes: Vec<_> = tree.route_blocks().map(|r| (r.kind(), r.name())).collect();
    assert_eq!(
        routes,
        vec![
            (Some(RouteKind::Route), Some("quoted".into())),
            (Some(RouteKind::Route), Some("7".into())),
            (Some(RouteKind::Request), None),
            (Some(RouteKind::OnReply), Some("0".into())),
            (Some(RouteKind::OnSend), None),
            (Some(RouteKind::Request), None),
        ]
    );
    let assign: ast::AssignStmt = ast::descendants(tree.syntax()).next().unwrap();
    assert_eq!(assign.lhs().unwrap().to_string(), "$var(x)");
    let call = ast::Call::cast(assign.rhs().unwrap()).unwrap();
    assert_eq!(call.name().unwrap().text(), "f");
    let args: Vec<String> = call.args().map(|a| a.to_string()).collect();
    assert_eq!(args, vec!["1", "\"a\"", "g($ru)"]);
    let pv: ast::PvExpr = ast::descendants(tree.syntax()).next().unwrap();
    assert_eq!(pv.token().unwrap().text(), "$env(X)");
}

#[test]
fn typed_nodes_on_broken_input_do_not_panic() {
    for text in [
        "loadmodule\n",
        "loadmodule (\n",
        "modparam(\n",
        "modparam(\"a\"\n",
        "modparam(1, 2, 3)\n",
        "route[ { exit; }\n",
        "route[] {\n",
        "event_route[x:y\n",
        "#!define\n",
        "#!define A\n",
        "include_file\n",
        "import_file \"\n",
        "request_route { f(,); $x = ; }",
    ] {
        let p = kcfg_syntax::parse(text);
        let tree = p.tree();
        for l in tree.loadmodules() {
            let _ = l.path();
        }
        for m in tree.modparams() {
            let _ = (m.module(), m.param(), m.value());
        }
        for r in tree.route_blocks() {
            let _ = (r.kind(), r.name(), r.body(), r.keyword());
        }
        for d in tree.defines() {
            let _ = (d.name(), d.body());
        }
        for i in tree.includes() {
            let _ = (i.path(), i.is_import());
        }
        for c in ast::descendants::<ast::Call>(tree.syntax()) {
            let _ = (c.name(), c.args().count());
        }
        for a in ast::descendants::<ast::AssignStmt>(tree.syntax()) {
            let _ = (a.lhs(), a.rhs());
        }
    }
}

// ---------------------------------------------------------------- LineIndex

#[test]
fn line_index_ascii_and_crlf() {
    let text = "ab\r\ncd\n\nx";
    let idx = LineIndex::new(text);
    assert_eq!(idx.line_count(), 4);
    assert_eq!(idx.len(), TextSize::of(text));
    assert!(!idx.is_empty());
    assert_eq!(idx.line_col(0.into()), LineCol { line: 0, col: 0 });
    // the `\r` belongs to line 0
    assert_eq!(idx.line_col(2.into()), LineCol { line: 0, col: 2 });
    assert_eq!(idx.line_col(4.into()), LineCol { line: 1, col: 0 });
    assert_eq!(idx.line_col(7.into()), LineCol { line: 2, col: 0 });
    assert_eq!(idx.line_col(8.into()), LineCol { line: 3, col: 0 });
    // the end of the text, and past it (clamped)
    assert_eq!(idx.line_col(9.into()), LineCol { line: 3, col: 1 });
    assert_eq!(idx.line_col(100.into()), LineCol { line: 3, col: 1 });
    assert_eq!(idx.line_start(1), Some(4.into()));
    assert_eq!(idx.line_start(4), None);
    assert_eq!(idx.offset(LineCol { line: 1, col: 2 }), Some(6.into()));
    assert_eq!(idx.offset(LineCol { line: 3, col: 1 }), Some(9.into()));
    assert_eq!(idx.offset(LineCol { line: 3, col: 2 }), None);
    assert_eq!(idx.offset(LineCol { line: 4, col: 0 }), None);

    let empty = LineIndex::new("");
    assert!(empty.is_empty());
    assert_eq!(empty.line_count(), 1);
    assert_eq!(empty.line_col(0.into()), LineCol { line: 0, col: 0 });
}

#[test]
fn line_index_wide_columns() {
    // é: 2 bytes, 1 UTF-16 unit; ✓: 3 bytes, 1 unit; 😀 and 𝄞: 4 bytes, 2 units (surrogate pair)
    let text = "# é✓😀\nx=\"😀𝄞\" z\n";
    let idx = LineIndex::new(text);
    let check = |needle: &str, line: u32, utf8: u32, utf16: u32, utf32: u32| {
        let off = TextSize::from(text.find(needle).unwrap() as u32);
        let lc = idx.line_col(off);
        assert_eq!(lc, LineCol { line, col: utf8 }, "{needle}");
        let w16 = idx.to_wide(WideEncoding::Utf16, lc);
        let w32 = idx.to_wide(WideEncoding::Utf32, lc);
        assert_eq!(w16, WideLineCol { line, col: utf16 }, "{needle} utf16");
        assert_eq!(w32, WideLineCol { line, col: utf32 }, "{needle} utf32");
        assert_eq!(
            idx.to_utf8(WideEncoding::Utf16, w16),
            lc,
            "{needle} back from utf16"
        );
        assert_eq!(
            idx.to_utf8(WideEncoding::Utf32, w32),
            lc,
            "{needle} back from utf32"
        );
        assert_eq!(idx.offset(lc), Some(off));
    };
    check("é", 0, 2, 2, 2);
    check("✓", 0, 4, 3, 3);
    check("😀\n", 0, 7, 4, 4);
    check("\n", 0, 11, 6, 5);
    check("😀𝄞", 1, 3, 3, 3);
    check("𝄞", 1, 7, 5, 4);
    check("\" z", 1, 11, 7, 5);
    check("z", 1, 13, 9, 7);
    // UTF-16 units and chars agree with what str counts
    let line1 = text.lines().nth(1).unwrap();
    let z = line1.find('z').unwrap();
    assert_eq!(line1[..z].encode_utf16().count(), 9);
    assert_eq!(line1[..z].chars().count(), 7);
}

#[test]
fn line_index_every_char_boundary_round_trips() {
    let text = "request_route {\n\t$var(n) = \"Zoë 😀 日本\"; # ✓ 𝄞\n\txlog(\"é\");\r\n}\n";
    let idx = LineIndex::new(text);
    for (off, _) in text.char_indices().chain([(text.len(), ' ')]) {
        let off = TextSize::from(off as u32);
        let lc = idx.line_col(off);
        assert_eq!(idx.offset(lc), Some(off));
        for enc in [WideEncoding::Utf16, WideEncoding::Utf32] {
            let w = idx.to_wide(enc, lc);
            assert_eq!(idx.to_utf8(enc, w), lc, "{enc:?} at {off:?}");
        }
        // UTF-16 column = number of UTF-16 units before the offset on its line
        let start = usize::from(idx.line_start(lc.line).unwrap());
        let units = text[start..usize::from(off)].encode_utf16().count() as u32;
        assert_eq!(idx.to_wide(WideEncoding::Utf16, lc).col, units);
    }
}

#[test]
fn error_positions_after_non_ascii() {
    // the `.` error comes after an emoji on its line: editors count UTF-16 units
    let text = "request_route {\n\t$var(x) = \"😀\" . \"a\";\n}\n";
    let p = kcfg_syntax::parse(text);
    let e = p
        .errors()
        .iter()
        .find(|e| e.message.contains('.'))
        .expect("the `.` error");
    let idx = LineIndex::new(text);
    let lc = idx.line_col(e.range.start());
    // tab, `$var(x) = "` is 12 bytes, the emoji 4 (2 UTF-16 units), `" ` 2
    assert_eq!(lc, LineCol { line: 1, col: 18 });
    assert_eq!(
        idx.to_wide(WideEncoding::Utf16, lc),
        WideLineCol { line: 1, col: 16 }
    );
    assert_eq!(
        idx.to_wide(WideEncoding::Utf32, lc),
        WideLineCol { line: 1, col: 15 }
    );
}

// ---------------------------------------------------------------- pvar

#[test]
fn pv_simple_forms() {
    let p = parse_pv("$ru").unwrap();
    assert_eq!((p.class, p.inner, p.index), ("ru", None, None));
    assert!(p.transforms.is_empty());
    let p = parse_pv("$var(x)").unwrap();
    assert_eq!((p.class, p.inner), ("var", Some("x")));
    let p = parse_pv("$avp(s:name)").unwrap();
    assert_eq!((p.class, p.inner), ("avp", Some("s:name")));
    let p = parse_pv("$sht(t=>$ci)").unwrap();
    assert_eq!((p.class, p.inner), ("sht", Some("t=>$ci")));
    let p = parse_pv("$xavp(a=>b[0])").unwrap();
    assert_eq!((p.class, p.inner), ("xavp", Some("a=>b[0]")));
    let p = parse_pv("$hdr(X-Custom)").unwrap();
    assert_eq!((p.class, p.inner), ("hdr", Some("X-Custom")));
    let p = parse_pv("$T(reply_code)").unwrap();
    assert_eq!((p.class, p.inner), ("T", Some("reply_code")));
    let p = parse_pv("$?").unwrap();
    assert_eq!(p.class, "?");
    // nested parentheses in the inner name
    let p = parse_pv("$sht(a=>$(ci{s.md5}))").unwrap();
    assert_eq!(p.inner, Some("a=>$(ci{s.md5})"));
}

#[test]
fn pv_index_and_transformations() {
    let p = parse_pv("$(ru{uri.user}{s.tolower})").unwrap();
    assert_eq!(p.class, "ru");
    let tr: Vec<_> = p.transforms.iter().map(|t| (t.class, t.sub)).collect();
    assert_eq!(tr, vec![("uri", "user"), ("s", "tolower")]);
    // transformation ranges index into the PV text
    let text = "$(ru{uri.user}{s.tolower})";
    let parts: Vec<_> = p.transforms.iter().map(|t| &text[t.start..t.end]).collect();
    assert_eq!(parts, vec!["{uri.user}", "{s.tolower}"]);

    let p = parse_pv("$(avp(x)[1])").unwrap();
    assert_eq!((p.class, p.inner, p.index), ("avp", Some("x"), Some("1")));
    let p = parse_pv("$(hdr(Via)[*])").unwrap();
    assert_eq!(p.index, Some("*"));
    let p = parse_pv("$(hdr(Via)[-1]{s.len})").unwrap();
    assert_eq!(p.index, Some("-1"));
    assert_eq!(p.transforms.len(), 1);
    let p = parse_pv("$(fu{s.substr,1,2})").unwrap();
    assert_eq!(p.transforms[0].params, vec!["1", "2"]);
    let p = parse_pv("$(var(x){s.select,1,,})").unwrap();
    assert_eq!(p.transforms[0].params, vec!["1", "", ""]);
    let p = parse_pv("$(hdr(X){re.subst,/a/b/g})").unwrap();
    assert_eq!(
        (p.transforms[0].class, p.transforms[0].sub),
        ("re", "subst")
    );
    assert_eq!(p.transforms[0].params, vec!["/a/b/g"]);
    // a transformation parameter that is itself a PV with a transformation
    let p = parse_pv("$(ru{s.select,$(var(i){s.int}),.})").unwrap();
    assert_eq!(p.transforms[0].params, vec!["$(var(i){s.int})", "."]);
    // old AVP index
    let p = parse_pv("$foo[1]").unwrap();
    assert_eq!((p.class, p.index), ("foo", Some("1")));
}

#[test]
fn pv_errors() {
    for (text, offset) in [
        ("ru", 0),
        ("$", 1),
        ("$(", 1),
        ("$(ru", 1),
        ("$(ru{s.len)", 4),
        ("$(ru{s.len}", 1),
        ("$var(x", 4),
        ("$(ru)x", 5),
        ("$ru!", 3),
        ("$(ru x)", 4),
    ] {
        let e = parse_pv(text).expect_err(text);
        assert!(!e.message.is_empty());
        assert!(e.offset <= text.len(), "{text}: offset {}", e.offset);
        assert_eq!(e.offset, offset, "{text}: {}", e.message);
    }
}

/// Every PVAR token the lexer makes should be understood by `parse_pv`.
#[test]
fn pv_tokens_from_the_lexer() {
    let text = "request_route {\n\t$var(a) = $ru + $(ru{uri.user}) + $avp(s:x) + $sht(t=>$ci) + \
                $? + $f.x + $foo[1] + $(avp(y)[2]) + $T(reply_code);\n}\n";
    let p = kcfg_syntax::parse(text);
    assert!(p.errors().is_empty(), "{:?}", p.errors());
    let mut failed = Vec::new();
    for t in p
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::PVAR)
    {
        if let Err(e) = parse_pv(t.text()) {
            failed.push(format!("{}: {}", t.text(), e.message));
        }
    }
    assert!(
        failed.is_empty(),
        "parse_pv rejects lexer PV tokens: {failed:?}"
    );
}

#[test]
fn format_strings() {
    let found = |s: &str| -> Vec<String> {
        scan_format(s)
            .iter()
            .map(|e| s[e.start..e.end].to_string())
            .collect()
    };
    assert_eq!(
        found("from $fu to $(tu{uri.user}) via $var(x)!"),
        vec!["$fu", "$(tu{uri.user})", "$var(x)"]
    );
    assert_eq!(found("$sht(t=>$ci)"), vec!["$sht(t=>$ci)"]);
    assert_eq!(found("$ci$ru"), vec!["$ci", "$ru"]);
    assert_eq!(
        found("{$mt $hdr(CSeq) $ci} "),
        vec!["$mt", "$hdr(CSeq)", "$ci"]
    );
    // a `$` that does not start a PV is text
    assert!(found("cost: 5$ or $1 or $ or $$").is_empty());
    // unclosed parentheses: not a PV
    assert!(found("$(ru").is_empty());
    assert!(found("$var(x").is_empty());
    // non-ASCII text around PVs
    assert_eq!(found("é$ru😀$fU"), vec!["$ru", "$fU"]);
    assert!(found("").is_empty());
}
