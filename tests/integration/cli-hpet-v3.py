#!/usr/bin/env python3
"""cli-hpet-v3.py STREAM_JSON: raise hpet's section version to 3 in an
unpacked stream.json, in place."""
import json, sys
d = json.load(open(sys.argv[1]))
[s for s in d["sections"] if s.get("idstr") == "hpet"][0]["version_id"] = 3
json.dump(d, open(sys.argv[1], "w"))
