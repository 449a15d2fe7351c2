//! # kcfg-ide — IDE analysis of kamailio.cfg workspaces
//!
//! The only crate that depends on [salsa](https://docs.rs/salsa) (pinned to
//! an exact version in the workspace). An [`AnalysisHost`] holds the inputs
//! (file texts and [`Settings`]); [`AnalysisHost::analysis`] gives an
//! [`Analysis`] snapshot whose methods are the features: pure functions of a
//! path and a byte offset, returning byte ranges. The language server
//! (kcfg-lsp) converts positions and ranges with [`kcfg_syntax::LineIndex`].
//!
//! Diagnostics are those of `kcfg check` ([`kcfg_check::check_source_model`],
//! the same function), for every main file of the workspace, with included
//! files read from the workspace before the disk.
//!
//! ```
//! use kcfg_ide::{AnalysisHost, Settings};
//! let mut host = AnalysisHost::new(Settings::default());
//! host.set_file("/etc/kamailio/kamailio.cfg", "request_route {\n\tt_relay();\n}\n");
//! let a = host.analysis();
//! let d = a.diagnostics("/etc/kamailio/kamailio.cfg".as_ref()).unwrap();
//! assert_eq!(d.check[0].code, "KC103"); // t_relay: tm is not loaded
//! ```

mod code_actions;
mod completion;
pub mod db;
mod diagnostics;
mod format;
mod hover;
mod inlay;
mod navigation;
mod signature;
mod symbols;
mod util;

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, UnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use salsa::Setter;

pub use code_actions::{CodeAction, CodeActionKind};
pub use completion::{CompletionItem, CompletionKind};
pub use db::{CheckResult, Diag};
pub use diagnostics::FileDiagnostics;
pub use format::{FormatError, FormatOptions, FORMATTER_AVAILABLE};
pub use hover::HoverResult;
pub use inlay::InlayHint;
pub use kcfg_modules::KamailioVersion;
pub use kcfg_syntax::{LineIndex, TextRange, TextSize};
pub use navigation::{DocumentLink, NavTarget, SourceChange};
pub use salsa::Cancelled;
pub use signature::{Signature, SignatureHelp};
pub use symbols::{Fold, FoldKind, SemanticToken, SemanticTokenKind, Symbol, SymbolKind};

/// A replacement of a byte range.
pub type TextEdit = (TextRange, String);

/// A result that is `Err` when a newer edit cancelled the computation.
pub type Cancellable<T> = Result<T, Cancelled>;

/// What the workspace is analysed for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Settings {
    /// The Kamailio version of the knowledge base.
    pub version: KamailioVersion,
    /// Names defined before the config starts, `NAME` or `NAME=VALUE`
    /// (like `kamailio -D`).
    pub defines: Vec<String>,
    /// Which lint rules run (`[lint]` of `kcfg.toml`, as `kcfg check`
    /// reads it).
    pub lint: LintSettings,
}

/// `[lint]` of `kcfg.toml`: rule selectors (code prefixes, rule names or
/// `ALL`) as written there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LintSettings {
    /// Rules to run; empty means all.
    pub select: Vec<String>,
    /// Rules not to run.
    pub ignore: Vec<String>,
    /// `(glob, selectors)`: rules not to run in the files matching the glob.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
}

impl LintSettings {
    /// The kcfg-lint settings; the error names the bad selector.
    pub fn to_lint(&self) -> Result<kcfg_lint::Settings, String> {
        let parse = |v: &[String], key: &str| -> Result<Vec<kcfg_lint::Selector>, String> {
            v.iter()
                .flat_map(|s| s.split(','))
                .filter(|s| !s.trim().is_empty())
                .map(|s| kcfg_lint::Selector::parse(s).map_err(|e| format!("`{key}`: {e}")))
                .collect()
        };
        Ok(kcfg_lint::Settings {
            select: parse(&self.select, "[lint] select")?,
            ignore: parse(&self.ignore, "[lint] ignore")?,
            per_file_ignores: self
                .per_file_ignores
                .iter()
                .map(|(g, v)| Ok((g.clone(), parse(v, "[lint] per-file-ignores")?)))
                .collect::<Result<_, String>>()?,
        })
    }
}

impl Settings {
    /// The define names without values.
    pub fn define_names(&self) -> Vec<String> {
        self.defines
            .iter()
            .map(|d| d.split('=').next().unwrap_or(d).to_string())
            .collect()
    }
}

/// Holds the inputs; edits go here. Every edit cancels the snapshots still
/// computing (they return `Err(Cancelled)`).
pub struct AnalysisHost {
    db: db::IdeDb,
    /// every file input ever created, so reopening a path reuses it
    inputs: HashMap<PathBuf, db::File>,
}

impl AnalysisHost {
    pub fn new(settings: Settings) -> AnalysisHost {
        AnalysisHost {
            db: db::IdeDb::new(settings),
            inputs: HashMap::new(),
        }
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        use db::Db;
        self.db.workspace().settings(&self.db).clone()
    }

    /// Change the settings (version, defines): everything is recomputed.
    pub fn set_settings(&mut self, settings: Settings) {
        use db::Db;
        let ws = self.db.workspace();
        if *ws.settings(&self.db) != settings {
            ws.set_settings(&mut self.db).to(settings);
        }
    }

    /// Open a file or replace its text. `path` is normalised.
    pub fn set_file(&mut self, path: impl AsRef<Path>, text: impl Into<Arc<str>>) {
        use db::Db;
        let path = kcfg_sema::normalize(path.as_ref());
        let text = text.into();
        let ws = self.db.workspace();
        let file = match self.inputs.get(&path) {
            Some(&f) => {
                if **f.text(&self.db) != *text {
                    f.set_text(&mut self.db).to(text);
                }
                f
            }
            None => {
                let f = db::File::new(&self.db, path.clone(), text);
                self.inputs.insert(path.clone(), f);
                f
            }
        };
        if ws.files(&self.db).get(&path) != Some(&file) {
            let mut files: BTreeMap<PathBuf, db::File> = (**ws.files(&self.db)).clone();
            files.insert(path, file);
            ws.set_files(&mut self.db).to(Arc::new(files));
        }
    }

    /// Close a file: it is read from disk again when something includes it.
    pub fn remove_file(&mut self, path: impl AsRef<Path>) {
        use db::Db;
        let path = kcfg_sema::normalize(path.as_ref());
        let ws = self.db.workspace();
        if ws.files(&self.db).contains_key(&path) {
            let mut files = (**ws.files(&self.db)).clone();
            files.remove(&path);
            ws.set_files(&mut self.db).to(Arc::new(files));
        }
    }

    /// Files on disk may have changed (included files that are not open).
    pub fn disk_changed(&mut self) {
        use db::Db;
        let ws = self.db.workspace();
        let r = ws.disk_revision(&self.db);
        ws.set_disk_revision(&mut self.db).to(r + 1);
    }

    /// A snapshot to compute features on (on any thread).
    pub fn analysis(&self) -> Analysis {
        Analysis {
            db: self.db.clone(),
        }
    }
}

/// A snapshot of the inputs; every method is a pure function of them.
/// Methods return `Err(Cancelled)` when the host was edited meanwhile.
pub struct Analysis {
    db: db::IdeDb,
}

impl Analysis {
    fn with<T>(&self, f: impl FnOnce(&db::IdeDb) -> T + UnwindSafe) -> Cancellable<T> {
        let db = AssertUnwindSafe(&self.db);
        Cancelled::catch(move || f(*db))
    }

    fn file(db: &db::IdeDb, path: &Path) -> Option<db::File> {
        use db::Db;
        let path = kcfg_sema::normalize(path);
        db.workspace().files(db).get(&path).copied()
    }

    /// The open files, by normalised path.
    pub fn files(&self) -> Cancellable<Vec<PathBuf>> {
        self.with(|db| {
            use db::Db;
            db.workspace().files(db).keys().cloned().collect()
        })
    }

    /// The text of an open file.
    pub fn file_text(&self, path: &Path) -> Cancellable<Option<Arc<str>>> {
        self.with(|db| Self::file(db, path).map(|f| f.text(db).clone()))
    }

    /// The line index of an open file, or of a file a main file includes.
    pub fn line_index(&self, path: &Path) -> Cancellable<Option<LineIndex>> {
        self.with(|db| {
            if let Some(f) = Self::file(db, path) {
                return Some(db::line_index(db, f).clone());
            }
            let path = kcfg_sema::normalize(path);
            for (root, _) in db::roots(db) {
                let c = db::check(db, *root);
                if let Some(i) = c.file_index(&path) {
                    return Some(c.line_indexes[i].clone());
                }
            }
            None
        })
    }

    /// The diagnostics of an open file (from the check of the main file
    /// that includes it, or its own) and its inactive `#!ifdef` arms.
    pub fn diagnostics(&self, path: &Path) -> Cancellable<FileDiagnostics> {
        self.with(|db| diagnostics::file_diagnostics(db, path))
    }

    /// Diagnostics of every main file of the workspace and every file they
    /// include, by path (files without findings have an empty entry).
    pub fn workspace_diagnostics(&self) -> Cancellable<Vec<(PathBuf, FileDiagnostics)>> {
        self.with(diagnostics::workspace_diagnostics)
    }

    /// The check of the main file that covers `path`.
    pub fn check_result(&self, path: &Path) -> Cancellable<Option<Arc<CheckResult>>> {
        self.with(|db| Self::file(db, path).map(|f| db::check(db, db::root_of(db, f)).0.clone()))
    }

    /// The config as Kamailio reads it (`kcfg expand`: includes inlined,
    /// inactive `#!ifdef` arms removed) with the workspace's defines;
    /// included files come from open buffers first. `None` when the file
    /// is not open.
    pub fn expand(
        &self,
        path: &Path,
        source_markers: bool,
    ) -> Cancellable<Option<kcfg_sema::Expansion>> {
        self.with(|db| {
            use db::Db;
            let f = Self::file(db, path)?;
            let ws = db.workspace();
            let settings = ws.settings(db);
            let options = kcfg_sema::ExpandOptions {
                version: settings.version,
                defines: settings.defines.clone(),
                cwd: None,
                source_markers,
            };
            let loader = db::DbLoader { db, ws };
            Some(kcfg_sema::expand(f.path(db), f.text(db), &loader, &options))
        })
    }

    pub fn hover(&self, path: &Path, offset: TextSize) -> Cancellable<Option<HoverResult>> {
        self.with(|db| hover::hover(db, path, offset))
    }

    pub fn completions(&self, path: &Path, offset: TextSize) -> Cancellable<Vec<CompletionItem>> {
        self.with(|db| completion::completions(db, path, offset))
    }

    pub fn signature_help(
        &self,
        path: &Path,
        offset: TextSize,
    ) -> Cancellable<Option<SignatureHelp>> {
        self.with(|db| signature::signature_help(db, path, offset))
    }

    pub fn goto_definition(&self, path: &Path, offset: TextSize) -> Cancellable<Vec<NavTarget>> {
        self.with(|db| navigation::goto_definition(db, path, offset))
    }

    /// Every use and the definition of the symbol at `offset`.
    pub fn references(&self, path: &Path, offset: TextSize) -> Cancellable<Vec<NavTarget>> {
        self.with(|db| navigation::references(db, path, offset))
    }

    /// The range of the name that would be renamed at `offset`.
    pub fn prepare_rename(
        &self,
        path: &Path,
        offset: TextSize,
    ) -> Cancellable<Option<(TextRange, String)>> {
        self.with(|db| navigation::prepare_rename(db, path, offset))
    }

    pub fn rename(
        &self,
        path: &Path,
        offset: TextSize,
        new_name: &str,
    ) -> Cancellable<Result<SourceChange, String>> {
        let new_name = new_name.to_string();
        self.with(move |db| navigation::rename(db, path, offset, &new_name))
    }

    pub fn document_links(&self, path: &Path) -> Cancellable<Vec<DocumentLink>> {
        self.with(|db| navigation::document_links(db, path))
    }

    pub fn document_symbols(&self, path: &Path) -> Cancellable<Vec<Symbol>> {
        self.with(|db| symbols::document_symbols(db, path))
    }

    /// Routes and defines of all open files whose name contains `query`
    /// (case-insensitive), with their files.
    pub fn workspace_symbols(&self, query: &str) -> Cancellable<Vec<(PathBuf, Symbol)>> {
        self.with(|db| symbols::workspace_symbols(db, query))
    }

    pub fn folding_ranges(&self, path: &Path) -> Cancellable<Vec<Fold>> {
        self.with(|db| symbols::folding_ranges(db, path))
    }

    pub fn semantic_tokens(&self, path: &Path) -> Cancellable<Vec<SemanticToken>> {
        self.with(|db| symbols::semantic_tokens(db, path))
    }

    pub fn inlay_hints(&self, path: &Path, range: TextRange) -> Cancellable<Vec<InlayHint>> {
        self.with(|db| inlay::inlay_hints(db, path, range))
    }

    pub fn code_actions(&self, path: &Path, range: TextRange) -> Cancellable<Vec<CodeAction>> {
        self.with(|db| code_actions::code_actions(db, path, range))
    }

    /// Format a file or a range of it (see [`format`] for the state of the
    /// formatter). `Ok(None)`: nothing to change.
    pub fn format(
        &self,
        path: &Path,
        range: Option<TextRange>,
        options: &FormatOptions,
    ) -> Cancellable<Result<Option<Vec<TextEdit>>, FormatError>> {
        let options = options.clone();
        self.with(move |db| format::format(db, path, range, &options))
    }
}
