#!/usr/bin/env python3
"""pack-archive.py DIR OUT: the unpacked stream DIR as the archive
fuzz_pack.c reads (per file: its index in NAMES, be32 length, bytes)."""
import os, struct, sys
# The archive fuzz_pack.c reads: name index, be32 length, bytes.
names = ["stream.json", "vmdesc.json", "raw.bin", "ramlog.bin",
         "ramdata.bin", "ram/pc.ram", "ram/pc.bios", "ram/b"]
out = bytearray()
for i, n in enumerate(names):
    p = os.path.join(sys.argv[1], n)
    if os.path.exists(p):
        b = open(p, "rb").read()
        out += bytes([i]) + struct.pack(">I", len(b)) + b
open(sys.argv[2], "wb").write(out)
