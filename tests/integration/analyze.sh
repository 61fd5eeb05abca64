#!/usr/bin/env bash
# vmstate analyze on the real QEMU streams in ../shared: byte-identical to
# python's analyze-migration.py where it works, exit 0 everywhere, the same
# output from a pipe as from the file, and the drop-in name.
. "$(dirname "$0")/tap.sh"
set -u
shared_data streams ref
scratch
V=$VMSTATE

for ref in "$S"/ref/*.json; do
    base=$(basename "$ref" .json)
    name=${base%.*}
    mode=${base##*.}
    if "$V" analyze -d "$mode" -f "$S/$name.mig" >"$tmp/out" 2>"$tmp/err" &&
       cmp -s "$tmp/out" "$ref"; then
        ok "$name -d $mode is byte-identical to python's"
    else
        not_ok "$name -d $mode is byte-identical to python's"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
done

for mig in "$S"/*.mig; do
    name=$(basename "$mig" .mig)
    case $name in *-old) continue ;; esac
    if "$V" analyze "$mig" >"$tmp/state" 2>"$tmp/err" &&
       python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/state"
    then
        ok "$name: -d state exits 0 with valid JSON"
    else
        not_ok "$name: -d state exits 0 with valid JSON"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
    if "$V" analyze -f - <"$mig" >"$tmp/pipe" 2>"$tmp/err" &&
       cmp -s "$tmp/state" "$tmp/pipe"; then
        ok "$name: a pipe gives the same output as the file"
    else
        not_ok "$name: a pipe gives the same output as the file"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
    rm -rf "$tmp/x" && mkdir "$tmp/x"
    if (cd "$tmp/x" && "$V" analyze -x -f "$mig" >"$tmp/names" 2>"$tmp/err") &&
       [ "$(head -1 "$tmp/names")" = desc.json ] &&
       [ "$(tail -1 "$tmp/names")" = state.json ] &&
       [ -z "$(find "$tmp/x" -name '.*')" ] &&
       [ "$(find "$tmp/x" -type f | wc -l)" = "$(wc -l <"$tmp/names")" ]; then
        ok "$name: -x writes desc.json, the RAM blocks, state.json"
    else
        not_ok "$name: -x writes desc.json, the RAM blocks, state.json"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
done

# -m: python crashes on the first non-zero page; ours prints every page.
"$V" analyze -m "$S/x86_64-pc-i440fx-devices.mig" >"$tmp/mem" 2>"$tmp/err"
check "-m exits 0 with valid JSON" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "memory" in d["ram (2)"]' "$tmp/mem"
check "-m prints page bytes" grep -q '"pc.ram (0x0000000000000000)": "' "$tmp/mem"

# -m on mapped-ram, the one stream where QEMU's -m works (its newest
# analyze-migration.py, which reads mapped-ram): byte for byte, every
# block in "section sizes" (recorded: sha256 and size of its output).
mr=$S/qemu10.0-x86_64-pc-mapped-ram.mig
read -r want_sum want_size <"$VMS_SRCDIR/tests/data/analyze-x/shared-qemu10.0-x86_64-pc-mapped-ram.m"
"$V" analyze -m "$mr" >"$tmp/mr" 2>"$tmp/err"
same "-m on mapped-ram is byte-identical to QEMU's tool" \
    "$want_sum $want_size" "$(sha256sum <"$tmp/mr" | cut -c1-64) $(stat -c %s "$tmp/mr")"
"$V" analyze -m - <"$mr" >"$tmp/mr2" 2>"$tmp/err"
check "... also from standard input when it is a file" cmp -s "$tmp/mr" "$tmp/mr2"

# -C DIR makes DIR when it is missing (one level, as unpack), and a block
# named "/rom@etc/acpi/tables" goes where QEMU's tool writes it.
rm -rf "$tmp/newdir"
"$V" analyze -x -q -C "$tmp/newdir" "$S/x86_64-pc-i440fx-devices.mig" 2>"$tmp/err"
check "-x -C makes a missing directory" test -s "$tmp/newdir/state.json"
check "-x writes rom@etc/acpi/tables inside it, as QEMU's tool" \
    test -f "$tmp/newdir/rom@etc/acpi/tables" -a ! -L "$tmp/newdir/rom@etc"

# The drop-in name takes QEMU's options.
am=$VMS_BUILDDIR/tools/analyze-migration
"$am" -f "$S/x86_64-pc-i440fx-devices.mig" >"$tmp/am" 2>&1
check "analyze-migration -f is the same command" \
    cmp -s "$tmp/am" "$S/ref/x86_64-pc-i440fx-devices.state.json"

# A stream without description: a clear message, then --desc makes it work.
old=$S/x86_64-pc-i440fx-2.0-old.mig
"$V" analyze "$old" >/dev/null 2>"$tmp/err"
rc=$?
msg=$(cat "$tmp/err")
case $rc:$msg in
    1:*"offset 0x"*"--desc FILE"*) ok "no description: exit 1 and a message naming --desc" ;;
    *) not_ok "no description: exit 1 and a message naming --desc"; echo "# $msg" ;;
esac
# pc-i440fx-7.2's description does not fit pc-i440fx-2.0's sections (it
# used to decode 27 of 30 and exit 0): the fit proof refuses it.
"$V" analyze -d desc "$S/x86_64-pc-live-xbzrle.mig" >"$tmp/desc.json"
"$V" analyze --desc "$tmp/desc.json" "$old" >"$tmp/old" 2>"$tmp/err"
one_error "--desc of another machine type: refused, naming the misfit and the remedy" \
    1 $? "does not fit the borrowed description: .*suppress-vmdesc=off"
rm -rf "$tmp/x" && mkdir "$tmp/x"
(cd "$tmp/x" && "$V" analyze -x "$old" >/dev/null 2>&1)
check "without a description -x still extracts the RAM" \
    test -s "$tmp/x/pc.ram"
check "... and leaves no state.json or temporary file" \
    test -z "$(find "$tmp/x" -name 'state.json' -o -name '.*tmp')"
done_testing
