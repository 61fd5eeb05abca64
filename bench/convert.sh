#!/usr/bin/env bash
# bench/convert.sh [BUILDDIR] [STREAM]: vmstate convert of a real ~1.08 GB
# stream (a 2 GiB guest holding a 1 GiB random blob, made here with QEMU
# 7.2 unless STREAM is given), read from the page cache. Prints each
# direction as a ratio to dd if=IN of=OUT bs=1M (same bytes written, same
# filesystem, same run) and to cat IN >/dev/null.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
F=${2:-}
if [ -z "$F" ]; then
    F=$tmp/big.mig
    big_stream "$F"
    rm -f "$tmp/blob"
fi

cat "$F" >/dev/null
tcat=$(t cat "$F")
tdd=$(t dd if="$F" of="$tmp/dd.out" bs=1M status=none)
rm -f "$tmp/dd.out"
tber=$(t "$V" convert "$F" "$tmp/s.der" --to ber --force)
tback=$(t "$V" convert "$tmp/s.der" "$tmp/back.mig" --to wire --force)
cmp -s "$F" "$tmp/back.mig" || { echo "bench: ber round trip differs" >&2; exit 1; }
rm -f "$tmp/back.mig"
tjson=$(t "$V" convert "$F" "$tmp/s.json" --to json --force)
tjback=$(t "$V" convert "$tmp/s.json" "$tmp/back.mig" --to wire --force)
cmp -s "$F" "$tmp/back.mig" || { echo "bench: json round trip differs" >&2; exit 1; }

printf 'cat IN             %6.3f s\n' "$tcat"
printf 'dd IN OUT bs=1M    %6.3f s\n' "$tdd"
printf 'wire -> ber        %6.3f s  %sx dd  %sx cat\n' "$tber" \
    "$(ratio "$tber" "$tdd")" "$(ratio "$tber" "$tcat")"
printf 'ber -> wire        %6.3f s  %sx dd  %sx cat\n' "$tback" \
    "$(ratio "$tback" "$tdd")" "$(ratio "$tback" "$tcat")"
printf 'wire -> json       %6.3f s  %sx dd  %sx cat (output %s bytes)\n' \
    "$tjson" "$(ratio "$tjson" "$tdd")" "$(ratio "$tjson" "$tcat")" \
    "$(stat -c %s "$tmp/s.json")"
printf 'json -> wire       %6.3f s  %sx dd  %sx cat\n' "$tjback" \
    "$(ratio "$tjback" "$tdd")" "$(ratio "$tjback" "$tcat")"
