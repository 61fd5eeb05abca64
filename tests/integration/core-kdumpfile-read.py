#!/usr/bin/env python3
"""core-kdumpfile-read.py KDUMP ADDR BLOB: libkdumpfile (Debian's python3
module, python3-libkdumpfile) reads from KDUMP, at guest-physical ADDR,
the 4 KiB of BLOB. Exit 1 when they differ."""
import sys

import kdumpfile

k = kdumpfile.kdumpfile(sys.argv[1])
got = k.read(kdumpfile.KDUMP_MACHPHYSADDR, int(sys.argv[2], 0), 4096)
sys.exit(got != open(sys.argv[3], "rb").read())
