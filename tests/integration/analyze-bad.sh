#!/usr/bin/env bash
# Hostile input through the command line: real streams truncated at
# section boundaries and pseudo-random offsets, and with bytes flipped in
# headers, lengths and the vmdesc. Each run must end with exit 0 or 1
# (never a crash or a hang) and, when it fails, one line "vmstate analyze:
# FILE: offset 0x...: what" on stderr, no state.json and no temporary file
# left behind by -x. The large sweeps (every boundary, 500 cuts and 500
# flips per stream, in-process) are tests/sweep; this samples them as a
# user runs the tool.
. "$(dirname "$0")/tap.sh"
set -u
S=${VMS_SHARED:-}/testdata/streams
[ -d "$S" ] || skip_all "no shared test data at $S (set VMS_SHARED)"
exec python3 "$VMS_SRCDIR/tests/integration/analyze-bad.py" "$VMSTATE" "$S"
