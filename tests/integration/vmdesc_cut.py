#!/usr/bin/env python3
"""vmdesc_cut.py IN OUT: write IN's migration stream without its JSON
description (up to and including the end marker), as suppress-vmdesc=on
would have written it; exit 1 when IN has none. As a module,
end_marker(data) is the end marker's offset (or None): the 0x00 before the
0x06 whose be32 length reaches the end exactly, the rule QEMU's
analyze-migration.py relies on too."""
import struct
import sys


def end_marker(data):
    for p in range(len(data) - 5, 0, -1):
        if data[p] == 6 and data[p - 1] == 0 and \
           struct.unpack(">I", data[p + 1:p + 5])[0] == len(data) - p - 5:
            return p - 1
    return None


if __name__ == "__main__":
    d = open(sys.argv[1], "rb").read()
    e = end_marker(d)
    if e is None:
        sys.exit(1)
    with open(sys.argv[2], "wb") as f:
        f.write(d[:e + 1])
