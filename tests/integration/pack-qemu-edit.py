#!/usr/bin/env python3
"""pack-qemu-edit.py DIR: in an unpacked stream, set the first i8259's imr
to 0x5a and the RAM byte at 0x123457 to 0xa7."""
import json, os, sys
d = sys.argv[1]
p = os.path.join(d, "stream.json")
doc = json.load(open(p))
for s in doc["sections"]:
    if s.get("idstr") == "i8259" and s.get("instance_id") == 0:
        s["fields"]["imr"] = "0x5a"
        break
else:
    sys.exit("no i8259 section")
json.dump(doc, open(p, "w"), indent=4)
with open(os.path.join(d, "ram", "pc.ram"), "r+b") as f:
    f.seek(0x123457)
    f.write(b"\xa7")
