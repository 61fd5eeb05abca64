#!/usr/bin/env bash
# libvirt 'sparse' save images (format 6): QEMU 10.0's mapped-ram stream
# written into the image after libvirt's head, made here as libvirt makes
# one (libvirt-sparse.py writes the header with the unfinished magic, the
# XML, the cookie and 64 KiB of zeros; QEMU 10.0 migrates a stopped guest
# with mapped-ram on to "file:IMG,offset=N", N = 92 + data_len, the offset
# libvirt gives it; then the magic is marked finished). mapped-ram records
# its bitmap and pages offsets from the file's first byte, so the image's
# differ from a bare stream's by the shift N (and by QEMU's 1 MiB
# alignment of the pages); analyze's outputs hold no such offsets, so they
# are compared as they are. Checked: info says libvirt + sparse; analyze,
# analyze -m and analyze -x of the image equal those of a bare mapped-ram
# migration of the same stopped guest; QEMU 10.0 loads the image at N;
# core of the image equals core of the bare stream, diff finds nothing
# between them, verify says the same of both; unpack then pack gives the
# image back byte for byte. Refused, each one line, exit 1, no output: a
# pipe, an image cut short, pages before the stream's start, convert (it
# would move the pages away from their recorded offsets), a pack whose XML
# outgrew data_len or whose container.json is gone (the stream would move).
. "$(dirname "$0")/tap.sh"
set -u
[ "${VMS_QEMU_TESTS:-1}" = 1 ] || skip_all "QEMU tests disabled"
HMP=${VMS_SHARED:-}/testdata/streams/hmp.py
[ -f "$HMP" ] || skip_all "no hmp.py in shared test data (set VMS_SHARED)"
Q=${VMSTATE_QEMU_DIR:-/var/cache/vmstate-qemu}/10.0/bin/qemu-system-x86_64
[ -x "$Q" ] || skip_all "QEMU 10.0 missing ($Q; scripts/qemu-versions.sh)"
V=$VMSTATE
SP="python3 $VMS_SRCDIR/tests/integration/libvirt-sparse.py"
scratch

# guest NAME HMP-COMMANDS...: a QEMU 10.0 guest (-S: it never runs; fixed
# seed and RTC base, so two of them hold the same state), driven over HMP
# until it quits; its messages in $tmp/NAME.log.
guest() {
    local name=$1 sock=$tmp/$1.sock
    shift
    "$Q" -accel tcg -nodefaults -display none -S -seed 1 \
        -rtc base=2020-01-01T00:00:00,clock=vm -M pc-i440fx-10.0 -m 64 \
        -monitor "unix:$sock,server=on,wait=off" "${EXTRA[@]}" \
        >"$tmp/$name.qemu.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 120 python3 "$HMP" "$sock" "$@" quit >"$tmp/$name.log" 2>&1
    wait "$pid" 2>/dev/null
}

IMG=$tmp/img.save BARE=$tmp/bare.mig
N=$($SP begin "$IMG")
EXTRA=()
guest save "migrate_set_capability mapped-ram on" \
    "migrate \"file:$IMG,offset=$N\"" WAITMIG
$SP end "$IMG"
guest bare "migrate_set_capability mapped-ram on" "migrate \"file:$BARE\"" \
    WAITMIG
grep -q "WAITMIG: completed" "$tmp/save.log" &&
    grep -q "WAITMIG: completed" "$tmp/bare.log" ||
    { echo "Bail out! QEMU 10.0's mapped-ram migrations failed"; exit 1; }

info=$("$V" info "$IMG" 2>&1)
same "info: a libvirt image, compression sparse, its stream at $N" \
    "libvirt|sparse|$N" \
    "$(printf '%s\n' "$info" | sed -n 's/^container: //p; s/^compression: //p; s/^stream offset: //p' | paste -sd'|')"
"$V" info --format json "$IMG" >"$tmp/info.json" 2>"$tmp/err"
check "info --format json: container libvirt, compression sparse" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=json.dumps(d); assert "\"libvirt\"" in s and "\"sparse\"" in s, s' "$tmp/info.json"

for m in "" -m; do
    "$V" analyze $m "$BARE" >"$tmp/bare$m.json" 2>"$tmp/err"
    "$V" analyze $m "$IMG" >"$tmp/img$m.json" 2>>"$tmp/err"
    same_bytes "analyze $m: the image's state is the bare stream's" \
        "$tmp/bare$m.json" "$tmp/img$m.json"
done
check "analyze -m holds the pages (over 300 kB more than without -m)" \
    [ "$(stat -c %s "$tmp/img-m.json")" -gt $(($(stat -c %s "$tmp/img.json") + 300000)) ]
mkdir "$tmp/xb" "$tmp/xi"
"$V" analyze -q -x -C "$tmp/xb" "$BARE" && "$V" analyze -q -x -C "$tmp/xi" "$IMG"
check "analyze -x: the same files (pc.ram 64 MiB) as the bare stream" \
    sh -c "diff -r '$tmp/xb' '$tmp/xi' && [ \$(stat -c %s '$tmp/xi/pc.ram') = 67108864 ]"

# What libvirt hands QEMU on restore: the image's fd at offset N.
load() {
    EXTRA=(-incoming defer)
    guest "$1" "migrate_set_capability mapped-ram on" \
        "migrate_incoming \"file:$2,offset=$3\"" WAITMIG "info status"
    EXTRA=()
    grep -q "WAITMIG: completed" "$tmp/$1.log"
}
check "QEMU 10.0 loads the image (migrate_incoming file:IMG,offset=$N)" \
    load load "$IMG" "$N"

"$V" core "$BARE" -o "$tmp/bare.core" 2>"$tmp/err"
"$V" core "$IMG" -o "$tmp/img.core" 2>>"$tmp/err"
same_bytes "core: the image's ELF core is the bare stream's" \
    "$tmp/bare.core" "$tmp/img.core"
"$V" diff "$IMG" "$BARE" >"$tmp/diff.out" 2>&1
rc=$?
same "diff image bare: no difference (exit 0, nothing printed)" "0|" \
    "$rc|$(cat "$tmp/diff.out")"
"$Q" -M pc-i440fx-10.0 -dump-vmstate "$tmp/dest.json" >/dev/null 2>&1
"$V" verify "$BARE" --dest "$tmp/dest.json" >"$tmp/vb.txt" 2>&1
echo "rc=$?" >>"$tmp/vb.txt"
"$V" verify "$IMG" --dest "$tmp/dest.json" >"$tmp/vi.txt" 2>&1
echo "rc=$?" >>"$tmp/vi.txt"
cp "$tmp/vb.txt" "$tmp/err"
same_bytes "verify --dest: the image's report is the bare stream's" \
    "$tmp/vb.txt" "$tmp/vi.txt"

"$V" unpack "$IMG" "$tmp/u" 2>"$tmp/err" &&
    "$V" pack "$tmp/u" "$tmp/packed.save" 2>>"$tmp/err"
same_bytes "unpack then pack: the image byte for byte" "$IMG" "$tmp/packed.save"
check "unpack keeps the format: container.json says sparse" \
    grep -q '"compression": "sparse"' "$tmp/u/container.json"
"$V" unpack "$BARE" "$tmp/ub" 2>"$tmp/err" &&
    "$V" pack "$tmp/ub" "$tmp/packed.mig" 2>>"$tmp/err"
same_bytes "unpack then pack of the bare stream: byte for byte" \
    "$BARE" "$tmp/packed.mig"

# Refused: one line, exit 1, no output.
cat "$IMG" | "$V" analyze - >"$tmp/out" 2>"$tmp/err"
one_error "from a pipe: read it from a file" 1 $? \
    "^vmstate analyze: -: offset 0x1c: .*'sparse'.*file offsets.*not a pipe" \
    "$tmp/out"
bad_x() {
    rm -rf "$tmp/bx" && mkdir "$tmp/bx"
    "$V" analyze -q -x -C "$tmp/bx" "$2" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ -e "$tmp/bx/state.json" ] && echo "state.json" >>"$tmp/out"
    one_error "$1" 1 $rc "$3" "$tmp/out"
}
head -c $((N + 300000)) "$IMG" >"$tmp/cut.save"
bad_x "an image cut short: pages beyond the end of the file" "$tmp/cut.save" \
    "cut.save \(its sparse stream\): offset 0x[0-9a-f]+: mapped-ram regions of block 'pc.ram' lie beyond the end of the file"
$SP early "$IMG" "$tmp/early.save"
bad_x "pages_offset before the stream's start: named with both offsets" \
    "$tmp/early.save" \
    "early.save \(its sparse stream\): offset 0x[0-9a-f]+: mapped-ram pages of block 'pc.ram' at file offset 0x1000, before the stream's start \(file offset 0x$(printf %x "$N")\)"
"$V" convert "$IMG" "$tmp/conv.mig" --to wire >"$tmp/out" 2>"$tmp/err"
rc=$?
[ -e "$tmp/conv.mig" ] && echo conv.mig >>"$tmp/out"
one_error "convert: refused (the pages would not be where the stream says)" \
    1 $rc "img.save: offset 0x1c: .*'sparse'.*unpack and pack keep the image" \
    "$tmp/out"
cp -r "$tmp/u" "$tmp/u2"
python3 -c 'import sys; p=sys.argv[1]; s=open(p).read(); open(p,"w").write(s.replace("</domain>", "<!--" + "x" * 70000 + "--></domain>"))' "$tmp/u2/domain.xml"
"$V" pack "$tmp/u2" "$tmp/grown.save" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ -e "$tmp/grown.save" ] && echo grown.save >>"$tmp/out"
one_error "pack: an XML that outgrew data_len is refused (the pages cannot move)" \
    1 $rc "no longer fit in the 'sparse' image's data_len \(65747\)" "$tmp/out"
rm "$tmp/u2/container.json" && cp "$tmp/u/domain.xml" "$tmp/u2/domain.xml"
"$V" pack "$tmp/u2" "$tmp/moved.mig" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ -e "$tmp/moved.mig" ] && echo moved.mig >>"$tmp/out"
one_error "pack without container.json: the stream would move, refused" \
    1 $rc "mapped-ram header of block 'pc.ram' has its bitmap at file offset 0x[0-9a-f]+, but pack writes it at 0x[0-9a-f]+" \
    "$tmp/out"
done_testing
