#!/usr/bin/env python3
"""core-compare.py QEMU_CORE OUR_CORE: is our ELF core what QEMU's
dump-guest-memory wrote? QEMU_CORE is read once, front to back, so it may
be a FIFO QEMU is writing into (a 4 GiB guest needs no disk). Compared:
every ELF header field but e_ehsize (QEMU 7.2 writes sizeof(a pointer),
8, there), the program headers (PT_NOTE and every PT_LOAD: ranges, file
offsets), the notes byte for byte (each CPU's registers; a difference is
printed as note, field offset and both values), every PT_LOAD's bytes and
the section string table. Prints '# ' lines; exit status 0 when equal."""
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
NAMES = ["e_ident", "e_type", "e_machine", "e_version", "e_entry", "e_phoff",
         "e_shoff", "e_flags", "e_ehsize", "e_phentsize", "e_phnum",
         "e_shentsize", "e_shnum", "e_shstrndx"]


class Seq:
    def __init__(self, path):
        self.f = open(path, "rb", buffering=0)
        self.pos = 0

    def read(self, n):
        out = bytearray()
        while len(out) < n:
            b = self.f.read(min(n - len(out), 1 << 20))
            if not b:
                break
            out += b
        self.pos += len(out)
        return bytes(out)

    def skip_to(self, off):
        assert off >= self.pos, "QEMU's core is not in file order"
        while self.pos < off:
            self.read(min(off - self.pos, 1 << 20))


def notes(buf):
    out, p = [], 0
    while p + 12 <= len(buf):
        nsz, dsz, typ = struct.unpack_from("<III", buf, p)
        name = buf[p + 12:p + 12 + nsz].rstrip(b"\0").decode()
        d = p + 12 + (nsz + 3) // 4 * 4
        out.append((name, typ, buf[d:d + dsz]))
        p = d + (dsz + 3) // 4 * 4
    return out


def main():
    q = Seq(sys.argv[1])
    ours = open(sys.argv[2], "rb")
    bad = 0

    def fail(msg):
        nonlocal bad
        bad += 1
        print("# " + msg)

    qh = q.read(64)
    oh = ours.read(64)
    qe, oe = EHDR.unpack(qh), EHDR.unpack(oh)
    for n, a, b in zip(NAMES, qe, oe):
        if a != b and n != "e_ehsize":
            fail("ELF header %s: QEMU %r, ours %r" % (n, a, b))
    if oe[8] != 64:
        fail("our e_ehsize is %d, not 64" % oe[8])
    phoff, phnum, shoff, shnum = qe[5], qe[10], qe[6], qe[12]
    first = min(phoff, shoff)
    q.skip_to(first)
    head = q.read(max(phoff + phnum * 56, shoff + shnum * 64) - first)
    ours.seek(first)
    ohead = ours.read(len(head))
    qph = [PHDR.unpack_from(head, phoff - first + 56 * i) for i in range(phnum)]
    oph = [PHDR.unpack_from(ohead, phoff - first + 56 * i) for i in range(phnum)]
    if qph != oph:
        fail("program headers differ:\n#  QEMU %s\n#  ours %s" % (qph, oph))
        return 1
    if head[shoff - first:] != ohead[shoff - first:]:
        fail("section headers differ")
    loads = []
    for t, _, off, va, pa, fs, ms, _ in qph:
        if t == 4:
            q.skip_to(off)
            qn = q.read(fs)
            ours.seek(off)
            on = ours.read(fs)
            a, b = notes(qn), notes(on)
            print("# %d notes: %s" % (len(a), " ".join(
                "%s/%d(%d)" % (n, t2, len(d)) for n, t2, d in a)))
            if len(a) != len(b):
                fail("QEMU wrote %d notes, we %d" % (len(a), len(b)))
            for i, (x, y) in enumerate(zip(a, b)):
                if x[:2] != y[:2] or len(x[2]) != len(y[2]):
                    fail("note %d: QEMU %s/%d (%d bytes), ours %s/%d (%d)" %
                         (i, x[0], x[1], len(x[2]), y[0], y[1], len(y[2])))
                    continue
                for k in range(0, len(x[2]), 4):
                    if x[2][k:k + 4] != y[2][k:k + 4]:
                        fail("note %d (%s type %d) offset %d: QEMU %s, ours %s"
                             % (i, x[0], x[1], k, x[2][k:k + 4].hex(),
                                y[2][k:k + 4].hex()))
        elif t == 1:
            loads.append((off, pa, fs))
    print("# PT_LOADs: %s" % " ".join("0x%x+0x%x" % (pa, fs)
                                      for _, pa, fs in loads))
    for off, pa, fs in sorted(loads):
        q.skip_to(off)
        ours.seek(off)
        done = 0
        while done < fs:
            n = min(fs - done, 1 << 20)
            a, b = q.read(n), ours.read(n)
            if a != b:
                k = next(i for i in range(min(len(a), len(b)))
                         if a[i] != b[i]) if len(a) == len(b) else 0
                fail("PT_LOAD 0x%x: bytes differ at guest-physical 0x%x" %
                     (pa, pa + done + k))
                break
            done += n
    rest = q.read(1 << 16)
    ours.seek(q.pos - len(rest))
    if rest != ours.read(len(rest) + 1):
        fail("the section string table after the memory differs")
    return 1 if bad else 0


sys.exit(main())
