#!/usr/bin/env bash
# vmstate diff on the real QEMU streams in ../shared: every stream equals
# itself (exit 0, nothing printed), QEMU 7.2 against 10.0 lists what only
# one side has, the values are analyze's, and bad input is exit 2 with one
# line naming the file and nothing on stdout.
. "$(dirname "$0")/tap.sh"
set -u
shared_data streams ref
scratch
V=$VMSTATE

for mig in "$S"/*.mig; do
    name=$(basename "$mig" .mig)
    case $name in *-old) continue ;; esac
    "$V" diff "$mig" "$mig" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" = 0 ] && ! [ -s "$tmp/out" ]; then
        ok "$name: equal to itself, exit 0, no output"
    else
        not_ok "$name: equal to itself, exit 0, no output (rc $rc)"
        sed 's/^/# /' "$tmp/err" "$tmp/out" | head -5
    fi
done

D72=$S/x86_64-pc-i440fx-devices.mig
D10=$S/qemu10.0-x86_64-pc-i440fx-devices.mig
"$V" diff "$D72" - <"$D72" >"$tmp/out" 2>"$tmp/err"
same "a stream equals itself read from a pipe" "0:" "$?:$(cat "$tmp/out")"

"$V" diff "$D72" "$D10" >"$tmp/out" 2>"$tmp/err"
same "7.2 vs 10.0: exit 1" 1 $?
# QEMU 8.x renamed hpet's num_timers field and added globalstate's
# vm_was_suspended (10.0 sends it, 7.2 does not know it).
check "7.2 vs 10.0: a field only 7.2 has is listed" \
    grep -qx 'only in A: hpet.num_timers = "0x03"' "$tmp/out"
check "7.2 vs 10.0: a field only 10.0 has is listed" \
    grep -q '^only in B: globalstate.vm_was_suspended = ' "$tmp/out"
check "7.2 vs 10.0: RAM pages differ (firmware)" \
    grep -q '^ram: pc.ram: [0-9]* pages differ (of 16384); first: 0x' "$tmp/out"
"$V" diff "$D10" "$D72" >"$tmp/rev" 2>/dev/null
check "10.0 vs 7.2: the same differences, sides swapped" \
    grep -qx 'only in B: hpet.num_timers = "0x03"' "$tmp/rev"

"$V" diff "$S/aarch64-virt-a57.mig" "$D72" >"$tmp/arch" 2>/dev/null
check "aarch64 vs x86_64: a section only A has is listed" \
    grep -qx "only in A: section 'pl011' instance 0 version 2" "$tmp/arch"
check "aarch64 vs x86_64: a section only B has is listed" \
    grep -qx "only in B: section '0000:00:02.0/e1000' instance 0 version 2" "$tmp/arch"
check "aarch64 vs x86_64: a version difference is listed" \
    grep -qx "version: cpu: 22 != 12" "$tmp/arch"

# Values are analyze's: the RTC base of both, as analyze prints them.
a=$("$V" analyze "$D72" | python3 "$VMS_SRCDIR/tests/integration/rtc-base.py")
b=$("$V" analyze "$D10" | python3 "$VMS_SRCDIR/tests/integration/rtc-base.py")
check "values are rendered as analyze prints them" \
    grep -qxF "mc146818rtc.base_rtc: $a != $b" "$tmp/out"

"$V" diff --format json "$D72" "$D10" >"$tmp/json" 2>"$tmp/err"
rc=$?
check "--format json: exit 1 and a document agreeing with the text" \
    python3 "$VMS_SRCDIR/tests/integration/diff-json.py" "$tmp/json" "$rc" "$tmp/out"
"$V" diff --ram none "$D72" "$D10" >"$tmp/none" 2>/dev/null
check "--ram none: no page comparison" bash -c "! grep -q '^ram:' '$tmp/none'"
"$V" diff --ram pages "$D72" "$D10" >"$tmp/pages" 2>/dev/null
n=$(grep -c '^ram: pc.ram: 0x' "$tmp/pages")
m=$(sed -n 's/^ram: pc.ram: \([0-9]*\) pages differ.*/\1/p' "$tmp/out")
same "--ram pages lists as many pages as the summary counts" "$m" "$n"

# Errors: exit 2, one line on stderr naming the file, nothing on stdout.
bad() {
    local what=$1
    shift
    "$V" diff "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" = 2 ] && ! [ -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ]
    then
        ok "$what: exit 2, one line on stderr"
    else
        not_ok "$what: exit 2, one line on stderr (rc $rc)"
        sed 's/^/# /' "$tmp/err" | head -3
    fi
}
head -c 1000000 "$D72" >"$tmp/trunc.mig"
bad "truncated stream" "$D72" "$tmp/trunc.mig"
check "truncated stream: the message names the file and an offset" \
    grep -q "trunc.mig: offset 0x" "$tmp/err"
bad "missing file" "$D72" "$tmp/nope.mig"
bad "not a stream" "$D72" "$S/ref/x86_64-pc-i440fx-devices.state.json"
bad "old stream without a description" "$S/x86_64-pc-i440fx-2.0-old.mig" "$D72"
bad "one operand" "$D72"
bad "bad --ram" --ram all "$D72" "$D72"
bad "both from standard input" - - </dev/null
done_testing
