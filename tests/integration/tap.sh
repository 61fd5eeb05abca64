# TAP helpers for integration tests written in shell: source this file.
# Every test prints "ok N - what" / "not ok N - what" and a plan at the end;
# a test that cannot run here says "1..0 # SKIP why" so the skip is visible.
_tap_n=0
_tap_failed=0

ok() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $*"
}

not_ok() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $*"
}

# check "what" command...: ok when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# same "what" EXPECTED ACTUAL: ok when the two strings are equal.
same() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1"
        diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/# /' | head -40
    fi
}

skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# shared_data DIR [MUST]: S, the shared test data's folder DIR
# ($VMS_SHARED/testdata/DIR); the whole test is skipped, visibly, when
# that folder (or its MUST inside) is missing.
shared_data() {
    S=${VMS_SHARED:-}/testdata/$1
    [ -d "$S/${2:-}" ] || skip_all "no shared test data at $S (set VMS_SHARED)"
}

# scratch: tmp, a fresh directory removed at exit; the processes whose ids
# the test adds to $pids (guests it started) are killed first.
scratch() {
    tmp=$(mktemp -d)
    pids=
    trap 'for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
}

# same_bytes "what" A B: ok when B is not empty and A holds the same bytes;
# else not_ok with the first lines of $tmp/err (the commands' messages).
same_bytes() {
    if [ -s "$3" ] && cmp -s "$2" "$3"; then
        ok "$1"
    else
        not_ok "$1"
        sed 's/^/# /' "$tmp/err" | head -3
    fi
}

# one_error "what" WANT RC PATTERN [OUT]: the command just run exited RC
# (pass its $?); ok when RC is WANT and $tmp/err holds one line, matching
# the extended regular expression PATTERN (and OUT, when named, is
# empty); else not_ok with the exit status and that output.
one_error() {
    if [ "$3" = "$2" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
        grep -qE -- "$4" "$tmp/err" && ! [ -s "${5:-/dev/null}" ]; then
        ok "$1"
    else
        not_ok "$1"
        echo "# exit $3"
        sed 's/^/# /' "$tmp/err" | head -3
    fi
}

# in_tty CMD LOG [SECONDS]: the shell command line CMD run in a fresh tmux
# pane (150x20), every byte the pane receives recorded in LOG, until CMD
# ends ("[exit N]" follows it) or SECONDS (10) have passed. Needs tmux.
TTY_SOCK=vms-tty-$$
in_tty() {
    local cmd=$1 log=$2 tries=$((${3:-10} * 10))
    tmux -L "$TTY_SOCK" kill-server 2>/dev/null
    : >"$log"
    tmux -L "$TTY_SOCK" -f /dev/null new-session -d -x 150 -y 20 \
        "sleep 0.5; $cmd; echo \"[exit \$?]\"; sleep 30"
    tmux -L "$TTY_SOCK" pipe-pane -o -t 0 "cat >>'$log'"
    for _ in $(seq "$tries"); do
        grep -q '\[exit [0-9]*\]' "$log" 2>/dev/null && break
        sleep 0.1
    done
    tmux -L "$TTY_SOCK" kill-server 2>/dev/null
}

done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}
