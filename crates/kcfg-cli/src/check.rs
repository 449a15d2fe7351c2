//! The check pipeline: bytes → text → diagnostics.
//!
//! [`check_bytes`] is what `kcfg check` runs on every file; it decodes the
//! bytes and hands the text to [`check_source`], the place where further
//! checks (semantic analysis, lint rules) will be added.

use kcfg_diagnostics::{codes, Diagnostic, FileId, Files, SourceFile, TextRange, TextSize};

/// What a check is run for.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub version: kcfg_modules::KamailioVersion,
    /// `-D NAME[=VALUE]` names
    pub defines: Vec<String>,
    /// The directory of the checked file, where its relative includes are
    /// looked for (after the current directory, as Kamailio does). `None`
    /// for standard input.
    pub base_dir: Option<std::path::PathBuf>,
}

/// How deep includes are followed when collecting their defines.
const MAX_INCLUDE_DEPTH: usize = 64;

/// The names defined by the files that `text` includes, recursively.
/// `None` when an `include_file` cannot be read (then nobody knows what it
/// defines); a missing `import_file` is skipped, as Kamailio skips it.
pub fn include_defines(base_dir: Option<&std::path::Path>, text: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    collect_include_defines(base_dir, text, 0, &mut seen, &mut names).then_some(names)
}

fn collect_include_defines(
    base_dir: Option<&std::path::Path>,
    text: &str,
    depth: usize,
    seen: &mut std::collections::HashSet<std::path::PathBuf>,
    names: &mut Vec<String>,
) -> bool {
    use kcfg_syntax::ast::AstNode;
    let parse = kcfg_syntax::parse(text);
    let tree = parse.tree();
    let mut complete = true;
    for inc in tree.includes() {
        let Some(rel) = inc.path() else { continue };
        let rel = std::path::Path::new(&rel);
        let candidates = [Some(rel.to_path_buf()), base_dir.map(|d| d.join(rel))];
        let found = candidates.into_iter().flatten().find(|p| p.is_file());
        let Some(path) = found else {
            complete &= inc.is_import();
            continue;
        };
        let canon = path.canonicalize().unwrap_or(path.clone());
        if depth >= MAX_INCLUDE_DEPTH || !seen.insert(canon) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            complete = false;
            continue;
        };
        let inner = String::from_utf8_lossy(&bytes);
        let inner_tree = kcfg_syntax::parse(&inner).tree();
        for d in inner_tree.defines() {
            if let Some(n) = d.name() {
                match d.body() {
                    Some(v) => names.push(format!("{}={}", n.text(), v.text())),
                    None => names.push(n.text().to_string()),
                }
            }
        }
        // `#!substdef "!NAME!value!"` also defines NAME
        for n in kcfg_syntax::ast::descendants::<kcfg_syntax::ast::PpSubst>(inner_tree.syntax()) {
            if let Some((name, value)) = n.defined_name_value() {
                names.push(format!("{name}={value}"));
            }
        }
        complete &= collect_include_defines(path.parent(), &inner, depth + 1, seen, names);
    }
    complete
}

impl CheckOptions {
    /// The parse options for this Kamailio version: the core parameter names
    /// come from the knowledge base.
    pub fn parse_options(&self) -> kcfg_syntax::ParseOptions {
        let db = kcfg_modules::db(self.version);
        kcfg_syntax::ParseOptions {
            defines: self
                .defines
                .iter()
                .map(|d| d.split('=').next().unwrap_or(d).to_string())
                .collect(),
            core_params: Some(
                db.global_params()
                    .flat_map(|g| g.names.iter().map(|n| n.to_string()))
                    .collect(),
            ),
            includes_resolved: false,
        }
    }

    /// Parse options for `text`, with the defines of the files it includes.
    pub fn parse_options_for(&self, text: &str) -> kcfg_syntax::ParseOptions {
        let mut o = self.parse_options();
        if let Some(names) = include_defines(self.base_dir.as_deref(), text) {
            o.defines.extend(names);
            o.includes_resolved = true;
        }
        o
    }
}

/// Check a decoded file: its syntax errors (`KC001`) and the characters
/// Kamailio skips (`KC003`, warning).
pub fn check_source(file: FileId, source: &SourceFile, options: &CheckOptions) -> Vec<Diagnostic> {
    let parse = kcfg_syntax::parse_with(source.text(), &options.parse_options_for(source.text()));
    let mut out: Vec<Diagnostic> = parse
        .errors()
        .iter()
        .map(|e| Diagnostic::from_syntax_error(file, e, source.line_index()))
        .collect();
    out.extend(parse.warnings().iter().map(|w| {
        let mut d = Diagnostic::from_syntax_error(file, w, source.line_index());
        d.code = codes::SKIPPED_CHARACTER;
        d.severity = kcfg_diagnostics::Severity::Warning;
        d
    }));
    out
}

/// Add a file to `files` and check it.
///
/// Bytes that are not UTF-8 give a single `KC002` error at the first bad
/// byte (its line and column come from the valid text before it); the file
/// is stored with the bad bytes replaced by `�`, which keeps every offset
/// up to the error, so the snippet shows where it is.
pub fn check_bytes(
    files: &mut Files,
    path: impl Into<String>,
    bytes: &[u8],
    options: &CheckOptions,
) -> (FileId, Vec<Diagnostic>) {
    match kcfg_syntax::decode(bytes) {
        Ok(text) => {
            let file = files.add(path, text);
            (file, check_source(file, files.get(file), options))
        }
        Err(not_utf8) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let file = files.add(path, text);
            let at = TextSize::try_from(not_utf8.offset).unwrap_or(TextSize::from(u32::MAX));
            let d = Diagnostic::error(
                codes::NOT_UTF8,
                file,
                TextRange::empty(at),
                not_utf8.to_string(),
            )
            .with_help("save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)")
            .with_note("the rest of the file was not checked");
            (file, vec![d])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_file() {
        let mut files = Files::new();
        let (_, d) = check_bytes(
            &mut files,
            "k.cfg",
            b"request_route {\n\texit;\n}\n",
            &CheckOptions::default(),
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn syntax_error() {
        let mut files = Files::new();
        let (f, d) = check_bytes(
            &mut files,
            "k.cfg",
            b"request_route {\n\txlog(\"a\")\n\texit;\n}\n",
            &CheckOptions::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].code, d[0].file), ("KC001", f));
    }

    #[test]
    fn not_utf8_points_at_the_bad_byte() {
        let mut files = Files::new();
        let (f, d) = check_bytes(
            &mut files,
            "k.cfg",
            b"# ok\n# caf\xe9\n",
            &CheckOptions::default(),
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "KC002");
        assert_eq!(
            d[0].message,
            "the file is not valid UTF-8: bad byte at offset 10"
        );
        let p = files.get(f).position(d[0].range.start());
        assert_eq!((p.line, p.column, p.offset), (2, 6, 10));
    }
}
