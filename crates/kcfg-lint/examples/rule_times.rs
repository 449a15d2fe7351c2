//! Time each rule on the stock config (a profiling aid, not a benchmark):
//! `cargo run --release -p kcfg-lint --example rule_times`.

fn main() {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/corpus/etc/kamailio.cfg");
    let text = std::fs::read_to_string(&p).unwrap();
    let opts = kcfg_sema::SemaOptions {
        version: kcfg_modules::KamailioVersion::V5_6,
        ..Default::default()
    };
    let model = kcfg_sema::Model::build(&p, text.as_str(), &kcfg_sema::MemoryLoader::new(), &opts);
    let n = 200;
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(kcfg_lint::Ctx::new(&model));
    }
    println!(
        "{:>8.1} µs  Ctx::new",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = std::time::Instant::now();
    for i in 0..model.files.len() {
        for _ in 0..n {
            std::hint::black_box(kcfg_lint::inactive_ranges(&model, kcfg_sema::FileIdx(i)));
        }
    }
    println!(
        "{:>8.1} µs  inactive_ranges",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = std::time::Instant::now();
    for _ in 0..n {
        let c = kcfg_lint::Ctx::new(&model);
        std::hint::black_box(c.calls().len());
    }
    println!(
        "{:>8.1} µs  Ctx::new + calls",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let ctx = kcfg_lint::Ctx::new(&model);
    for r in kcfg_lint::RULES {
        let t = std::time::Instant::now();
        for _ in 0..n {
            let mut out = Vec::new();
            (r.check)(&ctx, &mut out);
            std::hint::black_box(out);
        }
        println!(
            "{:>8.1} µs  {} {}",
            t.elapsed().as_secs_f64() * 1e6 / n as f64,
            r.meta.code,
            r.meta.name
        );
    }
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(kcfg_lint::lint(&model, &kcfg_lint::Settings::default()));
    }
    println!(
        "{:>8.1} µs  lint() total",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
