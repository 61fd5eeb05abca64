#!/usr/bin/env bash
# The command line, the same way for every subcommand: a missing option
# argument is "option 'X' needs an argument", an unknown option is
# "unknown option 'X'", wrong operand counts give one line; each with
# "(see 'vmstate CMD --help')", on stderr, exit 2, nothing on stdout.
. "$(dirname "$0")/tap.sh"
set -u
V=$VMSTATE
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one_line WHAT PATTERN CMD...: exit 2, one stderr line matching PATTERN.
one_line() {
    local what=$1 pat=$2
    shift 2
    "$V" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc = 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
        grep -qE -- "$pat" "$tmp/err"; then
        ok "$what"
    else
        not_ok "$what"
        echo "# exit $rc: $(head -3 "$tmp/err")"
    fi
}

# Missing option arguments, short and long, for each command.
for spec in "analyze -d" "analyze --desc" "analyze -C" "analyze --dump-vmstate" \
    "diff --format" "diff --ram" "diff --dump-vmstate" "verify -d" \
    "verify --format" "check -s" "check --dest" "convert -t" \
    "convert --dump-vmstate" "unpack --dump-vmstate" "demo --stream"; do
    set -- $spec
    one_line "$spec with no value: the option needs an argument" \
        "^vmstate $1: option '$2' needs an argument \(see 'vmstate $1 --help'\)$" $spec
done
for cmd in analyze diff verify check convert unpack pack demo; do
    one_line "$cmd -Z: unknown option, one line" \
        "^vmstate $cmd: unknown option '-Z' \(see 'vmstate $cmd --help'\)$" $cmd -Z
    one_line "$cmd --bogus=1: unknown option named without its value" \
        "^vmstate $cmd: unknown option '--bogus' \(see 'vmstate $cmd --help'\)$" $cmd --bogus=1
done
one_line "analyze -mZ: the letter inside a cluster is named" \
    "unknown option '-Z'" analyze -mZ x
# Wrong operand counts: one line, not the whole usage.
for spec in "analyze" "analyze a b" "diff a" "diff a b c" "verify" \
    "verify a b -d x" "convert a" "convert a b c --to json" "unpack a" \
    "unpack a b c" "pack a" "check a" "demo" "demo x --stream y"; do
    set -- $spec
    one_line "'$spec': one line and a pointer to --help" \
        "^vmstate $1: .* \(see 'vmstate $1 --help'\)$" $spec
done
one_line "analyze -d bad: the value is named" "-d takes state or desc, not 'bad'" \
    analyze -d bad x
done_testing
