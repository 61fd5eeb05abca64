#!/usr/bin/env bash
# crossdumps.sh: -dump-vmstate files of QEMU 5.2, 7.2 and 10.0 for the
# machine types the checker's cross-version tests compare, made once and
# cached (a dump of one QEMU binary is the same bytes at every run).
#
#   bash tests/check/crossdumps.sh [DIR]     make what is missing, print DIR
#   bash tests/check/crossdumps.sh --pairs   print the compared pairs
#
# DIR defaults to build-testdata/check-dumps under the source tree. Names:
# qemuREL-ARCH-MACHINE.json. QEMU 7.2 is the installed qemu-system-*; 10.0
# and 5.2 are scripts/qemu-versions.sh's wrappers under $VMSTATE_QEMU_DIR
# (default /var/cache/vmstate-qemu). A release whose binary is absent is
# left out (the caller tests what exists). QEMU 5.2's ppc64 -dump-vmstate
# segfaults half-way (a QEMU 5.2 bug), so it has no ppc64 dump.
#
# Pairs (--pairs, "A B" per line, both orders listed): one machine type
# made by two releases (old machine types: 5.2 in every release; 7.2 in
# 7.2 and 10.0), and each release's newest type against the others'.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
qdir=${VMSTATE_QEMU_DIR:-/var/cache/vmstate-qemu}

# release arch machine... (the last is the release's newest of that arch)
plan="
5.2 x86_64 pc-i440fx-5.2 pc-q35-5.2
5.2 aarch64 virt-5.2
5.2 s390x s390-ccw-virtio-5.2
7.2 x86_64 pc-i440fx-5.2 pc-q35-5.2 pc-i440fx-7.2 pc-q35-7.2
7.2 aarch64 virt-5.2 virt-7.2
7.2 ppc64 pseries-5.2 pseries-7.2
7.2 s390x s390-ccw-virtio-5.2 s390-ccw-virtio-7.2
10.0 x86_64 pc-i440fx-5.2 pc-q35-5.2 pc-i440fx-7.2 pc-q35-7.2 pc-i440fx-10.0 pc-q35-10.0
10.0 aarch64 virt-5.2 virt-7.2 virt-10.0
10.0 ppc64 pseries-5.2 pseries-7.2 pseries-10.0
10.0 s390x s390-ccw-virtio-5.2 s390-ccw-virtio-7.2 s390-ccw-virtio-10.0
"

binary() {   # release arch
    if [ "$1" = 7.2 ]; then
        command -v "qemu-system-$2" || true
    elif [ -x "$qdir/$1/bin/qemu-system-$2" ]; then
        echo "$qdir/$1/bin/qemu-system-$2"
    fi
}

if [ "${1:-}" = --pairs ]; then
    {
    # Same machine type, two releases.
    echo "$plan" | while read -r rel arch machines; do
        [ -n "$rel" ] || continue
        for m in $machines; do echo "$m $arch qemu$rel-$arch-$m"; done
    done | sort -k1,1 -k3,3V | awk '
        { names[$1] = names[$1] " " $3 }
        END { for (m in names) {
                n = split(names[m], a, " ")
                for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
                    if (i != j) print a[i], a[j] } }'
    # Each release newest against the other releases newest (same arch).
    echo "$plan" | while read -r rel arch machines; do
        [ -n "$rel" ] || continue
        echo "$arch qemu$rel-$arch-${machines##* }"
    done | awk '
        { names[$1] = names[$1] " " $2 }
        END { for (a in names) {
                n = split(names[a], x, " ")
                for (i = 1; i <= n; i++) for (j = 1; j <= n; j++)
                    if (i != j) print x[i], x[j] } }'
    } | sort -u
    exit 0
fi

out=${1:-$src/build-testdata/check-dumps}
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9>"$out/.lock"
flock 9
echo "$plan" | while read -r rel arch machines; do
    [ -n "$rel" ] || continue
    bin=$(binary "$rel" "$arch")
    [ -n "$bin" ] || continue
    for m in $machines; do
        f=$out/qemu$rel-$arch-$m.json
        [ -s "$f" ] && continue
        if ! "$bin" -M "$m" -nodefaults -display none \
                -dump-vmstate "$f.tmp" >/dev/null 2>"$out/qemu.err"; then
            echo "crossdumps.sh: $bin -M $m -dump-vmstate failed:" >&2
            cat "$out/qemu.err" >&2
            rm -f "$f.tmp"
            exit 1
        fi
        mv "$f.tmp" "$f"
    done
done
rm -f "$out/qemu.err"
echo "$out"
