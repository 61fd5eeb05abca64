#!/usr/bin/env python3
"""diff-qemu-config.py JSON: "vmstate diff --format json" of a QEMU 7.2 and
a 5.2 stream gives the configuration (the machine types) before the
device differences."""
import json
import sys

d = json.load(open(sys.argv[1]))
k = list(d)
assert k.index("configuration") < k.index("differences"), k
assert {"field": "machine", "a": "pc-i440fx-7.2",
        "b": "pc-i440fx-5.2"} in d["configuration"], d["configuration"]
