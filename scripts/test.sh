#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite twice: once
# as built for users (gcc), once with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer; then the library and the tool in every
# packager's configuration with -Werror (scripts/build-matrix.sh); then
# every libFuzzer target for a smoke run from its committed corpus (FUZZ_SECONDS, default 20; a crash fails and its
# input stays in tests/fuzz/crashes/). Ends with "N passed, N failed".
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
# Optimised (-O2 -g): the sweeps decode thousands of streams; ASan and
# UBSan find the same errors, and the suite runs several times faster.
CC=clang CXX=clang++ run_suite build-san -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized

# Every configuration a packager builds, library and tool only, -Werror.
matrix_log=build-matrix/testlog.json
mkdir -p build-matrix
rm -f "$matrix_log"
MATRIX_LOG=$PWD/$matrix_log bash scripts/build-matrix.sh build-matrix || status=1

mkdir -p build-fuzz
fuzz_log=build-fuzz/fuzz-testlog.json
rm -f "$fuzz_log"
FUZZ_LOG=$PWD/$fuzz_log bash fuzz/run.sh "${FUZZ_SECONDS:-20}" || status=1
[ -s "$fuzz_log" ] || echo '{"name": "fuzz/build", "result": "FAIL"}' >"$fuzz_log"

python3 scripts/test-summary.py build/meson-logs/testlog.json \
    build-san/meson-logs/testlog.json "$matrix_log" "$fuzz_log" || status=1
exit $status
