#!/usr/bin/env python3
"""qcow2-info.py INFO QEMU_IMG_INFO: "vmstate info --format json" of a
qcow2 image lists the snapshots, cluster and disk size as qemu-img does."""
import json, sys
i = json.load(open(sys.argv[1])); q = json.load(open(sys.argv[2]))
mine = [(s["id"], s["name"], s["vm_state_size"], s["date_sec"])
        for s in i["qcow2"]["snapshots"]]
theirs = [(s["id"], s["name"], s["vm-state-size"], s["date-sec"])
          for s in q["snapshots"]]
assert mine == theirs, (mine, theirs)
assert i["qcow2"]["cluster_size"] == q["cluster-size"]
assert i["qcow2"]["disk_size"] == q["virtual-size"]
assert [s["read"] for s in i["qcow2"]["snapshots"]] == [True, False]
assert i["stream"]["machine"] == "pc-i440fx-7.2"
assert i["stream"]["description"] is True
