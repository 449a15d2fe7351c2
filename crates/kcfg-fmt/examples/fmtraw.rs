//! Print the printer's output without the safety check (for debugging).
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let p = kcfg_syntax::parse(&text);
    let (out, _) = kcfg_fmt::format_parsed(&p, &text, &kcfg_fmt::FormatOptions::default());
    print!("{out}");
}
