#!/usr/bin/env python3
"""qcow2-state.py INFO SNAPSHOT: where qemu-img's "info --output=json" INFO
says the VM state of SNAPSHOT of a 64 MiB disk lies, as "SIZE OFFSET":
its vm-state-size, and the offset where the L1 range of the disk ends
(QEMU block/qcow2.h qcow2_vm_state_offset: one L1 entry covers
cluster_size * cluster_size / l2_entry_size bytes)."""
import json
import sys

d = json.loads(sys.argv[1])
size = [s for s in d["snapshots"]
        if s["name"] == sys.argv[2]][0]["vm-state-size"]
c = d["cluster-size"]
e = 16 if d["format-specific"]["data"].get("extended-l2") else 8
span = c * c // e
print(size, -(-64 * 2**20 // span) * span)
