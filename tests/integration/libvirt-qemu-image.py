#!/usr/bin/env python3
"""libvirt-qemu-image.py SAVE OUT: the migration stream inside a libvirt
save image (libvirt's qemu_saveimage.c header; decompressed with the
program its compression field names) into OUT; prints that field."""
import struct, subprocess, sys
d = open(sys.argv[1], "rb").read()
assert d[:16] == b"LibvirtQemudSave", d[:16]
version, data_len, running, comp, cookie = struct.unpack("=IIIII", d[16:36])
body = d[92 + data_len:]
prog = {1: "gzip", 2: "bzip2", 3: "xz", 4: "lzop", 5: "zstd"}.get(comp)
if prog:
    body = subprocess.run([prog, "-dc"], input=body, capture_output=True,
                          check=True).stdout
open(sys.argv[2], "wb").write(body)
print(comp)
