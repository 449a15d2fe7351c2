//! `cargo run -p kcfg-fmt --example fmt FILE`: print the formatted file; the
//! regions left as they are go to stderr.
fn main() {
    let path = std::env::args().nth(1).expect("usage: fmt FILE");
    let text = std::fs::read_to_string(&path).expect("read");
    match kcfg_fmt::format_detailed(&text, &kcfg_fmt::FormatOptions::default()) {
        Ok(out) => {
            print!("{}", out.text);
            for s in out.skipped {
                eprintln!("{path}: kept {:?}: {}", s.range, s.reason);
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
