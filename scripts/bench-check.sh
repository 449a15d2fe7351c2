#!/usr/bin/env bash
# scripts/bench-check.sh [--quick]
#
# Times `kcfg check FILE` against `kamailio -c FILE` side by side with
# hyperfine, on
#   1. the stock config fixtures/corpus/etc/kamailio.cfg (27 KB),
#   2. the largest corpus config,
#   3. a generated config of about 10,000 lines and
#   4. the generated ~10 MiB config of crates/kcfg-syntax/benches/parse.rs
#      (both from the generator of that bench), and
#   5. the whole corpus: `kcfg check -j 1` and `-j 2` against `kamailio -c`
#      on each file, one at a time and two at a time,
# and measures the peak RSS of both with /usr/bin/time -v.
#
# Results go to target/kcfg-bench/ (BENCH_OUT): hyperfine markdown and JSON
# per file, plus rss.txt; a summary is printed at the end.
#
# --quick: fewer runs (for a smoke test).
#
# Needs: hyperfine, GNU time (/usr/bin/time, Debian package `time`), kamailio
# (Debian package `kamailio`, see /work/shared/tools/kamailio-oracle), cargo.
# Env: KCFG_BIN (skip the build and use this kcfg), KAMAILIO_BIN,
# KAMAILIO_MPATH (module dir), KAMAILIO_PKG_MB (pkg memory for the 10 MiB
# config, default 1024: Kamailio's default 8 MiB pkg pool is far too small
# for it), BENCH_OUT.
#
# Exit codes are not required to be 0: both tools exit non-zero when they find
# an error (the stock 6.0 config loads `dlgs`, which Debian's Kamailio 5.6
# lacks), so hyperfine runs with --ignore-failure and the exit codes are
# recorded in the summary. Both tools read the whole file either way.
set -euo pipefail
trap 'echo "bench-check.sh: failed at line $LINENO" >&2' ERR

quick=0
[ "${1:-}" = "--quick" ] && quick=1

root=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_OUT:-$root/target/kcfg-bench}
mkdir -p "$out"

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench-check.sh: $1 is missing ($2)" >&2; exit 2; }; }
need hyperfine "apt-get install hyperfine"
[ -x /usr/bin/time ] || { echo "bench-check.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }

# --- kcfg
if [ -n "${KCFG_BIN:-}" ]; then
	kcfg=$KCFG_BIN
else
	echo "== building kcfg (cargo build --release -p kcfg-cli)" >&2
	(cd "$root" && cargo build --release -p kcfg-cli >&2)
	kcfg=${CARGO_TARGET_DIR:-$root/target}/release/kcfg
fi
[ -x "$kcfg" ] || { echo "bench-check.sh: no kcfg binary at $kcfg" >&2; exit 2; }

# --- kamailio (same discovery as kamailio-oracle's oracle-lib.sh)
kam=${KAMAILIO_BIN:-$(command -v kamailio || true)}
[ -n "$kam" ] || { [ -x /usr/sbin/kamailio ] && kam=/usr/sbin/kamailio; }
[ -n "$kam" ] || { echo "bench-check.sh: kamailio is missing (apt-get install kamailio)" >&2; exit 2; }
mpath=${KAMAILIO_MPATH:-}
if [ -z "$mpath" ] && command -v dpkg >/dev/null 2>&1; then
	p=$(dpkg -L kamailio 2>/dev/null | grep -m1 '/modules/tm\.so$' || true)
	[ -n "$p" ] && mpath=$(dirname "$p")
fi
mpath=${mpath:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
pkg_mb=${KAMAILIO_PKG_MB:-1024}

# --- inputs
stock=$root/fixtures/corpus/etc/kamailio.cfg
generated=$out/generated-10mb.cfg
if [ ! -s "$generated" ] || [ "$root/crates/kcfg-syntax/benches/parse.rs" -nt "$generated" ]; then
	echo "== generating $generated" >&2
	(cd "$root" && KCFG_GEN_CONFIG="$generated" cargo bench -q -p kcfg-syntax --bench parse >&2)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kcfg-bench-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Kamailio gets a copy with listen=/mpath= commented out (line numbers kept;
# without listen= it enumerates and reverse-resolves interfaces) and is told
# -l udp:127.0.0.1:5060 and -L MODULE_DIR instead. Same rewrite as
# oracle_rewrite_cfg in kamailio-oracle/oracle-lib.sh.
rewrite() {
	sed -E \
		-e 's/^([[:space:]]*)(listen[[:space:]]*=)/\1#ORACLE# \2/' \
		-e 's/^([[:space:]]*)(mpath[[:space:]]*=)/\1#ORACLE# \2/' \
		-e 's#^([[:space:]]*loadmodule[[:space:]]+")/[^"]*/([^"/]+")#\1\2#' \
		"$1" >"$2"
}

summary=$out/summary.md
rss=$out/rss.txt
: >"$rss"
{
	echo "# bench-check $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo
	echo "- machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
	echo "- kcfg: $kcfg"
	echo "- kamailio: $("$kam" -v 2>/dev/null | head -n1)"
	echo
} >"$summary"

# bench NAME FILE RUNS WARMUP KAMAILIO_EXTRA_ARGS...
bench() {
	local name=$1 file=$2 runs=$3 warmup=$4
	shift 4
	local kcfg_cfg=$tmp/$name.cfg kam_cfg=$tmp/$name.kam.cfg rundir=$tmp/run-$name
	mkdir -p "$rundir"
	cp "$file" "$kcfg_cfg"
	rewrite "$file" "$kam_cfg"
	local kcfg_cmd="$kcfg check $kcfg_cfg"
	local kam_cmd="$kam -c -E $* -f $kam_cfg -L $mpath -Y $rundir -l udp:127.0.0.1:5060"

	local krc=0 mrc=0
	"$kcfg" check "$kcfg_cfg" >"$out/$name.kcfg.out" 2>&1 || krc=$?
	# shellcheck disable=SC2086
	"$kam" -c -E "$@" -f "$kam_cfg" -L "$mpath" -Y "$rundir" -l udp:127.0.0.1:5060 >"$out/$name.kamailio.out" 2>&1 || mrc=$?

	echo "== $name: $(wc -c <"$file") bytes, $(wc -l <"$file") lines; kcfg exit $krc, kamailio exit $mrc" >&2
	hyperfine -N --ignore-failure --warmup "$warmup" --runs "$runs" \
		--export-markdown "$out/$name.md" --export-json "$out/$name.json" \
		-n "kcfg check ($name)" "$kcfg_cmd" \
		-n "kamailio -c ($name)" "$kam_cmd" >&2

	local k_rss m_rss
	# (|| true: the tools may exit non-zero, see the header)
	k_rss=$({ /usr/bin/time -v "$kcfg" check "$kcfg_cfg" 2>&1 >/dev/null || true; } |
		sed -n 's/.*Maximum resident set size (kbytes): //p')
	# shellcheck disable=SC2086
	m_rss=$({ /usr/bin/time -v "$kam" -c -E "$@" -f "$kam_cfg" -L "$mpath" -Y "$rundir" -l udp:127.0.0.1:5060 2>&1 >/dev/null || true; } |
		sed -n 's/.*Maximum resident set size (kbytes): //p')
	echo "$name kcfg_max_rss_kb=$k_rss kamailio_max_rss_kb=$m_rss" >>"$rss"
	{
		echo "## $name ($(wc -c <"$file") bytes, $(wc -l <"$file") lines)"
		echo
		echo "exit codes: kcfg $krc, kamailio $mrc; peak RSS: kcfg ${k_rss} KiB, kamailio ${m_rss} KiB"
		echo
		cat "$out/$name.md"
		echo
	} >>"$summary"
}

# the whole corpus (every fixtures/corpus/**/*.cfg): kcfg on one and on two
# cores (`-j`), Kamailio one file after the other and two at a time
bench_corpus() {
	local runs=$1 warmup=$2 dir=$tmp/corpus-kam n=0
	mkdir -p "$dir"
	while IFS= read -r f; do
		n=$((n + 1))
		rewrite "$f" "$dir/$n.cfg"
	done < <(find "$root/fixtures/corpus" -name '*.cfg' | sort)
	# (xargs stops at a command exiting with 255, `kamailio -c`'s error exit:
	# each runs behind `|| true`)
	cat >"$tmp/kam-corpus.sh" <<EOS
ls $dir/*.cfg | xargs -P "\$1" -I{} sh -c '$kam -c -E -f {} -L $mpath -Y $tmp/run-corpus -l udp:127.0.0.1:5060 >/dev/null 2>&1 || true'
EOS
	mkdir -p "$tmp/run-corpus"
	echo "== corpus: $n files, $(du -sb "$root/fixtures/corpus" | cut -f1) bytes" >&2
	hyperfine -N --ignore-failure --warmup "$warmup" --runs "$runs" \
		--export-markdown "$out/corpus.md" --export-json "$out/corpus.json" \
		-n "kcfg check -j 1 (corpus)" "$kcfg check -j 1 $root/fixtures/corpus" \
		-n "kcfg check -j 2 (corpus)" "$kcfg check -j 2 $root/fixtures/corpus" \
		-n "kamailio -c, one at a time (corpus)" "bash $tmp/kam-corpus.sh 1" \
		-n "kamailio -c, two at a time (corpus)" "bash $tmp/kam-corpus.sh 2" >&2
	{
		echo "## corpus ($n files)"
		echo
		cat "$out/corpus.md"
		echo
	} >>"$summary"
}

# the largest corpus config, and a generated config of about 10,000 lines
largest=$(find "$root/fixtures/corpus" -name '*.cfg' -printf '%s %p\n' | sort -rn | head -n1 | cut -d' ' -f2-)
gen10k=$out/generated-10k-lines.cfg
if [ ! -s "$gen10k" ] || [ "$root/crates/kcfg-syntax/benches/parse.rs" -nt "$gen10k" ]; then
	echo "== generating $gen10k" >&2
	(cd "$root" && KCFG_GEN_CONFIG="$gen10k" KCFG_GEN_BYTES=250000 cargo bench -q -p kcfg-syntax --bench parse >&2)
fi

if [ "$quick" = 1 ]; then
	bench stock "$stock" 10 2
	bench largest "$largest" 10 2
	bench generated-10k "$gen10k" 5 1 -M "$pkg_mb"
	bench generated-10mb "$generated" 2 0 -M "$pkg_mb"
	bench_corpus 2 0
else
	bench stock "$stock" 50 5
	bench largest "$largest" 50 5
	bench generated-10k "$gen10k" 20 2 -M "$pkg_mb"
	bench generated-10mb "$generated" 5 1 -M "$pkg_mb"
	bench_corpus 10 1
fi

cat "$summary"
echo "(results in $out)" >&2
