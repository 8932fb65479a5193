#!/usr/bin/env bash
# Side-by-side storage benchmark, Rill vs a real Prometheus 2.42 on the same promtool blocks
# (not a test). Generates bench data (../shared/bench/gen_openmetrics.py), turns it into blocks,
# serves one copy with Prometheus and one with `rill serve --data` (release), and times the
# instant queries of scripts/bench-storage.queries on both with `promcompare.py bench`
# (round-robin, RSS sampled). For each query that decodes chunks (count_over_time) it prints
# the samples read (the sum of the query's result values, asked of Prometheus) and samples/s
# per core: both
# servers evaluate one query at a time (the client is sequential) on one core per query, so
# samples / median latency is the per-core rate. Then it runs Rill's ingest bench (the append
# API, rill-tsdb's `ingest` example) and prints samples/s per fsync policy.
# Env: SERIES (2000), HOURS (6), REPEAT (5), INGEST_SERIES (10000), INGEST_SCRAPES (200),
#      plus those of scripts/lib/differential.sh (RILL, PROMETHEUS, PROMTOOL, KEEP).
set -euo pipefail
cd "$(dirname "$0")/.."
B=../shared/bench
SERIES=${SERIES:-2000}
HOURS=${HOURS:-6}
REPEAT=${REPEAT:-5}
START=1700000000
END=$((START + HOURS * 3600))
TARGET=${CARGO_TARGET_DIR:-target}
if [ -z "${RILL:-}" ]; then
  echo "building rill (release, without UDFs) ..." >&2
  cargo build --release --quiet -p rill --no-default-features >&2
  RILL="$TARGET/release/rill"
fi
# shellcheck source=scripts/lib/differential.sh
. scripts/lib/differential.sh

echo "generating $SERIES series x ${HOURS}h ..." >&2
python3 "$B/gen_openmetrics.py" --series "$SERIES" --hours "$HOURS" --start "$START" -o "$WORK/data.om"
diff_start "$WORK/data.om"
rm -f "$WORK/data.om"
sed "s/\$RANGE/${HOURS}h/g" scripts/bench-storage.queries >"$WORK/queries.txt"
REF_PID=${DIFF_PIDS[0]}
RILL_PID=${DIFF_PIDS[1]}

python3 "$B/promcompare.py" bench --server "prometheus=$REF_URL,$REF_PID" --server "rill=$RILL_URL,$RILL_PID" \
  --queries "$WORK/queries.txt" --start "$START" --end "$END" --mode instant --time "$END" \
  --repeat "$REPEAT" --json "$WORK/bench.json" >"$WORK/bench.out"
grep -E '^(prometheus|rill|ratio)' "$WORK/bench.out" || true

python3 - "$WORK/bench.json" "$REF_URL" "$END" "$REF_PID" "$RILL_PID" <<'PY'
import json, sys, urllib.parse, urllib.request
path, ref, end, pids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
bench = json.load(open(path))

def threads(pid):
    with open("/proc/%s/status" % pid) as f:
        return next((l.split()[1] for l in f if l.startswith("Threads:")), "?")

def samples(q):
    """Samples a count_over_time query reads: the sum of its result values (Prometheus's)."""
    url = "%s/api/v1/query?%s" % (ref, urllib.parse.urlencode({"query": q, "time": end}))
    res = json.load(urllib.request.urlopen(url, timeout=300))["data"]["result"]
    return sum(float(r["value"][1]) for r in res)

def ms(d):
    return "%.1f" % (d["median_s"] * 1000) if d["median_s"] is not None else "ERR"

def rate(n, d):
    return "%.1f M" % (n / d["median_s"] / 1e6) if n and d["median_s"] else "-"

print()
print("| query | Prometheus ms | Rill ms | Rill/Prom | samples | Prometheus samples/s/core | Rill samples/s/core |")
print("|---|---:|---:|---:|---:|---:|---:|")
for row in bench["rows"]:
    n = samples(row["query"]) if "count_over_time" in row["query"] else None
    p, r = row["prometheus"], row["rill"]
    ratio = "%.2f" % (r["median_s"] / p["median_s"]) if p["median_s"] and r["median_s"] else "-"
    terms = row["query"].split(" + ")
    shown = row["query"] if len(terms) == 1 else "%s + ... (%d terms)" % (terms[0], len(terms))
    print("| `%s` | %s | %s | %s | %s | %s | %s |" % (
        shown.replace("|", "\\|"), ms(p), ms(r), ratio, "%d" % n if n else "-", rate(n, p), rate(n, r)))
s = bench["summary"]
print()
print("OS threads: Prometheus %s, Rill %s (queries run one at a time; each is evaluated on one core)."
      % (threads(pids[0]), threads(pids[1])))
for name in ("prometheus", "rill"):
    x = s[name]
    print("%s: peak RSS %.0f MiB, total of medians %.3f s" % (name, (x["peak_rss_sampled"] or 0) / 2**20,
                                                          x["total_median_s"]))
PY

echo
echo "ingest (rill-tsdb append API, ${INGEST_SERIES:-10000} series x ${INGEST_SCRAPES:-200} scrapes):"
cargo run --release --quiet -p rill-tsdb --example ingest -- "${INGEST_SERIES:-10000}" "${INGEST_SCRAPES:-200}"
