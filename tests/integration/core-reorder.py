#!/usr/bin/env python3
"""core-reorder.py IN OUT SUFFIX: IN with the device section whose idstr
ends with SUFFIX moved to just after the RAM's first part (before its
pages), every other byte in place. QEMU's loader takes device sections in
any order; vmstate core must too, though its first pass jumps over the
pages to the devices it expects after them (src/core.c): this is the
stream where that jump does not hold."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "fuzz"))
import streamcut as sc  # noqa: E402

src, dst, suffix = sys.argv[1], sys.argv[2], sys.argv[3].encode()
data = open(src, "rb").read()
recs = sc.records(data)
ram = next(r for r in recs if r.kind == sc.START and r.idstr == b"ram")
dev = next(r for r in recs
           if r.kind == sc.FULL and r.idstr.endswith(suffix))
assert ram.end < dev.start
out = (data[:ram.end] + data[dev.start:dev.end] +
       data[ram.end:dev.start] + data[dev.end:])
assert len(out) == len(data)
open(dst, "wb").write(out)
