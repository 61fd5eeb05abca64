#!/usr/bin/env python3
"""analyze-bad.py VMSTATE STREAMS_DIR: the body of analyze-bad.sh (hostile
input through "vmstate analyze"; see there)."""
import os, random, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests",
                                "integration"))
from tap import result, done
V, S = sys.argv[1], sys.argv[2]
rng = random.Random(3)

tmp = tempfile.mkdtemp()
def run(data, what, must_fail, extract=False, cut=False):
    path = os.path.join(tmp, "in.mig")
    with open(path, "wb") as f:
        f.write(data)
    out = os.path.join(tmp, "x")
    # -x writes QEMU's relative paths (rom@etc/acpi/tables): directories too
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    args = [V, "analyze", path] + (["-x", "-C", out] if extract else [])
    try:
        p = subprocess.run(args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=20)
    except subprocess.TimeoutExpired:
        return False, "hang"
    err = p.stderr.decode(errors="replace")
    lines = [l for l in err.splitlines() if "warning:" not in l]
    if p.returncode not in (0, 1):
        return False, "exit %d\n%s" % (p.returncode, err)
    if must_fail and p.returncode == 0:
        return False, "exit 0 on broken input"
    if p.returncode == 1:
        if len(lines) != 1 or "offset 0x" not in lines[0] or \
           not lines[0].startswith("vmstate analyze: "):
            return False, "bad message:\n" + err
        # the one truncation rule: said as such, never "pass --desc"
        if cut and (": truncated: expected " not in lines[0] or
                    "--desc" in lines[0]):
            return False, "not called truncated:\n" + err
        left = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs
                if f.startswith(".") or f == "state.json"]
        if left:
            return False, "left behind: %s" % left
    return True, ""

for name in ("s390x-ccw-virtio", "aarch64-virt-a57", "x86_64-pc-compress"):
    data = open(os.path.join(S, name + ".mig"), "rb").read()
    # Section boundaries: before and after each footer.
    cuts = set()
    for i in range(len(data) - 6):
        if data[i] == 0x7e and data[i + 5] in (0, 1, 2, 3, 4, 8):
            cuts.update((i, i + 5))
    cuts = sorted(cuts)
    if len(cuts) > 20:
        cuts = sorted(rng.sample(cuts, 20))
    bad = []
    for c in cuts:
        good, why = run(data[:c], "", True, cut=True)
        if not good:
            bad.append("cut at 0x%x: %s" % (c, why))
    result(not bad, "%s: truncated at %d section boundaries: each says "
           "truncated" % (name, len(cuts)),
           "\n".join(bad))
    bad = []
    for k in range(20):
        c = rng.randrange(0, len(data) - 1)
        good, why = run(data[:c], "", True, extract=(k % 5 == 0), cut=True)
        if not good:
            bad.append("cut at 0x%x: %s" % (c, why))
    result(not bad, "%s: truncated at 20 random offsets" % name, "\n".join(bad))
    # Flips in the header, in length/count fields and in the vmdesc.
    vmd = data.rfind(b"\x00\x06") + 1
    spots = list(range(0, 16)) + [vmd + i for i in range(5)]
    spots += [rng.randrange(vmd, len(data)) for _ in range(8)]
    spots += [rng.randrange(8, vmd) for _ in range(8)]
    spots += [c + d for c in cuts[:8] for d in (1, 4, 8)
              if c + d < len(data)]
    bad = []
    for s in spots:
        mutated = bytearray(data)
        mutated[s] ^= 1 << rng.randrange(8)
        good, why = run(bytes(mutated), "", s < 8 or vmd <= s < vmd + 5,
                        extract=(s % 7 == 0))
        if not good:
            bad.append("flip at 0x%x: %s" % (s, why))
    result(not bad, "%s: %d flipped bytes" % (name, len(spots)),
           "\n".join(bad))
done()
