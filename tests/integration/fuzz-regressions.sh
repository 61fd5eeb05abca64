#!/usr/bin/env bash
# Inputs the fuzzers once crashed on (tests/fuzz/regressions/TARGET-what),
# replayed through the command that reads them, in every build (so under
# ASan/UBSan/LSan in the sanitizer suite): each must end with exit 0 or 1
# and, for 1, one line of error.
. "$(dirname "$0")/tap.sh"
set -u
V=$VMSTATE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$VMS_SRCDIR"/tests/fuzz/regressions/*; do
    name=$(basename "$f")
    target=${name%%-*}
    # The targets' first byte picks a mode; the rest is the file.
    tail -c +2 "$f" >"$tmp/in"
    mode=$(( $(od -An -tu1 -N1 "$f") & 3 ))
    to=(wire ber json trace)
    case $target in
    stream) cmd=("$V" analyze "$tmp/in") ;;
    json|berdoc) cmd=("$V" convert "$tmp/in" "$tmp/out" --to "${to[$mode]}"
                       --force) ;;
    *) ok "$name # SKIP no command replays $target inputs"; continue ;;
    esac
    "${cmd[@]}" >/dev/null 2>"$tmp/err"
    rc=$?
    if { [ $rc = 0 ] || { [ $rc = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ]; }; }; then
        ok "$name: exit $rc"
    else
        not_ok "$name: exit $rc"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
done
done_testing
