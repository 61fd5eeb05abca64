#!/usr/bin/env bash
# Truncation and corruption sweeps (tests/sweep/sweep.c) over the real
# streams of ../shared and streams QEMU 7.2 makes now (x86 pc and ppc64
# pseries: spapr/htab), under whatever sanitizers the build has.
. "$(dirname "$0")/../integration/tap.sh"
set -u
shared_data streams
scratch
streams=("$S/x86_64-pc-i440fx-devices.mig"
         "$S/qemu10.0-x86_64-pc-i440fx-devices.mig"
         "$S/aarch64-virt-a57.mig" "$S/s390x-ccw-virtio.mig"
         "$S/x86_64-pc-compress.mig" "$S/x86_64-pc-i440fx-2.0-old.mig")

# mkstream NAME BIN ARGS...: a QEMU 7.2 guest migrated to $tmp/NAME.mig.
mkstream() {
    local name=$1 bin=$2
    shift 2
    [ "${VMS_QEMU_TESTS:-1}" = 1 ] && command -v "$bin" >/dev/null || return 0
    "$bin" -accel tcg -nodefaults -display none \
        -monitor "unix:$tmp/$name.sock,server=on,wait=off" "$@" \
        >"$tmp/$name.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 60 python3 "$S/hmp.py" "$tmp/$name.sock" SLEEP:1.5 stop \
        "migrate \"exec:cat > $tmp/$name.mig\"" WAITMIG quit \
        >>"$tmp/$name.log" 2>&1
    wait "$pid" 2>/dev/null
    if [ -s "$tmp/$name.mig" ]; then
        streams+=("$tmp/$name.mig")
    else
        echo "# QEMU 7.2 $name: no stream made (see its log below)"
        sed 's/^/#   /' "$tmp/$name.log" | tail -3
    fi
}
mkstream qemu7.2-x86-pc qemu-system-x86_64 -M pc-i440fx-7.2 -m 16
mkstream qemu7.2-ppc64-pseries qemu-system-ppc64 -M pseries-7.2 -m 256
# The exact section boundaries (record starts and ends) where the stream
# can be parsed without decoding (it has footers).
args=()
for s in "${streams[@]}"; do
    b=$tmp/$(basename "$s").cuts
    if python3 "$VMS_SRCDIR/tests/sweep/section-cuts.py" "$s" "$b"
    then
        args+=("$s@$b")
    else
        args+=("$s")
    fi
done
# not exec: scratch's exit trap removes $tmp (the streams made here)
"$SWEEP" 1 "${args[@]}"
