#!/usr/bin/env bash
# QEMU 7.2 loads a stream edited through vmstate convert: a stopped x86_64
# pc guest's stream goes to JSON (pic0 imr set to 0x5a) and to BER (pic1
# imr set to 0x3c in the DER), each comes back to the wire with --to wire,
# and "info pic" of the QEMU that loads it shows the new value; everything
# else is byte for byte the original.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"

EDIT="-M pc-i440fx-7.2 -m 64 -S"
mkstream edit "$(MIG edit)" qemu-system-x86_64 $EDIT ||
    { not_ok "QEMU made a stream"; done_testing; exit; }

# Through JSON.
"$V" convert "$tmp/edit.mig" "$tmp/edit.json" --to json
python3 "$VMS_SRCDIR/tests/integration/convert-qemu-edit-json.py" "$tmp/edit.json"
check "json: the edited document converts back" \
    "$V" convert "$tmp/edit.json" "$tmp/json.mig" --to wire

# Through BER: the INTEGER of pic1's imr, same length, in place.
"$V" convert "$tmp/edit.mig" "$tmp/edit.der" --to ber
python3 "$VMS_SRCDIR/tests/integration/convert-qemu-edit-der.py" "$tmp/edit.der"
check "ber: the edited document converts back" \
    "$V" convert "$tmp/edit.der" "$tmp/ber.mig" --to wire

# One byte differs from the original in each, the imr.
for enc in json ber; do
    n=$(cmp -l "$tmp/edit.mig" "$tmp/$enc.mig" | wc -l)
    same "$enc: one byte of the stream changed" 1 "$n"
done

# loads ENC PATTERN: QEMU loads ENC.mig and info pic matches PATTERN.
loads() {
    local enc=$1 pattern=$2 sock=$tmp/$1.in.sock
    qemu-system-x86_64 $BASE $EDIT -monitor "unix:$sock,server=on,wait=off" \
        -incoming "exec:cat $tmp/$enc.mig" >"$tmp/$enc.in.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 60 python3 "$HMP" "$sock" WAITMIG "info pic" quit \
        >"$tmp/$enc.in.hmp" 2>&1
    wait "$pid" 2>/dev/null
    check "$enc: QEMU loaded the edited stream" \
        grep -q 'WAITMIG: completed' "$tmp/$enc.in.hmp"
    if grep -q "$pattern" "$tmp/$enc.in.hmp"; then
        ok "$enc: info pic shows the new imr ($pattern)"
    else
        not_ok "$enc: info pic shows the new imr ($pattern)"
        sed 's/^/# /' "$tmp/$enc.in.hmp" "$tmp/$enc.in.log" | head -20
    fi
}
loads json 'pic0: .*imr=5a'
loads ber 'pic1: .*imr=3c'
done_testing
