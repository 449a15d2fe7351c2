//! The executable form of a config: route bodies lowered from the syntax
//! tree once (defines substituted, `#!ifdef` arms chosen, PVs parsed), so
//! running a message walks small enums instead of the CST.

use std::collections::HashMap;
use std::sync::Arc;

use kcfg_sema::{Model, RouteTable};
use kcfg_syntax::ast::{self, AstNode};
use kcfg_syntax::pp::Directive;
use kcfg_syntax::pvar;
use kcfg_syntax::{SyntaxKind, SyntaxNode, TextRange};

/// Where a statement is: file path and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: u32,
}

impl serde::Serialize for Loc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `file:line` made on the stack (a timeline serialises up to 1,000
        // places per message), the same text as `to_string`
        let mut buf = [0u8; 128];
        match self.write_to(&mut buf) {
            Some(t) => s.serialize_str(t),
            None => s.serialize_str(&self.to_string()),
        }
    }
}

impl Loc {
    /// `file:line` (the [`std::fmt::Display`] text) in `buf`, if it fits.
    pub fn write_to<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        let f = self.file.as_bytes();
        let mut digits = [0u8; 10];
        let d = u32_digits(self.line, &mut digits);
        let n = f.len() + 1 + d.len();
        let out = buf.get_mut(..n)?;
        out[..f.len()].copy_from_slice(f);
        out[f.len()] = b':';
        out[f.len() + 1..].copy_from_slice(d);
        std::str::from_utf8(out).ok()
    }
}

/// The decimal digits of `v` (as `{v}` prints them), in `buf`.
pub fn u32_digits(mut v: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A transformation `{class.sub,params}`.
#[derive(Debug, Clone)]
pub struct Tr {
    pub class: String,
    pub sub: String,
    pub params: Vec<Fmt>,
}

/// A pseudo-variable reference.
#[derive(Debug, Clone)]
pub struct Pv {
    pub class: String,
    /// inner name, possibly with PVs inside (`$sht(t=>$si)`)
    pub inner: Option<Fmt>,
    pub index: Option<Fmt>,
    pub trs: Vec<Tr>,
    pub text: String,
}

/// A format string: literal text and PVs.
#[derive(Debug, Clone, Default)]
pub struct Fmt {
    pub parts: Vec<FmtPart>,
    pub raw: String,
}

#[derive(Debug, Clone)]
pub enum FmtPart {
    Lit(String),
    Pv(Box<Pv>),
}

impl Fmt {
    pub fn lit(s: &str) -> Fmt {
        Fmt {
            parts: vec![FmtPart::Lit(s.to_string())],
            raw: s.to_string(),
        }
    }
    pub fn parse(s: &str) -> Fmt {
        let mut parts = Vec::new();
        let mut last = 0;
        for e in pvar::scan_format(s) {
            if e.start > last {
                parts.push(FmtPart::Lit(s[last..e.start].to_string()));
            }
            match Pv::parse(&s[e.start..e.end]) {
                Some(pv) => parts.push(FmtPart::Pv(Box::new(pv))),
                None => parts.push(FmtPart::Lit(s[e.start..e.end].to_string())),
            }
            last = e.end;
        }
        if last < s.len() {
            parts.push(FmtPart::Lit(s[last..].to_string()));
        }
        Fmt {
            parts,
            raw: s.to_string(),
        }
    }
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, FmtPart::Lit(_)))
    }
}

impl Pv {
    pub fn parse(text: &str) -> Option<Pv> {
        let r = pvar::parse_pv(text).ok()?;
        Some(Pv {
            class: r.class.to_string(),
            inner: r.inner.map(Fmt::parse),
            index: r.index.map(Fmt::parse),
            trs: r
                .transforms
                .iter()
                .map(|t| Tr {
                    class: t.class.to_string(),
                    sub: t.sub.to_string(),
                    params: t.params.iter().map(|p| Fmt::parse(p)).collect(),
                })
                .collect(),
            text: text.to_string(),
        })
    }
    /// The inner name when it is static.
    pub fn static_inner(&self) -> Option<&str> {
        match &self.inner {
            Some(f) if f.is_static() => Some(f.raw.as_str()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    Eq,
    Ne,
    StrEq,
    StrNe,
    IEq,
    INe,
    Lt,
    Gt,
    Le,
    Ge,
    Match,
    And,
    Or,
}

#[derive(Debug, Clone)]
pub enum Expr {
    Int(i64),
    Str(Fmt),
    Pv(Box<Pv>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    BNot(Box<Expr>),
    IntCast(Box<Expr>),
    StrCast(Box<Expr>),
    Strlen(Box<Expr>),
    Strempty(Box<Expr>),
    Defined(Box<Expr>),
    Call(Box<Call>),
    /// a core keyword operand (`uri`, `method`, `src_ip`, `myself`, ...)
    Keyword(String),
    /// an IP literal (`1.2.3.4`, `10.0.0.0/8`)
    Ip(String),
    /// a select `@from.uri`
    Select(String),
    /// something the lowering did not understand
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct Call {
    /// shared: every call's timeline step names it
    pub name: Arc<str>,
    /// the arm of `call_inner` for `name`, found when the program is lowered
    pub func: crate::funcs::Func,
    pub args: Vec<Expr>,
    pub loc: Loc,
    /// `is_method("A|B")` with a literal list: its names, trimmed
    /// (`funcs::method_listed` on the list, done once)
    pub methods: Option<Box<[Box<str>]>>,
    /// `route(NAME)` with a literal name: the route's index in
    /// `Program::routes`, found on the first call (no lookup per call)
    pub route_idx: std::sync::OnceLock<Option<usize>>,
}

#[derive(Debug, Clone)]
pub enum AssignOp {
    Set,
    Add,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Expr(Expr),
    Assign(Box<Pv>, AssignOp, Expr),
    If(Expr, Vec<StmtL>, Vec<StmtL>),
    Switch(Expr, Vec<(Option<Expr>, Vec<StmtL>)>),
    While(Expr, Vec<StmtL>),
    Return(Option<Expr>),
    Exit,
    Drop,
    Break,
    /// a statement the lowering could not read (reported when executed)
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct StmtL {
    pub stmt: Stmt,
    pub loc: Loc,
}

/// One route block, lowered.
#[derive(Debug, Clone)]
pub struct RouteCode {
    pub table: RouteTable,
    pub name: Option<String>,
    /// shared: every run of the route names it in the timeline
    pub display: Arc<str>,
    pub body: Vec<StmtL>,
    pub loc: Loc,
}

/// A `modparam` value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamVal {
    Int(i64),
    Str(String),
}

/// The lowered config.
#[derive(Debug, Clone, Default)]
pub struct Program {
    /// shared, so running a route does not copy its code
    pub routes: Vec<std::sync::Arc<RouteCode>>,
    /// per table (`table_id`), name → index; unnamed request/reply routes
    /// are `""` (looked up by `&str`, no key built per `route()` call)
    pub index: [rustc_hash::FxHashMap<String, usize>; 6],
    /// core parameters (`listen` may repeat)
    pub globals: Vec<(String, String)>,
    /// (module, param) → values in order
    pub modparams: Vec<(String, String, ParamVal)>,
    pub modules: Vec<String>,
    pub defines: HashMap<String, Option<String>>,
    /// the regexes of the config's literal patterns (`=~ "..."`,
    /// `t_check_status`, `check_route_param`, `search`), compiled once when
    /// the program is lowered and shared by every `Runtime` of it (as
    /// Kamailio compiles them at start-up): see `Runtime::regex`
    pub regexes: Arc<RegexTable>,
}

/// The names of an `is_method` list: `list.split('|')`, each trimmed
/// (`funcs::method_listed` compares a method with each).
pub(crate) fn method_list(list: &str) -> Box<[Box<str>]> {
    list.split('|').map(|x| Box::from(x.trim())).collect()
}

/// Compiled regexes by pattern: `[case-sensitive, case-insensitive]`
/// (`None`: the pattern does not compile).
pub type RegexTable = [rustc_hash::FxHashMap<String, Option<Arc<regex::Regex>>>; 2];

/// The most regexes compiled when the program is lowered (more are
/// compiled when first used, as before).
const MAX_PRECOMPILED: usize = 4096;

/// The literal patterns of `routes`, compiled (see `Program::regexes`).
fn literal_regexes(routes: &[Arc<RouteCode>]) -> RegexTable {
    let mut t = RegexTable::default();
    fn add(t: &mut RegexTable, pat: String, icase: bool) {
        let m = &mut t[icase as usize];
        if m.len() >= MAX_PRECOMPILED || m.contains_key(&pat) {
            return;
        }
        let r = regex::RegexBuilder::new(&pat)
            .case_insensitive(icase)
            .build()
            .ok()
            .map(Arc::new);
        m.insert(pat, r);
    }
    fn lit(e: &Expr) -> Option<&str> {
        match e {
            Expr::Str(f) if f.is_static() => Some(f.raw.as_str()),
            _ => None,
        }
    }
    fn expr(t: &mut RegexTable, e: &Expr) {
        match e {
            Expr::Bin(op, a, b) => {
                if *op == BinOp::Match {
                    if let Some(p) = lit(b) {
                        add(t, p.to_string(), true);
                    }
                }
                expr(t, a);
                expr(t, b);
            }
            Expr::Not(a)
            | Expr::Neg(a)
            | Expr::BNot(a)
            | Expr::IntCast(a)
            | Expr::StrCast(a)
            | Expr::Strlen(a)
            | Expr::Strempty(a)
            | Expr::Defined(a) => expr(t, a),
            Expr::Call(c) => {
                let first = c.args.first().and_then(lit);
                match (&*c.name, first) {
                    ("t_check_status", Some(p)) => add(t, format!("^(?:{p})"), false),
                    ("check_route_param", Some(p)) => add(t, p.to_string(), false),
                    ("search", Some(p)) => add(t, p.to_string(), true),
                    _ => {}
                }
                for a in &c.args {
                    expr(t, a);
                }
            }
            Expr::Int(_)
            | Expr::Str(_)
            | Expr::Pv(_)
            | Expr::Keyword(_)
            | Expr::Ip(_)
            | Expr::Select(_)
            | Expr::Unknown(_) => {}
        }
    }
    fn block(t: &mut RegexTable, b: &[StmtL]) {
        for s in b {
            match &s.stmt {
                Stmt::Expr(e) | Stmt::Assign(_, _, e) | Stmt::Return(Some(e)) => expr(t, e),
                Stmt::If(c, a, b) => {
                    expr(t, c);
                    block(t, a);
                    block(t, b);
                }
                Stmt::Switch(e, arms) => {
                    expr(t, e);
                    for (c, b) in arms {
                        if let Some(c) = c {
                            expr(t, c);
                        }
                        block(t, b);
                    }
                }
                Stmt::While(c, b) => {
                    expr(t, c);
                    block(t, b);
                }
                Stmt::Return(None) | Stmt::Exit | Stmt::Drop | Stmt::Break | Stmt::Unknown(_) => {}
            }
        }
    }
    for r in routes {
        block(&mut t, &r.body);
    }
    t
}

pub fn table_id(t: RouteTable) -> u8 {
    match t {
        RouteTable::Request => 0,
        RouteTable::Failure => 1,
        RouteTable::OnReply => 2,
        RouteTable::Branch => 3,
        RouteTable::OnSend => 4,
        RouteTable::Event => 5,
    }
}

impl Program {
    pub fn route(&self, t: RouteTable, name: &str) -> Option<&RouteCode> {
        self.index[table_id(t) as usize]
            .get(name)
            .map(|&i| &*self.routes[i])
    }
    /// The route, shared (cheap to keep while the interpreter mutates state).
    pub fn route_rc(&self, t: RouteTable, name: &str) -> Option<std::sync::Arc<RouteCode>> {
        self.index[table_id(t) as usize]
            .get(name)
            .map(|&i| self.routes[i].clone())
    }
    pub fn modparam(&self, module: &str, param: &str) -> Option<&ParamVal> {
        self.modparams
            .iter()
            .rev()
            .find(|(m, p, _)| m == module && p.eq_ignore_ascii_case(param))
            .map(|(_, _, v)| v)
    }
    pub fn modparam_int(&self, module: &str, param: &str, default: i64) -> i64 {
        match self.modparam(module, param) {
            Some(ParamVal::Int(i)) => *i,
            Some(ParamVal::Str(s)) => s.trim().parse().unwrap_or(default),
            None => default,
        }
    }
    pub fn modparam_str(&self, module: &str, param: &str) -> Option<String> {
        match self.modparam(module, param) {
            Some(ParamVal::Int(i)) => Some(i.to_string()),
            Some(ParamVal::Str(s)) => Some(s.clone()),
            None => None,
        }
    }
    pub fn global(&self, name: &str) -> Option<&str> {
        self.globals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn has_module(&self, m: &str) -> bool {
        self.modules.iter().any(|x| x == m)
    }
}

struct Lower<'a> {
    defines: &'a HashMap<String, Option<String>>,
    file: Arc<str>,
    /// byte offsets of the file's line starts (a `Loc` is a binary search,
    /// not a count of newlines from the top: that was quadratic in big files)
    lines: &'a [usize],
}

/// Byte offsets where the lines of `text` start.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

fn unquote(v: &str) -> Option<String> {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        Some(unescape(&v[1..v.len() - 1], v.starts_with('"')))
    } else {
        None
    }
}

/// Kamailio's escapes in double-quoted strings.
fn unescape(s: &str, dq: bool) -> String {
    if !dq || !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\n') => {}
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

pub(crate) fn parse_int(t: &str) -> Option<i64> {
    let t = t.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    if let Some(b) = t.strip_suffix('b') {
        if !b.is_empty() && b.bytes().all(|c| c == b'0' || c == b'1') {
            return i64::from_str_radix(b, 2).ok();
        }
    }
    if t.len() > 1 && t.starts_with('0') && t.bytes().all(|c| c.is_ascii_digit()) {
        return i64::from_str_radix(&t[1..], 8).ok();
    }
    t.parse().ok()
}

impl Lower<'_> {
    fn loc(&self, n: &SyntaxNode) -> Loc {
        let off: usize = n.text_range().start().into();
        // the number of line starts at or before `off`
        let line = self.lines.partition_point(|&s| s <= off) as u32;
        Loc {
            file: self.file.clone(),
            line,
        }
    }

    /// What an identifier stands for after define substitution.
    fn ident(&self, name: &str) -> Expr {
        let mut cur = name.to_string();
        for _ in 0..32 {
            match self.defines.get(&cur) {
                None => break,
                Some(None) => return Expr::Str(Fmt::lit("")),
                Some(Some(v)) => {
                    let v = v.trim();
                    if let Some(s) = unquote(v) {
                        return Expr::Str(Fmt::parse(&s));
                    }
                    if let Some(i) = parse_int(v) {
                        return Expr::Int(i);
                    }
                    if v.starts_with('$') {
                        if let Some(pv) = Pv::parse(v) {
                            return Expr::Pv(Box::new(pv));
                        }
                    }
                    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                        cur = v.to_string();
                        continue;
                    }
                    return Expr::Str(Fmt::parse(v));
                }
            }
        }
        Expr::Keyword(cur)
    }

    fn block(&self, n: &SyntaxNode, out: &mut Vec<StmtL>) {
        for c in n.children() {
            self.stmt(&c, out);
        }
    }

    fn pp_if(&self, n: &SyntaxNode, out: &mut Vec<StmtL>) {
        let mut taking = false;
        for arm in n.children().filter(|c| c.kind() == SyntaxKind::PP_ARM) {
            let Some(dir) = arm
                .children()
                .find(|c| c.kind() == SyntaxKind::PP_DIRECTIVE)
            else {
                continue;
            };
            let kw = tok(&dir, SyntaxKind::PP_KEYWORD).unwrap_or_default();
            let name = tok(&dir, SyntaxKind::PP_NAME);
            let defined = name
                .as_deref()
                .is_some_and(|n| self.defines.contains_key(n));
            taking = match Directive::from_keyword(&kw) {
                Directive::IfDef => defined,
                Directive::IfNDef => !defined,
                Directive::IfExp => false,
                Directive::Else => !taking,
                _ => taking,
            };
            if taking {
                for c in arm.children() {
                    if c.kind() != SyntaxKind::PP_DIRECTIVE {
                        self.stmt(&c, out);
                    }
                }
            }
        }
    }

    fn stmt(&self, n: &SyntaxNode, out: &mut Vec<StmtL>) {
        use SyntaxKind::*;
        let loc = self.loc(n);
        let stmt = match n.kind() {
            PP_IF => return self.pp_if(n, out),
            PP_ARM => return self.block(n, out),
            BLOCK => return self.block(n, out),
            EMPTY_STMT | PP_DIRECTIVE | PP_DEFINE | PP_UNDEF | PP_SUBST | PP_DEFENV | PP_MARKER
            | PP_INCLUDE => return,
            EXPR_STMT => match n.children().next() {
                Some(e) => Stmt::Expr(self.expr(&e)),
                None => return,
            },
            CALL => Stmt::Expr(self.expr(n)),
            ASSIGN_STMT => {
                let a = ast::AssignStmt::cast(n.clone());
                let lhs = a.as_ref().and_then(|a| a.lhs());
                let rhs = a.as_ref().and_then(|a| a.rhs());
                let pv = lhs
                    .as_ref()
                    .filter(|l| l.kind() == PV_EXPR)
                    .and_then(|l| Pv::parse(l.text().to_string().trim()));
                let add = n.children_with_tokens().any(|e| e.kind() == PLUS_EQ);
                match (pv, rhs) {
                    (Some(pv), Some(rhs)) => Stmt::Assign(
                        Box::new(pv),
                        if add { AssignOp::Add } else { AssignOp::Set },
                        self.expr(&rhs),
                    ),
                    _ => Stmt::Unknown(n.text().to_string()),
                }
            }
            IF_STMT => {
                let mut cond = None;
                let mut then = Vec::new();
                let mut elses = Vec::new();
                for c in n.children() {
                    match c.kind() {
                        ELSE_BRANCH => elses.push(c),
                        _ if cond.is_none() => cond = Some(self.expr(&c)),
                        _ => self.stmt(&c, &mut then),
                    }
                }
                // `if {} else if {} else {}` is one IF_STMT with two
                // ELSE_BRANCH children: each one is the else of the
                // `else if` before it
                let mut els = Vec::new();
                self.else_chain(&elses, &mut els);
                Stmt::If(cond.unwrap_or(Expr::Int(0)), then, els)
            }
            SWITCH_STMT => {
                let mut val = None;
                let mut cases = Vec::new();
                for c in n.children() {
                    if c.kind() == BLOCK {
                        for cc in c.children().filter(|x| x.kind() == CASE_CLAUSE) {
                            let is_default =
                                cc.children_with_tokens().any(|e| e.kind() == DEFAULT_KW);
                            let mut label = None;
                            let mut body = Vec::new();
                            for (i, s) in cc.children().enumerate() {
                                if i == 0
                                    && !is_default
                                    && label.is_none()
                                    && !is_stmt_kind(s.kind())
                                {
                                    label = Some(self.expr(&s));
                                } else {
                                    self.stmt(&s, &mut body);
                                }
                            }
                            cases.push((if is_default { None } else { label }, body));
                        }
                    } else if val.is_none() {
                        val = Some(self.expr(&c));
                    }
                }
                Stmt::Switch(val.unwrap_or(Expr::Int(0)), cases)
            }
            WHILE_STMT => {
                let mut cond = None;
                let mut body = Vec::new();
                for c in n.children() {
                    if cond.is_none() {
                        cond = Some(self.expr(&c));
                    } else {
                        self.stmt(&c, &mut body);
                    }
                }
                Stmt::While(cond.unwrap_or(Expr::Int(0)), body)
            }
            RETURN_STMT => Stmt::Return(n.children().next().map(|e| self.expr(&e))),
            EXIT_STMT => Stmt::Exit,
            DROP_STMT => Stmt::Drop,
            BREAK_STMT => Stmt::Break,
            _ => Stmt::Unknown(n.text().to_string()),
        };
        out.push(StmtL { stmt, loc });
    }

    /// The else branches of an IF_STMT, in order: an `else if (...) body`
    /// takes the branches after it as its own else.
    fn else_chain(&self, branches: &[SyntaxNode], out: &mut Vec<StmtL>) {
        let Some((b, rest)) = branches.split_first() else {
            return;
        };
        if b.children_with_tokens()
            .any(|e| e.kind() == SyntaxKind::IF_KW)
        {
            self.if_like(b, rest, out);
        } else {
            for s in b.children() {
                self.stmt(&s, out);
            }
        }
    }

    /// The `if (...) body` inside an ELSE_BRANCH; `rest`: the ELSE_BRANCH
    /// siblings after it (its else, unless it holds its own).
    fn if_like(&self, n: &SyntaxNode, rest: &[SyntaxNode], out: &mut Vec<StmtL>) {
        let loc = self.loc(n);
        let mut cond = None;
        let mut then = Vec::new();
        let mut inner = Vec::new();
        for c in n.children() {
            match c.kind() {
                SyntaxKind::ELSE_BRANCH => inner.push(c),
                _ if cond.is_none() => cond = Some(self.expr(&c)),
                _ => self.stmt(&c, &mut then),
            }
        }
        inner.extend(rest.iter().cloned());
        let mut els = Vec::new();
        self.else_chain(&inner, &mut els);
        out.push(StmtL {
            stmt: Stmt::If(cond.unwrap_or(Expr::Int(0)), then, els),
            loc,
        });
    }

    fn expr(&self, n: &SyntaxNode) -> Expr {
        use SyntaxKind::*;
        match n.kind() {
            PAREN_EXPR => n
                .children()
                .next()
                .map(|c| self.expr(&c))
                .unwrap_or(Expr::Int(0)),
            LITERAL => {
                let t = n.text().to_string();
                parse_int(&t)
                    .map(Expr::Int)
                    .unwrap_or_else(|| self.ident(t.trim()))
            }
            STRING_LIT => {
                let mut s = String::new();
                for t in n.children_with_tokens().filter_map(|e| e.into_token()) {
                    match t.kind() {
                        STRING => {
                            let x = t.text();
                            s.push_str(&unescape(&x[1..x.len().saturating_sub(1).max(1)], true));
                        }
                        SQ_STRING => {
                            let x = t.text();
                            s.push_str(&x[1..x.len().saturating_sub(1).max(1)]);
                        }
                        _ => {}
                    }
                }
                Expr::Str(Fmt::parse(&s))
            }
            PV_EXPR => match Pv::parse(n.text().to_string().trim()) {
                Some(pv) => Expr::Pv(Box::new(pv)),
                None => Expr::Unknown(n.text().to_string()),
            },
            NAME_REF => self.ident(n.text().to_string().trim()),
            IP_LIT => Expr::Ip(n.text().to_string().trim().to_string()),
            SELECT_EXPR => Expr::Select(n.text().to_string()),
            CALL => {
                let c = ast::Call::cast(n.clone());
                let name = c
                    .as_ref()
                    .and_then(|c| c.name())
                    .map(|t| t.text().to_string())
                    .unwrap_or_default();
                let name = match self.ident(&name) {
                    Expr::Keyword(k) => k,
                    Expr::Str(f) => f.raw,
                    _ => name,
                };
                let args: Vec<Expr> = c
                    .map(|c| c.args().map(|a| self.arg(&a)).collect())
                    .unwrap_or_default();
                let func = crate::funcs::Func::of(&name);
                let methods = match (func, args.first()) {
                    (crate::funcs::Func::IsMethod, Some(Expr::Str(f))) if f.is_static() => {
                        Some(method_list(&f.raw))
                    }
                    _ => None,
                };
                Expr::Call(Box::new(Call {
                    func,
                    name: Arc::from(name),
                    methods,
                    args,
                    loc: self.loc(n),
                    route_idx: Default::default(),
                }))
            }
            PREFIX_EXPR => {
                let op = n
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| !t.kind().is_trivia())
                    .map(|t| t.kind());
                let inner = n
                    .children()
                    .next()
                    .map(|c| self.expr(&c))
                    .unwrap_or(Expr::Int(0));
                match op {
                    Some(BANG) | Some(NOT_KW) => Expr::Not(Box::new(inner)),
                    Some(MINUS) => match inner {
                        Expr::Int(i) => Expr::Int(-i),
                        e => Expr::Neg(Box::new(e)),
                    },
                    Some(TILDE) => Expr::BNot(Box::new(inner)),
                    _ => inner,
                }
            }
            CAST_EXPR => {
                let is_int = n.children_with_tokens().any(|e| e.kind() == INT_CAST);
                let inner = n
                    .children()
                    .next()
                    .map(|c| self.expr(&c))
                    .unwrap_or(Expr::Int(0));
                if is_int {
                    Expr::IntCast(Box::new(inner))
                } else {
                    Expr::StrCast(Box::new(inner))
                }
            }
            BUILTIN_EXPR => {
                let kw = n
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind().is_keyword())
                    .map(|t| t.kind());
                let arg = n
                    .descendants()
                    .skip(1)
                    .find(|c| c.kind() != ARG_LIST)
                    .map(|c| self.expr(&c))
                    .unwrap_or(Expr::Int(0));
                match kw {
                    Some(STRLEN_KW) => Expr::Strlen(Box::new(arg)),
                    Some(STREMPTY_KW) => Expr::Strempty(Box::new(arg)),
                    Some(DEFINED_KW) => Expr::Defined(Box::new(arg)),
                    _ => Expr::Unknown(n.text().to_string()),
                }
            }
            BIN_EXPR => {
                let kids: Vec<SyntaxNode> = n.children().collect();
                let op = n
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| !t.kind().is_trivia())
                    .map(|t| t.kind());
                let (Some(l), Some(r)) = (kids.first(), kids.get(1)) else {
                    return Expr::Unknown(n.text().to_string());
                };
                let op = match op {
                    Some(PLUS) => BinOp::Add,
                    Some(MINUS) => BinOp::Sub,
                    Some(STAR) => BinOp::Mul,
                    Some(SLASH) => BinOp::Div,
                    Some(MOD_KW) => BinOp::Mod,
                    Some(AMP) => BinOp::BAnd,
                    Some(PIPE) => BinOp::BOr,
                    Some(CARET) => BinOp::BXor,
                    Some(SHL) => BinOp::Shl,
                    Some(SHR) => BinOp::Shr,
                    Some(EQ2) | Some(EQ) => BinOp::Eq,
                    Some(NEQ) => BinOp::Ne,
                    Some(EQ_KW) => BinOp::StrEq,
                    Some(NE_KW) => BinOp::StrNe,
                    Some(IEQ_KW) => BinOp::IEq,
                    Some(INE_KW) => BinOp::INe,
                    Some(LT) => BinOp::Lt,
                    Some(GT) => BinOp::Gt,
                    Some(LTE) => BinOp::Le,
                    Some(GTE) => BinOp::Ge,
                    Some(MATCH) => BinOp::Match,
                    Some(AMP2) | Some(AND_KW) => BinOp::And,
                    Some(PIPE2) | Some(OR_KW) => BinOp::Or,
                    _ => return Expr::Unknown(n.text().to_string()),
                };
                Expr::Bin(op, Box::new(self.expr(l)), Box::new(self.expr(r)))
            }
            _ => Expr::Unknown(n.text().to_string()),
        }
    }

    /// A function argument: like an expression, but a bare name is a
    /// string (route names, flags given by define are numbers).
    fn arg(&self, n: &SyntaxNode) -> Expr {
        match n.kind() {
            SyntaxKind::NAME_REF => match self.ident(n.text().to_string().trim()) {
                Expr::Keyword(k) => Expr::Str(Fmt::lit(&k)),
                e => e,
            },
            _ => self.expr(n),
        }
    }
}

fn is_stmt_kind(k: SyntaxKind) -> bool {
    use SyntaxKind::*;
    matches!(
        k,
        EXPR_STMT
            | ASSIGN_STMT
            | IF_STMT
            | SWITCH_STMT
            | WHILE_STMT
            | RETURN_STMT
            | EXIT_STMT
            | DROP_STMT
            | BREAK_STMT
            | BLOCK
            | EMPTY_STMT
            | PP_IF
    )
}

fn tok(n: &SyntaxNode, k: SyntaxKind) -> Option<String> {
    n.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == k)
        .map(|t| t.text().to_string())
}

/// Lower the model's routes and read its parameters.
pub fn lower(model: &Model) -> Program {
    let defines: HashMap<String, Option<String>> = model
        .defines
        .iter()
        .map(|(k, d)| (k.clone(), d.value.clone()))
        .collect();
    let mut prog = Program {
        defines: defines.clone(),
        ..Default::default()
    };
    for m in &model.modules {
        if m.loaded {
            let name = m
                .arg
                .rsplit('/')
                .next()
                .unwrap_or(&m.arg)
                .trim_end_matches(".so")
                .to_string();
            prog.modules.push(name);
        }
    }
    // parameters: walk each file's top level with the final defines
    for f in model.files.iter() {
        if f.included_in_route {
            continue;
        }
        let lines = line_starts(&f.text);
        let lw = Lower {
            defines: &defines,
            file: Arc::from(f.path.display().to_string()),
            lines: &lines,
        };
        let root = f.parse.syntax_node();
        params_walk(&lw, &root, &mut prog);
    }
    // per file, once: its name, line starts and route blocks by range
    // (finding each route's block by a walk over the whole file was
    // O(routes × nodes): minutes for a config of 10,000 routes)
    type FileInfo = (Arc<str>, Vec<usize>, HashMap<TextRange, SyntaxNode>);
    let mut per_file: HashMap<usize, FileInfo> = HashMap::new();
    for r in &model.routes {
        let f = model.file(r.file);
        let (file, lines, blocks) = per_file.entry(r.file.0).or_insert_with(|| {
            let blocks = f
                .parse
                .syntax_node()
                .descendants()
                .filter(|n| n.kind() == SyntaxKind::ROUTE_BLOCK)
                .map(|n| (n.text_range(), n))
                .collect();
            (
                Arc::from(f.path.display().to_string()),
                line_starts(&f.text),
                blocks,
            )
        });
        let lw = Lower {
            defines: &defines,
            file: file.clone(),
            lines,
        };
        let node = blocks.get(&r.range).cloned();
        let mut body = Vec::new();
        if let Some(b) = node
            .as_ref()
            .and_then(|n| ast::RouteBlock::cast(n.clone()))
            .and_then(|b| b.body())
        {
            lw.block(b.syntax(), &mut body);
        }
        let key_name = match (&r.table, r.name.as_deref()) {
            (RouteTable::Request, None) | (RouteTable::Request, Some("0")) => String::new(),
            (RouteTable::Request, Some("DEFAULT_ROUTE")) => String::new(),
            (RouteTable::OnReply, None) | (RouteTable::OnReply, Some("0")) => String::new(),
            (_, n) => n.unwrap_or("").to_string(),
        };
        let loc = node.as_ref().map(|n| lw.loc(n)).unwrap_or(Loc {
            file: lw.file.clone(),
            line: 0,
        });
        let table = table_id(r.table) as usize;
        if let Some(&i) = prog.index[table].get(&key_name) {
            // unnamed onreply blocks append
            std::sync::Arc::make_mut(&mut prog.routes[i])
                .body
                .extend(body);
            continue;
        }
        prog.index[table].insert(key_name, prog.routes.len());
        prog.routes.push(std::sync::Arc::new(RouteCode {
            table: r.table,
            name: r.name.clone(),
            display: Arc::from(r.display()),
            body,
            loc,
        }));
    }
    prog.regexes = Arc::new(literal_regexes(&prog.routes));
    prog
}

fn params_walk(lw: &Lower<'_>, n: &SyntaxNode, prog: &mut Program) {
    use SyntaxKind::*;
    for c in n.children() {
        match c.kind() {
            PP_IF => {
                let mut taking = false;
                for arm in c.children().filter(|a| a.kind() == PP_ARM) {
                    let Some(dir) = arm.children().find(|x| x.kind() == PP_DIRECTIVE) else {
                        continue;
                    };
                    let kw = tok(&dir, PP_KEYWORD).unwrap_or_default();
                    let name = tok(&dir, PP_NAME);
                    let defined = name.as_deref().is_some_and(|n| lw.defines.contains_key(n));
                    taking = match Directive::from_keyword(&kw) {
                        Directive::IfDef => defined,
                        Directive::IfNDef => !defined,
                        Directive::IfExp => false,
                        Directive::Else => !taking,
                        _ => taking,
                    };
                    if taking {
                        params_walk(lw, &arm, prog);
                    }
                }
            }
            GLOBAL_PARAM => {
                if let Some(p) = ast::GlobalParam::cast(c.clone()) {
                    if let (Some(name), Some(v)) = (p.name(), p.value_text()) {
                        let v = v.trim();
                        let v = unquote(v).unwrap_or_else(|| match lw.ident(v) {
                            Expr::Str(f) => f.raw,
                            Expr::Int(i) => i.to_string(),
                            _ => v.to_string(),
                        });
                        prog.globals.push((name.text().to_string(), v));
                    }
                }
            }
            MODPARAM => {
                let args: Vec<SyntaxNode> = c
                    .children()
                    .find(|x| x.kind() == ARG_LIST)
                    .map(|a| a.children().collect())
                    .unwrap_or_default();
                let as_val = |n: &SyntaxNode| -> Option<ParamVal> {
                    match lw.arg(n) {
                        Expr::Int(i) => Some(ParamVal::Int(i)),
                        Expr::Str(f) => Some(ParamVal::Str(f.raw)),
                        _ => None,
                    }
                };
                if let (Some(m), Some(p), Some(v)) = (
                    args.first().and_then(as_val),
                    args.get(1).and_then(as_val),
                    args.get(2).and_then(as_val),
                ) {
                    let s = |x: ParamVal| match x {
                        ParamVal::Str(s) => s,
                        ParamVal::Int(i) => i.to_string(),
                    };
                    let m = s(m);
                    for module in m.split('|') {
                        prog.modparams
                            .push((module.to_string(), s(p.clone()), v.clone()));
                    }
                }
            }
            _ => {}
        }
    }
}
