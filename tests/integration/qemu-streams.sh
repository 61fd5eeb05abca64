# Streams made at test time by the installed QEMU (see
# ../shared/testdata/README.md): source after tap.sh. Skips the whole test
# visibly when QEMU or the monitor helper is missing; sets $tmp (removed on
# exit, with every guest still running killed) and $V.
[ "${VMS_QEMU_TESTS:-1}" = 1 ] || skip_all "QEMU tests disabled"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 missing"
HMP=${VMS_SHARED:-}/testdata/streams/hmp.py
[ -f "$HMP" ] || skip_all "no hmp.py in shared test data (set VMS_SHARED)"
V=$VMSTATE
tmp=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
BASE="-accel tcg -nodefaults -display none"

# mkstream NAME SETUP_CMDS QEMU ARGS...: run the guest briefly, then send it
# the HMP commands in SETUP_CMDS (";"-separated; they migrate to
# $tmp/NAME.mig and quit). Succeeds when the stream is there.
mkstream() {
    local name=$1 setup=$2 bin=$3
    shift 3
    local sock=$tmp/$name.sock
    "$bin" $BASE -monitor "unix:$sock,server=on,wait=off" "$@" \
        >"$tmp/$name.qemu.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    local cmds=()
    IFS=';' read -r -a cmds <<<"$setup"
    timeout 120 python3 "$HMP" "$sock" SLEEP:1.5 "${cmds[@]}" \
        >"$tmp/$name.hmp.log" 2>&1
    wait "$pid" 2>/dev/null
    [ -s "$tmp/$name.mig" ]
}
# The HMP commands that stop the guest, migrate it to $tmp/NAME.mig, quit.
MIG() { echo "stop;migrate \"exec:cat > $tmp/$1.mig\";WAITMIG;quit"; }

# build_dirty_guest: $tmp/dirty.elf, a multiboot kernel that keeps writing
# a counter into the first and third word of every page of 16..18 MiB
# (testdata/streams/xbzrle-dirty-kernel.S). Fails without gcc -m32.
build_dirty_guest() {
    local k=$VMS_SHARED/testdata/streams/xbzrle-dirty-kernel
    gcc -m32 -c "$k.S" -o "$tmp/k.o" 2>/dev/null &&
        ld -m elf_i386 -T "$k.ld" -o "$tmp/dirty.elf" "$tmp/k.o" 2>/dev/null
}

# loads NAME MIG QEMU ARGS...: QEMU, started paused (-S) with
# -incoming "exec:cat MIG" and ARGS, has loaded the stream 2 s later
# ("info status" answers; a failed load makes QEMU exit). Its messages
# are in $tmp/NAME.load.log.
loads() {
    local name=$1 mig=$2 bin=$3
    shift 3
    local sock=$tmp/$name.lsock
    "$bin" $BASE -S -monitor "unix:$sock,server=on,wait=off" \
        -incoming "exec:cat $mig" "$@" >"$tmp/$name.load.log" 2>&1 &
    local pid=$!
    pids="$pids $pid"
    timeout 60 python3 "$HMP" "$sock" SLEEP:2 "info status" "info migrate" \
        quit >"$tmp/$name.load.hmp" 2>&1
    wait "$pid" 2>/dev/null
    ! grep -q "load of migration failed" "$tmp/$name.load.log" &&
        grep -q "VM status: paused" "$tmp/$name.load.hmp"
}
