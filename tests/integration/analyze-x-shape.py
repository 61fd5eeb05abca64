#!/usr/bin/env python3
"""analyze-x-shape.py DESC TRACE: no field the stream's description gives
as one number (a QEMU type of its size) is printed as bytes in the
trace, and the trace has numbers wider than a byte. Exit 1 otherwise."""
import json, re, sys
# QEMU's type names of one number and their size
ONE = {"bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8, "uint8": 1,
       "uint16": 2, "uint32": 4, "uint64": 8, "int32 equal": 4,
       "int32 le": 4, "uint8 equal": 1, "uint16 equal": 2,
       "uint32 equal": 4, "int64 equal": 8, "timer": 8, "float64": 8}
one = set()   # (field name, size, has array_len) of one-number fields
def walk(o):
    for f in o.get("fields", []):
        if f.get("type") == "struct":
            walk(f.get("struct", {}))
        elif ONE.get(f.get("type")) == f.get("size"):
            one.add((f["name"], f["size"], "array_len" in f))
    for s in o.get("subsections", []):
        walk(s)
for d in json.load(open(sys.argv[1]))["devices"]:
    walk(d)
# The shape of a number printed as bytes: FIELD(size)(1).[k], or for an
# element of an array FIELD(n)(size).[i](size)(1).[k] (names hold dots).
bad, numbers = [], 0
for line in open(sys.argv[2]):
    if line.startswith("#") or " = (" not in line:
        continue
    path, value = line.split(" = (", 1)
    if not value.startswith("uint8)"):
        numbers += 1
    m = re.match(r"^(.*)\((\d+)\)\(1\)\.\[\d+\]$", path)
    if not m:
        continue
    prefix, size = m.group(1), int(m.group(2))
    el = re.match(r"^(.*)\(\d+\)\(\d+\)\.\[\d+\]$", prefix)
    field = el.group(1) if el else prefix
    if any((field == n or field.endswith("." + n)) and s == size and
           a == bool(el) for n, s, a in one):
        bad.append(line)
print("".join(bad[:5]), "numbers wider than a byte:", numbers)
sys.exit(1 if bad or not numbers else 0)
