#!/usr/bin/env python3
"""savedvm-unpacked.py DIR IMAGE NAME: what "vmstate unpack" wrote of the libvirt
image IMAGE into DIR (domain.xml, cookie.xml, container.json) is what
the image's header says (see savedvm.sh)."""
import json, struct, sys
d, img, name = sys.argv[1:]
c = json.load(open(d + "/container.json"))
b = open(img, "rb").read()
v, dl, run, comp, co = struct.unpack("=IIIII", b[16:36])
assert c == {"format": "vmstate-container", "format_version": 1,
             "container": "libvirt", "version": v, "data_len": dl,
             "was_running": run, "compression": name, "xml": "domain.xml",
             "cookie": "cookie.xml"}, c
xml = open(d + "/domain.xml", "rb").read()
assert xml + b"\0" == b[92:92 + co], xml
cookie = open(d + "/cookie.xml", "rb").read()
assert b[92 + co:92 + co + len(cookie) + 1] == cookie + b"\0"
