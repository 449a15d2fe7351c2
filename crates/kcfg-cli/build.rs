//! Link the `kcfg` binary as a position-dependent executable on Linux.
//!
//! The knowledge base (`kcfg-modules`) is about 85,000 `&'static str` and
//! slice pointers in `static` tables. In a position-independent executable
//! each of them is a relative relocation that the dynamic loader applies at
//! every start, touching every page of the tables: about half of the run
//! time of `kcfg check` on the stock config. Linked with `-no-pie` the linker
//! resolves them once, and only the pages a check reads are ever loaded.
//! See ARCHITECTURE.md ("Start-up time").

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
