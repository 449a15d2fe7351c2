//! The `LanguageServer` implementation: document store, protocol
//! conversion, debounced diagnostics.
//!
//! Ordering: tower-lsp-server polls each message's handler future for the
//! first time in the order the messages arrive. `did_open`, `did_change`
//! and `did_close` do all their work synchronously in that first poll (no
//! `.await` before the text is updated), so edits are applied in order;
//! a change whose version is not newer than the document's is ignored and
//! logged.
//!
//! Requests run on a salsa snapshot in `spawn_blocking`. An edit cancels
//! the snapshots still computing; such a request answers `ContentModified`.
//! Panics in handlers are caught and logged, and answered with an internal
//! error.

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kcfg_ide::{Analysis, AnalysisHost, Cancellable, FileDiagnostics, LineIndex, TextRange};
use tower_lsp_server::jsonrpc::{self, Error, ErrorCode};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::config::{self, ClientOptions};
use crate::conv::{self, Encoding};

/// How long diagnostics wait for more keystrokes.
pub const DEBOUNCE: Duration = Duration::from_millis(120);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One `publishDiagnostics`: uri, version of the open document (`None`
/// for files that are not open), diagnostics.
pub type Publish = (Uri, Option<i32>, Vec<Diagnostic>);

/// An open document.
#[derive(Debug, Clone)]
pub struct Doc {
    pub uri: Uri,
    pub path: PathBuf,
    pub version: i32,
    pub text: String,
}

/// Everything the handlers share.
pub struct State {
    pub host: Mutex<AnalysisHost>,
    pub docs: Mutex<HashMap<PathBuf, Doc>>,
    pub encoding: Mutex<Encoding>,
    /// Bumped by every edit; a diagnostics run publishes only if it is
    /// still current.
    pub generation: AtomicU64,
    /// Paths that have diagnostics published (to clear them later).
    published: Mutex<BTreeSet<PathBuf>>,
    /// URIs of paths that are not open (included files) we published for.
    uris: Mutex<HashMap<PathBuf, Uri>>,
    client_options: Mutex<ClientOptions>,
    file_options: Mutex<ClientOptions>,
    debounce: Duration,
}

impl State {
    pub fn new(debounce: Duration) -> State {
        State {
            host: Mutex::new(AnalysisHost::new(kcfg_ide::Settings::default())),
            docs: Mutex::new(HashMap::new()),
            encoding: Mutex::new(Encoding::Utf16),
            generation: AtomicU64::new(0),
            published: Mutex::new(BTreeSet::new()),
            uris: Mutex::new(HashMap::new()),
            client_options: Mutex::new(ClientOptions::default()),
            file_options: Mutex::new(ClientOptions::default()),
            debounce,
        }
    }

    fn encoding(&self) -> Encoding {
        *lock(&self.encoding)
    }

    /// Open or replace a document (synchronous; see the module docs).
    pub fn open(&self, uri: Uri, version: i32, text: String) {
        let path = uri_to_path(&uri);
        let mut docs = lock(&self.docs);
        lock(&self.host).set_file(&path, text.as_str());
        docs.insert(
            path.clone(),
            Doc {
                uri,
                path,
                version,
                text,
            },
        );
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Apply a `didChange`; `Err` with a message when it was not applied.
    pub fn change(
        &self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> Result<(), String> {
        let path = uri_to_path(uri);
        let enc = self.encoding();
        let mut docs = lock(&self.docs);
        let Some(doc) = docs.get_mut(&path) else {
            return Err(format!(
                "didChange for a document that is not open: {}",
                uri.as_str()
            ));
        };
        if version <= doc.version {
            return Err(format!(
                "ignored didChange of {} with version {version}: the document is at version {}",
                uri.as_str(),
                doc.version
            ));
        }
        conv::apply_changes(&mut doc.text, enc, changes);
        doc.version = version;
        lock(&self.host).set_file(&path, doc.text.as_str());
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    pub fn close(&self, uri: &Uri) {
        let path = uri_to_path(uri);
        let mut docs = lock(&self.docs);
        docs.remove(&path);
        lock(&self.host).remove_file(&path);
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub fn snapshot(&self) -> Analysis {
        lock(&self.host).analysis()
    }

    /// Recompute the settings from `kcfg.toml` and the client's options.
    fn apply_settings(&self) -> Result<(), String> {
        let s = config::merge(&lock(&self.file_options), &lock(&self.client_options))?;
        let _docs = lock(&self.docs);
        lock(&self.host).set_settings(s);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// The diagnostics to publish now: for every file of the workspace
    /// diagnostics, (uri, version of the open document, diagnostics), plus
    /// empty lists for paths published before that have none now.
    pub fn compute_diagnostics(&self) -> Cancellable<Vec<Publish>> {
        let (analysis, versions) = {
            let docs = lock(&self.docs);
            let a = lock(&self.host).analysis();
            let v: HashMap<PathBuf, (Uri, i32)> = docs
                .iter()
                .map(|(p, d)| (p.clone(), (d.uri.clone(), d.version)))
                .collect();
            (a, v)
        };
        let enc = self.encoding();
        let all = analysis.workspace_diagnostics()?;
        let mut out = Vec::new();
        let mut now = BTreeSet::new();
        for (path, fd) in &all {
            let Some(index) = analysis.line_index(path)? else {
                continue;
            };
            let (uri, version) = match versions.get(path) {
                Some((u, v)) => (u.clone(), Some(*v)),
                None => match Uri::from_file_path(path) {
                    Some(u) => (u, None),
                    None => continue,
                },
            };
            let diags = to_lsp_diagnostics(&index, enc, fd, &uri, &analysis)?;
            now.insert(path.clone());
            lock(&self.uris).insert(path.clone(), uri.clone());
            out.push((uri, version, diags));
        }
        let mut published = lock(&self.published);
        for gone in published.difference(&now) {
            if let Some(uri) = lock(&self.uris).get(gone).cloned() {
                out.push((uri, None, Vec::new()));
            }
        }
        *published = now;
        Ok(out)
    }
}

/// The command that returns the expanded config (`kcfg expand`).
pub const EXPAND_COMMAND: &str = "kcfg.expand";

pub fn uri_to_path(uri: &Uri) -> PathBuf {
    match uri.to_file_path() {
        Some(p) => kcfg_sema::normalize(&p),
        // untitled:, other schemes: a path that cannot collide with a file
        None => PathBuf::from(format!("/{}", uri.as_str().replace(':', "_"))),
    }
}

fn severity(s: kcfg_diagnostics::Severity) -> DiagnosticSeverity {
    match s {
        kcfg_diagnostics::Severity::Error => DiagnosticSeverity::ERROR,
        kcfg_diagnostics::Severity::Warning => DiagnosticSeverity::WARNING,
        kcfg_diagnostics::Severity::Info => DiagnosticSeverity::INFORMATION,
        kcfg_diagnostics::Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// The LSP form of a file's diagnostics: message with help and notes,
/// labels as related information, inactive arms as hints tagged
/// unnecessary.
pub fn to_lsp_diagnostics(
    index: &LineIndex,
    enc: Encoding,
    fd: &FileDiagnostics,
    uri: &Uri,
    _analysis: &Analysis,
) -> Cancellable<Vec<Diagnostic>> {
    let mut out = Vec::new();
    for d in &fd.check {
        let mut message = d.message.clone();
        if let Some(h) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        for n in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(n);
        }
        let related: Vec<DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .map(|(r, m)| DiagnosticRelatedInformation {
                location: Location::new(uri.clone(), conv::range(index, enc, *r)),
                message: m.clone(),
            })
            .collect();
        out.push(Diagnostic {
            range: conv::range(index, enc, d.range),
            severity: Some(severity(d.severity)),
            code: Some(NumberOrString::String(d.code.to_string())),
            source: Some("kcfg".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        });
    }
    for r in &fd.inactive {
        out.push(Diagnostic {
            range: conv::range(index, enc, *r),
            severity: Some(DiagnosticSeverity::HINT),
            source: Some("kcfg".into()),
            message: "inactive #!ifdef arm: not read with the active defines".into(),
            tags: Some(vec![DiagnosticTag::UNNECESSARY]),
            ..Default::default()
        });
    }
    Ok(out)
}

/// The server.
pub struct Backend {
    pub client: Client,
    pub state: Arc<State>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(State::new(DEBOUNCE)),
        }
    }

    /// Publish diagnostics after the debounce delay, unless another edit
    /// comes first.
    fn schedule_diagnostics(&self) {
        let state = self.state.clone();
        let client = self.client.clone();
        let generation = state.generation.load(Ordering::SeqCst);
        tokio::spawn(async move {
            tokio::time::sleep(state.debounce).await;
            if state.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            let s = state.clone();
            let res = tokio::task::spawn_blocking(move || {
                catch_unwind(AssertUnwindSafe(|| s.compute_diagnostics()))
            })
            .await;
            let list = match res {
                Ok(Ok(Ok(list))) => list,
                Ok(Ok(Err(_cancelled))) => return,
                Ok(Err(panic)) => {
                    let msg = panic_message(&panic);
                    client
                        .log_message(
                            MessageType::ERROR,
                            format!("kcfg: diagnostics panicked: {msg}"),
                        )
                        .await;
                    return;
                }
                Err(e) => {
                    client
                        .log_message(
                            MessageType::ERROR,
                            format!("kcfg: diagnostics task failed: {e}"),
                        )
                        .await;
                    return;
                }
            };
            if state.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            for (uri, version, diags) in list {
                client.publish_diagnostics(uri, diags, version).await;
            }
        });
    }

    /// Run `f` on a snapshot in a blocking thread; cancellation becomes
    /// `ContentModified`, a panic an internal error (logged).
    async fn run<T, F>(&self, what: &'static str, f: F) -> jsonrpc::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Analysis, Encoding) -> Cancellable<T> + Send + 'static,
    {
        let analysis = self.state.snapshot();
        let enc = self.state.encoding();
        let res = tokio::task::spawn_blocking(move || {
            let r = catch_unwind(AssertUnwindSafe(|| f(&analysis, enc)));
            drop(analysis);
            r
        })
        .await;
        match res {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(_))) => Err(Error {
                code: ErrorCode::ServerError(-32801),
                message: "content modified".into(),
                data: None,
            }),
            Ok(Err(panic)) => {
                let msg = panic_message(&panic);
                self.client
                    .log_message(MessageType::ERROR, format!("kcfg: {what} panicked: {msg}"))
                    .await;
                Err(Error::internal_error())
            }
            Err(e) => {
                self.client
                    .log_message(MessageType::ERROR, format!("kcfg: {what} failed: {e}"))
                    .await;
                Err(Error::internal_error())
            }
        }
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Run synchronous handler code, catching (and logging) a panic.
fn guarded(client: &Client, what: &str, f: impl FnOnce() -> Option<String>) {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(None) => {}
        Ok(Some(msg)) => {
            let client = client.clone();
            tokio::spawn(async move { client.log_message(MessageType::WARNING, msg).await });
        }
        Err(p) => {
            let msg = format!("kcfg: {what} panicked: {}", panic_message(&p));
            eprintln!("{msg}");
            let client = client.clone();
            tokio::spawn(async move { client.log_message(MessageType::ERROR, msg).await });
        }
    }
}

fn index_of(a: &Analysis, path: &Path) -> Cancellable<Option<(LineIndex, String)>> {
    let Some(text) = a.file_text(path)? else {
        return Ok(None);
    };
    Ok(a.line_index(path)?.map(|i| (i, text.to_string())))
}

/// The line index (and text, when open) of any file an answer points into.
fn any_index(a: &Analysis, path: &Path) -> Cancellable<Option<LineIndex>> {
    a.line_index(path)
}

fn location(
    a: &Analysis,
    enc: Encoding,
    path: &Path,
    r: TextRange,
) -> Cancellable<Option<Location>> {
    let Some(uri) = Uri::from_file_path(path) else {
        return Ok(None);
    };
    let range = match any_index(a, path)? {
        Some(i) => conv::range(&i, enc, r),
        // a file nobody read (a missing include): its start
        None => Range::default(),
    };
    Ok(Some(Location::new(uri, range)))
}

fn workspace_edit(
    a: &Analysis,
    enc: Encoding,
    change: &kcfg_ide::SourceChange,
    docs: &HashMap<PathBuf, Doc>,
) -> Cancellable<WorkspaceEdit> {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (path, edits) in &change.edits {
        let uri = match docs.get(path) {
            Some(d) => d.uri.clone(),
            None => match Uri::from_file_path(path) {
                Some(u) => u,
                None => continue,
            },
        };
        let Some(index) = any_index(a, path)? else {
            continue;
        };
        changes.insert(
            uri,
            edits
                .iter()
                .map(|(r, t)| TextEdit::new(conv::range(&index, enc, *r), t.clone()))
                .collect(),
        );
    }
    Ok(WorkspaceEdit::new(changes))
}

/// The semantic token legend (index = `SemanticTokenKind::ALL` order).
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: vec![
            SemanticTokenType::KEYWORD,
            SemanticTokenType::COMMENT,
            SemanticTokenType::STRING,
            SemanticTokenType::NUMBER,
            SemanticTokenType::VARIABLE,
            SemanticTokenType::FUNCTION,
            SemanticTokenType::MACRO,
            SemanticTokenType::NAMESPACE,
            SemanticTokenType::PROPERTY,
            SemanticTokenType::OPERATOR,
        ],
        token_modifiers: vec![],
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> jsonrpc::Result<InitializeResult> {
        // position encoding: UTF-8 when the client offers it, else UTF-16
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.clone())
            .unwrap_or_default();
        let enc = if offered.contains(&PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        *lock(&self.state.encoding) = enc;
        // settings: kcfg.toml of the workspace folder, then the client's
        let folder = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or_else(|| {
                #[allow(deprecated)]
                params.root_uri.clone()
            })
            .and_then(|u| u.to_file_path().map(|p| p.into_owned()));
        let mut problems = Vec::new();
        if let Some(dir) = folder {
            if let Some(toml) = config::find_kcfg_toml(&dir) {
                match config::read_kcfg_toml(&toml) {
                    Ok(o) => *lock(&self.state.file_options) = o,
                    Err(e) => problems.push(e),
                }
            }
        }
        if let Some(init) = &params.initialization_options {
            match ClientOptions::from_json(init) {
                Ok(o) => *lock(&self.state.client_options) = o,
                Err(e) => problems.push(e),
            }
        }
        if let Err(e) = self.state.apply_settings() {
            problems.push(e);
        }
        for p in problems {
            let client = self.client.clone();
            tokio::spawn(async move {
                client
                    .show_message(MessageType::WARNING, format!("kcfg: {p}"))
                    .await
            });
        }
        let formatting = kcfg_ide::FORMATTER_AVAILABLE;
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "kcfg".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(match enc {
                    Encoding::Utf8 => PositionEncodingKind::UTF8,
                    Encoding::Utf16 => PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::INCREMENTAL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(
                        ["$", "(", "{", "\"", "[", "."]
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                    ),
                    ..Default::default()
                }),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".into(), ",".into()]),
                    ..Default::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: legend(),
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: Some(false),
                            ..Default::default()
                        },
                    ),
                ),
                inlay_hint_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![EXPAND_COMMAND.to_string()],
                    work_done_progress_options: Default::default(),
                }),
                document_formatting_provider: Some(OneOf::Left(formatting)),
                document_range_formatting_provider: Some(OneOf::Left(formatting)),
                ..Default::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.client
            .log_message(MessageType::INFO, "kcfg language server ready")
            .await;
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        guarded(&self.client, "didOpen", || {
            self.state.open(d.uri, d.version, d.text);
            None
        });
        self.schedule_diagnostics();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let state = &self.state;
        guarded(&self.client, "didChange", || {
            state
                .change(
                    &params.text_document.uri,
                    params.text_document.version,
                    params.content_changes,
                )
                .err()
        });
        self.schedule_diagnostics();
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        guarded(&self.client, "didClose", || {
            self.state.close(&params.text_document.uri);
            None
        });
        self.schedule_diagnostics();
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        // other files may include the saved one from disk
        guarded(&self.client, "didSave", || {
            let _docs = lock(&self.state.docs);
            lock(&self.state.host).disk_changed();
            self.state.generation.fetch_add(1, Ordering::SeqCst);
            None
        });
        self.schedule_diagnostics();
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        guarded(&self.client, "didChangeWatchedFiles", || {
            let _docs = lock(&self.state.docs);
            lock(&self.state.host).disk_changed();
            self.state.generation.fetch_add(1, Ordering::SeqCst);
            None
        });
        self.schedule_diagnostics();
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let r = ClientOptions::from_json(&params.settings).and_then(|o| {
            if o != ClientOptions::default() {
                *lock(&self.state.client_options) = o;
                self.state.apply_settings()
            } else {
                Ok(())
            }
        });
        if let Err(e) = r {
            self.client
                .show_message(MessageType::WARNING, format!("kcfg: {e}"))
                .await;
        }
        self.schedule_diagnostics();
    }

    /// `kcfg.expand` with arguments `[uri]` or `[uri, true]` (source
    /// markers): the config as Kamailio reads it, as `kcfg expand` prints it
    /// (`{ "text": ..., "errors": [{ "file", "line", "message" }] }`).
    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> jsonrpc::Result<Option<LSPAny>> {
        if params.command != EXPAND_COMMAND {
            return Err(Error::invalid_params(format!(
                "unknown command `{}`",
                params.command
            )));
        }
        let uri = params
            .arguments
            .first()
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<Uri>().ok())
            .ok_or_else(|| Error::invalid_params("kcfg.expand needs the document URI"))?;
        let markers = params
            .arguments
            .get(1)
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let path = uri_to_path(&uri);
        let expansion = self
            .run("executeCommand", move |a, _| a.expand(&path, markers))
            .await?;
        let Some(e) = expansion else {
            return Err(Error::invalid_params("the document is not open"));
        };
        let errors: Vec<LSPAny> = e
            .errors
            .iter()
            .map(|err| {
                serde_json::json!({
                    "file": err.file.display().to_string(),
                    "line": err.line,
                    "message": err.message,
                })
            })
            .collect();
        Ok(Some(
            serde_json::json!({ "text": e.text, "errors": errors }),
        ))
    }

    async fn hover(&self, params: HoverParams) -> jsonrpc::Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let path = uri_to_path(&p.text_document.uri);
        self.run("hover", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let off = conv::offset(&index, &text, enc, p.position);
            Ok(a.hover(&path, off)?.map(|h| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: h.markdown,
                }),
                range: Some(conv::range(&index, enc, h.range)),
            }))
        })
        .await
    }

    async fn completion(
        &self,
        params: CompletionParams,
    ) -> jsonrpc::Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let path = uri_to_path(&p.text_document.uri);
        self.run("completion", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let off = conv::offset(&index, &text, enc, p.position);
            let items = a.completions(&path, off)?;
            let items = items
                .into_iter()
                .map(|c| {
                    use kcfg_ide::CompletionKind as K;
                    let kind = match c.kind {
                        K::Function => CompletionItemKind::FUNCTION,
                        K::CoreAction => CompletionItemKind::KEYWORD,
                        K::Variable => CompletionItemKind::VARIABLE,
                        K::Transformation => CompletionItemKind::METHOD,
                        K::ModParam => CompletionItemKind::PROPERTY,
                        K::Module => CompletionItemKind::MODULE,
                        K::Route | K::EventRoute => CompletionItemKind::REFERENCE,
                        K::Define => CompletionItemKind::CONSTANT,
                        K::CoreParam => CompletionItemKind::PROPERTY,
                        K::Keyword => CompletionItemKind::KEYWORD,
                    };
                    let new_text = c.insert_text.clone().unwrap_or_else(|| c.label.clone());
                    CompletionItem {
                        label: c.label,
                        kind: Some(kind),
                        detail: c.detail,
                        documentation: c.documentation.map(Documentation::String),
                        insert_text_format: Some(if c.is_snippet {
                            InsertTextFormat::SNIPPET
                        } else {
                            InsertTextFormat::PLAIN_TEXT
                        }),
                        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                            conv::range(&index, enc, c.replace),
                            new_text,
                        ))),
                        ..Default::default()
                    }
                })
                .collect();
            Ok(Some(CompletionResponse::Array(items)))
        })
        .await
    }

    async fn signature_help(
        &self,
        params: SignatureHelpParams,
    ) -> jsonrpc::Result<Option<SignatureHelp>> {
        let p = params.text_document_position_params;
        let path = uri_to_path(&p.text_document.uri);
        self.run("signatureHelp", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let off = conv::offset(&index, &text, enc, p.position);
            Ok(a.signature_help(&path, off)?.map(|s| SignatureHelp {
                signatures: s
                    .signatures
                    .into_iter()
                    .map(|sig| SignatureInformation {
                        parameters: Some(
                            sig.parameters
                                .iter()
                                .map(|&(x, y)| ParameterInformation {
                                    // label offsets in UTF-16 units: the labels are ASCII
                                    label: ParameterLabel::LabelOffsets([x, y]),
                                    documentation: None,
                                })
                                .collect(),
                        ),
                        label: sig.label,
                        documentation: Some(Documentation::String(sig.documentation)),
                        active_parameter: None,
                    })
                    .collect(),
                active_signature: Some(s.active_signature as u32),
                active_parameter: Some(s.active_parameter as u32),
            }))
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> jsonrpc::Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let path = uri_to_path(&p.text_document.uri);
        self.run("definition", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let off = conv::offset(&index, &text, enc, p.position);
            let mut locs = Vec::new();
            for t in a.goto_definition(&path, off)? {
                if let Some(l) = location(a, enc, &t.path, t.range)? {
                    locs.push(l);
                }
            }
            Ok((!locs.is_empty()).then_some(GotoDefinitionResponse::Array(locs)))
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> jsonrpc::Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let path = uri_to_path(&p.text_document.uri);
        let include_decl = params.context.include_declaration;
        self.run("references", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let off = conv::offset(&index, &text, enc, p.position);
            let defs = if include_decl {
                Vec::new()
            } else {
                a.goto_definition(&path, off)?
            };
            let mut locs = Vec::new();
            for t in a.references(&path, off)? {
                if defs.contains(&t) {
                    continue;
                }
                if let Some(l) = location(a, enc, &t.path, t.range)? {
                    locs.push(l);
                }
            }
            Ok(Some(locs))
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> jsonrpc::Result<Option<PrepareRenameResponse>> {
        let path = uri_to_path(&params.text_document.uri);
        self.run("prepareRename", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let off = conv::offset(&index, &text, enc, params.position);
            Ok(a.prepare_rename(&path, off)?.map(|(r, name)| {
                PrepareRenameResponse::RangeWithPlaceholder {
                    range: conv::range(&index, enc, r),
                    placeholder: name,
                }
            }))
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> jsonrpc::Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let path = uri_to_path(&p.text_document.uri);
        let docs = lock(&self.state.docs).clone();
        let r = self
            .run("rename", move |a, enc| {
                let Some((index, text)) = index_of(a, &path)? else {
                    return Ok(Err("the document is not open".to_string()));
                };
                let off = conv::offset(&index, &text, enc, p.position);
                match a.rename(&path, off, &params.new_name)? {
                    Ok(change) => Ok(Ok(workspace_edit(a, enc, &change, &docs)?)),
                    Err(e) => Ok(Err(e)),
                }
            })
            .await?;
        match r {
            Ok(edit) => Ok(Some(edit)),
            Err(message) => Err(Error {
                code: ErrorCode::InvalidParams,
                message: message.into(),
                data: None,
            }),
        }
    }

    async fn document_link(
        &self,
        params: DocumentLinkParams,
    ) -> jsonrpc::Result<Option<Vec<DocumentLink>>> {
        let path = uri_to_path(&params.text_document.uri);
        self.run("documentLink", move |a, enc| {
            let Some((index, _)) = index_of(a, &path)? else {
                return Ok(None);
            };
            Ok(Some(
                a.document_links(&path)?
                    .into_iter()
                    .filter_map(|l| {
                        Some(DocumentLink {
                            range: conv::range(&index, enc, l.range),
                            target: Some(Uri::from_file_path(&l.target)?),
                            tooltip: Some(l.target.display().to_string()),
                            data: None,
                        })
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> jsonrpc::Result<Option<DocumentSymbolResponse>> {
        let path = uri_to_path(&params.text_document.uri);
        self.run("documentSymbol", move |a, enc| {
            let Some((index, _)) = index_of(a, &path)? else {
                return Ok(None);
            };
            #[allow(deprecated)]
            let syms = a
                .document_symbols(&path)?
                .into_iter()
                .map(|s| DocumentSymbol {
                    name: s.name,
                    detail: s.detail,
                    kind: symbol_kind(s.kind),
                    tags: None,
                    deprecated: None,
                    range: conv::range(&index, enc, s.range),
                    selection_range: conv::range(&index, enc, s.selection),
                    children: None,
                })
                .collect();
            Ok(Some(DocumentSymbolResponse::Nested(syms)))
        })
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> jsonrpc::Result<Option<WorkspaceSymbolResponse>> {
        self.run("workspaceSymbol", move |a, enc| {
            let mut out = Vec::new();
            for (path, s) in a.workspace_symbols(&params.query)? {
                if let Some(loc) = location(a, enc, &path, s.selection)? {
                    #[allow(deprecated)]
                    out.push(SymbolInformation {
                        name: s.name,
                        kind: symbol_kind(s.kind),
                        tags: None,
                        deprecated: None,
                        location: loc,
                        container_name: None,
                    });
                }
            }
            Ok(Some(WorkspaceSymbolResponse::Flat(out)))
        })
        .await
    }

    async fn folding_range(
        &self,
        params: FoldingRangeParams,
    ) -> jsonrpc::Result<Option<Vec<FoldingRange>>> {
        let path = uri_to_path(&params.text_document.uri);
        self.run("foldingRange", move |a, _enc| {
            let Some((index, _)) = index_of(a, &path)? else {
                return Ok(None);
            };
            Ok(Some(
                a.folding_ranges(&path)?
                    .into_iter()
                    .filter_map(|f| {
                        let s = index.line_col(f.range.start()).line;
                        let e = index.line_col(f.range.end()).line;
                        (e > s).then(|| FoldingRange {
                            start_line: s,
                            end_line: e,
                            kind: Some(match f.kind {
                                kcfg_ide::FoldKind::Comment => FoldingRangeKind::Comment,
                                kcfg_ide::FoldKind::Region => FoldingRangeKind::Region,
                            }),
                            ..Default::default()
                        })
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> jsonrpc::Result<Option<SemanticTokensResult>> {
        let path = uri_to_path(&params.text_document.uri);
        self.run("semanticTokens", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let mut data = Vec::new();
            let (mut pl, mut pc) = (0u32, 0u32);
            for t in a.semantic_tokens(&path)? {
                let ty = kcfg_ide::SemanticTokenKind::ALL
                    .iter()
                    .position(|k| *k == t.kind)
                    .unwrap_or(0) as u32;
                // one token per line (multi-line comments and strings)
                let mut start = t.range.start();
                while start < t.range.end() {
                    let s = usize::from(start);
                    let e = usize::from(t.range.end());
                    let line_end = text[s..e].find('\n').map_or(e, |i| s + i);
                    let piece = TextRange::new(start, (line_end as u32).into());
                    if !piece.is_empty() {
                        let p0 = conv::position(&index, enc, piece.start());
                        let p1 = conv::position(&index, enc, piece.end());
                        let dl = p0.line - pl;
                        let dc = if dl == 0 {
                            p0.character - pc
                        } else {
                            p0.character
                        };
                        data.push(SemanticToken {
                            delta_line: dl,
                            delta_start: dc,
                            length: p1.character - p0.character,
                            token_type: ty,
                            token_modifiers_bitset: 0,
                        });
                        pl = p0.line;
                        pc = p0.character;
                    }
                    start = ((line_end + 1).min(e) as u32).into();
                    if line_end == e {
                        break;
                    }
                }
            }
            Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data,
            })))
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> jsonrpc::Result<Option<Vec<InlayHint>>> {
        let path = uri_to_path(&params.text_document.uri);
        self.run("inlayHint", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let r = conv::text_range(&index, &text, enc, params.range);
            Ok(Some(
                a.inlay_hints(&path, r)?
                    .into_iter()
                    .map(|h| InlayHint {
                        position: conv::position(&index, enc, h.offset),
                        label: InlayHintLabel::String(format!(" {}", h.label)),
                        kind: None,
                        text_edits: None,
                        tooltip: None,
                        padding_left: Some(true),
                        padding_right: None,
                        data: None,
                    })
                    .collect(),
            ))
        })
        .await
    }

    async fn code_action(
        &self,
        params: CodeActionParams,
    ) -> jsonrpc::Result<Option<CodeActionResponse>> {
        let path = uri_to_path(&params.text_document.uri);
        let docs = lock(&self.state.docs).clone();
        self.run("codeAction", move |a, enc| {
            let Some((index, text)) = index_of(a, &path)? else {
                return Ok(None);
            };
            let r = conv::text_range(&index, &text, enc, params.range);
            let mut out = Vec::new();
            for ca in a.code_actions(&path, r)? {
                let edit = workspace_edit(a, enc, &ca.edit, &docs)?;
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: ca.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(edit),
                    is_preferred: Some(true),
                    ..Default::default()
                }));
            }
            Ok(Some(out))
        })
        .await
    }

    async fn formatting(
        &self,
        params: DocumentFormattingParams,
    ) -> jsonrpc::Result<Option<Vec<TextEdit>>> {
        let path = uri_to_path(&params.text_document.uri);
        let options = kcfg_ide::FormatOptions {
            tab_size: params.options.tab_size,
            insert_spaces: params.options.insert_spaces,
        };
        self.format(path, None, options).await
    }

    async fn range_formatting(
        &self,
        params: DocumentRangeFormattingParams,
    ) -> jsonrpc::Result<Option<Vec<TextEdit>>> {
        let path = uri_to_path(&params.text_document.uri);
        let options = kcfg_ide::FormatOptions {
            tab_size: params.options.tab_size,
            insert_spaces: params.options.insert_spaces,
        };
        self.format(path, Some(params.range), options).await
    }
}

impl Backend {
    async fn format(
        &self,
        path: PathBuf,
        range: Option<Range>,
        options: kcfg_ide::FormatOptions,
    ) -> jsonrpc::Result<Option<Vec<TextEdit>>> {
        let r = self
            .run("formatting", move |a, enc| {
                let Some((index, text)) = index_of(a, &path)? else {
                    return Ok(Ok(None));
                };
                let range = range.map(|r| conv::text_range(&index, &text, enc, r));
                Ok(a.format(&path, range, &options)?.map(|edits| {
                    edits.map(|es| {
                        es.into_iter()
                            .map(|(r, t)| TextEdit::new(conv::range(&index, enc, r), t))
                            .collect()
                    })
                }))
            })
            .await?;
        r.map_err(|e| Error {
            // RequestFailed: the request was valid but could not be served
            code: ErrorCode::ServerError(-32803),
            message: e.to_string().into(),
            data: None,
        })
    }
}

fn symbol_kind(k: kcfg_ide::SymbolKind) -> SymbolKind {
    use kcfg_ide::SymbolKind as K;
    match k {
        K::Route => SymbolKind::FUNCTION,
        K::EventRoute => SymbolKind::EVENT,
        K::Define => SymbolKind::CONSTANT,
        K::Module => SymbolKind::MODULE,
        K::ModParam => SymbolKind::PROPERTY,
        K::CoreParam => SymbolKind::PROPERTY,
    }
}
