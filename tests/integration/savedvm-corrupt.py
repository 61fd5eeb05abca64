#!/usr/bin/env python3
"""savedvm-corrupt.py IN OUT: IN with 64 bytes in its middle flipped."""
import sys
d = bytearray(open(sys.argv[1], "rb").read())
mid = len(d) // 2
for i in range(mid, mid + 64):
    d[i] ^= 0x5a
open(sys.argv[2], "wb").write(d)
