#!/usr/bin/env python3
"""ramlog-xbzrle.py RAMLOG: the number of XBZRLE records in an unpacked
stream's ramlog.bin (doc/vmstate-unpack.1: a 16-byte header "VMSRAMLG",
then 48-byte records whose byte 44 is the kind, 5 for XBZRLE)."""
import sys

d = open(sys.argv[1], "rb").read()
assert d[:8] == b"VMSRAMLG"
print(sum(1 for i in range(16, len(d), 48) if d[i + 44] == 5))
