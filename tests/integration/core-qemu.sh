#!/usr/bin/env bash
# vmstate core against QEMU 7.2's own dump-guest-memory: the same paused VM
# saved with migrate and dumped by QEMU gives the same ELF core (every
# header field but QEMU's wrong e_ehsize, the PT_LOAD ranges, the notes
# byte for byte, every byte of memory; core-compare.py), for
#   - pc-i440fx-7.2, 256 MiB, after 1.5 s of SeaBIOS (PAM: the BIOS area
#     shadowed to RAM, one PT_LOAD [0, 256 MiB) and pc.bios at 4 GiB);
#   - pc-q35-7.2 with 4 GiB, prelaunch (the split at 2 GiB: six PT_LOADs,
#     PAM routing 0xc0000-0xfffff to pc.rom and the BIOS); QEMU writes its
#     4 GiB into a FIFO the comparison reads, so no disk is needed;
#   - aarch64 virt, cortex-a57 (NT_PRSTATUS + NT_FPREGSET).
# Then gdb reads our cores (registers equal to the notes', a loader blob at
# its address), the raw format puts bytes at their guest-physical offsets,
# --memory-map gives the same core as the rules, and what we cannot map is
# refused with the reason and no output file.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
CMP=$(dirname "$0")/core-compare.py
UNFLAT=$(dirname "$0")/core-unflatten.py
# kdumpfile_reads FILE ADDR WHAT: libkdumpfile (Debian's python3 module)
# reads the 4 KiB blob at guest-physical ADDR from FILE
kdumpfile_reads() {
    if ! /usr/bin/python3 -c 'import kdumpfile' 2>/dev/null; then
        not_ok "$3: python3-libkdumpfile is not installed (scripts/setup.sh)"
        return
    fi
    check "$3" /usr/bin/python3 "$VMS_SRCDIR/tests/integration/core-kdumpfile-read.py" \
        "$1" "$2" "$tmp/b4k"
}
# gdb_reads GDB CORE REG OFFSET SIZE ADDR: GDB reading our CORE shows
# register REG equal to the SIZE-byte word at OFFSET of the core's first
# NT_PRSTATUS note's data, and at guest address ADDR the 4 KiB blob's first
# 32 bytes (the loader put it there).
gdb_reads() {
    local gdb=$1 core=$2 reg=$3 off=$4 size=$5 addr=$6 val want got
    if ! command -v "$gdb" >/dev/null; then
        not_ok "$gdb is not installed (scripts/setup.sh)"
        return
    fi
    "$gdb" -batch -c "$core" -ex "info registers $reg" -ex "x/4gx $addr" \
        >"$tmp/gdb.out" 2>&1
    sed 's/^/# /' "$tmp/gdb.out" | head -5
    val=$(python3 "$VMS_SRCDIR/tests/integration/elf-note-word.py" \
        "$core" "$off" "$size")
    check "$gdb: $reg is the note's ($val)" grep -q "^$reg *$val " "$tmp/gdb.out"
    want=$(od -An -tx8 -N32 -w32 "$tmp/b4k" | awk '{print "0x"$1, "0x"$2, "0x"$3, "0x"$4}')
    # x/4gx prints two words a line: ADDR: and ADDR+16:
    got=$(awk -F'\t' -v a="$(printf '0x%x:' $((addr)))" -v b="$(printf '0x%x:' $((addr + 16)))" \
        '$1 == a || $1 == b {printf "%s %s ", $2, $3}' "$tmp/gdb.out" | sed 's/ $//')
    same "$gdb: the loader blob at $addr" "$want" "$got"
}
head -c 4096 /dev/urandom >"$tmp/b4k"

# ---- pc-i440fx-7.2, 256 MiB, after firmware ---------------------------------
mkstream pc "stop;dump-guest-memory $tmp/pc.qemu.elf;dump-guest-memory -z $tmp/pc.qemu.flat;$(MIG pc | sed 's/^stop;//')" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 256 \
    -device loader,file="$tmp/b4k",addr=0x800000,force-raw=on
check "pc: QEMU wrote a stream and its core" test -s "$tmp/pc.qemu.elf"
check "pc: vmstate core" "$V" core "$tmp/pc.mig" -o "$tmp/pc.elf"
check "pc: our core is QEMU's" python3 "$CMP" "$tmp/pc.qemu.elf" "$tmp/pc.elf"
# pass 1 jumps over the pages to the device area it expects after them;
# with the host bridge (its PAM registers make the map) moved before the
# pages, the jump misses it: core must read the whole stream then, and
# give the same core, not a map without PAM
check "pc: the host bridge moved before the pages" python3 \
    "$(dirname "$0")/core-reorder.py" "$tmp/pc.mig" "$tmp/pc-moved.mig" /I440FX
check "pc: vmstate core of that stream" \
    "$V" core "$tmp/pc-moved.mig" -o "$tmp/pc-moved.elf"
check "pc: ... is the same core" cmp "$tmp/pc.elf" "$tmp/pc-moved.elf"
same "pc: PT_LOADs [0, 256 MiB) and pc.bios at 4 GiB" \
    "$(readelf -lW "$tmp/pc.qemu.elf" | awk '$1 == "LOAD" {print $3, $5}')" \
    "0x0000000000000000 0x10000000
0x00000000fffc0000 0x040000"

# a 32-bit guest's note (QEMU target/i386/arch_dump.c x86_elf_prstatus):
# regs at 72, eip their 13th word
gdb_reads gdb "$tmp/pc.elf" eip $((72 + 48)) 4 0x800000

check "pc: --format raw" "$V" core --format raw "$tmp/pc.mig" -o "$tmp/pc.raw"
same "raw: 4 GiB (the BIOS ends there), sparse" "4294967296 yes" \
    "$(stat -c %s "$tmp/pc.raw") $( [ "$(du -k "$tmp/pc.raw" | cut -f1)" -lt 300000 ] && echo yes)"
check "raw: [0, 256 MiB) is QEMU's first PT_LOAD" \
    cmp -n 268435456 -i 0x3d8:0 "$tmp/pc.qemu.elf" "$tmp/pc.raw"
check "raw: pc.bios at 0xfffc0000" \
    cmp -n 262144 -i 0x100003d8:0xfffc0000 "$tmp/pc.qemu.elf" "$tmp/pc.raw"
check "raw: the blob at 0x800000" cmp -n 4096 -i 0:0x800000 "$tmp/b4k" "$tmp/pc.raw"

# kdump: QEMU writes the flattened variant (dump-guest-memory -z, for
# pipes); un-flattened it must be our file byte for byte
check "pc: --format kdump" "$V" core --format kdump "$tmp/pc.mig" -o "$tmp/pc.kdump"
check "kdump: QEMU's -z output un-flattens" python3 "$UNFLAT" "$tmp/pc.qemu.flat" "$tmp/pc.qemu.kdump"
check "kdump: ours is QEMU's, byte for byte" cmp "$tmp/pc.qemu.kdump" "$tmp/pc.kdump"
kdumpfile_reads "$tmp/pc.kdump" 0x800000 "libkdumpfile reads the blob at 0x800000 from our kdump"
kdumpfile_reads "$tmp/pc.elf" 0x800000 "libkdumpfile reads the blob at 0x800000 from our ELF core"

printf '# the pc map, by hand\n0x0 0x10000000 pc.ram 0\n0xfffc0000 0x40000 pc.bios 0x0\n' \
    >"$tmp/map"
check "--memory-map" "$V" core "$tmp/pc.mig" -o "$tmp/pc.map.elf" --memory-map "$tmp/map"
check "--memory-map gives the core the rules give" cmp "$tmp/pc.elf" "$tmp/pc.map.elf"
printf '0x0 0x10000000 pc.ram 0\n0xfffc0000 0x80000 pc.bios 0\n' >"$tmp/badmap"
"$V" core "$tmp/pc.mig" -o "$tmp/bad.elf" --memory-map "$tmp/badmap" 2>"$tmp/err"
same "a map range outside its block: exit 1, the line, no file" \
    "1 yes no" "$? $(grep -q 'line 2: .*outside block .pc.bios.' "$tmp/err" && echo yes) $( [ -e "$tmp/bad.elf" ] && echo yes || echo no)"
"$V" core "$tmp/pc.mig" -o "$tmp/pc.elf" 2>"$tmp/err"
same "an existing output is refused without --force" "1" "$?"
check "--force replaces it" "$V" core --force "$tmp/pc.mig" -o "$tmp/pc.elf"
cat "$tmp/pc.mig" | "$V" core - -o "$tmp/pipe.elf" 2>"$tmp/err"
same "a pipe is refused (two passes), no file" "1 yes no" \
    "$? $(grep -q 'not a pipe' "$tmp/err" && echo yes) $( [ -e "$tmp/pipe.elf" ] && echo yes || echo no)"

head -c 600000 "$tmp/pc.mig" >"$tmp/cut.mig"
"$V" core "$tmp/cut.mig" -o "$tmp/cut.elf" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/err"
same "a stream cut in its RAM: exit 1, one line with file and offset, no file" \
    "1 1 yes no" "$rc $(wc -l <"$tmp/err") $(grep -q 'cut.mig: offset 0x[0-9a-f]*: truncated: expected ' "$tmp/err" && echo yes) $( [ -e "$tmp/cut.elf" ] && echo yes || echo no)"

# ---- what is not known is refused ------------------------------------------
S390=$VMS_SHARED/testdata/streams/s390x-ccw-virtio.mig
if [ -f "$S390" ]; then
    "$V" core "$S390" -o "$tmp/s390.elf" 2>"$tmp/err"
    rc=$?
    sed 's/^/# /' "$tmp/err"
    same "s390x: exit 1 naming the machine and --memory-map, no file" "1 yes no" \
        "$rc $(grep -q "machine 's390-ccw-virtio.*memory map is not known.*--memory-map" "$tmp/err" && echo yes) $( [ -e "$tmp/s390.elf" ] && echo yes || echo no)"
fi
mkstream vga "$(MIG vga)" qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 -vga std
"$V" core "$tmp/vga.mig" -o "$tmp/vga.elf" 2>"$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/err"
same "std VGA: its vram's place is not modelled: exit 1 naming the block" "1 yes" \
    "$rc $(grep -q "RAM block '0000:00:0[0-9].0/vga.vram'.*--memory-map" "$tmp/err" && echo yes)"
if [ -w /dev/shm ] && stream_shared; then
    "$V" core "$tmp/shared.mig" -o "$tmp/shared.elf" 2>"$tmp/err"
    same "x-ignore-shared: refused with the reason" "1 yes" \
        "$? $(grep -q 'x-ignore-shared' "$tmp/err" && echo yes)"
fi

# ---- q35, 4 GiB, prelaunch ---------------------------------------------------
sock=$tmp/q35.sock
qemu-system-x86_64 $BASE -S -M pc-q35-7.2 -m 4G \
    -monitor "unix:$sock,server=on,wait=off" >"$tmp/q35.log" 2>&1 &
qpid=$!
pids="$pids $qpid"
timeout 120 python3 "$HMP" "$sock" "migrate \"exec:cat > $tmp/q35.mig\"" WAITMIG \
    >"$tmp/q35.hmp" 2>&1
check "q35: vmstate core of the 4 GiB guest" "$V" core "$tmp/q35.mig" -o "$tmp/q35.elf"
mkfifo "$tmp/q35.fifo"
python3 "$CMP" "$tmp/q35.fifo" "$tmp/q35.elf" >"$tmp/q35.cmp" 2>&1 &
cpid=$!
timeout 120 python3 "$HMP" "$sock" "dump-guest-memory $tmp/q35.fifo" quit \
    >>"$tmp/q35.hmp" 2>&1
wait "$cpid"
rc=$?
cat "$tmp/q35.cmp"
same "q35: our core is QEMU's (4 GiB compared)" 0 "$rc"
same "q35: the six PT_LOADs of the split" \
    "0x0 0xc0000 0xc0000 0x20000 0xe0000 0x20000 0x100000 0x7ff00000 0xfffc0000 0x40000 0x100000000 0x80000000" \
    "$(readelf -lW "$tmp/q35.elf" | awk '$1 == "LOAD" {printf "%s %s ", $3, $5}' | python3 -c 'import sys; print(" ".join(hex(int(x, 16)) for x in sys.stdin.read().split()))')"
wait "$qpid" 2>/dev/null

# --progress on a terminal (tmux), nothing through a pipe: the kdump of the
# 4 GiB q35 guest takes long enough for the bar's first interval
if command -v tmux >/dev/null; then
    log=$tmp/tty.log
    in_tty "env -u NO_COLOR TERM=xterm $V core --progress --format kdump $tmp/q35.mig -o $tmp/q35.kdump" \
        "$log" 30
    check "--progress draws on a terminal" grep -q $'\rcore ' "$log"
    check "and the kdump is made (exit 0)" grep -q '\[exit 0\]' "$log"
    "$V" core --progress --force --format kdump "$tmp/q35.mig" -o "$tmp/q35.kdump" 2>"$tmp/err"
    same "--progress prints nothing through a pipe" "" "$(cat "$tmp/err")"
    rm -f "$tmp/q35.kdump"
fi

# ---- aarch64 virt ------------------------------------------------------------
if command -v qemu-system-aarch64 >/dev/null; then
    mkstream arm "stop;dump-guest-memory $tmp/arm.qemu.elf;dump-guest-memory -z $tmp/arm.qemu.flat;$(MIG arm | sed 's/^stop;//')" \
        qemu-system-aarch64 -M virt-7.2 -cpu cortex-a57 -smp 2 -m 128 \
        -device loader,file="$tmp/b4k",addr=0x40800000,force-raw=on
    check "aarch64: vmstate core" "$V" core "$tmp/arm.mig" -o "$tmp/arm.elf"
    check "aarch64: our core is QEMU's" python3 "$CMP" "$tmp/arm.qemu.elf" "$tmp/arm.elf"
    check "aarch64: --format kdump" "$V" core --format kdump "$tmp/arm.mig" -o "$tmp/arm.kdump"
    python3 "$UNFLAT" "$tmp/arm.qemu.flat" "$tmp/arm.qemu.kdump"
    # QEMU 7.2 names the machine "Unknown" (no ELF_MACHINE_UNAME for arm);
    # we write "aarch64", which crash and libkdumpfile look for
    check "aarch64 kdump: QEMU's but for utsname.machine = aarch64" \
        python3 "$VMS_SRCDIR/tests/integration/core-kdump-machine.py" \
        "$tmp/arm.qemu.kdump" "$tmp/arm.kdump"
    kdumpfile_reads "$tmp/arm.kdump" 0x40800000 "libkdumpfile reads the blob at 0x40800000 from our aarch64 kdump"
    # aarch64 elf_prstatus: pr_reg at 112, pc after x0..x30 and sp
    gdb_reads gdb-multiarch "$tmp/arm.elf" pc $((112 + 256)) 8 0x40800000
fi
done_testing
