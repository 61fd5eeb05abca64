#!/usr/bin/env bash
# Real dumps made now by Debian's QEMU 7.2: a dump against itself is silent
# with exit 0; two machine types of one binary differ only by the machine
# name, so only the (uncounted) warning line appears. Prints TAP.
set -u
if [ "${VMS_QEMU_TESTS:-0}" != 1 ] || ! command -v qemu-system-x86_64 \
        >/dev/null || ! command -v qemu-system-aarch64 >/dev/null; then
    echo "1..0 # SKIP QEMU 7.2 (qemu-system-x86_64/aarch64) is absent"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
t() {   # name expected-stdout expected-rc cmd...
    local name=$1 want=$2 want_rc=$3 out rc
    shift 3
    n=$((n + 1))
    out=$("$@" 2>"$tmp/err")
    rc=$?
    if [ "$out" = "$want" ] && [ "$rc" = "$want_rc" ] && [ ! -s "$tmp/err" ]
    then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name (exit $rc, want $want_rc)"
        printf '%s\n' "$out" | head -5 | sed 's/^/# /'
        sed 's/^/# /' "$tmp/err"
    fi
}
dump() {   # binary machine
    "$1" -M "$2" -nodefaults -display none -dump-vmstate "$tmp/$2.json" \
        2>"$tmp/qemu.err" || { cat "$tmp/qemu.err" >&2; return 1; }
}
x86="pc-i440fx-7.2 pc-q35-7.2 pc-i440fx-6.2"
arm="virt-7.2 virt-7.1"
for m in $x86; do dump qemu-system-x86_64 "$m" || exit 1; done
for m in $arm; do dump qemu-system-aarch64 "$m" || exit 1; done
echo "1..9"
for m in $x86 $arm; do
    t "$m against itself" "" 0 "$VMSTATE" check -s "$tmp/$m.json" \
        -d "$tmp/$m.json"
done
w='Warning: checking incompatible machine types:'
t "pc-i440fx-7.2 -> pc-q35-7.2" "$w \"pc-i440fx-7.2\", \"pc-q35-7.2\"" 0 \
    "$VMSTATE" check -s "$tmp/pc-i440fx-7.2.json" -d "$tmp/pc-q35-7.2.json"
t "pc-q35-7.2 -> pc-i440fx-6.2 -r" \
    "$w \"pc-i440fx-6.2\", \"pc-q35-7.2\"" 0 \
    "$VMSTATE" check -s "$tmp/pc-q35-7.2.json" -d "$tmp/pc-i440fx-6.2.json" -r
t "virt-7.2 -> virt-7.1" "$w \"virt-7.2\", \"virt-7.1\"" 0 \
    "$VMSTATE" check -s "$tmp/virt-7.2.json" -d "$tmp/virt-7.1.json"
# Different binaries: x86_64 sections are missing on aarch64; count > 0.
out=$("$VMSTATE" check -s "$tmp/pc-q35-7.2.json" -d "$tmp/virt-7.2.json")
rc=$?
lines=$(printf '%s\n' "$out" | grep -c 'does not exist in dest')
n=$((n + 1))
if [ "$rc" -gt 0 ] && [ "$lines" -ge "$rc" ] || [ "$rc" = 255 ]; then
    echo "ok $n - x86_64 -> aarch64 reports missing sections (exit $rc)"
else
    echo "not ok $n - x86_64 -> aarch64 (exit $rc, $lines missing)"
fi
