#!/usr/bin/env python3
"""rules-accepted.py REPORT BASE_ERRORS: the --format json report with a
baseline marks the baseline's counted findings accepted and only the new
mc146818rtc version finding counts."""
import json, sys
d = json.load(open(sys.argv[1]))
acc = [f for f in d["findings"] if f["accepted"]]
new = [f for f in d["findings"] if not f["accepted"]]
base = int(sys.argv[2])
assert d["errors"] == 1, d["errors"]
assert len(new) == 1 and new[0]["kind"] == "version" and new[0]["section"] == "mc146818rtc", new
assert len([f for f in acc if f["counted"]]) == base, len(acc)
