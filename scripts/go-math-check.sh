#!/usr/bin/env bash
# Brute-force check of Rill's ports of Go's math functions (crates/rill-model/src/go_math)
# against Go itself: crates/rill-model/tests/go_math/gen.go prints COUNT random inputs
# per function with Go's outputs as float64 bits, over several magnitude ranges, and the
# `go_math` integration test compares every line bit for bit (RILL_GO_MATH_VECTORS), printing
# per-function mismatch counts. Needs Go (Debian: apt-get install golang-go, Go 1.19 as used to
# build Prometheus) on an x86_64 machine; the golden file assumes a CPU with AVX+FMA.
#
# Usage: scripts/go-math-check.sh [COUNT (1000000)] [SEED (1)]
# Env: CARGO_TARGET_DIR as for any cargo command. Exits non-zero on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
SEED=${2:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd crates/rill-model/tests/go_math && go build -o "$tmp/gen" .)
cargo test -q -p rill-model --test go_math --no-run
mkfifo "$tmp/vectors"
"$tmp/gen" -random "$COUNT" -seed "$SEED" > "$tmp/vectors" &
gen=$!
status=0
RILL_GO_MATH_VECTORS="$tmp/vectors" cargo test -q -p rill-model --test go_math -- --nocapture || status=$?
# If the test died before opening the FIFO, the generator is still blocked on it.
kill "$gen" 2>/dev/null || true
wait "$gen" 2>/dev/null || true
exit "$status"
