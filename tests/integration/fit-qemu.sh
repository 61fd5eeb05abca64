#!/usr/bin/env bash
# The fit proof for borrowed descriptions (vms_stream_require_fit), on
# streams QEMU makes now. A description that is not the stream's own
# (analyze --desc) must show that every section ends where a record
# starts and that the stream ends at its end marker:
# - each stream of QEMU 7.2 (x86_64 pc and q35, aarch64, ppc64, s390x)
#   and QEMU 10.0 (x86_64), with its description cut off, decodes through
#   its own '-d desc' exactly as with it (no false misfit);
# - the description of another machine or architecture fails in one line
#   naming a section and how to make one that fits;
# - an old machine type (pc-i440fx-2.0, no description, no footers) decodes
#   through its suppress-vmdesc=off twin's and fails through 7.2's.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
Q10=/var/cache/vmstate-qemu/10.0/bin/qemu-system-x86_64

names=()
for n in pc q35 aarch64 ppc64 s390x old olddesc; do
    case $n in
    aarch64|ppc64|s390x)
        command -v qemu-system-$n >/dev/null || { echo "# no qemu-system-$n"; continue; } ;;
    esac
    if stream_$n; then names+=("$n"); else not_ok "QEMU 7.2 made the $n stream"; fi
done
if [ -x "$Q10" ] && mkstream q10 "$(MIG q10)" "$Q10" -M pc-i440fx-10.0 -m 128; then
    names+=(q10)
else
    echo "# QEMU 10.0 missing or failed ($Q10)"
fi
have() { [ -s "$tmp/$1.mig" ]; }

# NAME.desc.json and NAME.cut.mig: the description and the stream without it.
for n in "${names[@]}"; do
    [ "$n" = old ] && continue
    "$V" analyze -d desc "$tmp/$n.mig" >"$tmp/$n.desc.json" 2>/dev/null
    python3 "$VMS_SRCDIR/tests/integration/vmdesc_cut.py" "$tmp/$n.mig" \
        "$tmp/$n.cut.mig"
done

for n in "${names[@]}"; do
    [ "$n" = old ] && continue
    "$V" analyze "$tmp/$n.mig" >"$tmp/own.json" 2>/dev/null
    "$V" analyze --desc "$tmp/$n.desc.json" "$tmp/$n.cut.mig" >"$tmp/borrowed.json" 2>"$tmp/err"
    rc=$?
    if [ $rc = 0 ] && cmp -s "$tmp/own.json" "$tmp/borrowed.json"; then
        ok "$n: its own description, borrowed, fits: the same output"
    else
        not_ok "$n: its own description, borrowed, fits: the same output (exit $rc)"
        sed 's/^/# /' "$tmp/err" | head -3
    fi
done

# misfit CUT DESC WHAT: exit 1, one line naming a section, with the advice.
misfit() {
    "$V" analyze --desc "$tmp/$2.desc.json" "$tmp/$1" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    local lines
    lines=$(grep -v ': warning: ' "$tmp/err")
    if [ $rc = 1 ] && [ "$(printf '%s\n' "$lines" | wc -l)" = 1 ] &&
        printf '%s\n' "$lines" | grep -q "section '.*' (record at 0x[0-9a-f]*) does not fit the borrowed description: .*suppress-vmdesc=off write a twin stream whose '-d desc' fits"; then
        ok "$3: refused, naming the first section that does not fit"
    else
        not_ok "$3: refused, naming the first section that does not fit (exit $rc)"
        sed 's/^/# /' "$tmp/err" | head -3
    fi
}
pairs="pc:q35 q35:pc pc:aarch64 aarch64:s390x s390x:ppc64 ppc64:aarch64 aarch64:pc olddesc:pc"
for p in $pairs; do
    a=${p%%:*} d=${p#*:}
    have "$a" && have "$d" || continue
    misfit "$a.cut.mig" "$d" "$a stream through $d's description"
done

# The old machine type: no description and no footers.
if have old && have olddesc && have pc; then
    "$V" analyze --desc "$tmp/olddesc.desc.json" "$tmp/old.mig" >"$tmp/out" 2>"$tmp/err"
    same "pc-i440fx-2.0 through its suppress-vmdesc=off twin's description: exit 0" \
        "0:" "$?:$(cat "$tmp/err")"
    misfit old.mig pc "pc-i440fx-2.0 through pc-i440fx-7.2's description"
    check "... and the advice names no machine it cannot know" \
        grep -q -- "-M <its machine type>,suppress-vmdesc=off" "$tmp/err"
    misfit old.mig q35 "pc-i440fx-2.0 through q35's description"
fi
done_testing
