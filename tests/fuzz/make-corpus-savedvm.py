#!/usr/bin/env python3
"""Seeds for fuzz_libvirt and fuzz_qcow2: small containers around the
first 2 KiB of a real stream, built from the formats' descriptions
(libvirt's qemu_saveimage.h, QEMU's docs/interop/qcow2.txt).
make-corpus-savedvm.py STREAM OUTDIR"""
import os, struct, subprocess, sys, zlib
src, out = sys.argv[1], sys.argv[2]
stream = open(src, "rb").read()[:2048]
os.makedirs(out + "/libvirt", exist_ok=True)
os.makedirs(out + "/qcow2", exist_ok=True)
xml = b"<domain><name>f</name></domain>\n\0"
for comp, prog in enumerate([None, "gzip", "bzip2", "xz", "lzop", "zstd"]):
    body = stream if not prog else subprocess.run(
        [prog, "-c"] + (["-q"] if prog == "zstd" else []), input=stream,
        capture_output=True, check=True).stdout
    data = xml + b"<c/>\0"
    hdr = b"LibvirtQemudSave" + struct.pack("<IIIII", 2, len(data), 1, comp,
                                            len(xml)) + b"\0" * 56
    open("%s/libvirt/comp%d" % (out, comp), "wb").write(hdr + data + body)

def qcow2(ext_l2, compressed):
    cb = 14 if ext_l2 else 9    # extended L2 entries need 16 KiB clusters
    cs = 1 << cb
    esz = 16 if ext_l2 else 8
    # clusters: 0 header, 1 L1, 2 L2, 3 snapshot table, 4.. data
    nclu = (len(stream) + cs - 1) // cs
    img = bytearray(cs * (4 + nclu + 2))
    incompat = (16 if ext_l2 else 0)
    h = struct.pack(">IIQIIQIIQQIIQ", 0x514649fb, 3, 0, 0, cb, 0, 0, 1,
                    cs, 0, 0, 1, 3 * cs)
    h += struct.pack(">QQQII", incompat, 0, 0, 4, 104)
    img[:len(h)] = h
    struct.pack_into(">Q", img, cs, (1 << 63) | 2 * cs)
    at = 4 * cs
    for i in range(nclu):
        piece = stream[i * cs:(i + 1) * cs]
        if compressed and not ext_l2:
            c = zlib.compressobj(6, zlib.DEFLATED, -12)
            z = c.compress(piece.ljust(cs, b"\0")) + c.flush()
            x = 62 - (cb - 8)
            nsec = (len(z) + 511) // 512 - 1
            struct.pack_into(">Q", img, 2 * cs + i * esz,
                             (1 << 62) | (nsec << x) | at)
            img[at:at + len(z)] = z
            at += (len(z) + 511) // 512 * 512
        else:
            struct.pack_into(">Q", img, 2 * cs + i * esz, (1 << 63) | at)
            if ext_l2:
                struct.pack_into(">Q", img, 2 * cs + i * esz + 8, 0xffffffff)
            img[at:at + len(piece)] = piece
            at += cs
    sn = struct.pack(">QIHHIIQII", cs, 1, 1, 2, 0, 0, 0, len(stream), 16)
    sn += struct.pack(">QQ", len(stream), 0) + b"1" + b"s1"
    img[3 * cs:3 * cs + len(sn)] = sn
    return bytes(img[:max(at, 4 * cs)])

open(out + "/qcow2/plain", "wb").write(qcow2(False, False))
open(out + "/qcow2/deflate", "wb").write(qcow2(False, True))
open(out + "/qcow2/extl2", "wb").write(qcow2(True, False))
