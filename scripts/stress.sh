#!/usr/bin/env bash
# scripts/stress.sh [DIR]
#
# Runs kcfg on the stress inputs of scripts/gen-stress.sh (generated into DIR,
# default target/kcfg-stress, when DIR/msgs100k.pcap is missing) under
# /usr/bin/time -v and prints a markdown table: input, command, exit code,
# wall time, peak RSS, the first error line of
# stderr (else its last line, the summary) (the "clear result").
#
#   kcfg check FILE, kcfg fmt --check FILE   for every generated config
#   kcfg run CONFIG --trace msgs100k.pcap     with simple.cfg and routes.cfg
#
# Exit codes other than 0 are expected (findings, unformatted input, a
# nesting limit); the script fails only when kcfg is killed by a signal or
# panics (exit code 101).
# Env: KCFG_BIN (default: build target/release/kcfg), STRESS_TIMEOUT (s, 300).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/target/kcfg-stress}
[ -e "$dir/msgs100k.pcap" ] || "$root/scripts/gen-stress.sh" "$dir" >/dev/null
if [ -z "${KCFG_BIN:-}" ]; then
	cargo build --release -p kcfg-cli --manifest-path "$root/Cargo.toml" >&2
	KCFG_BIN=$root/target/release/kcfg
fi
[ -x /usr/bin/time ] || { echo "stress.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
timeout=${STRESS_TIMEOUT:-300}
cd "$dir"
bad=0
printf '| input | command | exit | wall (s) | peak RSS (MiB) | first error, else last line of output |\n'
printf '|---|---|---|---|---|---|\n'
one() { # one INPUT LABEL ARGS...
	local input=$1 label=$2
	shift 2
	local t=$(mktemp) e=$(mktemp) o=$(mktemp) rc=0
	/usr/bin/time -v -o "$t" timeout "$timeout" "$KCFG_BIN" "$@" >"$o" 2>"$e" || rc=$?
	local wall rss msg
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$t")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$t")
	# the first error of stderr or stdout, else the last line (the summary)
	msg=$({ grep -h -m1 -E '^(error|fatal)' "$e" "$o" | head -1 | grep . ||
		cat "$e" "$o" | grep -v '^\s*$' | tail -1; } | cut -c1-100 | sed 's/|/\\|/g' || true)
	printf '| %s | `kcfg %s` | %s | %s | %s | %s |\n' "$input" "$label" "$rc" "$wall" "$rss" "$msg"
	if [ "$rc" -ge 101 ] || grep -q 'panicked' "$e"; then bad=1; fi
	rm -f "$t" "$e" "$o"
}
for cfg in big.cfg nested.cfg routes.cfg includes.cfg; do
	one "$cfg ($(du -h "$cfg" | cut -f1))" check check "$cfg"
	one "$cfg" "fmt --check" fmt --check "$cfg"
done
for cfg in simple.cfg routes.cfg; do
	one "msgs100k.pcap + $cfg" "run --trace" run "$cfg" --trace msgs100k.pcap
done
exit $bad
