#!/usr/bin/env python3
"""The engine against real QEMU 7.2 (TAP).

1. vmdesc fidelity: each example device's vmdesc entry, as `vmstate demo`
   writes it, equals the entry QEMU writes for the same device in a stream
   this test makes with qemu-system-x86_64 -M pc-i440fx-7.2.
2. dump fidelity: each example device's -dump-vmstate entry equals QEMU's,
   byte for byte (QEMU's dump made here; ../shared's copy too if present).
3. QEMU loads the engine's stream (-incoming "exec:cat F"), and the
   monitor shows the values written: info pic, xp on RAM.
4. QEMU refuses the release-2 stream, naming the newer i8254.
Everything SKIPs visibly when QEMU is absent.
"""
import collections
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

VMSTATE = os.environ.get("VMSTATE", "vmstate")
SHARED = os.environ.get("VMS_SHARED", "")
QEMU = shutil.which("qemu-system-x86_64")
MACHINE = "pc-i440fx-7.2"
# (idstr, instance) of the example devices, and their dump keys
SECTIONS = [("i8259", 0), ("i8259", 1), ("mc146818rtc", 0), ("i8254", 0),
            ("0000:00:01.0/PIIX3", 0), ("0000:00:02.0/e1000", 0),
            ("serial", 0)]
DUMP_KEYS = ["isa-i8259", "mc146818rtc", "isa-pit", "PIIX3", "e1000",
             "isa-serial"]
DEVICES = ["-netdev", "user,id=n0", "-device", "e1000,netdev=n0",
           "-chardev", "null,id=s0", "-device", "isa-serial,chardev=s0"]

n = 0
failed = 0


def ok(cond, name, detail=""):
    global n, failed
    n += 1
    if cond:
        print("ok %d - %s" % (n, name))
    else:
        failed += 1
        print("not ok %d - %s" % (n, name))
        for line in str(detail).splitlines()[:40]:
            print("# " + line)


def skip(name, why):
    global n
    n += 1
    print("ok %d - %s # SKIP %s" % (n, name, why))


class Monitor:
    """A human monitor on a unix socket: send a command, read to the prompt."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        for _ in range(200):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("no monitor at " + path)
        self.read()

    def read(self):
        buf = b""
        self.s.settimeout(30)
        while not buf.endswith(b"(qemu) "):
            d = self.s.recv(65536)
            if not d:
                break
            buf += d
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "",
                      buf.decode(errors="replace"))

    def cmd(self, c):
        self.s.sendall(c.encode() + b"\n")
        out = self.read()
        # drop the echoed command line and the prompt
        out = out.split("\r\n", 1)[-1] if "\r\n" in out else out
        return out.replace("(qemu) ", "").replace("\r", "")


def qemu(tmp, extra, name):
    sock = os.path.join(tmp, name + ".sock")
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([QEMU, "-M", MACHINE, "-m", "64", "-accel", "tcg",
                          "-nodefaults", "-display", "none", "-monitor",
                          "unix:%s,server=on,wait=off" % sock] + DEVICES +
                         extra, stdout=log, stderr=subprocess.STDOUT)
    return p, sock


def finish(p):
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def vmdesc(path):
    """The vmdesc JSON after EOF: 0x06, be32 length, the text."""
    b = open(path, "rb").read()
    i = b.rfind(b'{"page_size"')
    if i < 5 or b[i - 5] != 0x06:
        raise ValueError("%s: no vmdesc record" % path)
    length = int.from_bytes(b[i - 4:i], "big")
    if i + length != len(b):
        raise ValueError("%s: vmdesc length %d, %d bytes left"
                         % (path, length, len(b) - i))
    return b[i:].decode()


def device_entries(text):
    """(name, instance_id) -> the entry's exact text in the one-line JSON."""
    d = json.loads(text)
    out = {}
    for dev in d["devices"]:
        # re-serialised with QEMU's separators: equal to the raw text
        out[(dev["name"], dev["instance_id"])] = json.dumps(dev)
    return out


def dump_entries(path):
    """key -> text of its top-level entry, as QEMU lays it out."""
    out, cur = {}, None
    for line in open(path).read().split("\n"):
        m = re.match(r'^  "([^"]+)": \{$', line)
        if m:
            cur = m.group(1)
            out[cur] = [line]
            continue
        if cur is not None:
            out[cur].append(line.rstrip(","))
            if line.startswith("  }"):
                cur = None
    return {k: "\n".join(v) for k, v in out.items()}


def run(args):
    return subprocess.run([VMSTATE] + args, capture_output=True, text=True)


def main():
    tests = 1 + len(SECTIONS) + 2 * len(DUMP_KEYS) + 1 + 2 + 4 + 1
    print("1..%d" % tests)
    if not QEMU or os.environ.get("VMS_QEMU_TESTS", "1") != "1":
        for i in range(tests):
            skip("QEMU integration %d" % (i + 1),
                 "qemu-system-x86_64 not available")
        return 0
    tmp = tempfile.mkdtemp(prefix="vms-engine-")
    try:
        return body(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def body(tmp):
    # --- a real QEMU 7.2 stream of the same devices
    qstream = os.path.join(tmp, "qemu.mig")
    p, sock = qemu(tmp, [], "src")
    m = Monitor(sock)
    time.sleep(1.5)
    m.cmd("stop")
    m.cmd('migrate "exec:cat > %s"' % qstream)
    for _ in range(300):
        if "completed" in m.cmd("info migrate"):
            break
        time.sleep(0.1)
    m.cmd("quit")
    finish(p)
    try:
        qdesc = device_entries(vmdesc(qstream))
        ok(True, "QEMU 7.2 wrote a stream with a vmdesc")
    except (OSError, ValueError) as e:
        ok(False, "QEMU 7.2 wrote a stream with a vmdesc", e)
        qdesc = {}

    # --- the engine's stream and dump, release 1
    estream = os.path.join(tmp, "engine.mig")
    edump = os.path.join(tmp, "engine.json")
    r = run(["demo", "--version", "1", "--ram", "64", "--stream", estream,
             "--dump", edump])
    if r.returncode:
        print("# demo failed: " + r.stderr)
    eraw = vmdesc(estream) if r.returncode == 0 else ""
    edesc = device_entries(eraw) if eraw else {}
    for key in SECTIONS:
        q, e = qdesc.get(key), edesc.get(key)
        # equal content, and QEMU's one-line layout in the raw bytes
        ok(q is not None and q == e and e in eraw,
           "vmdesc entry of %s instance %d equals QEMU's" % key,
           "qemu:   %s\nengine: %s" % (q, e))

    # --- -dump-vmstate: QEMU's own, now, and the shared copy
    qdump = os.path.join(tmp, "qemu-dump.json")
    subprocess.run([QEMU, "-M", MACHINE, "-dump-vmstate", qdump],
                   capture_output=True)
    qd = dump_entries(qdump) if os.path.exists(qdump) else {}
    ed = dump_entries(edump) if os.path.exists(edump) else {}
    shared = os.path.join(SHARED, "testdata", "checker",
                          "qemu7.2-x86_64-pc-i440fx-7.2.json")
    sd = dump_entries(shared) if os.path.exists(shared) else None
    for key in DUMP_KEYS:
        ok(key in qd and qd[key] == ed.get(key),
           "dump entry %s equals QEMU's -dump-vmstate" % key,
           "qemu:\n%s\nengine:\n%s" % (qd.get(key), ed.get(key)))
        if sd is None:
            skip("dump entry %s equals ../shared's" % key,
                 "../shared is absent")
        else:
            ok(sd.get(key) == ed.get(key),
               "dump entry %s equals ../shared's" % key)
    ok(ed.get("vmschkmachine") == qd.get("vmschkmachine"),
       "vmschkmachine equals QEMU's")

    # --- vmstate check: QEMU's dump restricted to the engine's sections
    if not (os.path.exists(qdump) and os.path.exists(edump)):
        ok(False, "vmstate check engine -> QEMU reports nothing", "no dumps")
        ok(False, "vmstate check QEMU -> engine reports nothing", "no dumps")
    else:
        with open(qdump) as f:
            full = json.load(f, object_pairs_hook=collections.OrderedDict)
        with open(edump) as f:
            keys = list(json.load(f, object_pairs_hook=collections.OrderedDict))
        cut = os.path.join(tmp, "qemu-cut.json")
        with open(cut, "w") as f:
            json.dump(collections.OrderedDict(
                (k, full[k]) for k in keys if k in full), f, indent=2)
        for a, b, what in ((edump, cut, "engine -> QEMU"),
                           (cut, edump, "QEMU -> engine")):
            r = subprocess.run([VMSTATE, "check", "-s", a, "-d", b],
                               capture_output=True, text=True)
            ok(r.returncode == 0 and r.stdout == "",
               "vmstate check %s reports nothing" % what,
               "rc %d:\n%s%s" % (r.returncode, r.stdout, r.stderr))

    # --- QEMU loads the engine's stream
    p, sock = qemu(tmp, ["-S", "-incoming", "exec:cat %s" % estream], "dst")
    m = Monitor(sock)
    for _ in range(300):
        st = m.cmd("info migrate")
        if "completed" in st or "failed" in st or p.poll() is not None:
            break
        time.sleep(0.1)
    pic = m.cmd("info pic") if p.poll() is None else ""
    words = m.cmd("xp /4wx 0x100000") if p.poll() is None else ""
    text = m.cmd("xp /16bx 0x2000") if p.poll() is None else ""
    if p.poll() is None:
        m.cmd("quit")
    finish(p)
    log = open(os.path.join(tmp, "dst.log")).read()
    ok("Migration status: completed" in st,
       "QEMU 7.2 loads the engine's stream", st + log)
    ok("pic0: irr=00 imr=b8 isr=00 hprio=0 irq_base=08 rr_sel=0 elcr=00 "
       "fnm=0" in pic, "info pic shows i8259 instance 0 as written", pic)
    ok("pic1: irr=00 imr=8f isr=00 hprio=3 irq_base=70 rr_sel=1 elcr=0c "
       "fnm=1" in pic, "info pic shows i8259 instance 1 as written", pic)
    want = "0x76730000 0x76730001 0x76730002 0x76730003"
    hello = " ".join("0x%02x" % c for c in b"libvmstate demo\0")
    ok(want in " ".join(words.split()) and
       hello.split()[:8] == re.findall(r"0x[0-9a-f]{2}\b", text)[:8],
       "xp shows the RAM the engine wrote", words + text)

    # --- release 2 carries i8254 version 4: QEMU 7.2 must refuse it
    e2 = os.path.join(tmp, "engine2.mig")
    run(["demo", "--version", "2", "--stream", e2])
    try:
        r = subprocess.run([QEMU, "-M", MACHINE, "-m", "64", "-accel", "tcg",
                            "-nodefaults", "-display", "none", "-S"] +
                           DEVICES + ["-incoming", "exec:cat %s" % e2,
                                      "-monitor", "none"],
                           capture_output=True, text=True, timeout=30)
        code, err = r.returncode, r.stderr
    except subprocess.TimeoutExpired:
        code, err = 0, "QEMU kept running: it loaded the stream"
    ok(code != 0 and "i8254" in err,
       "QEMU 7.2 refuses release 2's newer i8254", err)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
