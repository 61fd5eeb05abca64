#!/usr/bin/env python3
"""vmstate check --format github / sarif: the same findings as text and
json, 1:1 and in order, in the shapes GitHub Actions and SARIF 2.1.0
consumers require. Prints TAP."""
import json
import os
import subprocess
import sys

VMSTATE = os.environ["VMSTATE"]
CHECKER = os.path.join(os.environ["VMS_SHARED"], "testdata", "checker")
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what))


def run(*args):
    r = subprocess.run([VMSTATE, "check"] + list(args), capture_output=True,
                       text=True)
    return r.stdout, r.returncode


pairs = [("dump1.json", "dump2.json"),
         ("qemu7.2-x86_64-pc-i440fx-7.2.json",
          "qemu10.0-x86_64-pc-i440fx-7.2.json")]
if not os.path.isdir(CHECKER):
    print("1..0 # SKIP shared test data absent (%s)" % CHECKER)
    sys.exit(0)

for a, b in pairs:
    for rev in ([], ["-r"]):
        args = ["-s", os.path.join(CHECKER, a), "-d",
                os.path.join(CHECKER, b)] + rev
        name = "%s -> %s%s" % (a, b, " -r" if rev else "")
        doc, rc = run(*args, "--format", "json")
        findings = json.loads(doc)["findings"]

        out, grc = run(*args, "--format", "github")
        lines = out.splitlines()
        ok(grc == rc, "%s: github exit status %d equals json's" % (name, rc))
        ok(len(lines) == len(findings),
           "%s: one annotation per finding (%d)" % (name, len(findings)))
        good = True
        for line, f in zip(lines, findings):
            level = "error" if f["counted"] else "warning"
            head = "::%s file=" % level
            title = ",title=vmstate check (%s)::" % f["kind"]
            msg = f["message"].replace("%", "%25")
            good &= line.startswith(head) and title in line and \
                line.endswith("::" + msg)
        ok(good, "%s: annotations carry level, kind and message in order"
           % name)

        out, src = run(*args, "--format", "sarif")
        log = json.loads(out)
        ok(src == rc, "%s: sarif exit status equals json's" % name)
        ok(log.get("version") == "2.1.0", "%s: sarif version 2.1.0" % name)
        runs = log.get("runs", [])
        ok(len(runs) == 1 and runs[0]["tool"]["driver"]["name"] ==
           "vmstate check", "%s: runs[0].tool.driver.name" % name)
        results = runs[0].get("results", []) if runs else []
        rules = {r["id"] for r in runs[0]["tool"]["driver"]["rules"]}
        ok(len(results) == len(findings), "%s: one result per finding"
           % name)
        good = all(r["ruleId"] == f["kind"] and r["ruleId"] in rules and
                   r["message"]["text"] == f["message"] and
                   r["level"] == ("error" if f["counted"] else "warning")
                   for r, f in zip(results, findings))
        ok(good, "%s: each result has ruleId, message.text, level" % name)

print("1..%d" % n)
sys.exit(1 if failed else 0)
