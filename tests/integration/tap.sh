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

done_testing() {
    echo "1..$_tap_n"
    [ "$_tap_failed" -eq 0 ]
}
