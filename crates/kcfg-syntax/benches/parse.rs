//! Parse throughput (bytes/s) of `kcfg_syntax::parse`.
//!
//! * `parse/stock`: the stock `fixtures/corpus/etc/kamailio.cfg` (27 KB).
//! * `parse/generated-10mb`: a deterministic ~10 MiB config made by
//!   [`generate_config`] (written to `target/kcfg-bench/generated-10mb.cfg`
//!   at bench start, so it can be inspected or fed to other tools).
//!
//! Run: `cargo bench -p kcfg-syntax --bench parse`.
//!
//! The generator is also reachable without running the benchmarks (used by
//! `scripts/bench-check.sh`):
//! `KCFG_GEN_CONFIG=OUT.cfg [KCFG_GEN_BYTES=N] cargo bench -p kcfg-syntax --bench parse`
//! writes the config and exits.
//!
//! The generated config is meant to be accepted by `kamailio -c` (5.6) with
//! the Debian module set: it only uses modules loaded in its header, no
//! per-block `#!define` (Kamailio has a fixed-size define table), and only
//! calls routes defined before the caller.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput};

// The allocator of the `kcfg` binary (crates/kcfg-cli/src/main.rs): a tree is
// many small allocations, and the figure should be the one users get.
#[global_allocator]
static GLOBAL: kcfg_alloc::Mimalloc = kcfg_alloc::Mimalloc;

/// Size of the generated config: 10 MiB.
const GENERATED_BYTES: usize = 10 * 1024 * 1024;
/// Seed of the generator: change it and the file changes.
const SEED: u64 = 0x6b63_6667_2026_1128;

fn main() {
    if let Ok(out) = std::env::var("KCFG_GEN_CONFIG") {
        let bytes = std::env::var("KCFG_GEN_BYTES")
            .ok()
            .map(|s| s.parse().expect("KCFG_GEN_BYTES must be a number of bytes"))
            .unwrap_or(GENERATED_BYTES);
        let text = generate_config(bytes, SEED);
        write_file(Path::new(&out), &text);
        eprintln!(
            "wrote {} bytes ({} lines) to {out}",
            text.len(),
            text.lines().count()
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench_parse(&mut c);
    c.final_summary();
}

fn bench_parse(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stock_path = root.join("fixtures/corpus/etc/kamailio.cfg");
    let stock = std::fs::read_to_string(&stock_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", stock_path.display()));

    let generated = generate_config(GENERATED_BYTES, SEED);
    let gen_path = target_dir().join("kcfg-bench/generated-10mb.cfg");
    write_file(&gen_path, &generated);

    for (name, text) in [("stock", &stock), ("generated-10mb", &generated)] {
        let parse = kcfg_syntax::parse(text);
        assert_eq!(
            parse.syntax_node().to_string(),
            *text,
            "{name}: the tree must reproduce the input"
        );
        eprintln!(
            "{name}: {} bytes, {} lines, {} syntax errors",
            text.len(),
            text.lines().count(),
            parse.errors().len()
        );
    }

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(stock.len() as u64));
    group.bench_function("stock", |b| {
        b.iter(|| kcfg_syntax::parse(black_box(&stock)))
    });

    group.throughput(Throughput::Bytes(generated.len() as u64));
    // ~0.1 s per iteration: fewer samples keep the run short
    group.sample_size(10);
    group.bench_function("generated-10mb", |b| {
        b.iter(|| kcfg_syntax::parse(black_box(&generated)))
    });
    group.finish();
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else found from the bench
/// executable (`target/release/deps/parse-HASH`), else `<workspace>/target`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.ancestors().nth(3) {
            if dir.file_name().is_some_and(|n| n == "target") {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

fn write_file(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

// ---------------------------------------------------------------------------
// The generator

/// SplitMix64: tiny, deterministic, good enough to pick templates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// uniform in `0..n`
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const WORDS: &[&str] = &[
    "PSTN",
    "GW",
    "TRUNK",
    "CARRIER",
    "LCR",
    "VOICEMAIL",
    "PRESENCE",
    "AUTH",
    "NAT",
    "TOPO",
    "REGISTRAR",
    "FORWARD",
    "IVR",
    "CONF",
    "EMERGENCY",
    "BILLING",
    "FAX",
    "MOBILE",
    "TEAMS",
    "WEBRTC",
    "PBX",
    "QUEUE",
    "RECORDING",
    "TRANSCODE",
];
const METHODS: &[&str] = &[
    "INVITE",
    "INVITE|SUBSCRIBE",
    "REGISTER",
    "MESSAGE",
    "INVITE|UPDATE",
    "OPTIONS|INFO",
    "NOTIFY|REFER",
    "PUBLISH",
];
const FEATURES: &[&str] = &[
    "WITH_NAT",
    "WITH_DEBUG",
    "WITH_ACCDB",
    "WITH_TOPOH",
    "WITH_TLS",
    "WITH_ANTIFLOOD",
];
const USER_AGENTS: &[&str] = &[
    "friendly|scanner",
    "Polycom|Yealink",
    "Linphone",
    "Zoiper|MicroSIP",
    "Asterisk|FreeSWITCH",
];
const DOMAINS: &[&str] = &[
    "example.com",
    "voip.example.net",
    "sip.carrier.test",
    "pbx.internal.test",
    "edge.example.org",
];
const FLAGS: &[&str] = &["FLT_ACC", "FLT_ACCMISSED", "FLT_ACCFAILED", "FLT_NATS"];
const CODES: &[&str] = &[
    "486|408",
    "480|404",
    "503",
    "5[0-9][0-9]",
    "3[0-9][0-9]",
    "401|407",
];
const HEADER_PREFIX: &str = r#"#!KAMAILIO
#
# Generated by crates/kcfg-syntax/benches/parse.rs (kcfg benchmark generator).
# Deterministic: same seed, same file. Do not edit; regenerate.
#

#!define FLT_ACC 1
#!define FLT_ACCMISSED 2
#!define FLT_ACCFAILED 3
#!define FLT_NATS 5
#!define FLB_NATB 6

#!ifdef WITH_DEBUG
#!define DBGLEVEL 3
#!else
#!define DBGLEVEL 2
#!endif

####### Global Parameters #########

debug=DBGLEVEL
log_stderror=no
log_facility=LOG_LOCAL0
log_prefix="{$mt $hdr(CSeq) $ci} "
children=4
tcp_connection_lifetime=3605
tcp_max_connections=2048
enable_sctp=no

####### Modules Section ########

loadmodule "jsonrpcs.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "textopsx.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "htable.so"
loadmodule "acc.so"

modparam("jsonrpcs", "pretty_format", 1)
modparam("tm", "failure_reply_mode", 3)
modparam("tm", "fr_timer", 30000)
modparam("tm", "fr_inv_timer", 120000)
modparam("rr", "enable_full_lr", 0)
modparam("rr", "append_fromtag", 0)
modparam("registrar", "method_filtering", 1)
modparam("registrar", "max_expires", 3600)
modparam("usrloc", "timer_interval", 60)
modparam("htable", "htable", "routes=>size=8;autoexpire=300;")
modparam("htable", "htable", "ipban=>size=8;autoexpire=300;")
modparam("acc", "log_flag", FLT_ACC)
modparam("acc", "log_missed_flag", FLT_ACCMISSED)
modparam("acc", "log_extra",
	"src_user=$fU;src_domain=$fd;src_ip=$si;"
	"dst_ouser=$tU;dst_user=$rU;dst_domain=$rd")

####### Routing Logic ########

request_route {
	route(REQINIT);
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(RELAY);
		}
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}
	if (has_totag()) {
		if (loose_route()) {
			route(RELAY);
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	remove_hf("Route");
	if (is_method("INVITE|SUBSCRIBE|REFER")) {
		record_route();
	}
	if (is_method("REGISTER")) {
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	route(RELAY);
}

route[RELAY] {
	if (is_method("INVITE")) {
		if (!t_is_set("failure_route")) t_on_failure("MANAGE_FAILURE");
	}
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}

route[REQINIT] {
	force_rport();
	if ($ua =~ "friendly|scanner|sipcli|sipvicious") {
		exit;
	}
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (!sanity_check("17895", "7")) {
		xlog("Malformed SIP request from $si:$sp\n");
		exit;
	}
}

failure_route[MANAGE_FAILURE] {
	if (t_is_canceled()) exit;
	if (t_check_status("486|408")) {
		xlog("L_NOTICE", "failure $T_reply_code for $ru\n");
		exit;
	}
}
"#;

/// Generate a kamailio.cfg of at least `target_bytes` bytes (the last block
/// overshoots by at most a few KB). Same `(target_bytes, seed)`, same text.
pub fn generate_config(target_bytes: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(target_bytes + 16 * 1024);
    out.push_str(HEADER_PREFIX);
    // names of the routes / failure routes defined so far (callees are always
    // defined before their callers)
    let mut routes: Vec<String> = vec!["RELAY".into(), "REQINIT".into()];
    let mut failure_routes: Vec<String> = vec!["MANAGE_FAILURE".into()];
    let mut i = 0u64;
    while out.len() < target_bytes {
        i += 1;
        let word = rng.pick(WORDS);
        match rng.below(100) {
            0..=64 => {
                let name = format!("{word}_{i}");
                route_block(&mut out, &mut rng, i, &name, &routes, &failure_routes);
                routes.push(name);
            }
            65..=79 => {
                let name = format!("FAIL_{word}_{i}");
                failure_block(&mut out, &mut rng, i, &name);
                failure_routes.push(name);
            }
            80..=91 => reply_block(&mut out, &mut rng, i, &format!("REPLY_{word}_{i}")),
            _ => modparam_block(&mut out, &mut rng, i),
        }
    }
    out
}

fn route_block(
    out: &mut String,
    rng: &mut Rng,
    i: u64,
    name: &str,
    routes: &[String],
    fails: &[String],
) {
    let word = name.split('_').next().unwrap_or("X");
    let methods = rng.pick(METHODS);
    let feature = rng.pick(FEATURES);
    let flag = rng.pick(FLAGS);
    let ua = rng.pick(USER_AGENTS);
    let domain = rng.pick(DOMAINS);
    let (a, b, c) = (rng.range(0, 255), rng.range(0, 255), rng.range(1, 254));
    let port = rng.pick(&["5060", "5080", "5061", "15060"]);
    let prefix = rng.range(0, 99);
    let cut = rng.range(3, 9);
    let callee = &routes[rng.below(routes.len() as u64) as usize];
    let fail = &fails[rng.below(fails.len() as u64) as usize];
    let _ = writeln!(out, "\n# {word} handling (block {i})");
    if rng.chance(20) {
        let _ = writeln!(
            out,
            "/* {name}: {methods} towards {domain}\n * - strips the national prefix and relays to 10.{a}.{b}.{c}:{port}\n */"
        );
    }
    let _ = writeln!(out, "route[{name}] {{");
    let _ = writeln!(out, "\tif (!is_method(\"{methods}\")) return;\n");
    let _ = writeln!(
        out,
        "\txlog(\"L_INFO\", \"{name}: $rm from $fu to $ru (IP:$si:$sp) ci=$ci\\n\");"
    );
    let _ = writeln!(out, "\t$var(hops_{i}) = {};", rng.range(1, 70));
    let _ = writeln!(
        out,
        "\tif ($rU =~ \"^\\+?{prefix:02}[0-9]{{4,12}}$\" && $si != \"10.{a}.{b}.{c}\") {{"
    );
    let _ = writeln!(out, "\t\tif ($(rU{{s.len}}) > {cut}) {{");
    let _ = writeln!(
        out,
        "\t\t\t$avp(dst_{i}) = \"sip:\" + $(rU{{s.substr,0,{cut}}}) + \"@10.{a}.{b}.{c}:{port};transport=udp\";"
    );
    let _ = writeln!(out, "\t\t\tif (is_present_hf(\"X-{word}-Id\")) {{");
    let _ = writeln!(out, "\t\t\t\tremove_hf(\"X-{word}-Id\");");
    let _ = writeln!(out, "\t\t\t}} else if ($hdr(User-Agent) =~ \"{ua}\") {{");
    let _ = writeln!(out, "\t\t\t\tappend_hf(\"X-{word}-Id: {i}-$ci\\r\\n\");");
    let _ = writeln!(out, "\t\t\t}} else {{");
    let _ = writeln!(
        out,
        "\t\t\t\t$var(user_{i}) = $(fu{{uri.user}}{{s.tolower}});"
    );
    let _ = writeln!(out, "\t\t\t}}");
    let _ = writeln!(out, "\t\t}}");
    let _ = writeln!(out, "#!ifdef {feature}");
    let _ = writeln!(out, "\t\tsetflag({flag});");
    let _ = writeln!(out, "#!else");
    let _ = writeln!(out, "\t\tresetflag({flag});");
    let _ = writeln!(out, "#!endif");
    if rng.chance(40) {
        let _ = writeln!(out, "\t\tif ($sht(routes=>$rU) != $null) {{");
        let _ = writeln!(out, "\t\t\t$ru = $sht(routes=>$rU);");
        let _ = writeln!(out, "\t\t}} else {{");
        let _ = writeln!(
            out,
            "\t\t\t$sht(routes=>$rU) = \"sip:\" + $rU + \"@{domain}\";"
        );
        let _ = writeln!(out, "\t\t}}");
    }
    let _ = writeln!(out, "\t\tt_on_failure(\"{fail}\");");
    let _ = writeln!(out, "\t\troute({callee});");
    let _ = writeln!(out, "\t\texit;");
    let _ = writeln!(out, "\t}}");
    if rng.chance(60) {
        let _ = writeln!(out, "\tswitch ($rm) {{");
        let _ = writeln!(out, "\t\tcase \"OPTIONS\":");
        let _ = writeln!(out, "\t\t\tsl_send_reply(\"200\", \"Keepalive {i}\");");
        let _ = writeln!(out, "\t\t\texit;");
        let _ = writeln!(out, "\t\tcase \"INFO\":");
        let _ = writeln!(out, "\t\tcase \"MESSAGE\":");
        let _ = writeln!(
            out,
            "\t\t\tif ($var(hops_{i}) > 3 || $fd == \"{domain}\") {{"
        );
        let _ = writeln!(
            out,
            "\t\t\t\tsl_send_reply(\"403\", \"Forbidden ({word})\");"
        );
        let _ = writeln!(out, "\t\t\t\texit;");
        let _ = writeln!(out, "\t\t\t}}");
        let _ = writeln!(out, "\t\t\tbreak;");
        let _ = writeln!(out, "\t\tdefault:");
        let _ = writeln!(out, "\t\t\txdbg(\"{name}: passing $rm\\n\");");
        let _ = writeln!(out, "\t}}");
    }
    if rng.chance(30) {
        let _ = writeln!(out, "\t$var(i) = 0;");
        let _ = writeln!(out, "\twhile ($var(i) < {}) {{", rng.range(2, 5));
        let _ = writeln!(out, "\t\tif (is_present_hf(\"X-Hop-$var(i)\")) {{");
        let _ = writeln!(out, "\t\t\tremove_hf(\"X-Hop-$var(i)\");");
        let _ = writeln!(out, "\t\t}}");
        let _ = writeln!(out, "\t\t$var(i) = $var(i) + 1;");
        let _ = writeln!(out, "\t}}");
    }
    let _ = writeln!(out, "\treturn;");
    let _ = writeln!(out, "}}");
}

fn failure_block(out: &mut String, rng: &mut Rng, i: u64, name: &str) {
    let codes = rng.pick(CODES);
    let domain = rng.pick(DOMAINS);
    let feature = rng.pick(FEATURES);
    let _ = writeln!(out, "\n# serial forking for {name}");
    let _ = writeln!(out, "failure_route[{name}] {{");
    let _ = writeln!(out, "\tif (t_is_canceled()) exit;");
    let _ = writeln!(out, "\tif (t_check_status(\"{codes}\")) {{");
    let _ = writeln!(
        out,
        "\t\txlog(\"L_NOTICE\", \"{name}: $T_reply_code from $du for $ru\\n\");"
    );
    let _ = writeln!(out, "\t\tif ($avp(retry_{i}) == $null) {{");
    let _ = writeln!(out, "\t\t\t$avp(retry_{i}) = 1;");
    let _ = writeln!(out, "\t\t\t$du = $null;");
    let _ = writeln!(out, "\t\t\t$ru = \"sip:\" + $rU + \"@{domain}\";");
    let _ = writeln!(out, "#!ifdef {feature}");
    let _ = writeln!(out, "\t\t\tappend_branch();");
    let _ = writeln!(out, "#!endif");
    let _ = writeln!(out, "\t\t\tt_relay();");
    let _ = writeln!(out, "\t\t}}");
    let _ = writeln!(out, "\t\texit;");
    let _ = writeln!(out, "\t}}");
    let _ = writeln!(out, "}}");
}

fn reply_block(out: &mut String, rng: &mut Rng, i: u64, name: &str) {
    let word = rng.pick(WORDS);
    let _ = writeln!(out, "\nonreply_route[{name}] {{");
    let _ = writeln!(out, "\tif (status =~ \"18[03]\") {{");
    let _ = writeln!(
        out,
        "\t\txlog(\"L_INFO\", \"{name}: ringing $rs $rr ({word})\\n\");"
    );
    let _ = writeln!(
        out,
        "\t}} else if ($rs >= {} && $rs < 700) {{",
        rng.pick(&["300", "400", "500"])
    );
    let _ = writeln!(out, "\t\t$var(code_{i}) = $rs;");
    let _ = writeln!(out, "\t\tremove_hf(\"X-{word}-Debug\");");
    let _ = writeln!(out, "\t}}");
    let _ = writeln!(out, "}}");
}

fn modparam_block(out: &mut String, rng: &mut Rng, i: u64) {
    let _ = writeln!(out, "\n# ----- tuning {i} -----");
    let _ = writeln!(out, "#!ifdef WITH_DEBUG");
    let _ = writeln!(
        out,
        "modparam(\"tm\", \"fr_timer\", {})",
        rng.range(2, 10) * 1000
    );
    let _ = writeln!(out, "#!else");
    let _ = writeln!(
        out,
        "modparam(\"tm\", \"fr_timer\", {})",
        rng.range(20, 40) * 1000
    );
    let _ = writeln!(out, "#!endif");
    let _ = writeln!(
        out,
        "modparam(\"tm\", \"fr_inv_timer\", {})",
        rng.range(60, 180) * 1000
    );
    let _ = writeln!(
        out,
        "modparam(\"registrar\", \"max_expires\", {})",
        rng.range(600, 7200)
    );
    let _ = writeln!(
        out,
        "modparam(\"usrloc\", \"timer_interval\", {})",
        rng.range(30, 120)
    );
}
