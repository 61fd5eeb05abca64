#!/usr/bin/env bash
# bench/pack.sh [BUILDDIR]: vmstate unpack and pack of a real ~1.08 GB
# stream (a 2 GiB guest holding a 1 GiB random blob), made here with QEMU
# 7.2, read from the page cache. Prints times as ratios to
# "cat FILE >/dev/null" and to "dd if=FILE of=OUT bs=1M" (both write about
# the stream's size) measured in the same run, and checks that the packed
# stream is byte-identical. Target: each <= 3x cat.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
V=$build/tools/vmstate
HMP=${VMS_SHARED:-$here/../shared}/testdata/streams/hmp.py
[ -x "$V" ] || { echo "bench: build first ($V missing)" >&2; exit 1; }
[ -f "$HMP" ] || { echo "bench: $HMP missing" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vms-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
F=$tmp/big.mig

echo "making the stream (2 GiB guest, 1 GiB random blob)..." >&2
head -c 1G /dev/urandom >"$tmp/blob"
qemu-system-x86_64 -accel tcg -nodefaults -display none -M pc-i440fx-7.2 \
    -m 2048 -device "loader,file=$tmp/blob,addr=0x10000000,force-raw=on" \
    -monitor "unix:$tmp/sock,server=on,wait=off" >/dev/null 2>&1 &
qpid=$!
python3 "$HMP" "$tmp/sock" SLEEP:2 stop "migrate \"exec:cat > $F\"" WAITMIG \
    quit >/dev/null
wait $qpid || true
rm -f "$tmp/blob"
size=$(stat -c %s "$F")
echo "stream: $size bytes" >&2

# t CMD...: wall seconds of the command (stdout discarded), best of 2;
# $tmp/d and $tmp/out are removed before each run.
t() {
    local best=
    for _ in 1 2; do
        local s e
        rm -rf "$tmp/d" "$tmp/out" "$tmp/dd.out"
        sync
        s=$(date +%s.%N)
        "$@" >/dev/null
        e=$(date +%s.%N)
        best=$(echo "$s $e $best" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}')
    done
    echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

cat "$F" >/dev/null
tcat=$(t cat "$F")
tdd=$(t dd if="$F" of="$tmp/dd.out" bs=1M status=none)
tun=$(t "$V" unpack "$F" "$tmp/d")
# pack reads the directory the last unpack left
"$V" unpack "$F" "$tmp/d2"
tpk=$(t "$V" pack "$tmp/d2" "$tmp/out")
if cmp -s "$F" "$tmp/out"; then same=yes; else same=NO; fi

printf 'cat                %6.3f s\n' "$tcat"
printf 'dd bs=1M           %6.3f s\n' "$tdd"
printf 'unpack             %6.3f s  %s x cat, %s x dd   (target <= 3x cat)\n' "$tun" "$(ratio "$tun" "$tcat")" "$(ratio "$tun" "$tdd")"
printf 'pack               %6.3f s  %s x cat, %s x dd   (target <= 3x cat)\n' "$tpk" "$(ratio "$tpk" "$tcat")" "$(ratio "$tpk" "$tdd")"
printf 'byte-identical     %s\n' "$same"
