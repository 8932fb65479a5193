#!/usr/bin/env bash
# Long fuzz run of Rill's parser and engine (release build, stable Rust).
#
#   scripts/fuzz.sh [SECONDS] [SEED]
#
# Splits SECONDS (default 600) between the parser harness (1/3) and the engine harness (2/3)
# of crates/rill-querygen, prints their "FUZZ ..." lines (cases, executions, duration, rate)
# and exits non-zero on any failure. Every failure names (seed, index); replay one case with
#   RILL_FUZZ_SEED=<seed> RILL_FUZZ_START=<index> RILL_FUZZ_CASES=1 cargo test --release \
#     -p rill-querygen --test <parser_fuzz|engine_fuzz> -- --nocapture
# and add RILL_FUZZ_TRACE=1 to print each input before it runs (to locate a stack overflow,
# which aborts the process). SEED defaults to the current time, so each long run explores new
# cases; CI runs use the fixed default seed.
#
# With a nightly toolchain and cargo-fuzz, fuzz/ also holds a coverage-guided libFuzzer
# target for the parser:  cargo install cargo-fuzz && cd fuzz && cargo +nightly fuzz run parse
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
seed="${2:-$(date +%s)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
export RILL_FUZZ_SEED="$seed"
cargo test --release -p rill-querygen --test parser_fuzz --test engine_fuzz --no-run
status=0
run() {
    local test="$1" secs="$2"
    echo "== $test for ${secs}s, seed $seed"
    RILL_FUZZ_SECONDS="$secs" cargo test --release -q -p rill-querygen --test "$test" -- --nocapture \
        2>&1 | tee "/tmp/rill-fuzz-$test.log" | grep -E '^FUZZ|failure|input:|problem:' || true
    if grep -q "test result: ok" "/tmp/rill-fuzz-$test.log"; then
        echo "== $test: no failure"
    else
        echo "== $test: FAILED (full log: /tmp/rill-fuzz-$test.log)"
        status=1
    fi
}
run parser_fuzz $((seconds / 3))
run engine_fuzz $((seconds - seconds / 3))
exit $status
