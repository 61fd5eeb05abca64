# What the tests of libvirt save images share (savedvm.sh builds them from
# the format's description, libvirt-qemu.sh has real libvirt write them):
# source it after tap.sh; it uses $tmp.

# inner IMAGE OUT: the bare stream inside IMAGE into OUT, taken out with
# stock tools (libvirt-qemu-image.py: the header's data_len, then the
# compressor's own -dc); prints the header's compression id.
inner() {
    python3 "$VMS_SRCDIR/tests/integration/libvirt-qemu-image.py" "$1" "$2"
}

# packed_as WHAT IMAGE PACKED FMT STREAM: PACKED, which pack wrote from
# IMAGE's unpacked and unedited directory, is IMAGE byte for byte when FMT
# is raw; compressed, it has IMAGE's header, XML, cookie and padding (the
# 92-byte header and the data_len bytes its u32 at offset 20 counts,
# libvirt's qemu_saveimage.c), and FMT's own -dc gives STREAM from it.
packed_as() {
    local what=$1 img=$2 packed=$3 fmt=$4 stream=$5 dl
    if [ "$fmt" = raw ]; then
        check "$what: byte for byte the image" cmp "$img" "$packed"
        return
    fi
    dl=$(od -An -tu4 -j20 -N4 "$img" | tr -d ' ')
    check "$what: the same header, XML, cookie and padding" \
        cmp -n $((92 + dl)) "$img" "$packed"
    inner "$packed" "$tmp/packed-inner.mig" >/dev/null
    check "$what: '$fmt -dc' gives the stream" cmp "$stream" "$tmp/packed-inner.mig"
}
