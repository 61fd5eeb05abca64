#!/usr/bin/env bash
# vmstate check --rules and --baseline against QEMU's own checkers.
#
# tests/check/expected holds what QEMU 7.2's, 10.0's and 10.2's
# scripts/vmstate-static-checker.py print (and exit with) on QEMU's test
# pair both ways, a made-up pair where size and size x num disagree, and
# cross-version pairs of dumps that tests/check/crossdumps.sh makes now with
# QEMU 5.2, 7.2 and 10.0 (cached in build-testdata/; a dump of one binary is
# deterministic). Each must come out byte for byte under --rules of the
# same name. Then: a rules file adding one rename removes exactly its
# findings; malformed rules are one line naming the JSON path; a baseline
# of all findings silences a pair, and a break added to the destination is
# then the only finding. Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
exp=$here/expected
shared=${VMS_SHARED:-}/testdata/checker
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
# same NAME EXPECTED-BASE CMD...: stdout and exit status equal the files.
same() {
    local name=$1 base=$2 rc
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if cmp -s "$tmp/out" "$base.out" && [ "$rc" = "$(cat "$base.rc")" ]; then
        ok "$name"
    else
        nok "$name (exit $rc, want $(cat "$base.rc"))"
        diff "$tmp/out" "$base.out" | head -10 | sed 's/^/# /'
        head -3 "$tmp/err" | sed 's/^/# /'
    fi
}

dumps=""
if [ "${VMS_QEMU_TESTS:-0}" = 1 ] && command -v qemu-system-x86_64 >/dev/null
then
    dumps=$(bash "$here/crossdumps.sh") || dumps=""
fi
echo "# QEMU 5.2 ppc64 has no dump: its -dump-vmstate segfaults half-way (a QEMU 5.2 bug)"
[ -n "$dumps" ] || echo "# no QEMU (VMS_QEMU_TESTS=1 and qemu-system-*): cross-version pairs skipped"

# The cache is sound only if a QEMU binary dumps the same bytes each time.
if [ -n "$dumps" ]; then
    qdir=${VMSTATE_QEMU_DIR:-/var/cache/vmstate-qemu}
    for rel in 7.2 10.0 5.2; do
        bin=$qdir/$rel/bin/qemu-system-x86_64
        [ "$rel" = 7.2 ] && bin=$(command -v qemu-system-x86_64)
        f=$dumps/qemu$rel-x86_64-pc-i440fx-5.2.json
        [ -x "$bin" ] && [ -f "$f" ] || continue
        "$bin" -M pc-i440fx-5.2 -nodefaults -display none \
            -dump-vmstate "$tmp/again.json" >/dev/null 2>&1
        cmp -s "$tmp/again.json" "$f" &&
            ok "QEMU $rel dumps the same bytes again (cache is sound)" ||
            nok "QEMU $rel: a second -dump-vmstate differs from the cached one"
    done
fi

for rules in qemu-7.2 qemu-10.0 qemu-10.2; do
    if [ -f "$shared/dump1.json" ]; then
        same "$rules: QEMU's test pair dump1 -> dump2" "$exp/dump1__dump2.$rules" \
            "$VMSTATE" check --rules "$rules" -s "$shared/dump1.json" -d "$shared/dump2.json"
        same "$rules: QEMU's test pair dump2 -> dump1" "$exp/dump2__dump1.$rules" \
            "$VMSTATE" check --rules "$rules" -s "$shared/dump2.json" -d "$shared/dump1.json"
    fi
    same "$rules: unused gap, size x num (src -> dest)" \
        "$exp/unused-num-src__unused-num-dest.$rules" "$VMSTATE" check \
        --rules "$rules" -s "$here/data/unused-num-src.json" -d "$here/data/unused-num-dest.json"
    same "$rules: unused gap, size x num (dest -> src)" \
        "$exp/unused-num-dest__unused-num-src.$rules" "$VMSTATE" check \
        --rules "$rules" -s "$here/data/unused-num-dest.json" -d "$here/data/unused-num-src.json"
    [ -n "$dumps" ] || continue
    missing=0
    if [ "$rules" = qemu-10.2 ]; then
        # The default rules: each pair by the drop-in's own -s/-d run.
        while read -r a b; do
            if [ ! -f "$dumps/$a.json" ] || [ ! -f "$dumps/$b.json" ]; then
                missing=$((missing + 1))
                continue
            fi
            same "$rules: $a -> $b" "$exp/${a}__${b}.$rules" \
                "$VMSTATE" check --rules "$rules" -s "$dumps/$a.json" -d "$dumps/$b.json"
        done < <(bash "$here/crossdumps.sh" --pairs)
    else
        # The other rules through one --matrix run (each dump parsed once:
        # the test stays fast under ASan); check/matrix proves a matrix's
        # pair equals that pair's own run. The pair's lines are its block
        # of the text, its exit status the pair's "errors" in json.
        "$VMSTATE" check --matrix --rules "$rules" "$dumps"/*.json >"$tmp/m.txt"
        "$VMSTATE" check --matrix --rules "$rules" --format json \
            "$dumps"/*.json >"$tmp/m.json"
        bash "$here/crossdumps.sh" --pairs >"$tmp/pairs"
        while read -r verdict what; do
            case $verdict in
                PASS) ok "$rules: $what (matrix)" ;;
                FAIL) nok "$rules: $what (matrix)" ;;
                MISSING) missing=$what ;;
                *) echo "# $verdict $what" ;;
            esac
        done < <(python3 - "$tmp/m.txt" "$tmp/m.json" "$dumps" "$exp" \
                 "$rules" "$tmp/pairs" <<'PY'
import json, os, re, sys
text, js, dumps, exp, rules, pairs = sys.argv[1:]
out = open(text).read()
parts = re.split(r"\n== \[\d+\] (\S+) -> \[\d+\] (\S+): \d+ errors? ==\n", out)
blocks = {(parts[i], parts[i + 1]): parts[i + 2]
          for i in range(1, len(parts), 3)}
errors = {(p["src"], p["dest"]): p["errors"]
          for p in json.load(open(js))["pairs"]}
missing = 0
for line in open(pairs):
    a, b = line.split()
    key = (os.path.join(dumps, a + ".json"), os.path.join(dumps, b + ".json"))
    if key not in blocks:
        missing += 1
        continue
    want = open(os.path.join(exp, "%s__%s.%s.out" % (a, b, rules))).read()
    rc = int(open(os.path.join(exp, "%s__%s.%s.rc" % (a, b, rules))).read())
    got = blocks[key]
    if want and not want.endswith("\n"):
        want += "\n"        # the matrix ends an unterminated block
    good = got == want and errors[key] == rc
    print("%s %s -> %s%s" % ("PASS" if good else "FAIL", a, b,
          "" if good else " (errors %d, want %d)" % (errors[key], rc)))
print("MISSING", missing)
PY
)
    fi
    [ "$missing" = 0 ] || echo "# $rules: $missing pairs skipped (a QEMU release is not installed)"
done

# The default is the newest rules; the drop-in name takes --rules too.
if [ -f "$shared/dump1.json" ]; then
    same "no --rules = qemu-10.2" "$exp/dump1__dump2.qemu-10.2" \
        "$VMSTATE" check -s "$shared/dump1.json" -d "$shared/dump2.json"
    same "vmstate-static-checker --rules qemu-7.2" "$exp/dump1__dump2.qemu-7.2" \
        "$(dirname "$VMSTATE")/vmstate-static-checker" --rules qemu-7.2 \
        -s "$shared/dump1.json" -d "$shared/dump2.json"
fi

# A user's file adding QEMU 10.2's acpi-ghes rename to QEMU 7.2's rules:
# exactly the acpi-ghes finding goes, the rest is 7.2's output.
a=qemu7.2-x86_64-pc-i440fx-7.2 b=qemu10.0-x86_64-pc-i440fx-7.2
if [ -n "$dumps" ] && [ -f "$dumps/$b.json" ]; then
    cat >"$tmp/ghes.json" <<'JSON'
{ "name": "ghes", "field_renames": { "acpi-ghes": ["ghes_addr_le", "hw_error_le"] } }
JSON
    "$VMSTATE" check --rules qemu-7.2 --rules "$tmp/ghes.json" \
        -s "$dumps/$a.json" -d "$dumps/$b.json" >"$tmp/out"
    rc=$?
    grep -v '"acpi-ghes"' "$exp/${a}__${b}.qemu-7.2.out" >"$tmp/want"
    removed=$(( $(wc -l <"$exp/${a}__${b}.qemu-7.2.out") - $(wc -l <"$tmp/want") ))
    want_rc=$(( $(cat "$exp/${a}__${b}.qemu-7.2.rc") - removed ))
    if [ "$removed" = 1 ] && cmp -s "$tmp/out" "$tmp/want" && [ "$rc" = "$want_rc" ]
    then
        ok "--rules qemu-7.2 --rules FILE(acpi-ghes) removes exactly 1 finding (exit $rc)"
    else
        nok "--rules FILE: exit $rc want $want_rc, removed $removed"
        diff "$tmp/out" "$tmp/want" | head -5 | sed 's/^/# /'
    fi
else
    echo "# no QEMU 10.0 dump: rename-file test skipped"
fi

# Malformed rules: one line naming the file and the JSON path, no stdout.
bad() {   # name json path-in-message
    printf '%s\n' "$2" >"$tmp/bad.json"
    "$VMSTATE" check --rules "$tmp/bad.json" -s "$here/data/unused-num-src.json" \
        -d "$here/data/unused-num-dest.json" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" = 255 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
        grep -qF "$tmp/bad.json: $3" "$tmp/err"; then
        ok "malformed rules ($1): $(cat "$tmp/err")"
    else
        nok "malformed rules ($1): exit $rc: $(cat "$tmp/err")"
    fi
}
bad "not a string" '{"field_renames": {"apic": ["timer", 3]}}' '$.field_renames.apic[1]: '
bad "one name" '{"field_renames": {"apic": ["timer"]}}' '$.field_renames.apic: '
bad "bad pair" '{"section_renames": [["a", "b"], ["c"]]}' '$.section_renames[1]: '
bad "unused_size" '{"unused_size": "num"}' '$.unused_size: '
bad "unknown key" '{"field_rename": {}}' '$.field_rename: '
bad "not JSON" '{"field_renames": ' 'line 2 column 0: '
"$VMSTATE" check --rules qemu-9.9 -s x -d y >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q "qemu-9.9" "$tmp/err" && ok "unknown built-in: usage error" ||
    nok "unknown built-in: exit $rc"

# Baseline: all findings of a pair accepted -> silent, exit 0; one break
# added to the destination -> exactly that finding, exit 1.
if [ -f "$shared/qemu7.2-x86_64-pc-i440fx-7.2.json" ]; then
    s=$shared/qemu7.2-x86_64-pc-i440fx-7.2.json d=$shared/qemu10.0-x86_64-pc-i440fx-7.2.json
else
    s=$shared/dump1.json d=$shared/dump2.json
fi
"$VMSTATE" check -s "$s" -d "$d" --format json >"$tmp/base.json"
base_rc=$?
"$VMSTATE" check -s "$s" -d "$d" --baseline "$tmp/base.json" >"$tmp/out"
rc=$?
[ "$base_rc" -gt 0 ] && [ "$rc" = 0 ] && [ ! -s "$tmp/out" ] &&
    ok "baseline of all $base_rc findings: exit 0, nothing printed" ||
    nok "baseline: exit $rc (base $base_rc), $(wc -l <"$tmp/out") lines"
# Messages reworded: matching is by kind and place, not text.
python3 "$VMS_SRCDIR/tests/check/rules-reword.py" "$tmp/base.json"
"$VMSTATE" check -s "$s" -d "$d" --baseline "$tmp/base.json" >"$tmp/out"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/out" ] && ok "baseline matches with messages changed" ||
    nok "baseline with messages changed: exit $rc"
# A new break: dest's "mc146818rtc" section version lowered below src's.
python3 "$VMS_SRCDIR/tests/check/rules-dest-rtc-v1.py" "$d" "$tmp/dest.json"
sv=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mc146818rtc"]["version_id"])' "$s")
"$VMSTATE" check -s "$s" -d "$tmp/dest.json" --baseline "$tmp/base.json" >"$tmp/out"
rc=$?
want="Section \"mc146818rtc\" version error: $sv > 1"
[ "$rc" = 1 ] && [ "$(cat "$tmp/out")" = "$want" ] &&
    ok "baseline + a new break: exactly it, exit 1" ||
    nok "baseline + new break: exit $rc: $(head -3 "$tmp/out")"
"$VMSTATE" check -s "$s" -d "$tmp/dest.json" --baseline "$tmp/base.json" \
    --format json >"$tmp/out.json"
python3 "$VMS_SRCDIR/tests/check/rules-accepted.py" "$tmp/out.json" "$base_rc" && ok "--format json: accepted ones marked, the new one not" || nok "--format json with baseline"
echo "1..$n"
