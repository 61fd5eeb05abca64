#!/usr/bin/env python3
"""make-table.py [OUTDIR]: regenerate the verify table with real QEMU.

Each row is a real migration stream, the destination QEMU's -dump-vmstate
and the verdict of that destination QEMU loading the stream with the same
devices (-incoming "exec:cat F", -S, then "info migrate" until completed
or failed; QEMU's error lines are kept). vmstate verify must agree with
every row: exit 0 <=> QEMU loads (tests/integration/verify-table.sh).

Streams come from Debian's QEMU 7.2 (installed) and QEMU 10.0 and 5.2
(wrappers made by scripts/qemu-versions.sh under /var/cache/vmstate-qemu):
  - same version: 7.2 -> 7.2 and 10.0 -> 10.0, newest machine type;
  - forward: 7.2 (machine X-7.2) -> 10.0 started with -M X-7.2;
  - backward: 10.0 started with -M X-7.2 -> 7.2 with -M X-7.2, and
    10.0's newest machine type -> 7.2's newest (a machine 7.2 lacks);
  - 5.2 (machine X-5.2) -> 7.2 -M X-5.2;
  - damaged copies of 7.2 and 10.0 streams: cut at several points (in RAM,
    in the device sections, just before the end marker, inside and before
    the JSON description), a device section's version raised past the
    destination's, a section renamed to one no QEMU has, garbage after
    the end.
for x86_64 pc and q35, aarch64 virt, ppc64 pseries, s390x ccw, with small
RAM so that the committed data stays small.

Each row also names a reference stream (ref/): one the destination QEMU
saved with the command line it loads with (machine, devices, no migration
capability), for verify --reference.

Writes OUTDIR/table.tsv (id, stream, dest dump, verdict, QEMU's message,
reference)
and OUTDIR/data.tar.xz (the streams and dumps; xz across files keeps the
near-identical copies nearly free). OUTDIR defaults to this directory.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else HERE
QDIR = "/var/cache/vmstate-qemu"
BASE = ["-accel", "tcg", "-nodefaults", "-display", "none"]


def qemu(ver, arch):
    if ver == "7.2":
        return "qemu-system-" + arch
    return "%s/%s/bin/qemu-system-%s" % (QDIR, ver, arch)


# target: (arch, machine prefix, extra args, devices)
TARGETS = {
    "x86_64-pc": ("x86_64", "pc-i440fx-", ["-m", "16"],
                  ["-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
                   "-device", "usb-ehci,id=ehci",
                   "-device", "usb-tablet,bus=ehci.0",
                   "-chardev", "null,id=s0",
                   "-device", "isa-serial,chardev=s0"]),
    "x86_64-q35": ("x86_64", "pc-q35-", ["-m", "16"],
                   ["-netdev", "user,id=n0",
                    "-device", "virtio-net-pci,netdev=n0",
                    "-device", "ahci,id=ahci0"]),
    "aarch64-virt": ("aarch64", "virt-", ["-cpu", "cortex-a57", "-m", "16"],
                     ["-netdev", "user,id=n0",
                      "-device", "virtio-net-pci,netdev=n0"]),
    "ppc64-pseries": ("ppc64", "pseries-", ["-m", "256"],
                      ["-netdev", "user,id=n0",
                       "-device", "virtio-net-pci,netdev=n0"]),
    "s390x-ccw": ("s390x", "s390-ccw-virtio-", ["-m", "16"],
                  ["-netdev", "user,id=n0",
                   "-device", "virtio-net-ccw,netdev=n0"]),
    # only 7.2 -> 7.2 and 7.2 -> 10.0 (see SPECIAL)
    "x86_64-pc-compress": ("x86_64", "pc-i440fx-", ["-m", "16"], []),
    "x86_64-pc-block": ("x86_64", "pc-i440fx-", ["-m", "16"],
                        ["-drive", "file={disk},if=ide,format=qcow2"]),
}


def extra(target, ver):
    arch, _, ex, _ = TARGETS[target]
    if arch == "s390x":
        # the firmware finds no boot disk and panics: pause instead
        # (5.2 has no -action; -no-shutdown keeps its panicked guest)
        ex = ex + (["-no-shutdown"] if ver == "5.2"
                   else ["-action", "panic=pause"])
    return ex


class Hmp:
    def __init__(self, path, proc):
        self.s = socket.socket(socket.AF_UNIX)
        for _ in range(300):
            if proc.poll() is not None:
                raise OSError("QEMU exited")
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise OSError("no monitor")
        self.s.settimeout(60)
        self.read()

    def read(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            d = self.s.recv(65536)
            if not d:
                raise OSError("monitor closed")
            buf += d
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", buf.decode(errors="replace"))

    def quit(self):
        try:
            self.s.sendall(b"quit\n")
        except OSError:
            pass

    def cmd(self, c):
        self.s.sendall(c.encode() + b"\n")
        return self.read()


def run_qemu(args, tmp, name):
    sock = os.path.join(tmp, name + ".sock")
    log = open(os.path.join(tmp, name + ".log"), "w+")
    p = subprocess.Popen(["nice", "-n", "10"] + args + BASE +
                         ["-monitor", "unix:%s,server=on,wait=off" % sock],
                         stdout=log, stderr=subprocess.STDOUT)
    return p, sock, log


def wait_migration(h, tries, pause,
                   ends=("completed", "failed", "cancelled")):
    """Ask the monitor h "info migrate" until its status is one of ends, at
    most tries times, pause seconds apart: (the last status, "?" when it
    named none; the last answer, which holds the counters)."""
    status, o = "?", ""
    for _ in range(tries):
        o = h.cmd("info migrate")
        m = re.search(r"Migration status: (\S+)", o)
        status = m.group(1) if m else "?"
        if status in ends:
            break
        time.sleep(pause)
    return status, o


def finish(p):
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


# Streams of the migration features QEMU 10.0 dropped (the compress
# capability, block migration): HMP commands before "migrate", its flags.
SPECIAL = {
    "x86_64-pc-compress": (["migrate_set_capability compress on",
                            "migrate_set_parameter compress-threads 1"], ""),
    "x86_64-pc-block": ([], "-b "),
}
DISK = None   # the block stream's disk (made in main)


def devices(target):
    return [a.replace("{disk}", DISK or "") for a in TARGETS[target][3]]


def save(target, ver, machine, path, tmp, special=True):
    arch = TARGETS[target][0]
    setup, flags = SPECIAL.get(target, ([], "")) if special else ([], "")
    p, sock, log = run_qemu([qemu(ver, arch), "-M", machine] +
                            extra(target, ver) + devices(target), tmp,
                            "save")
    try:
        h = Hmp(sock, p)
        time.sleep(1.5)
        h.cmd("stop")
        for c in setup:
            h.cmd(c)
        h.cmd('migrate %s"exec:cat > %s"' % (flags, path))
        status, _ = wait_migration(h, 600, 0.2)
        h.quit()
    finally:
        finish(p)
    if status != "completed" or not os.path.getsize(path):
        log.seek(0)
        sys.exit("make-table: %s %s %s: no stream\n%s" %
                 (target, ver, machine, log.read()))


def dump(target, ver, machine, path):
    arch = TARGETS[target][0]
    subprocess.run([qemu(ver, arch), "-M", machine, "-nodefaults",
                    "-display", "none", "-dump-vmstate", path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not os.path.exists(path) or not os.path.getsize(path):
        sys.exit("make-table: %s %s %s: no dump" % (target, ver, machine))


def load(target, ver, machine, path, tmp):
    """QEMU's verdict: (loads, message)."""
    arch = TARGETS[target][0]
    return load_args([qemu(ver, arch), "-M", machine] + extra(target, ver) +
                     devices(target), path, tmp)


def load_args(args, path, tmp):
    """QEMU (args: binary and options) started with -S -incoming
    "exec:cat path": (loaded, QEMU's error lines). Loaded = "info migrate"
    says completed; a failed load says failed or makes QEMU exit."""
    p, sock, log = run_qemu(args + ["-S", "-incoming", "exec:cat %s" % path],
                            tmp, "load")
    status = "?"
    try:
        h = Hmp(sock, p)
        status, _ = wait_migration(h, 600, 0.2, ("completed", "failed"))
        h.quit()
    except OSError:
        pass   # a failed load makes QEMU exit
    finish(p)
    log.seek(0)
    lines = [l.strip() for l in log.read().splitlines() if l.strip()]
    # QEMU's own error lines, without the binary's path
    msg = [re.sub(r"^\S*qemu-system-\w+: ", "", l) for l in lines
           if ("qemu-system-" in l or "error" in l.lower()) and
           "warning:" not in l]
    return status == "completed", " | ".join(msg)[:400]


# ---- damage ---------------------------------------------------------------

def end_marker(b):
    """Offset of the end marker (QEMU_VM_EOF, 0x00) that precedes the JSON
    description (QEMU_VM_VMDESCRIPTION 0x06 + be32 length + '{'); without
    a description, the last byte when it is 0x00."""
    j = b.find(b"\x00\x06")
    while j >= 0:
        if b[j + 6:j + 7] == b"{" and \
                int.from_bytes(b[j + 2:j + 6], "big") == len(b) - j - 6:
            return j
        j = b.find(b"\x00\x06", j + 1)
    return len(b) - 1 if b[-1:] == b"\x00" else None


def desc_start(b):
    e = end_marker(b)
    return e + 1 if e is not None and e + 1 < len(b) else None


def raise_version(b, idstr):
    """The first FULL section header named idstr with its version + 1."""
    k = first_section(b, idstr) + 6 + len(idstr) + 4
    c = bytearray(b)
    c[k:k + 4] = (int.from_bytes(b[k:k + 4], "big") + 1).to_bytes(4, "big")
    return bytes(c)


def rename(b, old, new):
    """Rename a section in its header and in the JSON description alike."""
    assert len(old) == len(new)
    k = first_section(b, old) + 5   # the name's length byte
    c = bytearray(b)
    c[k + 1:k + 1 + len(old)] = new.encode()
    d = desc_start(b)
    if d is not None:
        tail = bytes(c[d:]).replace(b'"name": "%s"' % old.encode(),
                                    b'"name": "%s"' % new.encode(), 1)
        c[d:] = tail
    return bytes(c)


def machine(b, old, new):
    """The configuration's machine type (0x07, be32 length, name)."""
    o = b"\x07" + len(old).to_bytes(4, "big") + old.encode()
    assert b.count(o) == 1, "no configuration section"
    return b.replace(o, b"\x07" + len(new).to_bytes(4, "big") +
                     new.encode())


def first_section(b, idstr):
    """Offset of the first QEMU_VM_SECTION_FULL (4) header named idstr:
    type byte, be32 section id, then the name's length byte and name."""
    name = bytes([len(idstr)]) + idstr.encode()
    k = b.find(name)
    while k >= 0 and b[k - 5] != 4:
        k = b.find(name, k + 1)
    if k < 0:
        raise SystemExit("make-table: no section %s" % idstr)
    return k - 5


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="vms-table.")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    rows = []
    dumps = {}
    refs = {}

    def get_ref(target, ver, machine):
        """verify --reference: a stream the destination saved with the
        command line it loads with (its devices, no migration capability
        set, as load() starts it): what it registers and its CPU state."""
        name = "ref/%s-%s-%s.mig" % (target, ver, machine)
        if name not in refs:
            os.makedirs(os.path.join(data, "ref"), exist_ok=True)
            save(target, ver, machine, os.path.join(data, name), tmp,
                 special=False)
            refs[name] = True
        return name

    def get_dump(target, ver, machine):
        name = "dump/%s-%s.json" % (ver, machine)
        if name not in dumps:
            os.makedirs(os.path.join(data, "dump"), exist_ok=True)
            dump(target, ver, machine, os.path.join(data, name))
            dumps[name] = True
        return name

    def row(rid, target, stream, dver, dmachine, note=""):
        dname = get_dump(target, dver, dmachine)
        rname = get_ref(target, dver, dmachine)
        ok, msg = load(target, dver, dmachine, os.path.join(data, stream),
                       tmp)
        verdict = "loads" if ok else "refuses"
        rows.append((rid, target, stream, dname, dver, dmachine, verdict,
                     msg.replace("\t", " "), rname))
        print("%-40s %-8s %s" % (rid, verdict, msg[:100]), flush=True)

    def mk(target, ver, machine):
        name = "stream/%s-%s-%s.mig" % (target, ver, machine)
        os.makedirs(os.path.join(data, "stream"), exist_ok=True)
        save(target, ver, machine, os.path.join(data, name), tmp)
        return name

    def derive(src, suffix, fn):
        b = open(os.path.join(data, src), "rb").read()
        name = src[:-4] + "." + suffix + ".mig"
        open(os.path.join(data, name), "wb").write(fn(b))
        return name

    global DISK
    DISK = os.path.join(tmp, "disk.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", DISK, "4M"],
                   check=True, stdout=subprocess.DEVNULL)
    for target in SPECIAL:
        m72 = TARGETS[target][1] + "7.2"
        s72 = mk(target, "7.2", m72)
        row(target + ":7.2->7.2", target, s72, "7.2", m72)
        row(target + ":7.2->10.0", target, s72, "10.0", m72)

    for target in TARGETS:
        if target in SPECIAL:
            continue
        pre = TARGETS[target][1]
        m52, m72, m100 = pre + "5.2", pre + "7.2", pre + "10.0"
        s72 = mk(target, "7.2", m72)
        s100 = mk(target, "10.0", m100)
        s100o = mk(target, "10.0", m72)
        row(target + ":7.2->7.2", target, s72, "7.2", m72)
        row(target + ":10.0->10.0", target, s100, "10.0", m100)
        row(target + ":7.2->10.0", target, s72, "10.0", m72)
        row(target + ":10.0(7.2)->7.2", target, s100o, "7.2", m72)
        row(target + ":10.0->7.2", target, s100, "7.2", m72)
        s52 = mk(target, "5.2", m52)
        row(target + ":5.2->7.2", target, s52, "7.2", m52)

        # damaged copies of the 7.2 stream, judged by 7.2
        b = open(os.path.join(data, s72), "rb").read()
        e = end_marker(b)
        d = desc_start(b)
        if target in ("x86_64-pc", "s390x-ccw", "aarch64-virt"):
            row(target + ":cut-half", target,
                derive(s72, "cut-half", lambda b: b[:len(b) // 2]),
                "7.2", m72)
            row(target + ":cut-before-eof", target,
                derive(s72, "cut-before-eof", lambda b: b[:e]), "7.2", m72)
            if d:
                row(target + ":cut-in-desc", target,
                    derive(s72, "cut-in-desc",
                           lambda b: b[:d + (len(b) - d) // 2]),
                    "7.2", m72)
                row(target + ":no-desc", target,
                    derive(s72, "no-desc", lambda b: b[:d]), "7.2", m72)
        if target == "x86_64-pc":
            k = first_section(b, "hpet")
            row(target + ":cut-in-hpet", target,
                derive(s72, "cut-in-hpet", lambda b: b[:k + 20]),
                "7.2", m72)
            row(target + ":hpet-version+1", target,
                derive(s72, "hpet-version", lambda b: raise_version(b, "hpet")),
                "7.2", m72)
            row(target + ":unknown-section", target,
                derive(s72, "unknown-section",
                       lambda b: rename(b, "hpet", "hpeX")), "7.2", m72)
            row(target + ":trailing-garbage", target,
                derive(s72, "trailing-garbage",
                       lambda b: b + b"\x42" * 100), "7.2", m72)
            row(target + ":cut-1", target,
                derive(s72, "cut-1", lambda b: b[:len(b) - 1]), "7.2", m72)
            # QEMU compares the machine type over the stream's length
            row(target + ":machine-prefix", target,
                derive(s72, "machine-prefix",
                       lambda b: machine(b, m72, m72[:-1])), "7.2", m72)
            row(target + ":machine-7.1", target,
                derive(s72, "machine-7.1",
                       lambda b: machine(b, m72, pre + "7.1")), "7.2", m72)
            row(target + ":unknown-subsection", target,
                derive(s72, "unknown-subsection",
                       lambda b: b.replace(b"e1000/mit_state",
                                           b"e1000/mit_statx")), "7.2", m72)
            row(target + ":10.0-hpet-version+1", target,
                derive(s100, "hpet-version",
                       lambda b: raise_version(b, "hpet")), "10.0", m100)
        if target == "s390x-ccw":
            row(target + ":todclock-version+1", target,
                derive(s72, "todclock-version",
                       lambda b: raise_version(b, "todclock")), "7.2", m72)
        if target in ("ppc64-pseries", "x86_64-q35"):
            row(target + ":cut-before-eof", target,
                derive(s72, "cut-before-eof", lambda b: b[:e]), "7.2", m72)
        if target == "x86_64-q35":
            b10 = open(os.path.join(data, s100), "rb").read()
            e10 = end_marker(b10)
            row(target + ":10.0-cut-before-eof", target,
                derive(s100, "cut-before-eof", lambda b: b[:e10]),
                "10.0", m100)
            row(target + ":10.0-cut-head", target,
                derive(s100, "cut-head", lambda b: b[:4096]), "10.0", m100)

    with open(os.path.join(OUT, "table.tsv"), "w") as f:
        f.write("# id\ttarget\tstream\tdest_dump\tdest_qemu\tdest_machine"
                "\tqemu_verdict\tqemu_message\treference\n")
        f.write("# made by tests/verify/make-table.py with real QEMU "
                "loads (-incoming \"exec:cat F\")\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    tarpath = os.path.join(OUT, "data.tar.xz")
    subprocess.run(["tar", "-C", data, "--sort=name", "--owner=0",
                    "--group=0", "--mtime=@0", "-cf", tmp + "/data.tar",
                    "."], check=True)
    subprocess.run(["xz", "-9e", "--lzma2=preset=9e,dict=256MiB", "-T1",
                    "-f", tmp + "/data.tar"], check=True)
    shutil.move(tmp + "/data.tar.xz", tarpath)
    shutil.rmtree(tmp)
    n = len(rows)
    ref = sum(1 for r in rows if r[6] == "refuses")
    print("make-table: %d rows, %d refused by QEMU; %s (%d bytes)" %
          (n, ref, tarpath, os.path.getsize(tarpath)))


if __name__ == "__main__":
    main()
