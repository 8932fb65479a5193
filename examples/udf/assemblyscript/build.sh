#!/usr/bin/env bash
# Builds the AssemblyScript UDF example into build/spread.wasm (not committed).
# Needs npm; installs the pinned assemblyscript from package.json.
#   --runtime stub : a bump allocator, no garbage collector (Rill never frees)
#   --use abort=   : turns aborts into `unreachable` so the module imports nothing
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --silent
mkdir -p build
npx asc spread.ts -O3 --runtime stub --use abort= -o build/spread.wasm
echo "built $(pwd)/build/spread.wasm"
