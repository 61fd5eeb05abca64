#!/usr/bin/env bash
# --dump-vmstate (unpack, analyze, convert, diff) on real data of ../shared:
# QEMU 10.0's stream with its vmdesc cut off, described by QEMU 10.0's own
# -dump-vmstate. unpack then pack is byte-identical, the sections the dump
# describes exactly come decoded (and the same as through the vmdesc),
# every other device section stays raw with a note saying why, analyze
# prints decoded device fields; bad dumps fail with one line naming the
# file and leave nothing behind.
. "$(dirname "$0")/tap.sh"
set -u
SH=${VMS_SHARED:-}/testdata
[ -d "$SH" ] || skip_all "no shared test data at $SH (set VMS_SHARED)"
exec python3 "$VMS_SRCDIR/tests/integration/dump.py" "$VMSTATE" "$SH"
