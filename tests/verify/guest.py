#!/usr/bin/env python3
"""guest.py: verify on a stream saved live from a booted Linux guest,
judged by real QEMU loads at test time.

The guest is tests/guest/linux-guest.sh's (Debian's linux-image-amd64 and
a busybox initramfs, under TCG on pc-q35-7.2, 128 MiB): once it says
VMSTATE-GUEST-READY it pings through virtio-net, writes and reads its
virtio-blk disk and spins a CPU, and is migrated live (migrate -d, no
stop), so queues, timers and the CPU (long mode) hold real state. The
stream (~75 MB) is made here, not committed. Rows, each verify's exit
status against the destination QEMU's verdict (exit 0 <=> it loads):
  - QEMU 7.2 (pc-q35-7.2), with 7.2's dump;
  - QEMU 10.0 started with -M pc-q35-7.2, with its dump (forward);
  - the stream with virtio-net's section version raised, into 7.2;
  - the stream with virtio-blk's section renamed, into 7.2.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(src, "tests", "integration"))
import tap  # noqa: E402

spec = importlib.util.spec_from_file_location(
    "make_table", os.path.join(here, "make-table.py"))
mt = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mt)

V = os.environ.get("VMSTATE")
if os.environ.get("VMS_QEMU_TESTS", "1") != "1":
    print("1..0 # SKIP QEMU tests disabled")
    sys.exit(0)
if not V or not shutil.which("qemu-system-x86_64"):
    print("1..0 # SKIP no VMSTATE or no qemu-system-x86_64")
    sys.exit(0)
g = subprocess.run(["bash", os.path.join(src, "tests", "guest",
                                         "linux-guest.sh")],
                   capture_output=True, text=True)
if g.returncode:
    print("1..0 # SKIP no Linux guest: %s" %
          (g.stderr.strip().splitlines() or ["?"])[-1])
    sys.exit(0)
paths = dict(l.split("=", 1) for l in g.stdout.split())
K, I = paths["KERNEL"], paths["INITRD"]

tmp = tempfile.mkdtemp(prefix="vms-guest.")
disk = os.path.join(tmp, "disk.img")
with open(disk, "wb") as f:
    f.truncate(4 << 20)
M = "pc-q35-7.2"
ARGS = ["-M", M, "-m", "128", "-kernel", K, "-initrd", I,
        "-append", "console=ttyS0 panic=-1 quiet",
        "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0",
        "-drive", "if=none,id=d0,file=%s,format=raw" % disk,
        "-device", "virtio-blk-pci,drive=d0"]
Q10 = mt.qemu("10.0", "x86_64")

# Boot, wait for the guest's word, migrate live.
serial = os.path.join(tmp, "serial")
mig = os.path.join(tmp, "live.mig")
p, sock, log = mt.run_qemu(["qemu-system-x86_64"] + ARGS +
                           ["-serial", "file:" + serial], tmp, "src")
ready = False
try:
    h = mt.Hmp(sock, p)
    for _ in range(1800):
        if os.path.exists(serial) and \
                b"VMSTATE-GUEST-READY" in open(serial, "rb").read():
            ready = True
            break
        time.sleep(0.1)
    word = open(serial, "rb").read().decode(errors="replace") \
        if os.path.exists(serial) else ""
    if ready:
        time.sleep(2)   # let the loops run
        h.cmd('migrate -d "exec:cat > %s"' % mig)
        _, o = mt.wait_migration(h, 1200, 0.1)
        syncs = re.search(r"dirty sync count: (\d+)", o)
    h.quit()
finally:
    mt.finish(p)
tap.result(ready and "VMSTATE-GUEST-READY vda eth0" in word,
           "the guest booted with its virtio-blk disk and virtio-net link "
           "busy", word[-300:])
if not ready or not os.path.exists(mig):
    tap.done()
tap.result(syncs is not None and int(syncs.group(1)) >= 2,
           "the migration was live (dirty sync count %s)" %
           (syncs.group(1) if syncs else "?"))

# The CPU holds real state: long mode (EFER.LMA), paging on (CR0.PG).
a = subprocess.run([V, "analyze", mig], capture_output=True, text=True)
efer = re.search(r'"env.efer": "0x([0-9a-f]+)"', a.stdout)
cr0 = re.search(r'"env.cr\[0\]": "0x([0-9a-f]+)"', a.stdout) or \
    re.search(r'"env.cr": \[\s*"0x([0-9a-f]+)"', a.stdout)
tap.result(a.returncode == 0 and efer and int(efer.group(1), 16) & 0x400 and
           cr0 and int(cr0.group(1), 16) & 0x80000000,
           "analyze: the CPU is in long mode with paging (efer 0x%s, cr0 "
           "0x%s)" % (efer and efer.group(1), cr0 and cr0.group(1)),
           a.stderr)

dumps = {}


def dump(binary, name):
    path = os.path.join(tmp, name + ".json")
    subprocess.run([binary, "-M", M, "-nodefaults", "-display", "none",
                    "-dump-vmstate", path], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return path if os.path.exists(path) and os.path.getsize(path) else None


def row(what, stream, binary, dname):
    d = dump(binary, dname)
    if not d:
        tap.result(True, "%s: # SKIP no -dump-vmstate from %s" %
                   (what, binary))
        return
    # the destination has the same devices: the serial port too
    loaded, msg = mt.load_args([binary] + ARGS + ["-serial", "null"],
                               stream, tmp)
    v = subprocess.run([V, "verify", stream, "--dest", d],
                       capture_output=True, text=True)
    tap.result((v.returncode == 0) == loaded,
               "%s: QEMU %s, verify exit %d" %
               (what, "loads" if loaded else "refuses", v.returncode),
               "QEMU: %s\nverify: %s" % (msg, v.stdout + v.stderr))


row("live stream into QEMU 7.2", mig, "qemu-system-x86_64", "d72")
if os.path.exists(Q10):
    row("live stream into QEMU 10.0 -M pc-q35-7.2", mig, Q10, "d10")
else:
    tap.result(True, "QEMU 10.0: # SKIP %s missing (scripts/setup.sh)" % Q10)

b = open(mig, "rb").read()
for what, fn in (("virtio-net's version raised",
                  lambda b: mt.raise_version(b, "0000:00:01.0/virtio-net")),
                 ("virtio-blk's section renamed",
                  lambda b: mt.rename(b, "0000:00:02.0/virtio-blk",
                                      "0000:00:02.0/virtio-blX"))):
    path = os.path.join(tmp, "damaged.mig")
    open(path, "wb").write(fn(b))
    row(what + ", into QEMU 7.2", path, "qemu-system-x86_64", "d72")
shutil.rmtree(tmp)
tap.done()
