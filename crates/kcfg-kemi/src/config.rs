//! The kamailio.cfg that runs a script: which modules it loads and which
//! script functions it names as callbacks.

use std::path::{Path, PathBuf};

use kcfg_modules::KamailioVersion;
use kcfg_sema::{FileLoader, FsLoader, Model, SemaOptions};
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::SyntaxKind;

use crate::Language;

/// What the config says about the script.
#[derive(Debug, Clone)]
pub struct ConfigFacts {
    /// The config file.
    pub cfg_path: PathBuf,
    /// The `-D` defines with which the config loads the script's app module.
    pub defines: Vec<String>,
    /// The app module that loads the script (`app_lua`).
    pub app_module: String,
    /// Modules the config loads (directory names: `tm`, `pv`).
    pub loaded_modules: Vec<String>,
    /// Script functions Kamailio calls, with the reason: (name, why).
    pub callbacks: Vec<(String, String)>,
}

/// Find the config of `script`: `explicit` (`--cfg`), else a `*.cfg` in the
/// script's directory that loads an app module of the script's language
/// with a `load` modparam naming the script (by file name). The config's
/// `#!ifdef` names are tried one at a time (after `defines` alone) to find
/// the define set that selects the script, as configs like Kamailio's
/// `kamailio-basic-kemi.cfg` choose the engine with `WITH_CFGLUA`.
///
/// `Ok(None)`: no config found (only the script itself is checked).
/// `Err`: `explicit` cannot be read, or loads no app module for the
/// language with any define set.
pub fn find_config(
    script: &Path,
    language: Language,
    explicit: Option<&Path>,
    defines: &[String],
    version: KamailioVersion,
) -> Result<Option<ConfigFacts>, String> {
    let script_name = script.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(cfg) = explicit {
        let text = FsLoader
            .read(cfg)
            .map_err(|e| format!("cannot read `{}`: {e}", cfg.display()))?;
        return match facts_for(cfg, &text, language, None, defines, version) {
            Some(f) => Ok(Some(f)),
            None => Err(format!(
                "`{}` loads no {} module (with any of the define sets its #!ifdef names give)",
                cfg.display(),
                language.app_modules().join("/")
            )),
        };
    }
    let dir = script
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut cfgs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cfg"))
        .collect();
    cfgs.sort();
    for cfg in cfgs {
        let Ok(text) = FsLoader.read(&cfg) else {
            continue;
        };
        if let Some(f) = facts_for(
            &cfg,
            &text,
            language,
            script_name.as_deref(),
            defines,
            version,
        ) {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

/// The define sets to try: the given defines, then each `#!ifdef` name of
/// the text added alone.
fn define_sets(text: &str, defines: &[String]) -> Vec<Vec<String>> {
    let mut sets = vec![defines.to_vec()];
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let l = line.trim_start();
        let Some(rest) = l
            .strip_prefix("#!ifdef")
            .or_else(|| l.strip_prefix("!!ifdef"))
            .or_else(|| l.strip_prefix("#!ifndef"))
        else {
            continue;
        };
        let name = rest.trim();
        if !name.is_empty() && seen.insert(name.to_string()) {
            let mut s = defines.to_vec();
            s.push(name.to_string());
            sets.push(s);
        }
    }
    sets
}

fn facts_for(
    cfg: &Path,
    text: &str,
    language: Language,
    script_name: Option<&str>,
    defines: &[String],
    version: KamailioVersion,
) -> Option<ConfigFacts> {
    let app = language.app_modules();
    if !app.iter().any(|m| text.contains(m)) && !text.contains("KEMI") {
        return None;
    }
    for set in define_sets(text, defines) {
        let options = SemaOptions {
            version,
            defines: set.clone(),
            cwd: None,
        };
        let model = Model::build(cfg, text, &FsLoader, &options);
        let loaded: Vec<String> = model.loaded_modules().map(|m| m.name.to_string()).collect();
        let Some(app_module) = app.iter().find(|m| loaded.iter().any(|l| l == *m)) else {
            continue;
        };
        let params = modparams(&model, &set, version);
        let load = params
            .iter()
            .find(|(m, p, _)| m == app_module && (p == "load" || p == "script_name"))
            .map(|(_, _, v)| v.clone());
        if let Some(name) = script_name {
            let named = load.as_deref().is_some_and(|l| {
                Path::new(l)
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy() == name)
            });
            if !named {
                continue;
            }
        }
        let mut callbacks = Vec::new();
        for (m, p, v) in &params {
            if v.is_empty() {
                continue;
            }
            if m == "kemi" {
                callbacks.push((v.clone(), format!("the config sets `kemi.{p}`")));
            } else if p == "event_callback" || p.ends_with("_callback") {
                callbacks.push((v.clone(), format!("modparam(\"{m}\", \"{p}\") names it")));
            }
        }
        return Some(ConfigFacts {
            cfg_path: cfg.to_path_buf(),
            defines: set,
            app_module: app_module.to_string(),
            loaded_modules: loaded,
            callbacks,
        });
    }
    None
}

/// The string value of an argument: a string literal, or a name whose
/// define is a string.
fn value_of(node: &kcfg_syntax::SyntaxNode, model: &Model) -> Option<String> {
    if let Some(s) = ast::StringLit::cast(node.clone()) {
        return Some(ast::string_value(&s));
    }
    let text = node.text().to_string();
    let mut cur = text.trim().to_string();
    for _ in 0..16 {
        match model.defines.get(&cur).and_then(|d| d.value.clone()) {
            Some(v) => {
                let v = v.trim().to_string();
                for q in ['"', '\''] {
                    if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
                        return Some(v[1..v.len() - 1].to_string());
                    }
                }
                cur = v;
            }
            None => return None,
        }
    }
    None
}

/// `(module, param, value)` of every modparam with a string value in the
/// active arms, and `kemi.*` core parameters as `("kemi", name, value)`.
fn modparams(
    model: &Model,
    defines: &[String],
    version: KamailioVersion,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for f in &model.files {
        // the text Kamailio reads of this file: inactive arms dropped
        let expanded = kcfg_sema::expand(
            &f.path,
            &f.text,
            &NoIncludes,
            &kcfg_sema::ExpandOptions {
                version,
                defines: defines.to_vec(),
                cwd: None,
                source_markers: false,
            },
        );
        let parse = kcfg_syntax::parse(&expanded.text);
        let tree = parse.tree();
        for m in tree.modparams() {
            let args: Vec<kcfg_syntax::SyntaxNode> = m
                .syntax()
                .children()
                .find(|n| n.kind() == SyntaxKind::ARG_LIST)
                .map(|a| a.children().collect())
                .unwrap_or_default();
            let [a, b, c] = args.as_slice() else { continue };
            if let (Some(a), Some(b), Some(c)) =
                (value_of(a, model), value_of(b, model), value_of(c, model))
            {
                out.push((a, b, c));
            }
        }
        for g in tree.global_params() {
            let text = g.syntax().text().to_string();
            let Some((name, _)) = text.split_once('=') else {
                continue;
            };
            let name = name.trim();
            let Some(rest) = name.strip_prefix("kemi.") else {
                continue;
            };
            let Some(v) = g.value_text() else { continue };
            let v = v.trim().trim_matches('"').to_string();
            out.push(("kemi".to_string(), rest.to_string(), v));
        }
    }
    out
}

/// Includes are already separate files of the model: each is read as empty.
struct NoIncludes;

impl FileLoader for NoIncludes {
    fn read(&self, _: &Path) -> std::io::Result<String> {
        Ok(String::new())
    }
}
