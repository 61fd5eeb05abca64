#!/usr/bin/env python3
"""libvirt-image.py STREAM OUT COMP [MAGIC] [DATA_LEN_DELTA]: a libvirt
save image (libvirt's qemu_saveimage.c layout: 92-byte header, domain
XML, cookie, padding, then the stream, compressed by the program COMP
names: 0 raw, 1 gzip, 2 bzip2, 3 xz, 4 lzop, 5 zstd; above 5 the
stream's first 4 KiB raw), built from the format's description, not
from our code. MAGIC and DATA_LEN_DELTA make bad headers."""
import struct, subprocess, sys
src, out, comp = sys.argv[1], sys.argv[2], int(sys.argv[3])
magic = (sys.argv[4] if len(sys.argv) > 4 else "LibvirtQemudSave").encode()
delta = int(sys.argv[5]) if len(sys.argv) > 5 else 0
xml = (b"<domain type='qemu'>\n  <name>savedvm-t</name>\n"
       b"  <uuid>4b1c6e36-2f6a-4a8e-9d3c-0123456789ab</uuid>\n"
       b"  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>\n"
       b"</domain>\n\0")
cookie = b"<qemu-migration>\n</qemu-migration>\n\0"
data = xml + cookie
data += b"\0" * (-len(data) % 4096 + 1024)
hdr = magic + struct.pack("=IIIII", 2, len(data) + delta, 1, comp, len(xml))
hdr += b"\0" * 56
stream = open(src, "rb").read()
prog = {1: "gzip", 2: "bzip2", 3: "xz", 4: "lzop", 5: "zstd"}.get(comp)
if prog:
    stream = subprocess.run([prog, "-c", "-q"] if prog == "zstd" else
                            [prog, "-c"], input=stream, capture_output=True,
                            check=True).stdout
elif comp > 5:
    stream = stream[:4096]
open(out, "wb").write(hdr + data + stream)
