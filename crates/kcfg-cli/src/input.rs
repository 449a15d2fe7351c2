//! Reading the files to check, with a size limit.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest file kcfg reads: 64 MiB. Real configs are a few hundred KiB;
/// anything larger is a mistake (a log file, a disk image), and is refused
/// before it is read.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system said no.
    Io(io::Error),
    /// Larger than the limit; `size` when it is known up front.
    TooLarge { size: Option<u64>, limit: u64 },
    /// A directory, a device, a socket...
    NotAFile,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge {
                size: Some(size),
                limit,
            } => {
                write!(
                    f,
                    "the file is too large to check ({}; the limit is {})",
                    human_size(*size),
                    human_size(*limit)
                )
            }
            ReadError::TooLarge { size: None, limit } => {
                write!(
                    f,
                    "the input is too large to check (the limit is {})",
                    human_size(*limit)
                )
            }
            ReadError::NotAFile => write!(f, "not a regular file"),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Sizes the way people read them: `512 bytes`, `70.0 MiB`.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    match bytes {
        b if b >= GIB => format!("{:.1} GiB", b as f64 / GIB as f64),
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b if b >= KIB => format!("{:.1} KiB", b as f64 / KIB as f64),
        b => format!("{b} bytes"),
    }
}

/// Read all of `reader`, but never more than `limit` bytes.
pub fn read_limited(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(buf)
}

/// Read a file, refusing anything that is not a regular file or is larger
/// than `limit` (checked before reading, and again while reading, in case
/// the file grows).
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    // look before opening: opening a FIFO would block
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    read_limited(File::open(path)?, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_reads() {
        assert_eq!(read_limited(&b"abc"[..], 3).unwrap(), b"abc");
        assert!(matches!(
            read_limited(&b"abcd"[..], 3),
            Err(ReadError::TooLarge {
                size: None,
                limit: 3
            })
        ));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(10), "10 bytes");
        assert_eq!(human_size(2048), "2.0 KiB");
        assert_eq!(human_size(MAX_FILE_SIZE), "64.0 MiB");
        assert_eq!(human_size(3 << 30), "3.0 GiB");
    }

    #[test]
    fn too_large_file_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.cfg");
        File::create(&p).unwrap().set_len(100).unwrap();
        let e = read_file(&p, 10).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the file is too large to check (100 bytes; the limit is 10 bytes)"
        );
        assert!(matches!(
            read_file(dir.path(), 10),
            Err(ReadError::NotAFile)
        ));
    }
}
