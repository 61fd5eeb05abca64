#!/usr/bin/env python3
"""Print one 'N passed, N failed, N skipped' line from meson test logs.

meson's own summary is not a line CI systems recognise; this one is.
"""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print(f"test-summary: {path}: no test log", file=sys.stderr)
        continue
    for line in lines:
        rec = json.loads(line)
        r = rec.get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {rec.get('name')} ({path})")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
