#!/usr/bin/env python3
"""convert-qemu-edit-json.py DOC: set the first i8259's imr in a stream
converted to JSON, in place."""
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["records"]:
    if r.get("idstr") == "i8259" and r.get("instance_id") == 0:
        r["state"]["imr"] = "0x5a"
        break
else:
    sys.exit("no i8259 section")
json.dump(doc, open(sys.argv[1], "w"), indent=1)
