#!/usr/bin/env bash
# The one truncation rule (include/vmstate/stream.h), on streams QEMU makes
# now: QEMU 7.2 for x86_64, aarch64, ppc64 and s390x, and QEMU 10.0 for
# x86_64 when its wrapper exists. Each stream is cut before its end marker
# (at pseudo-random offsets, at a section boundary, one byte short of the
# end marker) and inside its JSON description (in its header, in its
# text). analyze, unpack, diff and convert each fail with exit 1 or 2 and
# one line "vmstate CMD: FILE: offset 0x...: truncated: expected ..." and
# never advise --desc. Cut exactly after the end marker, the stream is one
# without a description (what suppress-vmdesc=on writes, which QEMU
# loads): unpack succeeds, analyze asks for a description and says nothing
# of truncation.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
Q10=/var/cache/vmstate-qemu/10.0/bin/qemu-system-x86_64

names=()
stream_pc && names+=(pc) || not_ok "QEMU 7.2 x86_64 made a stream"
for a in aarch64 ppc64 s390x; do
    command -v qemu-system-$a >/dev/null || { echo "# no qemu-system-$a"; continue; }
    stream_$a && names+=($a) || not_ok "QEMU 7.2 $a made a stream"
done
if [ -x "$Q10" ]; then
    mkstream q10 "$(MIG q10)" "$Q10" -M pc-i440fx-10.0 -m 128 $PC_DEVICES &&
        names+=(q10) || not_ok "QEMU 10.0 x86_64 made a stream"
else
    echo "# QEMU 10.0 missing ($Q10): scripts/qemu-versions.sh makes it"
fi

for n in "${names[@]}"; do
python3 "$VMS_SRCDIR/tests/integration/truncated-qemu.py" "$V" "$tmp" "$n"
done > "$tmp/tap"
# Renumber the python parts' lines into this test's plan.
while IFS= read -r line; do
    case $line in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) not_ok "${line#not ok - }" ;;
    *) echo "$line" ;;
    esac
done < "$tmp/tap"
done_testing
