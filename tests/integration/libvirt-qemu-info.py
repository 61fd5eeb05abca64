#!/usr/bin/env python3
"""libvirt-qemu-info.py INFO DOMAIN COMPRESSION: "vmstate info --format
json" of a "virsh save" image names the domain, its machine type and
UUID, the compression, and the stream's machine type."""
import json
import sys

i = json.load(open(sys.argv[1]))
assert i["domain"]["name"] == sys.argv[2], i
assert i["domain"]["machine"] == "pc-i440fx-7.2", i
assert len(i["domain"]["uuid"]) == 36, i
assert i["libvirt"]["compression"] == sys.argv[3], i
assert i["stream"]["machine"] == "pc-i440fx-7.2", i
