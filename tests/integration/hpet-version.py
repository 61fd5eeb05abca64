#!/usr/bin/env python3
"""hpet-version.py IN OUT [SUB_OUT]: IN with hpet's section version 2
raised to 3 in its header (OUT); with SUB_OUT also IN with the e1000
subsection "e1000/mit_state" renamed, in the data and the vmdesc alike."""
import sys
b = open(sys.argv[1], "rb").read()
i = b.find(b"\x04hpet\x00\x00\x00\x00\x00\x00\x00\x02")
assert i > 0, "no hpet section header"
c = bytearray(b)
c[i + 12] = 3
open(sys.argv[2], "wb").write(c)
if len(sys.argv) > 3:
    assert b.count(b"e1000/mit_state") == 2, "e1000/mit_state not sent"
    open(sys.argv[3], "wb").write(b.replace(b"e1000/mit_state",
                                            b"e1000/mit_statx"))
