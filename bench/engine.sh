#!/usr/bin/env bash
# Engine throughput, each figure as a ratio to memcpy of the same bytes in
# the same run. Builds an optimised tree (build-bench) first.
#   bash bench/engine.sh [RAM_MIB]     (default 256)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh build-bench -Dbuildtype=release -Dtests=false
./build-bench/bench/engine_bench "${1:-256}"
