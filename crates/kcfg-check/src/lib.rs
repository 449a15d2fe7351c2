//! The check pipeline: bytes → text → diagnostics.
//!
//! [`check_bytes`] is what `kcfg check` runs on every file; it decodes the
//! bytes and hands the text to [`check_source`], the place where further
//! checks (semantic analysis, lint rules) will be added.
//!
//! This crate is shared by `kcfg check` (kcfg-cli, which re-exports it as
//! `kcfg_cli::check`) and the language server (kcfg-ide), which runs
//! [`check_source_with`] with a [`kcfg_sema::FileLoader`] that sees the
//! editor's unsaved buffers, so both report the same diagnostics.

use kcfg_diagnostics::{codes, Diagnostic, FileId, Files, TextRange, TextSize};

/// What a check is run for.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub version: kcfg_modules::KamailioVersion,
    /// `-D NAME[=VALUE]` names
    pub defines: Vec<String>,
    /// The path of the checked file on disk: its directory is where its
    /// relative includes are looked for (after the current directory, as
    /// Kamailio does). `None` for standard input.
    pub path: Option<std::path::PathBuf>,
    /// Which lint rules (`kcfg-lint`, KC2xx–KC5xx) run; all by default.
    pub lint: kcfg_lint::Settings,
}

/// What a caller checking successive versions of one config keeps across
/// the checks (the language server keeps one per root file): the memo of
/// route bodies of the semantic checks and the lint rules' memos. The
/// diagnostics are those of a check without it; it only saves work when
/// an edit leaves most route blocks as they were. Each memo keeps only what
/// the last check with it met: two configs checked alternately need a
/// cache each (a check without one, such as `kcfg check`'s, touches none).
#[derive(Default)]
pub struct CheckCache {
    /// The route bodies of `kcfg-sema`'s checks.
    pub routes: kcfg_sema::RouteCache,
    /// The lint rules' memos.
    pub lint: kcfg_lint::LintCache,
}

/// How deep includes are followed when collecting their defines.
const MAX_INCLUDE_DEPTH: usize = 64;

/// The names defined by the files that `text` includes, recursively.
/// `None` when an `include_file` cannot be read (then nobody knows what it
/// defines); a missing `import_file` is skipped, as Kamailio skips it.
pub fn include_defines(base_dir: Option<&std::path::Path>, text: &str) -> Option<Vec<String>> {
    if !text.contains("include_file") && !text.contains("import_file") {
        return Some(Vec::new());
    }
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    collect_include_defines(base_dir, text, 0, &mut seen, &mut names).then_some(names)
}

fn collect_include_defines(
    base_dir: Option<&std::path::Path>,
    text: &str,
    depth: usize,
    seen: &mut std::collections::HashSet<std::path::PathBuf>,
    names: &mut Vec<String>,
) -> bool {
    use kcfg_syntax::ast::AstNode;
    let parse = kcfg_syntax::parse(text);
    let tree = parse.tree();
    let mut complete = true;
    for inc in tree.includes() {
        let Some(rel) = inc.path() else { continue };
        let rel = std::path::Path::new(&rel);
        let candidates = [Some(rel.to_path_buf()), base_dir.map(|d| d.join(rel))];
        let found = candidates.into_iter().flatten().find(|p| p.is_file());
        let Some(path) = found else {
            complete &= inc.is_import();
            continue;
        };
        let canon = path.canonicalize().unwrap_or(path.clone());
        if depth >= MAX_INCLUDE_DEPTH || !seen.insert(canon) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            complete = false;
            continue;
        };
        let inner = String::from_utf8_lossy(&bytes);
        let inner_tree = kcfg_syntax::parse(&inner).tree();
        for d in inner_tree.defines() {
            if let Some(n) = d.name() {
                match d.body() {
                    Some(v) => names.push(format!("{}={}", n.text(), v.text())),
                    None => names.push(n.text().to_string()),
                }
            }
        }
        // `#!substdef "!NAME!value!"` also defines NAME
        for n in kcfg_syntax::ast::descendants::<kcfg_syntax::ast::PpSubst>(inner_tree.syntax()) {
            if let Some((name, value)) = n.defined_name_value() {
                names.push(format!("{name}={value}"));
            }
        }
        complete &= collect_include_defines(path.parent(), &inner, depth + 1, seen, names);
    }
    complete
}

impl CheckOptions {
    /// The parse options for this Kamailio version: the core parameter names
    /// come from the knowledge base.
    pub fn parse_options(&self) -> kcfg_syntax::ParseOptions {
        let db = kcfg_modules::db(self.version);
        kcfg_syntax::ParseOptions {
            defines: self
                .defines
                .iter()
                .map(|d| d.split('=').next().unwrap_or(d).to_string())
                .collect(),
            core_params: Some(
                db.global_params()
                    .flat_map(|g| g.names.iter().map(|n| n.to_string()))
                    .collect(),
            ),
            includes_resolved: false,
        }
    }

    /// Parse options for `text`, with the defines of the files it includes.
    pub fn parse_options_for(&self, text: &str) -> kcfg_syntax::ParseOptions {
        let mut o = self.parse_options();
        if let Some(names) =
            include_defines(self.path.as_deref().and_then(std::path::Path::parent), text)
        {
            o.defines.extend(names);
            o.includes_resolved = true;
        }
        o
    }
}

/// Check a decoded file that is already in `files`: its syntax errors
/// (`KC001`), the characters Kamailio skips (`KC003`, warning), and the
/// semantic checks of `kcfg-sema` (`KC1xx`) over the file and what it
/// includes. Included files that have findings are added to `files`.
pub fn check_source(files: &mut Files, file: FileId, options: &CheckOptions) -> Vec<Diagnostic> {
    check_source_with(files, file, options, &kcfg_sema::FsLoader)
}

/// [`check_source`] with included files read through `loader` (the
/// language server's loader sees unsaved editor buffers).
pub fn check_source_with(
    files: &mut Files,
    file: FileId,
    options: &CheckOptions,
    loader: &dyn kcfg_sema::FileLoader,
) -> Vec<Diagnostic> {
    let (out, model) = check_source_model(files, file, options, loader);
    if LEAK_TREES.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(model);
    }
    out
}

/// [`check_source_with`], also returning the `kcfg-sema` model it built
/// (the language server answers hover, completion, ... from it).
pub fn check_source_model(
    files: &mut Files,
    file: FileId,
    options: &CheckOptions,
    loader: &dyn kcfg_sema::FileLoader,
) -> (Vec<Diagnostic>, kcfg_sema::Model) {
    check_impl(files, file, options, loader, None, None)
}

/// How [`check_source_model_with_parser`] parses a file: path, text and
/// options in, the parse [`kcfg_syntax::parse_with`] would give out.
pub type Parser<'a> =
    &'a dyn Fn(&std::path::Path, &str, &kcfg_syntax::ParseOptions) -> kcfg_syntax::Parse;

/// [`check_source_model`] with every parse done by `parser` (the language
/// server's parser reuses the trees of the previous versions of a text).
pub fn check_source_model_with_parser(
    files: &mut Files,
    file: FileId,
    options: &CheckOptions,
    loader: &dyn kcfg_sema::FileLoader,
    parser: Parser<'_>,
) -> (Vec<Diagnostic>, kcfg_sema::Model) {
    check_impl(files, file, options, loader, Some(parser), None)
}

/// [`check_source_model_with_parser`] with the memos of a [`CheckCache`]
/// kept across checks of successive versions of the same config (the
/// language server keeps one per root file): the same diagnostics, less
/// work when an edit leaves most route bodies as they were.
pub fn check_source_model_cached(
    files: &mut Files,
    file: FileId,
    options: &CheckOptions,
    loader: &dyn kcfg_sema::FileLoader,
    parser: Parser<'_>,
    cache: &CheckCache,
) -> (Vec<Diagnostic>, kcfg_sema::Model) {
    check_impl(files, file, options, loader, Some(parser), Some(cache))
}

/// The check; `parser: None` parses with [`kcfg_syntax::parse_with`].
fn check_impl(
    files: &mut Files,
    file: FileId,
    options: &CheckOptions,
    loader: &dyn kcfg_sema::FileLoader,
    parser: Option<Parser<'_>>,
    cache: Option<&CheckCache>,
) -> (Vec<Diagnostic>, kcfg_sema::Model) {
    let text = files.get(file).text().to_string();
    let (sema_options, main_path) = sema_inputs(files, file, options);
    // (the lint thread is started only for the language server's path)
    let lint_thread = (parser.is_some() && cache.is_some())
        .then(lint_thread)
        .flatten();
    match (parser, cache, lint_thread) {
        (Some(parser), Some(cache), Some(lint_thread)) => {
            // the language server's path (latency per keystroke): a second
            // thread collects the lint's nodes from each file's tree as soon
            // as it is parsed, while the model is walked and its call graph
            // built here; it runs the rules on a copy of the model (all but
            // its diagnostics) while the checks run here, and frees its
            // nodes while the diagnostics are made here. The suppression
            // comments are applied here (they need the checks' diagnostics).
            enum ToLint {
                Tree(kcfg_sema::FileIdx, kcfg_syntax::GreenNode),
                Model(Box<kcfg_sema::Model>),
            }
            let lint_options = &options.lint;
            let (out, model) = lint_thread.in_place_scope(|s| {
                let (to_lint, from_main) = std::sync::mpsc::channel::<ToLint>();
                let (found_tx, found_rx) = std::sync::mpsc::channel();
                s.spawn(move |_| {
                    let mut nodes = kcfg_lint::Nodes::default();
                    for msg in from_main {
                        match msg {
                            ToLint::Tree(file, green) => nodes.add(file, &green),
                            ToLint::Model(copy) => {
                                kcfg_lint::lint_rules_with_nodes(
                                    &copy,
                                    lint_options,
                                    nodes,
                                    Some(&cache.lint),
                                    |found| {
                                        let _ = found_tx.send(found);
                                    },
                                );
                                return;
                            }
                        }
                    }
                });
                let mut on_tree = |file, green: &kcfg_syntax::GreenNode| {
                    let _ = to_lint.send(ToLint::Tree(file, green.clone()));
                };
                let walked = kcfg_sema::Model::walk_cached(
                    &main_path,
                    text.as_str(),
                    loader,
                    &sema_options,
                    parser,
                    &cache.routes,
                    &mut on_tree,
                );
                let model = walked.finish_early(|copy| {
                    let _ = to_lint.send(ToLint::Model(Box::new(copy)));
                });
                drop(to_lint);
                let out = syntax_diagnostics(
                    files,
                    file,
                    options,
                    Some(parser),
                    &main_path,
                    &text,
                    &model,
                );
                // a panic of the lint is raised again when the scope ends
                let out = found_rx.recv().ok().map(|found| {
                    let lint = kcfg_lint::suppress(&model, lint_options, found);
                    with_lint(files, file, &model, &lint, out)
                });
                (out, model)
            });
            let out = out.expect("the lint thread delivers or panics");
            (out, model)
        }
        (parser, cache, _) => {
            let model = match (parser, cache) {
                (Some(parser), Some(cache)) => kcfg_sema::Model::build_cached(
                    &main_path,
                    text.as_str(),
                    loader,
                    &sema_options,
                    parser,
                    &cache.routes,
                ),
                (Some(parser), None) => kcfg_sema::Model::build_with_parser(
                    &main_path,
                    text.as_str(),
                    loader,
                    &sema_options,
                    parser,
                ),
                (None, _) => {
                    kcfg_sema::Model::build(&main_path, text.as_str(), loader, &sema_options)
                }
            };
            let out = syntax_diagnostics(files, file, options, parser, &main_path, &text, &model);
            let lint = match cache {
                Some(cache) => kcfg_lint::lint_cached(&model, &options.lint, &cache.lint),
                None => kcfg_lint::lint(&model, &options.lint),
            };
            let out = with_lint(files, file, &model, &lint, out);
            (out, model)
        }
    }
}

/// The thread the language server's lint runs on beside the checks: one
/// thread of its own (its allocator's memory stays warm from keystroke to
/// keystroke, and it does not wait behind other work in rayon's global
/// pool). `None` on a machine with one core (nothing to overlap; the unit
/// tests overlap all the same) or when it cannot be started.
fn lint_thread() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if cores < 2 && !cfg!(test) {
            return None;
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "kcfg-lint".into())
            .build()
            .ok()
    })
    .as_ref()
}

/// The syntax diagnostics `out` with the checks' and the lint's.
fn with_lint(
    files: &mut Files,
    file: FileId,
    model: &kcfg_sema::Model,
    lint: &kcfg_lint::LintResult,
    mut out: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    // KC201 carries the fix for the `.` that the parser reports as KC001:
    // report it once
    let dots: Vec<TextSize> = lint
        .findings
        .iter()
        .filter(|f| f.code == "KC201" && f.file.0 == 0)
        .map(|f| f.range.start())
        .collect();
    out.retain(|d| !(d.code == codes::SYNTAX_ERROR && dots.contains(&d.range.start())));
    out.extend(semantic(files, file, model, lint));
    out
}

/// The syntax errors and warnings of the main file (parsed again with the
/// defines of its includes when it has some).
fn syntax_diagnostics(
    files: &Files,
    file: FileId,
    options: &CheckOptions,
    parser: Option<Parser<'_>>,
    main_path: &std::path::Path,
    text: &str,
    model: &kcfg_sema::Model,
) -> Vec<Diagnostic> {
    // kcfg-sema parsed the main file with the command-line defines; when it
    // includes other files, parse it again knowing what they define, so bare
    // names can be checked. The unknown-core-parameter check is kcfg-sema's
    // (KC112), which knows other versions and defines.
    let main = &model.files[0];
    let reparsed;
    let include_defines = || {
        let names = model_include_defines(model);
        // kcfg-sema parsed the main file with `ParseOptions::default()` and
        // the command-line defines, through `kcfg_syntax::parse_with` when
        // there is no `parser`: a second parse without more defines gives
        // the same errors, unless the first left a decision to the includes
        let same = parser.is_none()
            && options.defines.is_empty()
            && names
                .as_ref()
                .is_none_or(|n| n.is_empty() && !main.parse.has_include_decisions());
        (names, same)
    };
    let (errors, warnings) = if main.parse.tree().includes().next().is_none() {
        (main.parse.errors(), main.parse.warnings())
    } else if let (names, false) = include_defines() {
        // no core parameter names: that check is KC112 (building the list
        // from the knowledge base would cost more than the parse)
        let mut parse_options = options.parse_options();
        parse_options.core_params = None;
        if let Some(names) = names {
            parse_options.defines.extend(names);
            parse_options.includes_resolved = true;
        }
        reparsed = match parser {
            // only the errors of that second parse are read: no tree is built
            None => kcfg_syntax::syntax_errors_with(text, &parse_options),
            // the language server's parser reuses its trees
            Some(parser) => {
                let p = parser(main_path, text, &parse_options);
                kcfg_syntax::SyntaxErrors {
                    errors: p.errors().to_vec(),
                    warnings: p.warnings().to_vec(),
                    inactive_errors: p.inactive_errors().to_vec(),
                }
            }
        };
        (&reparsed.errors[..], &reparsed.warnings[..])
    } else {
        (main.parse.errors(), main.parse.warnings())
    };
    let mut out: Vec<Diagnostic> = {
        let source = files.get(file);
        errors
            .iter()
            .map(|e| Diagnostic::from_syntax_error(file, e, source.line_index()))
            .collect()
    };
    out.extend(warnings.iter().map(|w| {
        let mut d = Diagnostic::from_syntax_error(file, w, files.get(file).line_index());
        d.code = codes::SKIPPED_CHARACTER;
        d.severity = kcfg_diagnostics::Severity::Warning;
        d
    }));
    out
}

static LEAK_TREES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Let [`check_source`] and [`check_source_with`] skip freeing the syntax
/// trees and the model they build. Only for a process that exits once its
/// output is written (the `kcfg` binary calls it); a long-running caller
/// must not.
pub fn leak_trees_at_exit() {
    LEAK_TREES.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Apply the lint fixes of the main file `text` until nothing changes (at
/// most 10 rounds; a fix whose edits overlap another waits for the next
/// round). Unsafe fixes only when `unsafe_fixes`. Returns the fixed text
/// and the number of fixes applied. Findings in included files are not
/// fixed.
pub fn fix_text(text: &str, options: &CheckOptions, unsafe_fixes: bool) -> (String, usize) {
    let mut text = text.to_string();
    let mut total = 0;
    let sema_options = kcfg_sema::SemaOptions {
        version: options.version,
        defines: options.defines.clone(),
        cwd: None,
    };
    let path = options
        .path
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("<stdin>"));
    for _ in 0..10 {
        let model =
            kcfg_sema::Model::build(&path, text.as_str(), &kcfg_sema::FsLoader, &sema_options);
        let lint = kcfg_lint::lint(&model, &options.lint);
        let fixes = lint
            .findings
            .iter()
            .filter(|f| f.file.0 == 0)
            .filter_map(|f| f.fix.as_ref());
        let (next, n) = kcfg_lint::apply_fixes(&text, fixes, unsafe_fixes);
        if n == 0 || next == text {
            break;
        }
        // a fix must never add a syntax error: stop before such a round
        let before = kcfg_syntax::parse(&text).errors().len();
        if kcfg_syntax::parse(&next).errors().len() > before {
            break;
        }
        total += n;
        text = next;
    }
    (text, total)
}

/// The defines (with values) of the files the model's main file includes;
/// `None` when an `include_file` could not be read (KC113).
fn model_include_defines(model: &kcfg_sema::Model) -> Option<Vec<String>> {
    use kcfg_syntax::ast::AstNode;
    if model.diagnostics.iter().any(|d| d.code == "KC113") {
        return None;
    }
    let mut names = Vec::new();
    for f in &model.files[1..] {
        let tree = f.parse.tree();
        for d in tree.defines() {
            if let Some(n) = d.name() {
                match d.body() {
                    Some(v) => names.push(format!("{}={}", n.text(), v.text())),
                    None => names.push(n.text().to_string()),
                }
            }
        }
        for n in kcfg_syntax::ast::descendants::<kcfg_syntax::ast::PpSubst>(tree.syntax()) {
            if let Some((name, value)) = n.defined_name_value() {
                names.push(format!("{name}={value}"));
            }
        }
    }
    Some(names)
}

/// The kcfg-sema model of the main file `main` (whose text is `text`).
pub fn build_model(
    files: &Files,
    main: FileId,
    text: &str,
    options: &CheckOptions,
) -> kcfg_sema::Model {
    build_model_with(files, main, text, options, &kcfg_sema::FsLoader)
}

/// [`build_model`] with included files read through `loader`.
pub fn build_model_with(
    files: &Files,
    main: FileId,
    text: &str,
    options: &CheckOptions,
    loader: &dyn kcfg_sema::FileLoader,
) -> kcfg_sema::Model {
    let (sema_options, main_path) = sema_inputs(files, main, options);
    kcfg_sema::Model::build(&main_path, text, loader, &sema_options)
}

/// The semantic model's options and the main file's path (`--stdin-filename`
/// or the file's own) for a check of `main` with `options`.
fn sema_inputs(
    files: &Files,
    main: FileId,
    options: &CheckOptions,
) -> (kcfg_sema::SemaOptions, std::path::PathBuf) {
    let sema_options = kcfg_sema::SemaOptions {
        version: options.version,
        defines: options.defines.clone(),
        cwd: None,
    };
    let main_path = options
        .path
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(files.get(main).path()));
    (sema_options, main_path)
}

/// Turn `kcfg-sema`'s findings (less those a suppression comment silences)
/// and the lint findings into diagnostics.
fn semantic(
    files: &mut Files,
    main: FileId,
    model: &kcfg_sema::Model,
    lint: &kcfg_lint::LintResult,
) -> Vec<Diagnostic> {
    let mut ids: Vec<Option<FileId>> = vec![None; model.files.len()];
    ids[0] = Some(main);
    let mut id_of = |files: &mut Files, idx: kcfg_sema::FileIdx| -> FileId {
        *ids[idx.0].get_or_insert_with(|| {
            let f = &model.files[idx.0];
            files.add(f.path.display().to_string(), f.text.clone())
        })
    };
    let mut out = Vec::new();
    // syntax errors of included files (the main file's are reported above);
    // files included inside a route block are statements, not a file of
    // their own, and are not judged alone
    for (i, f) in model.files.iter().enumerate().skip(1) {
        if f.included_in_route || f.parse.errors().is_empty() {
            continue;
        }
        let id = id_of(files, kcfg_sema::FileIdx(i));
        for e in f.parse.errors() {
            let d = Diagnostic::from_syntax_error(id, e, files.get(id).line_index());
            out.push(with_include_chain(d, model, kcfg_sema::FileIdx(i)));
        }
    }
    for (i, sd) in model.diagnostics.iter().enumerate() {
        if lint.sema_suppressed.get(i).copied().unwrap_or(false) {
            continue;
        }
        let id = id_of(files, sd.file);
        let severity = match sd.severity {
            kcfg_sema::Severity::Error => kcfg_diagnostics::Severity::Error,
            kcfg_sema::Severity::Warning => kcfg_diagnostics::Severity::Warning,
        };
        let mut d = Diagnostic::new(sd.code, severity, id, sd.range, sd.message.clone());
        if let Some(h) = &sd.help {
            d = d.with_help(h.clone());
        }
        for (r, m) in &sd.labels {
            d = d.with_label(*r, m.clone());
        }
        out.push(with_include_chain(d, model, sd.file));
    }
    for f in &lint.findings {
        let id = id_of(files, f.file);
        let d = kcfg_lint::to_diagnostic(f, id);
        out.push(with_include_chain(d, model, f.file));
    }
    out
}

/// For a finding in an included file: a note saying through which includes
/// the file was reached.
fn with_include_chain(
    d: Diagnostic,
    model: &kcfg_sema::Model,
    idx: kcfg_sema::FileIdx,
) -> Diagnostic {
    let chain = model.include_chain(idx);
    if chain.is_empty() {
        return d;
    }
    let steps: Vec<String> = chain
        .iter()
        .map(|(f, r)| {
            let file = model.file(*f);
            format!("{}:{}", file.path.display(), file.line_of(*r))
        })
        .collect();
    d.with_note(format!("included through {}", steps.join(" → ")))
}

/// [`check_bytes`], also returning the paths of the files the config
/// includes, as `kcfg-sema` resolved and read them (`kcfg check DIR` does
/// not check those alone when it finds them in the directory too).
pub fn check_bytes_with_includes(
    files: &mut Files,
    path: impl Into<String>,
    bytes: &[u8],
    options: &CheckOptions,
) -> (FileId, Vec<Diagnostic>, Vec<std::path::PathBuf>) {
    let Ok(text) = kcfg_syntax::decode(bytes) else {
        let (file, out) = check_bytes(files, path, bytes, options);
        return (file, out, Vec::new());
    };
    let file = files.add(path, text);
    let (out, model) = check_source_model(files, file, options, &kcfg_sema::FsLoader);
    let included = model.files[1..].iter().map(|f| f.path.clone()).collect();
    if LEAK_TREES.load(std::sync::atomic::Ordering::Relaxed) {
        std::mem::forget(model);
    }
    (file, out, included)
}

/// Add a file to `files` and check it.
///
/// Bytes that are not UTF-8 give a single `KC002` error at the first bad
/// byte (its line and column come from the valid text before it); the file
/// is stored with the bad bytes replaced by `�`, which keeps every offset
/// up to the error, so the snippet shows where it is.
pub fn check_bytes(
    files: &mut Files,
    path: impl Into<String>,
    bytes: &[u8],
    options: &CheckOptions,
) -> (FileId, Vec<Diagnostic>) {
    match kcfg_syntax::decode(bytes) {
        Ok(text) => {
            let file = files.add(path, text);
            (file, check_source(files, file, options))
        }
        Err(not_utf8) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let file = files.add(path, text);
            let at = TextSize::try_from(not_utf8.offset).unwrap_or(TextSize::from(u32::MAX));
            let d = Diagnostic::error(
                codes::NOT_UTF8,
                file,
                TextRange::empty(at),
                not_utf8.to_string(),
            )
            .with_help("save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")
            .with_note("the rest of the file was not checked");
            (file, vec![d])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The language server's path (lint on a second thread, overlapping the
    /// checks) gives the diagnostics of the plain path, on every config
    /// under `fixtures/`, and again on each after an edit inside a route
    /// body (the route memo then reuses the other bodies).
    #[test]
    fn overlapped_lint_equals_sequential_check() {
        // the overlapped path runs in tests also on a one-core machine
        assert!(lint_thread().is_some());
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");
        let mut paths = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "cfg") {
                    paths.push(p);
                }
            }
        }
        paths.sort();
        let options = CheckOptions::default();
        let loader = kcfg_sema::FsLoader;
        let parser = |_: &std::path::Path, t: &str, o: &kcfg_syntax::ParseOptions| {
            kcfg_syntax::parse_with(t, o)
        };
        let (mut compared, mut findings) = (0, 0);
        for p in &paths {
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            let cache = CheckCache::default();
            let edited = text.replacen("{\n", "{\n\t$var(kcfg_edit) = 1;\n", 2);
            for t in [&text, &edited, &text] {
                let name = p.display().to_string();
                let mut f1 = Files::new();
                let id1 = f1.add(name.clone(), t.clone());
                let (plain, _) =
                    check_source_model_with_parser(&mut f1, id1, &options, &loader, &parser);
                let mut f2 = Files::new();
                let id2 = f2.add(name, t.clone());
                let (overlapped, _) =
                    check_source_model_cached(&mut f2, id2, &options, &loader, &parser, &cache);
                assert_eq!(
                    format!("{plain:?}"),
                    format!("{overlapped:?}"),
                    "{}",
                    p.display()
                );
                compared += 1;
                findings += plain.len();
            }
        }
        assert!(compared >= 300, "{compared} checks compared");
        assert!(findings >= 300, "{findings} diagnostics compared");
    }

    /// Two configs checked alternately, each through its own
    /// [`CheckCache`] (as the language server does with two roots), with
    /// `kcfg check`'s check (no cache) in between: every cache replays
    /// what its config's last check kept (its lint memos hit on the second
    /// check of the same trees and after an edit that keeps most of them),
    /// and the diagnostics equal a check without a cache.
    #[test]
    fn alternating_configs_keep_their_own_memos() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/corpus/");
        let configs: Vec<(String, String)> =
            ["etc/kamailio.cfg", "misc/examples/pkg/kamailio-oob.cfg"]
                .iter()
                .map(|n| {
                    let path = format!("{root}{n}");
                    let text = std::fs::read_to_string(&path).unwrap();
                    (path, text)
                })
                .collect();
        let options = CheckOptions {
            version: kcfg_modules::KamailioVersion::V5_6,
            ..CheckOptions::default()
        };
        let loader = kcfg_sema::FsLoader;
        // the last parse of each path, reused for the same text and
        // reparsed for an edited one (the other blocks' trees are kept,
        // as the language server's parser keeps them)
        let parses: std::cell::RefCell<
            std::collections::HashMap<String, (String, kcfg_syntax::Parse)>,
        > = Default::default();
        let parser = |p: &std::path::Path, t: &str, o: &kcfg_syntax::ParseOptions| {
            let key = p.display().to_string();
            let mut map = parses.borrow_mut();
            let parse = match map.get(&key) {
                Some((old, parse)) if old == t => parse.clone(),
                Some((old, parse)) => kcfg_syntax::reparse::reparse(parse, old, t, o),
                None => kcfg_syntax::parse_with(t, o),
            };
            map.insert(key, (t.to_string(), parse.clone()));
            parse
        };
        let fresh_parser = |_: &std::path::Path, t: &str, o: &kcfg_syntax::ParseOptions| {
            kcfg_syntax::parse_with(t, o)
        };
        let caches = [CheckCache::default(), CheckCache::default()];
        let mut last_hits = [[0; 3]; 2];
        let mut findings = 0;
        for round in 0..4 {
            for (k, (path, text)) in configs.iter().enumerate() {
                // round 2 edits a string of the last route block
                let text = if round == 2 {
                    let at = text.rfind("\\n\")").expect("a string");
                    format!("{}kcfg edit {}", &text[..at], &text[at..])
                } else {
                    text.clone()
                };
                let mut f = Files::new();
                let id = f.add(path.clone(), text.clone());
                let (cached, _) =
                    check_source_model_cached(&mut f, id, &options, &loader, &parser, &caches[k]);
                // `kcfg check`'s check: no cache
                let mut f = Files::new();
                let id = f.add(path.clone(), text.clone());
                let (plain, _) =
                    check_source_model_with_parser(&mut f, id, &options, &loader, &fresh_parser);
                assert_eq!(
                    format!("{cached:?}"),
                    format!("{plain:?}"),
                    "round {round}, {path}"
                );
                findings += plain.len();
                let hits = caches[k].lint.hits();
                let sizes = caches[k].lint.sizes();
                assert!(sizes.iter().all(|&n| n > 0), "{path}: memo sizes {sizes:?}");
                if round == 0 {
                    assert_eq!(hits, [0; 3], "{path}: nothing to hit yet");
                } else {
                    // the memos hit in this check: the other config's
                    // checks and the plain ones left them alone (KC305's
                    // walks only while no block changed)
                    let memos = if round == 1 { 3 } else { 2 };
                    for m in 0..memos {
                        assert!(
                            hits[m] > last_hits[k][m],
                            "round {round}, {path}: memo {m} not hit ({hits:?})"
                        );
                    }
                }
                last_hits[k] = hits;
            }
        }
        assert!(findings > 0, "diagnostics compared");
    }

    #[test]
    fn clean_file() {
        let mut files = Files::new();
        let (_, d) = check_bytes(
            &mut files,
            "k.cfg",
            b"request_route {\n\texit;\n}\n",
            &CheckOptions::default(),
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn syntax_error() {
        let mut files = Files::new();
        let (f, d) = check_bytes(
            &mut files,
            "k.cfg",
            b"loadmodule \"xlog.so\"\nrequest_route {\n\txlog(\"a\")\n\texit;\n}\n",
            &CheckOptions::default(),
        );
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].code, d[0].file), ("KC001", f));
    }

    #[test]
    fn semantic_checks_run_with_the_chosen_version() {
        let text =
            b"loadmodule \"sl.so\"\nrequest_route {\n\tsend_reply_error();\n\tt_relay();\n}\n";
        let mut files = Files::new();
        // the semantic checks only: the lint rules have their own tests
        let no_lint = || kcfg_lint::Settings {
            select: vec![kcfg_lint::Selector::parse("KC9").unwrap()],
            ..Default::default()
        };
        let options = CheckOptions {
            lint: no_lint(),
            ..Default::default()
        };
        let (_, d) = check_bytes(&mut files, "k.cfg", text, &options);
        let codes: Vec<_> = d.iter().map(|d| d.code).collect();
        // t_relay needs tm; send_reply_error exists in 6.0
        assert_eq!(codes, vec!["KC103"], "{d:?}");
        assert!(d[0].help.as_deref().unwrap_or("").contains("tm.so"));
        let options = CheckOptions {
            version: kcfg_modules::KamailioVersion::V5_6,
            lint: no_lint(),
            ..Default::default()
        };
        let mut files = Files::new();
        let (_, d) = check_bytes(&mut files, "k.cfg", text, &options);
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].message.contains("send_reply_error") && d[0].message.contains("6.0"));
    }

    #[test]
    fn lint_findings_are_warnings_and_kc201_replaces_its_kc001() {
        let text = b"loadmodule \"pv.so\"\nloadmodule \"tm.so\"\nrequest_route {\n\t$var(a) = \"x\" . $ci;\n\tt_relay();\n\texit;\n}\n";
        let mut files = Files::new();
        let (_, d) = check_bytes(&mut files, "k.cfg", text, &CheckOptions::default());
        let codes: Vec<_> = d.iter().map(|d| (d.code, d.severity)).collect();
        // one error for the `.` (KC201, with its fix), not KC001 as well
        assert!(
            codes.contains(&("KC201", kcfg_diagnostics::Severity::Error)),
            "{codes:?}"
        );
        assert!(!codes.iter().any(|c| c.0 == "KC001"), "{codes:?}");
        assert!(
            codes.contains(&("KC306", kcfg_diagnostics::Severity::Warning)),
            "{codes:?}"
        );
        // fixed, the file has no error left
        let (fixed, n) = fix_text(
            std::str::from_utf8(text).unwrap(),
            &CheckOptions::default(),
            false,
        );
        assert_eq!(n, 1);
        assert!(fixed.contains("\"x\" + $ci"), "{fixed}");
        let mut files = Files::new();
        let (_, d) = check_bytes(
            &mut files,
            "k.cfg",
            fixed.as_bytes(),
            &CheckOptions::default(),
        );
        assert!(
            d.iter()
                .all(|d| d.severity != kcfg_diagnostics::Severity::Error),
            "{d:?}"
        );
    }

    #[test]
    fn suppression_comments_silence_semantic_checks() {
        let text =
            b"request_route {\n\tno_such(); # kcfg: ignore[KC103] -- built in-house\n\texit;\n}\n";
        let mut files = Files::new();
        let (_, d) = check_bytes(&mut files, "k.cfg", text, &CheckOptions::default());
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn findings_in_included_files_say_how_they_were_reached() {
        let dir = std::env::temp_dir().join(format!("kcfg-inc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("routes.cfg"), "route[A] {\n\tno_such_fn();\n}\n").unwrap();
        let main = dir.join("main.cfg");
        let text = "include_file \"routes.cfg\"\nrequest_route {\n\troute(A);\n}\n";
        std::fs::write(&main, text).unwrap();
        let options = CheckOptions {
            path: Some(main.clone()),
            ..Default::default()
        };
        let mut files = Files::new();
        let (_, d) = check_bytes(&mut files, "main.cfg", text.as_bytes(), &options);
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "KC103");
        assert!(files.get(d[0].file).path().ends_with("routes.cfg"));
        assert!(
            d[0].notes
                .iter()
                .any(|n| n.contains("included through") && n.contains("main.cfg:1")),
            "{:?}",
            d[0].notes
        );
    }

    #[test]
    fn not_utf8_points_at_the_bad_byte() {
        let mut files = Files::new();
        let (f, d) = check_bytes(
            &mut files,
            "k.cfg",
            b"# ok\n# caf\xe9\n",
            &CheckOptions::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "KC002");
        assert_eq!(
            d[0].message,
            "the file is not valid UTF-8: bad byte at offset 10"
        );
        let p = files.get(f).position(d[0].range.start());
        assert_eq!((p.line, p.column, p.offset), (2, 6, 10));
    }
}
