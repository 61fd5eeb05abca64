#!/usr/bin/env bash
# bench/diff.sh [BUILDDIR]: vmstate diff on a real ~1.08 GB stream pair (a
# 2 GiB guest holding a 1 GiB random blob, made here with QEMU 7.2; B is A
# with one page of the blob changed near its end, so that cmp reads almost
# everything too), read from the page cache. Prints times as ratios to
# "cmp A B" measured in the same run, and the peak RSS.
# Targets: diff <= 3x cmp; RSS independent of the stream size (an index of
# 16 bytes per page: ~8 MiB per side for 2 GiB of RAM).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
A=$tmp/a.mig
B=$tmp/b.mig
big_stream "$A"
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

BENCH_RUNS=3

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
