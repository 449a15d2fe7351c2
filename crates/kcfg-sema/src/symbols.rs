//! The symbol table of a config: the names a config defines and uses beyond
//! routes and defines (which the model keeps itself): script variables
//! (`$var`, `$avp`, `$xavp`, `$dlg_var`, `$shv`), hash tables (`htable`
//! definitions, `$sht(table=>key)`, `sht_*` functions), message and branch
//! flags, and modparams.
//!
//! Every occurrence is recorded with its file, range and role (definition,
//! write or read), in the order the files are read. Lints ("read before
//! written"), the language server (goto, references, rename, completion) and
//! `kcfg graph` query it through [`Model::symbols`](crate::Model::symbols).
//!
//! A name is the text as written inside the PV (`x` in `$var(x)`, `s:x` is
//! kept as written); dynamic names (`$avp($var(n))`) are recorded with
//! [`Symbol::dynamic`] set, so they are never matched by name.

use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::{SyntaxKind, SyntaxNode, TextRange, TextSize};

use crate::diagnostic::FileIdx;

/// What kind of name a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SymbolKind {
    /// `$var(name)`: per process, kept between messages.
    Var,
    /// `$avp(name)`: per transaction.
    Avp,
    /// `$xavp(name=>field)`: the root name.
    Xavp,
    /// `$dlg_var(name)`: per dialog.
    DialogVar,
    /// `$shv(name)`: shared between processes.
    SharedVar,
    /// A hash table of the htable module.
    Htable,
    /// A message flag (`setflag`, `resetflag`, `isflagset`): the argument as written.
    Flag,
    /// A branch flag (`setbflag`, `resetbflag`, `isbflagset`).
    BranchFlag,
    /// `modparam("module", "name", ...)`: the name is `module.name`.
    ModParam,
}

impl SymbolKind {
    /// The PV class of a variable kind (`var` for [`SymbolKind::Var`]).
    pub fn pv_class(self) -> Option<&'static str> {
        Some(match self {
            SymbolKind::Var => "var",
            SymbolKind::Avp => "avp",
            SymbolKind::Xavp => "xavp",
            SymbolKind::DialogVar => "dlg_var",
            SymbolKind::SharedVar => "shv",
            SymbolKind::Htable => "sht",
            _ => return None,
        })
    }
}

/// How an occurrence uses the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Declares it (`modparam("htable", "htable", "t=>size=8")`, a modparam).
    Definition,
    /// Assigns it (left side of `=`, or a function that sets it).
    Write,
    /// Reads it.
    Read,
}

/// One occurrence of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    pub role: Role,
    pub file: FileIdx,
    /// The name itself when it can be pointed at (inside a PV token or a
    /// string), else the whole PV or argument.
    pub range: TextRange,
    /// The name is computed at run time (`$avp($var(n))`).
    pub dynamic: bool,
}

/// Every occurrence of the names of a config.
#[derive(Debug, Clone, Default)]
pub struct SymbolTable {
    symbols: Vec<Symbol>,
}

impl SymbolTable {
    /// All occurrences, in the order Kamailio reads the files.
    pub fn all(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The occurrences of one kind.
    pub fn of_kind(&self, kind: SymbolKind) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |s| s.kind == kind)
    }

    /// The occurrences of one name.
    pub fn named<'a>(
        &'a self,
        kind: SymbolKind,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Symbol> {
        self.symbols
            .iter()
            .filter(move |s| s.kind == kind && !s.dynamic && s.name == name)
    }

    /// The distinct static names of a kind, sorted.
    pub fn names(&self, kind: SymbolKind) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .of_kind(kind)
            .filter(|s| !s.dynamic)
            .map(|s| s.name.as_str())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The occurrence at `offset` in `file`, if any.
    pub fn at(&self, file: FileIdx, offset: TextSize) -> Option<&Symbol> {
        self.symbols
            .iter()
            .find(|s| s.file == file && s.range.contains_inclusive(offset))
    }

    /// Collect the symbols of one file's tree.
    pub(crate) fn collect(&mut self, file: FileIdx, root: &SyntaxNode) {
        for node in root.descendants() {
            match node.kind() {
                SyntaxKind::PV_EXPR => {
                    let write = node.parent().is_some_and(|p| {
                        p.kind() == SyntaxKind::ASSIGN_STMT
                            && ast::AssignStmt::cast(p)
                                .and_then(|a| a.lhs())
                                .is_some_and(|l| l == node)
                    });
                    for tok in node
                        .children_with_tokens()
                        .filter_map(|e| e.into_token())
                        .filter(|t| t.kind() == SyntaxKind::PVAR)
                    {
                        let role = if write { Role::Write } else { Role::Read };
                        self.pv(file, tok.text(), tok.text_range().start(), role);
                    }
                }
                SyntaxKind::STRING_LIT => {
                    for tok in node
                        .children_with_tokens()
                        .filter_map(|e| e.into_token())
                        .filter(|t| t.kind() == SyntaxKind::STRING)
                    {
                        let text = tok.text();
                        // the content between the quotes
                        let Some(content) = text.get(1..text.len().saturating_sub(1)) else {
                            continue;
                        };
                        let base = tok.text_range().start() + TextSize::from(1);
                        for pv in kcfg_syntax::pvar::scan_format(content) {
                            let at = base + TextSize::from(pv.start as u32);
                            self.pv(file, &content[pv.start..pv.end], at, Role::Read);
                        }
                    }
                }
                SyntaxKind::MODPARAM => {
                    if let Some(mp) = ast::ModParam::cast(node.clone()) {
                        self.modparam(file, &mp);
                    }
                }
                SyntaxKind::CALL => {
                    if let Some(call) = ast::Call::cast(node.clone()) {
                        self.call(file, &call);
                    }
                }
                _ => {}
            }
        }
    }

    fn push(&mut self, kind: SymbolKind, name: &str, role: Role, file: FileIdx, range: TextRange) {
        let dynamic = name.contains('$');
        self.symbols.push(Symbol {
            kind,
            name: name.to_string(),
            role,
            file,
            range,
            dynamic,
        });
    }

    /// A PV's text at `start`.
    fn pv(&mut self, file: FileIdx, text: &str, start: TextSize, role: Role) {
        let Ok(pv) = kcfg_syntax::pvar::parse_pv(text) else {
            return;
        };
        if let Some(inner) = pv.inner {
            // PVs inside the name (`$avp($var(n))`, `$sht(t=>$si)`) are read
            if inner.contains('$') {
                if let Some(open) = inner_offset(text, inner) {
                    for inner_pv in kcfg_syntax::pvar::scan_format(inner) {
                        let at = start + TextSize::from((open + inner_pv.start) as u32);
                        self.pv(file, &inner[inner_pv.start..inner_pv.end], at, Role::Read);
                    }
                }
            }
        }
        let kind = match pv.class {
            "var" => SymbolKind::Var,
            "avp" => SymbolKind::Avp,
            "xavp" => SymbolKind::Xavp,
            "dlg_var" => SymbolKind::DialogVar,
            "shv" => SymbolKind::SharedVar,
            "sht" => SymbolKind::Htable,
            _ => return,
        };
        let Some(inner) = pv.inner else { return };
        // `$sht(t=>k)`, `$xavp(root=>field)`: the name is before `=>`
        let name = match kind {
            SymbolKind::Htable | SymbolKind::Xavp => inner.split("=>").next().unwrap_or(inner),
            _ => inner,
        }
        .trim();
        let offset = inner_offset(text, name);
        let range = match offset {
            Some(o) => TextRange::at(start + TextSize::from(o as u32), TextSize::of(name)),
            None => TextRange::at(start, TextSize::of(text)),
        };
        self.push(kind, name, role, file, range);
    }

    fn modparam(&mut self, file: FileIdx, mp: &ast::ModParam) {
        let (Some(module), Some(param)) = (mp.module(), mp.param()) else {
            return;
        };
        let range = mp.syntax().text_range();
        self.push(
            SymbolKind::ModParam,
            &format!("{module}.{param}"),
            Role::Definition,
            file,
            range,
        );
        // modparam("htable", "htable", "name=>size=8;...")
        if module == "htable" && param == "htable" {
            if let Some(value) = mp.value() {
                let text = value.text().to_string();
                let unquoted = text.trim().trim_matches('"');
                if let Some(name) = unquoted.split("=>").next().map(str::trim) {
                    if !name.is_empty() {
                        let start = value.text_range().start();
                        let range = match text.find(name) {
                            Some(o) => {
                                TextRange::at(start + TextSize::from(o as u32), TextSize::of(name))
                            }
                            None => value.text_range(),
                        };
                        self.push(SymbolKind::Htable, name, Role::Definition, file, range);
                    }
                }
            }
        }
    }

    fn call(&mut self, file: FileIdx, call: &ast::Call) {
        let Some(name) = call.name() else { return };
        let kind_role = match name.text() {
            "setflag" => Some((SymbolKind::Flag, Role::Write)),
            "resetflag" => Some((SymbolKind::Flag, Role::Write)),
            "isflagset" => Some((SymbolKind::Flag, Role::Read)),
            "setbflag" | "resetbflag" => Some((SymbolKind::BranchFlag, Role::Write)),
            "isbflagset" => Some((SymbolKind::BranchFlag, Role::Read)),
            n if n.starts_with("sht_") => Some((
                SymbolKind::Htable,
                if matches!(
                    n,
                    "sht_print" | "sht_match_name" | "sht_has_name" | "sht_has_str_value"
                ) {
                    Role::Read
                } else {
                    Role::Write
                },
            )),
            _ => None,
        };
        let Some((kind, role)) = kind_role else {
            return;
        };
        let Some(arg) = call.args().next() else {
            return;
        };
        let range = arg.text_range();
        let text = arg.text().to_string();
        let name = text.trim().trim_matches('"');
        // `sht_rm_name_re("table=>re")`, `sht_lock("table=>key")`
        let name = match kind {
            SymbolKind::Htable => name.split("=>").next().unwrap_or(name).trim(),
            _ => name,
        };
        if name.is_empty() {
            return;
        }
        let range = match text.find(name) {
            Some(o) => TextRange::at(range.start() + TextSize::from(o as u32), TextSize::of(name)),
            None => range,
        };
        self.push(kind, name, role, file, range);
    }
}

/// Where `name` starts inside the PV text (after the class and `(`).
fn inner_offset(text: &str, name: &str) -> Option<usize> {
    let open = text.find('(')?;
    let rel = text[open + 1..].find(name)?;
    Some(open + 1 + rel)
}
