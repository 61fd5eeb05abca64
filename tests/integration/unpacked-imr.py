#!/usr/bin/env python3
"""unpacked-imr.py DIR [RAM_BLOCK OFFSET BYTE]: in the unpacked stream DIR
(vmstate unpack), set the first i8259's imr to 0x5a; with RAM_BLOCK also
the RAM byte at OFFSET of DIR/ram/RAM_BLOCK to BYTE (numbers in any base
python reads: 0x...)."""
import json
import os
import sys

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
if len(sys.argv) > 2:
    with open(os.path.join(d, "ram", sys.argv[2]), "r+b") as f:
        f.seek(int(sys.argv[3], 0))
        f.write(bytes([int(sys.argv[4], 0)]))
