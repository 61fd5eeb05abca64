#!/usr/bin/env bash
# qcow2 internal snapshots (savevm) made now by Debian's QEMU 7.2, in the
# layouts QEMU writes (qcow2 v3 with 64 KiB clusters, v2 = compat 0.10,
# extended L2 entries with 32 KiB subclusters, 4 KiB clusters): analyze
# --snapshot of each equals analyze of the same bytes taken out with
# stock tools only (qemu-img snapshot -a, resize, dd; the length from
# qemu-img info's vm-state-size); unpack + pack gives a bare stream QEMU
# loads with -incoming; and the errors: no snapshot, several without
# --snapshot, an unknown one (each listing those there are), a state
# longer than the snapshot's L1 table reaches, an image cut short.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
command -v qemu-img >/dev/null || skip_all "qemu-img missing"

# savevm_image NAME CREATE_OPTS: $tmp/NAME.qcow2 with snapshots s1, s2.
savevm_image() {
    local name=$1 opts=$2
    qemu-img create -q -f qcow2 -o "$opts" "$tmp/$name.qcow2" 64M || return 1
    local sock=$tmp/$name.sock
    qemu-system-x86_64 $BASE -M pc-i440fx-7.2 -m 64 $LOADER \
        -drive "file=$tmp/$name.qcow2,if=none,id=d0,format=qcow2" \
        -monitor "unix:$sock,server=on,wait=off" >"$tmp/$name.qemu.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 120 python3 "$HMP" "$sock" SLEEP:1 "savevm s1" SLEEP:0.5 \
        "savevm s2" quit >"$tmp/$name.hmp.log" 2>&1
    wait "$pid" 2>/dev/null
    qemu-img snapshot -l "$tmp/$name.qcow2" | grep -q " s2 "
}

# extract NAME SNAP: the snapshot's state with stock tools into NAME.SNAP.mig
extract() {
    local name=$1 snap=$2 f=$tmp/$1.qcow2
    local info size off
    info=$(qemu-img info --output=json "$f")
    # the state sits where the L1 range of the 64 MiB disk ends
    read -r size off < <(python3 "$VMS_SRCDIR/tests/integration/qcow2-state.py" "$info" "$snap")
    cp "$f" "$tmp/x.qcow2"
    # v2 images with snapshots cannot grow: drop them once applied (the
    # active L1 keeps the state's clusters referenced)
    qemu-img snapshot -a "$snap" "$tmp/x.qcow2" &&
        qemu-img snapshot -d s1 "$tmp/x.qcow2" &&
        qemu-img snapshot -d s2 "$tmp/x.qcow2" &&
        qemu-img resize -q "$tmp/x.qcow2" $(((off + size) / 512 * 512 + 1048576)) &&
        qemu-img dd -f qcow2 -O raw if="$tmp/x.qcow2" of="$tmp/$name.$snap.mig" \
            bs=512 skip=$((off / 512)) count=$(((off + size) / 512 + 1)) &&
        truncate -s "$size" "$tmp/$name.$snap.mig"
}

for layout in "v3:compat=1.1" "v2:compat=0.10" \
              "extl2:extended_l2=on,cluster_size=1M" "c4k:cluster_size=4096"; do
    name=${layout%%:*} opts=${layout#*:}
    if ! savevm_image "$name" "$opts"; then
        not_ok "$name: QEMU made a qcow2 image with two snapshots"
        sed 's/^/# /' "$tmp/$name.hmp.log" "$tmp/$name.qemu.log" | tail -5
        continue
    fi
    for snap in s1 s2; do
        extract "$name" "$snap"
        "$V" analyze --snapshot "$snap" "$tmp/$name.qcow2" >"$tmp/a.json" 2>"$tmp/err"
        "$V" analyze "$tmp/$name.$snap.mig" >"$tmp/b.json" 2>>"$tmp/err"
        same_bytes "$name $snap: analyze equals that of qemu-img dd's extraction" \
            "$tmp/a.json" "$tmp/b.json"
    done
done

# The ID works as the name does (bdrv_snapshot_find: id first).
"$V" analyze --snapshot 2 "$tmp/v3.qcow2" >"$tmp/id.json" 2>/dev/null
"$V" analyze --snapshot s2 "$tmp/v3.qcow2" >"$tmp/name.json" 2>/dev/null
check "--snapshot ID reads the same as --snapshot NAME" \
    cmp -s "$tmp/id.json" "$tmp/name.json"

# vmstate info: the snapshot table as qemu-img info has it.
"$V" info --format json --snapshot s1 "$tmp/v3.qcow2" >"$tmp/info.json" 2>"$tmp/err"
qemu-img info --output=json "$tmp/v3.qcow2" >"$tmp/qinfo.json"
check "info --format json: the snapshot table equals qemu-img info's" \
    python3 "$VMS_SRCDIR/tests/integration/qcow2-info.py" "$tmp/info.json" "$tmp/qinfo.json"

# unpack -> pack: a bare stream (byte for byte the state) that QEMU loads.
rm -rf "$tmp/u"
if "$V" unpack -q --snapshot s1 "$tmp/v3.qcow2" "$tmp/u" 2>"$tmp/err" &&
   "$V" pack -q "$tmp/u" "$tmp/packed.mig" 2>>"$tmp/err"; then
    check "unpack of a snapshot: container.json names qcow2 and snapshot s1" \
        python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["container"]=="qcow2" and c["snapshot_name"]=="s1", c' \
        "$tmp/u/container.json"
    check "unpack + pack of a snapshot: the state's bytes" \
        cmp -s "$tmp/packed.mig" "$tmp/v3.s1.mig"
    check "the packed stream loads in QEMU 7.2 (-incoming)" \
        loads packed "$tmp/packed.mig" qemu-system-x86_64 -M pc-i440fx-7.2 \
        -m 64 $LOADER
else
    not_ok "unpack + pack of a snapshot"
    sed 's/^/# /' "$tmp/err" | head -3
fi

# bad IMAGE "what" PATTERN [ARGS]: exit 1, one line naming the image.
bad() {
    local f=$1 what=$2 pat=$3
    shift 3
    "$V" analyze "$@" "$f" >"$tmp/out.json" 2>"$tmp/err"
    local rc=$? n
    n=$(wc -l <"$tmp/err")
    if [ $rc -eq 1 ] && [ "$n" -eq 1 ] && grep -q "$(basename "$f")" "$tmp/err" &&
       grep -Eq "$pat" "$tmp/err" && ! [ -s "$tmp/out.json" ]; then
        ok "$what"
    else
        not_ok "$what"
        echo "# rc=$rc lines=$n"; sed 's/^/# /' "$tmp/err" | head -3
    fi
}
# The snapshot is a per-call input option (no process-wide default): one
# program opens s1 and s2 of the same image at once, and diff compares
# them through the library (vms_diff_opts.input_a/input_b).
cat >"$tmp/two.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <vmstate/io.h>
#include <vmstate/stream.h>
#include <vmstate/diff.h>
int main(int argc, char **argv)
{
    vms_input_opts a = VMS_INPUT_OPTS_INIT, b = VMS_INPUT_OPTS_INIT;
    vms_error err = { 0 };
    a.snapshot = "s1";
    b.snapshot = "s2";
    vms_stream *s1 = vms_stream_open_input(argv[1], &a, &err);
    vms_stream *s2 = vms_stream_open_input(argv[1], &b, &err);
    if (!s1 || !s2) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    printf("%s\n%s\n", vms_stream_name(s1), vms_stream_name(s2));
    vms_stream_close(s1);
    vms_stream_close(s2);
    vms_diff_opts o = { .version = VMS_DIFF_OPTS_VERSION, .a = argv[1],
                        .b = argv[1],
                        .out = vms_writer_fd(open("/dev/null", O_WRONLY),
                                             "/dev/null", &err),
                        .ram = VMS_DIFF_RAM_NONE, .input_a = &a,
                        .input_b = &b };
    int same_snap = vms_diff(&o, &err);
    o.input_b = &a;
    int self = vms_diff(&o, &err);
    printf("%d %d\n", same_snap, self);
    return vms_writer_close(o.out, &err) ? 3 : 0;
}
C
san=()
case ${VMS_SANITIZE:-none} in none|"") ;; *) san=(-fsanitize="$VMS_SANITIZE") ;; esac
if "${VMS_CC:-cc}" "${san[@]}" -o "$tmp/two" "$tmp/two.c" -I"$VMS_SRCDIR/include" \
       -L"$VMS_BUILDDIR/src" -lvmstate -Wl,-rpath,"$VMS_BUILDDIR/src" 2>"$tmp/cc.err"; then
    "$tmp/two" "$tmp/v3.qcow2" >"$tmp/two.out" 2>&1
    check "one program opens snapshots s1 and s2 of one image at once (per-call input options)" \
        python3 -c 'import sys; l=open(sys.argv[1]).read().split("\n"); assert "snapshot 1 " in l[0] and "snapshot 2 " in l[1] and l[2]=="1 0", l' "$tmp/two.out"
    [ -s "$tmp/two.out" ] && sed 's/^/# /' "$tmp/two.out" | head -4
else
    not_ok "the two-snapshot program builds against the library"
    sed 's/^/# /' "$tmp/cc.err" | head -3
fi
qemu-img create -q -f qcow2 "$tmp/empty.qcow2" 64M
bad "$tmp/empty.qcow2" "a qcow2 image without snapshots" "without snapshots"
bad "$tmp/v3.qcow2" "two snapshots and no --snapshot: the error lists them" \
    "choose one with --snapshot.*1 's1', 2 's2'"
bad "$tmp/v3.qcow2" "an unknown snapshot: the error lists those there are" \
    "no snapshot 'nope'.*1 's1', 2 's2'" --snapshot nope
# A state longer than its header's L1 reaches: vm_state_size_large (the
# extra data's first word) of s1 set to 1 TiB.
cp "$tmp/v3.qcow2" "$tmp/long.qcow2"
python3 "$VMS_SRCDIR/tests/integration/qcow2-long-name.py" "$tmp/long.qcow2"
bad "$tmp/long.qcow2" "a state longer than the snapshot's L1 table reaches" \
    "shorter than its header says" --snapshot s1
head -c 300000 "$tmp/v3.qcow2" >"$tmp/cut.qcow2"
bad "$tmp/cut.qcow2" "an image cut short: refused at an offset past its end" \
    "past the end of the image|unexpected end" --snapshot s1
done_testing
