#!/usr/bin/env bash
# bench/analyze.sh [BUILDDIR]: vmstate analyze on a real ~1.08 GB stream (a
# 2 GiB guest holding a 1 GiB random blob), made here with QEMU 7.2, read
# from the page cache. Prints times as ratios to cat (and to dd for -x,
# which writes the same amount), the -m output rate (its time also as a
# ratio to cat of the stream) and the peak RSS of state and -m.
# Targets: state <= 2x cat, -x <= 3x, -m >= 200 MB/s of output with
# RSS <= 64 MB (a file is read twice: see vmstate-analyze(1)), state RSS
# <= 16 MB.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
F=$tmp/big.mig
big_stream "$F"
rm -f "$tmp/blob"

cat "$F" >/dev/null
tcat=$(t cat "$F")
tstate=$(t "$V" analyze -f "$F")
rss=$( { /usr/bin/time -f %M "$V" analyze -f "$F" >/dev/null; } 2>&1 | tail -1)
mkdir "$tmp/x"
tdd=$(t dd if="$F" of="$tmp/x/dd.out" bs=1M status=none)
rm -f "$tmp/x/dd.out"
# --force: the second of the two timed runs replaces the first one's files.
tx=$(t "$V" analyze -x --force -C "$tmp/x" -f "$F")
rm -rf "$tmp/x"
s=$(date +%s.%N)
mbytes=$("$V" analyze -m -f "$F" | wc -c)
e=$(date +%s.%N)
tm=$(echo "$s $e" | awk '{print $2 - $1}')
mrss=$( { /usr/bin/time -f %M "$V" analyze -m -f "$F" >/dev/null; } 2>&1 | tail -1)

printf 'cat                %6.3f s\n' "$tcat"
printf 'dd bs=1M           %6.3f s\n' "$tdd"
printf 'analyze (state)    %6.3f s  %s x cat   (target <= 2)\n' "$tstate" "$(ratio "$tstate" "$tcat")"
printf 'analyze -x         %6.3f s  %s x cat, %s x dd   (target <= 3)\n' "$tx" "$(ratio "$tx" "$tcat")" "$(ratio "$tx" "$tdd")"
printf 'analyze -m         %6.3f s  %s x cat, %d bytes, %.0f MB/s   (target >= 200)\n' "$tm" "$(ratio "$tm" "$tcat")" "$mbytes" "$(awk -v b="$mbytes" -v t="$tm" 'BEGIN {print b / t / 1e6}')"
printf 'peak RSS (state)   %d KB   (target <= 16384)\n' "$rss"
printf 'peak RSS (-m)      %d KB   (target <= 65536)\n' "$mrss"
