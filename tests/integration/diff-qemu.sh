#!/usr/bin/env bash
# vmstate diff on streams QEMU 7.2 makes now: two streams of a running
# guest that keeps writing known pages, taken seconds apart, differ in
# exactly those pages and in the timers and CPU registers; an XBZRLE
# stream equals a plain one of the same stopped guest in every RAM page.
. "$(dirname "$0")/tap.sh"
set -u
. "$(dirname "$0")/qemu-streams.sh"
build_dirty_guest || skip_all "gcc -m32 cannot build the guest"

# The first stream is taken while the guest runs; it stays paused after
# the migration, "cont" resumes it, the second is taken 2 s later.
mkstream two "migrate \"exec:cat > $tmp/one.mig\";WAITMIG;cont;SLEEP:2;$(MIG two)" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 -kernel "$tmp/dirty.elf"
if ! [ -s "$tmp/one.mig" ] || ! [ -s "$tmp/two.mig" ]; then
    not_ok "QEMU made the two streams"
    sed 's/^/# /' "$tmp/two.qemu.log" "$tmp/two.hmp.log" | tail -5
    done_testing
    exit
fi

"$V" diff "$tmp/one.mig" "$tmp/one.mig" >"$tmp/out" 2>"$tmp/err"
same "a stream against itself: exit 0, no output" "0:" "$?:$(cat "$tmp/out" "$tmp/err")"

"$V" diff "$tmp/one.mig" "$tmp/two.mig" >"$tmp/out" 2>"$tmp/err"
same "two moments of a running guest: exit 1" 1 $?
# The guest writes a counter into every page of 16..18 MiB, nothing else.
want=$(for ((p = 0x1000000; p < 0x1200000; p += 4096)); do printf 'ram: pc.ram: 0x%x\n' $p; done)
"$V" diff --ram pages "$tmp/one.mig" "$tmp/two.mig" >"$tmp/pages" 2>/dev/null
same "the differing RAM pages are exactly the 512 the guest writes" \
    "$want" "$(grep '^ram: pc.ram: ' "$tmp/pages")"
check "the summary counts them and starts at 16 MiB" \
    grep -q '^ram: pc.ram: 512 pages differ (of 16384); first: 0x1000000 0x1001000 ' "$tmp/out"
check "the clock moved: timer fields differ" \
    grep -q '^timer\.cpu_clock_offset: "0x[0-9a-f]*" != "0x[0-9a-f]*"$' "$tmp/out"
# regs[1] is the guest's counter (%ecx), regs[7] its pointer (%edi).
check "the CPU ran: its registers differ" \
    grep -q '^cpu\.env\.regs\[[17]\]: "0x[0-9a-f]*" != "0x[0-9a-f]*"$' "$tmp/out"
"$V" diff --format json --ram pages "$tmp/one.mig" "$tmp/two.mig" >"$tmp/json"
check "--format json --ram pages: the same 512 pages" \
    python3 "$VMS_SRCDIR/tests/integration/diff-qemu-pages.py" "$tmp/json"

# XBZRLE: live with a slow link (pages resent as deltas); then QEMU loads
# that stream (paused, -S) and saves it again without XBZRLE: every RAM
# page must be the same in both.
mkstream xb "migrate_set_capability xbzrle on;migrate_set_parameter xbzrle-cache-size 64M;migrate_set_parameter max-bandwidth 4M;migrate_set_parameter downtime-limit 1;migrate -d \"exec:cat > $tmp/xb.mig\";SLEEP:2.5;migrate_set_parameter downtime-limit 2000;migrate_set_parameter max-bandwidth 4G;WAITMIG;quit" \
    qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 -kernel "$tmp/dirty.elf"
mkstream plain "$(MIG plain)" qemu-system-x86_64 -M pc-i440fx-7.2 -m 64 \
    -S -incoming "exec:cat $tmp/xb.mig"
if [ -s "$tmp/xb.mig" ] && [ -s "$tmp/plain.mig" ]; then
    "$V" diff "$tmp/xb.mig" "$tmp/plain.mig" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -le 1 ] && ! grep -q '^ram:' "$tmp/out"; then
        ok "an XBZRLE stream and QEMU's plain re-save of it: same RAM"
    else
        not_ok "an XBZRLE stream and QEMU's plain re-save of it: same RAM (rc $rc)"
        sed 's/^/# /' "$tmp/err" "$tmp/out" | grep -v '^# [^r]' | head -5
    fi
    "$V" diff "$tmp/xb.mig" "$tmp/two.mig" --ram pages >"$tmp/out" 2>/dev/null
    check "XBZRLE stream vs another guest: its dirtied pages differ" \
        grep -q '^ram: pc.ram: 0x1000000$' "$tmp/out"
else
    not_ok "QEMU made the XBZRLE and plain streams"
    sed 's/^/# /' "$tmp/plain.hmp.log" | grep -v '^# [a-z -]*:' | tail -8
fi
# Configuration first: QEMU 7.2's pc-i440fx-7.2 against QEMU 5.2's
# pc-i440fx-5.2, the same devices: the machine type differs, before any
# device line, in text and in JSON.
Q52=/var/cache/vmstate-qemu/5.2/bin/qemu-system-x86_64
mkstream c72 "$(MIG c72)" qemu-system-x86_64 -M pc-i440fx-7.2 -m 64
if [ -x "$Q52" ] && mkstream c52 "$(MIG c52)" "$Q52" -M pc-i440fx-5.2 -m 64 &&
    [ -s "$tmp/c72.mig" ]; then
    "$V" diff "$tmp/c72.mig" "$tmp/c52.mig" >"$tmp/out" 2>"$tmp/err"
    same "7.2 vs 5.2: exit 1, the machine type on the first line" \
        '1:configuration: machine: "pc-i440fx-7.2" != "pc-i440fx-5.2"' \
        "$?:$(head -1 "$tmp/out")"
    "$V" diff --format json "$tmp/c72.mig" "$tmp/c52.mig" >"$tmp/json" 2>/dev/null
    check "7.2 vs 5.2, JSON: configuration (the machine) comes before the devices" \
        python3 "$VMS_SRCDIR/tests/integration/diff-qemu-config.py" "$tmp/json"
else
    echo "# QEMU 5.2 missing or failed ($Q52): scripts/qemu-versions.sh makes it"
    ok "7.2 vs 5.2 configuration # SKIP no QEMU 5.2 stream"
fi

# A capability the configuration record carries (x-ignore-shared; QEMU
# lists only those the destination must validate, savevm.c
# should_validate_capability): said before the devices.
if [ -s "$tmp/c72.mig" ] && [ -d /dev/shm ] && stream_shared; then
    "$V" diff "$tmp/shared.mig" "$tmp/c72.mig" >"$tmp/out" 2>/dev/null
    same "x-ignore-shared vs a plain stream: the capability on the first line" \
        "configuration: only in A: capability x-ignore-shared" "$(head -1 "$tmp/out")"
else
    ok "capability difference # SKIP no x-ignore-shared stream (/dev/shm)"
fi

# A stream with its description against the same stream without it,
# decoded through QEMU 7.2's -dump-vmstate: the same state, so no
# difference at all (sections the dump prints raw are compared as bytes;
# "00" and "0x00" are one value).
if [ -s "$tmp/c72.mig" ] && qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate "$tmp/c72.dump.json" \
    >/dev/null 2>&1; then
    python3 "$VMS_SRCDIR/tests/integration/vmdesc_cut.py" "$tmp/c72.mig" \
        "$tmp/c72-nodesc.mig"
    "$V" diff --dump-vmstate "$tmp/c72.dump.json" "$tmp/c72.mig" \
        "$tmp/c72-nodesc.mig" >"$tmp/out" 2>"$tmp/err"
    same "vmdesc-decoded vs dump-decoded copy of one stream: exit 0, nothing printed" \
        "0:" "$?:$(cat "$tmp/out")"
    if [ -s "$tmp/c52.mig" ]; then
        "$V" diff --dump-vmstate "$tmp/c72.dump.json" "$tmp/c72.mig" \
            "$tmp/c52.mig" >"$tmp/out" 2>/dev/null
        check "... and against the 5.2 stream, its differences remain" \
            grep -q '^configuration: machine: ' "$tmp/out"
    fi
else
    not_ok "QEMU 7.2 wrote a stream and its -dump-vmstate"
fi
done_testing
