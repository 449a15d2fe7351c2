//! From command-line paths to the list of files to check.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (the path `-`).
    Stdin,
    /// A file on disk.
    File(PathBuf),
}

/// A file to check, and the path to show for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where to read it from.
    pub source: Source,
    /// How to name it in diagnostics (`conf/kamailio.cfg`, `<stdin>`).
    pub display: String,
}

/// A command-line path that yields nothing to check.
#[derive(Debug)]
pub struct DiscoverError {
    /// The path concerned.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: DiscoverErrorKind,
}

/// What went wrong with a path.
#[derive(Debug)]
pub enum DiscoverErrorKind {
    /// It does not exist or cannot be inspected.
    Io(io::Error),
    /// Neither a file nor a directory (a socket, a device...).
    NotAFileOrDirectory,
    /// A directory without any `*.cfg` file.
    NoCfgFiles,
}

impl fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            DiscoverErrorKind::Io(e) => write!(f, "cannot read `{p}`: {e}"),
            DiscoverErrorKind::NotAFileOrDirectory => {
                write!(f, "`{p}` is neither a file nor a directory")
            }
            DiscoverErrorKind::NoCfgFiles => write!(f, "no `.cfg` files found in `{p}`"),
        }
    }
}

impl std::error::Error for DiscoverError {}

/// Expand command-line paths into files to check.
///
/// - `-` is standard input, shown as `stdin_name`;
/// - a file is checked whatever its name;
/// - a directory is searched recursively for `*.cfg` files, in sorted
///   order, skipping hidden directories (`.git`) and `target`, and files
///   that start with an INI section (the tls module's `tls.cfg`); symbolic
///   links to files are followed, to directories not (no cycles);
/// - no paths at all means the current directory, whose files are shown
///   without a `./` prefix.
///
/// A file reached twice is listed once. Paths that yield nothing are
/// returned as errors, after the targets found elsewhere.
pub fn discover(paths: &[PathBuf], stdin_name: &str) -> (Vec<Target>, Vec<DiscoverError>) {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    for path in paths {
        if path.as_os_str() == "-" {
            targets.push(Target {
                source: Source::Stdin,
                display: stdin_name.to_string(),
            });
            continue;
        }
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push(DiscoverError {
                    path: path.clone(),
                    kind: DiscoverErrorKind::Io(e),
                });
                continue;
            }
        };
        if meta.is_file() {
            targets.push(file_target(path.clone()));
        } else if meta.is_dir() {
            let before = targets.len();
            walk(path, &mut targets, &mut errors);
            if targets.len() == before {
                errors.push(DiscoverError {
                    path: path.clone(),
                    kind: DiscoverErrorKind::NoCfgFiles,
                });
            }
        } else {
            errors.push(DiscoverError {
                path: path.clone(),
                kind: DiscoverErrorKind::NotAFileOrDirectory,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    targets.retain(|t| t.source == Source::Stdin || seen.insert(t.display.clone()));
    (targets, errors)
}

fn file_target(path: PathBuf) -> Target {
    let shown = path.strip_prefix(".").unwrap_or(&path);
    let display = if shown.as_os_str().is_empty() {
        path.display().to_string()
    } else {
        shown.display().to_string()
    };
    Target {
        display,
        source: Source::File(path),
    }
}

/// Is this directory entry skipped by the walk?
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || name == "target"
}

fn walk(dir: &Path, targets: &mut Vec<Target>, errors: &mut Vec<DiscoverError>) {
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(DiscoverError {
                path: dir.to_path_buf(),
                kind: DiscoverErrorKind::Io(e),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            if !skipped_dir(&name) {
                walk(&path, targets, errors);
            }
        } else if name.ends_with(".cfg")
            && fs::metadata(&path).is_ok_and(|m| m.is_file())
            && !starts_with_ini_section(&path)
        {
            targets.push(file_target(path));
        }
    }
}

/// Does the file's first line that is not blank or a comment open an INI
/// section (`[server:default]`)? That is the tls module's `tls.cfg`
/// (Debian installs one beside kamailio.cfg), not a Kamailio config: a
/// kamailio.cfg never starts with `[`. Only the first 8 KiB are read.
fn starts_with_ini_section(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    if file.take(8 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    let mut in_block_comment = false;
    for line in text.lines() {
        let mut line = line.trim();
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    in_block_comment = false;
                    line = line[end + 2..].trim();
                }
                None => continue,
            }
        }
        if line.starts_with("/*") {
            match line.find("*/") {
                Some(end) => line = line[end + 2..].trim(),
                None => {
                    in_block_comment = true;
                    continue;
                }
            }
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        return line.starts_with('[');
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "").unwrap();
    }

    fn shown(targets: &[Target], root: &Path) -> Vec<String> {
        let prefix = format!("{}/", root.display());
        targets
            .iter()
            .map(|t| {
                t.display
                    .strip_prefix(&prefix)
                    .unwrap_or(&t.display)
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn walks_sorted_and_skips_hidden_and_target() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "b.cfg",
            "a.cfg",
            "sub/z.cfg",
            "sub/deeper/y.cfg",
            ".git/x.cfg",
            "target/t.cfg",
            "notes.txt",
            "c.cfg.bak",
        ] {
            touch(root, f);
        }
        let (targets, errors) = discover(&[root.to_path_buf()], "<stdin>");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            shown(&targets, root),
            ["a.cfg", "b.cfg", "sub/deeper/y.cfg", "sub/z.cfg"]
        );
    }

    /// Debian's /etc/kamailio holds the tls module's tls.cfg (INI
    /// sections) beside kamailio.cfg: a walk leaves it out, naming it
    /// checks it.
    #[test]
    fn walk_skips_ini_files_such_as_tls_cfg() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            (
                "kamailio.cfg",
                "#!KAMAILIO\n# [not a section]\nloadmodule \"tm.so\"\n",
            ),
            (
                "tls.cfg",
                "#\n# TLS\n\n[server:default]\nmethod = TLSv1.2+\n",
            ),
            ("tls2.cfg", "/* a\n [b] */\n// c\n  [client:default]\n"),
            ("local.cfg", "/* [x] */ $var(a) = 1;\n"),
            ("empty.cfg", ""),
        ];
        for (name, text) in files {
            fs::write(root.join(name), text).unwrap();
        }
        let (targets, errors) = discover(&[root.to_path_buf()], "<stdin>");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            shown(&targets, root),
            ["empty.cfg", "kamailio.cfg", "local.cfg"]
        );
        let (targets, _) = discover(&[root.join("tls.cfg")], "<stdin>");
        assert_eq!(targets.len(), 1);
    }

    #[test]
    fn explicit_files_stdin_duplicates_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "k.conf");
        touch(root, "empty/readme.txt");
        let k = root.join("k.conf");
        let paths = [
            k.clone(),
            PathBuf::from("-"),
            k.clone(),
            root.join("missing.cfg"),
            root.join("empty"),
        ];
        let (targets, errors) = discover(&paths, "<in>");
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].source, Source::File(k));
        assert_eq!(
            targets[1],
            Target {
                source: Source::Stdin,
                display: "<in>".into()
            }
        );
        assert_eq!(errors.len(), 2);
        assert!(matches!(errors[0].kind, DiscoverErrorKind::Io(_)));
        assert!(matches!(errors[1].kind, DiscoverErrorKind::NoCfgFiles));
        assert!(errors[1]
            .to_string()
            .starts_with("no `.cfg` files found in `"));
    }

    #[test]
    fn current_directory_has_no_dot_prefix() {
        assert_eq!(file_target(PathBuf::from("./a/b.cfg")).display, "a/b.cfg");
        assert_eq!(file_target(PathBuf::from("a/b.cfg")).display, "a/b.cfg");
        assert_eq!(
            file_target(PathBuf::from("/etc/k.cfg")).display,
            "/etc/k.cfg"
        );
    }
}
