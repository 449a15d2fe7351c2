//! Instruction-count harness for the benchmark "linting the stock config adds
//! at most 50 % to parse + semantic time" (run it under callgrind; see
//! `docs/benchmarks.md`): `lint_cost MODE N [FILE]` builds the model of FILE
//! (default: the stock config) once, then `MODE` = `sema` builds it `N` more
//! times, `lint` lints it `N` times, `none` does nothing more. The cost of
//! one run of a step is `(Ir(MODE, N) - Ir(none, N)) / N`. An optional
//! fourth argument lists rule codes or prefixes to leave out (`KC208,KC5`).

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("none");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let p = args
        .get(3)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/corpus/etc/kamailio.cfg")
        });
    let text = std::fs::read_to_string(&p).expect("config");
    let opts = kcfg_sema::SemaOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        ..Default::default()
    };
    let loader = kcfg_sema::MemoryLoader::new();
    let model = kcfg_sema::Model::build(&p, text.as_str(), &loader, &opts);
    let settings = kcfg_lint::Settings {
        ignore: args
            .get(4)
            .map(|s| {
                s.split(',')
                    .filter_map(|c| kcfg_lint::Selector::parse(c).ok())
                    .collect()
            })
            .unwrap_or_default(),
        ..Default::default()
    };
    // warm lazily built tables (the knowledge base) in every mode
    std::hint::black_box(kcfg_lint::lint(&model, &settings));
    for _ in 0..n {
        match mode {
            "sema" => {
                std::hint::black_box(kcfg_sema::Model::build(&p, text.as_str(), &loader, &opts));
            }
            "lint" => {
                std::hint::black_box(kcfg_lint::lint(&model, &settings));
            }
            _ => {}
        }
    }
}
