#!/usr/bin/env bash
# vmstate unpack / pack on the real streams of ../shared: unpack then pack
# is byte-identical (sha256) for every one of them, an edited field and an
# edited RAM byte land in the packed stream (and nothing else changes),
# and bad input to pack (missing files, wrong block size, values out of
# range, a renamed field, broken JSON) fails with one line naming the
# file and path, exit 1, no output file left.
. "$(dirname "$0")/tap.sh"
set -u
S=${VMS_SHARED:-}/testdata/streams
[ -d "$S" ] || skip_all "no shared test data at $S (set VMS_SHARED)"
exec python3 "$VMS_SRCDIR/tests/integration/pack.py" "$VMSTATE" "$S"
