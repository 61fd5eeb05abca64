#!/usr/bin/env bash
# vmstate demo writes a stream and a dump for both releases (TAP).
set -u
VMSTATE=${VMSTATE:-vmstate}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
t() {  # t NAME COMMAND...
    local name=$1
    shift
    n=$((n + 1))
    if "$@" >"$tmp/out" 2>&1; then
        echo "ok $n - $name"
    else
        fails=$((fails + 1))
        echo "not ok $n - $name"
        sed 's/^/# /' "$tmp/out" | head -20
    fi
}
t "release 1 writes stream and dump" \
    "$VMSTATE" demo --version 1 --stream "$tmp/v1.mig" --dump "$tmp/v1.json"
t "release 2 writes stream and dump" \
    "$VMSTATE" demo --version 2 --stream "$tmp/v2.mig" --dump "$tmp/v2.json"
t "streams start with QEVM version 3" \
    sh -c "head -c 8 '$tmp/v1.mig' | od -An -tx1 | grep -q '51 45 56 4d 00 00 00 03'"
t "dump is QEMU's schema with QEMU's type names" python3 -c "
import json, sys
d = json.load(open('$tmp/v1.json'))
assert list(d)[0] == 'vmschkmachine' and d['vmschkmachine']['Name'] == 'pc-i440fx-7.2'
for k in ['isa-i8259', 'mc146818rtc', 'isa-serial', 'isa-pit', 'PIIX3', 'e1000']:
    assert d[k]['Name'] == k, k
"
t "release 2: i8254 is version 4 with hpet_legacy, i8259 has irq_count" python3 -c "
import json
d = json.load(open('$tmp/v2.json'))
p = d['isa-pit']['Description']
assert p['version_id'] == 4 and p['Fields'][-1]['field'] == 'hpet_legacy'
assert p['Fields'][-1]['version_id'] == 4
assert d['isa-i8259']['Description']['Subsections'][0]['name'] == 'i8259/irq_count'
"
t "an existing output is kept without --force" sh -c \
    "! '$VMSTATE' demo --stream '$tmp/v1.mig' && test -s '$tmp/v1.mig'"
t "--force replaces it" \
    "$VMSTATE" demo --stream "$tmp/v1.mig" --force --seed 3
t "bad --version is a usage error" sh -c \
    "'$VMSTATE' demo --version 3 --stream '$tmp/x'; test \$? -eq 2"
t "no output file left behind on error" sh -c \
    "! ls -a '$tmp' | grep -q tmp"
# The engine's JSON-state visitor and the analyzer, which rebuilds the
# descriptions from the stream's vmdesc, must print the same state.
for args in "--version 1" "--version 2" "--version 1 --seed 5 --ram 2" \
            "--version 2 --seed 11 --ram 2"; do
    t "analyze -d state of the stream equals the engine's state ($args)" \
        sh -c "'$VMSTATE' demo $args --force --stream '$tmp/s.mig' \
                   --state '$tmp/engine.json' &&
               '$VMSTATE' analyze -f '$tmp/s.mig' > '$tmp/analyze.json' &&
               cmp '$tmp/engine.json' '$tmp/analyze.json'"
done
t "the engine's state JSON names repeated fields as the vmdesc does" \
    grep -q '"unused\[1\]"' "$tmp/engine.json"
echo "1..$n"
exit $((fails > 0))
