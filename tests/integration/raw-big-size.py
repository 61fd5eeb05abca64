#!/usr/bin/env python3
"""raw-big-size.py STREAM: the body size of the spapr_iommu section of a
pseries stream with footers (from after its FULL record's header to its
footer)."""
import sys
b = open(sys.argv[1], "rb").read()
name = b"\x0bspapr_iommu"
k = b.find(name)
# FULL record: 0x04, be32 id, len, idstr, be32 instance, be32 version
sid = b[k - 4:k]
end = b.find(b"\x7e" + sid, k)
print(end - (k + len(name) + 8))
