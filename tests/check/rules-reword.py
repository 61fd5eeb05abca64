#!/usr/bin/env python3
"""rules-reword.py REPORT: reword every finding's message of a --format json
report in place (a baseline matches findings by what they are, not by
their wording)."""
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    f["message"] = "reworded"
json.dump(d, open(sys.argv[1], "w"))
