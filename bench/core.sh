#!/usr/bin/env bash
# bench/core.sh [BUILDDIR]: vmstate core writing the ELF core of a 1 GiB
# guest (960 MiB of random bytes loaded at 32 MiB, so the pages are real
# data, not zero pages), made here with QEMU 7.2 and read from the page
# cache, against dd copying the same byte count from the same file.
# Also the raw format and the peak RSS (it must not grow with the guest).
# Target: core <= 1.5x dd.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
F=$tmp/g1.mig
guest_stream "$F" 1024 960M 0x2000000
rm -f "$tmp/blob"

cat "$F" >/dev/null
"$V" core "$F" -o "$tmp/probe.elf"
size=$(stat -c %s "$tmp/probe.elf")
rm -f "$tmp/probe.elf"
bench_before() { rm -f "$tmp/out.elf" "$tmp/dd.out" "$tmp/out.raw"; }
tdd=$(t dd if="$F" of="$tmp/dd.out" bs=1M count="$size" iflag=count_bytes status=none)
tcore=$(t "$V" core "$F" -o "$tmp/out.elf")
traw=$(t "$V" core --format raw "$F" -o "$tmp/out.raw")
bench_before
rss=$( { /usr/bin/time -f %M "$V" core "$F" -o "$tmp/out.elf" >/dev/null; } 2>&1 | tail -1)

printf 'core size          %d bytes\n' "$size"
printf 'dd (same bytes)    %6.3f s\n' "$tdd"
printf 'core (elf)         %6.3f s  %s x dd   (target <= 1.5)\n' "$tcore" "$(ratio "$tcore" "$tdd")"
printf 'core (raw)         %6.3f s  %s x dd\n' "$traw" "$(ratio "$traw" "$tdd")"
printf 'peak RSS (elf)     %d KB\n' "$rss"
