#!/usr/bin/env bash
# Filesystem safety of every command that writes files: names taken from
# the input (RAM block names: ../x, /etc/x, a/../../x, NUL, newline, ".",
# "..", colliding names, 255 bytes) stay one file each inside the output
# directory; a symlink planted there is never followed nor replaced (an
# error even with --force); existing files are kept without --force; a
# failed run (truncated input, refused name) leaves no block file,
# state.json or temporary file (desc.json, written first, is complete).
# Table-driven: a command that writes files is one more entry in WRITERS.
. "$(dirname "$0")/tap.sh"
set -u
exec python3 "$VMS_SRCDIR/tests/integration/fs-safety.py" "$VMSTATE" "$VMS_SRCDIR"
