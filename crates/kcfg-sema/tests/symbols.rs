//! The symbol table: variables, hash tables, flags and modparams, with their
//! roles and ranges, across an include.

use kcfg_sema::{FileIdx, MemoryLoader, Model, Role, SemaOptions, SymbolKind};

const MAIN: &str = r#"loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "htable.so"
loadmodule "dialog.so"
modparam("htable", "htable", "ipban=>size=8;autoexpire=300")
#!define FLT_ACC 1
include_file "more.cfg"

request_route {
	$var(count) = 1;
	$avp(caller) = $fU;
	if ($sht(ipban=>$si) != $null) {
		xlog("L_INFO", "banned $si count=$var(count) caller=$avp(caller)\n");
		drop;
	}
	$dlg_var(start) = $Ts;
	$avp($var(dyn)) = 1;
	setflag(FLT_ACC);
	sht_rm_name_re("ipban=>^10\.");
	route(MORE);
}
"#;

const MORE: &str = r#"route[MORE] {
	if (isflagset(FLT_ACC)) {
		$xavp(ctx=>user) = $var(count);
	}
}
"#;

fn model() -> Model {
    let mut loader = MemoryLoader::new();
    loader.insert("more.cfg", MORE);
    Model::build("kamailio.cfg", MAIN, &loader, &SemaOptions::default())
}

fn roles(m: &Model, kind: SymbolKind, name: &str) -> Vec<(usize, Role, String)> {
    m.symbols()
        .named(kind, name)
        .map(|s| {
            let text = &m.files[s.file.0].text[s.range];
            (s.file.0, s.role, text.to_string())
        })
        .collect()
}

#[test]
fn variables_with_roles_and_name_ranges() {
    let m = model();
    assert_eq!(
        roles(&m, SymbolKind::Var, "count"),
        vec![
            (0, Role::Write, "count".to_string()),
            (0, Role::Read, "count".to_string()),
            (1, Role::Read, "count".to_string()),
        ]
    );
    assert_eq!(
        roles(&m, SymbolKind::Avp, "caller"),
        vec![
            (0, Role::Write, "caller".to_string()),
            (0, Role::Read, "caller".to_string()),
        ]
    );
    assert_eq!(
        roles(&m, SymbolKind::DialogVar, "start"),
        vec![(0, Role::Write, "start".to_string())]
    );
    assert_eq!(
        roles(&m, SymbolKind::Xavp, "ctx"),
        vec![(1, Role::Write, "ctx".to_string())]
    );
    // a computed name is kept but never matched by name
    let dynamic: Vec<_> = m
        .symbols()
        .of_kind(SymbolKind::Avp)
        .filter(|s| s.dynamic)
        .collect();
    assert_eq!(dynamic.len(), 1);
    assert_eq!(dynamic[0].name, "$var(dyn)");
    assert_eq!(m.symbols().names(SymbolKind::Var), vec!["count", "dyn"]);
}

#[test]
fn htables_flags_and_modparams() {
    let m = model();
    assert_eq!(
        roles(&m, SymbolKind::Htable, "ipban"),
        vec![
            (0, Role::Definition, "ipban".to_string()),
            (0, Role::Read, "ipban".to_string()),
            (0, Role::Write, "ipban".to_string()),
        ]
    );
    assert_eq!(
        roles(&m, SymbolKind::Flag, "FLT_ACC"),
        vec![
            (0, Role::Write, "FLT_ACC".to_string()),
            (1, Role::Read, "FLT_ACC".to_string()),
        ]
    );
    let mp: Vec<_> = m.symbols().names(SymbolKind::ModParam);
    assert_eq!(mp, vec!["htable.htable"]);
}

#[test]
fn symbol_at_an_offset() {
    let m = model();
    let offset = MAIN.find("count) = 1").unwrap() as u32 + 2;
    let s = m
        .symbols()
        .at(FileIdx(0), offset.into())
        .expect("a symbol at `count`");
    assert_eq!(
        (s.kind, s.name.as_str(), s.role),
        (SymbolKind::Var, "count", Role::Write)
    );
    assert!(m.symbols().at(FileIdx(0), 0.into()).is_none());
}
