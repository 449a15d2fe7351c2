#!/usr/bin/env bash
# scripts/fuzz.sh [TARGET] [SECONDS] [-- extra libFuzzer args]
#
# Runs a cargo-fuzz target of fuzz/ (default: parse, 60 s) with the seed
# corpus and the kamailio.cfg dictionary.
#
# - Seeds, copied into fuzz/corpus/TARGET/ (gitignored; the corpus the fuzzer
#   grows there is kept between runs): every fixtures/corpus/**/*.cfg for the
#   config targets; for `sip` each message of fixtures/**/*.sip; for `pcap`
#   the captures (*.pcap, *.pcapng, <= 1 MiB) of fixtures/runtime and of
#   $KCFG_TRACES (default /work/shared/traces); 8 random
#   edit scripts for `lsp_edits`.
# - Toolchain: stable rustc with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Z flags),
#   AddressSanitizer. FUZZ_SANITIZER=none (or an ASan build failure) falls
#   back to `-s none`.
# - Needs cargo-fuzz: `cargo install cargo-fuzz` (installed here if missing).
# - Exit status: 0 when no crash was found, non-zero otherwise; crashes are
#   saved in fuzz/artifacts/TARGET/ (reproduce: `cargo fuzz run TARGET FILE`,
#   minimise: `cargo fuzz tmin TARGET FILE`).
#
# Env: FUZZ_NO_BUILD=1 (run the binary of the last `cargo fuzz build` as it
# is, without rebuilding it for sources changed since), FUZZ_CORPUS (the corpus directory, default corpus/TARGET; relative to fuzz/), FUZZ_JOBS (default 1), FUZZ_SANITIZER (address|none), FUZZ_MAX_LEN
# (default: libFuzzer's choice, max(4096, largest seed)), FUZZ_LOG (file to tee libFuzzer's output to).
set -euo pipefail

target=${1:-parse}
seconds=${2:-60}
shift $(($# >= 2 ? 2 : $#))
[ "${1:-}" = "--" ] && shift

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
	echo "fuzz.sh: installing cargo-fuzz" >&2
	cargo install --locked cargo-fuzz
fi

corpus="${FUZZ_CORPUS:-corpus/$target}"
mkdir -p "$corpus" "artifacts/$target"
# seed corpus: file names by content hash, so re-running adds nothing new
n=0
seed() { # seed FILE: copy FILE into the corpus (small files only)
	local h
	[ "$(stat -c %s "$1")" -le 1048576 ] || return 0
	h=$(sha1sum "$1" | cut -c1-40)
	[ -e "$corpus/seed-$h" ] || cp "$1" "$corpus/seed-$h"
	n=$((n + 1))
}
traces=${KCFG_TRACES:-/work/shared/traces}
case "$target" in
sip)
	# one seed per message of the text traces (`---` lines between messages)
	tmp=$(mktemp -d)
	while IFS= read -r -d '' f; do
		awk -v out="$tmp/$(basename "$f")" \
			'/^---[[:space:]]*$/ { k++; next } /^[#@]/ { next } { printf "%s\r\n", $0 > (out "." k) }' "$f"
	done < <(find "$root/fixtures/runtime" "$root/fixtures" -maxdepth 2 -name '*.sip' -type f -print0)
	while IFS= read -r -d '' f; do seed "$f"; done < <(find "$tmp" -type f -print0)
	rm -rf "$tmp"
	;;
pcap)
	# captures: copied at run time only (binaries are not committed)
	while IFS= read -r -d '' f; do seed "$f"; done < <(
		find "$root/fixtures/runtime" "$traces" \( -name '*.pcap' -o -name '*.pcapng' \) \
			-type f -print0 2>/dev/null
	)
	;;
lsp_edits)
	# the input is an edit script (4 bytes an edit), not a config: seeds of
	# 8 random scripts of 24 edits, so libFuzzer starts from long inputs
	tmp=$(mktemp -d)
	python3 -c 'import random, sys
for i in range(8):
    open(f"{sys.argv[1]}/edits{i}", "wb").write(random.Random(i).randbytes(96))' "$tmp"
	while IFS= read -r -d '' f; do seed "$f"; done < <(find "$tmp" -type f -print0)
	rm -rf "$tmp"
	;;
*)
	while IFS= read -r -d '' f; do seed "$f"; done < <(find "$root/fixtures/corpus" -name '*.cfg' -type f -print0)
	;;
esac
echo "fuzz.sh: $n seed files; corpus $corpus has $(find "$corpus" -type f | wc -l) inputs" >&2

export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-address}
if [ -n "${FUZZ_NO_BUILD:-}" ]; then
	: # the binary built before is run as it is (see run below)
elif [ "$sanitizer" != none ] && ! cargo fuzz build -s "$sanitizer" "$target" >&2; then
	echo "fuzz.sh: build with -s $sanitizer failed; falling back to -s none" >&2
	sanitizer=none
fi

args=(
	-max_total_time="$seconds"
	-print_final_stats=1
)
# the kamailio.cfg dictionary, for the targets whose input is a config
case "$target" in
sip | pcap | lsp_edits) ;;
*) args+=(-dict="$root/fuzz/dict/kamailio.dict") ;;
esac
# default max_len: libFuzzer takes max(4096, largest seed)
[ -n "${FUZZ_MAX_LEN:-}" ] && args+=(-max_len="$FUZZ_MAX_LEN")
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
	args+=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi

run() {
	if [ -n "${FUZZ_NO_BUILD:-}" ]; then
		# the binary of the last `cargo fuzz build`, without rebuilding it
		# for sources changed since (a long run goes on on the code it began with)
		bin="target/x86_64-unknown-linux-gnu/release/$target"
		[ -x "$bin" ] || { echo "fuzz.sh: $bin not built" >&2; return 2; }
		"$bin" -artifact_prefix="artifacts/$target/" "${args[@]}" "$@" "$corpus"
	else
		cargo fuzz run -s "$sanitizer" "$target" "$corpus" -- "${args[@]}" "$@"
	fi
}
if [ -n "${FUZZ_LOG:-}" ]; then
	set -o pipefail
	run "$@" 2>&1 | tee "$FUZZ_LOG"
else
	run "$@"
fi
