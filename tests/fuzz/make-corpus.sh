#!/usr/bin/env bash
# Regenerate the fuzz seed corpora: tests/fuzz/make-corpus.sh [SHARED]
# Cuts the real streams of SHARED/testdata/streams (default ../shared) and
# streams QEMU 7.2 makes now (ppc64 pseries: spapr/htab; x86 with
# x-ignore-shared... when installed) into small seeds (make-corpus.py),
# then keeps the inputs that add coverage (libFuzzer -merge=1) in
# tests/fuzz/corpus/TARGET/. Needs the fuzz build (fuzz/run.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/../.."
shared=${1:-../shared}
S=$shared/testdata/streams
[ -d "$S" ] || { echo "make-corpus: no $S" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# mkstream NAME BIN ARGS...: a QEMU 7.2 guest migrated to $tmp/NAME.mig.
mkstream() {
    local name=$1 bin=$2
    shift 2
    command -v "$bin" >/dev/null || return 0
    "$bin" -accel tcg -nodefaults -display none \
        -monitor "unix:$tmp/$name.sock,server=on,wait=off" "$@" \
        >"$tmp/$name.log" 2>&1 &
    local pid=$!
    timeout 60 python3 "$S/hmp.py" "$tmp/$name.sock" SLEEP:1.5 stop \
        "migrate \"exec:cat > $tmp/$name.mig\"" WAITMIG quit \
        >>"$tmp/$name.log" 2>&1 || kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
mkstream ppc64-pseries qemu-system-ppc64 -M pseries-7.2 -m 256
mkstream x86-small qemu-system-x86_64 -M pc-i440fx-7.2 -m 16

python3 tests/fuzz/make-corpus.py "$tmp/seeds" "$S"/*.mig $(ls "$tmp"/*.mig 2>/dev/null)
# Documents for the converters' readers (BER, JSON) and unpacked
# directories for pack, made from the small streams by the tool itself.
V=build-fuzz/tools/vmstate
mkdir -p "$tmp/seeds/berdoc" "$tmp/seeds/json" "$tmp/seeds/pack"
n=0
for s in "$tmp/seeds/devonly"/*; do
    n=$((n + 1))
    for enc in ber json; do
        d=$enc; [ $enc = ber ] && d=berdoc
        if "$V" convert -t $enc "$s" "$tmp/doc" 2>/dev/null; then
            { printf "\\x$(printf %02x $((n % 4)))"; cat "$tmp/doc"; } \
                >"$tmp/seeds/$d/$(basename "$s")"
        fi
        rm -f "$tmp/doc"
    done
    rm -rf "$tmp/u"
    "$V" unpack "$s" "$tmp/u" 2>/dev/null &&
        python3 tests/fuzz/pack-archive.py "$tmp/u" "$tmp/seeds/pack/$(basename "$s")"
done
for t in stream ram vmdesc berdoc json pack; do
    bin=build-fuzz/tests/fuzz/fuzz_$t
    [ -x "$bin" ] || { echo "make-corpus: build $bin first (fuzz/run.sh 1)" >&2; exit 1; }
    mkdir -p "tests/fuzz/corpus/$t" "$tmp/min-$t"
    "$bin" -merge=1 -rss_limit_mb=2048 "$tmp/min-$t" "tests/fuzz/corpus/$t" \
        "$tmp/seeds/$t" 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" >&2 || true
    rm -rf "tests/fuzz/corpus/$t"
    mv "$tmp/min-$t" "tests/fuzz/corpus/$t"
done
du -sh tests/fuzz/corpus/* >&2
