#!/usr/bin/env python3
"""fs-safety.py VMSTATE SRCDIR: the body of fs-safety.sh (filesystem safety
of every command that writes files; see there)."""
import os, subprocess, sys, tempfile
sys.path.insert(0, os.path.join(os.environ["VMS_SRCDIR"], "tests",
                                "integration"))
from tap import result, done
V, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tests", "fuzz"))
import streamcut as sc


# A command that writes files: how to run it on INPUT into directory OUT
# (--force is appended to the arguments), which files a good run writes
# there (None: whatever it prints on stdout, one per line), whether it
# takes file names from the input (RAM block names, written into blockdir
# of OUT), and how its input is made from a stream (default: the stream).
def unpacked(inp):
    d = inp + ".d"
    subprocess.run(["rm", "-rf", d])
    subprocess.run([V, "unpack", inp, d], check=True)
    return d

WRITERS = [
    dict(name="analyze -x", input=True, blockdir="", lists=True,
         argv=lambda inp, out: [V, "analyze", "-x", "-C", out, inp]),
    dict(name="unpack", input=True, blockdir="ram",
         argv=lambda inp, out: [V, "unpack", inp, out]),
    dict(name="pack", input=False, prepare=unpacked,
         argv=lambda inp, out: [V, "pack", inp, os.path.join(out, "vm.mig")],
         files=["vm.mig"]),
    dict(name="convert", input=False,
         argv=lambda inp, out: [V, "convert", inp,
                                os.path.join(out, "vm.json"), "--to", "json"],
         files=["vm.json"]),
    dict(name="demo", input=False,
         argv=lambda inp, out: [V, "demo", "--stream",
                                os.path.join(out, "vm.mig"), "--dump",
                                os.path.join(out, "dump.json"), "--state",
                                os.path.join(out, "state.json")],
         files=["vm.mig", "dump.json", "state.json"]),
]

def run(argv, force=False):
    p = subprocess.run(argv + (["--force"] if force else []),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")

def tree(root):
    """Every path under root (relative), with symlinks as such."""
    out = set()
    for d, dirs, files in os.walk(root):
        for f in dirs + files:
            out.add(os.path.relpath(os.path.join(d, f), root))
    return out

def leftovers(out):
    return [f for f in tree(out) if os.path.basename(f).startswith(".")]

def regular(out):
    return sorted(f for f in tree(out)
                  if os.path.isfile(os.path.join(out, f)) or
                  os.path.islink(os.path.join(out, f)))

def lines_as_paths(names):
    """analyze -x prints a block's name as QEMU's tool does, which writes
    it at "./" + name ("/etc/x" is etc/x); a name it flattens is printed
    as the file it wrote."""
    return [os.path.normpath(n.lstrip("/")) for n in names]

def one_line_error(err, rc):
    lines = [l for l in err.splitlines() if l.strip()]
    return rc == 1 and len(lines) == 1 and lines[0].startswith("vmstate ")

hostile = [b"../x", b"/etc/x", b"a/../../x", b"a\nb", b".", b"..",
           b"desc.json", b"state.json", b"a/b", b"a_b", b"x" * 255,
           b"-rf", b"\x1b[31mred"]
etc_x = os.path.exists("/etc/x")

for w in WRITERS:
    tag = w["name"]
    base = tempfile.mkdtemp()
    root = os.path.join(base, "root")
    out = os.path.join(root, "a", "out")
    os.makedirs(out)
    inp = os.path.join(base, "in.mig")

    def fresh():
        subprocess.run(["rm", "-rf", out])
        os.makedirs(out)

    # 1. Names from the input stay inside the output directory.
    if w["input"]:
        with open(inp, "wb") as f:
            f.write(sc.ram_stream([(nm, 4096 * (i + 1))
                                   for i, nm in enumerate(hostile)]))
        rc, so, se = run(w["argv"](inp, out))
        bdir = os.path.join(out, w["blockdir"])
        own = ("desc.json", "state.json") if not w["blockdir"] else ()
        blocks = [f for f in regular(bdir) if f not in own and
                  os.path.isfile(os.path.join(bdir, f))] if rc == 0 else []
        names = [l for l in so.splitlines() if l]
        inside = tree(root) - {"a", "a/out"}
        ok_ = (rc == 0 and all(p.startswith("a/out/") for p in inside) and
               not leftovers(out) and (etc_x or not os.path.exists("/etc/x"))
               and len(blocks) == len(hostile) and
               (not w.get("lists") or
                sorted(lines_as_paths(names)) == regular(out)))
        result(ok_, "%s: %d hostile block names give %d distinct files, "
               "all inside the output directory" % (tag, len(hostile),
                                                      len(hostile)),
               "rc %d\n%s\n%s\n%s" % (rc, se, sorted(inside), names))
        # Each block file holds its own block: sizes are distinct.
        sizes = sorted(os.path.getsize(os.path.join(bdir, f)) for f in blocks)
        result(sizes == [4096 * (i + 1) for i in range(len(hostile))],
               "%s: every block file holds its block" % tag, sizes)
        fresh()
        # NUL inside a name is refused, nothing written.
        with open(inp, "wb") as f:
            f.write(sc.ram_stream([(b"a\x00/../../x", 4096)]))
        rc, so, se = run(w["argv"](inp, out))
        result(one_line_error(se, rc) and "offset 0x" in se and
               tree(root) - {"a/out/desc.json"} <= {"a", "a/out"},
               "%s: a block name with NUL is refused, no block file written" % tag,
               "rc %d %s %s" % (rc, se, tree(root)))
        fresh()
    with open(inp, "wb") as f:
        f.write(sc.ram_stream([(b"pc.ram", 4096)]))
    src = w.get("prepare", lambda i: i)(inp)

    # The files a good run writes.
    rc, so, se = run(w["argv"](src, out))
    files = regular(out)
    good_files = w.get("files") or (
        lines_as_paths(l for l in so.splitlines() if l) if w.get("lists")
        else
        [f for f in files if rc == 0])
    result(rc == 0 and sorted(good_files) == files,
           "%s: a good run writes %s" % (tag, ", ".join(sorted(good_files))),
           "rc %d %s %s" % (rc, se, files))
    victim_of = {}

    # 2. Existing files are kept without --force, replaced with it.
    for f in files:
        with open(os.path.join(out, f), "w") as fh:
            fh.write("keep\n")
    rc, so, se = run(w["argv"](src, out))
    kept = all(open(os.path.join(out, f)).read() == "keep\n" for f in files)
    result(one_line_error(se, rc) and kept and not leftovers(out),
           "%s: existing files are kept without --force" % tag,
           "rc %d %s" % (rc, se))
    rc, so, se = run(w["argv"](src, out), force=True)
    result(rc == 0 and not any(open(os.path.join(out, f), "rb").read() ==
                               b"keep\n" for f in files)
           and not leftovers(out),
           "%s: --force replaces them" % tag, "rc %d %s" % (rc, se))

    # 3. A symlink planted in the output directory is never followed.
    victim = os.path.join(base, "victim")
    for f in files:
        os.unlink(os.path.join(out, f))
        os.symlink(victim, os.path.join(out, f))
    with open(victim, "w") as fh:
        fh.write("victim\n")
    rc, so, se = run(w["argv"](src, out))
    links = all(os.path.islink(os.path.join(out, f)) for f in files)
    result(rc == 1 and links and open(victim).read() == "victim\n",
           "%s: planted symlinks: refused without --force, target intact"
           % tag, "rc %d %s" % (rc, se))
    rc, so, se = run(w["argv"](src, out), force=True)
    links = all(os.path.islink(os.path.join(out, f)) for f in files)
    result(one_line_error(se, rc) and links
           and open(victim).read() == "victim\n" and not leftovers(out),
           "%s: planted symlinks: refused even with --force, target intact"
           % tag, "rc %d %s" % (rc, se))
    fresh()

    # 4. A failed run leaves no partial or temporary file.
    if w["input"]:
        data = open(inp, "rb").read()
        bad = []
        for cut in (20, 100, len(data) // 2, len(data) - 60):
            with open(inp, "wb") as f:
                f.write(data[:cut])
            rc, so, se = run(w["argv"](inp, out))
            left = os.listdir(out)
            if not one_line_error(se, rc) or "offset 0x" not in se or \
                    leftovers(out) or set(left) - {"desc.json"}:
                bad.append("cut %d: rc %d %s %s" % (cut, rc, se, left))
            fresh()
        result(not bad, "%s: truncated input: one-line error, no partial "
               "or temporary file" % tag, "\n".join(bad))
    subprocess.run(["rm", "-rf", base])

done()
