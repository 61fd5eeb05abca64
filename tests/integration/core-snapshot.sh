#!/usr/bin/env bash
# vmstate core of a qcow2 image's internal snapshot (savevm), read through
# the input layer (--snapshot), equals QEMU 7.2's dump-guest-memory of the
# same paused VM.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
CMP=$(dirname "$0")/core-compare.py
qemu-img create -f qcow2 "$tmp/d.qcow2" 64M >/dev/null 2>&1 ||
    skip_all "qemu-img cannot make a qcow2 image"
mkstream snap "stop;savevm s1;dump-guest-memory $tmp/snap.qemu.elf;quit" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 -drive "file=$tmp/d.qcow2,if=ide" \
    -device loader,file="$tmp/blob",addr=0x800000,force-raw=on
check "QEMU saved snapshot s1 and wrote its core" test -s "$tmp/snap.qemu.elf"
check "vmstate core --snapshot s1 of the qcow2 image" \
    "$V" core --snapshot s1 "$tmp/d.qcow2" -o "$tmp/snap.elf"
check "our core is QEMU's" python3 "$CMP" "$tmp/snap.qemu.elf" "$tmp/snap.elf"
done_testing
