//! `kcfg.toml`: project settings, found in the checked file's directory or
//! the nearest directory above it.
//!
//! ```toml
//! kamailio-version = "5.6"          # or under [check]
//!
//! [check]
//! # check the config once for each of these define sets (like `-D NAME`)
//! define-sets = [["WITH_MYSQL", "WITH_AUTH"], ["WITH_NAT"], []]
//!
//! [lint]
//! # lint rules (KC2xx-KC5xx) by code prefix or name; all run by default
//! select = ["KC2", "KC3", "unused-define"]
//! ignore = ["KC306"]
//! # rules not to run in some files (globs; without `/` the file name)
//! per-file-ignores = { "legacy/*.cfg" = ["KC3"], "test-*.cfg" = ["KC401"] }
//! [format]                          # kcfg fmt
//! indent-style = "tab"              # or "space"
//! indent-width = 4                  # spaces per level with "space"
//! max-blank-lines = 2
//! line-width = 100                  # wrap longer statements (20-1000)
//! ```
//!
//! Unknown keys elsewhere are ignored (other commands will have sections of
//! their own); unknown keys in `[check]` are an error, so a misspelt
//! `define-set` does not go unnoticed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kcfg_modules::KamailioVersion;
use serde::Deserialize;

/// The file name looked for.
pub const FILE_NAME: &str = "kcfg.toml";

/// The settings of one `kcfg.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Where it was read from.
    pub path: Option<PathBuf>,
    /// `kamailio-version` (top level or in `[check]`).
    pub kamailio_version: Option<KamailioVersion>,
    /// `[check] define-sets`: each set is a list of `NAME` or `NAME=VALUE`.
    pub define_sets: Option<Vec<Vec<String>>>,
    /// `[lint]`: which lint rules run.
    pub lint: kcfg_lint::Settings,
    /// `[format]`: the options of `kcfg fmt` (defaults where not given).
    pub format: kcfg_fmt::FormatOptions,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Raw {
    kamailio_version: Option<String>,
    #[serde(default)]
    check: RawCheck,
    #[serde(default)]
    lint: RawLint,
    #[serde(default)]
    format: RawFormat,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawLint {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    per_file_ignores: std::collections::BTreeMap<String, Vec<String>>,
}

/// Parse rule selectors, saying in which key a bad one is.
pub fn selectors(list: &[String], key: &str) -> Result<Vec<kcfg_lint::Selector>, String> {
    list.iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| kcfg_lint::Selector::parse(s).map_err(|e| format!("`{key}`: {e}")))
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawFormat {
    indent_style: Option<String>,
    indent_width: Option<usize>,
    max_blank_lines: Option<usize>,
    line_width: Option<usize>,
}

impl RawFormat {
    fn options(self) -> Result<kcfg_fmt::FormatOptions, String> {
        let mut o = kcfg_fmt::FormatOptions::default();
        if let Some(s) = self.indent_style {
            o.indent_style = match s.as_str() {
                "tab" => kcfg_fmt::IndentStyle::Tab,
                "space" => kcfg_fmt::IndentStyle::Space,
                _ => {
                    return Err(format!(
                        "[format] `indent-style` is \"{s}\" (use \"tab\" or \"space\")"
                    ))
                }
            };
        }
        if let Some(w) = self.indent_width {
            if !(1..=16).contains(&w) {
                return Err(format!("[format] `indent-width` is {w} (use 1 to 16)"));
            }
            o.indent_width = w;
        }
        if let Some(b) = self.max_blank_lines {
            if b > 100 {
                return Err(format!("[format] `max-blank-lines` is {b} (use 0 to 100)"));
            }
            o.max_blank_lines = b;
        }
        if let Some(w) = self.line_width {
            if !(20..=1000).contains(&w) {
                return Err(format!("[format] `line-width` is {w} (use 20 to 1000)"));
            }
            o.line_width = w;
        }
        Ok(o)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCheck {
    kamailio_version: Option<String>,
    define_sets: Option<Vec<Vec<String>>>,
}

impl Config {
    /// Parse the text of a `kcfg.toml` read from `path`. The error says
    /// what is wrong, without the path.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Config, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let version = match (raw.check.kamailio_version, raw.kamailio_version) {
            (Some(a), Some(b)) if a != b => {
                return Err(format!(
                    "`kamailio-version` is given twice, as \"{b}\" and in [check] as \"{a}\""
                ))
            }
            (a, b) => a.or(b),
        };
        let kamailio_version = match version {
            None => None,
            Some(v) => Some(KamailioVersion::parse(&v).ok_or_else(|| {
                format!("unknown `kamailio-version` \"{v}\" (use 5.6, 6.0 or master)")
            })?),
        };
        if let Some(sets) = &raw.check.define_sets {
            for set in sets {
                for d in set {
                    check_define(d)?;
                }
            }
        }
        let lint = kcfg_lint::Settings {
            select: selectors(&raw.lint.select, "[lint] select")?,
            ignore: selectors(&raw.lint.ignore, "[lint] ignore")?,
            per_file_ignores: raw
                .lint
                .per_file_ignores
                .iter()
                .map(|(g, v)| Ok((g.clone(), selectors(v, "[lint] per-file-ignores")?)))
                .collect::<Result<_, String>>()?,
        };
        Ok(Config {
            path: path.map(Path::to_path_buf),
            kamailio_version,
            define_sets: raw.check.define_sets,
            lint,
            format: raw.format.options()?,
        })
    }

    /// Read and parse the file at `path`.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        Config::parse(&text, Some(path)).map_err(|e| format!("`{}`: {e}", path.display()))
    }
}

/// A define as Kamailio takes it after `-D`: a name of letters, digits
/// and `_` (Kamailio cuts a name at `-`), optionally `=VALUE`.
fn check_define(d: &str) -> Result<(), String> {
    let name = d.split_once('=').map_or(d, |(n, _)| n);
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`define-sets`: `{d}` is not a define name (letters, digits and `_`, optionally `=VALUE`)"
        ))
    }
}

/// The `kcfg.toml` in `dir` or the nearest directory above it.
pub fn find(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Finds and loads `kcfg.toml` files, once per directory.
#[derive(Debug, Default)]
pub struct Finder {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
    loaded: HashMap<PathBuf, Result<Config, String>>,
}

impl Finder {
    /// No files looked at yet.
    pub fn new() -> Finder {
        Finder::default()
    }

    /// The settings for a file in `dir` (an empty `Config` when there is no
    /// `kcfg.toml`), or why its `kcfg.toml` cannot be used.
    pub fn for_dir(&mut self, dir: &Path) -> Result<Config, String> {
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let found = self
            .by_dir
            .entry(dir.clone())
            .or_insert_with(|| find(&dir))
            .clone();
        let Some(path) = found else {
            return Ok(Config::default());
        };
        self.loaded
            .entry(path.clone())
            .or_insert_with(|| Config::load(&path))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file() {
        let c = Config::parse(
            "kamailio-version = \"5.6\"\n[check]\ndefine-sets = [[\"WITH_MYSQL\", \"WITH_AUTH\"], [], [\"DBURL=mysql://x\"]]\n[format]\nindent-width = 2\n",
            None,
        )
        .unwrap();
        assert_eq!(c.kamailio_version, Some(KamailioVersion::V5_6));
        assert_eq!(
            c.define_sets.unwrap(),
            vec![
                vec!["WITH_MYSQL".to_string(), "WITH_AUTH".to_string()],
                vec![],
                vec!["DBURL=mysql://x".to_string()]
            ]
        );
    }

    #[test]
    fn format_section() {
        let c = Config::parse(
            "[format]\nindent-style = \"space\"\nindent-width = 2\nmax-blank-lines = 1\nline-width = 80\n",
            None,
        )
        .unwrap();
        assert_eq!(
            c.format,
            kcfg_fmt::FormatOptions {
                indent_style: kcfg_fmt::IndentStyle::Space,
                indent_width: 2,
                max_blank_lines: 1,
                line_width: 80,
            }
        );
        let e = Config::parse("[format]\nindent-style = \"tabs\"\n", None).unwrap_err();
        assert!(e.contains("indent-style"), "{e}");
        let e = Config::parse("[format]\nindent = 4\n", None).unwrap_err();
        assert!(e.contains("indent"), "{e}");
        let e = Config::parse("[format]\nindent-width = 0\n", None).unwrap_err();
        assert!(e.contains("indent-width"), "{e}");
    }

    #[test]
    fn version_in_check_section_and_empty_file() {
        let c = Config::parse("[check]\nkamailio-version = \"master\"\n", None).unwrap();
        assert_eq!(c.kamailio_version, Some(KamailioVersion::Master));
        assert_eq!(Config::parse("", None).unwrap(), Config::default());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = Config::parse("kamailio-version = \"4.4\"\n", None).unwrap_err();
        assert!(e.contains("unknown `kamailio-version` \"4.4\""), "{e}");
        let e = Config::parse("[check]\ndefine-set = []\n", None).unwrap_err();
        assert!(e.contains("define-set"), "{e}");
        let e = Config::parse("[check]\ndefine-sets = [[\"WITH-X\"]]\n", None).unwrap_err();
        assert!(e.contains("`WITH-X` is not a define name"), "{e}");
        let e = Config::parse("[check]\ndefine-sets = [\"WITH_X\"]\n", None).unwrap_err();
        assert!(!e.is_empty());
        let e = Config::parse(
            "kamailio-version = \"5.6\"\n[check]\nkamailio-version = \"6.0\"\n",
            None,
        )
        .unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn lint_section() {
        let c = Config::parse(
            "[lint]\nselect = [\"KC2\", \"reply-without-exit\"]\nignore = [\"KC201\"]\nper-file-ignores = { \"old/*.cfg\" = [\"KC3\"] }\n",
            None,
        )
        .unwrap();
        assert_eq!(c.lint.select.len(), 2);
        assert_eq!(c.lint.ignore[0].as_str(), "KC201");
        assert_eq!(c.lint.per_file_ignores[0].0, "old/*.cfg");
        let e = Config::parse("[lint]\nselect = [\"no-such-rule\"]\n", None).unwrap_err();
        assert!(
            e.contains("[lint] select") && e.contains("no-such-rule"),
            "{e}"
        );
        let e = Config::parse("[lint]\nselekt = []\n", None).unwrap_err();
        assert!(e.contains("selekt"), "{e}");
    }

    #[test]
    fn found_upward() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        assert_eq!(find(&sub), None);
        std::fs::write(
            dir.path().join("a/kcfg.toml"),
            "kamailio-version = \"5.6\"\n",
        )
        .unwrap();
        assert_eq!(find(&sub), Some(dir.path().join("a/kcfg.toml")));
        let mut f = Finder::new();
        assert_eq!(
            f.for_dir(&sub).unwrap().kamailio_version,
            Some(KamailioVersion::V5_6)
        );
        assert_eq!(f.for_dir(dir.path()).unwrap(), Config::default());
    }
}
