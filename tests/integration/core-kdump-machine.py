#!/usr/bin/env python3
"""core-kdump-machine.py QEMU_KDUMP OUR_KDUMP: the two aarch64 kdumps are
the same but for utsname.machine, which QEMU 7.2 leaves "Unknown" (no
ELF_MACHINE_UNAME for arm) and we write "aarch64", which crash and
libkdumpfile look for."""
import sys

q, o = (open(p, "rb").read() for p in sys.argv[1:3])
# new_utsname in the kdump header: after the 12-byte signature and
# version, six 65-byte strings; machine is the fifth
m = slice(12 + 4 * 65, 12 + 5 * 65)
assert q[m].rstrip(b"\0") == b"Unknown", q[m]
assert o[m].rstrip(b"\0") == b"aarch64", o[m]
assert len(q) == len(o) and q[:m.start] == o[:m.start] and \
    q[m.stop:] == o[m.stop:]
