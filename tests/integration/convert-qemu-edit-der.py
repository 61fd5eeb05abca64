#!/usr/bin/env python3
"""convert-qemu-edit-der.py DER: set the second i8259's imr to 0x3c in a
stream converted to BER, in place."""
import sys
d = bytearray(open(sys.argv[1], "rb").read())
name = b"\x0c\x05i8259"
at = -1
for _ in range(3):      # idstr and State name of pic0, then pic1's idstr
    at = d.index(name, at + 1)
f = d.index(b"\x0c\x03imr\x0c\x05uint8\x02\x01\x01\x02\x01", at)
d[f + 17] = 0x3c
open(sys.argv[1], "wb").write(d)
