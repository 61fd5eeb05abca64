#!/usr/bin/env python3
"""rtc-base.py < STATE: base_rtc of the mc146818rtc section of "vmstate
analyze" output, as JSON (what diff prints for it)."""
import json
import sys

d = json.load(sys.stdin)
print(json.dumps([v for k, v in d.items()
                  if k.startswith("mc146818rtc ")][0]["base_rtc"]))
