#!/usr/bin/env bash
# vmstate unpack / pack against Debian's QEMU 7.2: unpack then pack is
# byte-identical (sha256) for every kind of stream the tests make (pc with
# devices, q35, compress, block migration, x-ignore-shared, an old machine
# without vmdesc, aarch64, ppc64 with HTAB, s390x with storage attributes
# and keys, XBZRLE), and QEMU loads an edited stream: a stopped x86_64 pc
# guest's i8259 imr and a RAM byte changed in the unpacked directory show
# up in "info pic" and "xp" of the QEMU that loads the packed stream.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"

# roundtrip NAME: unpack then pack gives the same bytes.
roundtrip() {
    local name=$1
    made "$name" || return
    if "$V" unpack "$tmp/$name.mig" "$tmp/$name.d" 2>"$tmp/err" &&
       "$V" pack "$tmp/$name.d" "$tmp/$name.out" 2>>"$tmp/err" &&
       [ "$(sha256sum <"$tmp/$name.mig")" = "$(sha256sum <"$tmp/$name.out")" ]
    then
        ok "$name: unpack then pack is byte-identical"
    else
        not_ok "$name: unpack then pack is byte-identical"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
    rm -rf "$tmp/$name.d" "$tmp/$name.out"
}

stream_pc; roundtrip pc
stream_compress; roundtrip compress
stream_q35; roundtrip q35
stream_blk; roundtrip blk
stream_old; roundtrip old
if [ -d /dev/shm ]; then stream_shared; roundtrip shared; fi
if command -v qemu-system-aarch64 >/dev/null; then
    stream_aarch64; roundtrip aarch64
fi
if command -v qemu-system-ppc64 >/dev/null; then
    stream_ppc64
    check "ppc64: the stream has an HTAB section" \
        grep -aq 'spapr/htab' "$tmp/ppc64.mig"
    roundtrip ppc64
fi
if command -v qemu-system-s390x >/dev/null; then
    stream_s390x
    check "s390x: the stream has storage attributes and keys" \
        grep -aq 's390-storage_attributes' "$tmp/s390x.mig"
    roundtrip s390x
fi
stream_xbzrle
if [ $? != 2 ]; then
    roundtrip xbzrle
else
    ok "xbzrle: # SKIP gcc -m32 cannot build the guest"
fi

# QEMU loads an edited stream. The guest never runs (-S), so its RAM is
# zero pages: the edited byte turns one of them into a data page.
EDIT="-M pc-i440fx-7.2 -m 64 -S"
mkstream edit "$(MIG edit)" qemu-system-x86_64 $EDIT
if "$V" unpack "$tmp/edit.mig" "$tmp/edit.d" 2>"$tmp/err" &&
   python3 "$VMS_SRCDIR/tests/integration/unpacked-imr.py" "$tmp/edit.d" \
       pc.ram 0x123457 0xa7 2>>"$tmp/err"
then
    ok "edit: unpacked and edited"
else
    not_ok "edit: unpacked and edited"
    sed 's/^/# /' "$tmp/err" | head -5
fi
if "$V" pack "$tmp/edit.d" "$tmp/edited.mig" 2>"$tmp/err"; then
    ok "edit: packed"
else
    not_ok "edit: packed"
    sed 's/^/# /' "$tmp/err" | head -5
fi
sock=$tmp/in.sock
qemu-system-x86_64 $BASE $EDIT -monitor "unix:$sock,server=on,wait=off" \
    -incoming "exec:cat $tmp/edited.mig" >"$tmp/in.log" 2>&1 &
pid=$!
pids="$pids $pid"
timeout 60 python3 "$HMP" "$sock" WAITMIG "info pic" "xp /1bx 0x123457" \
    "xp /1bx 0x123456" quit >"$tmp/in.hmp" 2>&1
wait "$pid" 2>/dev/null
check "edit: QEMU loaded the edited stream" \
    grep -q 'WAITMIG: completed' "$tmp/in.hmp"
check "edit: info pic shows the new imr (pic0 imr=5a)" \
    grep -q 'pic0: .*imr=5a' "$tmp/in.hmp"
check "edit: xp shows the new RAM byte" \
    grep -q '0000000000123457: 0xa7' "$tmp/in.hmp"
check "edit: its neighbour is unchanged" \
    grep -q '0000000000123456: 0x00' "$tmp/in.hmp"
if ! grep -q 'imr=5a' "$tmp/in.hmp"; then
    sed 's/^/# /' "$tmp/in.hmp" "$tmp/in.log" | head -20
fi
done_testing
