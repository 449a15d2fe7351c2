//! `cargo run -p kcfg-sema --example check -- [--version 5.6] [-D NAME]... FILE...`
//!
//! Prints the semantic diagnostics of each config, one per line:
//! `path:line:col: CODE severity: message (help: ...)`.

use kcfg_sema::{analyze_path, FsLoader, KamailioVersion, SemaOptions};

fn main() {
    let mut opts = SemaOptions {
        version: KamailioVersion::V5_6,
        ..Default::default()
    };
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--version" => {
                opts.version = args
                    .next()
                    .and_then(|v| KamailioVersion::parse(&v))
                    .expect("--version 5.6|6.0|master")
            }
            "-D" | "-A" => opts.defines.push(args.next().expect("-D NAME")),
            _ => files.push(a),
        }
    }
    for f in files {
        let model = match analyze_path(&f, &FsLoader, &opts) {
            Ok(m) => m,
            Err(e) => {
                println!("{f}: cannot read: {e}");
                continue;
            }
        };
        for d in &model.diagnostics {
            let file = model.file(d.file);
            let lc = file.line_index().line_col(d.range.start());
            print!(
                "{}:{}:{}: {} {}: {}",
                file.path.display(),
                lc.line + 1,
                lc.col + 1,
                d.code,
                d.severity.as_str(),
                d.message
            );
            if let Some(h) = &d.help {
                print!(" (help: {h})");
            }
            println!();
        }
    }
}
