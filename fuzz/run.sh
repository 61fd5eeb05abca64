#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 60) from the
# committed corpus: fuzz/run.sh [SECONDS] [TARGET...]
# Builds build-fuzz with clang, ASan and UBSan. New inputs that add coverage
# go to a scratch corpus (merge them into tests/fuzz/corpus/ with -merge=1
# when worth keeping); a crashing input is kept in tests/fuzz/crashes/ and
# the script exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
CC=clang bash scripts/build.sh build-fuzz -Dfuzzing=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    || exit 1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=($(sed -n "s/^fuzz_targets = \[\(.*\)\]/\1/p" tests/fuzz/meson.build |
               tr -d "',"))
fi
mkdir -p tests/fuzz/crashes
status=0
for t in "${targets[@]}"; do
    scratch=$(mktemp -d)
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    echo "fuzz: $t for ${secs}s" >&2
    if ! build-fuzz/tests/fuzz/fuzz_"$t" "$scratch" "tests/fuzz/corpus/$t" \
            "${dict[@]}" -max_total_time="$secs" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="tests/fuzz/crashes/$t-" 2>"$scratch.log"; then
        tail -40 "$scratch.log" >&2
        echo "fuzz: $t FAILED (input kept in tests/fuzz/crashes/)" >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$scratch.log" | tail -2 >&2
    fi
    rm -rf "$scratch" "$scratch.log"
done
exit $status
