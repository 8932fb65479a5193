#!/usr/bin/env bash
# The test command of the README: installs the real peers the tests talk to, then runs every
# test of the workspace (unit, integration, upstream conformance gate, tests against real
# Prometheus/promtool, bounded fuzz and crash campaigns).
set -euo pipefail
cd "$(dirname "$0")/.."

# Prometheus and promtool (Debian's prometheus package): tests read blocks promtool writes,
# let promtool read ours, and compare answers with a real Prometheus on loopback.
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: promtool/prometheus are missing; install Debian's 'prometheus' package (apt-get install prometheus)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# Python's requests (Debian's python3-requests): rill-server's Python client test uses it.
if ! python3 -c 'import requests' >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: python3 cannot import requests; install Debian's 'python3-requests' package (apt-get install python3-requests)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3-requests >/dev/null
fi

# The AssemblyScript UDF example is built from source (no binaries in the repo); rill-udf's
# tests run the module it produces.
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is missing; examples/udf/assemblyscript/build.sh needs it (apt-get install npm)" >&2
  exit 2
fi
examples/udf/assemblyscript/build.sh

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

cargo nextest run --workspace --no-fail-fast "$@"
