#!/usr/bin/env bash
# bench/diff.sh [BUILDDIR]: vmstate diff on a real ~1.08 GB stream pair (a
# 2 GiB guest holding a 1 GiB random blob, made here with QEMU 7.2; B is A
# with one page of the blob changed near its end, so that cmp reads almost
# everything too), read from the page cache. Prints times as ratios to
# "cmp A B" measured in the same run, and the peak RSS.
# Targets: diff <= 3x cmp; RSS independent of the stream size (an index of
# 16 bytes per page: ~8 MiB per side for 2 GiB of RAM).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
V=$build/tools/vmstate
HMP=${VMS_SHARED:-$here/../shared}/testdata/streams/hmp.py
[ -x "$V" ] || { echo "bench: build first ($V missing)" >&2; exit 1; }
[ -f "$HMP" ] || { echo "bench: $HMP missing" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vms-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
A=$tmp/a.mig
B=$tmp/b.mig

echo "making the stream (2 GiB guest, 1 GiB random blob)..." >&2
head -c 1G /dev/urandom >"$tmp/blob"
qemu-system-x86_64 -accel tcg -nodefaults -display none -M pc-i440fx-7.2 \
    -m 2048 -device "loader,file=$tmp/blob,addr=0x10000000,force-raw=on" \
    -monitor "unix:$tmp/sock,server=on,wait=off" >/dev/null 2>&1 &
qpid=$!
python3 "$HMP" "$tmp/sock" SLEEP:2 stop "migrate \"exec:cat > $A\"" WAITMIG \
    quit >/dev/null
wait $qpid || true
# B: 1000 bytes inside the blob's page at 1 GiB - 1 MiB (guest address
# 0x4ff00000) replaced, found by its content so no record header is hit.
cp "$A" "$B"
where=$(python3 - "$A" "$tmp/blob" <<'PY'
import mmap, sys
blob = open(sys.argv[2], "rb")
blob.seek((1 << 30) - (1 << 20))
needle = blob.read(64)
with open(sys.argv[1], "rb") as f:
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    print(m.find(needle))
PY
)
[ "$where" -gt 0 ] || { echo "bench: blob page not found" >&2; exit 1; }
head -c 1000 /dev/urandom | dd of="$B" bs=1 seek=$((where + 100)) conv=notrunc status=none
rm -f "$tmp/blob"
size=$(stat -c %s "$A")
echo "streams: $size bytes each, B differs at byte $((where + 100))" >&2

# t CMD...: wall seconds of the command (stdout discarded), best of 3.
t() {
    local best=
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null || true
        e=$(date +%s.%N)
        best=$(echo "$s $e $best" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}')
    done
    echo "$best"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

cat "$A" "$B" >/dev/null
out=$("$V" diff "$A" "$B" || true)
echo "$out" | grep -q '^ram: pc.ram: 1 pages differ (of 524288); first: 0x4ff00000$' ||
    { echo "bench: unexpected diff output: $out" >&2; exit 1; }
tcmp=$(t cmp "$A" "$B")
tdiff=$(t "$V" diff "$A" "$B")
tnone=$(t "$V" diff --ram none "$A" "$B")
# diff exits 1 (the streams differ): time passes that on.
rss=$( { /usr/bin/time -f %M "$V" diff "$A" "$B" >/dev/null || true; } 2>&1 | tail -1)

printf 'cmp A B            %6.3f s\n' "$tcmp"
printf 'diff               %6.3f s  %s x cmp   (target <= 3)\n' "$tdiff" "$(ratio "$tdiff" "$tcmp")"
printf 'diff --ram none    %6.3f s  %s x cmp\n' "$tnone" "$(ratio "$tnone" "$tcmp")"
printf 'peak RSS (diff)    %d KB\n' "$rss"
