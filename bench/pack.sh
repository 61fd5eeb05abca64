#!/usr/bin/env bash
# bench/pack.sh [BUILDDIR]: vmstate unpack and pack of a real ~1.08 GB
# stream (a 2 GiB guest holding a 1 GiB random blob), made here with QEMU
# 7.2, read from the page cache. Prints times as ratios to
# "cat FILE >/dev/null" and to "dd if=FILE of=OUT bs=1M" (both write about
# the stream's size) measured in the same run, and checks that the packed
# stream is byte-identical. Target: each <= 3x cat.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
F=$tmp/big.mig
big_stream "$F"
rm -f "$tmp/blob"
bench_before() { rm -rf "$tmp/d" "$tmp/out" "$tmp/dd.out"; sync; }

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
