#!/usr/bin/env bash
# linux-guest.sh: a small x86_64 Linux guest for tests that need real,
# busy device state (virtio queues in flight, timers armed, CPUs in long
# mode), built once and cached.
#
#   bash tests/guest/linux-guest.sh [CACHE_DIR]
#
# prints two lines, "KERNEL=PATH" and "INITRD=PATH". The kernel is Debian's
# linux-image-amd64 (apt-get download + dpkg -x; the installed one in
# /boot when the download fails); the initramfs is busybox-static plus the
# virtio modules (with their dependencies from modules.dep). Its /init
#   - loads virtio_pci, virtio_net, virtio_blk;
#   - brings eth0 up as 10.0.2.15 (QEMU's user network) and pings the
#     gateway 10.0.2.2 five times a second;
#   - writes and reads /dev/vda (the first virtio-blk disk) in a loop;
#   - runs a CPU-busy loop;
#   - prints "VMSTATE-GUEST-READY" on the console (ttyS0) once all run,
#     then idles in a shell loop (no getty: the console stays quiet).
# Kernel command line to use: "console=ttyS0 panic=-1 quiet" (add more as
# needed). Example (TCG, 128 MiB is enough):
#   qemu-system-x86_64 -M q35 -m 128 -nographic -kernel K -initrd I \
#     -append "console=ttyS0 panic=-1" \
#     -netdev user,id=n0 -device virtio-net-pci,netdev=n0 \
#     -drive if=none,id=d0,file=disk.img,format=raw -device virtio-blk-pci,drive=d0
# then wait for VMSTATE-GUEST-READY on the serial output before migrating.
#
# Cache: CACHE_DIR, else $VMS_GUEST_CACHE, else /var/cache/vmstate-guest
# when writable, else build-testdata/guest under the source tree. Built
# under flock (tests run in parallel); a second call only prints the paths.
# Needs: busybox-static, cpio, apt-get or a kernel in /boot (scripts/setup.sh).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
cache=${1:-${VMS_GUEST_CACHE:-}}
if [ -z "$cache" ]; then
    if mkdir -p /var/cache/vmstate-guest 2>/dev/null &&
        [ -w /var/cache/vmstate-guest ]; then
        cache=/var/cache/vmstate-guest
    else
        cache=$src/build-testdata/guest
    fi
fi
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

die() { echo "linux-guest.sh: $*" >&2; exit 1; }

build() {
    local work kdir kver deb mods m
    [ -x /bin/busybox ] || die "busybox-static is not installed (scripts/setup.sh)"
    command -v cpio >/dev/null || die "cpio is not installed (scripts/setup.sh)"
    work=$(mktemp -d "$cache/.build.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    kdir=$work/kernel
    mkdir -p "$kdir"
    # Debian's kernel: linux-image-amd64 is a metapackage, its dependency
    # is the real image.
    deb=""
    if command -v apt-get >/dev/null; then
        local pkg
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
            sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n1)
        if [ -n "$pkg" ] && (cd "$work" && apt-get download "$pkg" \
            >/dev/null 2>&1); then
            deb=$(ls "$work"/linux-image-*.deb 2>/dev/null | head -n1)
        fi
    fi
    if [ -n "$deb" ]; then
        dpkg -x "$deb" "$kdir"
        rm -f "$deb"
    else
        local vm
        vm=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)
        [ -n "$vm" ] || die "no kernel: apt-get download linux-image-amd64 failed and /boot has none"
        kver=${vm#/boot/vmlinuz-}
        [ -d "/lib/modules/$kver" ] || die "no /lib/modules/$kver for $vm"
        mkdir -p "$kdir/boot" "$kdir/lib/modules"
        cp "$vm" "$kdir/boot/"
        cp -a "/lib/modules/$kver" "$kdir/lib/modules/"
    fi
    kver=$(ls "$kdir/lib/modules" | head -n1)
    [ -f "$kdir/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in the kernel package"

    # The initramfs: busybox, its applets as links, the modules in load
    # order (each after what modules.dep says it needs).
    local root=$work/root
    mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,mod}
    cp /bin/busybox "$root/bin/busybox"
    for a in sh mount insmod ip ping dd sleep cat echo mknod seq md5sum \
        sync ls head; do
        ln -sf busybox "$root/bin/$a"
    done
    mods=$(resolve "$kdir/lib/modules/$kver" virtio_pci virtio_net virtio_blk)
    : >"$root/mod/order"
    for m in $mods; do
        cp "$kdir/lib/modules/$kver/$m" "$root/mod/"
        echo "/mod/$(basename "$m")" >>"$root/mod/order"
    done
    cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
while read -r m; do insmod "$m" 2>/dev/null; done </mod/order
ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
# network: ICMP echo to the user network's gateway
(while :; do ping -c 50 -i 0.2 10.0.2.2 >/dev/null 2>&1; done) &
# disk: write and read back the first MiB of /dev/vda
(n=0; while :; do
    dd if=/dev/urandom of=/dev/vda bs=64k count=16 conv=fsync 2>/dev/null
    dd if=/dev/vda of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null ||
        dd if=/dev/vda of=/dev/null bs=64k count=16 2>/dev/null
    n=$((n + 1))
done) &
# CPU: a busy loop
(i=0; while :; do i=$((i + 1)); done) &
sleep 1
[ -b /dev/vda ] && d=vda || d=no-disk
[ -e /sys/class/net/eth0 ] && e=eth0 || e=no-net
echo "VMSTATE-GUEST-READY $d $e"
while :; do sleep 3600; done
INIT
    chmod +x "$root/init"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) \
        >"$work/initrd.img"
    cp "$kdir/boot/vmlinuz-$kver" "$work/vmlinuz"
    mv "$work/vmlinuz" "$cache/vmlinuz"
    mv "$work/initrd.img" "$cache/initrd.img"
    echo "$kver" >"$cache/version"
}

# resolve MODDIR NAME...: the module files (relative to MODDIR) in load
# order, dependencies first, each once. A package's modules come without
# modules.dep (depmod writes it at install time), so each module's own
# "depends=" string (its .modinfo section) is read instead.
resolve() {
    python3 "$src/tests/guest/modules-order.py" "$@"
}

exec 9>"$cache/.lock"
flock 9
if [ ! -s "$cache/vmlinuz" ] || [ ! -s "$cache/initrd.img" ]; then
    build
fi
echo "KERNEL=$cache/vmlinuz"
echo "INITRD=$cache/initrd.img"
