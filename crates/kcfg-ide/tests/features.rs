//! Feature tests at the kcfg-ide boundary: multi-file fixtures where `$0`
//! marks the cursor.
//!
//! ```text
//! //- /etc/kamailio/kamailio.cfg
//! loadmodule "tm.so"
//! ...t_re$0lay()...
//! //- /etc/kamailio/routes.cfg
//! ...
//! ```

use std::path::{Path, PathBuf};

use kcfg_ide::{Analysis, AnalysisHost, CompletionKind, Settings, TextRange, TextSize};

const MAIN: &str = "/etc/kamailio/kamailio.cfg";

struct Fixture {
    host: AnalysisHost,
    files: Vec<(PathBuf, String)>,
    cursor: Option<(PathBuf, TextSize)>,
}

impl Fixture {
    fn new(text: &str) -> Fixture {
        Fixture::with(text, Settings::default())
    }

    fn with(text: &str, settings: Settings) -> Fixture {
        let mut host = AnalysisHost::new(settings);
        let mut files = Vec::new();
        let mut cursor = None;
        for chunk in text.split("//- ").filter(|c| !c.trim().is_empty()) {
            let (path, body) = chunk.split_once('\n').unwrap();
            let path = PathBuf::from(path.trim());
            let body = match body.find("$0") {
                Some(i) => {
                    cursor = Some((path.clone(), TextSize::from(i as u32)));
                    format!("{}{}", &body[..i], &body[i + 2..])
                }
                None => body.to_string(),
            };
            host.set_file(&path, body.as_str());
            files.push((path, body));
        }
        Fixture {
            host,
            files,
            cursor,
        }
    }

    fn a(&self) -> Analysis {
        self.host.analysis()
    }

    fn cursor(&self) -> (PathBuf, TextSize) {
        self.cursor.clone().expect("fixture has a $0 marker")
    }

    fn text(&self, path: &Path) -> &str {
        &self.files.iter().find(|(p, _)| p == path).unwrap().1
    }

    fn slice(&self, path: &Path, r: TextRange) -> &str {
        &self.text(path)[r]
    }

    fn hover(&self) -> String {
        let (p, o) = self.cursor();
        self.a()
            .hover(&p, o)
            .unwrap()
            .map(|h| h.markdown)
            .unwrap_or_default()
    }

    fn completion_labels(&self) -> Vec<(String, CompletionKind)> {
        let (p, o) = self.cursor();
        self.a()
            .completions(&p, o)
            .unwrap()
            .into_iter()
            .map(|c| (c.label, c.kind))
            .collect()
    }
}

const TWO_FILES: &str = r#"//- /etc/kamailio/kamailio.cfg
#!define PORT 5060
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
modparam("tm", "fr_timer", 3000)
children = 4
include_file "routes.cfg"
request_route {
	$var(dst) = "sip:a@b";
	xlog("L_INFO", "to $var(dst) on PORT\n");
	if ($rp == PORT) {
		route(RELAY);
	}
	t_on_failure("FAIL");
}
failure_route[FAIL] {
	route(RELAY);
}
//- /etc/kamailio/routes.cfg
route[RELAY] {
	$var(dst) = $ru;
	if (!t_relay()) {
		exit;
	}
	exit;
}
"#;

fn at(fixture: &str, path: &str, needle: &str) -> Fixture {
    // place the cursor at the first occurrence of `needle` (the `$0` inside it)
    let clean = needle.replace("$0", "");
    let k = needle.find("$0").unwrap();
    let mut out = String::new();
    let mut done = false;
    for chunk in fixture.split("//- ").filter(|c| !c.trim().is_empty()) {
        let (p, body) = chunk.split_once('\n').unwrap();
        out.push_str("//- ");
        out.push_str(p);
        out.push('\n');
        if !done && p.trim() == path {
            let i = body
                .find(&clean)
                .unwrap_or_else(|| panic!("{clean} not in {p}"));
            out.push_str(&body[..i + k]);
            out.push_str("$0");
            out.push_str(&body[i + k..]);
            done = true;
        } else {
            out.push_str(body);
        }
    }
    Fixture::new(&out)
}

#[test]
fn diagnostics_are_those_of_kcfg_check_and_follow_edits_of_included_files() {
    let mut f = Fixture::new(TWO_FILES);
    let a = f.a();
    let d = a.diagnostics(Path::new(MAIN)).unwrap();
    assert!(d.check.is_empty(), "{:?}", d.check);
    // the same computation as `kcfg check` on the same text
    let mut loader = kcfg_sema::MemoryLoader::new();
    for (p, t) in &f.files {
        loader.insert(p, t.as_str());
    }
    let mut files = kcfg_diagnostics::Files::new();
    let id = files.add(MAIN, f.text(Path::new(MAIN)).to_string());
    let opts = kcfg_check::CheckOptions {
        path: Some(MAIN.into()),
        ..Default::default()
    };
    let expected = kcfg_check::check_source_with(&mut files, id, &opts, &loader);
    assert!(expected.is_empty(), "{expected:?}");
    drop(a);

    // an error in the included file: reported there, with the include chain
    f.host.set_file(
        "/etc/kamailio/routes.cfg",
        "route[RELAY] {\n\tno_such();\n}\n",
    );
    let a = f.a();
    let inc = a
        .diagnostics(Path::new("/etc/kamailio/routes.cfg"))
        .unwrap();
    assert_eq!(inc.check.len(), 1, "{:?}", inc.check);
    assert_eq!(inc.check[0].code, "KC103");
    assert!(inc.check[0].notes[0].contains("included through"));
    assert!(a.diagnostics(Path::new(MAIN)).unwrap().check.is_empty());
    // the main file is the only root
    let ws = a.workspace_diagnostics().unwrap();
    let paths: Vec<_> = ws.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(
        paths,
        vec![
            PathBuf::from("/etc/kamailio/kamailio.cfg"),
            PathBuf::from("/etc/kamailio/routes.cfg")
        ]
    );
    drop(a);
    // closing the included file: read from disk, where it does not exist
    f.host.remove_file("/etc/kamailio/routes.cfg");
    let d = f.a().diagnostics(Path::new(MAIN)).unwrap();
    assert!(d.check.iter().any(|d| d.code == "KC113"), "{:?}", d.check);
}

#[test]
fn hover_function_module_signature_route_types_docs() {
    let f = at(TWO_FILES, "/etc/kamailio/routes.cfg", "t_re$0lay");
    let h = f.hover();
    assert!(h.contains("t_relay()"), "{h}");
    assert!(h.contains("module `tm`"), "{h}");
    assert!(
        h.contains("https://www.kamailio.org/docs/modules/6.0.x/modules/tm.html#tm.f.t_relay"),
        "{h}"
    );
    assert!(h.contains("allowed in: request, failure"), "{h}");
}

#[test]
fn hover_pv_transformation_modparam_core_param_define_route() {
    let h = at(TWO_FILES, MAIN, "$r$0p ==").hover();
    assert!(h.contains("pseudo-variable `$rp`"), "{h}");
    let h = at(TWO_FILES, MAIN, "\"fr_ti$0mer\"").hover();
    assert!(
        h.contains("type: integer") && h.contains("#tm.p.fr_timer"),
        "{h}"
    );
    let h = at(TWO_FILES, MAIN, "child$0ren").hover();
    assert!(h.contains("core parameter"), "{h}");
    let h = at(TWO_FILES, MAIN, "== PO$0RT").hover();
    assert!(h.contains("value: `5060`"), "{h}");
    let h = at(TWO_FILES, "/etc/kamailio/routes.cfg", "route[REL$0AY]").hover();
    assert!(h.contains("called from:"), "{h}");
    assert!(
        h.contains("in `request_route`") && h.contains("in `failure_route[FAIL]`"),
        "{h}"
    );
    assert!(h.contains("runs as: request, failure"), "{h}");
    let f = Fixture::new(
        "//- /k.cfg\nloadmodule \"pv.so\"\nrequest_route {\n\t$var(l) = $(ru{s.le$0n});\n}\n",
    );
    let h = f.hover();
    assert!(h.contains("{s.len}") && h.contains("transformation"), "{h}");
    // a PV inside a format string
    let h = at(TWO_FILES, MAIN, "to $var(d$0st) on").hover();
    assert!(h.contains("pseudo-variable `$var`"), "{h}");
}

#[test]
fn hover_at_a_utf16_position_after_non_ascii_text() {
    let text = "//- /k.cfg\nloadmodule \"pv.so\"\nloadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"L_INFO\", \"é€😀 $r$0u\\n\");\n}\n";
    let f = Fixture::new(text);
    let (p, off) = f.cursor();
    let body = f.text(&p);
    // the editor's position: line and UTF-16 column, computed independently
    let line_start = body[..usize::from(off)].rfind('\n').unwrap() + 1;
    let line = body[..line_start].matches('\n').count() as u32;
    let col16 = body[line_start..usize::from(off)].encode_utf16().count() as u32;
    assert_ne!(col16 as usize, usize::from(off) - line_start); // non-ASCII before it
    let index = f.a().line_index(&p).unwrap().unwrap();
    let lc = index.to_utf8(
        kcfg_syntax::WideEncoding::Utf16,
        kcfg_syntax::WideLineCol { line, col: col16 },
    );
    let back = index.offset(lc).unwrap();
    assert_eq!(back, off);
    let h = f.a().hover(&p, back).unwrap().unwrap();
    assert!(h.markdown.contains("`$ru`"), "{}", h.markdown);
    assert_eq!(f.slice(&p, h.range), "$ru");
}

#[test]
fn completion_of_functions_of_loaded_modules_with_snippets() {
    let f = at(TWO_FILES, "/etc/kamailio/routes.cfg", "t_$0relay");
    let (p, o) = f.cursor();
    let items = f.a().completions(&p, o).unwrap();
    let relay = items.iter().find(|c| c.label == "t_relay").unwrap();
    assert_eq!(relay.kind, CompletionKind::Function);
    assert!(relay.is_snippet);
    assert_eq!(
        relay.insert_text.as_deref(),
        Some("t_relay(${1:p1}, ${2:p2})")
    );
    assert_eq!(f.slice(&p, relay.replace), "t_");
    assert!(items.iter().any(|c| c.label == "sl_send_reply"));
    // registrar is not loaded
    assert!(!items.iter().any(|c| c.label == "save"));
    assert!(items
        .iter()
        .any(|c| c.label == "RELAY" || c.label == "PORT"));
}

#[test]
fn completion_contexts() {
    // variables used anywhere in the workspace and PV classes
    let f = Fixture::new(&TWO_FILES.replace("\texit;\n}", "\t$$0\n\texit;\n}"));
    let labels = f.completion_labels();
    assert!(
        labels.contains(&("$var(dst)".into(), CompletionKind::Variable)),
        "{labels:?}"
    );
    assert!(labels.contains(&("$ru".into(), CompletionKind::Variable)));
    // modparam names of the module
    let f = Fixture::new(&TWO_FILES.replace(
        "modparam(\"tm\", \"fr_timer\", 3000)",
        "modparam(\"tm\", \"$0",
    ));
    let labels = f.completion_labels();
    assert!(
        labels.contains(&("fr_inv_timer".into(), CompletionKind::ModParam)),
        "{labels:?}"
    );
    assert!(!labels.iter().any(|(l, _)| l == "db_url"));
    // route names in route(...) and t_on_failure("...")
    let f = Fixture::new(&TWO_FILES.replace("route(RELAY);\n\t}", "route(R$0);\n\t}"));
    assert_eq!(
        f.completion_labels(),
        vec![("RELAY".into(), CompletionKind::Route)]
    );
    let f = Fixture::new(&TWO_FILES.replace("t_on_failure(\"FAIL\")", "t_on_failure(\"$0\")"));
    assert_eq!(
        f.completion_labels(),
        vec![("FAIL".into(), CompletionKind::Route)]
    );
    // transformations after `{`
    let f = Fixture::new("//- /k.cfg\nrequest_route {\n\t$var(x) = $(ru{s.$0\n}\n");
    let labels = f.completion_labels();
    assert!(labels.contains(&("s.len".into(), CompletionKind::Transformation)));
    // core parameters and event routes at top level, defines after #!ifdef
    let f = Fixture::new("//- /k.cfg\n#!define WITH_X\nchil$0\n");
    let labels = f.completion_labels();
    assert!(labels.contains(&("children".into(), CompletionKind::CoreParam)));
    assert!(labels.contains(&("WITH_X".into(), CompletionKind::Define)));
    let f = Fixture::new("//- /k.cfg\n#!define WITH_X\n#!ifdef $0\n");
    assert_eq!(
        f.completion_labels(),
        vec![("WITH_X".into(), CompletionKind::Define)]
    );
    let f = Fixture::new("//- /k.cfg\nevent_route[$0\n");
    assert!(f
        .completion_labels()
        .contains(&("htable:mod-init".into(), CompletionKind::EventRoute)));
}

#[test]
fn signature_help_for_module_functions() {
    let f = Fixture::new(
        "//- /k.cfg\nloadmodule \"sl.so\"\nrequest_route {\n\tsl_send_reply(\"404\", $0);\n}\n",
    );
    let (p, o) = f.cursor();
    let s = f.a().signature_help(&p, o).unwrap().unwrap();
    assert_eq!(s.active_parameter, 1);
    assert_eq!(
        s.signatures[s.active_signature].label,
        "sl_send_reply(p1, p2)"
    );
    assert!(s.signatures[0].documentation.contains("module `sl`"));
}

#[test]
fn goto_definition_of_routes_defines_and_vars_across_files() {
    let f = at(TWO_FILES, MAIN, "route(REL$0AY)");
    let (p, o) = f.cursor();
    let d = f.a().goto_definition(&p, o).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, PathBuf::from("/etc/kamailio/routes.cfg"));
    assert_eq!(f.slice(&d[0].path, d[0].range), "RELAY");
    assert_eq!(u32::from(d[0].range.start()), 6);

    let f = at(TWO_FILES, MAIN, "== PO$0RT");
    let (p, o) = f.cursor();
    let d = f.a().goto_definition(&p, o).unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(f.slice(&d[0].path, d[0].range), "PORT");
    assert_eq!(u32::from(d[0].range.start()), 9);

    // $var(dst) is assigned in both files
    let f = at(TWO_FILES, MAIN, "to $var(ds$0t)");
    let (p, o) = f.cursor();
    let d = f.a().goto_definition(&p, o).unwrap();
    assert_eq!(d.len(), 2, "{d:?}");

    let f = at(TWO_FILES, MAIN, "include_file \"rou$0tes.cfg\"");
    let (p, o) = f.cursor();
    let d = f.a().goto_definition(&p, o).unwrap();
    assert_eq!(d[0].path, PathBuf::from("/etc/kamailio/routes.cfg"));
}

#[test]
fn references_and_rename_of_a_route_across_files() {
    let f = at(TWO_FILES, "/etc/kamailio/routes.cfg", "route[RE$0LAY]");
    let (p, o) = f.cursor();
    let refs = f.a().references(&p, o).unwrap();
    assert_eq!(refs.len(), 3, "{refs:?}"); // the definition and two route(RELAY)
    let (r, name) = f.a().prepare_rename(&p, o).unwrap().unwrap();
    assert_eq!((f.slice(&p, r), name.as_str()), ("RELAY", "RELAY"));
    let change = f.a().rename(&p, o, "FORWARD").unwrap().unwrap();
    let mut host = AnalysisHost::new(Settings::default());
    for (path, text) in &f.files {
        let mut t = text.clone();
        let mut edits = change.edits.get(path).cloned().unwrap_or_default();
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start()));
        for (r, new) in edits {
            t.replace_range(usize::from(r.start())..usize::from(r.end()), &new);
        }
        host.set_file(path, t);
    }
    let main = host.analysis().file_text(Path::new(MAIN)).unwrap().unwrap();
    assert_eq!(main.matches("route(FORWARD)").count(), 2);
    let routes = host
        .analysis()
        .file_text(Path::new("/etc/kamailio/routes.cfg"))
        .unwrap()
        .unwrap();
    assert!(routes.starts_with("route[FORWARD] {"));
    // the renamed config is still clean
    assert!(host
        .analysis()
        .diagnostics(Path::new(MAIN))
        .unwrap()
        .check
        .is_empty());
    // invalid names are refused
    assert!(f.a().rename(&p, o, "a b").unwrap().is_err());
}

#[test]
fn rename_a_var_in_expressions_and_format_strings() {
    let f = at(TWO_FILES, MAIN, "$var(d$0st) = ");
    let (p, o) = f.cursor();
    let change = f.a().rename(&p, o, "target").unwrap().unwrap();
    let main_edits = &change.edits[&PathBuf::from(MAIN)];
    assert_eq!(main_edits.len(), 2); // the assignment and inside xlog's string
    for (r, _) in main_edits {
        assert_eq!(f.slice(Path::new(MAIN), *r), "dst");
    }
    assert_eq!(
        change.edits[&PathBuf::from("/etc/kamailio/routes.cfg")].len(),
        1
    );
    let f = Fixture::new(
        "//- /k.cfg\nrequest_route {\n\t$avp(s:who$0) = 1;\n\t$dlg_var(who) = $avp(who);\n}\n",
    );
    let (p, o) = f.cursor();
    let refs = f.a().references(&p, o).unwrap();
    assert_eq!(refs.len(), 2, "{refs:?}"); // $avp only, not $dlg_var
}

#[test]
fn document_links_symbols_folding() {
    let f = Fixture::new(TWO_FILES);
    let a = f.a();
    let links = a.document_links(Path::new(MAIN)).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(f.slice(Path::new(MAIN), links[0].range), "routes.cfg");
    assert_eq!(links[0].target, PathBuf::from("/etc/kamailio/routes.cfg"));
    let syms = a.document_symbols(Path::new(MAIN)).unwrap();
    let names: Vec<&str> = syms.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"request_route"));
    assert!(names.contains(&"failure_route[FAIL]"));
    assert!(names.contains(&"PORT"));
    assert!(names.contains(&"tm.fr_timer"));
    let ws = a.workspace_symbols("rel").unwrap();
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0].1.name, "route[RELAY]");

    let text = "//- /k.cfg\n# one\n# two\n# three\n#!ifdef A\nloadmodule \"tm.so\"\nloadmodule \"sl.so\"\n#!endif\nrequest_route {\n\tif (1) {\n\t\texit;\n\t}\n}\n";
    let f = Fixture::new(text);
    let folds = f.a().folding_ranges(Path::new("/k.cfg")).unwrap();
    let kinds: Vec<(kcfg_ide::FoldKind, &str)> = folds
        .iter()
        .map(|x| (x.kind, f.slice(Path::new("/k.cfg"), x.range)))
        .collect();
    assert!(
        kinds.contains(&(kcfg_ide::FoldKind::Comment, "# one\n# two\n# three")),
        "{kinds:?}"
    );
    assert!(kinds
        .iter()
        .any(|(k, s)| *k == kcfg_ide::FoldKind::Region && s.starts_with("request_route")));
    assert!(kinds.iter().any(|(_, s)| s.starts_with("{\n\t\texit;")));
    assert!(kinds.iter().any(|(_, s)| s.starts_with("#!ifdef A\n")));
}

#[test]
fn inactive_ifdef_arms_and_settings_defines() {
    let text = "//- /k.cfg\n#!ifdef WITH_AUTH\nloadmodule \"auth.so\"\n#!else\nloadmodule \"sl.so\"\n#!endif\n";
    let f = Fixture::new(text);
    let d = f.a().diagnostics(Path::new("/k.cfg")).unwrap();
    let inactive: Vec<&str> = d
        .inactive
        .iter()
        .map(|r| f.slice(Path::new("/k.cfg"), *r))
        .collect();
    assert_eq!(inactive, vec!["\nloadmodule \"auth.so\""]);
    let f = Fixture::with(
        text,
        Settings {
            defines: vec!["WITH_AUTH".into()],
            ..Default::default()
        },
    );
    let d = f.a().diagnostics(Path::new("/k.cfg")).unwrap();
    let inactive: Vec<&str> = d
        .inactive
        .iter()
        .map(|r| f.slice(Path::new("/k.cfg"), *r))
        .collect();
    assert_eq!(inactive, vec!["\nloadmodule \"sl.so\""]);
}

#[test]
fn semantic_tokens_classify_names() {
    let f = Fixture::new(TWO_FILES);
    let toks = f.a().semantic_tokens(Path::new(MAIN)).unwrap();
    let kind_of = |s: &str| {
        toks.iter()
            .find(|t| f.slice(Path::new(MAIN), t.range) == s)
            .map(|t| t.kind)
    };
    use kcfg_ide::SemanticTokenKind as K;
    assert_eq!(kind_of("xlog"), Some(K::Function));
    assert_eq!(kind_of("$var(dst)"), Some(K::Variable));
    assert_eq!(kind_of("request_route"), Some(K::Keyword));
    assert_eq!(kind_of("FAIL"), Some(K::Namespace));
    assert_eq!(kind_of("children"), Some(K::Property));
    assert_eq!(kind_of("#!define"), Some(K::Macro));
}

#[test]
fn inlay_hints_show_the_route_types_a_sub_route_runs_as() {
    let f = Fixture::new(TWO_FILES);
    let p = Path::new("/etc/kamailio/routes.cfg");
    let hints = f
        .a()
        .inlay_hints(p, TextRange::up_to(TextSize::from(f.text(p).len() as u32)))
        .unwrap();
    assert_eq!(hints.len(), 1);
    assert_eq!(hints[0].label, "reached as request, failure");
    assert_eq!(&f.text(p)[..usize::from(hints[0].offset)], "route[RELAY]");
}

#[test]
fn code_actions_add_loadmodule_and_did_you_mean() {
    let text = "//- /k.cfg\nloadmodule \"sl.so\"\nrequest_route {\n\tt_relay();\n\tsl_send_replyy(\"404\", \"x\");\n}\n";
    let f = Fixture::new(text);
    let p = Path::new("/k.cfg");
    let all = TextRange::up_to(TextSize::from(f.text(p).len() as u32));
    let actions = f.a().code_actions(p, all).unwrap();
    let titles: Vec<&str> = actions.iter().map(|a| a.title.as_str()).collect();
    assert!(titles.contains(&"add `loadmodule \"tm.so\"`"), "{titles:?}");
    assert!(
        titles.contains(&"replace with `sl_send_reply`"),
        "{titles:?}"
    );
    // applying both fixes gives a clean config
    let mut t = f.text(p).to_string();
    let mut edits: Vec<(TextRange, String)> = actions
        .iter()
        .flat_map(|a| a.edit.edits[&PathBuf::from("/k.cfg")].clone())
        .collect();
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start()));
    for (r, s) in edits {
        t.replace_range(usize::from(r.start())..usize::from(r.end()), &s);
    }
    let mut host = AnalysisHost::new(Settings::default());
    host.set_file(p, t.as_str());
    // both errors are gone; the lint about the unchecked `t_relay()` stays
    let d = host.analysis().diagnostics(p).unwrap();
    let codes: Vec<&str> = d.check.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["KC306"], "{t}\n{:?}", d.check);
}

#[test]
fn formatting_whole_file_and_range() {
    let p = Path::new("/k.cfg");
    let text = "request_route {\nif($rm==\"INVITE\"){\n  xlog(\"L_INFO\",\"x\\n\");\n}\n\n\n\n  exit;\n}\n";
    let mut host = AnalysisHost::new(Settings::default());
    host.set_file(p, text);
    let apply = |edits: Vec<(TextRange, String)>| {
        let mut t = text.to_string();
        let mut edits = edits;
        edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start()));
        for (r, s) in edits {
            t.replace_range(usize::from(r.start())..usize::from(r.end()), &s);
        }
        t
    };
    // tabs by default, as `kcfg fmt`
    let whole = host
        .analysis()
        .format(p, None, &kcfg_ide::FormatOptions::default())
        .unwrap()
        .unwrap()
        .expect("edits");
    let formatted = apply(whole);
    assert_eq!(
        formatted,
        kcfg_fmt::format(text, &kcfg_fmt::FormatOptions::default()).unwrap()
    );
    assert!(
        formatted.contains("\tif ($rm == \"INVITE\") {\n\t\txlog(\"L_INFO\", \"x\\n\");"),
        "{formatted}"
    );
    // the editor asks for spaces
    let spaces = kcfg_ide::FormatOptions {
        tab_size: 2,
        insert_spaces: true,
    };
    let edits = host
        .analysis()
        .format(p, None, &spaces)
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(apply(edits).contains("\n  if ($rm"), "spaces");
    // a range: only the line of `exit;` changes
    let at = text.find("exit").unwrap() as u32;
    let range = TextRange::new(at.into(), (at + 5).into());
    let edits = host
        .analysis()
        .format(p, Some(range), &kcfg_ide::FormatOptions::default())
        .unwrap()
        .unwrap()
        .unwrap();
    let ranged = apply(edits);
    assert!(
        ranged.starts_with("request_route {\nif($rm==\"INVITE\"){"),
        "{ranged}"
    );
    assert!(
        ranged.contains("}\n\n\n\texit;\n}") || ranged.contains("\texit;"),
        "{ranged}"
    );
}

#[test]
fn a_snapshot_is_cancelled_by_an_edit() {
    let mut f = Fixture::new(TWO_FILES);
    let a = f.a();
    assert!(a.diagnostics(Path::new(MAIN)).is_ok());
    // editing while `a` is alive would block until it is dropped; in another
    // thread the snapshot keeps answering from its revision or is cancelled
    let t = std::thread::spawn(move || {
        for _ in 0..50 {
            match a.diagnostics(Path::new(MAIN)) {
                Ok(_) => {}
                Err(_) => return true,
            }
        }
        false
    });
    f.host.set_file(MAIN, "request_route {\n\texit;\n}\n");
    let _ = t.join().unwrap();
    let d = f.a().diagnostics(Path::new(MAIN)).unwrap();
    assert!(d.check.is_empty());
}
