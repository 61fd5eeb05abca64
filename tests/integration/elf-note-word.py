#!/usr/bin/env python3
"""elf-note-word.py CORE OFFSET SIZE: the SIZE-byte (4 or 8) little-endian
word at OFFSET in the descriptor of the first note of CORE (an ELF64 core
whose first program header is its PT_NOTE and whose first note is a
CPU's NT_PRSTATUS named "CORE"), as 0x%x: a register to compare with what
gdb reads from the core. OFFSET is into the prstatus, whose registers
start at 72 in a 32-bit x86 guest's (QEMU target/i386/arch_dump.c
x86_elf_prstatus) and at 112 for x86_64 and aarch64."""
import struct
import sys

d = open(sys.argv[1], "rb").read()
off, size = int(sys.argv[2], 0), int(sys.argv[3])
phoff, = struct.unpack_from("<Q", d, 32)
_, _, note = struct.unpack_from("<IIQ", d, phoff)
# the note header (namesz, descsz, type) and "CORE\0" padded to 8
desc = note + 12 + 8
print("0x%x" % struct.unpack_from("<I" if size == 4 else "<Q", d,
                                   desc + off)[0])
