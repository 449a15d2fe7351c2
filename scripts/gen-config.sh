#!/usr/bin/env bash
# scripts/gen-config.sh OUT.cfg [BYTES]
#
# Writes the deterministic benchmark config (default 10 MiB) to OUT.cfg.
# The one generator lives in crates/kcfg-syntax/benches/parse.rs
# (`generate_config`); this runs the bench binary in its generate-only mode.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT.cfg [BYTES]" >&2; exit 2; }
out=$(realpath -m "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -n "${2:-}" ]; then
	KCFG_GEN_CONFIG="$out" KCFG_GEN_BYTES="$2" cargo bench -q -p kcfg-syntax --bench parse
else
	KCFG_GEN_CONFIG="$out" cargo bench -q -p kcfg-syntax --bench parse
fi
