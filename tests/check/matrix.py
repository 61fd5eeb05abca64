#!/usr/bin/env python3
"""vmstate check --matrix over >= 6 dumps equals the pairwise runs: per
ordered pair of one target, the same findings (json), the same lines
(text, under the pair's heading), the table's cells are the pairs' exit
statuses, pairs of different targets are not checked, and the exit status
is the sum capped at 255. Dumps: tests/check/crossdumps.sh's (QEMU 5.2,
7.2, 10.0), else a visible SKIP. Prints TAP."""
import json
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "integration"))
import tap  # noqa: E402

VMSTATE = os.environ["VMSTATE"]
if os.environ.get("VMS_QEMU_TESTS") != "1":
    print("1..0 # SKIP QEMU is absent (VMS_QEMU_TESTS)")
    sys.exit(0)
dumps = subprocess.run(["bash", os.path.join(here, "crossdumps.sh")],
                       capture_output=True, text=True).stdout.strip()
names = ["qemu5.2-x86_64-pc-i440fx-5.2", "qemu7.2-x86_64-pc-i440fx-5.2",
         "qemu10.0-x86_64-pc-i440fx-5.2", "qemu7.2-x86_64-pc-i440fx-7.2",
         "qemu10.0-x86_64-pc-i440fx-7.2", "qemu10.0-x86_64-pc-q35-10.0",
         "qemu7.2-aarch64-virt-7.2", "qemu10.0-aarch64-virt-7.2"]
files = [os.path.join(dumps, n + ".json") for n in names]
files = [f for f in files if os.path.exists(f)]
if len(files) < 6:
    print("1..0 # SKIP fewer than 6 dumps (QEMU 10.0 and 5.2: "
          "scripts/qemu-versions.sh)")
    sys.exit(0)


def run(*args):
    p = subprocess.run([VMSTATE, "check"] + list(args), capture_output=True,
                       text=True)
    return p.returncode, p.stdout, p.stderr


for rules in ("qemu-7.2", "qemu-10.2"):
    rc, out, err = run("--matrix", "--rules", rules, "--format", "json",
                       *files)
    doc = json.loads(out)
    targets = {d["file"]: d["target"] for d in doc["dumps"]}
    pairs = {(p["src"], p["dest"]): p for p in doc["pairs"]}
    want_pairs = [(a, b) for a in files for b in files
                  if a != b and targets[a] == targets[b]]
    tap.result(sorted(pairs) == sorted(want_pairs),
               "%s: the pairs are every ordered pair of one target (%d)"
               % (rules, len(want_pairs)))
    tap.result(set(targets.values()) == {"x86", "arm"},
               "%s: targets x86 and arm" % rules, str(targets))
    total = sum(pairs[k]["errors"] for k in want_pairs)
    tap.result(rc == min(total, 255), "%s: exit %d = sum %d capped" %
               (rules, rc, total))
    # Pairwise runs (slow under ASan): json under one rules, text under
    # the other.
    bad = []
    for a, b in (want_pairs if rules == "qemu-7.2" else []):
        prc, pout, _ = run("--rules", rules, "--format", "json", "-s", a,
                           "-d", b)
        single = json.loads(pout)
        if single["findings"] != pairs[(a, b)]["findings"] or \
                pairs[(a, b)]["errors"] != prc:
            bad.append((a, b))
    if rules == "qemu-7.2":
        tap.result(not bad, "%s: json findings and errors equal the "
                   "pairwise runs" % rules, str(bad[:3]))
    # Text: the grouped lines are the pairwise text, the cells its status.
    rc, out, err = run("--matrix", "--rules", rules, *files)
    blocks = re.split(r"\n== \[\d+\] (\S+) -> \[\d+\] (\S+): \d+ errors? ==\n",
                      out)
    table, rest = blocks[0], blocks[1:]
    bad = []
    for i in range(0, len(rest), 3) if rules != "qemu-7.2" else []:
        a, b, text = rest[i], rest[i + 1], rest[i + 2]
        prc, pout, _ = run("--rules", rules, "-s", a, "-d", b)
        if not pout.endswith("\n") and pout:
            pout += "\n"
        if text != pout:
            bad.append((a, b))
    tap.result(len(rest) == 3 * len(want_pairs) and not bad,
               "%s: text per pair equals the pairwise text%s" %
               (rules, "" if rules != "qemu-7.2" else " (pairs listed)"),
               str(bad[:3]))
    rows = [ln.split()[1:] for ln in table.splitlines()[2:2 + len(files)]]
    cells_ok = all(
        rows[i][j] == ("-" if i == j else "." if (a, b) not in pairs
                       else str(pairs[(a, b)]["errors"]))
        for i, a in enumerate(files) for j, b in enumerate(files))
    tap.result(cells_ok, "%s: table cells are the pairs' errors" % rules,
               table)

# Below the cap, the exit status is the sum of the pairs' exit statuses.
few = [f for f in files if "i440fx-7.2" in f or "qemu7.2-x86_64-pc-i440fx-5.2" in f]
rc, _, _ = run("--matrix", *few)
sums = [run("-s", a, "-d", b)[0] for a in few for b in few
        if a != b]
tap.result(rc == sum(sums) < 255, "exit %d = sum of %d pairwise runs %s"
           % (rc, len(sums), sums))

# A baseline of the whole matrix accepts everything.
rc, out, _ = run("--matrix", "--format", "json", *files)
with open(os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       "vms-matrix-base.%d.json" % os.getpid()), "w") as f:
    f.write(out)
    base = f.name
rc2, out2, _ = run("--matrix", "--baseline", base, "--format", "json", *files)
os.unlink(base)
doc = json.loads(out2)
tap.result(rc > 0 and rc2 == 0 and all(
    f["accepted"] or not f["counted"] for p in doc["pairs"]
    for f in p["findings"]),
    "a matrix baseline accepts every finding (exit %d -> %d)" % (rc, rc2))

# github and sarif: every counted finding once, with its pair.
rc, out, _ = run("--matrix", "--format", "json", *few)
doc = json.loads(out)
want = [(p["src"], p["dest"], f["message"]) for p in doc["pairs"]
        for f in p["findings"]]
rc, gh, _ = run("--matrix", "--format", "github", *few)
lines = gh.splitlines()
tap.result(len(lines) == len(want) and all(
    ("%s -> %s" % (a, b)) in ln and ln.endswith("::" + m.replace("%", "%25"))
    for ln, (a, b, m) in zip(lines, want)),
    "github: one annotation per finding, naming its pair (%d)" % len(want))
rc, sf, _ = run("--matrix", "--format", "sarif", *few)
res = json.loads(sf)["runs"][0]["results"]
tap.result(len(res) == len(want) and all(
    r["message"]["text"] == "%s -> %s: %s" % w and
    r["properties"] == {"src": w[0], "dest": w[1]}
    for r, w in zip(res, want)),
    "sarif: one result per finding with its pair (%d)" % len(res))
# A baseline shows in SARIF as suppressions, in github not at all.
path = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                    "vms-matrix-few.%d.json" % os.getpid())
with open(path, "w") as f:
    f.write(out)
rc, sf, _ = run("--matrix", "--baseline", path, "--format", "sarif", *few)
rc2, gh, _ = run("--matrix", "--baseline", path, "--format", "github", *few)
os.unlink(path)
res = json.loads(sf)["runs"][0]["results"]
tap.result(rc == 0 and rc2 == 0 and gh == "" and len(res) == len(want) and
           all(r.get("suppressions") for r in res),
           "baseline: sarif results suppressed, no github annotations")
tap.done()
