#!/usr/bin/env python3
"""core-unflatten.py FLAT OUT: the kdump file a "flattened" makedumpfile
stream describes (what QEMU's dump-guest-memory -z writes, and
"makedumpfile -R" turns back into a file): a 4096-byte header starting
"makedumpfile", then records of (be64 offset, be64 size, data), ended by
offset -1."""
import struct
import sys

with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    head = f.read(4096)
    if not head.startswith(b"makedumpfile"):
        sys.exit("%s: not a flattened makedumpfile stream" % sys.argv[1])
    while True:
        rec = f.read(16)
        if len(rec) < 16:
            sys.exit("%s: ends without the end record" % sys.argv[1])
        off, size = struct.unpack(">qq", rec)
        if off == -1:
            break
        out.seek(off)
        out.write(f.read(size))
