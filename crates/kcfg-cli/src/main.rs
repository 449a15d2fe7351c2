//! `kcfg`: the checker for Kamailio's `kamailio.cfg`. This file only
//! parses the arguments, wires the standard streams and turns the
//! outcome into an exit code; the `kcfg_cli` library does the rest.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use kcfg_cli::args::{Cli, Command};
use kcfg_cli::{commands, Env, Status};

// A syntax tree is many small allocations; mimalloc serves them about twice
// as fast as glibc's malloc (docs/benchmarks.md, "Start-up and allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // clap exits with 2 on usage errors, 0 for --help and --version
    let cli = Cli::parse();
    // the language server owns the standard streams (they must not be locked here)
    if let Command::Lsp(args) = &cli.command {
        return ExitCode::from(commands::lsp::run(args).code());
    }
    // a one-shot command: the trees need not be freed before exit (not for the server)
    kcfg_cli::check::leak_trees_at_exit();
    let stdout = io::stdout();
    let stdout_is_terminal = stdout.is_terminal();
    let (mut stdin, mut stdout, mut stderr) =
        (io::stdin().lock(), stdout.lock(), io::stderr().lock());
    let mut env = Env {
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        stdout_is_terminal,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    let result = match &cli.command {
        Command::Check(args) => commands::check::run(args, &mut env),
        Command::Fmt(args) => commands::fmt::run(args, &mut env),
        Command::SyntaxTree(args) => commands::syntax_tree::run(args, &mut env),
        Command::Run(args) => commands::run::run(args, &mut env),
        Command::Test(args) => commands::test::run(args, &mut env),
        Command::Expand(args) => commands::expand::run(args, &mut env),
        Command::Graph(args) => commands::graph::run(args, &mut env),
        Command::Docs(args) => commands::docs::run(args, &mut env),
        Command::Lsp(_) => unreachable!("handled before the streams are locked"),
        Command::Explain(args) => commands::explain::run(args, &mut env),
    };
    let status = result.unwrap_or_else(|e| {
        eprintln!("kcfg: error: cannot write the output: {e}");
        Status::Error
    });
    ExitCode::from(status.code())
}
