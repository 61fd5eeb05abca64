#!/usr/bin/env python3
"""replay.py [TABLE_DIR]: vmstate verify against the verify table.

Each row of table.tsv (made by make-table.py with real QEMU loads) is a
stream, the destination's -dump-vmstate and QEMU's verdict. verify must
agree: exit 0 <=> QEMU loaded it. A row where QEMU refused for a section
no -dump-vmstate describes (its error names device 'cpu', ...) agrees
when verify lists that section as not verified (uncounted) and --strict
then refuses: verify cannot see it and says so, it never calls it loaded
without that warning.

Then every row again with --reference (the row's reference stream, saved
by the destination QEMU with the command line it loads with): exit 0 <=>
QEMU loads. A row where verify still cannot decide (it exits 0 listing
the section QEMU refused in as not verified) is reported as a TODO, not
hidden: the reference does not prove what QEMU checks there. Prints TAP
and, at the end, the agreement figures of both passes.
"""
import lzma
import os
import re
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
import tap  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
table_dir = sys.argv[1] if len(sys.argv) > 1 else here
V = os.environ.get("VMSTATE")
if not V:
    print("1..0 # SKIP VMSTATE not set")
    sys.exit(0)

tmp = tempfile.mkdtemp(prefix="vms-replay.")
with lzma.open(os.path.join(table_dir, "data.tar.xz")) as x:
    with tarfile.open(fileobj=x) as t:
        t.extractall(tmp, filter="data") if hasattr(tarfile, "data_filter") \
            else t.extractall(tmp)


def verify(stream, dump, strict=False, ref=None):
    args = [V, "verify", os.path.join(tmp, stream), "--dest",
            os.path.join(tmp, dump)]
    if strict:
        args.append("--strict")
    if ref:
        args += ["--reference", os.path.join(tmp, ref)]
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


rows = []
for line in open(os.path.join(table_dir, "table.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    f = line.rstrip("\n").split("\t")
    rows.append((f + [""] * 9)[:9])


def qemu_section(msg):
    """The section QEMU names in its error."""
    m = re.search(r"of device '([^']+)'|version \d+ for '([^']+)'|"
                  r"Failed to load ([^:/ ]+)[:/]|"
                  r"section or instance '([^']+)'|"
                  r"section id \d+\(([^)]+)\)", msg)
    return next((g for g in m.groups() if g), None) if m else None


def listed(out, dev):
    return dev and re.search(r'Section "%s".*not verified' % re.escape(dev),
                             out)


agree = unseen_agree = disagree = refusals = 0
for rid, target, stream, dump, dver, dmachine, verdict, msg, ref in rows:
    rc, out = verify(stream, dump)
    loads = verdict == "loads"
    refusals += not loads
    if (rc == 0) == loads:
        agree += 1
        tap.result(True, "%s: QEMU %s, verify exit %d" % (rid, verdict, rc))
        continue
    # QEMU refused in a section that verify says it did not verify?
    dev = qemu_section(msg)
    seen = listed(out, dev)
    src, _ = verify(stream, dump, strict=True) if seen else (0, "")
    if not loads and rc == 0 and seen and src != 0:
        unseen_agree += 1
        tap.result(True, "%s: QEMU refuses in '%s', which verify lists as "
                   "not verified (--strict exit %d)" % (rid, dev, src))
        continue
    disagree += 1
    tap.result(False, "%s: QEMU %s, verify exit %d" % (rid, verdict, rc),
               "QEMU: %s\nverify: %s" % (msg, out))

# with --reference: exit 0 <=> QEMU loads
r_agree = r_todo = r_disagree = 0
for rid, target, stream, dump, dver, dmachine, verdict, msg, ref in rows:
    if not ref:
        r_disagree += 1
        tap.result(False, "%s --reference: the row has no reference" % rid)
        continue
    rc, out = verify(stream, dump, ref=ref)
    loads = verdict == "loads"
    if (rc == 0) == loads:
        r_agree += 1
        tap.result(True, "%s --reference: QEMU %s, verify exit %d" %
                   (rid, verdict, rc))
        continue
    dev = qemu_section(msg)
    if not loads and rc == 0 and listed(out, dev):
        r_todo += 1
        print("not ok %d - %s --reference: QEMU refuses in '%s', which "
              "verify still lists as not verified # TODO no rule proven "
              "from the reference" % (tap._n + 1, rid, dev))
        tap._n += 1
        continue
    r_disagree += 1
    tap.result(False, "%s --reference: QEMU %s, verify exit %d" %
               (rid, verdict, rc), "QEMU: %s\nverify: %s" % (msg, out))

# a reference without its JSON description (a stream cut short): an input
# error naming it, not a verdict
cut = next((r for r in rows if r[0].endswith(":cut-half")), None)
if cut:
    p = subprocess.run([V, "verify", os.path.join(tmp, rows[0][2]), "--dest",
                        os.path.join(tmp, rows[0][3]), "--reference",
                        os.path.join(tmp, cut[2])], capture_output=True,
                       text=True)
    tap.result(p.returncode == 255 and not p.stdout and
               len(p.stderr.splitlines()) == 1 and cut[2] in p.stderr and
               "no JSON description" in p.stderr,
               "a reference cut short is an input error naming it (exit %d)"
               % p.returncode, p.stdout + p.stderr)

tap.result(len(rows) >= 40 and refusals >= 10,
           "the table has >= 40 rows (%d), >= 10 QEMU refusals (%d)" %
           (len(rows), refusals))
print("# agreement: %d rows, %d agree (exit 0 <=> QEMU loads), %d where "
      "QEMU refuses in a section verify lists as not verified, %d disagree; "
      "QEMU refused %d" % (len(rows), agree, unseen_agree, disagree,
                           refusals))
print("# agreement with --reference: %d rows, %d agree (exit 0 <=> QEMU "
      "loads), %d where QEMU refuses in a section verify still lists as "
      "not verified (TODO), %d disagree" % (len(rows), r_agree, r_todo,
                                            r_disagree))
subprocess.run(["rm", "-rf", tmp])
tap.done()
