#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh DIR [meson options...]
# Options given again apply to an existing tree too.
set -euo pipefail
dir=$1
shift
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >&2
elif [ $# -gt 0 ]; then
    meson configure "$dir" "$@" >&2
fi
meson compile -C "$dir" >&2
