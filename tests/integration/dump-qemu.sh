#!/usr/bin/env bash
# --dump-vmstate with Debian's QEMU 7.2, whose -dump-vmstate has no array counts
# ("num", QEMU >= 8.1): a pc stream with its vmdesc cut off, and the dump
# of the same binary and machine. Sections without arrays decode (i8259),
# the ones whose layout the dump cannot give stay raw with the reason,
# unpack then pack is byte-identical, and QEMU 7.2 loads a stream packed
# after an edit of a field decoded through the dump (i8259 imr, seen in
# "info pic").
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"

M="-M pc-i440fx-7.2 -m 64 -S"
qemu-system-x86_64 $M -dump-vmstate "$tmp/dump.json" >"$tmp/dump.log" 2>&1
check "QEMU 7.2 wrote its -dump-vmstate" test -s "$tmp/dump.json"
check "the 7.2 dump has no array counts" \
    python3 "$VMS_SRCDIR/tests/integration/dump-qemu-no-num.py" "$tmp/dump.json"
mkstream pc "$(MIG pc)" qemu-system-x86_64 $M
check "QEMU 7.2 wrote a stream" test -s "$tmp/pc.mig"
check "the vmdesc is cut off" python3 "$VMS_SRCDIR/tests/integration/vmdesc_cut.py" "$tmp/pc.mig" "$tmp/cut.mig"
check "unpack --dump-vmstate" "$V" unpack --dump-vmstate "$tmp/dump.json" "$tmp/cut.mig" \
    "$tmp/cut.d"
check "pack" "$V" pack "$tmp/cut.d" "$tmp/cut.out"
same "unpack then pack is byte-identical" \
    "$(sha256sum <"$tmp/cut.mig")" "$(sha256sum <"$tmp/cut.out")"
check "sections decode or stay raw with the reason" \
    python3 "$VMS_SRCDIR/tests/integration/dump-qemu-decoded.py" "$tmp/cut.d/stream.json"

# QEMU 7.2 loads the stream packed after an edit of the imr.
python3 "$VMS_SRCDIR/tests/integration/unpacked-imr.py" "$tmp/cut.d"
check "pack the edited directory" "$V" pack "$tmp/cut.d" "$tmp/edited.mig"
sock=$tmp/in.sock
qemu-system-x86_64 $BASE $M -monitor "unix:$sock,server=on,wait=off" \
    -incoming "exec:cat $tmp/edited.mig" >"$tmp/in.log" 2>&1 &
pid=$!
pids="$pids $pid"
timeout 60 python3 "$HMP" "$sock" WAITMIG "info pic" quit >"$tmp/in.hmp" 2>&1
wait "$pid" 2>/dev/null
check "QEMU loaded the edited stream" grep -q 'WAITMIG: completed' "$tmp/in.hmp"
check "info pic shows the imr edited through the dump (pic0 imr=5a)" \
    grep -q 'pic0: .*imr=5a' "$tmp/in.hmp"
if ! grep -q 'imr=5a' "$tmp/in.hmp"; then
    sed 's/^/# /' "$tmp/in.hmp" "$tmp/in.log" | head -20
fi
done_testing
