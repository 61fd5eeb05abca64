#!/usr/bin/env bash
# --dump-vmstate with Debian's QEMU 7.2, whose -dump-vmstate has no array counts
# ("num", QEMU >= 8.1): a pc stream with its vmdesc cut off, and the dump
# of the same binary and machine. Sections without arrays decode (i8259),
# the ones whose layout the dump cannot give stay raw with the reason,
# unpack then pack is byte-identical, and QEMU 7.2 loads a stream packed
# after an edit of a field decoded through the dump (i8259 imr, seen in
# "info pic").
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"

M="-M pc-i440fx-7.2 -m 64 -S"
qemu-system-x86_64 $M -dump-vmstate "$tmp/dump.json" >"$tmp/dump.log" 2>&1
check "QEMU 7.2 wrote its -dump-vmstate" test -s "$tmp/dump.json"
check "the 7.2 dump has no array counts" python3 -c '
import json, sys
def fields(d):
    for f in d.get("Fields", []):
        yield f
        yield from fields(f.get("Description", {}))
    for s in d.get("Subsections", []):
        yield from fields(s)
dump = json.load(open(sys.argv[1]))
sys.exit(any("num" in f for k, v in dump.items() if k != "vmschkmachine"
             for f in fields(v["Description"])))' "$tmp/dump.json"
mkstream pc "$(MIG pc)" qemu-system-x86_64 $M
check "QEMU 7.2 wrote a stream" test -s "$tmp/pc.mig"
check "the vmdesc is cut off" python3 - "$tmp/pc.mig" "$tmp/cut.mig" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
for k in range(len(b) - 5, 0, -1):
    if b[k] == 6 and b[k - 1] == 0 and \
       k + 5 + struct.unpack(">I", b[k + 1:k + 5])[0] == len(b):
        open(sys.argv[2], "wb").write(b[:k])
        sys.exit(0)
sys.exit(1)
PY
check "unpack --dump-vmstate" "$V" unpack --dump-vmstate "$tmp/dump.json" "$tmp/cut.mig" \
    "$tmp/cut.d"
check "pack" "$V" pack "$tmp/cut.d" "$tmp/cut.out"
same "unpack then pack is byte-identical" \
    "$(sha256sum <"$tmp/cut.mig")" "$(sha256sum <"$tmp/cut.out")"
check "sections decode or stay raw with the reason" \
    python3 - "$tmp/cut.d/stream.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
devs = [s for s in doc["sections"] if s.get("type") == "FULL"]
dec = [s["idstr"] for s in devs if "fields" in s]
raw = {s["idstr"]: s.get("note") for s in devs if "fields" not in s}
print("# decoded through the 7.2 dump: %s" % " ".join(dec))
bad = [k for k, v in raw.items() if not v]
assert not bad, "raw without a note: %s" % bad
assert dec.count("i8259") == 2, "both i8259 decode"
# arrays: ioapic's ioredtbl[24], i8254's channels[3] (both decode with
# QEMU 10.0's dump, see dump.sh); a 7.2 dump cannot give their lengths
for name in ("ioapic", "i8254"):
    assert name in raw, "%s must stay raw" % name
    assert "array lengths" in raw[name], raw[name]
print("# %d decoded, %d raw, e.g. ioapic: %s" %
      (len(dec), len(raw), raw["ioapic"]))
# PCI config (field_exists, 256 or 4096 bytes) tried both ways
assert "0000:00:00.0/I440FX" in dec, "I440FX decodes"
assert (len(dec), len(devs)) == (11, 30), "11 of 30 decode: %d of %d" % (len(dec), len(devs))
PY

# QEMU 7.2 loads the stream packed after an edit of the imr.
python3 - "$tmp/cut.d/stream.json" <<'PY'
import json, sys
p = sys.argv[1]
doc = json.load(open(p))
for s in doc["sections"]:
    if s.get("idstr") == "i8259" and s.get("instance_id") == 0:
        s["fields"]["imr"] = "0x5a"
json.dump(doc, open(p, "w"), indent=4)
PY
check "pack the edited directory" "$V" pack "$tmp/cut.d" "$tmp/edited.mig"
sock=$tmp/in.sock
qemu-system-x86_64 $BASE $M -monitor "unix:$sock,server=on,wait=off" \
    -incoming "exec:cat $tmp/edited.mig" >"$tmp/in.log" 2>&1 &
pid=$!
pids="$pids $pid"
timeout 60 python3 "$HMP" "$sock" WAITMIG "info pic" quit >"$tmp/in.hmp" 2>&1
wait "$pid" 2>/dev/null
check "QEMU loaded the edited stream" grep -q 'WAITMIG: completed' "$tmp/in.hmp"
check "info pic shows the imr edited through the dump (pic0 imr=5a)" \
    grep -q 'pic0: .*imr=5a' "$tmp/in.hmp"
if ! grep -q 'imr=5a' "$tmp/in.hmp"; then
    sed 's/^/# /' "$tmp/in.hmp" "$tmp/in.log" | head -20
fi
done_testing
