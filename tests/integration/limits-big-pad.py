#!/usr/bin/env python3
"""limits-big-pad.py DIR: DIR/d.mig with its vmdesc padded with blanks to
exactly the 64 MiB cap (DIR/cap.mig) and one byte over it (DIR/over.mig)."""
import os, struct, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vmdesc_cut import end_marker
t = sys.argv[1]
b = open(t + "/d.mig", "rb").read()
p = end_marker(b) + 1       # the vmdesc record's 0x06
js = b[p + 5:]
for name, size in (("cap", 64 << 20), ("over", (64 << 20) + 1)):
    pad = js[:-1] + b" " * (size - len(js)) + js[-1:]
    open("%s/%s.mig" % (t, name), "wb").write(
        b[:p + 1] + struct.pack(">I", size) + pad)
