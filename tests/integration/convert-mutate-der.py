#!/usr/bin/env python3
"""convert-mutate-der.py IN DIR: 150 mutants of IN (BER) in DIR: bytes
flipped (half in the first 4 KiB), every tenth also cut (seeded: the same
mutants every run)."""
import os, random, sys
d = open(sys.argv[1], "rb").read()
os.mkdir(sys.argv[2])
rng = random.Random(1)
for n in range(150):
    b = bytearray(d)
    for _ in range(rng.choice((1, 1, 2, 4))):
        i = rng.randrange(min(len(b), 4096) if n % 2 else len(b))
        b[i] = rng.randrange(256)
    if n % 10 == 0:
        b = b[:rng.randrange(len(b))]
    open(os.path.join(sys.argv[2], "m%03d.der" % n), "wb").write(b)
