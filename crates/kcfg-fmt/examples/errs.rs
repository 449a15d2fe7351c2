fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let p = kcfg_syntax::parse(&text);
    for (w, l) in [
        ("err", p.errors()),
        ("inactive", p.inactive_errors()),
        ("warn", p.warnings()),
    ] {
        for e in l {
            println!("{w} {:?} {:?} {}", e.range, e.unexpected, e.message);
        }
    }
}
