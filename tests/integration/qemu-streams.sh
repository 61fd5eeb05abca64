#!/usr/bin/env bash
# Real streams made at test time by Debian's QEMU 7.2 (see
# ../shared/testdata/README.md), for every test that needs them: source
# this after tap.sh. It skips the whole test visibly when QEMU or hmp.py is
# missing, makes $tmp (removed at exit with any guest left running) and
# defines mkstream and one stream_NAME function per kind of stream, each
# leaving $tmp/NAME.mig (and returning non-zero when QEMU made none). The
# caller checks that the QEMU binary (or /dev/shm) a stream needs exists.
[ "${VMS_QEMU_TESTS:-1}" = 1 ] || skip_all "QEMU tests disabled"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 missing"
HMP=${VMS_SHARED:-}/testdata/streams/hmp.py
[ -f "$HMP" ] || skip_all "no hmp.py in shared test data (set VMS_SHARED)"
V=$VMSTATE
scratch
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
# made NAME: true when QEMU made $tmp/NAME.mig; else not_ok, with the end
# of QEMU's and the monitor's logs.
made() {
    [ -s "$tmp/$1.mig" ] && return 0
    not_ok "$1: QEMU made a stream"
    sed 's/^/# /' "$tmp/$1.qemu.log" "$tmp/$1.hmp.log" | tail -5
    return 1
}
MIG() { echo "stop;migrate \"exec:cat > $tmp/$1.mig\";WAITMIG;quit"; }

LOADER="-device loader,file=$tmp/blob,addr=0x10000000,force-raw=on"

# The stream of each kind, as analyze-qemu.sh and pack-qemu.sh test them.
PC_DEVICES="-netdev user,id=n0 -device e1000,netdev=n0 -device virtio-net-pci
    -device usb-ehci,id=ehci -device usb-tablet,bus=ehci.0
    -chardev null,id=s0 -device isa-serial,chardev=s0 -device ahci,id=ahci0"
stream_pc() {
    mkstream pc "$(MIG pc)" qemu-system-x86_64 -M pc-i440fx-7.2 -m 512 \
        $LOADER $PC_DEVICES
}
stream_compress() {
    mkstream compress "migrate_set_capability compress on;migrate_set_parameter compress-threads 2;$(MIG compress)" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 512 $LOADER
}
stream_q35() {
    [ -f "$tmp/disk.qcow2" ] ||
        qemu-img create -f qcow2 "$tmp/disk.qcow2" 16M >/dev/null 2>&1
    mkstream q35 "$(MIG q35)" qemu-system-x86_64 -M q35 -m 128 \
        -drive "file=$tmp/disk.qcow2,if=none,id=d0" \
        -device virtio-blk-pci,drive=d0 -device qxl-vga
}
# Block migration (migrate -b) of a small IDE disk.
stream_blk() {
    [ -f "$tmp/disk.qcow2" ] ||
        qemu-img create -f qcow2 "$tmp/disk.qcow2" 16M >/dev/null 2>&1
    mkstream blk "stop;migrate -b \"exec:cat > $tmp/blk.mig\";WAITMIG;quit" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 \
        -drive "file=$tmp/disk.qcow2,if=ide"
}
stream_old() {
    mkstream old "$(MIG old)" qemu-system-x86_64 -M pc-i440fx-2.0 -m 64
}
# The same machine with its description turned back on.
stream_olddesc() {
    mkstream olddesc "$(MIG olddesc)" qemu-system-x86_64 \
        -M pc-i440fx-2.0,suppress-vmdesc=off -m 64
}
stream_shared() {
    mkstream shared "migrate_set_capability x-ignore-shared on;$(MIG shared)" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 \
        -object memory-backend-file,id=mem,size=64M,mem-path=/dev/shm/vms-test-$$,share=on \
        -machine memory-backend=mem
    local rc=$?
    rm -f /dev/shm/vms-test-$$
    return $rc
}
stream_aarch64() {
    mkstream aarch64 "$(MIG aarch64)" qemu-system-aarch64 -M virt-7.2 \
        -cpu cortex-a57 -m 64
}
stream_ppc64() {
    mkstream ppc64 "$(MIG ppc64)" qemu-system-ppc64 -M pseries-7.2 -m 256
}
stream_s390x() {
    mkstream s390x "$(MIG s390x)" qemu-system-s390x -M s390-ccw-virtio-7.2 \
        -m 64 -action panic=pause
}
# build_dirty_guest: $tmp/dirty.elf, a multiboot kernel that keeps writing
# a counter into the first and third word of every page of 16..18 MiB
# (testdata/streams/xbzrle-dirty-kernel.S). Fails without gcc -m32.
build_dirty_guest() {
    local k=$VMS_SHARED/testdata/streams/xbzrle-dirty-kernel
    [ -f "$tmp/dirty.elf" ] && return 0
    gcc -m32 -c "$k.S" -o "$tmp/k.o" 2>/dev/null &&
        ld -m elf_i386 -T "$k.ld" -o "$tmp/dirty.elf" "$tmp/k.o" 2>/dev/null
}

# loads NAME MIG QEMU ARGS...: QEMU, started paused (-S) with
# -incoming "exec:cat MIG" and ARGS, has loaded the stream 2 s later
# ("info status" answers; a failed load makes QEMU exit). Its messages
# are in $tmp/NAME.load.log.
loads() {
    local name=$1 mig=$2 bin=$3
    shift 3
    local sock=$tmp/$name.lsock
    "$bin" $BASE -S -monitor "unix:$sock,server=on,wait=off" \
        -incoming "exec:cat $mig" "$@" >"$tmp/$name.load.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 60 python3 "$HMP" "$sock" SLEEP:2 "info status" "info migrate" \
        quit >"$tmp/$name.load.hmp" 2>&1
    wait "$pid" 2>/dev/null
    ! grep -q "load of migration failed" "$tmp/$name.load.log" &&
        grep -q "VM status: paused" "$tmp/$name.load.hmp"
}

# XBZRLE: a guest that keeps dirtying two words per page of 16..18 MiB;
# returns 2 when the guest cannot be built here.
# stream_xbzrle [SECONDS]: the guest runs and dirties pages for SECONDS
# (2.5) of live migration at 4 MB/s, so that pages are resent as XBZRLE.
stream_xbzrle() {
    build_dirty_guest || return 2
    mkstream xbzrle "migrate_set_capability xbzrle on;migrate_set_parameter xbzrle-cache-size 64M;migrate_set_parameter max-bandwidth 4M;migrate_set_parameter downtime-limit 1;migrate -d \"exec:cat > $tmp/xbzrle.mig\";SLEEP:${1:-2.5};migrate_set_parameter downtime-limit 2000;migrate_set_parameter max-bandwidth 4G;WAITMIG;quit" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 512 -kernel "$tmp/dirty.elf" $LOADER
}
