#!/usr/bin/env python3
"""section-cuts.py STREAM OUT: the exact section boundaries of STREAM
(record starts, header ends and record ends, parsed without decoding by
tests/fuzz/streamcut.py, which needs footers) into OUT, one offset a
line; exit 1 when the stream cannot be parsed so."""
import os, sys
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests", "fuzz"))
import streamcut as sc
data = open(sys.argv[1], "rb").read()
try:
    recs = sc.records(data)
except (ValueError, AssertionError, IndexError, KeyError):
    sys.exit(1)
cuts = sorted({r.start for r in recs} | {r.end for r in recs} |
              {r.hdr_end for r in recs})
open(sys.argv[2], "w").write("".join("%d\n" % c for c in cuts))
