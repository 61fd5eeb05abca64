#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite twice: once
# as built for users (gcc), once with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1

status=0
run_suite() {
    local dir=$1
    shift
    # A stale log would count an earlier run's tests for a broken build.
    rm -f "$dir/meson-logs/testlog.json"
    if ! bash scripts/build.sh "$dir" "$@"; then
        echo "test: build of $dir failed" >&2
        status=1
        return
    fi
    meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
}

run_suite build
CC=clang run_suite build-san -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug

python3 scripts/test-summary.py build/meson-logs/testlog.json \
    build-san/meson-logs/testlog.json || status=1
exit $status
