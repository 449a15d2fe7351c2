//! `kcfg check` on KEMI scripts (`.lua`, `.py`, `.js`): [`kcfg_kemi`] findings as
//! [`Diagnostic`]s.

use std::path::Path;

use kcfg_diagnostics::{Diagnostic, Files, Severity, TextRange, TextSize};
use kcfg_kemi::Language;

use crate::check::CheckOptions;

/// The KEMI language of a file named on the command line, by extension.
pub fn language_of(path: &Path) -> Option<Language> {
    Language::from_path(path)
}

/// Check one KEMI script: its calls against the knowledge base, and
/// against the config that loads it (`cfg`, else found next to the
/// script; see [`kcfg_kemi::find_config`]).
pub fn check_script(
    files: &mut Files,
    display: String,
    path: &Path,
    bytes: &[u8],
    language: Language,
    cfg: Option<&Path>,
    options: &CheckOptions,
) -> Vec<Diagnostic> {
    let Ok(text) = kcfg_syntax::decode(bytes) else {
        // the same KC002 as for configs
        return crate::check::check_bytes(files, display, bytes, options).1;
    };
    let file = files.add(display, text);
    let mut out = Vec::new();
    let config =
        match kcfg_kemi::find_config(path, language, cfg, &options.defines, options.version) {
            Ok(c) => c,
            Err(e) => {
                out.push(
                    Diagnostic::new(
                        kcfg_kemi::codes::MODULE_NOT_LOADED,
                        Severity::Error,
                        file,
                        TextRange::empty(TextSize::from(0)),
                        e,
                    )
                    .with_help("pass the config that loads the script with `--cfg FILE`"),
                );
                None
            }
        };
    let len = TextSize::from(text.len() as u32);
    for d in kcfg_kemi::check(language, text, options.version, config.as_ref()) {
        let clamp = |o: usize| TextSize::from(o.min(text.len()) as u32).min(len);
        let mut diag = Diagnostic::new(
            d.code,
            match d.severity {
                kcfg_kemi::Severity::Error => Severity::Error,
                kcfg_kemi::Severity::Warning => Severity::Warning,
            },
            file,
            TextRange::new(clamp(d.range.start), clamp(d.range.end)),
            d.message,
        );
        if let Some(h) = d.help {
            diag = diag.with_help(h);
        }
        if let Some(c) = &config {
            if d.code == kcfg_kemi::codes::MODULE_NOT_LOADED
                || d.code == kcfg_kemi::codes::MISSING_ENTRY
            {
                let mut note = format!("config: {}", c.cfg_path.display());
                if !c.defines.is_empty() {
                    note.push_str(&format!(" with defines {}", c.defines.join(", ")));
                }
                diag = diag.with_note(note);
            }
        }
        out.push(diag);
    }
    if config.is_none() && cfg.is_none() {
        out.push(
            Diagnostic::new(
                kcfg_kemi::codes::NO_CONFIG,
                Severity::Info,
                file,
                TextRange::empty(TextSize::from(0)),
                "no kamailio.cfg loading this script was found next to it: loaded modules and callbacks are not checked",
            )
            .with_help("pass the config with `--cfg FILE`"),
        );
    }
    out
}
