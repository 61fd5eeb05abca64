#!/usr/bin/env python3
"""savedvm-info.py INFO BARE_INFO COMPRESSION: "vmstate info --format json"
of a libvirt image (libvirt-image.py) names the container, compression,
domain, and the same stream as the bare stream's."""
import json, sys
i = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert i["container"] == "libvirt", i["container"]
assert i["libvirt"]["compression"] == sys.argv[3]
assert i["libvirt"]["version"] == 2 and i["libvirt"]["was_running"] is True
assert i["domain"] == {"name": "savedvm-t",
                       "uuid": "4b1c6e36-2f6a-4a8e-9d3c-0123456789ab",
                       "machine": "pc-i440fx-7.2"}, i["domain"]
assert i["stream"]["machine"] == b["stream"]["machine"] == "pc-i440fx-7.2"
assert i["stream"]["ram_blocks"] == b["stream"]["ram_blocks"]
assert len(b["stream"]["ram_blocks"]) > 0 and b["container"] == "stream"
