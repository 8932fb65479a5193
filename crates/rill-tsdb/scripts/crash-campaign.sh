#!/usr/bin/env bash
# Long crash-safety campaign: runs the SIGKILL test of tests/crash.rs for many rounds.
# Usage: crates/rill-tsdb/scripts/crash-campaign.sh [ROUNDS]   (default 1000)
# Each round starts a child that appends + commits with fsync Always, kills it with SIGKILL
# at a random moment, reopens the Db and checks every acknowledged sample. Prints the counts.
# Takes about 0.5 s per round (1,000 rounds: ~8.5 min on a shared 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROUNDS=${1:-1000}
RILL_CRASH_ROUNDS=$ROUNDS cargo test -p rill-tsdb --test crash -- acknowledged_samples_survive_sigkill --nocapture
