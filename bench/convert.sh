#!/usr/bin/env bash
# bench/convert.sh [BUILDDIR] [STREAM]: vmstate convert of a real ~1.08 GB
# stream (a 2 GiB guest holding a 1 GiB random blob, made here with QEMU
# 7.2 unless STREAM is given), read from the page cache. Prints each
# direction as a ratio to dd if=IN of=OUT bs=1M (same bytes written, same
# filesystem, same run) and to cat IN >/dev/null.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
V=$build/tools/vmstate
HMP=${VMS_SHARED:-$here/../shared}/testdata/streams/hmp.py
[ -x "$V" ] || { echo "bench: build first ($V missing)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vms-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
F=${2:-}
if [ -z "$F" ]; then
    [ -f "$HMP" ] || { echo "bench: $HMP missing" >&2; exit 1; }
    F=$tmp/big.mig
    echo "making the stream (2 GiB guest, 1 GiB random blob)..." >&2
    head -c 1G /dev/urandom >"$tmp/blob"
    qemu-system-x86_64 -accel tcg -nodefaults -display none \
        -M pc-i440fx-7.2 -m 2048 \
        -device "loader,file=$tmp/blob,addr=0x10000000,force-raw=on" \
        -monitor "unix:$tmp/sock,server=on,wait=off" >/dev/null 2>&1 &
    qpid=$!
    python3 "$HMP" "$tmp/sock" SLEEP:2 stop "migrate \"exec:cat > $F\"" \
        WAITMIG quit >/dev/null
    wait $qpid || true
    rm -f "$tmp/blob"
fi
echo "stream: $(stat -c %s "$F") bytes" >&2

# t CMD...: wall seconds of the command (stdout discarded), best of 2.
t() {
    local best=
    for _ in 1 2; do
        local s e
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
