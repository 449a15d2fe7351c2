//! Script values and Kamailio's conversion rules (`src/core/rvalue.c`).

use std::fmt;

/// A value in the script: Kamailio's `pv_value_t` reduced to what the
/// interpreter needs. `Null` is `$null` / an unset PV.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Val {
    Null,
    Int(i64),
    Str(String),
}

impl Val {
    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
    /// String form (`""` for null).
    pub fn as_str(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Int(i) => i.to_string(),
            Val::Str(s) => s.clone(),
        }
    }
    /// Kamailio's `str2slong`: optional sign, decimal digits, nothing else
    /// (leading/trailing spaces are not allowed); `0x` hex is also taken.
    /// `None` is a conversion error.
    pub fn to_int(&self) -> Option<i64> {
        match self {
            Val::Null => Some(0),
            Val::Int(i) => Some(*i),
            Val::Str(s) => str2sint(s),
        }
    }
}

pub fn str2sint(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
        let v: i64 = digits.parse().ok()?;
        return Some(if neg { -v } else { v });
    }
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i64::from_str_radix(h, 16).ok();
    }
    None
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null => f.write_str("<null>"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Str(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn conversions() {
        assert_eq!(str2sint("12"), Some(12));
        assert_eq!(str2sint("-3"), Some(-3));
        assert_eq!(str2sint("0x1f"), Some(31));
        assert_eq!(str2sint(" 1"), None);
        assert_eq!(str2sint("1a"), None);
        assert_eq!(str2sint(""), None);
        assert_eq!(Val::Null.to_int(), Some(0));
    }
}
