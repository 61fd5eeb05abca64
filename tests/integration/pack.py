#!/usr/bin/env python3
"""pack.py VMSTATE STREAMS_DIR: the body of pack.sh (unpack / pack on the
real streams; see there)."""
import hashlib, json, os, shutil, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests",
                                "integration"))
from tap import result, done
V, S = sys.argv[1], sys.argv[2]

def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()

def run(*args):
    return subprocess.run([V] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300)

tmp = tempfile.mkdtemp()
streams = sorted(f for f in os.listdir(S) if f.endswith(".mig"))
for name in streams:
    src = os.path.join(S, name)
    d = os.path.join(tmp, name + ".d")
    out = os.path.join(tmp, name + ".out")
    p = run("unpack", src, d)
    q = run("pack", d, out) if p.returncode == 0 else p
    good = q.returncode == 0 and sha(out) == sha(src)
    result(good, "%s: unpack then pack is byte-identical" % name,
           p.stderr + q.stderr)
    if os.path.exists(out):
        os.unlink(out)

# Editing: the 7.2 pc stream's first i8259 imr and a byte of pc.ram.
name = "x86_64-pc-i440fx-devices.mig"
src = os.path.join(S, name)
d = os.path.join(tmp, name + ".d")
doc = json.load(open(os.path.join(d, "stream.json")))
idx = [i for i, s in enumerate(doc["sections"])
       if s.get("idstr") == "i8259" and s.get("instance_id") == 0][0]
pic = doc["sections"][idx]["fields"]
result(pic["imr"].startswith("0x"), "i8259 imr is in stream.json (%s)" %
       pic["imr"])
orig_json = open(os.path.join(d, "stream.json")).read()

def edit(fields=None, text=None):
    with open(os.path.join(d, "stream.json"), "w") as f:
        if text is not None:
            f.write(text)
        else:
            e = json.loads(orig_json)
            e["sections"][idx]["fields"].update(fields)
            json.dump(e, f, indent=4)

def analyze(path):
    p = subprocess.run([V, "analyze", path], stdout=subprocess.PIPE,
                       text=True, timeout=120)
    return json.loads(p.stdout)

edit({"imr": "0x5a"})
ram = os.path.join(d, "ram", "pc.ram")
with open(ram, "r+b") as f:
    f.seek(0x123456)
    old_byte = f.read(1)
    f.seek(0x123456)
    f.write(b"\xa5")
out = os.path.join(tmp, "edited.mig")
p = run("pack", d, out)
result(p.returncode == 0, "pack of an edited directory", p.stderr)
if p.returncode == 0:
    a, b = analyze(src), analyze(out)
    key = [k for k in a if k.startswith("i8259 (")][0]
    result(b[key]["imr"] == "0x5a", "the edited imr is in the stream",
           b[key])
    a[key]["imr"] = "0x5a"
    result(a == b, "nothing else in the device state changed")
    x = os.path.join(tmp, "x")
    os.makedirs(x)
    subprocess.run([V, "analyze", "-x", "-C", x, out],
                   stdout=subprocess.DEVNULL, timeout=120)
    with open(os.path.join(x, "pc.ram"), "rb") as f:
        f.seek(0x123456)
        result(f.read(1) == b"\xa5", "the edited RAM byte is in the stream")
    shutil.rmtree(x)
    os.unlink(out)
with open(ram, "r+b") as f:
    f.seek(0x123456)
    f.write(old_byte)
edit({})

# "-" is standard output (no file named "-" appears).
p = subprocess.run([V, "pack", d, "-"], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=300, cwd=tmp)
result(p.returncode == 0 and hashlib.sha256(p.stdout).hexdigest() ==
       sha(src) and not os.path.exists(os.path.join(tmp, "-")),
       "pack DIR - writes the identical stream to stdout", p.stderr)

# An edited "machine" is written (it was silently ignored); unpacking the
# packed stream reads it back, and nothing else in the stream changed.
cfg = [i for i, s in enumerate(doc["sections"])
       if s["type"] == "configuration"][0]
e = json.loads(orig_json)
old_machine = e["sections"][cfg]["machine"]
e["sections"][cfg]["machine"] = "pc-i440fx-7.1"
with open(os.path.join(d, "stream.json"), "w") as f:
    json.dump(e, f, indent=4)
out = os.path.join(tmp, "machine.mig")
p = run("pack", d, out)
d2 = os.path.join(tmp, "machine.d")
q = run("unpack", out, d2) if p.returncode == 0 else p
got = json.load(open(os.path.join(d2, "stream.json"))) \
    if q.returncode == 0 else None
same_len = len(old_machine) == len("pc-i440fx-7.1")
result(got is not None and
       got["sections"][cfg]["machine"] == "pc-i440fx-7.1" and
       old_machine == "pc-i440fx-7.2" and same_len and
       sum(a != b for a, b in zip(open(out, "rb").read(),
                                  open(src, "rb").read())) == 1,
       "an edited machine is written, one byte changed (%s -> "
       "pc-i440fx-7.1)" % old_machine, p.stderr + q.stderr)
if os.path.exists(out):
    os.unlink(out)
shutil.rmtree(d2, ignore_errors=True)
edit({})

# Bad input: one line naming the file and path, exit 1, nothing left.
def bad(what, expect, prepare=None, undo=None, fields=None, text=None):
    if fields is not None or text is not None:
        edit(fields, text)
    if prepare:
        prepare()
    out = os.path.join(tmp, "bad.mig")
    p = run("pack", d, out)
    left = [f for f in os.listdir(tmp) if f.startswith(".bad.mig") or
            f == "bad.mig"]
    lines = p.stderr.strip().splitlines()
    good = (p.returncode == 1 and len(lines) == 1 and expect in lines[0]
            and lines[0].startswith("vmstate pack: ") and not left)
    result(good, "bad input: %s" % what,
           "rc %d, left %s: %s" % (p.returncode, left, p.stderr))
    if undo:
        undo()
    edit(text=orig_json)

path = "sections[%d].fields" % idx
bad("a value out of range", "stream.json: %s.imr: 0x1ff does not fit "
    "uint8" % path, fields={"imr": "0x1ff"})
bad("a negative unsigned value", "%s.imr: -1 does not fit uint8" % path,
    fields={"imr": -1})
bad("not a number", "%s.imr: \"zero\" is not a uint8" % path,
    fields={"imr": "zero"})
renamed = json.loads(orig_json)
f = renamed["sections"][idx]["fields"]
renamed["sections"][idx]["fields"] = {("imx" if k == "imr" else k): v
                                      for k, v in f.items()}
bad("a renamed field", "%s.imr: missing" % path,
    text=json.dumps(renamed, indent=4))
extra = json.loads(orig_json)
extra["sections"][idx]["fields"]["bogus"] = "0x00"
bad("an unknown field", "%s.bogus: no field" % path,
    text=json.dumps(extra, indent=4))
bad("broken JSON", "stream.json: line ", text=orig_json[:-40])
bad("bytes of the wrong length", "", text=orig_json.replace(
    '"cmos_data": "', '"cmos_data": "00 ', 1))
bad("a missing block file", "ram/pc.ram: cannot open",
    prepare=lambda: os.rename(ram, ram + ".away"),
    undo=lambda: os.rename(ram + ".away", ram))
def grow():
    with open(ram, "ab") as f:
        f.write(b"\0")
def shrink():
    os.truncate(ram, os.path.getsize(ram) - 1)
bad("a block file of the wrong size", "ram/pc.ram: 67108865 bytes",
    prepare=grow, undo=shrink)
log = os.path.join(d, "ramlog.bin")
bad("a missing page log", "ramlog.bin: cannot open",
    prepare=lambda: os.rename(log, log + ".away"),
    undo=lambda: os.rename(log + ".away", log))
bad("a missing stream.json", "stream.json: cannot open",
    prepare=lambda: os.rename(os.path.join(d, "stream.json"),
                              os.path.join(tmp, "sj")),
    undo=lambda: os.rename(os.path.join(tmp, "sj"),
                           os.path.join(d, "stream.json")))
bad("a section id out of range", "sections[%d].section_id: must be" % idx,
    text=orig_json.replace('"section_id": %d' %
                           doc["sections"][idx]["section_id"],
                           '"section_id": -3', 1))
bad("an empty machine", "sections[%d].machine: must not be empty" % cfg,
    text=orig_json.replace('"machine": "%s"' % old_machine,
                           '"machine": ""', 1))

# Caps (doc/limits.md): checked before anything is allocated.
big = json.loads(orig_json)
big["page_size"] = 2 << 20
bad("a page size over VMS_LIMIT_PAGE_SIZE", "stream.json: page_size",
    text=json.dumps(big, indent=4))
big = json.loads(orig_json)
big["ram_blocks"][0]["length"] = "0x10000000001"
bad("a block over VMS_LIMIT_RAM_BLOCK_SIZE",
    "ram_blocks[0].length: exceeds VMS_LIMIT_RAM_BLOCK_SIZE",
    text=json.dumps(big, indent=4))
big = json.loads(orig_json)
big["ram_blocks"] = big["ram_blocks"] * 4097
bad("more blocks than VMS_LIMIT_RAM_BLOCKS",
    "blocks exceed VMS_LIMIT_RAM_BLOCKS (4096)",
    text=json.dumps(big))
sj = os.path.join(d, "stream.json")
def sparse_json():
    os.rename(sj, os.path.join(tmp, "sj"))
    with open(sj, "wb") as f:
        f.truncate((1 << 30) + 1)
bad("a stream.json over VMS_LIMIT_PACK_JSON (sparse, never read)",
    "stream.json: 1073741825 bytes exceed VMS_LIMIT_PACK_JSON",
    prepare=sparse_json,
    undo=lambda: os.rename(os.path.join(tmp, "sj"), sj))
if doc.get("vmdesc"):
    vd = os.path.join(d, doc["vmdesc"])
    def sparse_vmdesc():
        os.rename(vd, vd + ".away")
        with open(vd, "wb") as f:
            f.truncate((64 << 20) + 1)
    bad("a vmdesc over VMS_LIMIT_VMDESC_SIZE (sparse, never read)",
        "%s: 67108865 bytes exceed VMS_LIMIT_VMDESC_SIZE" % doc["vmdesc"],
        prepare=sparse_vmdesc, undo=lambda: os.replace(vd + ".away", vd))
else:
    result(False, "the unpacked stream names its vmdesc file")

# Refusals that protect existing files.
exists = os.path.join(tmp, "exists.mig")
open(exists, "w").write("keep")
p = run("pack", d, exists)
result(p.returncode == 1 and open(exists).read() == "keep",
       "pack refuses to replace a file without --force", p.stderr)
p = run("pack", "--force", d, exists)
result(p.returncode == 0 and sha(exists) == sha(src),
       "pack --force replaces it", p.stderr)
p = run("unpack", src, d)
result(p.returncode == 1 and "not empty" in p.stderr,
       "unpack refuses a non-empty directory", p.stderr)
p = run("unpack", "--force", src, d)
result(p.returncode == 0, "unpack --force writes into it", p.stderr)
gone = os.path.join(tmp, "never")
p = run("unpack", os.path.join(tmp, "exists.mig.none"), gone)
result(p.returncode == 1 and not os.path.exists(gone),
       "unpack of a missing stream leaves no directory", p.stderr)
trunc = os.path.join(tmp, "trunc.mig")
with open(src, "rb") as f:
    open(trunc, "wb").write(f.read(os.path.getsize(src) // 2))
p = run("unpack", trunc, gone)
result(p.returncode == 1 and not os.path.exists(gone) and
       len(p.stderr.strip().splitlines()) == 1,
       "unpack of a truncated stream fails in one line, leaves nothing",
       p.stderr)
# A damaged page log: pack fails in one line or writes a stream, never
# crashes, and leaves nothing behind when it fails.
import random
rng = random.Random(9)
log = os.path.join(d, "ramlog.bin")
orig_log = open(log, "rb").read()
bad_runs = []
for i in range(30):
    b = bytearray(orig_log)
    if i % 3 == 0:
        b = b[:rng.randrange(len(b))]
    for _ in range(rng.randint(1, 6)):
        k = rng.randrange(16, len(b)) if len(b) > 16 else 0
        if k < len(b):
            b[k] = rng.randrange(256)
    open(log, "wb").write(bytes(b))
    out = os.path.join(tmp, "bad.mig")
    p = run("pack", d, out)
    left = [f for f in os.listdir(tmp) if f.startswith(".bad.mig")]
    if p.returncode == 0:
        os.unlink(out)
    elif (p.returncode != 1 or len(p.stderr.strip().splitlines()) != 1 or
          os.path.exists(out) or left):
        bad_runs.append("case %d: rc %d: %s" % (i, p.returncode, p.stderr))
    if left or (p.returncode and os.path.exists(out)):
        break
open(log, "wb").write(orig_log)
result(not bad_runs, "30 damaged page logs: pack writes a stream or fails "
       "in one line, leaving nothing", "\n".join(bad_runs))

# Hostile streams: truncated and with bytes flipped, unpack never crashes
# or hangs; it succeeds (then pack reproduces the input), or fails with
# one line and leaves no directory.
rng = random.Random(5)
data = open(os.path.join(S, "x86_64-pc-compress.mig"), "rb").read()
cases = [data[:k] for k in sorted(rng.sample(range(1, len(data)), 40))]
for _ in range(40):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(b))
        b[k] ^= 1 << rng.randrange(8)
    cases.append(bytes(b))
bad_runs = []
for i, c in enumerate(cases):
    m = os.path.join(tmp, "h.mig")
    open(m, "wb").write(c)
    hd = os.path.join(tmp, "h.d")
    try:
        p = run("unpack", m, hd)
    except subprocess.TimeoutExpired:
        bad_runs.append("case %d: hang" % i)
        continue
    if p.returncode == 0:
        q = run("pack", hd, os.path.join(tmp, "h.out"))
        if q.returncode != 0 or open(os.path.join(tmp, "h.out"),
                                     "rb").read() != c:
            bad_runs.append("case %d: unpacked but not reproduced: %s" %
                            (i, q.stderr))
        shutil.rmtree(hd)
        os.unlink(os.path.join(tmp, "h.out"))
    elif (p.returncode != 1 or len(p.stderr.strip().splitlines()) != 1 or
          os.path.exists(hd)):
        bad_runs.append("case %d: rc %d, dir left %s: %s" %
                        (i, p.returncode, os.path.exists(hd), p.stderr))
        shutil.rmtree(hd, ignore_errors=True)
result(not bad_runs, "%d hostile streams: unpack succeeds and pack "
       "reproduces them, or it fails in one line leaving nothing" %
       len(cases), "\n".join(bad_runs))
shutil.rmtree(tmp)
done()
