//! `SyntaxKind`: the kinds of tokens and nodes of the kamailio.cfg CST.
//!
//! Tokens come first, then nodes. The logos token enum lives in `lexer.rs`
//! and is mapped to these kinds in one function (`lexer::map_token`).

#[allow(non_camel_case_types)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum SyntaxKind {
    // ---- trivia ----
    /// spaces, tabs, `\r`, form feed, backspace (Kamailio's EAT_ABLE)
    WHITESPACE = 0,
    /// `\n` (or `\r\n`)
    NEWLINE,
    /// `\` followed by a newline outside strings: Kamailio eats it
    LINE_CONTINUATION,
    /// `# ...` or `// ...` to the end of the line
    COMMENT,
    /// `/* ... */` (nests, like Kamailio's lexer)
    BLOCK_COMMENT,
    /// text of an `#!ifdef` arm that is not parsed because the arms of its
    /// group do not balance brackets (see `pp.rs`)
    INACTIVE_CODE,

    // ---- preprocessor line pieces ----
    /// `#!define`, `!!ifdef`, `#!KAMAILIO`, `include_file`, ...
    PP_KEYWORD,
    /// the identifier after `#!define`/`#!ifdef`/...
    PP_NAME,
    /// raw rest of a directive line (a define's value, a subst expression,
    /// an include path, an ifexp expression), continuation lines included
    PP_BODY,

    // ---- punctuation and operators ----
    L_PAREN,
    R_PAREN,
    L_BRACE,
    R_BRACE,
    L_BRACK,
    R_BRACK,
    COMMA,
    SEMICOLON,
    COLON,
    DOT,
    STAR,
    SLASH,
    PLUS,
    MINUS,
    /// `%`: not an operator in Kamailio (modulo is `mod`)
    PERCENT,
    /// `=`
    EQ,
    /// `+=` (a token in Kamailio's lexer, but no grammar rule uses it)
    PLUS_EQ,
    /// `==`
    EQ2,
    /// `!=`
    NEQ,
    /// `=~`
    MATCH,
    /// `!~` (not in Kamailio: a syntax error there)
    NOT_MATCH,
    GT,
    LT,
    GTE,
    LTE,
    /// `!`
    BANG,
    /// `~`
    TILDE,
    /// `&`
    AMP,
    /// `&&`
    AMP2,
    /// `|`
    PIPE,
    /// `||`
    PIPE2,
    /// `^`
    CARET,
    /// `<<`
    SHL,
    /// `>>`
    SHR,
    /// `@` (select mark)
    AT,
    /// `(int)`
    INT_CAST,
    /// `(str)`
    STR_CAST,

    // ---- literals ----
    /// decimal, hex (`0x`), octal (`0`), binary (`101b`) or a NUM_ID like `5060abc`
    NUMBER,
    /// `"..."` with escapes
    STRING,
    /// `'...'` without escapes
    SQ_STRING,
    /// an IPv6 address as Kamailio's lexer reads it (`::1`, `fe80::1`)
    IPV6,
    IDENT,
    /// a pseudo-variable, whole: `$ru`, `$var(x)`, `$(ru{uri.user})`, `$avp(s:x)`
    PVAR,
    /// the name inside `event_route[...]`, e.g. `tm:branch-failure:x`
    EVENT_ROUTE_NAME,

    // ---- keywords ----
    IF_KW,
    ELSE_KW,
    SWITCH_KW,
    CASE_KW,
    DEFAULT_KW,
    WHILE_KW,
    RETURN_KW,
    EXIT_KW,
    DROP_KW,
    BREAK_KW,
    /// `route`
    ROUTE_KW,
    REQUEST_ROUTE_KW,
    FAILURE_ROUTE_KW,
    ONREPLY_ROUTE_KW,
    REPLY_ROUTE_KW,
    BRANCH_ROUTE_KW,
    ONSEND_ROUTE_KW,
    EVENT_ROUTE_KW,
    LOADMODULE_KW,
    LOADMODULEX_KW,
    /// `loadpath` or `mpath`
    LOADPATH_KW,
    MODPARAM_KW,
    MODPARAMX_KW,
    CFGENGINE_KW,
    /// `desc` in `group.var = value desc "..."`
    DESC_KW,
    /// `and`
    AND_KW,
    /// `or`
    OR_KW,
    /// `not`
    NOT_KW,
    /// `mod`
    MOD_KW,
    /// `eq`
    EQ_KW,
    /// `ne`
    NE_KW,
    /// `ieq`
    IEQ_KW,
    /// `ine`
    INE_KW,
    DEFINED_KW,
    STRLEN_KW,
    STREMPTY_KW,
    SELVAL_KW,

    /// a character Kamailio's lexer does not know; Kamailio skips it (flex's
    /// default rule echoes it), so it is trivia here too, with a warning
    ERROR_TOKEN,
    EOF,

    // ---- nodes ----
    /// the whole file
    SOURCE_FILE,
    /// `name = value ...` at top level (core parameter)
    GLOBAL_PARAM,
    /// `group.var = value [desc "..."]` (cfg framework variable)
    CFG_VAR,
    /// value part of a global parameter
    PARAM_VALUE,
    /// `flags NAME:1, ...` / `avpflags NAME, ...`
    FLAGS_DECL,
    LOADMODULE,
    LOADPATH,
    MODPARAM,
    CFGENGINE,
    /// any route block
    ROUTE_BLOCK,
    /// `[name]` of a route block
    ROUTE_NAME,
    BLOCK,
    /// a function call statement or expression: `f(a, b)`, `route(X)`
    CALL,
    ARG_LIST,
    IF_STMT,
    ELSE_BRANCH,
    SWITCH_STMT,
    CASE_CLAUSE,
    WHILE_STMT,
    RETURN_STMT,
    EXIT_STMT,
    DROP_STMT,
    BREAK_STMT,
    /// `lhs = rhs;`
    ASSIGN_STMT,
    /// an expression used as a statement (`$x;` is not valid, but a call is)
    EXPR_STMT,
    /// a lone `;`
    EMPTY_STMT,
    BIN_EXPR,
    PREFIX_EXPR,
    /// `(int)x` / `(str)x`
    CAST_EXPR,
    PAREN_EXPR,
    LITERAL,
    /// adjacent double-quoted strings, which Kamailio joins: `"a" "b"`
    STRING_LIT,
    PV_EXPR,
    /// `@from.uri.user`
    SELECT_EXPR,
    /// a bare name in an expression: a define use, `myself`, `yes`, a core keyword operand
    NAME_REF,
    /// `1.2.3.4`, `1.2.3.4/24`
    IP_LIT,
    /// `strlen(x)`, `strempty(x)`, `defined x`, `selval(a,b,c)`
    BUILTIN_EXPR,
    /// `#!define NAME value` and friends
    PP_DEFINE,
    /// `#!undef NAME`
    PP_UNDEF,
    /// `#!subst`, `#!substdef`, `#!substdefs`
    PP_SUBST,
    /// `#!defenv`, `#!defenvs`, `#!trydefenv`, `#!trydefenvs`
    PP_DEFENV,
    /// `include_file "x"` / `import_file "x"`
    PP_INCLUDE,
    /// `#!KAMAILIO`, `#!SER`, `#!MAXCOMPAT`, ...
    PP_MARKER,
    /// `#!ifdef`/`#!ifndef`/`#!ifexp` ... `#!endif` with its arms
    PP_IF,
    /// one arm of a `PP_IF`: the directive line and the items or statements up to the next arm
    PP_ARM,
    /// a preprocessor line that is not a structural node at this position
    /// (e.g. `#!else` inside an expression, or of an unbalanced group)
    PP_DIRECTIVE,
    /// tokens the parser could not place
    ERROR,
}

use SyntaxKind::*;

impl SyntaxKind {
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            WHITESPACE
                | NEWLINE
                | LINE_CONTINUATION
                | COMMENT
                | BLOCK_COMMENT
                | INACTIVE_CODE
                | ERROR_TOKEN
        )
    }

    pub fn is_keyword(self) -> bool {
        (self as u16) >= (IF_KW as u16) && (self as u16) <= (SELVAL_KW as u16)
    }

    pub fn is_route_keyword(self) -> bool {
        matches!(
            self,
            ROUTE_KW
                | REQUEST_ROUTE_KW
                | FAILURE_ROUTE_KW
                | ONREPLY_ROUTE_KW
                | REPLY_ROUTE_KW
                | BRANCH_ROUTE_KW
                | ONSEND_ROUTE_KW
                | EVENT_ROUTE_KW
        )
    }

    pub fn is_pp_line_piece(self) -> bool {
        matches!(self, PP_KEYWORD | PP_NAME | PP_BODY)
    }

    /// A short human name for messages ("`;`", "identifier", ...).
    pub fn describe(self) -> &'static str {
        match self {
            L_PAREN => "`(`",
            R_PAREN => "`)`",
            L_BRACE => "`{`",
            R_BRACE => "`}`",
            L_BRACK => "`[`",
            R_BRACK => "`]`",
            COMMA => "`,`",
            SEMICOLON => "`;`",
            COLON => "`:`",
            DOT => "`.`",
            EQ => "`=`",
            NUMBER => "number",
            STRING | SQ_STRING => "string",
            IDENT => "identifier",
            PVAR => "pseudo-variable",
            EOF => "end of file",
            IPV6 => "IPv6 address",
            EVENT_ROUTE_NAME => "event route name",
            k if k.is_keyword() => "keyword",
            k if k.is_trivia() => "whitespace",
            PP_KEYWORD | PP_NAME | PP_BODY => "preprocessor directive",
            _ => "token",
        }
    }
}

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        Self(kind as u16)
    }
}

/// The rowan language tag for kamailio.cfg.
#[derive(Debug, Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KamailioLanguage {}

impl rowan::Language for KamailioLanguage {
    type Kind = SyntaxKind;
    fn kind_from_raw(raw: rowan::SyntaxKind) -> Self::Kind {
        assert!(raw.0 <= ERROR as u16, "bad SyntaxKind {}", raw.0);
        // SAFETY: SyntaxKind is repr(u16) and dense from 0 to ERROR.
        unsafe { std::mem::transmute::<u16, SyntaxKind>(raw.0) }
    }
    fn kind_to_raw(kind: Self::Kind) -> rowan::SyntaxKind {
        kind.into()
    }
}

pub type SyntaxNode = rowan::SyntaxNode<KamailioLanguage>;
pub type SyntaxToken = rowan::SyntaxToken<KamailioLanguage>;
pub type SyntaxElement = rowan::SyntaxElement<KamailioLanguage>;
