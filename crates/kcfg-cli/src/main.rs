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
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

// mimalloc 3 commits its first arena eagerly on Linux (`arena_eager_commit`
// = 2: "on systems with overcommit"), and the kernel then backs 4 MiB or more
// of it before the first allocation is used: `kcfg --version` had 10 MiB of
// RSS, `kcfg check` of the stock config 17.7 MiB. Committing on demand gives
// 4.6 and 8.9 MiB at the same instruction count (docs/benchmarks.md,
// "Peak memory of a stock-config check"). The option must be set before the
// first allocation reserves the arena, so this runs as an ELF constructor,
// before `main` and before anything of std allocates.
#[used]
#[link_section = ".init_array"]
static MIMALLOC_OPTIONS: extern "C" fn() = commit_on_demand;

extern "C" fn commit_on_demand() {
    extern "C" {
        // libmimalloc-sys links mimalloc statically; `mi_option_t` is a C enum
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // `mi_option_arena_eager_commit` in mimalloc 3's include/mimalloc.h
    const MI_OPTION_ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
    // `mi_option_arena_reserve` (in KiB): the first arena 64 MiB instead of
    // 1 GiB. mimalloc writes the bitmaps of an arena when it reserves it,
    // about 40 pages for 1 GiB: a tenth of the page faults of `kcfg
    // --version`. Later arenas grow (twice the size every 8 arenas), so a
    // large input still takes few of them.
    const MI_OPTION_ARENA_RESERVE: std::ffi::c_int = 23;
    // SAFETY: plain setters of global options; mimalloc reads them when it
    // reserves an arena, which has not happened yet at this point
    unsafe {
        mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0);
        mi_option_set(MI_OPTION_ARENA_RESERVE, 64 * 1024);
    }
}

fn main() -> ExitCode {
    // clap exits with 2 on usage errors, 0 for --help and --version
    let cli = Cli::parse();
    // the language server owns the standard streams (they must not be locked here)
    if let Command::Lsp(args) = &cli.command {
        return ExitCode::from(commands::lsp::run(args).code());
    }
    // a one-shot command: the trees need not be freed before exit (not for the server)
    kcfg_cli::check::leak_trees_at_exit();
    kcfg_fmt::leak_trees_at_exit();
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
