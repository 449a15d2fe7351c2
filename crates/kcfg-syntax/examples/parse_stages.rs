//! Time the parser's stages on a file (best of N each): the lexer, the
//! lexer + preprocessor structure, the grammar without a tree, the parse,
//! and the parse with the tree dropped.
//!
//! `cargo run --release -p kcfg-syntax --example parse_stages -- FILE [N]`

use std::time::Instant;

#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

fn best<T>(n: u32, mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..n {
        let start = Instant::now();
        let r = f();
        std::hint::black_box(&r);
        drop(r);
        best = best.min(start.elapsed().as_secs_f64());
    }
    best * 1e3
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: parse_stages FILE [N]");
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let opts = kcfg_syntax::ParseOptions::default();
    let lex = best(n, || kcfg_syntax::lexer::tokenize(&text));
    let pp = best(n, || {
        let (t, _) = kcfg_syntax::lexer::tokenize(&text);
        kcfg_syntax::pp::process(t, &text, &[], &mut Vec::new())
    });
    let grammar = best(n, || kcfg_syntax::syntax_errors_with(&text, &opts));
    let mut keep = Vec::new();
    let parse = best(n, || {
        keep.push(kcfg_syntax::parse(&text));
    });
    drop(keep);
    let parse_drop = best(n, || kcfg_syntax::parse(&text));
    let mb = text.len() as f64 / 1e6;
    println!("{path} ({} bytes), best of {n}, ms:", text.len());
    println!("  lexer                      {lex:8.2}");
    println!("  lexer + pp                 {pp:8.2}");
    println!("  lexer + pp + grammar       {grammar:8.2}");
    println!("  parse (tree kept)          {parse:8.2}");
    println!(
        "  parse + drop               {parse_drop:8.2}  = {:.1} MB/s",
        mb / parse_drop * 1e3
    );
}
