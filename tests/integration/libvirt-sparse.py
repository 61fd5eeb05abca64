#!/usr/bin/env python3
"""libvirt-sparse.py begin IMG | end IMG | early IMG OUT: a libvirt
'sparse' save image
made as libvirt makes one (src/qemu/qemu_saveimage.c: qemuSaveImageCreate
writes the header with the unfinished magic "LibvirtQemudPart", format 6,
and virQEMUSaveDataWrite the domain XML, the cookie and zeros, data_len =
their lengths with NULs plus 64 KiB of room; QEMU then migrates with
mapped-ram into the same file from byte 92 + data_len; when it is done
the magic becomes "LibvirtQemudSave"). begin writes the head and prints
the stream's file offset (for migrate "file:IMG,offset=N"); end marks
the save finished. early copies IMG to OUT with the first mapped-ram
block's pages_offset set to 4096, inside libvirt's head (QEMU's header:
be32 version, be64 page size, be64 bitmap_offset = its own file offset
+ 28, be64 pages_offset; migration/ram.c, mapped_ram_setup_ramblock).
Built from the formats' descriptions, not our code."""
import struct, sys
cmd, img = sys.argv[1], sys.argv[2]
if cmd == "begin":
    xml = (b"<domain type='qemu'>\n  <name>sparse-t</name>\n"
           b"  <uuid>5c2d7f47-3a7b-4b9f-8e4d-123456789abc</uuid>\n"
           b"  <os><type arch='x86_64' machine='pc-i440fx-10.0'>hvm</type>"
           b"</os>\n</domain>\n\0")
    cookie = b"<qemu-migration>\n</qemu-migration>\n\0"
    data = xml + cookie + b"\0" * (64 * 1024)
    hdr = b"LibvirtQemudPart" + struct.pack("=IIIII", 2, len(data), 0, 6,
                                             len(xml)) + b"\0" * 56
    open(img, "wb").write(hdr + data)
    print(len(hdr) + len(data))
elif cmd == "early":
    d = bytearray(open(img, "rb").read())
    start = 92 + struct.unpack("=I", d[20:24])[0]
    for h in range(start, len(d) - 28):
        if (struct.unpack(">I", d[h:h + 4])[0] == 1 and
                struct.unpack(">Q", d[h + 12:h + 20])[0] == h + 28):
            d[h + 20:h + 28] = struct.pack(">Q", 4096)
            break
    else:
        sys.exit("no mapped-ram header found")
    open(sys.argv[3], "wb").write(d)
else:
    with open(img, "r+b") as f:
        assert f.read(16) == b"LibvirtQemudPart"
        f.seek(0)
        f.write(b"LibvirtQemudSave")
