# shellcheck shell=bash
# Shared setup of the differential scripts (compliance.sh, bench-compare.sh), sourced, not run:
# turns an OpenMetrics file into promtool blocks, starts the reference Prometheus on one copy and
# `rill serve` on another (127.0.0.1 only, free ports), and stops both by PID at exit.
# After `diff_start FILE`: $REF_URL, $RILL_URL, $WORK (scratch dir, removed at exit unless KEEP=1).
# Env: RILL (binary; default: build `rill` in release into ${CARGO_TARGET_DIR:-target}),
#      PROMETHEUS / PROMTOOL (default: from PATH), KEEP=1 (keep $WORK and the server logs),
#      PROMETHEUS_FLAGS (extra Prometheus flags, e.g. --enable-feature=promql-negative-offset).

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rill-diff.XXXXXX")
DIFF_PIDS=()

diff_cleanup() {
  local p
  for p in "${DIFF_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap diff_cleanup EXIT

# Prints a TCP port that is free on 127.0.0.1 right now.
diff_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL/-/ready answers (server PID must stay alive); LOG is shown on failure.
diff_wait_ready() { # url pid log
  local _
  for _ in $(seq 600); do
    curl -sf -o /dev/null "$1/-/ready" && return 0
    if ! kill -0 "$2" 2>/dev/null; then
      echo "error: server $2 exited; tail of $3:" >&2
      tail -20 "$3" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "error: $1 not ready after 120 s" >&2
  return 1
}

# Resolves the rill binary into $RILL (building it in release when not given).
diff_rill_binary() {
  if [ -z "${RILL:-}" ]; then
    echo "building rill (release) ..." >&2
    cargo build --release --quiet -p rill >&2
    RILL="${CARGO_TARGET_DIR:-target}/release/rill"
  fi
  [ -x "$RILL" ] || { echo "error: no rill binary at $RILL" >&2; return 1; }
}

# Builds blocks from the OpenMetrics FILE and starts both servers on separate copies.
diff_start() { # openmetrics_file
  local prometheus=${PROMETHEUS:-prometheus} promtool=${PROMTOOL:-promtool} port pid flags
  read -ra flags <<<"${PROMETHEUS_FLAGS:-}"
  diff_rill_binary
  "$promtool" tsdb create-blocks-from openmetrics "$1" "$WORK/blocks" >/dev/null
  mkdir -p "$WORK/ref" "$WORK/rill"
  cp -r "$WORK/blocks/." "$WORK/ref/"
  cp -r "$WORK/blocks/." "$WORK/rill/"
  printf 'global:\n  scrape_interval: 1h\nscrape_configs: []\n' >"$WORK/prometheus.yml"

  port=$(diff_free_port)
  # Compaction off (2h min = max block range): the reference serves exactly promtool's blocks.
  "$prometheus" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/ref" \
    --storage.tsdb.retention.time=100y --storage.tsdb.min-block-duration=2h \
    --storage.tsdb.max-block-duration=2h --web.listen-address="127.0.0.1:$port" "${flags[@]}" \
    >"$WORK/prometheus.log" 2>&1 </dev/null &
  pid=$!
  DIFF_PIDS+=("$pid")
  REF_URL="http://127.0.0.1:$port"
  diff_wait_ready "$REF_URL" "$pid" "$WORK/prometheus.log"

  port=$(diff_free_port)
  "$RILL" serve --data "$WORK/rill" --listen "127.0.0.1:$port" >"$WORK/rill.log" 2>&1 </dev/null &
  pid=$!
  DIFF_PIDS+=("$pid")
  RILL_URL="http://127.0.0.1:$port"
  diff_wait_ready "$RILL_URL" "$pid" "$WORK/rill.log"
  echo "reference Prometheus on $REF_URL, rill on $RILL_URL (work dir $WORK)" >&2
}
