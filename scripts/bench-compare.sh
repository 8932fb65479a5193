#!/usr/bin/env bash
# Differential run of the bench queries (../shared/bench/queries.txt) on synthetic data from
# ../shared/bench/gen_openmetrics.py: each query as a range query plus instant queries on a real
# Prometheus and on `rill serve` over the same promtool blocks. Prints promcompare's final
# "N passed, N failed" line; exits non-zero if any query failed.
# Env: SERIES (300), HOURS (2), plus those of scripts/lib/differential.sh (RILL, KEEP, ...).
# Extra arguments go to `promcompare.py compare`.
set -euo pipefail
cd "$(dirname "$0")/.."
B=../shared/bench
SERIES=${SERIES:-300}
HOURS=${HOURS:-2}
START=1700000000
# shellcheck source=scripts/lib/differential.sh
. scripts/lib/differential.sh

python3 "$B/gen_openmetrics.py" --series "$SERIES" --hours "$HOURS" --start "$START" -o "$WORK/data.om"
diff_start "$WORK/data.om"
rm -f "$WORK/data.om"
# Whole-second times off every subquery grid: start at data start + 607 s, end 53 s before the
# data ends, so the range steps and the 3 instant times (start, middle, end) all end in 7 s.
END=$((START + HOURS * 3600 - 53))
status=0
python3 "$B/promcompare.py" compare --a "$REF_URL" --b "$RILL_URL" --queries "$B/queries.txt" \
  --start $((START + 607)) --end "$END" --step 60 "$@" >"$WORK/compare.out" || status=$?
grep -v '^[0-9]* passed, [0-9]* failed' "$WORK/compare.out" | grep -v '^PASS' || true
grep '^[0-9]* passed, [0-9]* failed' "$WORK/compare.out" | tail -n 1
exit "$status"
