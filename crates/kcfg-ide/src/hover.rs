//! Hover: what the knowledge base and the model know about the name under
//! the cursor.

use std::fmt::Write;
use std::path::Path;

use kcfg_sema::RouteTable;
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::{SyntaxKind::*, SyntaxToken, TextRange, TextSize};

use crate::db::{CheckResult, Db, IdeDb};
use crate::util;

/// Markdown for the range under the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverResult {
    pub range: TextRange,
    pub markdown: String,
}

pub(crate) fn hover(db: &IdeDb, path: &Path, offset: TextSize) -> Option<HoverResult> {
    let file = util::file(db, path)?;
    let (c, idx) = util::check_for(db, file);
    let version = db.workspace().settings(db).version;
    let kdb = kcfg_modules::db(version);
    let root = c.model.files[idx].parse.syntax_node();
    let t = util::token_at(&root, offset)?;
    let parent = t.parent()?;
    let range = t.text_range();
    let md = match t.kind() {
        IDENT if parent.kind() == CALL && parent.first_token().as_ref() == Some(&t) => {
            if let Some(d) = c.model.defines.get(t.text()) {
                define_md(&c, d)
            } else {
                function_md(kdb, version, t.text())?
            }
        }
        ROUTE_KW if parent.kind() == CALL => {
            "```kamailio\nroute(NAME)\n```\ncore action: runs `route[NAME]` and returns to the caller"
                .to_string()
        }
        IDENT | NUMBER | EVENT_ROUTE_NAME if parent.kind() == ROUTE_NAME => {
            let block = parent.parent().and_then(ast::RouteBlock::cast)?;
            let table = util::table_of(&block)?;
            let mut md = route_md(&c, table, t.text())?;
            if t.kind() == EVENT_ROUTE_NAME {
                if let Some(e) = kdb.event_route(t.text()) {
                    let _ = write!(md, "\n\nrun by module(s): {}", e.modules.join(", "));
                }
            }
            md
        }
        IDENT | NUMBER if parent.kind() == NAME_REF => {
            if let Some(d) = c.model.defines.get(t.text()) {
                define_md(&c, d)
            } else {
                let call = util::enclosing_call(&t)?;
                let fname = call.name()?.text().to_string();
                let table = util::route_arg_table(&fname)?;
                route_md(&c, table, t.text())?
            }
        }
        IDENT if parent.kind() == GLOBAL_PARAM => core_param_md(kdb, t.text())?,
        PP_NAME => {
            let d = c.model.defines.get(t.text());
            match d {
                Some(d) => define_md(&c, d),
                None => format!("```kamailio\n{}\n```\nnot defined at the end of the config", t.text()),
            }
        }
        PVAR => return pv_hover(kdb, &t, t.text(), t.text_range().start(), offset),
        STRING | SQ_STRING => return string_hover(db, &c, kdb, version, &t, offset),
        _ => return None,
    };
    Some(HoverResult {
        range,
        markdown: md,
    })
}

fn string_hover(
    _db: &IdeDb,
    c: &CheckResult,
    kdb: &'static kcfg_modules::Db,
    version: kcfg_modules::KamailioVersion,
    t: &SyntaxToken,
    offset: TextSize,
) -> Option<HoverResult> {
    let (inner, s) = util::string_inner(t);
    // a PV inside a format string
    for e in kcfg_syntax::pvar::scan_format(&s) {
        let r = TextRange::new(
            inner.start() + TextSize::from(e.start as u32),
            inner.start() + TextSize::from(e.end as u32),
        );
        if r.contains_inclusive(offset) {
            return pv_hover(kdb, t, &s[e.start..e.end], r.start(), offset);
        }
    }
    let lit = t.parent()?;
    let owner = lit.parent()?;
    let md = match owner.kind() {
        ARG_LIST => {
            let stmt = owner.parent()?;
            let args: Vec<_> = owner.children().collect();
            let pos = args.iter().position(|a| a == &lit)?;
            if stmt.kind() == MODPARAM {
                let mp = ast::ModParam::cast(stmt)?;
                let module = mp.module()?;
                match pos {
                    0 => module_md(kdb, version, &module)?,
                    1 => modparam_md(kdb, version, &module, &s)?,
                    _ => return None,
                }
            } else if stmt.kind() == CALL {
                let call = ast::Call::cast(stmt)?;
                let fname = call.name()?.text().to_string();
                let table = util::route_arg_table(&fname)?;
                if pos != 0 {
                    return None;
                }
                route_md(c, table, &s)?
            } else {
                return None;
            }
        }
        LOADMODULE => {
            let m = kdb.module_by_file(&s)?;
            module_md(kdb, version, m.name)?
        }
        _ => return None,
    };
    Some(HoverResult {
        range: inner,
        markdown: md,
    })
}

fn function_md(
    kdb: &'static kcfg_modules::Db,
    version: kcfg_modules::KamailioVersion,
    name: &str,
) -> Option<String> {
    let variants = kdb.functions(name);
    if variants.is_empty() {
        let a = kdb.core_action(name)?;
        return Some(format!(
            "```kamailio\n{name}\n```\ncore action (arguments: {})",
            if a.nargs.is_empty() {
                "none".to_string()
            } else {
                a.nargs.join(" | ")
            }
        ));
    }
    let mut md = String::from("```kamailio\n");
    for v in variants {
        let _ = writeln!(md, "{}", util::signature_of(v));
    }
    md.push_str("```\n");
    let mut modules: Vec<&str> = variants.iter().map(|v| v.module).collect();
    modules.dedup();
    for m in modules {
        let _ = writeln!(
            md,
            "module `{m}` — [documentation]({}#{m}.f.{name})\n",
            util::module_doc_url(version, m)
        );
    }
    let mut arities: Vec<String> = variants
        .iter()
        .map(|v| match v.nparams {
            _ if v.var_params => "any number".to_string(),
            Some(n) => n.to_string(),
            None => "0".to_string(),
        })
        .collect();
    arities.dedup();
    let _ = writeln!(md, "arguments: {}\n", arities.join(" or "));
    let _ = write!(md, "allowed in: {}", util::allowed_in(&variants[0]));
    Some(md)
}

fn module_md(
    kdb: &'static kcfg_modules::Db,
    version: kcfg_modules::KamailioVersion,
    module: &str,
) -> Option<String> {
    let m = kdb.module(module)?;
    Some(format!(
        "module `{}` (`loadmodule \"{}\"`): {} functions, {} parameters — [documentation]({})",
        m.name,
        m.loadmodule,
        m.functions().len(),
        m.params().len(),
        util::module_doc_url(version, m.name)
    ))
}

fn modparam_md(
    kdb: &'static kcfg_modules::Db,
    version: kcfg_modules::KamailioVersion,
    module: &str,
    name: &str,
) -> Option<String> {
    let p = kdb.modparam(module, name).next()?;
    let ty = match p.ty {
        kcfg_modules::ParamType::Int => "integer",
        kcfg_modules::ParamType::Str | kcfg_modules::ParamType::String => "string",
        kcfg_modules::ParamType::Var => "integer or string",
    };
    Some(format!(
        "```kamailio\nmodparam(\"{module}\", \"{name}\", <{ty}>)\n```\nparameter of module `{module}`, type: {ty} — [documentation]({}#{module}.p.{name})",
        util::module_doc_url(version, module)
    ))
}

fn core_param_md(kdb: &'static kcfg_modules::Db, name: &str) -> Option<String> {
    let g = kdb.global_param(name)?;
    let mut md = format!("```kamailio\n{name} = ...\n```\ncore parameter");
    if g.names.len() > 1 {
        let _ = write!(md, " (also spelt {})", g.names.join(", "));
    }
    if !g.value_types.is_empty() {
        let _ = write!(md, "\n\nvalue: {}", g.value_types.join(" | "));
    }
    if !g.value_forms.is_empty() {
        let _ = write!(md, "\n\nforms: `{}`", g.value_forms.join("`, `"));
    }
    Some(md)
}

fn define_md(c: &CheckResult, d: &kcfg_sema::Define) -> String {
    let value = match &d.value {
        Some(v) if v.is_empty() => "(defined, no value)".to_string(),
        Some(v) => format!("`{v}`"),
        None => "(value known only when Kamailio runs)".to_string(),
    };
    let origin = match &d.origin {
        kcfg_sema::DefineOrigin::CommandLine => "from the settings (`-D`)".to_string(),
        kcfg_sema::DefineOrigin::Directive { file, range } => {
            let f = &c.model.files[file.0];
            format!(
                "defined at {}:{}",
                f.path.display(),
                c.line_indexes[file.0].line_col(range.start()).line + 1
            )
        }
    };
    format!(
        "```kamailio\n#!define {}{}\n```\nvalue: {value}\n\n{origin}",
        d.name,
        d.value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!(" {v}"))
            .unwrap_or_default()
    )
}

/// A route and where it is called from.
pub(crate) fn route_md(c: &CheckResult, table: RouteTable, name: &str) -> Option<String> {
    let m = &c.model;
    let idx = m
        .routes
        .iter()
        .position(|r| r.table == table && r.name.as_deref() == Some(name));
    let Some(idx) = idx else {
        return Some(format!(
            "`{}[{name}]`: no such route in this config",
            table.keyword()
        ));
    };
    let r = &m.routes[idx];
    let g = m.call_graph();
    let mut md = format!("```kamailio\n{}\n```\n", r.display());
    let line = |file: kcfg_sema::FileIdx, range: TextRange| {
        format!(
            "{}:{}",
            m.files[file.0]
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            c.line_indexes[file.0].line_col(range.start()).line + 1
        )
    };
    let _ = writeln!(md, "defined at {}\n", line(r.file, r.head_range));
    let callers: Vec<String> = g
        .callers(idx)
        .map(|e| {
            let from = e
                .caller
                .map(|ci| m.routes[ci].display())
                .unwrap_or_else(|| "modparam".to_string());
            format!("- `{}` in `{from}` ({})", e.function, line(e.file, e.range))
        })
        .collect();
    if callers.is_empty() {
        md.push_str("not called from anywhere in the config");
    } else {
        let _ = writeln!(md, "called from:\n{}", callers.join("\n"));
    }
    let kinds = g.reached_as(idx);
    if !kinds.is_empty() {
        let ks: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let _ = write!(md, "\nruns as: {}", ks.join(", "));
    }
    Some(md)
}

/// A PV (and the transformation under the cursor, if any).
fn pv_hover(
    kdb: &'static kcfg_modules::Db,
    _t: &SyntaxToken,
    text: &str,
    base: TextSize,
    offset: TextSize,
) -> Option<HoverResult> {
    let pv = kcfg_syntax::pvar::parse_pv(text).ok()?;
    let range = TextRange::at(base, TextSize::from(text.len() as u32));
    let rel = usize::from(offset - base);
    for tr in &pv.transforms {
        if tr.start <= rel && rel <= tr.end {
            let r = TextRange::new(
                base + TextSize::from(tr.start as u32),
                base + TextSize::from(tr.end as u32),
            );
            let md = match kdb.transformation(tr.class, tr.sub) {
                Some(x) => format!(
                    "```kamailio\n{{{}.{}{}}}\n```\ntransformation{} ({} to {} parameters)",
                    x.class,
                    x.name,
                    if x.max_params > 0 { ",..." } else { "" },
                    if x.module.is_empty() || x.module == "core" {
                        String::new()
                    } else {
                        format!(" of module `{}`", x.module)
                    },
                    x.min_params,
                    x.max_params
                ),
                None => format!("unknown transformation `{}.{}`", tr.class, tr.sub),
            };
            return Some(HoverResult {
                range: r,
                markdown: md,
            });
        }
    }
    let md = match kdb.pv_class(pv.class) {
        Some(c) => {
            let mut md = format!(
                "```kamailio\n{}\n```\n",
                if c.syntax.is_empty() { text } else { c.syntax }
            );
            let _ = write!(
                md,
                "pseudo-variable `${}`{}{}",
                c.name,
                if c.ty.is_empty() {
                    String::new()
                } else {
                    format!(", {}", c.ty)
                },
                if c.settable {
                    ", writable"
                } else {
                    ", read-only"
                }
            );
            if !c.modules.is_empty() {
                let _ = write!(md, "\n\nmodule(s): {}", c.modules.join(", "));
            }
            md
        }
        None => format!("unknown pseudo-variable class `{}`", pv.class),
    };
    Some(HoverResult {
        range,
        markdown: md,
    })
}
