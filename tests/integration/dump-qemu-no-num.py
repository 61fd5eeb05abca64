#!/usr/bin/env python3
"""dump-qemu-no-num.py DUMP: QEMU 7.2's -dump-vmstate gives no array
counts ("num") in any field, nested descriptions and subsections
included. Exit 1 when one has."""
import json
import sys


def fields(d):
    for f in d.get("Fields", []):
        yield f
        yield from fields(f.get("Description", {}))
    for s in d.get("Subsections", []):
        yield from fields(s)


dump = json.load(open(sys.argv[1]))
sys.exit(any("num" in f for k, v in dump.items() if k != "vmschkmachine"
             for f in fields(v["Description"])))
