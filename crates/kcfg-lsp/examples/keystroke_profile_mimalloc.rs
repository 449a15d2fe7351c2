//! `keystroke_profile` with mimalloc, the allocator of the `kcfg` binary
//! that serves `kcfg lsp` (the plain example keeps the system allocator, so
//! its instruction counts compare with earlier sessions').

#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

#[path = "keystroke_profile.rs"]
mod profile;

fn main() {
    profile::main();
}
