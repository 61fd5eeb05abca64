#!/usr/bin/env python3
"""Seed inputs for the fuzz targets, cut small from real QEMU streams.

make-corpus.py OUTDIR STREAM...: writes OUTDIR/{stream,ram,vmdesc}/ (see
each target's header comment for its input layout). make-corpus.sh calls
it with ../shared's streams and fresh QEMU 7.2 ones, then minimises.
"""
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import streamcut as sc  # noqa: E402

out = sys.argv[1]
for t in ("stream", "ram", "vmdesc", "devonly"):
    os.makedirs(os.path.join(out, t), exist_ok=True)


def put(target, tag, data):
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(out, target, "%s-%s" % (tag, h)), "wb") as f:
        f.write(data)


def vmdesc_bytes(desc, devs):
    d = {k: v for k, v in desc.items() if k != "devices"}
    d["devices"] = devs
    return json.dumps(d, separators=(",", ":")).encode()


def find_dev(desc, rec):
    for dev in desc["devices"]:
        if dev.get("name") == rec.idstr.decode(errors="replace") and \
                dev.get("instance_id") == rec.instance:
            return dev
    return None


for path in sys.argv[2:]:
    tag = os.path.basename(path).rsplit(".", 1)[0]
    data = open(path, "rb").read()
    vmd, desc = sc.vmdesc_of(data)
    try:
        recs = sc.records(data)
    except (ValueError, AssertionError, IndexError):
        # No footers (old machine types): only the start is usable.
        put("stream", tag + "-head", b"\x00" + data[:16384])
        continue
    page_size = (desc or {}).get("page_size", 4096)
    # The whole stream, RAM cut to a few records per chunk.
    small = sc.shrink(data, page_size, max_section=8192)
    for mode in (0, 1, 5):      # state, -m (pages decoded), pipe -m
        put("stream", "%s-shrunk-%d" % (tag, mode), bytes([mode]) + small)
    # One small stream per device section: header, configuration, the
    # RAM block list, that section, EOF, a description of that device.
    head = [r for r in recs if r.kind == sc.CONFIG]
    ram0 = [r for r in recs if r.ram is not None and r.kind == sc.START]
    for n, r in enumerate(recs):
        if r.ram is not None or r.kind not in (sc.START, sc.FULL):
            continue
        if r.end - r.start > 8192 or desc is None:
            continue
        dev = find_dev(desc, r)
        s = bytearray(sc.MAGIC)
        for h in head:
            s += data[h.start:h.end]
        for x in ram0:
            b, _ = sc.ram_bytes([y for y in x.ram if y.flags & sc.MEM_SIZE]
                                + [sc.RamRec(sc.EOS, 0, None, b"")],
                                page_size)
            s += sc.section_header(x) + b + sc.footer(x)
        s += data[r.start:r.end] + b"\x00"
        if dev is not None:
            j = vmdesc_bytes(desc, [dev])
            s += b"\x06" + struct.pack(">I", len(j)) + j
        # Without the RAM: small enough to unpack into a pack seed.
        d = bytearray(sc.MAGIC)
        for h in head:
            d += data[h.start:h.end]
        d += data[r.start:r.end] + b"\x00"
        if dev is not None:
            j = vmdesc_bytes(desc, [dev])
            d += b"\x06" + struct.pack(">I", len(j)) + j
            put("devonly", "%s-%d" % (tag, n), bytes(d))
        mode = (0, 1, 2, 4, 5)[n % 5]
        put("stream", "%s-%s" % (tag, r.idstr.decode(errors="replace")
                                 .replace("/", "_")), bytes([mode]) + s)
        # The vmdesc target: that device's description and its body.
        if dev is not None:
            j = vmdesc_bytes(desc, [dev])
            b0, b1 = r.body
            put("vmdesc", tag, struct.pack(">I", len(j)) + j + b"\x00" +
                data[b0:b1])
    # The RAM target: the block list, then a few records of each kind.
    shift = {512 << k: k for k in range(8)}.get(page_size, 3)
    cur = None
    blocks, cur = sc.ram_bytes([y for x in ram0 for y in x.ram
                                if y.flags & sc.MEM_SIZE] +
                               [sc.RamRec(sc.EOS, 0, None, b"")], page_size)
    every = [y for r in recs if r.ram for y in r.ram]
    for kind in (sc.ZERO, sc.PAGE, sc.XBZRLE, sc.COMPRESS):
        sel = [y for y in every if y.flags & kind][:6]
        if not sel:
            continue
        b, _ = sc.ram_bytes(sel + [sc.RamRec(sc.EOS, 0, None, b"")],
                            page_size)
        for opt in (0x60, 0x20, 0x00):
            put("ram", "%s-%x" % (tag, kind), bytes([shift | opt]) +
                blocks + b)

# Sections no stream at hand carries, written by hand from the format:
# block migration and dirty bitmaps (stream target), mapped-ram (RAM
# target: the pages sit at file offsets, after the records).
def section(kind, sid, idstr, version, body):
    r = sc.Record(kind, 0, 0, 0, sid, idstr, 0, version)
    return sc.section_header(r) + body + sc.footer(r)


blk = (struct.pack(">Q", 0x01 | 0x08) + b"\x04hd0\x00" +       # zero block
       struct.pack(">Q", 0x01) + b"\x04hd0\x00" + b"\xab" * (1 << 20) +
       struct.pack(">Q", (50 << 9) | 0x04) +                  # progress
       struct.pack(">Q", 0x02))                               # EOS
put("stream", "synthetic-block", b"\x00" + sc.MAGIC +
    section(sc.START, 0, b"block", 1, blk) + b"\x00")
dbm = (b"\x1c\x02n0\x02b0\x00\x01\x00\x00\x01" +              # START
       b"\x42" + bytes(8) + b"\x00\x00\x00\x80" +             # zero BITS
       b"\x40" + bytes(7) + b"\x08\x00\x00\x00\x08" +         # BITS
       bytes(7) + b"\x02\xff\x0f" + b"\x21")                  # COMPLETE+EOS
put("stream", "synthetic-dirty-bitmap", b"\x04" + sc.MAGIC +
    section(sc.START, 0, b"dirty-bitmap", 1, dbm) + b"\x00")
# mapped-ram: MEM_SIZE, the block's header (version, page size, bitmap
# and pages offsets in the file), pages 0 and 1 present, EOS after them.
mr = bytearray(struct.pack(">Q", 8192 | sc.MEM_SIZE) + b"\x06pc.ram" +
               struct.pack(">QIQQQ", 8192, 1, 4096, 64, 4096))
mr += bytes(64 - 8 - len(mr)) + b"\x03"
mr += bytes(4096 - 8 - len(mr)) + b"\x11" * 4096 + b"\x22" * 4096
mr += struct.pack(">Q", sc.EOS)
for opt in (0x33, 0x13, 0x3b):
    put("ram", "synthetic-mapped-ram", bytes([opt]) + bytes(mr))
put("devonly", "synthetic-ram", sc.ram_stream([(b"pc.ram", 8192),
                                              (b"pc.bios", 4096)]))
