#!/usr/bin/env bash
# Install what is missing, build, and run the main job on a bundled sample:
# the migration-compatibility check of this machine's QEMU 7.2 (its
# -dump-vmstate, made now) against QEMU 10.0's dump of the same machine
# type (samples/, made with Debian's QEMU 10.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
qemu-system-x86_64 -M pc-i440fx-7.2 -nodefaults -display none \
    -dump-vmstate "$tmp/qemu7.2-pc-i440fx-7.2.json"
echo "\$ vmstate check -s qemu7.2-pc-i440fx-7.2.json -d samples/qemu10.0-x86_64-pc-i440fx-7.2.json"
rc=0
build/tools/vmstate check -s "$tmp/qemu7.2-pc-i440fx-7.2.json" \
    -d samples/qemu10.0-x86_64-pc-i440fx-7.2.json || rc=$?
echo "(exit status $rc: the number of migration-breaking changes found)"
