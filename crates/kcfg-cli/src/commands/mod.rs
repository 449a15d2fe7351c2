//! The subcommands, each run against an [`Env`] (standard streams and terminal facts).

pub mod check;
pub mod docs;
pub mod expand;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod lsp;
pub mod run;
pub mod syntax_tree;
pub mod test;

use std::io;

use crate::discover::Source;
use crate::input::{read_file, read_limited, ReadError, MAX_FILE_SIZE};
use crate::Env;

/// Read a target's bytes (standard input or a file), within the size limit.
pub(crate) fn read_source(env: &mut Env<'_>, source: &Source) -> Result<Vec<u8>, ReadError> {
    match source {
        Source::Stdin => read_limited(&mut *env.stdin, MAX_FILE_SIZE),
        Source::File(path) => read_file(path, MAX_FILE_SIZE),
    }
}

/// Report a problem with the run itself on stderr: `kcfg: error: ...`.
pub(crate) fn report_error(env: &mut Env<'_>, message: impl std::fmt::Display) -> io::Result<()> {
    crate::emit(env.stderr, &format!("kcfg: error: {message}\n"))
}
