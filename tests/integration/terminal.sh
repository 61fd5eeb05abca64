#!/usr/bin/env bash
# Terminal manners, on a real terminal: tmux runs vmstate in a pane and
# records every byte the pane receives (pipe-pane), so the test sees the
# progress bar's carriage returns and the colour escapes, then the same
# commands through pipes must show none of them.
. "$(dirname "$0")/tap.sh"
set -u
command -v tmux >/dev/null || skip_all "tmux is not installed (scripts/setup.sh installs it)"
tmp=$(mktemp -d)
cleanup() { tmux -L "$TTY_SOCK" kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# A stream with many RAM records, fed slowly through a pipe so that the run
# lasts longer than the bar's first 0.2 s interval.
"$VMSTATE" demo --ram 64 --seed 3 --stream "$tmp/s.mig" || exit 1
cat >"$tmp/slow.sh" <<SH
#!/bin/bash
{ head -c 300000 "$tmp/s.mig"; sleep 1; tail -c +300001 "$tmp/s.mig"; }
SH
chmod +x "$tmp/slow.sh"

# in_tty (tap.sh) runs a command line in a fresh tmux pane.
env=(env -u NO_COLOR TERM=xterm)
in_tty "$tmp/slow.sh | ${env[*]} $VMSTATE analyze --progress - >$tmp/tty.json" "$tmp/tty.log"
check "on a terminal the progress bar draws (MB/s, carriage return)" \
    grep -q $'\ranalyze .*MB/s' "$tmp/tty.log"
check "on a terminal analyze still exits 0" grep -q '\[exit 0\]' "$tmp/tty.log"
check "and erases its line at the end" grep -q $'\r\033\\[K' "$tmp/tty.log"

"$tmp/slow.sh" | "$VMSTATE" analyze --progress - >"$tmp/pipe.json" 2>"$tmp/pipe.err"
same "through a pipe the progress bar prints nothing" "" "$(cat "$tmp/pipe.err")"
check "and the JSON is the same" cmp -s "$tmp/tty.json" "$tmp/pipe.json"

in_tty "$tmp/slow.sh | ${env[*]} $VMSTATE analyze --progress -q - >/dev/null" "$tmp/q.log"
check "--quiet silences --progress on a terminal" \
    bash -c "! grep -q 'MB/s' '$tmp/q.log'"

# Colour: QEMU's checker lines, red on a terminal, plain elsewhere.
src=$VMS_SRCDIR/tests/cases/check
d1=$VMS_SHARED/testdata/checker/dump1.json
d2=$VMS_SHARED/testdata/checker/dump2.json
if [ -f "$d1" ]; then
    in_tty "${env[*]} $VMSTATE check -s $d1 -d $d2" "$tmp/c.log"
    check "check colours its findings on a terminal" grep -q $'\033\\[31m' "$tmp/c.log"
    in_tty "env NO_COLOR=1 TERM=xterm $VMSTATE check -s $d1 -d $d2" "$tmp/nc.log"
    check "never with NO_COLOR" bash -c "! grep -q $'\033\\\\[3' '$tmp/nc.log'"
    check "NO_COLOR run still prints the findings" grep -q 'Section' "$tmp/nc.log"
    in_tty "env TERM=dumb $VMSTATE check -s $d1 -d $d2" "$tmp/dumb.log"
    check "nor on TERM=dumb" bash -c "! grep -q $'\033\\\\[3' '$tmp/dumb.log'"
    "$VMSTATE" check -s "$d1" -d "$d2" >"$tmp/p.out"
    check "nor through a pipe (QEMU's bytes)" \
        cmp -s "$tmp/p.out" "$VMS_SHARED/testdata/checker/expected/dump1__dump2.out"
    out=$("$VMSTATE" check -q -s "$d1" -d "$d2" 2>&1)
    rc=$?
    same "check --quiet prints nothing" "" "$out"
    same "check --quiet keeps the exit status" \
        "$(cat "$VMS_SHARED/testdata/checker/expected/dump1__dump2.rc")" "$rc"
else
    ok "# SKIP colour tests: ../shared/testdata is absent"
fi

# diff: the same bar, over both streams.
"$VMSTATE" demo --ram 64 --seed 4 --stream "$tmp/t.mig" || exit 1
in_tty "$tmp/slow.sh | ${env[*]} $VMSTATE diff --progress - $tmp/t.mig >/dev/null" "$tmp/d.log"
check "diff --progress draws on a terminal" grep -q $'\rdiff .*MB/s' "$tmp/d.log"
"$tmp/slow.sh" | "$VMSTATE" diff --progress - "$tmp/t.mig" >/dev/null 2>"$tmp/d.err"
same "and prints nothing through a pipe" "" "$(cat "$tmp/d.err")"
out=$("$VMSTATE" diff -q "$tmp/s.mig" "$tmp/t.mig" 2>&1)
rc=$?
same "diff --quiet prints nothing" "" "$out"
same "diff --quiet exits 1 for different streams" 1 "$rc"

# unpack and pack: the same bar.
in_tty "${env[*]} $VMSTATE unpack --progress $tmp/s.mig $tmp/u.d && ${env[*]} $VMSTATE pack --progress $tmp/u.d $tmp/u.mig" "$tmp/u.log"
check "unpack and pack --progress exit 0 on a terminal" grep -q '\[exit 0\]' "$tmp/u.log"
check "pack's result is the stream" cmp -s "$tmp/s.mig" "$tmp/u.mig"
"$VMSTATE" unpack --progress "$tmp/s.mig" "$tmp/v.d" 2>"$tmp/u.err" &&
    "$VMSTATE" pack --progress "$tmp/v.d" "$tmp/v.mig" 2>>"$tmp/u.err"
same "unpack and pack --progress print nothing through a pipe" "" "$(cat "$tmp/u.err")"

mkdir "$tmp/x"
out=$("$VMSTATE" analyze -x -q -C "$tmp/x" "$tmp/s.mig")
same "analyze -x --quiet lists no files" "" "$out"
check "but writes them" test -s "$tmp/x/state.json"
v=$("$VMSTATE" --version)
check "--version names the version and the stream format" \
    bash -c "grep -q '^vmstate [0-9]' <<<'$v' && grep -q 'version 3' <<<'$v'"
done_testing
