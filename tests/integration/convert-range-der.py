#!/usr/bin/env python3
"""convert-range-der.py IN OUT: IN (BER) with imr, a uint8, given a value
that does not fit it."""
import sys
d = open(sys.argv[1], "rb").read()
# imr = 0xb8 is the INTEGER 02 02 00 b8; make it 0x01b8 (not a uint8)
i = d.index(b"\x0c\x03imr\x0c\x05uint8\x02\x01\x01\x02\x02\x00\xb8")
j = i + 17
open(sys.argv[2], "wb").write(d[:j] + b"\x01" + d[j + 1:])
