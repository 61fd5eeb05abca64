#!/usr/bin/env python3
"""truncated-qemu.py VMSTATE TMP N: the cuts of truncated-qemu.sh on the
streams it made in TMP (see there)."""
import os, random, subprocess, sys, shutil
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests",
                                "integration"))
from vmdesc_cut import end_marker
V, tmp, name = sys.argv[1:4]
full = os.path.join(tmp, name + ".mig")
data = open(full, "rb").read()
rng = random.Random(name)
eof = end_marker(data)
if eof is None:
    print("not ok - %s: no description found in QEMU's stream" % name)
    sys.exit(0)
bounds = [i + 5 for i in range(eof - 6) if data[i] == 0x7e and
          data[i + 5] in (1, 2, 3, 4) and i > len(data) // 2]
cuts = [("random", c) for c in sorted(rng.sample(range(17, eof), 5))]
cuts += [("a section boundary", rng.choice(bounds))] if bounds else []
cuts += [("just before the end marker", eof)]
cuts += [("in the description's header", eof + 2),
         ("in the description's length", eof + 4),
         ("in the description's text", eof + 6 + (len(data) - eof) // 2),
         ("one byte short of the end", len(data) - 1)]
cut = os.path.join(tmp, "cut.mig")
out = os.path.join(tmp, "cut.out")

def run(cmd):
    shutil.rmtree(os.path.join(tmp, "u"), ignore_errors=True)
    args = {"analyze": [V, "analyze", cut],
            "unpack": [V, "unpack", cut, os.path.join(tmp, "u")],
            "diff": [V, "diff", cut, full],
            "convert": [V, "convert", "--force", "--to", "json", cut, out]}[cmd]
    p = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=120)
    return p.returncode, p.stderr.decode(errors="replace").strip()

bad = []
for what, c in cuts:
    with open(cut, "wb") as f:
        f.write(data[:c])
    for cmd in ("analyze", "unpack", "diff", "convert"):
        rc, err = run(cmd)
        # the whole stream's own warnings (diff reads it too) are no error
        lines = [l for l in err.splitlines() if ": warning: " not in l]
        pre = "vmstate %s: %s: offset 0x" % (cmd, cut)
        if rc not in (1, 2) or len(lines) != 1 or \
           not lines[0].startswith(pre) or \
           ": truncated: expected " not in lines[0] or "--desc" in lines[0]:
            bad.append("%s at %d (%s): exit %d: %s" % (cmd, c, what, rc, err))
        if cmd == "unpack" and os.path.exists(os.path.join(tmp, "u")) and \
           os.listdir(os.path.join(tmp, "u")):
            bad.append("unpack at %d left files behind" % c)
        if cmd == "convert" and os.path.exists(out):
            bad.append("convert at %d left %s" % (c, out))
print(("ok" if not bad else "not ok") +
      " - %s: cut at %d places (before the end marker and inside the "
      "description): analyze, unpack, diff, convert say truncated + offset "
      "+ what was expected" % (name, len(cuts)))
for b in bad[:20]:
    print("# " + b)

# Exactly after the end marker: a stream without a description.
with open(cut, "wb") as f:
    f.write(data[:eof + 1])
urc, uerr = run("unpack")
arc, aerr = run("analyze")
# (unpack may not bound a section over 1 MiB without a description, as
# ppc64's spapr_iommu: it says so, and never "truncated")
good = (urc == 0 or "more than the 1048576 that can be held" in uerr) and \
    arc == 1 and "truncated" not in aerr + uerr and \
    "needs the stream's JSON description" in aerr
print(("ok" if good else "not ok") + " - %s: cut exactly after the end "
      "marker: no truncation (unpack exit %d; analyze asks for a "
      "description)" % (name, urc))
if not good:
    print("# unpack: %d %s\n# analyze: %d %s" % (urc, uerr, arc, aerr))
