#!/usr/bin/env bash
# Data-driven cases: tests/cases/check/<case>/{args,expected.out,
# expected.err,expected.rc}, run from inside the case folder (file names in
# args are relative to it). Bad inputs must give the documented one-line
# message, status and stdout, and never crash. Prints TAP.
set -u
cases=${VMS_SRCDIR:?}/tests/cases/check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list=$(cd "$cases" && ls -d */ | tr -d /)
echo "1..$(echo "$list" | wc -l)"
n=0
for c in $list; do
    n=$((n + 1))
    read -r -a args <"$cases/$c/args"
    (cd "$cases/$c" && "$VMSTATE" check "${args[@]}" >"$tmp/out" 2>"$tmp/err")
    rc=$?
    if [ "$rc" = "$(cat "$cases/$c/expected.rc")" ] &&
       cmp -s "$tmp/out" "$cases/$c/expected.out" &&
       cmp -s "$tmp/err" "$cases/$c/expected.err"; then
        echo "ok $n - $c"
    else
        echo "not ok $n - $c (exit $rc, want $(cat "$cases/$c/expected.rc"))"
        diff "$tmp/out" "$cases/$c/expected.out" | sed 's/^/# /' | head -10
        diff "$tmp/err" "$cases/$c/expected.err" | sed 's/^/# /' | head -10
    fi
done
