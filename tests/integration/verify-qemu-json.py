#!/usr/bin/env python3
"""verify-qemu-json.py JSON: "vmstate verify --format json" of the stream
whose e1000/mit_state subsection was renamed: the checker's document,
one error, the subsection_missing finding naming it."""
import json
import sys

d = json.load(open(sys.argv[1]))
f = d["findings"]
assert d["errors"] == 1, d
assert f[0]["kind"] == "subsection_missing", f
assert f[0]["field"] == "e1000/mit_statx", f
assert d["src"].endswith("sub.mig"), d["src"]
