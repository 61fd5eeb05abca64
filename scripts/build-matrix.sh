#!/usr/bin/env bash
# Build the library and the tool (no tests: cheap) in every configuration a
# packager is likely to use, each with -Werror, so that a warning any of
# them shows fails our CI and never a user's build (werror is off by
# default in meson.build). One line per configuration; with MATRIX_LOG=FILE
# also one line each in meson's testlog.json form for scripts/test-summary.py.
#   bash scripts/build-matrix.sh [DIR]     (default build-matrix)
set -uo pipefail
cd "$(dirname "$0")/.."
top=${1:-build-matrix}
status=0

# name  compiler  CFLAGS  meson options
configs=(
    "gcc-release|gcc||--buildtype=release"
    "gcc-minsize|gcc||--buildtype=minsize"
    "gcc-O1|gcc|-O1|--buildtype=plain"
    "gcc-debian|gcc|-g -O2 -D_FORTIFY_SOURCE=3|--buildtype=plain"
    "clang-release|clang||--buildtype=release"
    "clang-minsize|clang||--buildtype=minsize"
    "clang-debian|clang|-g -O2 -D_FORTIFY_SOURCE=3|--buildtype=plain"
)

for c in "${configs[@]}"; do
    IFS='|' read -r name comp cflags opts <<<"$c"
    dir=$top/$name
    cxx=g++
    [ "$comp" = clang ] && cxx=clang++
    rm -rf "$dir"
    mkdir -p "$top"
    # shellcheck disable=SC2086  # opts is a list of words
    if CC=$comp CXX=$cxx CFLAGS=$cflags CXXFLAGS=$cflags \
        meson setup "$dir" -Dtests=false -Dwerror=true $opts \
            >"$top/$name.log" 2>&1 &&
        meson compile -C "$dir" >>"$top/$name.log" 2>&1; then
        result=OK
        echo "build-matrix: $name ok"
    else
        result=FAIL
        status=1
        echo "build-matrix: $name FAILED (log: $top/$name.log)"
        grep -E 'warning:|error:' "$top/$name.log" | head -20
    fi
    if [ -n "${MATRIX_LOG:-}" ]; then
        printf '{"name": "build/%s", "result": "%s"}\n' "$name" "$result" \
            >>"$MATRIX_LOG"
    fi
    rm -rf "$dir"            # keep the log, not the tree
done
exit $status
