#!/usr/bin/env bash
# Saved VMs as real libvirt 9.0 (Debian) writes them: the test starts its
# own virtlogd and libvirtd as root, with qemu.conf set for a container
# (no security driver, namespaces or cgroups) and save_image_format set
# in turn to every compression libvirt 9.0 offers (raw, gzip, bzip2, xz,
# lzop: its qemu.conf lists these; zstd came later), saves a TCG domain
# with no disk, and checks that vmstate analyze of each image equals
# analyze of the bare stream inside (taken out with dd and the
# compressor's own -d, from the header's data_len); the same for a
# managedsave file and an external snapshot's memory file. Each saved
# image is also unpacked and packed back (raw: byte for byte the image;
# compressed: the same header, XML and cookie, and the program's own -dc
# gives the same stream: the compressed bytes are zlib's/liblzo2's, not
# gzip's/lzop's), then edited (the master i8259's mask in stream.json, a
# <description> in domain.xml), packed and restored by libvirt: QEMU's
# 'info pic' shows the new mask and dumpxml the new description. qemu.conf
# is restored and the daemons stopped at the end.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/savedvm-lib.sh"
set -u
[ "${VMS_QEMU_TESTS:-1}" = 1 ] || skip_all "QEMU tests disabled"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (libvirtd)"
for p in libvirtd virtlogd virsh qemu-system-x86_64 gzip bzip2 xz lzop python3; do
    command -v $p >/dev/null || skip_all "$p missing (scripts/setup.sh)"
done
V=$VMSTATE
CONF=/etc/libvirt/qemu.conf
[ -f "$CONF" ] || skip_all "no $CONF"
# One libvirt test at a time on this machine (CI runs two builds' tests).
exec 9>/tmp/vmstate-libvirt-test.lock
flock -w 600 9 || skip_all "another libvirt test holds the lock"
if timeout 5 virsh -q -c qemu:///system version >/dev/null 2>&1; then
    skip_all "a libvirt daemon is already running: not ours to reconfigure"
fi
tmp=$(mktemp -d)
chmod 755 "$tmp"
cp -p "$CONF" "$tmp/qemu.conf.orig"
DOM=vmstate-savedvm-$$
VIRSH="virsh -q -c qemu:///system"
lpid= vpid=
stop_daemons() {
    [ -n "$lpid" ] && kill "$lpid" 2>/dev/null && while kill -0 "$lpid" 2>/dev/null; do sleep 0.1; done
    lpid=
}
cleanup() {
    $VIRSH destroy "$DOM" >/dev/null 2>&1
    $VIRSH managedsave-remove "$DOM" >/dev/null 2>&1
    $VIRSH undefine "$DOM" >/dev/null 2>&1
    stop_daemons
    [ -n "$vpid" ] && kill "$vpid" 2>/dev/null
    cp -p "$tmp/qemu.conf.orig" "$CONF"
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_daemons FORMAT: libvirtd with save_image_format (and the snapshot
# one) = FORMAT.
start_daemons() {
    stop_daemons
    { cat "$tmp/qemu.conf.orig"
      printf '%s\n' 'security_driver = "none"' 'namespaces = []' \
          'cgroup_controllers = []' 'stdio_handler = "file"' \
          "save_image_format = \"$1\"" "snapshot_image_format = \"$1\""
    } >"$CONF"
    if [ -z "$vpid" ]; then
        virtlogd -d -p "$tmp/virtlogd.pid" && sleep 0.3
        vpid=$(cat "$tmp/virtlogd.pid" 2>/dev/null)
    fi
    libvirtd -d -p "$tmp/libvirtd.pid" || return 1
    for _ in $(seq 50); do
        $VIRSH version >/dev/null 2>&1 && break
        sleep 0.2
    done
    lpid=$(cat "$tmp/libvirtd.pid")
}

cat >"$tmp/dom.xml" <<EOF
<domain type='qemu'>
  <name>$DOM</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
  <devices><emulator>$(command -v qemu-system-x86_64)</emulator></devices>
</domain>
EOF

# same_as_inner IMAGE "what" WANT_ID
same_as_inner() {
    local img=$1 what=$2 want=$3 id
    id=$(inner "$img" "$tmp/inner.mig") || { not_ok "$what: stock tools read it"; return; }
    same "$what: the header's compression id" "$want" "$id"
    "$V" analyze "$img" >"$tmp/a.json" 2>"$tmp/err"
    "$V" analyze "$tmp/inner.mig" >"$tmp/b.json" 2>>"$tmp/err"
    same_bytes "$what: analyze equals that of the bare stream inside" \
        "$tmp/a.json" "$tmp/b.json"
    "$V" analyze -m - <"$img" >"$tmp/a.json" 2>"$tmp/err"
    "$V" analyze -m "$tmp/inner.mig" >"$tmp/b.json" 2>>"$tmp/err"
    same_bytes "$what: through a pipe, analyze -m equals the bare stream's" \
        "$tmp/a.json" "$tmp/b.json"
}

# edit_restore IMAGE FMT: unpack libvirt's image, pack it unchanged
# (compare), edit the master PIC's mask and the XML, pack, restore.
edit_restore() {
    local img=$1 fmt=$2 d=$tmp/u-$2 before
    rm -rf "$d"
    if ! "$V" unpack -q "$img" "$d" 2>"$tmp/err" ||
       ! "$V" pack -q "$d" "$tmp/same-$fmt.save" 2>>"$tmp/err"; then
        not_ok "$fmt: unpack + pack of libvirt's image"
        sed 's/^/# /' "$tmp/err" | head -3
        return
    fi
    inner "$img" "$tmp/in-a.mig" >/dev/null
    packed_as "$fmt: unpack + pack of libvirt's image" "$img" \
        "$tmp/same-$fmt.save" "$fmt" "$tmp/in-a.mig"
    if [ "$fmt" != raw ]; then
        # for the report: libbz2/liblzma/libzstd write what their programs
        # do; zlib's deflate and our lzop header (time stamp 0) differ
        if cmp -s "$img" "$tmp/same-$fmt.save"; then
            echo "# $fmt: the packed image is byte for byte libvirt's too"
        else
            echo "# $fmt: the compressed bytes differ from libvirt's (same stream inside)"
        fi
    fi
    before=$(grep -m1 '"imr"' "$d/stream.json" | sed 's/.*"imr": "0x\([0-9a-f]*\)".*/\1/')
    [ "$before" != 5a ] || before=
    sed -i '0,/"imr"/s/"imr": "0x[0-9a-f]*"/"imr": "0x5a"/' "$d/stream.json"
    sed -i "s,^</domain>,  <description>vmstate-edited-$fmt</description>\n</domain>," "$d/domain.xml"
    if ! "$V" pack -q "$d" "$tmp/edit-$fmt.save" 2>"$tmp/err"; then
        not_ok "$fmt: pack of the edited image"
        sed 's/^/# /' "$tmp/err" | head -3
        return
    fi
    $VIRSH save-image-dumpxml "$tmp/edit-$fmt.save" >"$tmp/sx.xml" 2>&1
    check "$fmt: virsh save-image-dumpxml reads the edited XML of the packed image" \
        grep -q "<description>vmstate-edited-$fmt</description>" "$tmp/sx.xml"
    # paused: no guest code runs between the load and 'info pic'
    if $VIRSH restore --paused "$tmp/edit-$fmt.save" >"$tmp/virsh.log" 2>&1; then
        $VIRSH qemu-monitor-command --hmp "$DOM" 'info pic' >"$tmp/pic.txt" 2>&1
        if [ -n "$before" ] && grep -q "^pic0: .*imr=5a " "$tmp/pic.txt"; then
            ok "$fmt: virsh restore of the packed image: QEMU's master PIC mask is the edited 5a (was $before)"
        else
            not_ok "$fmt: virsh restore of the packed image: QEMU's master PIC mask is the edited 5a (was $before)"
            sed 's/^/# /' "$tmp/pic.txt" | head -3
        fi
        $VIRSH dumpxml "$DOM" >"$tmp/live.xml" 2>&1
        check "$fmt: virsh restore of the packed image: dumpxml shows the edited description" \
            grep -q "<description>vmstate-edited-$fmt</description>" "$tmp/live.xml"
        $VIRSH destroy "$DOM" >/dev/null 2>&1
    else
        not_ok "$fmt: virsh restore of the packed, edited image"
        sed 's/^/# /' "$tmp/virsh.log" | tail -3
    fi
}

first=1
for c in 0:raw 1:gzip 2:bzip2 3:xz 4:lzop; do
    id=${c%%:*} fmt=${c#*:}
    if ! start_daemons "$fmt"; then
        not_ok "$fmt: libvirtd starts"
        continue
    fi
    if [ $first = 1 ]; then
        first=0
        if ! $VIRSH define "$tmp/dom.xml" >"$tmp/virsh.log" 2>&1; then
            not_ok "libvirt defines the test domain"
            sed 's/^/# /' "$tmp/virsh.log"
            break
        fi
    fi
    if $VIRSH start "$DOM" >"$tmp/virsh.log" 2>&1 && sleep 1 &&
       $VIRSH save "$DOM" "$tmp/$fmt.save" >>"$tmp/virsh.log" 2>&1; then
        same_as_inner "$tmp/$fmt.save" "virsh save ($fmt)" "$id"
        "$V" info --format json "$tmp/$fmt.save" >"$tmp/info.json" 2>"$tmp/err"
        check "virsh save ($fmt): info names the domain, its machine and the compression" \
            python3 "$VMS_SRCDIR/tests/integration/libvirt-qemu-info.py" \
            "$tmp/info.json" "$DOM" "$fmt"
        edit_restore "$tmp/$fmt.save" "$fmt"
    else
        not_ok "virsh save ($fmt)"
        sed 's/^/# /' "$tmp/virsh.log" | tail -3
    fi
    if [ "$fmt" = gzip ]; then
        if $VIRSH start "$DOM" >"$tmp/virsh.log" 2>&1 && sleep 1 &&
           $VIRSH managedsave "$DOM" >>"$tmp/virsh.log" 2>&1; then
            same_as_inner "/var/lib/libvirt/qemu/save/$DOM.save" \
                "virsh managedsave ($fmt)" "$id"
            $VIRSH managedsave-remove "$DOM" >/dev/null 2>&1
        else
            not_ok "virsh managedsave ($fmt)"
            sed 's/^/# /' "$tmp/virsh.log" | tail -3
        fi
    fi
    if [ "$fmt" = lzop ]; then
        if $VIRSH start "$DOM" >"$tmp/virsh.log" 2>&1 && sleep 1 &&
           $VIRSH snapshot-create-as "$DOM" s1 --no-metadata \
               --memspec "file=$tmp/mem.save,snapshot=external" \
               >>"$tmp/virsh.log" 2>&1; then
            same_as_inner "$tmp/mem.save" \
                "external snapshot memory file ($fmt)" "$id"
        else
            not_ok "external snapshot memory file ($fmt)"
            sed 's/^/# /' "$tmp/virsh.log" | tail -3
        fi
        $VIRSH destroy "$DOM" >/dev/null 2>&1
    fi
done
done_testing
