//! Micro-benchmark of the run-time lookups (no external harness).
//!
//! Run with `cargo bench -p kcfg-modules`. Prints ns per call; the first
//! line times the very first access of the process, to show that touching
//! the database does no parsing or initialisation.

use std::hint::black_box;
use std::time::Instant;

use kcfg_modules::{db, suggest, KamailioVersion};

fn bench<R>(label: &str, iters: u32, mut f: impl FnMut() -> R) {
    // warm-up
    for _ in 0..iters / 10 {
        black_box(f());
    }
    let t = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(iters);
    println!("{label:<58} {ns:>10.1} ns/call");
}

fn main() {
    // The first access in this process: db() + one binary search.
    let t = Instant::now();
    let n = black_box(db(black_box(KamailioVersion::V6_0)).functions(black_box("t_relay"))).len();
    let first = t.elapsed();
    println!("first access: db(V6_0).functions(\"t_relay\") -> {n} variants in {first:?}");

    let d = db(KamailioVersion::V6_0);
    let n = 2_000_000;
    bench("db(V6_0).functions(\"t_relay\")", n, || {
        db(black_box(KamailioVersion::V6_0)).functions(black_box("t_relay"))
    });
    bench("functions(\"no_such_function\")", n, || {
        d.functions(black_box("no_such_function"))
    });
    bench("module_by_file(\"/usr/lib/.../tm.so\")", n, || {
        d.module_by_file(black_box(
            "/usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so",
        ))
    });
    bench("modparam(\"tm\",\"fr_timer\").next()", n, || {
        d.modparam(black_box("tm"), black_box("fr_timer")).next()
    });
    bench("pv_class(\"ru\")", n, || d.pv_class(black_box("ru")));
    bench("transformation(\"s\",\"substr\")", n, || {
        d.transformation(black_box("s"), black_box("substr"))
    });
    bench("event_route(\"htable:mod-init\") exact", n, || {
        d.event_route(black_box("htable:mod-init"))
    });
    bench("event_route(\"tm:branch-failure:x\") dynamic", n, || {
        d.event_route(black_box("tm:branch-failure:x"))
    });
    bench("global_param(\"shm_mem_size\")", n, || {
        d.global_param(black_box("shm_mem_size"))
    });
    bench("is_reserved_word(\"port\")", n, || {
        d.is_reserved_word(black_box("port"))
    });
    bench("kemi(\"tm.t_relay\")", n, || {
        d.kemi(black_box("tm.t_relay"))
    });
    bench(
        "suggest(\"t_rellay\", function_names())  [1170 names]",
        2_000,
        || suggest(black_box("t_rellay"), d.function_names()),
    );
}
