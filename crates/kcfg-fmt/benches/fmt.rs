//! Formatter throughput (bytes/s).
//!
//! * `fmt/*`: [`kcfg_fmt::format`], the whole pipeline a user runs: parse,
//!   print, parse the result again and verify tokens, comments and errors.
//! * `print/*`: [`kcfg_fmt::format_parsed`] on a parsed tree: the printer
//!   alone (what the formatter adds to a parse).
//!
//! Inputs: the stock `fixtures/corpus/etc/kamailio.cfg` and the ~10 MiB
//! config of `crates/kcfg-syntax/benches/parse.rs` (`generate_config`, the
//! one generator of the project, included from there).
//!
//! The generated config is already in the formatter's style (tabs), so
//! `fmt/generated-10mb` gives it back unchanged, and an unchanged result
//! needs no re-parse. `fmt/generated-10mb-spaces` formats the same text with
//! 4-space indentation: every indented line changes and the result is
//! re-parsed and checked, the cost of formatting a file not yet formatted.
//!
//! Run: `cargo bench -p kcfg-fmt --bench fmt`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput};

// (the generator's file also sets the `kcfg` binary's allocator, mimalloc,
// as this bench's global allocator)
#[path = "../../kcfg-syntax/benches/parse.rs"]
#[allow(dead_code, unused_imports)]
mod generator;

const GENERATED_BYTES: usize = 10 * 1024 * 1024;
const SEED: u64 = 0x6b63_6667_2026_1128;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stock = std::fs::read_to_string(root.join("fixtures/corpus/etc/kamailio.cfg"))
        .expect("the stock config");
    let generated = generator::generate_config(GENERATED_BYTES, SEED);
    let tabs = kcfg_fmt::FormatOptions::default();
    let spaces = kcfg_fmt::FormatOptions {
        indent_style: kcfg_fmt::IndentStyle::Space,
        ..tabs.clone()
    };
    let inputs = [
        ("stock", &stock, &tabs, 50),
        ("generated-10mb", &generated, &tabs, 10),
        ("generated-10mb-spaces", &generated, &spaces, 10),
    ];
    for (name, text, options, _) in inputs {
        let out = kcfg_fmt::format_detailed(text, options).expect("formats");
        eprintln!(
            "{name}: {} bytes in, {} bytes out ({}), {} items kept as they are",
            text.len(),
            out.text.len(),
            if out.text == *text {
                "unchanged"
            } else {
                "changed"
            },
            out.skipped.len()
        );
    }
    for (name, text, options, samples) in inputs {
        let mut group = c.benchmark_group("fmt");
        group.sample_size(samples);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| kcfg_fmt::format(black_box(text), options).unwrap())
        });
        group.finish();
        let parse = kcfg_syntax::parse(text);
        let mut group = c.benchmark_group("print");
        group.sample_size(samples);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| kcfg_fmt::format_parsed(black_box(&parse), text, options))
        });
        group.finish();
    }
    c.final_summary();
}
