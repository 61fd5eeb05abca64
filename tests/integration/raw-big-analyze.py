#!/usr/bin/env python3
"""raw-big-analyze.py STATE RC SIZE: analyze exited 0 (RC) and printed the
spapr_iommu section whole, as SIZE raw bytes ("xx xx ...")."""
import json, sys
d = json.load(open(sys.argv[1]))
v = [d[k] for k in d if k.startswith("spapr_iommu")]
assert int(sys.argv[2]) == 0 and v and any(len(x) == 3 * int(sys.argv[3]) - 1 for x in v)
