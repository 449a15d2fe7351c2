//! Messages per second through Debian's stock kamailio.cfg (no defines):
//! a mix of REGISTER, INVITE relayed to a registered contact (the next hop
//! answers 200), INVITE to an unknown user (404), OPTIONS keepalive and
//! in-dialog BYE, each with its own Call-ID. Counted: messages sent to the
//! config (the next hops' replies it also processes are not counted).
//!
//! `cargo bench -p kcfg-runtime --bench stock`
//!
//! With `KCFG_BENCH_ONCE=N` set, the bench binary runs the scenario N times
//! without criterion and exits: the mode for instruction counts
//! (`valgrind --tool=callgrind target/release/deps/stock-*`), see
//! `docs/benchmarks.md`.

// the allocator of the `kcfg` binary, so the figure is what `kcfg run` gets
#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use kcfg_runtime::{Config, Input, Runner, SipFileOptions};

const N: usize = 2000;

fn scenario(n: usize) -> String {
    let mut s = String::from("@nh-reply 200 OK\n");
    for i in 0..n {
        if i > 0 {
            s.push_str("---\n");
        }
        let m = match i % 5 {
            0 => format!(
                "REGISTER sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-r{i};rport\n\
                 Max-Forwards: 70\nFrom: <sip:u{i}@127.0.0.1>;tag=r{i}\nTo: <sip:u{i}@127.0.0.1>\n\
                 Call-ID: reg-{i}\nCSeq: 1 REGISTER\nContact: <sip:u{i}@127.0.0.1:5091>\nExpires: 300\n\
                 User-Agent: bench\nContent-Length: 0\n"
            ),
            1 => format!(
                "INVITE sip:u{}@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-i{i};rport\n\
                 Max-Forwards: 70\nFrom: \"B\" <sip:b@127.0.0.1>;tag=i{i}\nTo: <sip:u{}@127.0.0.1>\n\
                 Call-ID: inv-{i}\nCSeq: 1 INVITE\nContact: <sip:b@127.0.0.1:5070>\n\
                 Content-Type: application/sdp\nContent-Length: 0\n\nv=0\no=b 1 1 IN IP4 127.0.0.1\ns=-\n\
                 c=IN IP4 127.0.0.1\nt=0 0\nm=audio 40002 RTP/AVP 0\n",
                i - 1,
                i - 1
            ),
            2 => format!(
                "INVITE sip:nobody{i}@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-n{i};rport\n\
                 Max-Forwards: 70\nFrom: <sip:b@127.0.0.1>;tag=n{i}\nTo: <sip:nobody{i}@127.0.0.1>\n\
                 Call-ID: nf-{i}\nCSeq: 1 INVITE\nContact: <sip:b@127.0.0.1:5070>\nContent-Length: 0\n"
            ),
            3 => format!(
                "OPTIONS sip:127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-o{i};rport\n\
                 Max-Forwards: 70\nFrom: <sip:mon@127.0.0.1>;tag=o{i}\nTo: <sip:127.0.0.1>\n\
                 Call-ID: opt-{i}\nCSeq: 1 OPTIONS\nContent-Length: 0\n"
            ),
            _ => format!(
                "BYE sip:u{}@127.0.0.1:5091 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-b{i};rport\n\
                 Route: <sip:127.0.0.1;lr>\nMax-Forwards: 70\nFrom: \"B\" <sip:b@127.0.0.1>;tag=i{}\n\
                 To: <sip:u{}@127.0.0.1>;tag=nexthop-1\nCall-ID: inv-{}\nCSeq: 2 BYE\nContent-Length: 0\n",
                i - 4,
                i - 3,
                i - 4,
                i - 3
            ),
        };
        s.push_str(&m);
    }
    s
}

fn bench(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/runtime/stock.cfg"
    );
    let config = Config::load(std::path::Path::new(path), &[]).expect("stock config");
    let input = Input::from_sip_text(&scenario(N), &SipFileOptions::default()).expect("input");
    // the scenario is meaningful: every message simulated, replies sent
    let mut probe = Runner::new(&config);
    probe.run(&input);
    assert!(
        probe.summary().complete,
        "{:?}",
        probe.summary().unsupported
    );
    assert!(
        probe
            .summary()
            .replies_sent_by_code
            .get(&404)
            .copied()
            .unwrap_or(0)
            >= N / 5
    );
    let mut g = c.benchmark_group("stock.cfg");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function(format!("{N} messages"), |b| {
        b.iter_batched(
            || Runner::new(&config),
            |mut r| {
                r.run(&input);
                r
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Some(n) = std::env::var("KCFG_BENCH_ONCE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/runtime/stock.cfg"
        );
        let config = Config::load(std::path::Path::new(path), &[]).expect("stock config");
        let input = Input::from_sip_text(&scenario(N), &SipFileOptions::default()).expect("input");
        let t = std::time::Instant::now();
        for _ in 0..n {
            let mut r = Runner::new(&config);
            r.run(&input);
            assert!(r.summary().complete);
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{} runs of {N} messages: {s:.3} s, {:.0} messages/s",
            n,
            (n * N) as f64 / s
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
