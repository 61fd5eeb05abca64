#!/usr/bin/env bash
# vmstate verify on the real streams and dumps in ../shared: QEMU 7.2's
# stream passes against QEMU 7.2's and 10.0's dumps of its machine type,
# QEMU 10.0's stream is refused by 7.2's dump for its machine type; the
# checker's output formats; input errors exit 255 with one line.
. "$(dirname "$0")/tap.sh"
set -u
T=${VMS_SHARED:-}/testdata
[ -d "$T/checker" ] || skip_all "no shared test data at $T (set VMS_SHARED)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
V=$VMSTATE
S72=$T/streams/x86_64-pc-i440fx-devices.mig
S10=$T/streams/qemu10.0-x86_64-pc-i440fx-devices.mig
D72=$T/checker/qemu7.2-x86_64-pc-i440fx-7.2.json
D10=$T/checker/qemu10.0-x86_64-pc-i440fx-7.2.json

run() {
    "$V" verify "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

run "$S72" --dest "$D72"
same "7.2 stream vs 7.2 dump: 0 findings" "0:" "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
run "$S72" -d "$D10"
same "7.2 stream vs 10.0 dump of pc-i440fx-7.2: 0 findings" "0:" "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
run "$S10" --dest "$D72"
same "10.0 stream (pc-i440fx-10.0) vs 7.2 dump: the machine type" \
    '1:Machine type "pc-i440fx-10.0" in the stream, DEST is "pc-i440fx-7.2"' \
    "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
run - --dest "$D72" <"$S10"
same "from a pipe: the same" \
    '1:Machine type "pc-i440fx-10.0" in the stream, DEST is "pc-i440fx-7.2"' \
    "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"

run "$S72" --dest "$D72"
check "sections no dump shows are listed as not verified, exit still 0" \
    bash -c "[ $rc = 0 ] && grep -q '^Section \"timer\": not verified: no -dump-vmstate describes it (QEMU registers it in .*cpu_timers_init' '$tmp/out'"
run --strict "$S72" --dest "$D72"
check "--strict: they count (exit = their number)" \
    bash -c "[ $rc = \$(grep -c ': not verified: ' '$tmp/out') ] && [ $rc -ge 5 ]"
run "$T/streams/x86_64-pc-i440fx-2.0-old.mig" --dest "$D72"
same "no vmdesc: said so, the headers checked" \
    "0:The stream has no JSON description (old machine type or suppress-vmdesc): only section names and versions verified" \
    "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
run "$T/streams/aarch64-virt-a57.mig" --dest "$D72"
check "an aarch64 stream vs an x86 dump: devices unknown to DEST" \
    grep -qx 'Section "pl011": device type "pl011" is unknown to DEST' "$tmp/out"

run --format json "$S10" --dest "$D72"
check "--format json: the checker's document" \
    python3 "$VMS_SRCDIR/tests/integration/verify-json.py" "$tmp/out" "$D72"
run --format sarif "$S10" --dest "$D72"
check "--format sarif: driver vmstate verify, one error result" \
    python3 "$VMS_SRCDIR/tests/integration/verify-sarif.py" "$tmp/out"
run --format github "$S10" --dest "$D72"
check "--format github: one ::error annotation" \
    grep -qx '::error file=.*,title=vmstate verify (machine_type)::Machine type "pc-i440fx-10.0" in the stream, DEST is "pc-i440fx-7.2"' "$tmp/out"

# Input errors: 255, one line on stderr naming the file, nothing on stdout.
bad() {
    local what=$1 want=$2
    shift 2
    run "$@"
    if [ "$rc" = "$want" ] && ! [ -s "$tmp/out" ] &&
       [ "$(wc -l <"$tmp/err")" = 1 ]; then
        ok "$what: exit $want, one line on stderr"
    else
        not_ok "$what: exit $want, one line on stderr (rc $rc)"
        sed 's/^/# /' "$tmp/err" "$tmp/out" | head -3
    fi
}
head -c 1000000 "$S72" >"$tmp/trunc.mig"
bad "truncated stream" 255 "$tmp/trunc.mig" --dest "$D72"
check "... naming the file and offset" grep -q 'trunc.mig: offset 0x' "$tmp/err"
# The truncation rule (issue 14's "head -c 1700000" exited 0 with "no
# JSON description"): cut before the end marker = truncated, as QEMU
# refuses it; only the description cut = QEMU loads it, verify answers.
head -c 1700000 "$S72" >"$tmp/trunc2.mig"
bad "cut before the end marker (1700000 bytes)" 255 "$tmp/trunc2.mig" --dest "$D72"
check "... says truncated, the offset and what was expected" grep -q \
    'trunc2.mig: offset 0x[0-9a-f]*: truncated: expected .*; the input ends at offset 0x19f0a0' "$tmp/err"
eof=$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); i=b.rfind(b"\x00\x06\x00"); print(i)' "$S72")
head -c $((eof + 1 + 500)) "$S72" >"$tmp/cutdesc.mig"
run "$tmp/cutdesc.mig" --dest "$D72"
same "description cut after the end marker: exit 0 (QEMU loads it), said" \
    "0:The stream's JSON description is cut short (truncated: expected the JSON description after the end marker" \
    "$rc:$(head -n1 "$tmp/out" | sed 's/ at offset.*//')"
head -c $((eof)) "$S72" >"$tmp/noeof.mig"
bad "cut just before the end marker" 255 "$tmp/noeof.mig" --dest "$D72"
check "... says truncated: expected the end marker" grep -q \
    'truncated: expected the record header' "$tmp/err"
# Other bytes after the end marker: QEMU loads (it reads nothing there);
# verify's warning names where they start, right after the end marker or
# after the whole description that follows it, and pipes say the same.
size=$(stat -c %s "$S72")
{ cat "$S72"; printf 'garbage!%.0s' 1 2 3 4 5; } >"$tmp/garbage.mig"
run "$tmp/garbage.mig" --dest "$D72"
same "garbage after the description: exit 0 (QEMU loads it), its offset named" \
    "0:The bytes from offset $(printf 0x%x "$size") on are no JSON description (they follow the description that follows the end marker at offset $(printf 0x%x "$eof"))" \
    "$rc:$(head -n1 "$tmp/out" | sed 's/: QEMU reads.*//')"
run - --dest "$D72" <"$tmp/garbage.mig"
same "... from a pipe: the same" \
    "0:The bytes from offset $(printf 0x%x "$size") on are no JSON description (they follow the description that follows the end marker at offset $(printf 0x%x "$eof"))" \
    "$rc:$(head -n1 "$tmp/out" | sed 's/: QEMU reads.*//')"
"$V" unpack "$tmp/garbage.mig" "$tmp/u" 2>"$tmp/err"
rc=$?
same "unpack of it: exit 1, the garbage's offset and length named" \
    "1:vmstate unpack: $tmp/garbage.mig: offset $(printf 0x%x "$size"): the 40 bytes from here to the end are no JSON description and not part of the stream" \
    "$rc:$(cat "$tmp/err")"
{ head -c $((eof + 1)) "$S72"; printf 'garbage!'; } >"$tmp/garbage0.mig"
run "$tmp/garbage0.mig" --dest "$D72"
same "garbage right after the end marker: exit 0, its offset named" \
    "0:The bytes from offset $(printf 0x%x $((eof + 1))) on are no JSON description (right after the end marker at offset $(printf 0x%x "$eof"))" \
    "$rc:$(head -n1 "$tmp/out" | sed 's/: QEMU reads.*//')"
bad "missing stream" 255 "$tmp/none.mig" --dest "$D72"
bad "missing dump" 255 "$S72" --dest "$tmp/none.json"
bad "a stream as the dump" 255 "$S72" --dest "$S72"
bad "no --dest" 2 "$S72"
bad "bad --format" 2 --format xml "$S72" --dest "$D72"
done_testing
