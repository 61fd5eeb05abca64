#!/usr/bin/env python3
"""dump-qemu-edit.py STREAM_JSON: set the first i8259's imr to 0x5a in an
unpacked stream.json, in place."""
import json, sys
p = sys.argv[1]
doc = json.load(open(p))
for s in doc["sections"]:
    if s.get("idstr") == "i8259" and s.get("instance_id") == 0:
        s["fields"]["imr"] = "0x5a"
json.dump(doc, open(p, "w"), indent=4)
