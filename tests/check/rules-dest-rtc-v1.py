#!/usr/bin/env python3
"""rules-dest-rtc-v1.py DUMP OUT: DUMP with mc146818rtc at version_id 1, a
new finding on top of a baseline."""
import json, sys
d = json.load(open(sys.argv[1]))
d["mc146818rtc"]["version_id"] = 1
json.dump(d, open(sys.argv[2], "w"), indent=2)
