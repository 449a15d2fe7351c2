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

impl SubstRule {
    /// `subst_parser` on the directive's value (quotes already removed);
    /// `None` when Kamailio would reject it (reported elsewhere) or when the
    /// replacement needs a SIP message.
    pub(crate) fn parse(v: &str) -> Option<SubstRule> {
        let v = v.split('\0').next().unwrap_or("");
        let b = v.as_bytes();
        if b.len() < 3 || b[0] == b'\\' {
            return None;
        }
        let sep = b[0];
        let re_end = (1..b.len()).find(|&p| b[p] == sep && b[p - 1] != b'\\')?;
        let mut repl = Vec::new();
        let mut text = Vec::new();
        let mut p = re_end + 1;
        let mut escape = false;
        let close = loop {
            let &c = b.get(p)?;
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
                    b'u' => return None,
                    _ => text.push(c),
                }
            } else if c == b'\\' {
                escape = true;
            } else if c == b'$' {
                return None;
            } else if c == sep {
                break p;
            } else {
                text.push(c);
            }
            p += 1;
        };
        if !text.is_empty() {
            repl.push(Repl::Text(String::from_utf8(text).ok()?));
        }
        let (mut icase, mut newline, mut global) = (false, true, false);
        for &c in &b[close + 1..] {
            match c {
                b'i' => icase = true,
                b's' => newline = false,
                b'g' => global = true,
                _ => return None,
            }
        }
        let pattern = v.get(1..re_end)?;
        Some(SubstRule {
            #[cfg(unix)]
            re: Regex::new(pattern, icase, newline)?,
            repl,
            global,
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
