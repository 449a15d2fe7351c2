//! Linting the stock config compared with parse + semantic analysis.

use criterion::{criterion_group, criterion_main, Criterion};

fn stock() -> (std::path::PathBuf, String) {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/corpus/etc/kamailio.cfg");
    let text = std::fs::read_to_string(&p).expect("stock config");
    (p, text)
}

fn bench(c: &mut Criterion) {
    let (path, text) = stock();
    let opts = kcfg_sema::SemaOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        ..Default::default()
    };
    let loader = kcfg_sema::MemoryLoader::new();
    c.bench_function("stock: parse + sema", |b| {
        b.iter(|| kcfg_sema::Model::build(&path, text.as_str(), &loader, &opts))
    });
    let model = kcfg_sema::Model::build(&path, text.as_str(), &loader, &opts);
    let settings = kcfg_lint::Settings::default();
    c.bench_function("stock: lint (all rules)", |b| {
        b.iter(|| kcfg_lint::lint(&model, &settings))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
