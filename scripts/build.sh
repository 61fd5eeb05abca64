#!/usr/bin/env bash
# Configure (once) and build a tree: scripts/build.sh DIR [meson options...]
set -euo pipefail
dir=$1
shift
if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >&2
fi
meson compile -C "$dir" >&2
