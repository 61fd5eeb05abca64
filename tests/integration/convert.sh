#!/usr/bin/env bash
# vmstate convert: real QEMU streams of ../shared and engine streams of
# both releases go wire -> BER -> wire and wire -> JSON -> wire byte for
# byte; the DER is what openssl and libtasn1 (against doc/vmstate.asn1)
# accept; the trace shows known values; bad input fails with one line
# naming the file and the offset, leaving no output behind.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/convert-lib.sh"
set -u
V=$VMSTATE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- real streams (QEMU 5.2 ... 10.0) -------------------------------------
S=${VMS_SHARED:-}/testdata/streams
if [ -d "$S" ]; then
    for f in "$S"/*.mig; do
        converts "$(basename "$f")" "$f"
    done
else
    ok "real streams # SKIP no ../shared/testdata/streams (set VMS_SHARED)"
fi

# ---- engine streams: the example VMM, release 1 and 2 ----------------------
for ver in 1 2; do
    for seed in 0 5; do
        args=(--version "$ver" --ram 2)
        [ "$seed" = 0 ] || args+=(--seed "$seed")
        "$V" demo "${args[@]}" --stream "$tmp/e.mig" --force
        converts "engine v$ver seed $seed" "$tmp/e.mig"
    done
done

# Between the document encodings too: BER <-> JSON, and each to itself,
# give the same documents, and the stream at the end.
chain() {
    local name=$1 mig=$2
    local a=$tmp/ch.a b=$tmp/ch.b
    if "$V" convert "$mig" "$a.der" --to ber --force &&
       "$V" convert "$a.der" "$a.json" --to json --force &&
       "$V" convert "$a.json" "$b.der" --to ber --force &&
       "$V" convert "$b.der" "$b.json" --to json --force &&
       "$V" convert "$a.der" "$tmp/ch.c.der" --to ber --force &&
       "$V" convert "$a.json" "$tmp/ch.c.json" --to json --force &&
       "$V" convert "$b.json" "$tmp/ch.mig" --to wire --force &&
       cmp -s "$a.der" "$b.der" && cmp -s "$a.json" "$b.json" &&
       cmp -s "$a.der" "$tmp/ch.c.der" && cmp -s "$a.json" "$tmp/ch.c.json" &&
       cmp -s "$mig" "$tmp/ch.mig"; then
        ok "$name: wire -> ber -> json -> ber -> json -> wire, all identical"
    else
        not_ok "$name: wire -> ber -> json -> ber -> json -> wire, all identical"
    fi
}
chain "engine v2 seed 5" "$tmp/e.mig"
[ -d "$S" ] && chain "x86_64-pc-i440fx-devices.mig" \
    "$S/x86_64-pc-i440fx-devices.mig"

# Every State and the whole Stream decode against the module (libtasn1).
if command -v asn1Decoding >/dev/null; then
    "$V" demo --stream "$tmp/d.mig" --force
    "$V" convert "$tmp/d.mig" "$tmp/d.der" --to ber
    if asn1Decoding "$VMS_SRCDIR/doc/vmstate.asn1" "$tmp/d.der" \
           VMState.Stream >"$tmp/asn1.out" 2>&1 &&
       grep -q 'Decoding: SUCCESS' "$tmp/asn1.out"; then
        ok "asn1Decoding decodes the engine stream as VMState.Stream"
    else
        not_ok "asn1Decoding decodes the engine stream as VMState.Stream"
        tail -3 "$tmp/asn1.out" | sed 's/^/# /'
    fi
    if [ -d "$S" ]; then
        "$V" convert "$S/s390x-ccw-virtio.mig" "$tmp/s.der" --to ber
        asn1Decoding "$VMS_SRCDIR/doc/vmstate.asn1" "$tmp/s.der" \
            VMState.Stream >"$tmp/asn1.out" 2>&1
        check "asn1Decoding decodes a QEMU stream as VMState.Stream" \
            grep -q 'Decoding: SUCCESS' "$tmp/asn1.out"
    fi
else
    ok "asn1Decoding # SKIP libtasn1-bin missing"
fi

# ---- the trace ----------------------------------------------------------------
"$V" demo --stream "$tmp/d.mig" --force
"$V" convert "$tmp/d.mig" - --to trace >"$tmp/trace" 2>"$tmp/err"
check "trace: the demo i8259 imr (info pic: b8)" \
    grep -qxF 'i8259.imr = (uint8) 0xb8' "$tmp/trace"
"$V" convert "$S/x86_64-pc-i440fx-devices.mig" - --to trace \
    >"$tmp/qtrace" 2>"$tmp/err"
check "trace of a QEMU stream: a uint64 of its vmdesc is one line" \
    grep -qxF 'cpu.env.regs(16)(8).[0] = (uint64) 0x0' "$tmp/qtrace"
check "... and a uint8 is one line" \
    grep -qxF 'i8259.imr = (uint8) 0xb8' "$tmp/qtrace"
check "trace: one comment line per section" \
    grep -q '^# section [0-9]* FULL "i8254" instance 0 version 3$' "$tmp/trace"
"$V" convert "$tmp/d.der" - --to trace >"$tmp/trace2" 2>"$tmp/err"
same "trace: the same from the BER document" "$(cat "$tmp/trace")" \
    "$(cat "$tmp/trace2")"

# ---- output files -------------------------------------------------------------
echo keep >"$tmp/out"
if "$V" convert "$tmp/d.mig" "$tmp/out" --to ber 2>"$tmp/err"; then
    not_ok "an existing OUT is kept without --force"
else
    same "an existing OUT is kept without --force" keep "$(cat "$tmp/out")"
fi
check "--force replaces it" "$V" convert "$tmp/d.mig" "$tmp/out" --to ber \
    --force
check "and it is the DER" cmp -s "$tmp/out" "$tmp/d.der"

# ---- bad input: one line with file and offset, no output left ---------------
bad() {
    local what=$1 in=$2 pattern=$3
    rm -f "$tmp/bad.out"
    if "$V" convert "$in" "$tmp/bad.out" --to wire 2>"$tmp/err"; then
        not_ok "$what: refused"
        return
    fi
    if [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- "$pattern" "$tmp/err" &&
       ! ls "$tmp" | grep -q '^bad.out'; then
        ok "$what: refused with one line, nothing left"
    else
        not_ok "$what: refused with one line, nothing left"
        sed 's/^/# /' "$tmp/err" | head -3
        ls "$tmp" | sed 's/^/# /'
    fi
}
head -c 5000 "$tmp/d.der" >"$tmp/cut.der"
bad "truncated BER" "$tmp/cut.der" "cut.der: offset 0x"
python3 "$VMS_SRCDIR/tests/integration/convert-rename-der.py" "$tmp/d.der" "$tmp/renamed.der"
bad "a renamed field" "$tmp/renamed.der" \
    'renamed.der: offset 0x[0-9a-f]*: i8259.imr: field "imx" where the description has "imr"'
python3 "$VMS_SRCDIR/tests/integration/convert-range-der.py" "$tmp/d.der" "$tmp/range.der"
bad "a value out of its field's range" "$tmp/range.der" \
    'range.der: offset 0x[0-9a-f]*: i8259.imr: value does not fit 1 bytes'
printf 'garbage' >"$tmp/garbage"
bad "neither stream nor document" "$tmp/garbage" "garbage: offset 0x0"
"$V" convert "$tmp/d.mig" "$tmp/d.json" --to json
sed 's/"imr": "0xb8"/"imr": "0x1b8"/' "$tmp/d.json" >"$tmp/range.json"
bad "JSON: a value out of range" "$tmp/range.json" "range.json: .*imr"
head -c 3000 "$tmp/d.json" >"$tmp/cut.json"
bad "JSON: truncated" "$tmp/cut.json" "cut.json: offset 0x"
# Mutated documents: refused or converted, never a crash, never a file left
# behind on refusal.
python3 "$VMS_SRCDIR/tests/integration/convert-mutate-der.py" "$tmp/d.der" "$tmp/mut"
crashes=0 leftovers=0
for m in "$tmp"/mut/m*.der; do
    "$V" convert "$m" "$tmp/mut/out" --to wire --force 2>/dev/null
    rc=$?
    [ "$rc" -le 1 ] || crashes=$((crashes + 1))
    [ "$rc" = 0 ] || [ ! -e "$tmp/mut/out" ] || leftovers=$((leftovers + 1))
    rm -f "$tmp/mut/out"
done
same "150 mutated BER documents: no crash" 0 "$crashes"
same "150 mutated BER documents: nothing left on refusal" 0 "$leftovers"
check "no temporary file left in the output directory" \
    test -z "$(ls -A "$tmp/mut" | grep -v '^m[0-9]*\.der$')"
done_testing
