#!/usr/bin/env python3
"""diff-qemu-pages.py JSON: "vmstate diff --format json --ram pages" of the
two streams whose pc.ram differs in the 512 pages from 16 MiB lists
exactly those."""
import json
import sys

d = json.load(open(sys.argv[1]))
r = [b for b in d["ram"] if b["block"] == "pc.ram"][0]
assert r["differing_pages"] == 512
assert r["pages"] == ["0x%x" % (0x1000000 + i * 4096) for i in range(512)]
