#!/usr/bin/env python3
"""verify-json.py JSON DEST: "vmstate verify --format json" of a 10.0
stream against a 7.2 dump DEST: the checker's document, one error, the
machine_type finding first."""
import json
import sys

d = json.load(open(sys.argv[1]))
assert d["errors"] == 1, d
assert d["findings"][0]["kind"] == "machine_type", d["findings"]
assert d["dest"] == sys.argv[2], d["dest"]
