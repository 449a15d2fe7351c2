//! The salsa database: inputs (file texts, the workspace and its settings)
//! and the tracked queries every feature is computed from.
//!
//! ```text
//! File.text ──parse──→ Parse ──symbols/folding/tokens (per file)
//!    │       └─line_index
//!    └─(+ included files through DbLoader)──check(root)──→ diagnostics + kcfg-sema Model
//! Workspace.files ──include_targets(file)──→ roots()  (which open files are main files)
//! ```
//!
//! Every query result is a pure function of the inputs. The only reads that
//! salsa cannot see are files that are not open in the editor (included
//! files read from disk): they depend on [`Workspace::disk_revision`], which
//! the server bumps when the client reports changed files.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kcfg_syntax::{LineIndex, Parse, TextRange};

use crate::Settings;

/// One file of the workspace: an open editor buffer (or a file the server
/// was told about).
#[salsa::input(debug)]
pub struct File {
    /// Normalised absolute path (see [`kcfg_sema::normalize`]).
    #[returns(ref)]
    pub path: PathBuf,
    #[returns(ref)]
    pub text: Arc<str>,
}

/// The set of files and the settings they are analysed with.
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub files: Arc<BTreeMap<PathBuf, File>>,
    #[returns(ref)]
    pub settings: Settings,
    /// Bumped when files on disk (not open in the editor) may have changed.
    #[returns(copy)]
    pub disk_revision: u64,
}

/// The database trait the queries are written against.
#[salsa::db]
pub trait Db: salsa::Database {
    /// The one workspace of this database.
    fn workspace(&self) -> Workspace;
    /// The trees of the last parse of every file (see [`ParseCache`]).
    fn parse_cache(&self) -> &ParseCache;
}

/// The options of a parse, compared by value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OptionsKey {
    defines: Vec<String>,
    core_params: Option<Vec<String>>,
    includes_resolved: bool,
}

impl OptionsKey {
    fn of(o: &kcfg_syntax::ParseOptions) -> OptionsKey {
        OptionsKey {
            defines: o.defines.clone(),
            core_params: o.core_params.clone(),
            includes_resolved: o.includes_resolved,
        }
    }
}

struct CachedParse {
    options: OptionsKey,
    text: Arc<str>,
    parse: Parse,
}

/// The last parse of each (path, parse options): a keystroke inside a
/// string, comment or run of spaces reparses only that token
/// ([`kcfg_syntax::reparse`]), and the same text parsed again with the
/// same options (the main file by the `parse` query and by kcfg-sema) is
/// parsed once. The result is always what [`kcfg_syntax::parse_with`]
/// gives, so the queries stay pure functions of their inputs; the cache
/// only saves work. Bounded: a few option sets per path (`MAX_PER_PATH`),
/// `MAX_PATHS` paths.
#[derive(Default)]
pub struct ParseCache {
    map: std::sync::Mutex<std::collections::HashMap<PathBuf, Vec<CachedParse>>>,
    /// per root file: the memos of its checks (route bodies of kcfg-sema's
    /// checks, the lint rules' memos: [`kcfg_check::CheckCache`]; results
    /// equal those without them)
    checks: std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<kcfg_check::CheckCache>>>,
}

impl ParseCache {
    const MAX_PATHS: usize = 256;
    const MAX_PER_PATH: usize = 4;

    /// The memos for checks of the root file `path`.
    pub fn check_cache(&self, path: &Path) -> Arc<kcfg_check::CheckCache> {
        let mut map = self.checks.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX_PATHS && !map.contains_key(path) {
            map.clear();
        }
        map.entry(path.to_path_buf()).or_default().clone()
    }

    /// `parse_with(text, options)`, reusing the last parse of `path` with
    /// the same options.
    pub fn parse(&self, path: &Path, text: &str, options: &kcfg_syntax::ParseOptions) -> Parse {
        let key = OptionsKey::of(options);
        let lock = || self.map.lock().unwrap_or_else(|e| e.into_inner());
        let old = lock().get(path).and_then(|v| {
            v.iter()
                .find(|c| c.options == key)
                .map(|c| (c.text.clone(), c.parse.clone()))
        });
        let parse = match &old {
            Some((t, p)) if **t == *text => return p.clone(),
            Some((t, p)) => kcfg_syntax::reparse::reparse(p, t, text, options),
            None => kcfg_syntax::parse_with(text, options),
        };
        let mut map = lock();
        if map.len() >= Self::MAX_PATHS && !map.contains_key(path) {
            map.clear();
        }
        let entries = map.entry(path.to_path_buf()).or_default();
        entries.retain(|c| c.options != key);
        if entries.len() >= Self::MAX_PER_PATH {
            entries.remove(0);
        }
        entries.push(CachedParse {
            options: key,
            text: text.into(),
            parse: parse.clone(),
        });
        drop(map);
        // the old tree shares all but the edited path with the new one;
        // what is left of it is freed off the editor's path
        drop_later(old);
        parse
    }
}

/// Drop `value` on a background thread (freeing a syntax tree or a model
/// of a 10,000-line file takes milliseconds the keystroke need not wait
/// for). At most [`DROP_QUEUE`] values wait: when the thread falls behind
/// (a CPU busy with other work), the caller frees the value itself rather
/// than let memory grow. (Not at idle priority: with `SCHED_IDLE` on one
/// busy core the queue stays full and the keystrokes pay for every drop,
/// p99 12 → 22 ms in session 13's measurement.)
pub fn drop_later<T: Send + 'static>(value: T) {
    use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
    use std::sync::OnceLock;
    type Job = Box<dyn Send>;
    static DROPPER: OnceLock<Option<SyncSender<Job>>> = OnceLock::new();
    let tx = DROPPER.get_or_init(|| {
        let (tx, rx) = sync_channel::<Job>(DROP_QUEUE);
        std::thread::Builder::new()
            .name("kcfg-ide-drop".into())
            .spawn(move || {
                for job in rx {
                    drop(job);
                }
            })
            .ok()
            .map(|_| tx)
    });
    match tx {
        Some(tx) => match tx.try_send(Box::new(value)) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => drop(job),
        },
        None => drop(value),
    }
}

/// How many values [`drop_later`] lets wait for the background thread.
pub const DROP_QUEUE: usize = 16;

/// The concrete database. Cloning it gives a snapshot that shares the
/// memoized results; a write through the original cancels the snapshots.
#[salsa::db]
#[derive(Clone)]
pub struct IdeDb {
    storage: salsa::Storage<Self>,
    workspace: Option<Workspace>,
    parses: Arc<ParseCache>,
}

#[salsa::db]
impl salsa::Database for IdeDb {}

#[salsa::db]
impl Db for IdeDb {
    fn workspace(&self) -> Workspace {
        self.workspace.expect("IdeDb::new sets the workspace")
    }

    fn parse_cache(&self) -> &ParseCache {
        &self.parses
    }
}

impl IdeDb {
    pub fn new(settings: Settings) -> IdeDb {
        let mut db = IdeDb {
            storage: salsa::Storage::default(),
            workspace: None,
            parses: Arc::default(),
        };
        let ws = Workspace::new(&db, Arc::new(BTreeMap::new()), settings, 0);
        db.workspace = Some(ws);
        db
    }
}

/// The parse of a file on its own (the structure-only features: symbols,
/// folding, semantic tokens, the syntax under the cursor), with the
/// settings' defines.
#[salsa::tracked(returns(ref), lru = 128)]
pub fn parse(db: &dyn Db, file: File) -> Parse {
    let settings = db.workspace().settings(db);
    // the options kcfg-sema parses a main file with (its define table's
    // names: trimmed, sorted, once each), so the check reuses this tree
    let defines: BTreeSet<String> = settings
        .defines
        .iter()
        .map(|d| d.split_once('=').map_or(d.as_str(), |(n, _)| n).trim())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    let options = kcfg_syntax::ParseOptions {
        defines: defines.into_iter().collect(),
        core_params: None,
        includes_resolved: false,
    };
    db.parse_cache()
        .parse(file.path(db), file.text(db), &options)
}

/// Line starts of a file, for position conversion.
#[salsa::tracked(returns(ref), lru = 128)]
pub fn line_index(db: &dyn Db, file: File) -> LineIndex {
    // shared with the check's files and model of the same text
    LineIndex::shared(file.text(db))
}

/// The include directives of a file resolved against the file's directory
/// (normalised), for the workspace's include graph.
#[salsa::tracked(returns(ref), lru = 256)]
pub fn include_targets(db: &dyn Db, file: File) -> Vec<PathBuf> {
    // a `PP_INCLUDE` node is an `include_file`/`import_file` directive or
    // statement: a text without these words has none (no tree walk)
    let text: &str = file.text(db);
    if !crate::util::mentions_include(text) {
        return Vec::new();
    }
    let parse = parse(db, file);
    let dir = file.path(db).parent().map(Path::to_path_buf);
    let mut out = Vec::new();
    let root = parse.syntax_node();
    // a node whose text has neither keyword holds no include: its tree is
    // not walked (the 10,000-line config has one include among 1,700 routes)
    let whole = usize::from(root.text_range().len()) == text.len();
    let skip = |r: kcfg_syntax::TextRange| {
        whole
            && text
                .get(std::ops::Range::<usize>::from(r))
                .is_some_and(|t| !crate::util::mentions_include(t))
    };
    let includes = crate::util::find_kinds_where(
        &root,
        Some(kcfg_syntax::SyntaxKind::PP_INCLUDE),
        None,
        &skip,
    )
    .into_iter()
    .filter_map(|e| e.into_node())
    .filter_map(<kcfg_syntax::ast::PpInclude as kcfg_syntax::ast::AstNode>::cast);
    for inc in includes {
        let Some(rel) = inc.path() else { continue };
        let rel = Path::new(&rel);
        let p = if rel.is_absolute() {
            rel.to_path_buf()
        } else if let Some(d) = &dir {
            d.join(rel)
        } else {
            continue;
        };
        out.push(kcfg_sema::normalize(&p));
    }
    out
}

/// The main files of the workspace: files no other workspace file includes
/// (directly or through other files), each with the workspace files it
/// reaches. A set of files that include each other with nothing outside
/// including them are all roots.
#[salsa::tracked(returns(ref))]
pub fn roots(db: &dyn Db) -> Vec<(File, BTreeSet<PathBuf>)> {
    let files = db.workspace().files(db).clone();
    let reach = |start: File| -> BTreeSet<PathBuf> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(f) = stack.pop() {
            for t in include_targets(db, f) {
                if seen.insert(t.clone()) {
                    if let Some(&g) = files.get(t) {
                        stack.push(g);
                    }
                }
            }
        }
        seen
    };
    let reaches: Vec<(File, BTreeSet<PathBuf>)> = files.values().map(|&f| (f, reach(f))).collect();
    let mut out = Vec::new();
    for (f, r) in &reaches {
        let p = f.path(db);
        let included_from_outside = reaches
            .iter()
            .any(|(g, rg)| g != f && rg.contains(p) && !r.contains(g.path(db)));
        if !included_from_outside {
            out.push((*f, r.clone()));
        }
    }
    out
}

/// The root whose check covers `file`: the first root that reaches it, or
/// the file itself.
pub fn root_of(db: &dyn Db, file: File) -> File {
    let p = file.path(db);
    for (root, reach) in roots(db) {
        if *root == file {
            return file;
        }
        if reach.contains(p) {
            return *root;
        }
    }
    file
}

/// A diagnostic of the check, located by path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diag {
    /// Normalised path of the file the range is in.
    pub path: PathBuf,
    pub code: &'static str,
    pub severity: kcfg_diagnostics::Severity,
    pub range: TextRange,
    pub message: String,
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub labels: Vec<(TextRange, String)>,
}

impl Diag {
    /// Convert the pipeline's diagnostics (whose files live in `files`).
    pub fn from_check(files: &kcfg_diagnostics::Files, d: &kcfg_diagnostics::Diagnostic) -> Diag {
        Diag {
            path: kcfg_sema::normalize(Path::new(files.get(d.file).path())),
            code: d.code,
            severity: d.severity,
            range: d.range,
            message: d.message.clone(),
            help: d.help.clone(),
            notes: d.notes.clone(),
            labels: d
                .labels
                .iter()
                .map(|l| (l.range, l.message.clone()))
                .collect(),
        }
    }
}

/// What the check of one root found, and the model it built.
#[derive(Debug)]
pub struct CheckResult {
    /// The diagnostics, exactly as `kcfg check` computes them (in its order).
    pub diagnostics: Vec<Diag>,
    /// The kcfg-sema model of the root.
    pub model: kcfg_sema::Model,
    /// Normalised paths of `model.files` (same indexes).
    pub paths: Vec<PathBuf>,
    /// Line indexes of `model.files` (same indexes).
    pub line_indexes: Vec<LineIndex>,
}

impl CheckResult {
    /// Index of a file of the model by normalised path.
    pub fn file_index(&self, path: &Path) -> Option<usize> {
        self.paths.iter().position(|p| p == path)
    }
}

/// An `Arc` compared by identity: salsa needs `Eq` on results; a new check
/// is always a new value (no backdating for these big results).
#[derive(Debug)]
pub struct Shared<T: Send + Sync + 'static>(pub Arc<T>);

impl<T: Send + Sync + 'static> Drop for Shared<T> {
    fn drop(&mut self) {
        // the last reference to an old check (its model and trees) is
        // dropped on a background thread, not in the salsa write of the
        // next keystroke
        if Arc::strong_count(&self.0) == 1 {
            drop_later(self.0.clone());
        }
    }
}

impl<T: Send + Sync + 'static> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: Send + Sync + 'static> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl<T: Send + Sync + 'static> Eq for Shared<T> {}

impl<T: Send + Sync + 'static> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The check options of the workspace settings for the main file `path`.
pub fn check_options(settings: &Settings, path: &Path) -> kcfg_check::CheckOptions {
    kcfg_check::CheckOptions {
        version: settings.version,
        defines: settings.defines.clone(),
        path: Some(path.to_path_buf()),
        // `[lint]` of kcfg.toml; the server refuses bad selectors when it
        // reads the file, so an error here leaves the default selection
        lint: settings.lint.to_lint().unwrap_or_default(),
    }
}

/// `kcfg check` of a root file: the same pipeline
/// ([`kcfg_check::check_source_model`]), with included files read from the
/// workspace first and from disk otherwise.
#[salsa::tracked(returns(clone), lru = 64)]
pub fn check(db: &dyn Db, root: File) -> Shared<CheckResult> {
    let ws = db.workspace();
    let settings = ws.settings(db);
    let path = root.path(db).clone();
    let options = check_options(settings, &path);
    let loader = DbLoader { db, ws };
    let mut files = kcfg_diagnostics::Files::new();
    let id = files.add(path.display().to_string(), root.text(db).to_string());
    let cache = db.parse_cache();
    let memos = cache.check_cache(&path);
    let (diags, model) = kcfg_check::check_source_model_cached(
        &mut files,
        id,
        &options,
        &loader,
        &|p, t, o| cache.parse(p, t, o),
        &memos,
    );
    let diagnostics = diags.iter().map(|d| Diag::from_check(&files, d)).collect();
    let paths = model
        .files
        .iter()
        .map(|f| kcfg_sema::normalize(&f.path))
        .collect();
    let line_indexes = model.files.iter().map(|f| f.line_index().clone()).collect();
    Shared(Arc::new(CheckResult {
        diagnostics,
        model,
        paths,
        line_indexes,
    }))
}

/// Reads included files: workspace files (editor buffers, tracked by
/// salsa) first, then the disk (tracked through
/// [`Workspace::disk_revision`]). Relative paths (Kamailio's current
/// directory, which an editor does not have) are reported as not found, so
/// the including file's directory is tried next.
pub struct DbLoader<'a> {
    pub db: &'a dyn Db,
    pub ws: Workspace,
}

impl kcfg_sema::FileLoader for DbLoader<'_> {
    fn read(&self, path: &Path) -> io::Result<String> {
        if path.is_relative() {
            return Err(io::ErrorKind::NotFound.into());
        }
        let key = kcfg_sema::normalize(path);
        if let Some(f) = self.ws.files(self.db).get(&key) {
            return Ok(f.text(self.db).to_string());
        }
        let _ = self.ws.disk_revision(self.db);
        kcfg_sema::FsLoader.read(&key)
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        kcfg_sema::normalize(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Every value handed to `drop_later` is freed, also when more than
    /// the queue holds come at once (the caller frees those itself).
    #[test]
    fn drop_later_frees_every_value() {
        let freed = Arc::new(AtomicUsize::new(0));
        let n = 20 * DROP_QUEUE;
        for _ in 0..n {
            drop_later(Counted(freed.clone()));
        }
        let start = std::time::Instant::now();
        while freed.load(Ordering::SeqCst) < n && start.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(freed.load(Ordering::SeqCst), n);
    }
}
