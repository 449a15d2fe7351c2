//! Preprocessor defines: the table Kamailio keeps while it reads the file,
//! and what a name stands for after substitution.

use std::collections::BTreeMap;

use kcfg_syntax::TextRange;

use crate::diagnostic::FileIdx;

/// Where a define comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefineOrigin {
    /// `-D NAME[=VALUE]` / `-A NAME[=VALUE]` on the command line.
    CommandLine,
    /// A directive (`#!define`, `#!trydef`, `#!redefine`, `#!substdef`,
    /// `#!defenv`, ...) at `range` (the name) in `file`.
    Directive {
        /// the file of the directive
        file: FileIdx,
        /// the defined name
        range: TextRange,
    },
}

/// A defined name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Define {
    /// The name.
    pub name: String,
    /// The replacement text as written (trimmed; `""` for `#!define X`),
    /// or `None` when it is only known when Kamailio runs (`#!defenv`,
    /// `#!defexp`).
    pub value: Option<String>,
    /// Where it was defined.
    pub origin: DefineOrigin,
}

/// The defines in effect at some point of the file, in name order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Defines {
    map: BTreeMap<String, Define>,
    /// bumped by every change (the route memos intern the table only when
    /// it changed)
    generation: u64,
}

/// A constant a name or literal stands for after define substitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Const {
    /// a quoted string (quotes removed)
    Str(String),
    /// a number token
    Int(i64),
    /// a bare identifier that is not a define
    Ident(String),
}

impl Defines {
    pub(crate) fn get(&self, name: &str) -> Option<&Define> {
        self.map.get(name)
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    pub(crate) fn insert(&mut self, d: Define) {
        self.generation += 1;
        self.map.insert(d.name.clone(), d);
    }

    pub(crate) fn remove(&mut self, name: &str) {
        self.generation += 1;
        self.map.remove(name);
    }

    /// Changes when the table changes.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Names and values, in name order (what a lookup can see).
    pub(crate) fn snapshot(&self) -> Vec<(String, Option<String>)> {
        self.map
            .iter()
            .map(|(k, d)| (k.clone(), d.value.clone()))
            .collect()
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.map.keys().cloned().collect()
    }

    pub(crate) fn into_map(self) -> BTreeMap<String, Define> {
        self.map
    }

    pub(crate) fn to_map(&self) -> BTreeMap<String, Define> {
        self.map.clone()
    }

    /// What an identifier stands for: the define's value followed through
    /// other defines (as Kamailio's lexer re-reads a replacement), or the
    /// identifier itself when it is not defined. `None` when the value is
    /// not a single string, number or identifier, or not known.
    pub(crate) fn resolve_ident(&self, name: &str) -> Option<Const> {
        let mut cur = name.to_string();
        for _ in 0..32 {
            let Some(d) = self.map.get(&cur) else {
                return Some(Const::Ident(cur));
            };
            let v = d.value.as_deref()?.trim();
            if let Some(s) = unquote(v) {
                return Some(Const::Str(s.to_string()));
            }
            if let Some(n) = parse_number(v) {
                return Some(Const::Int(n));
            }
            if is_identifier(v) {
                cur = v.to_string();
                continue;
            }
            return None;
        }
        None
    }

    /// Whether a use of `name` may expand to several tokens separated by a
    /// comma (then an argument count cannot be known).
    pub(crate) fn may_contain_comma(&self, name: &str) -> bool {
        self.map
            .get(name)
            .is_some_and(|d| d.value.as_deref().is_none_or(|v| v.contains(',')))
    }
}

/// `"x"` → `x`, `'x'` → `x` (one literal only).
pub(crate) fn unquote(v: &str) -> Option<&str> {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            let inner = &v[1..v.len() - 1];
            if !inner.contains(q) {
                return Some(inner);
            }
        }
    }
    None
}

pub(crate) fn is_identifier(v: &str) -> bool {
    let mut chars = v.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A number as Kamailio's lexer reads it: decimal, `0x` hex, `0` octal,
/// `[01]+b` binary.
pub(crate) fn parse_number(t: &str) -> Option<i64> {
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    if let Some(b) = t.strip_suffix('b') {
        if !b.is_empty() && b.bytes().all(|c| c == b'0' || c == b'1') {
            return i64::from_str_radix(b, 2).ok();
        }
    }
    if t.len() > 1 && t.starts_with('0') && t.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
        return i64::from_str_radix(&t[1..], 8).ok();
    }
    if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
        return t.parse().ok();
    }
    None
}

/// `NAME` or `NAME=VALUE` from the command line.
pub(crate) fn parse_cli_define(s: &str) -> Define {
    let (name, value) = match s.split_once('=') {
        Some((n, v)) => (n.trim(), v.to_string()),
        None => (s.trim(), String::new()),
    };
    Define {
        name: name.to_string(),
        value: Some(value),
        origin: DefineOrigin::CommandLine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, value: &str) -> Define {
        Define {
            name: name.into(),
            value: Some(value.into()),
            origin: DefineOrigin::CommandLine,
        }
    }

    #[test]
    fn numbers_like_kamailio() {
        assert_eq!(parse_number("10"), Some(10));
        assert_eq!(parse_number("0x1f"), Some(31));
        assert_eq!(parse_number("010"), Some(8));
        assert_eq!(parse_number("101b"), Some(5));
        assert_eq!(parse_number("0"), Some(0));
        assert_eq!(parse_number("5060abc"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn resolve_through_defines() {
        let mut d = Defines::default();
        d.insert(def("A", "B"));
        d.insert(def("B", "\"tm.so\""));
        d.insert(def("N", "30"));
        d.insert(def("X", "1 + 2"));
        assert_eq!(d.resolve_ident("A"), Some(Const::Str("tm.so".into())));
        assert_eq!(d.resolve_ident("N"), Some(Const::Int(30)));
        assert_eq!(d.resolve_ident("Z"), Some(Const::Ident("Z".into())));
        assert_eq!(d.resolve_ident("X"), None);
        d.insert(def("L1", "L2"));
        d.insert(def("L2", "L1"));
        assert_eq!(d.resolve_ident("L1"), None);
    }

    #[test]
    fn cli_defines() {
        assert_eq!(parse_cli_define("WITH_AUTH").value.as_deref(), Some(""));
        let d = parse_cli_define("NH=\"sip:x\"");
        assert_eq!(
            (d.name.as_str(), d.value.as_deref()),
            ("NH", Some("\"sip:x\""))
        );
    }
}
