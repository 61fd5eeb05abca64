#!/usr/bin/env bash
# make-expected.sh: the expected outputs of QEMU's own checkers, for
# tests/check/rules.sh. Run by a maintainer when the pairs or the rules
# change; the outputs are committed, QEMU's scripts are not.
#
#   bash tests/check/make-expected.sh SCRIPTS_DIR [DUMPS_DIR]
#
# SCRIPTS_DIR holds qemu-7.2.py, qemu-10.0.py and qemu-10.2.py: each
# release's scripts/vmstate-static-checker.py from Debian's source packages,
# e.g. in a temporary directory:
#   bash scripts/qemu-versions.sh apt source --download-only \
#       qemu=1:7.2+dfsg-7+deb12u18      # bookworm: 7.2
#   (and qemu=1:10.0.2+ds-2+deb13u1~bpo12+1, qemu=1:10.2.2+ds-1)
#   tar -xJf qemu_7.2+dfsg.orig.tar.xz --strip-components=2 \
#       --wildcards '*/scripts/vmstate-static-checker.py'
# DUMPS_DIR: tests/check/crossdumps.sh's (made when absent). Writes
# tests/check/expected/A__B.RULES.{out,rc} for every pair of
# crossdumps.sh --pairs and for QEMU's test pair (../shared/testdata/checker
# dump1, dump2) both ways.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scripts=$1
dumps=${2:-$(bash "$here/crossdumps.sh")}
shared=${VMS_SHARED:-$here/../../../shared}/testdata/checker
out=$here/expected
mkdir -p "$out"
run() {   # rules src dest name
    local rc=0
    python3 "$scripts/$1.py" -s "$2" -d "$3" >"$out/$4.$1.out" 2>/dev/null || rc=$?
    echo "$rc" >"$out/$4.$1.rc"
}
for rules in qemu-7.2 qemu-10.0 qemu-10.2; do
    run "$rules" "$shared/dump1.json" "$shared/dump2.json" dump1__dump2
    run "$rules" "$shared/dump2.json" "$shared/dump1.json" dump2__dump1
    # A made-up pair where size and size x num disagree (7.2 vs 8.1+).
    run "$rules" "$here/data/unused-num-src.json" \
        "$here/data/unused-num-dest.json" unused-num-src__unused-num-dest
    run "$rules" "$here/data/unused-num-dest.json" \
        "$here/data/unused-num-src.json" unused-num-dest__unused-num-src
    bash "$here/crossdumps.sh" --pairs | while read -r a b; do
        run "$rules" "$dumps/$a.json" "$dumps/$b.json" "${a}__${b}"
    done
done
