#!/usr/bin/env bash
# Hostile input for vmstate diff and verify: real streams truncated at
# section boundaries and at pseudo-random offsets, and with bytes flipped.
# diff must end with 0, 1 or 2 and verify with a finding count or 255,
# never a crash or a hang; an error is one line naming the file and the
# byte offset, with nothing on stdout.
. "$(dirname "$0")/tap.sh"
set -u
T=${VMS_SHARED:-}/testdata
[ -d "$T/streams" ] || skip_all "no shared test data at $T (set VMS_SHARED)"
exec python3 "$VMS_SRCDIR/tests/integration/diff-verify-bad.py" "$VMSTATE" "$T"
