#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh DIR [meson options...]
# Options given again apply to an existing tree too.
set -euo pipefail
dir=$1
shift
# -Werror is ours (CI, tests, benchmarks), not the default for people who
# build the package: meson.build leaves it off.
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" -Dwerror=true "$@" >&2
elif [ $# -gt 0 ]; then
    meson configure "$dir" "$@" >&2
fi
meson compile -C "$dir" >&2
