#!/usr/bin/env python3
"""analyze-qemu-xbzrle.py PC_RAM: the pc.ram "analyze -x" extracted from
the XBZRLE stream holds, at 16 MiB, the counter pages the guest wrote
(the same word at 0 and 8 of each page, nothing else; all from one or
two consecutive rounds)."""
import struct, sys
f = open(sys.argv[1], "rb")
f.seek(0x1000000)
data = f.read(0x200000)
vals = []
for p in range(0, len(data), 4096):
    a, = struct.unpack_from("<I", data, p)
    b, = struct.unpack_from("<I", data, p + 8)
    assert a == b, "page 0x%x: %x != %x" % (p, a, b)
    assert data[p + 4:p + 8] == bytes(4) and not any(data[p + 12:p + 4096])
    vals.append(a)
assert max(vals) - min(vals) <= 1, (min(vals), max(vals))
assert max(vals) > 0
