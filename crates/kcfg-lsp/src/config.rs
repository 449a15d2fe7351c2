//! Settings: `kcfg.toml` in the workspace folder (or above), overridden by
//! the client's `initializationOptions` (and `workspace/didChangeConfiguration`):
//!
//! ```json
//! { "kamailioVersion": "6.0", "defines": ["WITH_AUTH", "DBURL=\"mysql://...\""] }
//! ```
//!
//! `kcfg.toml`:
//!
//! ```toml
//! kamailio-version = "5.6"        # or in [check], as `kcfg check` reads it
//! [lsp]
//! defines = ["WITH_AUTH"]         # the define set the editor analyses with
//! [lint]                          # which lint rules run, as for `kcfg check`
//! select = ["KC2", "KC3"]
//! ignore = ["KC306"]
//! per-file-ignores = { "legacy/*.cfg" = ["KC3"] }
//! ```

use std::path::{Path, PathBuf};

use kcfg_ide::{KamailioVersion, LintSettings, Settings};
use serde::Deserialize;

/// The settings a client sends (all optional).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClientOptions {
    pub kamailio_version: Option<String>,
    pub defines: Option<Vec<String>>,
    /// `[lint]` of kcfg.toml (not a client setting)
    #[serde(skip)]
    pub lint: LintSettings,
}

impl ClientOptions {
    /// Read `initializationOptions` / configuration settings: the keys at
    /// the top level or under `"kcfg"`. Unknown keys are ignored; a bad
    /// value is an error message.
    pub fn from_json(v: &serde_json::Value) -> Result<ClientOptions, String> {
        let v = v.get("kcfg").unwrap_or(v);
        if v.is_null() {
            return Ok(ClientOptions::default());
        }
        serde_json::from_value(v.clone()).map_err(|e| format!("bad kcfg settings: {e}"))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawToml {
    kamailio_version: Option<String>,
    #[serde(default)]
    check: RawCheck,
    #[serde(default)]
    lsp: RawLsp,
    #[serde(default)]
    lint: RawLint,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLint {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    per_file_ignores: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawCheck {
    kamailio_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLsp {
    defines: Option<Vec<String>>,
}

/// The `kcfg.toml` in `dir` or the nearest directory above it.
pub fn find_kcfg_toml(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("kcfg.toml"))
        .find(|p| p.is_file())
}

/// The options a `kcfg.toml` gives.
pub fn read_kcfg_toml(path: &Path) -> Result<ClientOptions, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let raw: RawToml =
        toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
    let lint = LintSettings {
        select: raw.lint.select,
        ignore: raw.lint.ignore,
        per_file_ignores: raw.lint.per_file_ignores.into_iter().collect(),
    };
    // refuse bad selectors here, as `kcfg check` does
    lint.to_lint()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(ClientOptions {
        kamailio_version: raw.check.kamailio_version.or(raw.kamailio_version),
        defines: raw.lsp.defines,
        lint,
    })
}

/// Settings from `kcfg.toml` options overridden by the client's.
pub fn merge(file: &ClientOptions, client: &ClientOptions) -> Result<Settings, String> {
    let version = client
        .kamailio_version
        .as_ref()
        .or(file.kamailio_version.as_ref());
    let version = match version {
        None => KamailioVersion::default(),
        Some(v) => KamailioVersion::parse(v)
            .ok_or_else(|| format!("unknown Kamailio version \"{v}\" (use 5.6, 6.0 or master)"))?,
    };
    let defines = client
        .defines
        .clone()
        .or_else(|| file.defines.clone())
        .unwrap_or_default();
    Ok(Settings {
        version,
        defines,
        lint: file.lint.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_options_override_kcfg_toml() {
        let client = ClientOptions::from_json(&serde_json::json!({
            "kamailioVersion": "5.6", "defines": ["WITH_AUTH"]
        }))
        .unwrap();
        let file = ClientOptions {
            kamailio_version: Some("master".into()),
            defines: Some(vec!["X".into()]),
            ..Default::default()
        };
        let s = merge(&file, &client).unwrap();
        assert_eq!(s.version, KamailioVersion::V5_6);
        assert_eq!(s.defines, vec!["WITH_AUTH".to_string()]);
        let s = merge(&file, &ClientOptions::default()).unwrap();
        assert_eq!(s.version, KamailioVersion::Master);
        assert_eq!(s.defines, vec!["X".to_string()]);
        let bad = ClientOptions {
            kamailio_version: Some("4.4".into()),
            defines: None,
            ..Default::default()
        };
        assert!(merge(&bad, &ClientOptions::default()).is_err());
        // nested under "kcfg" (didChangeConfiguration), unknown keys ignored
        let nested = ClientOptions::from_json(&serde_json::json!({
            "kcfg": {"kamailioVersion": "6.0", "other": 1}
        }))
        .unwrap();
        assert_eq!(nested.kamailio_version.as_deref(), Some("6.0"));
    }

    #[test]
    fn reads_kcfg_toml() {
        let dir = std::env::temp_dir().join(format!("kcfg-lsp-toml-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(
            dir.join("kcfg.toml"),
            "kamailio-version = \"5.6\"\n[lsp]\ndefines = [\"WITH_NAT\"]\n",
        )
        .unwrap();
        let found = find_kcfg_toml(&dir.join("sub")).unwrap();
        let o = read_kcfg_toml(&found).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(o.kamailio_version.as_deref(), Some("5.6"));
        assert_eq!(o.defines, Some(vec!["WITH_NAT".to_string()]));
    }
}
