//! `#!subst` / `#!substdef` applied to strings, as Kamailio's lexer does
//! (`pp_subst_run` in `cfg.lex`): every string literal read after a rule is
//! rewritten by each rule in turn (`subst_str` of `core/re.c`: POSIX extended
//! regex compiled by glibc's `regcomp`, `g` for every match, `\N` back
//! references, `\n \r \t \\ \$` escapes). Rules whose replacement holds a PV
//! or `\u` (values of a faked SIP message in Kamailio) are not applied: the
//! string keeps its written value.

/// One parsed `/regex/replacement/flags` rule.
pub(crate) struct SubstRule {
    #[cfg(unix)]
    re: Regex,
    repl: Vec<Repl>,
    global: bool,
}

enum Repl {
    Text(String),
    Group(usize),
}

/// A `/regex/replacement/flags` value split as Kamailio's `subst_parser`
/// (`core/re.c`) splits it: the first character is the separator (not
/// `\\`); the regex runs to the next separator not preceded by `\\`; the
/// replacement (`parse_repl`: `\\x` escapes, `$pv` specs) to the next
/// unescaped separator; then the flags `i`, `s`, `g`. The value ends at a
/// NUL, as Kamailio's `strlen` does. Shared by the check of the directive
/// (`exprs.rs`) and the rewriting of strings (here).
pub(crate) struct Split<'a> {
    /// the value up to its first NUL
    pub(crate) value: &'a str,
    /// index of the separator that ends the regex
    pub(crate) re_end: usize,
    /// index of the separator that ends the replacement
    pub(crate) close: usize,
    pub(crate) icase: bool,
    /// `REG_NEWLINE` (no `s` flag)
    pub(crate) newline: bool,
    pub(crate) global: bool,
}

/// Why [`split`] stopped; positions are byte offsets into the value.
pub(crate) enum SplitError<E> {
    TooShort,
    BackslashSeparator,
    NoRegexEnd,
    /// nothing after the separator at `re_end`
    NoReplacement {
        re_end: usize,
    },
    /// no separator ends the replacement that starts after `re_end`
    NoReplacementEnd {
        re_end: usize,
    },
    /// an unknown flag at this offset
    Flag(usize),
    /// what `pv` returned for a `$` in the replacement
    Pv(E),
}

impl Split<'_> {
    /// The regex, between the first two separators (`None` if that is not
    /// at char boundaries).
    pub(crate) fn regex(&self) -> Option<&str> {
        self.value.get(1..self.re_end)
    }
}

/// Split `value`; `pv(offset)` is called for each `$` of the replacement
/// and returns the length of the PV spec there (skipped, as `pv_parse_spec`
/// skips it) or an error that stops the split.
pub(crate) fn split<E>(
    value: &str,
    mut pv: impl FnMut(usize) -> Result<usize, E>,
) -> Result<Split<'_>, SplitError<E>> {
    let v = value.split('\0').next().unwrap_or("");
    let b = v.as_bytes();
    let len = b.len();
    if len < 3 {
        return Err(SplitError::TooShort);
    }
    let sep = b[0];
    if sep == b'\\' {
        return Err(SplitError::BackslashSeparator);
    }
    let Some(re_end) = (1..len).find(|&p| b[p] == sep && b[p - 1] != b'\\') else {
        return Err(SplitError::NoRegexEnd);
    };
    if len < re_end + 2 {
        return Err(SplitError::NoReplacement { re_end });
    }
    let mut p = re_end + 1;
    let mut escape = false;
    let close = loop {
        if p >= len {
            return Err(SplitError::NoReplacementEnd { re_end });
        }
        if escape {
            escape = false;
        } else if b[p] == b'\\' {
            escape = true;
        } else if b[p] == b'$' {
            p += pv(p).map_err(SplitError::Pv)?.max(1);
            continue;
        } else if b[p] == sep {
            break p;
        }
        p += 1;
    };
    let (mut icase, mut newline, mut global) = (false, true, false);
    for (i, &c) in b.iter().enumerate().skip(close + 1) {
        match c {
            b'i' => icase = true,
            b's' => newline = false,
            b'g' => global = true,
            _ => return Err(SplitError::Flag(i)),
        }
    }
    Ok(Split {
        value: v,
        re_end,
        close,
        icase,
        newline,
        global,
    })
}

impl SubstRule {
    /// The rule of a directive's value (quotes already removed); `None`
    /// when Kamailio would reject it (reported elsewhere) or when the
    /// replacement needs a SIP message (a PV).
    pub(crate) fn parse(v: &str) -> Option<SubstRule> {
        let parts = split(v, |_| Err(())).ok()?;
        let mut repl = Vec::new();
        let mut text = Vec::new();
        let mut escape = false;
        for &c in &parts.value.as_bytes()[parts.re_end + 1..parts.close] {
            if escape {
                escape = false;
                match c {
                    b'n' => text.push(b'\n'),
                    b'r' => text.push(b'\r'),
                    b't' => text.push(b'\t'),
                    b'0'..=b'9' => {
                        if !text.is_empty() {
                            repl.push(Repl::Text(
                                String::from_utf8(std::mem::take(&mut text)).ok()?,
                            ));
                        }
                        repl.push(Repl::Group(usize::from(c - b'0')));
                    }
                    // `\u`: the R-URI's user of the message
                    b'u' => return None,
                    _ => text.push(c),
                }
            } else if c == b'\\' {
                escape = true;
            } else {
                text.push(c);
            }
        }
        if !text.is_empty() {
            repl.push(Repl::Text(String::from_utf8(text).ok()?));
        }
        Some(SubstRule {
            #[cfg(unix)]
            re: Regex::new(parts.regex()?, parts.icase, parts.newline)?,
            repl,
            global: parts.global,
        })
    }

    /// The string after this rule, `None` when nothing matched (or on
    /// Kamailio's "empty match" error, which also leaves the string as it is).
    #[cfg(unix)]
    pub(crate) fn apply(&self, input: &str) -> Option<String> {
        let input = input.split('\0').next().unwrap_or("");
        let groups = self
            .repl
            .iter()
            .map(|r| match r {
                Repl::Group(n) => *n,
                Repl::Text(_) => 0,
            })
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        let mut rest = input;
        let mut not_bol = false;
        let mut matched = false;
        while let Some(m) = self.re.exec(rest, groups + 1, not_bol) {
            let (s, e) = m[0]?;
            if s == e {
                return None;
            }
            out.push_str(rest.get(..s)?);
            for r in &self.repl {
                match r {
                    Repl::Text(t) => out.push_str(t),
                    Repl::Group(n) => {
                        if let Some(Some((gs, ge))) = m.get(*n) {
                            out.push_str(rest.get(*gs..*ge)?);
                        }
                    }
                }
            }
            matched = true;
            not_bol = !matches!(rest.as_bytes()[e - 1], b'\n' | b'\r');
            rest = rest.get(e..)?;
            if !self.global {
                break;
            }
        }
        if !matched {
            return None;
        }
        out.push_str(rest);
        Some(out)
    }

    #[cfg(not(unix))]
    pub(crate) fn apply(&self, _input: &str) -> Option<String> {
        None
    }
}

/// Every rule in turn, as `pp_subst_run`.
pub(crate) fn apply_all(rules: &[SubstRule], s: String) -> String {
    rules.iter().fold(s, |acc, r| r.apply(&acc).unwrap_or(acc))
}

/// A compiled glibc regex, freed on drop.
#[cfg(unix)]
struct Regex(Box<libc::regex_t>);

#[cfg(unix)]
impl Regex {
    fn new(pattern: &str, icase: bool, newline: bool) -> Option<Regex> {
        let c = std::ffi::CString::new(pattern).ok()?;
        let flags = libc::REG_EXTENDED
            | if icase { libc::REG_ICASE } else { 0 }
            | if newline { libc::REG_NEWLINE } else { 0 };
        // SAFETY: regex_t is plain data that regcomp initialises; on failure
        // nothing is allocated and the box is dropped without regfree.
        unsafe {
            let mut r: Box<libc::regex_t> = Box::new(std::mem::zeroed());
            if libc::regcomp(&mut *r, c.as_ptr(), flags) != 0 {
                return None;
            }
            Some(Regex(r))
        }
    }

    /// `regexec` with `n` match slots: the byte ranges of the groups.
    fn exec(&self, s: &str, n: usize, not_bol: bool) -> Option<Vec<Option<(usize, usize)>>> {
        let c = std::ffi::CString::new(s).ok()?;
        let mut m = vec![
            libc::regmatch_t {
                rm_so: -1,
                rm_eo: -1
            };
            n
        ];
        let flags = if not_bol { libc::REG_NOTBOL } else { 0 };
        // SAFETY: the regex was compiled by regcomp; `m` has `n` slots; the
        // input is a NUL-terminated C string alive for the call.
        let rc = unsafe { libc::regexec(&*self.0, c.as_ptr(), n, m.as_mut_ptr(), flags) };
        if rc != 0 {
            return None;
        }
        Some(
            m.iter()
                .map(|g| (g.rm_so >= 0).then_some((g.rm_so as usize, g.rm_eo as usize)))
                .collect(),
        )
    }
}

#[cfg(unix)]
impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: compiled by regcomp in `new`, freed once.
        unsafe { libc::regfree(&mut *self.0) }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn run(rule: &str, s: &str) -> Option<String> {
        SubstRule::parse(rule)?.apply(s)
    }

    #[test]
    fn first_match_or_every_match() {
        assert_eq!(run("/a/b/", "aaa").as_deref(), Some("baa"));
        assert_eq!(run("/a/b/g", "aaa").as_deref(), Some("bbb"));
        assert_eq!(run("/x/y/", "aaa"), None);
    }

    #[test]
    fn back_references_escapes_and_case() {
        assert_eq!(
            run("/^sip:([a-z]+)@/tel:\\1;/", "sip:alice@x").as_deref(),
            Some("tel:alice;x")
        );
        assert_eq!(
            run("!HOST!a\\!b!gi", "host.host").as_deref(),
            Some("a!b.a!b")
        );
        assert_eq!(run("/X/\\t/", "aXb").as_deref(), Some("a\tb"));
        // `^` anchors only at the start: with `g` the second round is not at a line start
        assert_eq!(run("/^a/b/g", "aa").as_deref(), Some("ba"));
    }

    #[test]
    fn rules_needing_a_message_are_not_applied() {
        assert!(SubstRule::parse("/a/$ru/").is_none());
        assert!(SubstRule::parse("/a/\\u/").is_none());
        assert!(SubstRule::parse("/a(/b/").is_none());
        assert!(SubstRule::parse("/a/b/q").is_none());
    }

    #[test]
    fn applied_in_order() {
        let rules = vec![
            SubstRule::parse("/REPLACEME/tm/").unwrap(),
            SubstRule::parse("/tm/sl/").unwrap(),
        ];
        assert_eq!(apply_all(&rules, "REPLACEME.so".into()), "sl.so");
        assert_eq!(apply_all(&rules, "xlog.so".into()), "xlog.so");
    }
}
