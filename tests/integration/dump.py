#!/usr/bin/env python3
"""dump.py VMSTATE TESTDATA: the body of dump.sh (--dump-vmstate on real
data; see there)."""
import json, os, shutil, struct, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests",
                                "integration"))
from tap import result, done
V, SH = sys.argv[1], sys.argv[2]
STREAM = os.path.join(SH, "streams", "qemu10.0-x86_64-pc-i440fx-devices.mig")
DUMP = os.path.join(SH, "checker", "qemu10.0-x86_64-pc-i440fx-7.2.json")

def run(*args):
    return subprocess.run([V] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=300)

def strip_vmdesc(src, dst):
    """The stream up to and with its EOF record: the vmdesc cut off."""
    b = open(src, "rb").read()
    for k in range(len(b) - 5, 0, -1):
        if b[k] == 6 and b[k - 1] == 0 and \
           k + 5 + struct.unpack(">I", b[k + 1:k + 5])[0] == len(b):
            open(dst, "wb").write(b[:k])
            return True
    return False

tmp = tempfile.mkdtemp()
cut = os.path.join(tmp, "cut.mig")
result(strip_vmdesc(STREAM, cut), "the vmdesc is cut off the 10.0 stream")

d = os.path.join(tmp, "cut.d")
p = run("unpack", "--dump-vmstate", DUMP, cut, d)
result(p.returncode == 0, "unpack --dump-vmstate of the stream without vmdesc",
       p.stderr)
doc = json.load(open(os.path.join(d, "stream.json")))
result(doc.get("dump") == "dump.json" and
       open(os.path.join(d, "dump.json"), "rb").read() ==
       open(DUMP, "rb").read(), "DIR keeps the dump as dump.json")
devs = [s for s in doc["sections"] if s.get("type") == "FULL"]
decoded = [s for s in devs if "fields" in s]
result(len(devs) == 37 and len(decoded) == 23,
       "23 of 37 device sections decoded through the dump (%d of %d)" %
       (len(decoded), len(devs)))
unexplained = [s["idstr"] for s in devs
               if "fields" not in s and not s.get("note")]
result(not unexplained, "every raw device section has a note",
       unexplained)
notes = {s["idstr"]: s.get("note", "") for s in devs}
# PCI config: the dump lists the 256- and the 4096-byte variant, both
# field_exists; the one mix that ends at the footer decodes
result("fields" in [s for s in devs if s["idstr"] ==
                    "0000:00:00.0/I440FX"][0],
       "I440FX decodes (its config tried as 256 and 4096 bytes)",
       notes.get("0000:00:00.0/I440FX"))
AHCI = "0000:00:05.0/ich9_ahci"
result("no mix of the fields sent only when a predicate says so" in
       notes.get(AHCI, "") and "config" in notes[AHCI],
       "ich9_ahci: the note says no mix of its field_exists fields fits",
       notes.get(AHCI))
result("field virtio has a length the dump does not give" in
       notes.get("0000:00:03.0/virtio-net", ""),
       "virtio-net: the note names the field that stopped the decode",
       notes.get("0000:00:03.0/virtio-net"))
result("more than the 4 tried" in notes.get("0000:00:01.3/piix4_pm", ""),
       "piix4_pm: too many field_exists fields to try, said so",
       notes.get("0000:00:01.3/piix4_pm"))
result("not in the dump" in notes.get("cpu", ""),
       "cpu: the note says the dump has no such section", notes.get("cpu"))

# The same sections through the vmdesc: the same values.
full = os.path.join(tmp, "full.d")
p = run("unpack", STREAM, full)
ref = {(s["idstr"], s["instance_id"]): s["fields"]
       for s in json.load(open(os.path.join(full, "stream.json")))["sections"]
       if "fields" in s}
def leaves(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from leaves(x)
    elif isinstance(v, list):
        for x in v:
            yield from leaves(x)
    else:
        yield v
def wire(vals):
    # the bytes the values stand for: "0x%0Nx" integers are zero-padded to
    # their size, byte strings are hex pairs, so their digits concatenate
    out = ""
    for x in vals:
        if isinstance(x, bool):
            out += "%02x" % x
        elif isinstance(x, str) and x.startswith("0x"):
            out += x.split()[0][2:]
        else:
            out += str(x).replace(" ", "")
    return out
diff = [s["idstr"] for s in decoded
        if wire(leaves(s["fields"])) !=
           wire(leaves(ref[(s["idstr"], s["instance_id"])]))]
result(not diff, "the values stand for the bytes decoded through the vmdesc", diff)

out = os.path.join(tmp, "cut.out")
p = run("pack", d, out)
result(p.returncode == 0 and open(out, "rb").read() == open(cut, "rb").read(),
       "pack gives the stream without vmdesc back byte for byte", p.stderr)

# An edit of a field decoded through the dump lands in the stream.
idx = [i for i, s in enumerate(doc["sections"])
       if s.get("idstr") == "i8259" and s.get("instance_id") == 0][0]
e = json.loads(open(os.path.join(d, "stream.json")).read())
old = e["sections"][idx]["fields"]["imr"]
e["sections"][idx]["fields"]["imr"] = "0x5a"
json.dump(e, open(os.path.join(d, "stream.json"), "w"), indent=4)
p = run("pack", "--force", d, out)
a = run("analyze", "--dump-vmstate", DUMP, out)
try:
    st = json.loads(a.stdout)
    pic = [v for k, v in st.items() if k.startswith("i8259 (")][0]
except Exception as ex:
    pic = {"error": str(ex)}
result(p.returncode == 0 and pic.get("imr") == "0x5a" and old != "0x5a",
       "an edited imr (%s -> 0x5a) is in the packed stream" % old,
       p.stderr + a.stderr)

# diff of two streams without vmdesc: the imr edited through unpack/pack
# shows as a decoded field difference, and only it.
p = run("diff", "--dump-vmstate", DUMP, cut, out)
lines = p.stdout.strip().splitlines()
result(p.returncode == 1 and lines == ['i8259.imr: "%s" != "0x5a"' % old],
       "diff --dump-vmstate shows the edited imr as a field difference",
       p.stdout + p.stderr)
p = run("diff", "--dump-vmstate", DUMP, cut, cut)
result(p.returncode == 0 and not p.stdout,
       "diff --dump-vmstate of a stream with itself: the same", p.stdout)
p = run("diff", cut, out)
result(p.returncode == 2 and "JSON description" in p.stderr,
       "without the dump diff cannot decode them", p.stderr)

# convert: wire -> json -> wire and wire -> ber -> wire through the dump
# are byte-identical; the documents carry the decoded states.
cj, cb = os.path.join(tmp, "cut.json"), os.path.join(tmp, "cut.der")
back = os.path.join(tmp, "back.mig")
p = run("convert", cut, cj, "--to", "json", "--dump-vmstate", DUMP)
states = 0
if p.returncode == 0:
    states = sum(1 for r in json.load(open(cj))["records"] if "state" in r)
result(p.returncode == 0 and states == 23, "convert --to json "
       "--dump-vmstate: 23 device states decoded (%d)" % states, p.stderr)
p = run("convert", cj, back, "--to", "wire", "--dump-vmstate", DUMP)
result(p.returncode == 0 and open(back, "rb").read() ==
       open(cut, "rb").read(), "convert json -> wire through the dump is "
       "byte-identical", p.stderr)
p = run("convert", cut, cb, "--to", "ber", "--dump-vmstate", DUMP)
p2 = run("convert", cb, back, "--to", "wire", "--dump-vmstate", DUMP,
         "--force")
result(p.returncode == 0 and p2.returncode == 0 and
       open(back, "rb").read() == open(cut, "rb").read(),
       "convert wire -> ber -> wire through the dump is byte-identical",
       p.stderr + p2.stderr)
os.unlink(back)
p = run("convert", cj, back, "--to", "wire")
result(p.returncode == 1 and "none was given" in p.stderr and
       not os.path.exists(back), "the JSON document without the dump: "
       "an error saying so, no output", p.stderr)
# an edit in the JSON document lands in the stream
e = json.load(open(cj))
rtc = [r for r in e["records"] if r.get("idstr") == "mc146818rtc"][0]
rtc["state"]["cmos_index"] = "0x3c"
json.dump(e, open(cj, "w"))
p = run("convert", cj, back, "--to", "wire", "--dump-vmstate", DUMP)
p2 = run("diff", "--dump-vmstate", DUMP, cut, back)
result(p.returncode == 0 and p2.stdout.strip().splitlines() ==
       ['mc146818rtc.cmos_index: "0x00" != "0x3c"'],
       "a value edited in the JSON document is the one difference",
       p.stderr + p2.stdout + p2.stderr)

# verify: the dump of the source passes the sections it decodes exactly;
# the findings are those without it (names, versions, machine type).
D72 = os.path.join(SH, "checker", "qemu7.2-x86_64-pc-i440fx-7.2.json")
p = run("verify", cut, "--dest", D72, "--dump-vmstate", DUMP)
p0 = run("verify", cut, "--dest", D72)
lines = p.stdout.strip().splitlines()
result(p.returncode == p0.returncode == 1 and
       "passed exactly" in lines[0] and lines[1:] ==
       p0.stdout.strip().splitlines()[1:] and
       "Machine type" in lines[1], "verify --dump-vmstate: the same "
       "findings, sections passed through the dump", p.stdout + p.stderr)

# analyze: decoded device fields, and raw ones with a warning.
a = run("analyze", "--dump-vmstate", DUMP, cut)
st = json.loads(a.stdout) if a.returncode == 0 else {}
rtc = [v for k, v in st.items() if k.startswith("mc146818rtc (")]
result(a.returncode == 0 and rtc and isinstance(rtc[0], dict) and
       "cmos_index" in rtc[0], "analyze --dump-vmstate prints decoded "
       "device fields (mc146818rtc.cmos_index)", a.stderr)
result("'0000:00:03.0/virtio-net' is not decoded through the dump: field "
       "virtio has a length" in a.stderr,
       "analyze warns about the sections it prints raw, saying why",
       a.stderr)
a = run("analyze", cut)
result(a.returncode != 0, "without the dump analyze cannot decode it")

# Bad dumps: one line naming the file, exit 1, nothing written.
bad = os.path.join(tmp, "bad.json")
trunc = os.path.join(tmp, "trunc.json")
open(bad, "w").write('{"not": "a dump"}\n')
open(trunc, "wb").write(open(DUMP, "rb").read()[:5000])
for f, what in ((bad, "not a dump"), (trunc, "truncated dump"),
                (os.path.join(tmp, "missing.json"), "missing dump")):
    dd = os.path.join(tmp, "bad.d")
    p = run("unpack", "--dump-vmstate", f, cut, dd)
    lines = p.stderr.strip().splitlines()
    result(p.returncode == 1 and len(lines) == 1 and f in lines[0] and
           not os.path.exists(dd), "unpack --dump-vmstate, %s: one line naming "
           "the file, exit 1, no DIR" % what, p.stderr)
    p = run("analyze", "--dump-vmstate", f, cut)
    lines = p.stderr.strip().splitlines()
    result(p.returncode == 1 and len(lines) == 1 and f in lines[0] and
           not p.stdout, "analyze --dump-vmstate, %s: one line, exit 1, "
           "no output" % what, p.stderr)
    co = os.path.join(tmp, "bad.json.out")
    p = run("convert", cut, co, "--to", "json", "--dump-vmstate", f)
    lines = p.stderr.strip().splitlines()
    result(p.returncode == 1 and len(lines) == 1 and f in lines[0] and
           not os.path.exists(co), "convert --dump-vmstate, %s: one line, "
           "exit 1, no OUT" % what, p.stderr)
    p = run("verify", cut, "--dest", DUMP, "--dump-vmstate", f)
    lines = p.stderr.strip().splitlines()
    result(p.returncode == 255 and len(lines) == 1 and f in lines[0] and
           not p.stdout, "verify --dump-vmstate, %s: one line, exit 255" %
           what, p.stderr)
    p = run("diff", "--dump-vmstate", f, cut, cut)
    lines = p.stderr.strip().splitlines()
    result(p.returncode == 2 and len(lines) == 1 and f in lines[0] and
           not p.stdout, "diff --dump-vmstate, %s: one line, exit 2" % what,
           p.stderr)
# pack of a DIR whose dump.json was broken
shutil.copy(bad, os.path.join(d, "dump.json"))
p = run("pack", "--force", d, out + "2")
result(p.returncode == 1 and "dump.json" in p.stderr and
       not os.path.exists(out + "2"), "pack with a broken DIR/dump.json "
       "fails naming it, no stream", p.stderr)

shutil.rmtree(tmp)
done()
