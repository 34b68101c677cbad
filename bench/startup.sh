#!/usr/bin/env bash
# Time from `node src/server.ts` to a 200 from /healthz on a fresh DATA_DIR (embedded PGlite,
# development secrets generated, demo sandbox started). Target: under 10 s. Runs 3 times.
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node
for run in 1 2 3; do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  DATA_DIR="$dir" PORT=8765 SANDBOX_PORT=8766 LOG_LEVEL=warn "$node" src/server.ts >/dev/null 2>&1 &
  pid=$!
  until curl -sf http://127.0.0.1:8765/healthz >/dev/null; do sleep 0.05; done
  end=$(date +%s%N)
  kill -TERM "$pid"; wait "$pid" || true
  rm -rf "$dir"
  echo "run $run: fresh start to /healthz in $(( (end - start) / 1000000 )) ms (target < 10000 ms)"
done
