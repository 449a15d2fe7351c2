//! The library behind the `kcfg` binary.
//!
//! `main.rs` only parses the arguments ([`args`]) and turns a [`Status`]
//! into an exit code; everything else lives here so it can be tested
//! without spawning a process:
//!
//! - [`discover`] expands the command-line paths into the files to check;
//! - [`input`] reads them (with a size limit);
//! - [`check`] is the check pipeline: bytes → text → diagnostics. Later
//!   checks (semantic analysis, lint rules) plug in there;
//! - [`commands`] runs each subcommand against an [`Env`] (the standard
//!   streams and the terminal facts that decide colour).

pub mod args;
/// The check pipeline lives in the `kcfg-check` library (shared with the
/// language server); re-exported here under its old path.
pub use kcfg_check as check;
pub mod commands;
pub mod config;
pub mod define_sets;
pub mod discover;
pub mod docs;
pub mod input;
pub mod kemi;

use std::io::{self, Read, Write};

/// How a command ended; [`Status::code`] is the process exit code, as in
/// ruff: 0 clean, 1 findings, 2 usage or IO error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Nothing to report.
    Clean,
    /// Diagnostics were reported.
    Findings,
    /// A path could not be checked (missing, unreadable, too large, not a
    /// config), or the arguments were wrong.
    Error,
}

impl Status {
    /// The exit code: 0, 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            Status::Clean => 0,
            Status::Findings => 1,
            Status::Error => 2,
        }
    }
}

/// What a command talks to: standard streams and the facts that decide
/// whether to colour the output.
pub struct Env<'a> {
    /// Standard input (for the path `-`).
    pub stdin: &'a mut dyn Read,
    /// Diagnostics and other results.
    pub stdout: &'a mut dyn Write,
    /// Summaries, warnings and errors about the run itself.
    pub stderr: &'a mut dyn Write,
    /// Is standard output a terminal?
    pub stdout_is_terminal: bool,
    /// Is `NO_COLOR` set to a non-empty value?
    pub no_color: bool,
}

impl Env<'_> {
    /// Whether the human output gets ANSI colours under `choice`: `auto`
    /// colours only a terminal, and only when `NO_COLOR` is unset.
    pub fn use_color(&self, choice: args::ColorChoice) -> bool {
        match choice {
            args::ColorChoice::Always => true,
            args::ColorChoice::Never => false,
            args::ColorChoice::Auto => self.stdout_is_terminal && !self.no_color,
        }
    }
}

/// Write to a stream, treating a closed pipe (`kcfg check | head`) as
/// success: the reader has what it wanted.
pub(crate) fn emit(w: &mut dyn Write, text: &str) -> io::Result<()> {
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use args::ColorChoice::{Always, Auto, Never};

    fn with_env<R>(stdout_is_terminal: bool, no_color: bool, f: impl FnOnce(&Env<'_>) -> R) -> R {
        let (mut i, mut o, mut e) = (io::empty(), Vec::new(), Vec::new());
        let env = Env {
            stdin: &mut i,
            stdout: &mut o,
            stderr: &mut e,
            stdout_is_terminal,
            no_color,
        };
        f(&env)
    }

    #[test]
    fn color_only_on_a_terminal_without_no_color() {
        assert!(with_env(true, false, |e| e.use_color(Auto)));
        assert!(!with_env(true, true, |e| e.use_color(Auto)));
        assert!(!with_env(false, false, |e| e.use_color(Auto)));
        assert!(with_env(false, true, |e| e.use_color(Always)));
        assert!(!with_env(true, false, |e| e.use_color(Never)));
    }

    #[test]
    fn exit_codes() {
        assert_eq!(
            [Status::Clean, Status::Findings, Status::Error].map(Status::code),
            [0, 1, 2]
        );
    }

    #[test]
    fn broken_pipe_is_not_an_error() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        assert!(emit(&mut Closed, "x").is_ok());
    }
}
