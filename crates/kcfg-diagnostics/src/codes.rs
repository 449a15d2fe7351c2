//! The diagnostic codes that are not lint rules. Codes never change meaning
//! and are never reused.

/// A syntax error reported by the parser (`kcfg_syntax::SyntaxError`).
pub const SYNTAX_ERROR: &str = "KC001";

/// The file is not valid UTF-8; it is located at the first bad byte.
pub const NOT_UTF8: &str = "KC002";

/// A character Kamailio's lexer does not know: Kamailio skips it silently (warning).
pub const SKIPPED_CHARACTER: &str = "KC003";
