#!/usr/bin/env bash
# analyze -x against QEMU's own scripts/analyze-migration.py -x, on
# streams made now by QEMU 7.2 (x86_64 pc and q35, aarch64, ppc64, s390x)
# and 10.0 (the same, and a mapped-ram file): the lines printed, the files
# written with their relative paths, and every file's bytes (state.json and
# desc.json included) equal what QEMU's tool wrote, recorded in
# tests/data/analyze-x/ (a sha256 per file). The guests never run (-S, a
# fixed RTC base, -seed for the random seed a device tree carries), so the
# same QEMU build writes the same state each time, but for the host clock
# that ppc64's spapr section holds (VOLATILE: masked in both hashes).
# Where QEMU's tool fails, the recorded error line says so and the stream
# is only decoded (exit 0, valid JSON). The trace of each stream
# (convert --to trace) prints a vmdesc's numbers as one line each.
#
# Regenerate the expected data (QEMU's script is not kept in this tree:
# see tests/data/analyze-x/README for which one judged which stream):
#   VMSTATE=build/tools/vmstate VMS_SHARED=../shared VMS_SRCDIR=. \
#   tests/integration/analyze-x-qemu.sh --regen PATH/analyze-migration.py [REGEX]
# (REGEX: only the streams whose name matches).
regen= only=.
if [ "${1:-}" = --regen ]; then
    regen=$(realpath "$2")
    only=${3:-.}
fi
. "$(dirname "$0")/tap.sh"
set -u
[ "${VMS_QEMU_TESTS:-1}" = 1 ] || skip_all "QEMU tests disabled"
HMP=${VMS_SHARED:-}/testdata/streams/hmp.py
[ -f "$HMP" ] || skip_all "no hmp.py in shared test data (set VMS_SHARED)"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 missing"
V=$VMSTATE
EXP=$VMS_SRCDIR/tests/data/analyze-x
Q10=${VMSTATE_QEMU_DIR:-/var/cache/vmstate-qemu}/10.0/bin
scratch

# mkstream NAME URI-KIND QEMU ARGS...: a stopped guest (-S: it never runs)
# migrated to $tmp/NAME.mig; URI-KIND "exec" (cat) or "mapped" (10.0's
# mapped-ram capability, file: URI).
mkstream() {
    local name=$1 kind=$2 bin=$3
    shift 3
    local sock=$tmp/$name.sock cmds=()
    [ -x "$bin" ] || command -v "$bin" >/dev/null || return 1
    if [ "$kind" = mapped ]; then
        cmds=("migrate_set_capability mapped-ram on"
              "migrate \"file:$tmp/$name.mig\"")
    else
        cmds=("migrate \"exec:cat > $tmp/$name.mig\"")
    fi
    "$bin" -accel tcg -nodefaults -display none -S -seed 1 \
        -rtc base=2020-01-01T00:00:00,clock=vm \
        -monitor "unix:$sock,server=on,wait=off" "$@" \
        >"$tmp/$name.qemu.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 120 python3 "$HMP" "$sock" "${cmds[@]}" WAITMIG quit \
        >"$tmp/$name.hmp.log" 2>&1
    wait "$pid" 2>/dev/null
    [ -s "$tmp/$name.mig" ]
}

PC_DEVICES="-netdev user,id=n0 -device e1000,netdev=n0 -device virtio-net-pci"
PC_DEVICES+=" -device usb-ehci,id=ehci -device usb-tablet,bus=ehci.0"
PC_DEVICES+=" -chardev null,id=s0 -device isa-serial,chardev=s0"
PC_DEVICES+=" -device ahci,id=ahci0"
# NAME KIND BINARY ARGS (one stream a line)
STREAMS=$(cat <<EOF
qemu7.2-x86_64-pc exec qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 $PC_DEVICES
qemu7.2-x86_64-q35 exec qemu-system-x86_64 -M pc-q35-7.2 -m 64 -device virtio-net-pci,netdev=n0 -netdev user,id=n0
qemu7.2-aarch64-virt exec qemu-system-aarch64 -M virt-7.2 -cpu cortex-a57 -m 64
qemu7.2-ppc64-pseries exec qemu-system-ppc64 -M pseries-7.2 -m 256
qemu7.2-s390x-ccw exec qemu-system-s390x -M s390-ccw-virtio-7.2 -m 64
qemu10.0-x86_64-pc exec $Q10/qemu-system-x86_64 -M pc-i440fx-10.0 -m 64 $PC_DEVICES
qemu10.0-aarch64-virt exec $Q10/qemu-system-aarch64 -M virt-10.0 -cpu cortex-a57 -m 64
qemu10.0-ppc64-pseries exec $Q10/qemu-system-ppc64 -M pseries-10.0 -m 256
qemu10.0-s390x-ccw exec $Q10/qemu-system-s390x -M s390-ccw-virtio-10.0 -m 64
qemu10.0-x86_64-mapped-ram mapped $Q10/qemu-system-x86_64 -M pc-i440fx-10.0 -m 64
EOF
)

# State values that come from the host clock, not from the stream's maker:
# spapr's timebase and time of day (hw/ppc/ppc.c, timebase_pre_save).
VOLATILE='s/("(guest_timebase|time_of_the_day_ns)": ")0x[0-9a-f]+"/\1-"/'
# files DIR: "sha256 size path" of every file under DIR, sorted by path.
files() {
    (cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort |
        while IFS= read -r f; do
            if [ "$f" = state.json ]; then
                h=$(sed -E "$VOLATILE" "$f" | sha256sum)
            else
                h=$(sha256sum <"$f")
            fi
            printf '%s %s %s\n' "${h:0:64}" "$(stat -c %s "$f")" "$f"
        done)
}

# The QEMU that made the expected data: a different build may write other
# bytes (firmware, defaults), so its streams are only decoded then.
qemu_id() {
    "$1" --version 2>/dev/null | head -1
}

# trace_shape NAME: no field whose vmdesc type is one number is printed
# as bytes (the "(1)(1).[0]" shape), and some uint64 line is there.
trace_shape() {
    local name=$1
    "$V" convert "$tmp/$name.mig" - --to trace >"$tmp/$name.trace" \
        2>"$tmp/err" || { not_ok "$name: convert --to trace exits 0"; return; }
    "$V" analyze -d desc "$tmp/$name.mig" >"$tmp/$name.desc"
    python3 "$VMS_SRCDIR/tests/integration/analyze-x-shape.py" "$tmp/$name.desc" "$tmp/$name.trace" >"$tmp/shape" 2>&1
    if [ $? = 0 ]; then
        ok "$name: trace prints each number of the vmdesc as one line"
    else
        not_ok "$name: trace prints each number of the vmdesc as one line"
        sed 's/^/# /' "$tmp/shape" | head -5
    fi
}

# judge NAME MIG [QEMU]: regenerate NAME's expected data from MIG, or
# compare ours with it (QEMU: the binary that made MIG now, if it did).
judge() {
    local name=$1 mig=$2 bin=${3:-}
    if [ -n "$regen" ]; then
        rm -rf "$tmp/$name.qx" && mkdir -p "$EXP" "$tmp/$name.qx"
        if [ -n "$bin" ]; then
            qemu_id "$bin" >"$EXP/$name.qemu"
        fi
        echo "analyze-migration.py git blob $(git hash-object "$regen")" \
            >"$EXP/$name.judge"
        if (cd "$tmp/$name.qx" && python3 "$regen" -x -f "$mig" \
                >"$EXP/$name.out" 2>"$tmp/$name.qerr"); then
            files "$tmp/$name.qx" >"$EXP/$name.files"
            rm -f "$EXP/$name.fails"
            echo "$name: QEMU's tool succeeds" >&2
        else
            # the first exception (python re-raises it with the vmdesc)
            grep -m1 -E '^[A-Za-z.]*(Error|Exception)' "$tmp/$name.qerr" |
                cut -c1-300 >"$EXP/$name.fails"
            rm -f "$EXP/$name.out" "$EXP/$name.files"
            echo "$name: QEMU's tool fails: $(cat "$EXP/$name.fails")" >&2
        fi
        rm -rf "$tmp/$name.qx"
        return
    fi
    rm -rf "$tmp/$name.x" && mkdir "$tmp/$name.x"
    if ! (cd "$tmp/$name.x" && "$V" analyze -x -f "$mig" \
              >"$tmp/$name.out" 2>"$tmp/err"); then
        # a stream without JSON description: both refuse it (--desc helps)
        if [ -f "$EXP/$name.fails" ] &&
           ! "$V" analyze -d desc "$mig" >/dev/null 2>&1 &&
           grep -q -- "--desc FILE" "$tmp/err"; then
            ok "$name: refused, no JSON description (QEMU's tool: $(cut -c1-40 "$EXP/$name.fails"))"
            return
        fi
        not_ok "$name: -x exits 0"
        sed 's/^/# /' "$tmp/err" | head -3
        return
    fi
    if [ -f "$EXP/$name.fails" ]; then
        if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
               "$tmp/$name.x/state.json"; then
            ok "$name: decoded (QEMU's tool fails: $(cut -c1-60 "$EXP/$name.fails"))"
        else
            not_ok "$name: decoded where QEMU's tool fails"
        fi
    elif [ ! -f "$EXP/$name.files" ]; then
        not_ok "$name: expected data in $EXP"
    elif [ -n "$bin" ] &&
         [ "$(qemu_id "$bin")" != "$(cat "$EXP/$name.qemu" 2>/dev/null)" ]; then
        ok "$name # SKIP made by '$(qemu_id "$bin")', expected data by '$(cat "$EXP/$name.qemu")'"
    else
        check "$name: -x prints what QEMU's tool prints" \
            cmp -s "$tmp/$name.out" "$EXP/$name.out"
        files "$tmp/$name.x" >"$tmp/$name.files"
        if cmp -s "$tmp/$name.files" "$EXP/$name.files"; then
            ok "$name: -x writes QEMU's files, paths and bytes ($(wc -l <"$EXP/$name.files") files)"
        else
            not_ok "$name: -x writes QEMU's files, paths and bytes"
            diff "$EXP/$name.files" "$tmp/$name.files" | sed 's/^/# /' | head -8
        fi
    fi
    rm -rf "$tmp/$name.x"
}

# The shared streams (../shared/testdata/streams), as they are.
S=$VMS_SHARED/testdata/streams
for mig in "$S"/*.mig; do
    name=shared-$(basename "$mig" .mig)
    [[ $name =~ $only ]] || continue
    judge "$name" "$mig"
done

while read -r name kind bin args; do
    [[ $name =~ $only ]] || continue
    # shellcheck disable=SC2086
    if ! mkstream "$name" "$kind" "$bin" $args; then
        if [ -n "$regen" ]; then
            echo "cannot make $name" >&2
            exit 1
        fi
        ok "$name # SKIP $bin made no stream"
        continue
    fi
    judge "$name" "$tmp/$name.mig" "$bin"
    [ -n "$regen" ] || trace_shape "$name"
done <<<"$STREAMS"
# The trace through a -dump-vmstate (a stream without vmdesc) has the same
# shape: i8259's imr is one line, as through the vmdesc above.
if [ -z "$regen" ] &&
   mkstream nodesc exec qemu-system-x86_64 -M pc-i440fx-7.2,suppress-vmdesc=on -m 64 &&
   qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate "$tmp/dump.json" \
       -accel tcg -nodefaults -display none >/dev/null 2>&1; then
    "$V" convert "$tmp/nodesc.mig" - --to trace \
        --dump-vmstate "$tmp/dump.json" >"$tmp/nodesc.trace" 2>"$tmp/err"
    check "trace through a dump: i8259.imr is one line" \
        grep -qE '^i8259\.imr = \(uint8\) 0x[0-9a-f]+$' "$tmp/nodesc.trace"
    check "... and no field of it is split into bytes" \
        test -z "$(grep -E '^i8259\.[a-z_]+\(1\)\(1\)' "$tmp/nodesc.trace")"
fi
[ -n "$regen" ] || done_testing
