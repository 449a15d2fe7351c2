//! Typed AST: zero-cost newtypes over [`SyntaxNode`]; every accessor returns
//! an `Option` or an iterator, because the tree may hold broken code.

use crate::SyntaxKind::{self, *};
use crate::{SyntaxNode, SyntaxToken};

pub trait AstNode: Sized {
    fn can_cast(kind: SyntaxKind) -> bool;
    fn cast(node: SyntaxNode) -> Option<Self>;
    fn syntax(&self) -> &SyntaxNode;
}

macro_rules! ast_node {
    ($(#[$m:meta])* $name:ident, $($kind:ident)|+) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            pub(crate) syntax: SyntaxNode,
        }
        impl AstNode for $name {
            fn can_cast(kind: SyntaxKind) -> bool {
                matches!(kind, $($kind)|+)
            }
            fn cast(node: SyntaxNode) -> Option<Self> {
                Self::can_cast(node.kind()).then(|| $name { syntax: node })
            }
            fn syntax(&self) -> &SyntaxNode {
                &self.syntax
            }
        }
    };
}

ast_node!(/// The whole file.
    SourceFile, SOURCE_FILE);
ast_node!(/// `name = value` at top level.
    GlobalParam, GLOBAL_PARAM);
ast_node!(/// `group.var = value [desc "..."]`.
    CfgVar, CFG_VAR);
ast_node!(LoadModule, LOADMODULE);
ast_node!(LoadPath, LOADPATH);
ast_node!(ModParam, MODPARAM);
ast_node!(/// Any route block.
    RouteBlock, ROUTE_BLOCK);
ast_node!(Block, BLOCK);
ast_node!(/// A function call, also `route(NAME)`.
    Call, CALL);
ast_node!(ArgList, ARG_LIST);
ast_node!(IfStmt, IF_STMT);
ast_node!(SwitchStmt, SWITCH_STMT);
ast_node!(CaseClause, CASE_CLAUSE);
ast_node!(WhileStmt, WHILE_STMT);
ast_node!(AssignStmt, ASSIGN_STMT);
ast_node!(/// `return`, `exit`, `drop`
    ReturnLike, RETURN_STMT | EXIT_STMT | DROP_STMT);
ast_node!(/// A string literal, maybe several adjacent `"..."` pieces.
    StringLit, STRING_LIT);
ast_node!(PvExpr, PV_EXPR);
ast_node!(/// `#!define NAME value`
    PpDefine, PP_DEFINE);
ast_node!(/// `include_file "x"` / `import_file "x"`
    PpInclude, PP_INCLUDE);
ast_node!(/// `#!ifdef X ... #!else ... #!endif`
    PpIf, PP_IF);
ast_node!(PpArm, PP_ARM);
ast_node!(/// Any expression node.
    Expr, BIN_EXPR | PREFIX_EXPR | CAST_EXPR | PAREN_EXPR | LITERAL | STRING_LIT | PV_EXPR | SELECT_EXPR | NAME_REF | IP_LIT | BUILTIN_EXPR | CALL);

fn first_token(node: &SyntaxNode, kind: SyntaxKind) -> Option<SyntaxToken> {
    node.children_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == kind)
}

fn children<N: AstNode>(node: &SyntaxNode) -> impl Iterator<Item = N> {
    node.children().filter_map(N::cast)
}

/// Nodes of type `N` anywhere below `node`, in order.
pub fn descendants<N: AstNode>(node: &SyntaxNode) -> impl Iterator<Item = N> {
    node.descendants().filter_map(N::cast)
}

impl SourceFile {
    /// Route blocks of the file, also those inside `#!ifdef` arms.
    pub fn route_blocks(&self) -> impl Iterator<Item = RouteBlock> {
        descendants(&self.syntax)
    }
    pub fn modparams(&self) -> impl Iterator<Item = ModParam> {
        descendants(&self.syntax)
    }
    pub fn loadmodules(&self) -> impl Iterator<Item = LoadModule> {
        descendants(&self.syntax)
    }
    pub fn global_params(&self) -> impl Iterator<Item = GlobalParam> {
        descendants(&self.syntax)
    }
    pub fn defines(&self) -> impl Iterator<Item = PpDefine> {
        descendants(&self.syntax)
    }
    pub fn includes(&self) -> impl Iterator<Item = PpInclude> {
        descendants(&self.syntax)
    }
}

impl GlobalParam {
    pub fn name(&self) -> Option<SyntaxToken> {
        self.syntax.first_token().filter(|t| t.kind() != COMMENT)
    }
    /// The value's text, as written.
    pub fn value_text(&self) -> Option<String> {
        self.syntax
            .children()
            .find(|n| n.kind() == PARAM_VALUE)
            .map(|n| n.text().to_string())
    }
}

/// Text of a string literal without quotes (escapes kept as written),
/// adjacent pieces joined like Kamailio joins them.
pub fn string_value(lit: &StringLit) -> String {
    let mut out = String::new();
    for t in lit
        .syntax
        .children_with_tokens()
        .filter_map(|e| e.into_token())
    {
        if matches!(t.kind(), STRING | SQ_STRING) {
            // the opening quote and the last character (the closing quote;
            // of an unterminated string, whatever it ends with, which may
            // be a multi-byte character)
            let mut inner = t.text().chars();
            inner.next();
            inner.next_back();
            out.push_str(inner.as_str());
        }
    }
    out
}

impl LoadModule {
    /// The module argument as written inside the quotes (`"tm.so"` → `tm.so`).
    pub fn path(&self) -> Option<String> {
        children::<StringLit>(&self.syntax)
            .next()
            .map(|s| string_value(&s))
            .or_else(|| {
                self.syntax
                    .children()
                    .find(|n| n.kind() == NAME_REF)
                    .map(|n| n.text().to_string())
            })
    }
}

impl ModParam {
    fn args(&self) -> Vec<SyntaxNode> {
        self.syntax
            .children()
            .find(|n| n.kind() == ARG_LIST)
            .map(|a| a.children().collect())
            .unwrap_or_default()
    }
    pub fn module(&self) -> Option<String> {
        self.args()
            .first()
            .and_then(|n| StringLit::cast(n.clone()))
            .map(|s| string_value(&s))
    }
    pub fn param(&self) -> Option<String> {
        self.args()
            .get(1)
            .and_then(|n| StringLit::cast(n.clone()))
            .map(|s| string_value(&s))
    }
    pub fn value(&self) -> Option<SyntaxNode> {
        self.args().get(2).cloned()
    }
}

/// Which kind of route block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// `route[NAME]`
    Route,
    /// `request_route` / `route` without a name
    Request,
    Failure,
    /// `onreply_route` / `reply_route` (core reply route when unnamed or named `0`)
    OnReply,
    Branch,
    OnSend,
    Event,
}

impl RouteKind {
    /// The kind of a route block from its keyword and whether it has a
    /// `[NAME]` (`route` without a name is the request route).
    pub fn of_keyword(keyword: SyntaxKind, has_name: bool) -> Option<RouteKind> {
        Some(match keyword {
            ROUTE_KW if has_name => RouteKind::Route,
            ROUTE_KW | REQUEST_ROUTE_KW => RouteKind::Request,
            FAILURE_ROUTE_KW => RouteKind::Failure,
            ONREPLY_ROUTE_KW | REPLY_ROUTE_KW => RouteKind::OnReply,
            BRANCH_ROUTE_KW => RouteKind::Branch,
            ONSEND_ROUTE_KW => RouteKind::OnSend,
            EVENT_ROUTE_KW => RouteKind::Event,
            _ => return None,
        })
    }
}

impl RouteBlock {
    pub fn keyword(&self) -> Option<SyntaxToken> {
        self.syntax.first_token()
    }
    pub fn name_node(&self) -> Option<SyntaxNode> {
        self.syntax.children().find(|n| n.kind() == ROUTE_NAME)
    }
    /// The route name without quotes, if the block has one.
    pub fn name(&self) -> Option<String> {
        let n = self.name_node()?;
        if let Some(s) = children::<StringLit>(&n).next() {
            return Some(string_value(&s));
        }
        n.children_with_tokens()
            .filter_map(|e| e.into_token())
            .find(|t| matches!(t.kind(), IDENT | NUMBER | EVENT_ROUTE_NAME))
            .map(|t| t.text().to_string())
    }
    pub fn kind(&self) -> Option<RouteKind> {
        RouteKind::of_keyword(self.keyword()?.kind(), self.name_node().is_some())
    }
    pub fn body(&self) -> Option<Block> {
        children(&self.syntax).next()
    }
}

impl Call {
    pub fn name(&self) -> Option<SyntaxToken> {
        self.syntax.first_token()
    }
    pub fn arg_list(&self) -> Option<ArgList> {
        children(&self.syntax).next()
    }
    pub fn args(&self) -> impl Iterator<Item = SyntaxNode> {
        self.arg_list()
            .into_iter()
            .flat_map(|a| a.syntax.children().collect::<Vec<_>>())
    }
}

impl AssignStmt {
    pub fn lhs(&self) -> Option<SyntaxNode> {
        self.syntax.children().next()
    }
    pub fn rhs(&self) -> Option<SyntaxNode> {
        self.syntax.children().nth(1)
    }
}

impl PvExpr {
    pub fn token(&self) -> Option<SyntaxToken> {
        first_token(&self.syntax, PVAR)
    }
}

impl PpDefine {
    pub fn name(&self) -> Option<SyntaxToken> {
        first_token(&self.syntax, PP_NAME)
    }
    pub fn body(&self) -> Option<SyntaxToken> {
        first_token(&self.syntax, PP_BODY)
    }
}

impl PpInclude {
    /// true for `import_file` (a missing file is not an error)
    pub fn is_import(&self) -> bool {
        first_token(&self.syntax, PP_KEYWORD).is_some_and(|t| t.text().contains("import_file"))
    }
    /// The path as written, without quotes.
    pub fn path(&self) -> Option<String> {
        let t = first_token(&self.syntax, PP_BODY)?;
        let s = t.text().trim();
        Some(s.trim_matches('"').trim_matches('\'').to_string())
    }
}

impl PpIf {
    pub fn arms(&self) -> impl Iterator<Item = PpArm> {
        children(&self.syntax)
    }
}

impl PpArm {
    /// The directive line that opens the arm (`#!ifdef X`, `#!else`).
    pub fn directive(&self) -> Option<SyntaxNode> {
        self.syntax.children().find(|n| n.kind() == PP_DIRECTIVE)
    }
}

ast_node!(/// `#!subst`, `#!substdef`, `#!substdefs`
    PpSubst, PP_SUBST);

impl PpSubst {
    /// The name and value a `#!substdef "!NAME!value!"` (or `substdefs`) also defines.
    pub fn defined_name_value(&self) -> Option<(String, String)> {
        let kw = first_token(&self.syntax, PP_KEYWORD)?;
        if !kw.text().contains("substdef") {
            return None;
        }
        let body = first_token(&self.syntax, PP_BODY)?;
        let inner = body.text().trim().trim_matches('"').trim_matches('\'');
        let delim = inner.chars().next()?;
        let mut parts = inner[delim.len_utf8()..].split(delim);
        let name = parts.next()?;
        let value = parts.next().unwrap_or("");
        (!name.is_empty()).then(|| (name.to_string(), value.to_string()))
    }

    /// The name a `#!substdef "!NAME!value!"` (or `substdefs`) also defines.
    pub fn defined_name(&self) -> Option<String> {
        let kw = first_token(&self.syntax, PP_KEYWORD)?;
        if !kw.text().contains("substdef") {
            return None;
        }
        let body = first_token(&self.syntax, PP_BODY)?;
        let inner = body.text().trim().trim_matches('"').trim_matches('\'');
        let delim = inner.chars().next()?;
        let name = inner[delim.len_utf8()..].split(delim).next()?;
        (!name.is_empty()).then(|| name.to_string())
    }
}
