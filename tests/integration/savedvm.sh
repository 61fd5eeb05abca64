#!/usr/bin/env bash
# Saved VMs in the containers people hold them in, built here around a real
# QEMU 7.2 stream (shared test data) as libvirt 9.0 lays them out
# (qemu_saveimage.c: 92-byte header, domain XML, cookie, padding, then the
# stream piped through "gzip -c", "bzip2 -c", "xz -c", "lzop -c" or
# "zstd -c"): analyze of each equals analyze of the bare stream, from a
# file and from a pipe; diff finds nothing between image and stream; and
# every broken container is one line naming the file and offset, exit 1,
# no output file. libvirt-qemu.sh does the same with images real libvirt
# wrote.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/savedvm-lib.sh"
set -u
S=${VMS_SHARED:-}/testdata/streams/x86_64-pc-i440fx-devices.mig
[ -f "$S" ] || skip_all "no shared test data (set VMS_SHARED)"
for p in gzip bzip2 xz lzop zstd python3; do
    command -v $p >/dev/null || skip_all "$p missing (scripts/setup.sh)"
done
V=$VMSTATE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# mkimage STREAM OUT ID [MAGIC] [DATA_LEN_DELTA]: a libvirt image, built
# from the format's description, not from our code.
mkimage() {
    python3 "$VMS_SRCDIR/tests/integration/libvirt-image.py" "$@"
}

"$V" analyze "$S" >"$tmp/ref.json" || { echo "Bail out! bare stream"; exit 1; }
"$V" analyze -m "$S" >"$tmp/ref-m.json"
for c in 0:raw 1:gzip 2:bzip2 3:xz 4:lzop 5:zstd; do
    id=${c%%:*} name=${c#*:}
    mkimage "$S" "$tmp/$name.save" "$id"
    "$V" analyze "$tmp/$name.save" >"$tmp/$name.json" 2>"$tmp/err"
    check "$name image: analyze equals the bare stream's" \
        cmp -s "$tmp/ref.json" "$tmp/$name.json"
    "$V" analyze -m - <"$tmp/$name.save" >"$tmp/$name-m.json" 2>"$tmp/err"
    check "$name image through a pipe: analyze -m equals the bare stream's" \
        cmp -s "$tmp/ref-m.json" "$tmp/$name-m.json"
    check "$name image: diff against the bare stream finds nothing" \
        "$V" diff -q "$tmp/$name.save" "$S"
done
# vmstate info: the header's facts, the XML's three elements, and the
# stream's RAM blocks as in the bare stream's info.
"$V" info --format json "$S" >"$tmp/info-bare.json"
for name in raw gzip lzop; do
    "$V" info --format json "$tmp/$name.save" >"$tmp/info.json" 2>"$tmp/err"
    check "info --format json ($name): container, compression, domain, RAM blocks" \
        python3 "$VMS_SRCDIR/tests/integration/savedvm-info.py" "$tmp/info.json" "$tmp/info-bare.json" "$name"
done
"$V" info "$tmp/raw.save" >"$tmp/info.txt"
check "info text: names the container, the domain and pc.ram" \
    grep -q "^domain name: savedvm-t" "$tmp/info.txt"

# A raw image stays seekable: -x extracts the same RAM files.
mkdir "$tmp/xs" "$tmp/xi"
"$V" analyze -q -x -C "$tmp/xs" "$S" && "$V" analyze -q -x -C "$tmp/xi" "$tmp/raw.save"
check "raw image: -x writes the same files as the bare stream" \
    diff -r "$tmp/xs" "$tmp/xi"

# bad FILE "what" PATTERN: exit 1, one stderr line naming FILE that
# matches PATTERN, and -x leaves no state.json and no temporary file (RAM
# blocks read whole before the damage may stay, as for a bare stream).
bad() {
    local f=$1 what=$2 pat=$3
    rm -rf "$tmp/out" && mkdir "$tmp/out"
    "$V" analyze -q -x -C "$tmp/out" "$f" >/dev/null 2>"$tmp/err"
    local rc=$?
    local n
    n=$(wc -l <"$tmp/err")
    if [ $rc -eq 1 ] && [ "$n" -eq 1 ] && grep -q "$(basename "$f")" "$tmp/err" &&
       grep -Eq "$pat" "$tmp/err" && ! [ -e "$tmp/out/state.json" ] &&
       [ -z "$(ls -A "$tmp/out" | grep -E '^\.|tmp')" ]; then
        ok "$what"
    else
        not_ok "$what"
        echo "# rc=$rc lines=$n"; sed 's/^/# /' "$tmp/err" | head -3
    fi
}
mkimage "$S" "$tmp/part.save" 0 LibvirtQemudPart
bad "$tmp/part.save" "unfinished save (LibvirtQemudPart): says the save did not finish" \
    "offset 0x0: .*save did not finish"
mkimage "$S" "$tmp/long.save" 0 LibvirtQemudSave 100000000
bad "$tmp/long.save" "header data length past the end of the file" \
    "offset 0x14: .*past the end of the file"
mkimage "$S" "$tmp/comp9.save" 9
bad "$tmp/comp9.save" "unknown compression id 9" \
    "offset 0x1c: unknown libvirt compression id 9"
# id 6 (sparse: mapped-ram pages at file offsets) is read from files
# (savedvm-sparse.sh, with QEMU 10.0); from a pipe it cannot be.
mkimage "$S" "$tmp/sparse.save" 6
cat "$tmp/sparse.save" | "$V" analyze - >"$tmp/pipe.out" 2>"$tmp/err"
one_error "compression id 6 (sparse, mapped-ram) from a pipe: refused clearly" \
    1 $? "^vmstate analyze: -: offset 0x1c: .*'sparse'.*not a pipe" "$tmp/pipe.out"
head -c 91 "$tmp/raw.save" >"$tmp/short.save"
bad "$tmp/short.save" "a header cut short" "needs 92 bytes"
# Corrupt compressed data: the offset is in the compressed file.
for name in gzip bzip2 xz lzop zstd; do
    size=$(stat -c %s "$tmp/$name.save")
    python3 "$VMS_SRCDIR/tests/integration/savedvm-corrupt.py" "$tmp/$name.save" "$tmp/$name-bad.save"
    bad "$tmp/$name-bad.save" "$name: corrupt data is refused at an offset of the compressed file" \
        "\(its $name stream\)|offset 0x[0-9a-f]+: corrupt $name data"
    off=$(sed -n 's/.*offset 0x\([0-9a-f]*\): corrupt.*/\1/p' "$tmp/err")
    if [ -n "$off" ] && [ $((16#$off)) -le "$size" ] && [ $((16#$off)) -ge 5000 ]; then
        ok "$name: the corrupt data's offset lies in the compressed file"
    else
        not_ok "$name: the corrupt data's offset lies in the compressed file"
        sed 's/^/# /' "$tmp/err"
    fi
    head -c $((size - 3000)) "$tmp/$name.save" >"$tmp/$name-cut.save"
    bad "$tmp/$name-cut.save" "$name: a cut image says the data ends early" \
        "ends before its end marker|unexpected end"
done
# unpack keeps the container, pack writes it back: per compression, the
# files unpack writes, the image pack writes (raw: byte for byte; others:
# the same header and XML, and the program's own "-dc" gives the stream
# back), and an edited i8259 mask and domain name end up in it.
for name in raw gzip bzip2 xz lzop zstd; do
    d=$tmp/u-$name
    "$V" unpack -q "$tmp/$name.save" "$d" 2>"$tmp/err"
    check "unpack $name image: domain.xml, cookie.xml and container.json as the header says" \
        python3 "$VMS_SRCDIR/tests/integration/savedvm-unpacked.py" "$d" "$tmp/$name.save" "$name"
    "$V" pack -q "$d" "$tmp/p-$name.save" 2>"$tmp/err"
    packed_as "pack of the unedited $name image" "$tmp/$name.save" \
        "$tmp/p-$name.save" "$name" "$S"
    # the edit (raw, and two compressions: zlib's, and lzop's container
    # written here): the first i8259's mask, and the domain's name
    case $name in raw|gzip|lzop) ;; *) continue ;; esac
    sed -i '0,/"imr"/s/"imr": "0x[0-9a-f]*"/"imr": "0x5a"/' "$d/stream.json"
    sed -i 's,<name>savedvm-t</name>,<name>savedvm-edited-with-a-longer-name</name>,' "$d/domain.xml"
    "$V" pack -q "$d" "$tmp/e-$name.save" 2>"$tmp/err"
    "$V" analyze "$tmp/e-$name.save" >"$tmp/e.json" 2>>"$tmp/err"
    "$V" info --format json "$tmp/e-$name.save" >"$tmp/e-info.json" 2>>"$tmp/err"
    check "edited $name image: the new mask in analyze, the new name in info, still $name" \
        python3 "$VMS_SRCDIR/tests/integration/savedvm-edited-info.py" "$tmp/e.json" "$tmp/e-info.json" "$name"
    [ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err" | head -3
done
# An XML too long for data_len: a new data_len with 64 KiB of room, as a
# new libvirt save sizes it; the stream is unchanged.
d=$tmp/u-raw
python3 -c 'import sys; print("<domain type=\"qemu\"><name>big</name>" + "<!-- room -->" * 9000 + "</domain>")' >"$d/domain.xml"
"$V" pack -q "$d" "$tmp/big.save" 2>"$tmp/err"
check "an XML past data_len: data_len = XML + cookie + 64 KiB, the stream intact" \
    python3 "$VMS_SRCDIR/tests/integration/savedvm-big-image.py" "$tmp/big.save" "$d/domain.xml" "$d/cookie.xml" "$tmp/e-raw.save"
# Bad DIR contents: one line naming the file, exit 1, no image written.
packbad() {
    local what=$1 pat=$2
    rm -f "$tmp/bad.save"
    "$V" pack -q "$d" "$tmp/bad.save" 2>"$tmp/err"
    local rc=$? n
    n=$(wc -l <"$tmp/err")
    if [ $rc -eq 1 ] && [ "$n" -eq 1 ] && grep -Eq "$pat" "$tmp/err" &&
       ! [ -e "$tmp/bad.save" ] && [ -z "$(ls -A "$tmp" | grep '^\.')" ]; then
        ok "$what"
    else
        not_ok "$what"
        echo "# rc=$rc lines=$n"; sed 's/^/# /' "$tmp/err" | head -3
    fi
}
printf '<domain><name>x</name>\n' >"$d/domain.xml"
packbad "domain.xml not well-formed: its line and libxml2's reason" \
    "u-raw/domain.xml: line 2.*not well-formed XML"
printf '<dom/>\n' >"$d/domain.xml"
packbad "domain.xml without a <domain> root" "domain.xml: .*libvirt wants <domain>"
printf '<domain/>\n' >"$d/domain.xml"
sed -i 's/"compression": "raw"/"compression": "brotli"/' "$d/container.json"
packbad "container.json with an unknown compression" \
    "container.json: compression: expected raw, gzip"
# A bare stream unpacked into the same DIR drops the container's files.
"$V" unpack -q --force "$S" "$d" && "$V" pack -q "$d" "$tmp/bare.mig"
check "a bare stream unpacked over a libvirt one packs as a bare stream" \
    cmp "$S" "$tmp/bare.mig"
done_testing
