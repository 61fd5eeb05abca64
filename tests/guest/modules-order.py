#!/usr/bin/env python3
"""modules-order.py MODDIR NAME...: the module files (relative to MODDIR)
of NAME... in load order, dependencies first, each once, from each
module's own "depends=" (.modinfo), since a package's modules come
without modules.dep."""
import os, re, sys
d = sys.argv[1]
files = {}
for top, _, names in os.walk(d):
    for n in names:
        if n.endswith(".ko"):
            files[n[:-3].replace("-", "_")] = os.path.relpath(
                os.path.join(top, n), d)
out, seen = [], set()
def add(name):
    if name in seen:
        return
    if name not in files:
        sys.exit("linux-guest.sh: no module %s in %s" % (name, d))
    seen.add(name)
    data = open(os.path.join(d, files[name]), "rb").read()
    m = re.search(rb"\0depends=([^\0]*)\0", data)
    for dep in (m.group(1).decode().split(",") if m else []):
        if dep:
            add(dep.replace("-", "_"))
    out.append(files[name])
for n in sys.argv[2:]:
    add(n)
print(" ".join(out))
