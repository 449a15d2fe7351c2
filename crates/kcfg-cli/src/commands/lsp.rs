//! `kcfg lsp`: the language server over standard input/output
//! (`kcfg_lsp::run_stdio`).

use crate::args::LspArgs;
use crate::Status;

/// Serve LSP on the process's standard streams until the client says
/// `exit`. The protocol owns stdin/stdout (`main` calls this before it
/// locks them); errors go to stderr.
pub fn run(_args: &LspArgs) -> Status {
    match kcfg_lsp::run_stdio() {
        Ok(()) => Status::Clean,
        Err(e) => {
            eprintln!("kcfg: error: the language server failed: {e}");
            Status::Error
        }
    }
}
