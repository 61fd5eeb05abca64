#!/usr/bin/env python3
"""diff-json.py JSON RC TEXT: "vmstate diff --format json" of the 7.2 and
10.0 streams: exit 1, the hpet field and the machine type among the
differences, as many as the text output prints, configuration first."""
import json, sys
d = json.load(open(sys.argv[1]))
assert sys.argv[2] == "1" and d["equal"] is False
f = [x for x in d["differences"] if x["kind"] == "field"]
assert {"kind": "field", "path": "hpet.num_timers", "a": "0x03", "b": None} in f
text = open(sys.argv[3]).read().splitlines()
assert len(f) + sum(x["kind"] != "field" for x in d["differences"]) + \
    len(d["configuration"]) == \
    sum(not l.startswith("ram: ") for l in text), "same differences"
assert list(d).index("configuration") < list(d).index("differences")
assert d["configuration"] == [{"field": "machine", "a": "pc-i440fx-7.2",
                               "b": "pc-i440fx-10.0"}], d["configuration"]
assert text[0] == 'configuration: machine: "pc-i440fx-7.2" != "pc-i440fx-10.0"'

r = [x for x in d["ram"] if x["block"] == "pc.ram"][0]
assert r["differing_pages"] == len(r["first"]) or len(r["first"]) == 8
