//! Which rules run: `select`/`ignore` by code prefix or name, per-file ignores.

use std::path::Path;

use crate::RuleMeta;

/// A code prefix (`KC2`, `KC201`), a rule name (`string-concat-with-dot`)
/// or `ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// Parse a selector; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Selector, String> {
        let s = s.trim();
        let known = s == "ALL"
            || crate::RULES
                .iter()
                .any(|r| r.meta.code.starts_with(s) || r.meta.name == s)
            || (s.starts_with("KC") && s.len() >= 2 && s[2..].chars().all(|c| c.is_ascii_digit()));
        if s.is_empty() || !known {
            return Err(format!("unknown rule selector `{s}` (use a code prefix such as KC2 or KC201, a rule name, or ALL)"));
        }
        Ok(Selector(s.to_string()))
    }

    /// Whether the selector matches a rule. Longer prefixes are more specific.
    pub fn matches(&self, meta: &RuleMeta) -> bool {
        self.0 == "ALL" || meta.code.starts_with(&self.0) || meta.name == self.0
    }

    /// How specific the selector is (a name is as specific as a full code).
    fn specificity(&self) -> usize {
        if self.0 == "ALL" {
            0
        } else if self.0.starts_with("KC") {
            self.0.len()
        } else {
            5
        }
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Selection of lint rules (`kcfg.toml` `[lint]` and `kcfg check --select/--ignore`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Rules to run; empty means all.
    pub select: Vec<Selector>,
    /// Rules not to run.
    pub ignore: Vec<Selector>,
    /// `(glob, selectors)`: rules not to run in files whose path matches the
    /// glob (`*` any characters but `/`, `**` any, `?` one character; a
    /// pattern without `/` matches the file name).
    pub per_file_ignores: Vec<(String, Vec<Selector>)>,
}

impl Settings {
    /// Whether `meta` runs on the file at `path`. As in ruff, the most
    /// specific matching selector between `select` and `ignore` wins
    /// (`select = ["KC2"]`, `ignore = ["KC201"]` runs KC2xx but KC201).
    pub fn enabled(&self, meta: &RuleMeta, path: &Path) -> bool {
        let best = |v: &[Selector]| {
            v.iter()
                .filter(|s| s.matches(meta))
                .map(Selector::specificity)
                .max()
        };
        let sel = if self.select.is_empty() {
            Some(0)
        } else {
            best(&self.select)
        };
        let ign = best(&self.ignore);
        let on = match (sel, ign) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(i)) => s > i,
        };
        on && !self
            .per_file_ignores
            .iter()
            .any(|(glob, sels)| glob_matches(glob, path) && sels.iter().any(|s| s.matches(meta)))
    }
}

/// Whether `glob` matches `path` (see [`Settings::per_file_ignores`]).
pub fn glob_matches(glob: &str, path: &Path) -> bool {
    let p = path.to_string_lossy().replace('\\', "/");
    if !glob.contains('/') {
        let name = p.rsplit('/').next().unwrap_or(&p);
        return wildcard(glob.as_bytes(), name.as_bytes(), false);
    }
    // a relative pattern matches at any directory boundary
    let g = glob.trim_start_matches("./");
    if wildcard(g.as_bytes(), p.as_bytes(), true) {
        return true;
    }
    p.match_indices('/')
        .any(|(i, _)| wildcard(g.as_bytes(), &p.as_bytes()[i + 1..], true))
}

fn wildcard(g: &[u8], s: &[u8], slash_special: bool) -> bool {
    match g.first() {
        None => s.is_empty(),
        Some(b'*') if g.get(1) == Some(&b'*') => {
            let rest = g[2..].strip_prefix(b"/").unwrap_or(&g[2..]);
            (0..=s.len()).any(|i| wildcard(rest, &s[i..], slash_special))
        }
        Some(b'*') => (0..=s.len())
            .take_while(|&i| i == 0 || !(slash_special && s[i - 1] == b'/'))
            .any(|i| wildcard(&g[1..], &s[i..], slash_special)),
        Some(b'?') => !s.is_empty() && s[0] != b'/' && wildcard(&g[1..], &s[1..], slash_special),
        Some(c) => s.first() == Some(c) && wildcard(&g[1..], &s[1..], slash_special),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(code: &str) -> &'static RuleMeta {
        crate::RULES
            .iter()
            .find(|r| r.meta.code == code)
            .unwrap()
            .meta
    }

    #[test]
    fn selection_by_prefix_name_and_specificity() {
        let p = Path::new("/etc/kamailio/kamailio.cfg");
        let s = |v: &[&str]| {
            v.iter()
                .map(|x| Selector::parse(x).unwrap())
                .collect::<Vec<_>>()
        };
        let all = Settings::default();
        assert!(all.enabled(meta("KC201"), p));
        let st = Settings {
            select: s(&["KC2"]),
            ignore: s(&["KC201"]),
            ..Default::default()
        };
        assert!(!st.enabled(meta("KC201"), p));
        assert!(st.enabled(meta("KC202"), p));
        assert!(!st.enabled(meta("KC301"), p));
        let st = Settings {
            ignore: s(&["reply-without-exit"]),
            ..Default::default()
        };
        assert!(!st.enabled(meta("KC301"), p));
        assert!(st.enabled(meta("KC302"), p));
        let st = Settings {
            per_file_ignores: vec![("legacy/*.cfg".into(), s(&["KC3"]))],
            ..Default::default()
        };
        assert!(!st.enabled(meta("KC301"), Path::new("/x/legacy/a.cfg")));
        assert!(st.enabled(meta("KC301"), Path::new("/x/new/a.cfg")));
        assert!(st.enabled(meta("KC201"), Path::new("/x/legacy/a.cfg")));
        assert!(Selector::parse("nonsense-rule").is_err());
        assert!(Selector::parse("KC9").is_ok());
    }

    #[test]
    fn globs() {
        assert!(glob_matches("*.cfg", Path::new("/a/b/k.cfg")));
        assert!(!glob_matches("*.cfg", Path::new("/a/b/k.txt")));
        assert!(glob_matches("b/*.cfg", Path::new("/a/b/k.cfg")));
        assert!(!glob_matches("b/*.cfg", Path::new("/a/b/c/k.cfg")));
        assert!(glob_matches("b/**/*.cfg", Path::new("/a/b/c/k.cfg")));
        assert!(glob_matches("k?.cfg", Path::new("k1.cfg")));
    }
}
