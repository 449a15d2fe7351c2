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
static GLOBAL: Mimalloc = Mimalloc;

/// mimalloc, asked through its plain entry points when the alignment is one
/// every mimalloc block has. `mimalloc::MiMalloc` calls `mi_malloc_aligned`
/// for every allocation; in mimalloc 3 that only takes the fast path while
/// the free list of the size's page has a block: when it is empty (and the
/// size is not a power of two), it over-allocates from a larger size class
/// and leaves the list empty, so the next allocation of that size does the
/// same (≈ 280 instructions instead of ≈ 20: 16,500 of the runtime bench's
/// 230,000 allocations, docs/benchmarks.md, session 11). `mi_malloc`
/// refills the list (it frees the blocks freed since). Every
/// mimalloc block is aligned to 8 bytes (a page's first block to 16, block
/// sizes are multiples of the word size), so an alignment up to 8 needs
/// nothing more; larger ones go to `mimalloc::MiMalloc` as before.
/// (The runtime bench, `crates/kcfg-runtime/benches/stock.rs`, has a copy.)
struct Mimalloc;

/// The alignment of every mimalloc block.
const MI_BLOCK_ALIGN: usize = 8;

extern "C" {
    // mimalloc as the mimalloc crate links it (libmimalloc-sys, statically)
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(p: *mut std::ffi::c_void, newsize: usize) -> *mut std::ffi::c_void;
}

// SAFETY: mimalloc's functions return blocks of at least the size asked
// (null when out of memory) aligned to `MI_BLOCK_ALIGN`, or to the layout's
// alignment through `mimalloc::MiMalloc`; `mi_free` (`MiMalloc::dealloc`) and
// `mi_realloc` take any block either returned.
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        if l.align() <= MI_BLOCK_ALIGN {
            mi_malloc(l.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc(l)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, l: std::alloc::Layout) -> *mut u8 {
        if l.align() <= MI_BLOCK_ALIGN {
            mi_zalloc(l.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc_zeroed(l)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        mimalloc::MiMalloc.dealloc(p, l)
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if l.align() <= MI_BLOCK_ALIGN {
            mi_realloc(p.cast(), new_size).cast()
        } else {
            mimalloc::MiMalloc.realloc(p, l, new_size)
        }
    }
}

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
    // SAFETY: a plain setter of a global option; mimalloc reads it when it
    // reserves an arena, which has not happened yet at this point
    unsafe { mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) }
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
