#!/usr/bin/env python3
"""state-has-memory.py STATE: "vmstate analyze -m" printed valid JSON in
which some section (the RAM's) carries the pages under "memory"."""
import json
import sys

d = json.load(open(sys.argv[1]))
assert any("memory" in v for v in d.values() if isinstance(v, dict))
