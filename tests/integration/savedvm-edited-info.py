#!/usr/bin/env python3
"""savedvm-edited-info.py EDITED_JSON INFO_JSON NAME: the edited domain name
and i8259 mask are in the packed image (see savedvm.sh)."""
import json, sys
a = json.load(open(sys.argv[1])); i = json.load(open(sys.argv[2]))
pic = [v for k, v in a.items() if k.startswith("i8259")][0]
assert pic["imr"] == "0x5a", pic["imr"]
assert i["domain"]["name"] == "savedvm-edited-with-a-longer-name", i["domain"]
assert i["libvirt"]["compression"] == sys.argv[3]
