#!/usr/bin/env python3
"""qcow2-long-name.py IMAGE: give the first snapshot a VM state size of
1 TiB, in place (its extra data holds the 64-bit size)."""
import struct, sys
f = open(sys.argv[1], "r+b")
h = f.read(72)
snap_off = struct.unpack(">Q", h[64:72])[0]
f.seek(snap_off + 36)
extra = struct.unpack(">I", f.read(4))[0]
assert extra >= 8
f.seek(snap_off + 40)
f.write(struct.pack(">Q", 1 << 40))
