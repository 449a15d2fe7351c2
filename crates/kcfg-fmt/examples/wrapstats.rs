//! For choosing the default `line-width`: formats every file given with the
//! width in `KCFG_WIDTH` (default: the library's default), checks that a
//! second pass changes nothing, and counts the lines the wrapping adds
//! compared with formatting without wrapping (`line-width = 100000`).
//! `KCFG_PRINT=1` prints the formatted text of a single file.
fn main() {
    let mut o = kcfg_fmt::FormatOptions::default();
    if let Ok(w) = std::env::var("KCFG_WIDTH") {
        o.line_width = w.parse().unwrap();
    }
    let nowrap = kcfg_fmt::FormatOptions {
        line_width: 100_000,
        ..o.clone()
    };
    let (mut files, mut touched, mut added, mut wrapped_stmts) = (0, 0, 0, 0);
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        files += 1;
        let out = match kcfg_fmt::format(&text, &o) {
            Ok(t) => t,
            Err(e) => {
                println!("{path}: refused: {e}");
                continue;
            }
        };
        if std::env::var("KCFG_PRINT").is_ok() {
            print!("{out}");
        }
        let again = kcfg_fmt::format(&out, &o).unwrap();
        if again != out {
            println!("{path}: NOT IDEMPOTENT");
        }
        let plain = kcfg_fmt::format(&text, &nowrap).unwrap();
        let (a, b) = (out.lines().count(), plain.lines().count());
        if a != b {
            touched += 1;
            added += a - b;
            // statements broken: lines of `plain` not in `out`
            let set: std::collections::HashSet<&str> = out.lines().collect();
            wrapped_stmts += plain.lines().filter(|l| !set.contains(l)).count();
        }
    }
    eprintln!(
        "width {}: {files} files, {touched} with wrapped lines, {wrapped_stmts} lines wrapped, {added} lines added",
        o.line_width
    );
}
