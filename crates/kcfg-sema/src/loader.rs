//! How included files are read: the [`FileLoader`] trait, a file-system
//! implementation for the CLI and an in-memory one for tests and editors.

use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Reads the files that `include_file`/`import_file` name.
///
/// kcfg-sema decides *which* paths to try (see [`crate::Model::build`]);
/// the loader only reads them. A missing file must be reported as
/// [`io::ErrorKind::NotFound`], so the next candidate path is tried.
pub trait FileLoader {
    /// The text of the file at `path`.
    fn read(&self, path: &Path) -> io::Result<String>;

    /// A key that is the same for every path naming the same file, for
    /// include-cycle detection. The default normalises `.` and `..`
    /// lexically.
    fn canonical(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
}

/// Lexical normalisation: drops `.` components and resolves `..` against the
/// preceding component where there is one.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Reads real files (relative paths against the process's current
/// directory, like Kamailio). Files that are not UTF-8 are an
/// [`io::ErrorKind::InvalidData`] error.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsLoader;

impl FileLoader for FsLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        let bytes = std::fs::read(path)?;
        String::from_utf8(bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "not valid UTF-8 (bad byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    }

    fn canonical(&self, path: &Path) -> PathBuf {
        std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
    }
}

/// Files held in memory, keyed by normalised path (see [`normalize`]).
///
/// ```
/// use kcfg_sema::{FileLoader, MemoryLoader};
/// let mut files = MemoryLoader::new();
/// files.insert("etc/kamailio.cfg", "include_file \"routes.cfg\"\n");
/// assert!(files.read("./etc/kamailio.cfg".as_ref()).is_ok());
/// assert!(files.read("etc/nope.cfg".as_ref()).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    files: HashMap<PathBuf, String>,
}

impl MemoryLoader {
    /// No files.
    pub fn new() -> MemoryLoader {
        MemoryLoader::default()
    }

    /// Add or replace a file.
    pub fn insert(&mut self, path: impl AsRef<Path>, text: impl Into<String>) -> &mut Self {
        self.files.insert(normalize(path.as_ref()), text.into());
        self
    }
}

impl FileLoader for MemoryLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize(Path::new("./a/./b")), PathBuf::from("a/b"));
        assert_eq!(normalize(Path::new("a/../b")), PathBuf::from("b"));
        assert_eq!(normalize(Path::new("../a")), PathBuf::from("../a"));
        assert_eq!(normalize(Path::new("/x/y/../z")), PathBuf::from("/x/z"));
        assert_eq!(normalize(Path::new(".")), PathBuf::from("."));
    }
}
