#!/usr/bin/env bash
# vmstate verify against real QEMU 7.2: what verify accepts loads with
# -incoming "exec:cat FILE", and what it rejects fails to load for the
# reason it gave (QEMU 10.0's stream: machine type; a section version
# raised; a subsection renamed).
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"

DEV="-netdev user,id=n0 -device e1000,netdev=n0 -device virtio-net-pci
     -device usb-ehci,id=ehci -device usb-tablet,bus=ehci.0
     -chardev null,id=s0 -device isa-serial,chardev=s0 -device ahci,id=ahci0"
PC="qemu-system-x86_64 -M pc-i440fx-7.2 -m 64"
qemu-system-x86_64 $BASE -M pc-i440fx-7.2 -dump-vmstate "$tmp/d72.json" \
    >/dev/null 2>&1
[ -s "$tmp/d72.json" ] || skip_all "QEMU 7.2 wrote no -dump-vmstate"
mkstream pc "$(MIG pc)" $PC $DEV || {
    not_ok "QEMU made a stream"
    done_testing
    exit
}

# verify STREAM: its stdout in $tmp/out, exit status in $rc.
verify() {
    "$V" verify "$1" --dest "$tmp/d72.json" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

verify "$tmp/pc.mig"
same "7.2 stream vs 7.2's dump: 0 findings, exit 0" "0:" "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
same "... and it says what it did not verify (no dump describes them)" \
    "ram timer slirp cpu_common cpu apic PCIBUS ide i2c_bus acpi_build globalstate" \
    "$(sed -n 's/^Section "\([^"]*\)".*: not verified: .*/\1/p' "$tmp/out" | tr '\n' ' ' | sed 's/ $//')"
"$V" verify --strict "$tmp/pc.mig" --dest "$tmp/d72.json" >/dev/null 2>&1
same "... which --strict counts as findings" 11 "$?"
check "... and QEMU 7.2 loads it" loads pc "$tmp/pc.mig" $PC $DEV

# QEMU 10.0's stream (pc-i440fx-10.0, same devices).
S10=$VMS_SHARED/testdata/streams/qemu10.0-x86_64-pc-i440fx-devices.mig
if [ -f "$S10" ]; then
    verify "$S10"
    check "10.0 stream vs 7.2's dump: rejected (exit >= 1)" test "$rc" -ge 1
    check "... for its machine type" grep -qx \
        'Machine type "pc-i440fx-10.0" in the stream, DEST is "pc-i440fx-7.2"' "$tmp/out"
    if loads p10 "$S10" $PC $DEV; then
        not_ok "... and QEMU 7.2 refuses it"
    else
        check "... and QEMU 7.2 refuses it for that reason" grep -q \
            "Machine type received is 'pc-i440fx-10.0' and local is 'pc-i440fx-7.2'" \
            "$tmp/p10.load.log"
    fi
else
    ok "10.0 stream: # SKIP not in shared test data"
fi

# A 7.2 stream with an am53c974 SCSI card and an e1000e, against QEMU
# 10.0's dump of the same machine type: esp's description gained a
# "drq_state" field that is read unconditionally (no version or test), so
# 10.0 reads a byte a 7.2 stream does not send. e1000e's renames and
# unused bytes cover the same wire bytes and are not findings.
D10=$VMS_SHARED/testdata/checker/qemu10.0-x86_64-pc-i440fx-7.2.json
SCSI="-device am53c974 -netdev user,id=n1 -device e1000e,netdev=n1"
if [ -f "$D10" ] && mkstream scsi "$(MIG scsi)" $PC $SCSI; then
    verify "$tmp/scsi.mig"
    same "am53c974 + e1000e stream vs 7.2's dump: 0 findings" "0:" \
        "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
    check "... and QEMU 7.2 loads it" loads scsi "$tmp/scsi.mig" $PC $SCSI
    "$V" verify "$tmp/scsi.mig" --dest "$D10" >"$tmp/out" 2>"$tmp/err"
    same "... vs 10.0's dump of pc-i440fx-7.2: esp's new field" \
        '1:Section "0000:00:02.0/pciespscsi" Description "esp": DEST reads field "drq_state" that the stream does not send' \
        "$?:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
else
    ok "am53c974 stream: # SKIP no 10.0 dump in shared data or no stream"
fi

# The 7.2 stream edited: hpet's section version 2 -> 3; e1000's subsection
# "e1000/mit_state" renamed (in the data and in the vmdesc alike).
python3 "$VMS_SRCDIR/tests/integration/hpet-version.py" "$tmp/pc.mig" "$tmp/ver.mig" "$tmp/sub.mig"
verify "$tmp/ver.mig"
same "hpet version 3: one finding, exit 1" \
    '1:Section "hpet": version 3 is newer than DEST'"'"'s "hpet" (version_id 2)' \
    "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
if loads ver "$tmp/ver.mig" $PC $DEV; then
    not_ok "... and QEMU 7.2 refuses it"
else
    check "... and QEMU 7.2 refuses it for that reason" grep -q \
        "unsupported version 3 for 'hpet' v2" "$tmp/ver.load.log"
fi
verify "$tmp/sub.mig"
same "unknown subsection: one finding, exit 1" \
    '1:Section "0000:00:02.0/e1000" Description "e1000": subsection "e1000/mit_statx" is unknown to DEST' \
    "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
if loads sub "$tmp/sub.mig" $PC $DEV; then
    not_ok "... and QEMU 7.2 refuses it"
else
    check "... and QEMU 7.2 refuses it for that section" grep -q \
        "error while loading state for instance 0x0 of device '0000:00:02.0/e1000'" \
        "$tmp/sub.load.log"
fi
"$V" verify --format json "$tmp/sub.mig" --dest "$tmp/d72.json" >"$tmp/json"
check "--format json: the checker's document with the finding" \
    python3 "$VMS_SRCDIR/tests/integration/verify-qemu-json.py" "$tmp/json"

# A machine without a vmdesc: said so, the headers still checked.
mkstream old "$(MIG old)" qemu-system-x86_64 -M pc-i440fx-2.0 -m 64
qemu-system-x86_64 $BASE -M pc-i440fx-2.0 -dump-vmstate "$tmp/d20.json" \
    >/dev/null 2>&1
"$V" verify "$tmp/old.mig" --dest "$tmp/d20.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
same "no vmdesc: said so, 0 findings, exit 0" \
    "0:The stream has no JSON description (old machine type or suppress-vmdesc): only section names and versions verified" \
    "$rc:$(grep -v ": not verified: " "$tmp/out"; cat "$tmp/err")"
check "... and QEMU 7.2 loads it" loads old "$tmp/old.mig" \
    qemu-system-x86_64 -M pc-i440fx-2.0 -m 64
# suppress-vmdesc on a current machine: footers, but no vmdesc either.
mkstream sup "$(MIG sup)" qemu-system-x86_64 \
    -M pc-i440fx-7.2,suppress-vmdesc=on -m 64 $DEV
"$V" verify -v "$tmp/sup.mig" --dest "$tmp/d72.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "suppress-vmdesc: said so, every section found by its header" \
    bash -c "[ $rc = 0 ] && ! [ -s '$tmp/err' ] && grep -q '^The stream has no JSON description' '$tmp/out' && grep -q '^Section \"globalstate\": not verified: no -dump-vmstate describes it' '$tmp/out' && grep -q '^Section \"cpu\": not verified' '$tmp/out'"
# Found by the section headers alone: hpet's version raised.
python3 "$VMS_SRCDIR/tests/integration/hpet-version.py" "$tmp/old.mig" "$tmp/oldver.mig"
"$V" verify "$tmp/oldver.mig" --dest "$tmp/d20.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no vmdesc, hpet version 3: found from the headers, exit 1" \
    bash -c "[ $rc = 1 ] && grep -qx 'Section \"hpet\": version 3 is newer than DEST.s \"hpet\" (version_id 2)' '$tmp/out'"
if loads oldver "$tmp/oldver.mig" qemu-system-x86_64 -M pc-i440fx-2.0 -m 64
then
    not_ok "... and QEMU 7.2 refuses it"
else
    check "... and QEMU 7.2 refuses it for that reason" grep -q \
        "unsupported version 3 for 'hpet' v2" "$tmp/oldver.load.log"
fi
done_testing
