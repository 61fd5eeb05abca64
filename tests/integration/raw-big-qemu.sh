#!/usr/bin/env bash
# A device section larger than the reader's 1 MiB window that no
# description decodes, in a stream without JSON description: ppc64
# pseries' spapr_iommu (a 2 MiB TCE table for the default 1 GiB DMA
# window; hw/ppc/spapr_iommu.c registers it with vmstate_register, outside
# any device class, so no -dump-vmstate describes it), saved by QEMU 7.2
# with -M pseries-7.2,suppress-vmdesc=on and read with its --dump-vmstate.
# Its footer bounds it (unpack and convert stopped at the window: "more
# than the 1048576 that can be held"); unpack/pack and convert to JSON and
# BER and back give the stream back byte for byte, analyze prints it.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
command -v qemu-system-ppc64 >/dev/null || skip_all "qemu-system-ppc64 missing"

mkstream ppc "$(MIG ppc)" qemu-system-ppc64 -M pseries-7.2,suppress-vmdesc=on -m 256 ||
    { not_ok "QEMU 7.2 saves a pseries-7.2 stream without description"; done_testing; }
qemu-system-ppc64 -M pseries-7.2 -nodefaults -display none \
    -dump-vmstate "$tmp/dump.json" >/dev/null 2>&1
S=$tmp/ppc.mig
big=$(python3 "$VMS_SRCDIR/tests/integration/raw-big-size.py" "$S")
check "the stream's spapr_iommu section is over 1 MiB ($big bytes)" [ "${big:-0}" -gt 1048576 ]

"$V" unpack "$S" "$tmp/u" --dump-vmstate "$tmp/dump.json" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/err" | grep -v warning | head -3
check "unpack --dump-vmstate: exit 0 (was: over the 1 MiB window)" [ $rc -eq 0 ]
"$V" pack "$tmp/u" "$tmp/packed.mig" 2>"$tmp/err"
check "pack gives the stream back byte for byte" cmp -s "$S" "$tmp/packed.mig"
for to in json ber; do
    "$V" convert "$S" "$tmp/c.$to" --to $to --dump-vmstate "$tmp/dump.json" 2>"$tmp/err"
    rc=$?
    check "convert --to $to --dump-vmstate: exit 0" [ $rc -eq 0 ]
    "$V" convert "$tmp/c.$to" "$tmp/back.$to.mig" --to wire --dump-vmstate "$tmp/dump.json" 2>"$tmp/err"
    check "... and back to wire, byte for byte" cmp -s "$S" "$tmp/back.$to.mig"
done
"$V" analyze -f "$S" --dump-vmstate "$tmp/dump.json" >"$tmp/a.json" 2>"$tmp/err"
rc=$?
check "analyze --dump-vmstate: exit 0, spapr_iommu printed whole as raw bytes" \
    python3 "$VMS_SRCDIR/tests/integration/raw-big-analyze.py" "$tmp/a.json" "$rc" "$big"
done_testing
