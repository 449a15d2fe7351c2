//! Document and workspace symbols, folding ranges, semantic tokens: each a
//! function of one file's parse.

use std::path::{Path, PathBuf};

use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::{SyntaxKind, SyntaxKind::*, TextRange};

use crate::db::{self, Db, IdeDb};
use crate::util;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Route,
    EventRoute,
    Define,
    Module,
    ModParam,
    CoreParam,
}

/// A named thing of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The whole item.
    pub range: TextRange,
    /// Its name.
    pub selection: TextRange,
    pub detail: Option<String>,
}

pub(crate) fn document_symbols(db: &IdeDb, path: &Path) -> Vec<Symbol> {
    let Some(file) = util::file(db, path) else {
        return Vec::new();
    };
    let root = db::parse(db, file).syntax_node();
    let mut out = Vec::new();
    for n in root.descendants() {
        if let Some(b) = ast::RouteBlock::cast(n.clone()) {
            let kw = b
                .keyword()
                .map(|k| k.text().to_string())
                .unwrap_or_default();
            let (selection, name) = match util::route_name_token(&b) {
                Some((r, name)) => (r, format!("{kw}[{name}]")),
                None => (
                    b.keyword()
                        .map(|k| k.text_range())
                        .unwrap_or(n.text_range()),
                    kw.clone(),
                ),
            };
            let kind = if b.kind() == Some(ast::RouteKind::Event) {
                SymbolKind::EventRoute
            } else {
                SymbolKind::Route
            };
            out.push(Symbol {
                name,
                kind,
                range: n.text_range(),
                selection,
                detail: None,
            });
        } else if let Some(d) = ast::PpDefine::cast(n.clone()) {
            if let Some(name) = d.name() {
                out.push(Symbol {
                    name: name.text().to_string(),
                    kind: SymbolKind::Define,
                    range: n.text_range(),
                    selection: name.text_range(),
                    detail: d.body().map(|b| b.text().trim().to_string()),
                });
            }
        } else if let Some(l) = ast::LoadModule::cast(n.clone()) {
            if let Some(p) = l.path() {
                out.push(Symbol {
                    name: p,
                    kind: SymbolKind::Module,
                    range: n.text_range(),
                    selection: n.text_range(),
                    detail: Some("loadmodule".into()),
                });
            }
        } else if let Some(m) = ast::ModParam::cast(n.clone()) {
            if let (Some(module), Some(param)) = (m.module(), m.param()) {
                out.push(Symbol {
                    name: format!("{module}.{param}"),
                    kind: SymbolKind::ModParam,
                    range: n.text_range(),
                    selection: n.text_range(),
                    detail: m.value().map(|v| v.text().to_string()),
                });
            }
        } else if let Some(g) = ast::GlobalParam::cast(n.clone()) {
            if let Some(name) = g.name() {
                out.push(Symbol {
                    name: name.text().to_string(),
                    kind: SymbolKind::CoreParam,
                    range: n.text_range(),
                    selection: name.text_range(),
                    detail: g.value_text().map(|v| v.trim().to_string()),
                });
            }
        }
    }
    out
}

pub(crate) fn workspace_symbols(db: &IdeDb, query: &str) -> Vec<(PathBuf, Symbol)> {
    let q = query.to_lowercase();
    let files = db.workspace().files(db).clone();
    let mut out = Vec::new();
    for p in files.keys() {
        for s in document_symbols(db, p) {
            if matches!(
                s.kind,
                SymbolKind::Route | SymbolKind::EventRoute | SymbolKind::Define
            ) && s.name.to_lowercase().contains(&q)
            {
                out.push((p.clone(), s));
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FoldKind {
    /// route blocks, `{ }` blocks, `#!ifdef` arms
    Region,
    Comment,
}

/// A foldable range (the editor folds the lines it spans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    pub range: TextRange,
    pub kind: FoldKind,
}

pub(crate) fn folding_ranges(db: &IdeDb, path: &Path) -> Vec<Fold> {
    let Some(file) = util::file(db, path) else {
        return Vec::new();
    };
    let text = file.text(db).clone();
    let root = db::parse(db, file).syntax_node();
    let multiline = |r: TextRange| text[r].contains('\n');
    let mut out = Vec::new();
    for n in root.descendants() {
        let r = match n.kind() {
            ROUTE_BLOCK | PP_ARM => trim_trailing_newlines(&text, n.text_range()),
            BLOCK if n.parent().is_some_and(|p| p.kind() != ROUTE_BLOCK) => n.text_range(),
            PP_IF => trim_trailing_newlines(&text, n.text_range()),
            _ => continue,
        };
        if multiline(r) {
            out.push(Fold {
                range: r,
                kind: FoldKind::Region,
            });
        }
    }
    // comment runs: `#`/`//` lines one after another, and block comments
    let mut run: Option<(TextRange, u32)> = None;
    let line_of = |o: kcfg_syntax::TextSize| text[..usize::from(o)].matches('\n').count() as u32;
    for t in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        match t.kind() {
            COMMENT => {
                let l = line_of(t.text_range().start());
                run = match run {
                    Some((r, last)) if l == last + 1 => Some((r.cover(t.text_range()), l)),
                    other => {
                        if let Some((r, _)) = other {
                            if multiline(r) {
                                out.push(Fold {
                                    range: r,
                                    kind: FoldKind::Comment,
                                });
                            }
                        }
                        Some((t.text_range(), l))
                    }
                };
            }
            BLOCK_COMMENT if multiline(t.text_range()) => out.push(Fold {
                range: t.text_range(),
                kind: FoldKind::Comment,
            }),
            WHITESPACE | NEWLINE => {}
            _ => {
                if let Some((r, _)) = run.take() {
                    if multiline(r) {
                        out.push(Fold {
                            range: r,
                            kind: FoldKind::Comment,
                        });
                    }
                }
            }
        }
    }
    if let Some((r, _)) = run {
        if multiline(r) {
            out.push(Fold {
                range: r,
                kind: FoldKind::Comment,
            });
        }
    }
    out.sort_by_key(|f| (f.range.start(), f.range.end()));
    out
}

fn trim_trailing_newlines(text: &str, r: TextRange) -> TextRange {
    let s = &text[r];
    let t = s.trim_end_matches(['\n', '\r', ' ', '\t']);
    TextRange::at(r.start(), kcfg_syntax::TextSize::from(t.len() as u32))
}

/// Token types, in the order of the legend the server announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SemanticTokenKind {
    Keyword,
    Comment,
    String,
    Number,
    /// pseudo-variables
    Variable,
    /// function calls
    Function,
    /// defines and preprocessor directives
    Macro,
    /// route names
    Namespace,
    /// core and module parameters
    Property,
    Operator,
}

impl SemanticTokenKind {
    /// All kinds, in legend order.
    pub const ALL: [SemanticTokenKind; 10] = [
        Self::Keyword,
        Self::Comment,
        Self::String,
        Self::Number,
        Self::Variable,
        Self::Function,
        Self::Macro,
        Self::Namespace,
        Self::Property,
        Self::Operator,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemanticToken {
    pub range: TextRange,
    pub kind: SemanticTokenKind,
}

pub(crate) fn semantic_tokens(db: &IdeDb, path: &Path) -> Vec<SemanticToken> {
    let Some(file) = util::file(db, path) else {
        return Vec::new();
    };
    let (c, _) = util::check_for(db, file);
    let root = db::parse(db, file).syntax_node();
    let mut out = Vec::new();
    for t in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        let k = t.kind();
        let parent = t.parent().map(|p| p.kind());
        let kind = match k {
            COMMENT | BLOCK_COMMENT => SemanticTokenKind::Comment,
            STRING | SQ_STRING => SemanticTokenKind::String,
            NUMBER if parent == Some(ROUTE_NAME) => SemanticTokenKind::Namespace,
            NUMBER => SemanticTokenKind::Number,
            PVAR => SemanticTokenKind::Variable,
            PP_KEYWORD | PP_NAME => SemanticTokenKind::Macro,
            IDENT | EVENT_ROUTE_NAME if parent == Some(ROUTE_NAME) => SemanticTokenKind::Namespace,
            IDENT if c.model.defines.contains_key(t.text()) => SemanticTokenKind::Macro,
            IDENT if parent == Some(CALL) => SemanticTokenKind::Function,
            IDENT
                if parent == Some(NAME_REF)
                    && util::enclosing_call(&t)
                        .and_then(|c| c.name())
                        .is_some_and(|n| n.kind() == ROUTE_KW) =>
            {
                SemanticTokenKind::Namespace
            }
            IDENT if parent == Some(GLOBAL_PARAM) || parent == Some(CFG_VAR) => {
                SemanticTokenKind::Property
            }
            k if util::is_keyword(k) => SemanticTokenKind::Keyword,
            k if is_operator(k) => SemanticTokenKind::Operator,
            _ => continue,
        };
        out.push(SemanticToken {
            range: t.text_range(),
            kind,
        });
    }
    out
}

fn is_operator(k: SyntaxKind) -> bool {
    matches!(
        k,
        EQ | PLUS_EQ
            | NEQ
            | MATCH
            | NOT_MATCH
            | GT
            | LT
            | GTE
            | LTE
            | BANG
            | TILDE
            | AMP
            | PIPE
            | CARET
            | SHL
            | SHR
            | PLUS
            | MINUS
            | STAR
            | SLASH
            | PERCENT
            | EQ2
            | AMP2
            | PIPE2
    )
}
