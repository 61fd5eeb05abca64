#!/usr/bin/env python3
"""verify-sarif.py SARIF: "vmstate verify --format sarif" of the same: the
driver is "vmstate verify", one result of level error (the others
warnings)."""
import json
import sys

r = json.load(open(sys.argv[1]))["runs"][0]
assert r["tool"]["driver"]["name"] == "vmstate verify", r["tool"]
assert [x["level"] for x in r["results"]
        if x["level"] != "warning"] == ["error"], r["results"]
