#!/usr/bin/env bash
# Streams made now by Debian's QEMU 7.2 (see ../shared/testdata/README.md),
# decoded by vmstate analyze and converted by vmstate convert: every
# machine and capability we claim, exit 0 with valid JSON, wire -> BER /
# JSON -> wire byte-identical, and a RAM oracle: a random blob loaded into
# guest RAM comes back byte for byte from -x, for plain, compress and
# XBZRLE streams.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/convert-lib.sh"
set -u
[ "${VMS_QEMU_TESTS:-1}" = 1 ] || skip_all "QEMU tests disabled"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 missing"
HMP=${VMS_SHARED:-}/testdata/streams/hmp.py
[ -f "$HMP" ] || skip_all "no hmp.py in shared test data (set VMS_SHARED)"
V=$VMSTATE
tmp=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
head -c 1048576 /dev/urandom >"$tmp/blob"
BASE="-accel tcg -nodefaults -display none"

# mkstream NAME SETUP_CMDS QEMU ARGS...: run the guest briefly, migrate to
# $tmp/NAME.mig with the HMP commands in SETUP_CMDS (";"-separated) first.
mkstream() {
    local name=$1 setup=$2 bin=$3
    shift 3
    local sock=$tmp/$name.sock
    "$bin" $BASE -monitor "unix:$sock,server=on,wait=off" "$@" \
        >"$tmp/$name.qemu.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    local cmds=()
    IFS=';' read -r -a cmds <<<"$setup"
    timeout 120 python3 "$HMP" "$sock" SLEEP:1.5 "${cmds[@]}" \
        >"$tmp/$name.hmp.log" 2>&1
    wait "$pid" 2>/dev/null
    [ -s "$tmp/$name.mig" ]
}
MIG() { echo "stop;migrate \"exec:cat > $tmp/$1.mig\";WAITMIG;quit"; }

# decodes NAME: -d state exits 0 with valid JSON, and -x works; vmstate
# convert takes it to BER and JSON and back byte for byte.
decodes() {
    local name=$1
    if ! [ -s "$tmp/$name.mig" ]; then
        not_ok "$name: QEMU made a stream"
        sed 's/^/# /' "$tmp/$name.qemu.log" "$tmp/$name.hmp.log" | tail -5
        return
    fi
    if "$V" analyze "$tmp/$name.mig" >"$tmp/$name.json" 2>"$tmp/err" &&
       python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
           "$tmp/$name.json"; then
        ok "$name: decodes with exit 0"
    else
        not_ok "$name: decodes with exit 0"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
    rm -rf "$tmp/$name.x" && mkdir "$tmp/$name.x"
    if "$V" analyze -x -C "$tmp/$name.x" "$tmp/$name.mig" >/dev/null \
           2>"$tmp/err"; then
        ok "$name: -x exits 0"
    else
        not_ok "$name: -x exits 0"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
    converts "$name" "$tmp/$name.mig"
}

# memory NAME: -m exits 0 with valid JSON holding a memory object.
memory() {
    local name=$1
    if "$V" analyze -m "$tmp/$name.mig" >"$tmp/$name.m.json" 2>"$tmp/err" &&
       python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any("memory" in v for v in d.values() if isinstance(v, dict))' "$tmp/$name.m.json"; then
        ok "$name: -m exits 0 with the pages"
    else
        not_ok "$name: -m exits 0 with the pages"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
    rm -f "$tmp/$name.m.json"
}

# oracle NAME: the blob is at 256 MiB of pc.ram.
oracle() {
    local name=$1
    if dd if="$tmp/$name.x/pc.ram" bs=1M skip=256 count=1 2>/dev/null |
       cmp -s - "$tmp/blob"; then
        ok "$name: extracted RAM holds the loaded blob byte for byte"
    else
        not_ok "$name: extracted RAM holds the loaded blob byte for byte"
    fi
}

LOADER="-device loader,file=$tmp/blob,addr=0x10000000,force-raw=on"

mkstream pc "$(MIG pc)" qemu-system-x86_64 -M pc-i440fx-7.2 -m 512 $LOADER \
    -netdev user,id=n0 -device e1000,netdev=n0 -device virtio-net-pci \
    -device usb-ehci,id=ehci -device usb-tablet,bus=ehci.0 \
    -chardev null,id=s0 -device isa-serial,chardev=s0 -device ahci,id=ahci0
decodes pc
oracle pc
memory pc
check "pc: the e1000 section is decoded" grep -q 'e1000' "$tmp/pc.json"

mkstream compress "migrate_set_capability compress on;migrate_set_parameter compress-threads 2;$(MIG compress)" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 512 $LOADER
decodes compress
oracle compress

qemu-img create -f qcow2 "$tmp/disk.qcow2" 16M >/dev/null 2>&1
mkstream q35 "$(MIG q35)" qemu-system-x86_64 -M q35 -m 128 \
    -drive "file=$tmp/disk.qcow2,if=none,id=d0" -device virtio-blk-pci,drive=d0 \
    -device qxl-vga
decodes q35

# Block migration (migrate -b) of a small IDE disk.
mkstream blk "stop;migrate -b \"exec:cat > $tmp/blk.mig\";WAITMIG;quit" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 \
    -drive "file=$tmp/disk.qcow2,if=ide"
decodes blk
check "blk: the block section is decoded" grep -q '"block (' "$tmp/blk.json"

mkstream old "$(MIG old)" qemu-system-x86_64 -M pc-i440fx-2.0 -m 64
converts old "$tmp/old.mig"
# The same machine with its description turned back on gives the --desc.
mkstream olddesc "$(MIG olddesc)" qemu-system-x86_64 \
    -M pc-i440fx-2.0,suppress-vmdesc=off -m 64
if "$V" analyze "$tmp/old.mig" >/dev/null 2>"$tmp/err"; then
    not_ok "old machine: refused without --desc"
else
    check "old machine: refused without --desc, naming it" grep -q -- --desc "$tmp/err"
fi
"$V" analyze -d desc "$tmp/olddesc.mig" >"$tmp/old.desc.json" 2>/dev/null
if "$V" analyze --desc "$tmp/old.desc.json" "$tmp/old.mig" \
        >"$tmp/old.json" 2>"$tmp/err" &&
   grep -q '/piix4_pm (' "$tmp/old.json"; then
    ok "old machine: decodes with --desc"
else
    not_ok "old machine: decodes with --desc"
    sed 's/^/# /' "$tmp/err" | head -5
fi

if [ -d /dev/shm ]; then
    mkstream shared "migrate_set_capability x-ignore-shared on;$(MIG shared)" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 \
        -object memory-backend-file,id=mem,size=64M,mem-path=/dev/shm/vms-test-$$,share=on \
        -machine memory-backend=mem
    rm -f /dev/shm/vms-test-$$
    decodes shared
fi

if command -v qemu-system-aarch64 >/dev/null; then
    mkstream aarch64 "$(MIG aarch64)" qemu-system-aarch64 -M virt-7.2 \
        -cpu cortex-a57 -m 64
    decodes aarch64
fi
if command -v qemu-system-ppc64 >/dev/null; then
    mkstream ppc64 "$(MIG ppc64)" qemu-system-ppc64 -M pseries-7.2 -m 256
    decodes ppc64
    memory ppc64
    check "ppc64: spapr/htab section is decoded" \
        grep -q '"spapr/htab (' "$tmp/ppc64.json"
fi
if command -v qemu-system-s390x >/dev/null; then
    mkstream s390x "$(MIG s390x)" qemu-system-s390x -M s390-ccw-virtio-7.2 \
        -m 64 -action panic=pause
    decodes s390x
fi

# XBZRLE: a guest that keeps dirtying two words per page of 16..18 MiB.
K=$VMS_SHARED/testdata/streams/xbzrle-dirty-kernel
if gcc -m32 -c "$K.S" -o "$tmp/k.o" 2>/dev/null &&
   ld -m elf_i386 -T "$K.ld" -o "$tmp/dirty.elf" "$tmp/k.o" 2>/dev/null; then
    mkstream xbzrle "migrate_set_capability xbzrle on;migrate_set_parameter xbzrle-cache-size 64M;migrate_set_parameter max-bandwidth 4M;migrate_set_parameter downtime-limit 1;migrate -d \"exec:cat > $tmp/xbzrle.mig\";SLEEP:2.5;migrate_set_parameter downtime-limit 2000;migrate_set_parameter max-bandwidth 4G;WAITMIG;quit" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 512 -kernel "$tmp/dirty.elf" $LOADER
    decodes xbzrle
    oracle xbzrle
    n=$(od -A d -t x1 "$tmp/xbzrle.mig" 2>/dev/null | grep -c . || true)
    check "xbzrle: the stream has XBZRLE pages" test "$n" -gt 0
    check "xbzrle: every dirtied page is consistent after the deltas" \
        python3 - "$tmp/xbzrle.x/pc.ram" <<'PY'
import struct, sys
f = open(sys.argv[1], "rb")
f.seek(0x1000000)
data = f.read(0x200000)
vals = []
for p in range(0, len(data), 4096):
    a, = struct.unpack_from("<I", data, p)
    b, = struct.unpack_from("<I", data, p + 8)
    assert a == b, "page 0x%x: %x != %x" % (p, a, b)
    assert data[p + 4:p + 8] == bytes(4) and not any(data[p + 12:p + 4096])
    vals.append(a)
assert max(vals) - min(vals) <= 1, (min(vals), max(vals))
assert max(vals) > 0
PY
else
    ok "xbzrle: # SKIP gcc -m32 cannot build the guest"
fi
done_testing
