#!/usr/bin/env python3
"""diff-verify-bad.py VMSTATE TESTDATA: the body of diff-verify-bad.sh
(hostile input for diff and verify; see there)."""
import os, random, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests",
                                "integration"))
from tap import result, done
V, T = sys.argv[1], sys.argv[2]
S = os.path.join(T, "streams")
D72 = os.path.join(T, "checker", "qemu7.2-x86_64-pc-i440fx-7.2.json")
rng = random.Random(7)
# Sanitized builds run ~15x slower: fewer cases, the same kinds.
K = 1 if os.environ.get("VMS_SANITIZE", "none") in ("", "none") else 3
tmp = tempfile.mkdtemp()


def run(args, error_rc):
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
    except subprocess.TimeoutExpired:
        return "hang"
    err = [l for l in p.stderr.decode(errors="replace").splitlines()
           if "warning:" not in l]
    if p.returncode < 0 or p.returncode > 255:
        return "killed by signal %d" % -p.returncode
    if p.returncode == error_rc:
        if len(err) != 1 or "in.mig: offset 0x" not in err[0]:
            return "bad message: %r" % err
        if p.stdout:
            return "output on error"
    elif err:
        return "stderr without an error: %r" % err
    return ""

def both(data, good_path):
    path = os.path.join(tmp, "in.mig")
    with open(path, "wb") as f:
        f.write(data)
    # diff needs a vmdesc on both sides: the old stream is verify's only
    why = "" if "-old" in good_path else run([V, "diff", good_path, path], 2)
    if why:
        return "diff: " + why
    why = run([V, "verify", path, "--dest", D72], 255)
    return "verify: " + why if why else ""

for name in ("x86_64-pc-i440fx-devices", "x86_64-pc-live-xbzrle",
             "x86_64-pc-i440fx-2.0-old"):
    good = os.path.join(S, name + ".mig")
    data = open(good, "rb").read()
    cuts = [i for i in range(len(data) - 6)
            if data[i] == 0x7e and data[i + 5] in (0, 1, 2, 3, 4, 8)]
    cuts = sorted(rng.sample(cuts, min(15 // K, len(cuts))))
    cuts += [rng.randrange(1, len(data)) for _ in range(15 // K)]
    bad = []
    for c in cuts:
        why = both(data[:c], good)
        if why:
            bad.append("cut at 0x%x: %s" % (c, why))
    result(not bad, "%s: truncated at %d places" % (name, len(cuts)),
           "\n".join(bad))
    bad = []
    for _ in range(25 // K):
        d = bytearray(data)
        # mostly in the device state and the vmdesc, where lengths live
        at = rng.randrange(max(0, len(d) - 60000), len(d))
        d[at] ^= 1 << rng.randrange(8)
        why = both(bytes(d), good)
        if why:
            bad.append("flip at 0x%x: %s" % (at, why))
    result(not bad, "%s: %d single-bit flips" % (name, 25 // K),
           "\n".join(bad))
done()
