"""Cut real QEMU migration streams into small pieces (tests only).

The fuzz corpora, the truncation sweeps and the filesystem-safety streams
need to know where records start and end in a real stream; this is the one
place in the tests that knows. It reads only what it must: record headers,
the RAM section's records, and device section bodies bounded by their
footers (streams without footers are not cut).
"""
import json
import struct

MAGIC = b"QEVM\x00\x00\x00\x03"
EOF, START, PART, END, FULL, SUB, VMDESC, CONFIG, COMMAND, FOOTER = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 0x7e)
ZERO, MEM_SIZE, PAGE, EOS, CONT, XBZRLE, HOOK, COMPRESS, FLUSH = (
    0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200)


def be(b, i, n):
    return int.from_bytes(b[i:i + n], "big")


def str8(b, i):
    n = b[i]
    return b[i + 1:i + 1 + n], i + 1 + n


def vmdesc_of(data):
    """(offset of the 0x06 byte, parsed JSON) or (len(data), None)."""
    for p in range(len(data) - 5, 0, -1):
        if data[p] == VMDESC and data[p - 1] == EOF and \
                be(data, p + 1, 4) == len(data) - p - 5:
            return p, json.loads(data[p + 5:])
        if len(data) - p > (64 << 20):
            break
    return len(data), None


class Record:
    def __init__(self, kind, start, hdr_end, end, sid=0, idstr=b"",
                 instance=0, version=0):
        self.kind, self.start, self.hdr_end, self.end = kind, start, hdr_end, end
        self.sid, self.idstr, self.instance, self.version = (
            sid, idstr, instance, version)
        self.ram = None         # RAM chunks: the list of RamRec

    @property
    def body(self):
        return (self.hdr_end, self.end - 5 if self.kind in
                (START, PART, END, FULL) else self.end)


class RamRec:
    def __init__(self, flags, addr, block, payload):
        self.flags, self.addr, self.block, self.payload = (
            flags, addr, block, payload)


def ram_chunk(data, i, page_size, state):
    """Parse RAM records from i through EOS: (records, end offset)."""
    recs = []
    mask = page_size - 1
    while True:
        if i + 8 > len(data) or len(recs) > 10000000:
            raise ValueError("RAM records run past the end at 0x%x" % i)
        word = be(data, i, 8)
        i += 8
        flags, addr = word & mask, word & ~mask
        payload = b""
        block = state.get("cur")
        if flags & MEM_SIZE:
            total, j = addr, i
            while total > 0:
                name, j = str8(data, j)
                length = be(data, j, 8)
                j += 8
                total -= length
                if state.get("mapped_ram"):
                    raise ValueError("mapped-ram pages are not in line")
            payload = data[i:j]
            i = j
        elif flags & (ZERO | PAGE | XBZRLE | COMPRESS):
            if not flags & CONT:
                block, i = str8(data, i)
                state["cur"] = block
            if flags & ZERO:
                payload, i = data[i:i + 1], i + 1
            elif flags & PAGE:
                payload, i = data[i:i + page_size], i + page_size
            elif flags & XBZRLE:
                n = 3 + be(data, i + 1, 2)
                payload, i = data[i:i + n], i + n
            else:
                n = 4 + be(data, i, 4)
                payload, i = data[i:i + n], i + n
        recs.append(RamRec(flags, addr, block, payload))
        if flags & EOS:
            return recs, i


def records(data, page_size=4096):
    """Every record of a stream with footers, as Record objects."""
    end, _ = vmdesc_of(data)
    assert data[:8] == MAGIC
    i = 8
    out = []
    secs = {}
    ram_state = {}
    while i < end:
        t, s = data[i], i
        if t == EOF:
            out.append(Record(EOF, s, s + 1, s + 1))
            break
        if t == CONFIG:
            n = be(data, i + 1, 4)
            j = i + 5 + n
            while data[j] == SUB:
                name, j = str8(data, j + 1)
                j += 4
                if name.endswith(b"capabilities"):
                    k = be(data, j, 4)
                    j += 4
                    for _ in range(k):
                        _, j = str8(data, j)
                elif name.endswith(b"uuid"):
                    j += 16
                else:
                    j += 4
            if b"mapped-ram" in data[i:j]:
                ram_state["mapped_ram"] = True
            out.append(Record(CONFIG, s, j, j))
            i = j
            continue
        if t == COMMAND:
            out.append(Record(COMMAND, s, s + 5, s + 5 + be(data, s + 3, 2)))
            i = out[-1].end
            continue
        sid = be(data, i + 1, 4)
        if t in (START, FULL):
            idstr, j = str8(data, i + 5)
            inst, ver = be(data, j, 4), be(data, j + 4, 4)
            j += 8
            secs[sid] = (idstr, inst, ver)
        elif t in (PART, END):
            j = i + 5
        else:
            raise ValueError("record 0x%x at 0x%x" % (t, i))
        idstr, inst, ver = secs[sid]
        rec = Record(t, s, j, 0, sid, idstr, inst, ver)
        if idstr == b"ram" and inst == 0:
            rec.ram, k = ram_chunk(data, j, page_size, ram_state)
        else:
            foot = bytes([FOOTER]) + sid.to_bytes(4, "big")
            k = data.index(foot, j)
            while data[k + 5] not in (EOF, START, PART, END, FULL, COMMAND):
                k = data.index(foot, k + 1)
        assert data[k:k + 5] == bytes([FOOTER]) + sid.to_bytes(4, "big")
        rec.end = k + 5
        out.append(rec)
        i = rec.end
    return out


def ram_bytes(recs, page_size, cur=None):
    """RAM records as wire bytes, naming the block again where needed."""
    out = bytearray()
    for r in recs:
        flags = r.flags
        data = b""
        if flags & (ZERO | PAGE | XBZRLE | COMPRESS):
            if r.block == cur:
                flags |= CONT
            else:
                flags &= ~CONT
                data = bytes([len(r.block)]) + r.block
                cur = r.block
        out += struct.pack(">Q", (r.addr & ~(page_size - 1)) | flags)
        out += data + r.payload
    return bytes(out), cur


def section_header(rec):
    h = bytes([rec.kind]) + rec.sid.to_bytes(4, "big")
    if rec.kind in (START, FULL):
        h += bytes([len(rec.idstr)]) + rec.idstr
        h += struct.pack(">II", rec.instance, rec.version)
    return h


def footer(rec):
    return bytes([FOOTER]) + rec.sid.to_bytes(4, "big")


def shrink(data, page_size=4096, keep=6, max_section=None):
    """The stream with every RAM chunk cut to its first keep records of
    each kind (ZERO, PAGE, XBZRLE, zlib) not kept yet (and its EOS), RAM
    chunks left empty dropped, device sections longer than max_section
    dropped with their description: small, still valid."""
    vmd, desc = vmdesc_of(data)
    recs = records(data, page_size)
    out = bytearray(MAGIC)
    cur = None
    dropped = set()
    kept = {}
    for r in recs:
        if r.ram is None:
            if max_section and r.kind in (START, FULL, PART, END) and \
                    r.end - r.start > max_section:
                dropped.add((r.idstr.decode(errors="replace"), r.instance))
                continue
            out += data[r.start:r.end]
            continue
        body = []
        for x in r.ram:
            kind = x.flags & (MEM_SIZE | ZERO | PAGE | XBZRLE | COMPRESS)
            if x.flags & EOS or not kind:
                continue
            if kept.get(kind, 0) < keep or kind == MEM_SIZE:
                kept[kind] = kept.get(kind, 0) + 1
                body.append(x)
        if not body and r.kind == PART:
            continue
        eos = RamRec(EOS, 0, None, b"")
        b, cur = ram_bytes(body + [eos], page_size, cur)
        out += section_header(r) + b + footer(r)
    if desc is not None and dropped:
        desc["devices"] = [d for d in desc["devices"] if
                           (d.get("name"), d.get("instance_id")) not in dropped]
        j = json.dumps(desc, separators=(",", ":")).encode()
        out += b"\x06" + struct.pack(">I", len(j)) + j
    else:
        out += data[vmd:]
    return bytes(out)


def ram_stream(blocks, page_size=4096, vmdesc=True):
    """A minimal stream: one RAM section announcing blocks (name bytes,
    length) with one non-zero page each, EOF, an empty description."""
    body = bytearray()
    total = sum(n for _, n in blocks)
    body += struct.pack(">Q", total | MEM_SIZE)
    for name, n in blocks:
        body += bytes([len(name)]) + name + struct.pack(">Q", n)
    for i, (name, _) in enumerate(blocks):
        body += struct.pack(">Q", PAGE) + bytes([len(name)]) + name
        body += bytes([0x41 + i % 26]) * page_size
    body += struct.pack(">Q", EOS)
    rec = Record(START, 0, 0, 0, 0, b"ram", 0, 4)
    out = bytearray(MAGIC) + section_header(rec) + body + footer(rec)
    out += bytes([EOF])
    if vmdesc:
        j = json.dumps({"page_size": page_size, "devices": []}).encode()
        out += bytes([VMDESC]) + struct.pack(">I", len(j)) + j
    return bytes(out)
