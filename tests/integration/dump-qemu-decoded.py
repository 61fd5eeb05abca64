#!/usr/bin/env python3
"""dump-qemu-decoded.py STREAM_JSON: what unpack --dump-vmstate decoded of
QEMU 7.2's stream without vmdesc: both i8259, I440FX, 11 of 30 device
sections; the rest raw, each with a note (arrays: why)."""
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
