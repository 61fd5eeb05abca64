#!/usr/bin/env bash
# The two caps that only inputs of hundreds of MiB reach, on a real engine
# stream (vmstate demo): a JSON description of exactly VMS_LIMIT_VMDESC_SIZE
# is found and decoded, from a file and from a pipe alike, one byte more is
# not (an error naming the cap); a pipe whose device state after the RAM
# exceeds VMS_LIMIT_STREAM_TAIL is refused with the cap's name and offset
# before more than the cap is held in memory.
. "$(dirname "$0")/tap.sh"
set -u
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
V=$VMSTATE
"$V" demo --ram 4 --stream "$t/d.mig" --dump "$t/dump.json" ||
    { not_ok "demo writes a stream"; done_testing; }
"$V" analyze -f "$t/d.mig" >"$t/ref.json" || not_ok "reference decode"
# The vmdesc padded with blanks inside its braces to SIZE bytes: the same
# description, so the same decode.
python3 "$VMS_SRCDIR/tests/integration/limits-big-pad.py" "$t" || not_ok "padded streams written"
"$V" analyze -f "$t/cap.mig" >"$t/cap.json" 2>"$t/err"
check "64 MiB vmdesc, file: decoded like the original" cmp -s "$t/ref.json" "$t/cap.json"
"$V" analyze -f - <"$t/cap.mig" >"$t/cap.json" 2>"$t/err"
check "64 MiB vmdesc, stdin file: decoded like the original" cmp -s "$t/ref.json" "$t/cap.json"
cat "$t/cap.mig" | "$V" analyze -f - >"$t/cap.json" 2>"$t/err"
check "64 MiB vmdesc, pipe: decoded like the original" cmp -s "$t/ref.json" "$t/cap.json"
for how in file pipe; do
    if [ $how = file ]; then
        "$V" analyze -f "$t/over.mig" >"$t/out" 2>"$t/err"
    else
        cat "$t/over.mig" | "$V" analyze -f - >"$t/out" 2>"$t/err"
    fi
    rc=$?
    check "64 MiB + 1 vmdesc, $how: exit 1" [ $rc -eq 1 ]
    check "64 MiB + 1 vmdesc, $how: one line naming the cap and offset" \
        grep -q "^vmstate analyze: .*: offset 0x[0-9a-f]*: .*VMS_LIMIT_VMDESC_SIZE" "$t/err"
    check "64 MiB + 1 vmdesc, $how: one line" [ "$(wc -l <"$t/err")" -eq 1 ]
done
# verify answers as QEMU does, which ignores everything after the end
# marker: the stream loads, and verify says it read no description there.
"$V" verify "$t/over.mig" --dest "$t/dump.json" >"$t/out" 2>"$t/err"
rc=$?
sed "s/^/# /" "$t/err" "$t/out"
check "64 MiB + 1 vmdesc: verify answers as QEMU, which loads it (exit $rc)" [ $rc -eq 0 ]
check "64 MiB + 1 vmdesc: verify's warning names the cap, its value and the offsets" \
    grep -q "^The JSON description at offset 0x[0-9a-f]* (after the end marker at offset 0x[0-9a-f]*) is 67108865 bytes, over VMS_LIMIT_VMDESC_SIZE (67108864 bytes): not read" "$t/out"
check "64 MiB + 1 vmdesc: not called 'no JSON description'" \
    sh -c "! grep -q 'no JSON description' '$t/out'"
cat "$t/over.mig" | "$V" verify - --dest "$t/dump.json" >"$t/out" 2>"$t/err"
rc=$?
check "64 MiB + 1 vmdesc, pipe: verify exit 0 and the same warning" \
    sh -c "[ $rc -eq 0 ] && grep -q 'is 67108865 bytes, over VMS_LIMIT_VMDESC_SIZE (67108864 bytes): not read' '$t/out'"
"$V" unpack "$t/over.mig" "$t/u" >"$t/out" 2>"$t/err"
rc=$?
check "64 MiB + 1 vmdesc: unpack exit 1, naming the cap, its value and the offset" \
    sh -c "[ $rc -eq 1 ] && grep -q '^vmstate unpack: .*over.mig: offset 0x[0-9a-f]*: the JSON description after the EOF record is 67108865 bytes, over VMS_LIMIT_VMDESC_SIZE (67108864 bytes)' '$t/err' && [ ! -e '$t/u' ]"
"$V" verify "$t/cap.mig" --dest "$t/dump.json" >"$t/out" 2>"$t/err"
check "64 MiB vmdesc: verify accepts the stream" [ $? -eq 0 ]

# 257 MiB after a real stream, through a pipe: the device state after the
# RAM is held in memory to find the vmdesc at its end, up to the cap.
{ cat "$t/d.mig"; head -c $((257 << 20)) /dev/zero; } |
    /usr/bin/time -f "%M" -o "$t/rss" "$V" analyze -f - >"$t/out" 2>"$t/err"
rc=$?
check "pipe tail over VMS_LIMIT_STREAM_TAIL: exit 1" [ $rc -eq 1 ]
check "pipe tail: one line naming the cap, stdin and the offset" \
    grep -q "^vmstate analyze: -: offset 0x[0-9a-f]*: .*VMS_LIMIT_STREAM_TAIL" "$t/err"
rss=$(tail -1 "$t/rss")
# AddressSanitizer's shadow and quarantine more than double a heap this
# size; the bound is the plain build's.
limit=$((384 << 10))
case ${VMS_SANITIZE:-none} in none|'') ;; *) limit=$((limit * 2)) ;; esac
check "pipe tail: peak RSS ${rss} KB stays under $((limit >> 10)) MiB" [ "$rss" -lt "$limit" ]
check "pipe tail: nothing on stdout" [ ! -s "$t/out" ]
{ cat "$t/d.mig"; head -c $((257 << 20)) /dev/zero; } |
    "$V" verify - --dest "$t/dump.json" >"$t/out" 2>"$t/err"
rc=$?
check "pipe tail, verify: exit $rc != 0, the cap named" \
    grep -q "VMS_LIMIT_STREAM_TAIL" "$t/err"
done_testing
