#!/usr/bin/env bash
# vmstate core against QEMU's dump-guest-memory of the same paused VM, for
# the RAM encodings and guests core-qemu.sh does not cover:
#   - compressed pages (QEMU 7.2, compress capability);
#   - XBZRLE deltas (a guest that keeps dirtying pages while it migrates;
#     the dump is taken once the migration completed, the VM stopped);
#   - mapped-ram (QEMU 10.0, file: migration), dumped by QEMU 10.0;
#   - PCI devices with option ROMs (e1000, virtio-net-pci), which QEMU
#     leaves out while their ROM BAR is disabled;
#   - a Linux guest (Debian's kernel, tests/guest/linux-guest.sh) in long
#     mode on q35 with 2 CPUs: x86_64 NT_PRSTATUS layout, EM_X86_64; gdb
#     reads rip.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
CMP=$(dirname "$0")/core-compare.py
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# against NAME: our core of $tmp/NAME.mig equals QEMU's $tmp/NAME.qemu.elf
against() {
    local name=$1 what=$2
    if [ ! -s "$tmp/$name.mig" ] || [ ! -s "$tmp/$name.qemu.elf" ]; then
        not_ok "$what: QEMU wrote no stream or core"
        sed 's/^/# /' "$tmp/$name.hmp.log" "$tmp/$name.qemu.log" 2>/dev/null | tail -5
        return
    fi
    if "$V" core "$tmp/$name.mig" -o "$tmp/$name.elf" 2>"$tmp/$name.err"; then
        check "$what: our core is QEMU's" python3 "$CMP" "$tmp/$name.qemu.elf" "$tmp/$name.elf"
    else
        not_ok "$what: vmstate core failed"
        sed 's/^/# /' "$tmp/$name.err"
    fi
}
DUMPAFTER() { echo "$2;migrate \"exec:cat > $tmp/$1.mig\";WAITMIG;dump-guest-memory $tmp/$1.qemu.elf;quit"; }

mkstream compress "$(DUMPAFTER compress "migrate_set_capability compress on;migrate_set_parameter compress-threads 2;stop")" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 128 $LOADER
against compress "compressed pages"

if build_dirty_guest; then
    mkstream xbzrle "migrate_set_capability xbzrle on;migrate_set_parameter xbzrle-cache-size 64M;migrate_set_parameter max-bandwidth 4M;migrate_set_parameter downtime-limit 1;migrate -d \"exec:cat > $tmp/xbzrle.mig\";SLEEP:2.5;migrate_set_parameter downtime-limit 2000;migrate_set_parameter max-bandwidth 4G;WAITMIG;dump-guest-memory $tmp/xbzrle.qemu.elf;quit" \
        qemu-system-x86_64 -M pc-i440fx-7.2 -m 128 -kernel "$tmp/dirty.elf" $LOADER
    grep -A3 -i "^xbzrle" "$tmp/xbzrle.hmp.log" | grep -i "pages" | head -1 | sed 's/^/# XBZRLE /'
    check "the stream has XBZRLE pages" \
        sh -c "grep -A4 -i '^xbzrle' '$tmp/xbzrle.hmp.log' | grep -iq 'pages: [1-9]'"
    against xbzrle "XBZRLE"
else
    not_ok "XBZRLE guest: gcc -m32 / ld cannot build it here"
fi

Q10=/var/cache/vmstate-qemu/10.0/bin/qemu-system-x86_64
if [ -x "$Q10" ]; then
    mkstream mapped "migrate_set_capability mapped-ram on;stop;migrate file:$tmp/mapped.mig;WAITMIG;dump-guest-memory $tmp/mapped.qemu.elf;quit" \
        "$Q10" -M pc-i440fx-10.0 -m 128 $LOADER
    against mapped "mapped-ram (QEMU 10.0)"
else
    echo "# QEMU 10.0 missing (scripts/qemu-versions.sh): mapped-ram not tested"
fi

mkstream roms "$(DUMPAFTER roms stop)" qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 \
    -netdev user,id=n0 -device e1000,netdev=n0 -device virtio-net-pci,netdev=n1 \
    -netdev user,id=n1
check "the stream holds the option ROM blocks" \
    sh -c "'$V' analyze -d desc '$tmp/roms.mig' >/dev/null && grep -aq 'e1000.rom' '$tmp/roms.mig' && grep -aq 'virtio-net-pci.rom' '$tmp/roms.mig'"
against roms "e1000 + virtio-net-pci (ROM BARs disabled)"

# The same VM in libvirt save images (libvirt's qemu_saveimage.c layout:
# 92-byte header, domain XML, padding, then the stream, raw or through
# "gzip -c"), opened through the input layer as every command opens input.
for c in 0:raw 1:gzip; do
    id=${c%%:*} kind=${c#*:}
    python3 "$VMS_SRCDIR/tests/integration/libvirt-image.py" "$tmp/roms.mig" "$tmp/roms.$kind.save" "$id"
    if "$V" core "$tmp/roms.$kind.save" -o "$tmp/roms.$kind.elf" 2>"$tmp/err"; then
        check "libvirt save image ($kind): our core is QEMU's" \
            python3 "$CMP" "$tmp/roms.qemu.elf" "$tmp/roms.$kind.elf"
    else
        not_ok "libvirt save image ($kind): vmstate core failed"
        sed 's/^/# /' "$tmp/err"
    fi
done

# ---- a Linux guest in long mode --------------------------------------------
if guest=$(bash "$SRC/tests/guest/linux-guest.sh" 2>"$tmp/guest.err"); then
    eval "$guest"
    sock=$tmp/linux.sock
    qemu-system-x86_64 $BASE -M pc-q35-7.2 -smp 2 -m 128 -kernel "$KERNEL" \
        -initrd "$INITRD" -append "console=ttyS0 panic=-1 quiet" \
        -serial "file:$tmp/linux.serial" -netdev user,id=n0 \
        -device virtio-net-pci,netdev=n0 \
        -monitor "unix:$sock,server=on,wait=off" >"$tmp/linux.qemu.log" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 240); do
        grep -q VMSTATE-GUEST-READY "$tmp/linux.serial" 2>/dev/null && break
        sleep 0.5
    done
    check "Linux booted (VMSTATE-GUEST-READY)" grep -q VMSTATE-GUEST-READY "$tmp/linux.serial"
    timeout 120 python3 "$HMP" "$sock" stop "dump-guest-memory $tmp/linux.qemu.elf" \
        "migrate \"exec:cat > $tmp/linux.mig\"" WAITMIG quit >"$tmp/linux.hmp.log" 2>&1
    against linux "Linux, long mode, 2 CPUs"
    same "EM_X86_64 (the first CPU is in long mode)" "Advanced Micro Devices X86-64" \
        "$(readelf -h "$tmp/linux.elf" 2>/dev/null | sed -n 's/^ *Machine: *//p')"
    same "x86_64 NT_PRSTATUS (336 bytes) and QEMU notes, 2 CPUs" \
        "0x00000150 0x00000150 0x000001b8 0x000001b8" \
        "$(readelf -n "$tmp/linux.elf" 2>/dev/null | awk '$1 == "CORE" || $1 == "QEMU" {print $2}' | tr '\n' ' ' | sed 's/ $//')"
    if command -v gdb >/dev/null; then
        # x86_64 elf_prstatus: pr_reg at 112, rip its 17th word
        rip=$(python3 "$VMS_SRCDIR/tests/integration/elf-note-word.py" \
            "$tmp/linux.elf" $((112 + 16 * 8)) 8)
        gdb -batch -c "$tmp/linux.elf" -ex 'info registers rip' >"$tmp/gdb.out" 2>&1
        sed 's/^/# /' "$tmp/gdb.out" | tail -1
        check "gdb: rip is the note's ($rip)" grep -q "^rip *$rip " "$tmp/gdb.out"
    fi
else
    not_ok "the Linux guest could not be built"
    sed 's/^/# /' "$tmp/guest.err" | tail -3
fi
done_testing
