//! The files that diagnostics point into.

use kcfg_syntax::{LineIndex, TextSize, WideEncoding};

/// The index of a file in a [`Files`] map. `FileId::default()` is the first
/// file added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

impl FileId {
    /// This id once its map is [appended](Files::append) to another: moved
    /// up by the number `append` returned.
    pub fn shifted(self, by: u32) -> FileId {
        FileId(self.0 + by)
    }
}

/// A 1-based line and a 1-based column counted in characters (Unicode
/// scalar values), plus the 0-based byte offset it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// 0-based byte offset in the file.
    pub offset: u32,
}

/// A file as the renderers show it: its path as displayed to the user, its
/// text, and a line index over that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    path: String,
    text: String,
    line_index: LineIndex,
}

impl SourceFile {
    /// A file named `path` (as it should be displayed, e.g. `<stdin>`) with
    /// contents `text`.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_index = LineIndex::shared(&text);
        SourceFile {
            path: path.into(),
            text,
            line_index,
        }
    }

    /// The path as displayed.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The line index of the text.
    pub fn line_index(&self) -> &LineIndex {
        &self.line_index
    }

    /// The 1-based line and character column of a byte offset (clamped to
    /// the text).
    pub fn position(&self, offset: TextSize) -> Position {
        let offset = offset.min(TextSize::of(self.text.as_str()));
        let lc = self.line_index.line_col(offset);
        let wide = self.line_index.to_wide(WideEncoding::Utf32, lc);
        Position {
            line: lc.line + 1,
            column: wide.col + 1,
            offset: offset.into(),
        }
    }
}

/// The files of a run, indexed by [`FileId`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    /// An empty map.
    pub fn new() -> Files {
        Files::default()
    }

    /// Add a file and return its id.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.push(SourceFile::new(path, text))
    }

    /// Add an already built [`SourceFile`] and return its id.
    pub fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("more than 4 billion files"));
        self.files.push(file);
        id
    }

    /// Add all files of `other` after these, in their order; the ids of
    /// `other`'s files move up by the returned number (see
    /// [`FileId::shifted`]).
    pub fn append(&mut self, other: Files) -> u32 {
        let shift = u32::try_from(self.files.len()).expect("more than 4 billion files");
        self.files.extend(other.files);
        shift
    }

    /// The file of an id.
    ///
    /// # Panics
    ///
    /// If the id does not come from this map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// No files at all?
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The files with their ids, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_character_columns() {
        let f = SourceFile::new("x.cfg", "ab\n€x\n");
        assert_eq!(
            f.position(0.into()),
            Position {
                line: 1,
                column: 1,
                offset: 0
            }
        );
        // 'x' is after the 3-byte '€'
        assert_eq!(
            f.position(6.into()),
            Position {
                line: 2,
                column: 2,
                offset: 6
            }
        );
        // clamped to the end
        assert_eq!(
            f.position(100.into()),
            Position {
                line: 3,
                column: 1,
                offset: 8
            }
        );
    }

    #[test]
    fn file_map() {
        let mut files = Files::new();
        assert!(files.is_empty());
        let a = files.add("a.cfg", "");
        let b = files.push(SourceFile::new("<stdin>", "x"));
        assert_eq!((a, b), (FileId(0), FileId(1)));
        assert_eq!(files.get(b).path(), "<stdin>");
        assert_eq!(files.get(b).text(), "x");
        assert_eq!(files.len(), 2);
        assert_eq!(
            files.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            vec![a, b]
        );
    }

    #[test]
    fn appended_files_keep_their_order_with_shifted_ids() {
        let mut files = Files::new();
        files.add("a.cfg", "a");
        let mut other = Files::new();
        let x = other.add("x.cfg", "x");
        let y = other.add("y.cfg", "y");
        let shift = files.append(other);
        assert_eq!(shift, 1);
        assert_eq!(files.get(x.shifted(shift)).path(), "x.cfg");
        assert_eq!(files.get(y.shifted(shift)).text(), "y");
        assert_eq!(files.len(), 3);
    }
}
