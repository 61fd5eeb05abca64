#!/usr/bin/env python3
"""savedvm-big-image.py IMAGE DOMAIN_XML COOKIE_XML RAW_IMAGE: the header
of the libvirt image IMAGE counts DOMAIN_XML and COOKIE_XML (each with its
NUL) and 64 KiB of padding, and its stream is the one RAW_IMAGE holds."""
import struct, sys
b = open(sys.argv[1], "rb").read()
v, dl, run, comp, co = struct.unpack("=IIIII", b[16:36])
x = open(sys.argv[2], "rb").read(); c = open(sys.argv[3], "rb").read()
assert co == len(x) + 1 and dl == len(x) + 1 + len(c) + 1 + 65536, (co, dl)
e = open(sys.argv[4], "rb").read()
assert b[92 + dl:] == e[92 + struct.unpack("=I", e[20:24])[0]:]
