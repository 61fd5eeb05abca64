#!/usr/bin/env bash
# QEMU's own checker outputs (../shared/testdata/checker/expected) must come
# out byte for byte, with the same exit status, both directions, with and
# without --reverse, under both program names. Prints TAP.
set -u
dir=${VMS_SHARED:-}/testdata/checker
if [ ! -d "$dir/expected" ]; then
    echo "1..0 # SKIP ../shared/testdata/checker is absent"
    exit 0
fi
checker=$(dirname "$VMSTATE")/vmstate-static-checker
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0
check() {   # name expected-base cmd...
    local name=$1 base=$2 rc
    shift 2
    n=$((n + 1))
    "$@" >"$out" 2>/dev/null
    rc=$?
    if cmp -s "$out" "$base.out" && [ "$rc" = "$(cat "$base.rc")" ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name (exit $rc, want $(cat "$base.rc"))"
        diff "$out" "$base.out" | sed 's/^/# /' | head -20
    fi
}
echo "1..14"
for pair in dump1:dump2 \
    qemu7.2-x86_64-pc-i440fx-7.2:qemu10.0-x86_64-pc-i440fx-7.2 \
    qemu10.0-x86_64-pc-i440fx-7.2:qemu7.2-x86_64-pc-i440fx-7.2; do
    a=${pair%%:*} b=${pair#*:}
    exp=$dir/expected/${a}__${b}
    rev=$dir/expected/${b}__${a}
    [ -f "$exp.out" ] || exp=$dir/expected/${b}__${a}.reverse
    [ -f "$rev.out" ] || rev=$dir/expected/${a}__${b}.reverse
    check "$a -> $b" "$exp" "$VMSTATE" check -s "$dir/$a.json" -d "$dir/$b.json"
    check "$a -> $b --reverse" "$rev" \
        "$VMSTATE" check --src "$dir/$a.json" --dest "$dir/$b.json" --reverse
    check "$a -> $b (vmstate-static-checker)" "$exp" \
        "$checker" -s "$dir/$a.json" -d "$dir/$b.json"
    check "$a -> $b -r (vmstate-static-checker)" "$rev" \
        "$checker" -d "$dir/$b.json" -r -s "$dir/$a.json"
done
# dump2 -> dump1 is dump1 -> dump2 reversed.
check "dump2 -> dump1" "$dir/expected/dump1__dump2.reverse" \
    "$VMSTATE" check -s "$dir/dump2.json" -d "$dir/dump1.json"
check "dump2 -> dump1 --reverse" "$dir/expected/dump1__dump2" \
    "$VMSTATE" check -s "$dir/dump2.json" -d "$dir/dump1.json" --reverse
