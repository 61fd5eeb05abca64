#!/usr/bin/env python3
"""convert-rename-der.py IN OUT: IN (BER) with field "imr" renamed "imx"."""
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"\x0c\x03imr")
open(sys.argv[2], "wb").write(d[:i + 2] + b"imx" + d[i + 5:])
