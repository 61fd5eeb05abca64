#!/usr/bin/env bash
# The command line, the same way for every subcommand and for vmstate
# itself: a missing option argument is "option 'X' needs an argument", an
# unknown option is "unknown option 'X'", wrong operand counts give one
# line; each with "(see 'vmstate CMD --help')", on stderr, exit 2,
# nothing on stdout.
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
    one_error "$what" 2 $? "$pat" "$tmp/out"
}

# Missing option arguments, short and long, for each command.
for spec in "analyze -d" "analyze --desc" "analyze -C" "analyze --dump-vmstate" \
    "diff --format" "diff --ram" "diff --dump-vmstate" "verify -d" \
    "verify --format" "check -s" "check --dest" "convert -t" \
    "convert --dump-vmstate" "unpack --dump-vmstate" "demo --stream" \
    "info --format" "analyze --snapshot" "core -o" "core --format" \
    "core --memory-map"; do
    set -- $spec
    one_line "$spec with no value: the option needs an argument" \
        "^vmstate $1: option '$2' needs an argument \(see 'vmstate $1 --help'\)$" $spec
done
for cmd in analyze diff verify check convert unpack pack demo info core; do
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
    "unpack a b c" "pack a" "check a" "demo" "demo x --stream y" "info" \
    "info a b" "core" "core a" "core a b -o c"; do
    set -- $spec
    one_line "'$spec': one line and a pointer to --help" \
        "^vmstate $1: .* \(see 'vmstate $1 --help'\)$" $spec
done
# The same for every command "vmstate help" lists and every option its
# --help lists, so that a new command or option is held to the shape:
# each option that takes a value (an upper-case placeholder after it),
# short and long, given without one; an unknown option; no operands and
# too many.
cmds=$("$V" help | awk '/^Commands:/ {on = 1; next} on && !NF {exit} on {print $1}')
[ -n "$cmds" ] || not_ok "'vmstate help' lists the commands"
for cmd in $cmds; do
    opts=$("$V" "$cmd" --help | sed -nE \
        's/^ {1,6}(-[a-zA-Z], )?(--[a-z][a-z0-9-]*) +[A-Z][A-Z|.]*( .*)?$/\1\2/p' |
        tr ',' ' ')
    [ -n "$opts" ] || [ "$cmd" = pack ] ||
        not_ok "$cmd --help lists options that take a value"
    for o in $opts; do
        one_line "$cmd $o with no value: the one shape" \
            "^vmstate $cmd: option '$o' needs an argument \(see 'vmstate $cmd --help'\)$" \
            "$cmd" "$o"
    done
    one_line "$cmd -Z: unknown option, the one shape" \
        "^vmstate $cmd: unknown option '-Z' \(see 'vmstate $cmd --help'\)$" "$cmd" -Z
    one_line "$cmd with no operand: the one shape" \
        "^vmstate $cmd: [^ ].* \(see 'vmstate $cmd --help'\)$" "$cmd"
    one_line "$cmd with seven operands: the one shape" \
        "^vmstate $cmd: [^ ].* \(see 'vmstate $cmd --help'\)$" "$cmd" a b c d e f g
done
# vmstate itself, in the same shape: no command, an unknown option or
# command, help with an unknown command or too many.
top="\(see 'vmstate --help'\)$"
one_line "vmstate with no command: the one shape" "^vmstate: [^ ].* $top"
one_line "vmstate -Z: unknown option, the one shape" \
    "^vmstate: unknown option '-Z' $top" -Z
one_line "vmstate --bogus=1: unknown option named without its value" \
    "^vmstate: unknown option '--bogus' $top" --bogus=1
one_line "vmstate nosuch: not a command, the one shape" \
    "^vmstate: 'nosuch' is not a vmstate command $top" nosuch
one_line "vmstate help nosuch: the same" \
    "^vmstate: 'nosuch' is not a vmstate command $top" help nosuch
one_line "vmstate help a b: one line" "^vmstate: [^ ].* $top" help a b
# A value outside an option's choices: one shape for every option.
one_line "analyze -d bad: the value is named" \
    "^vmstate analyze: -d: 'bad' is not one of state, desc \(see 'vmstate analyze --help'\)$" \
    analyze -d bad x
for spec in "diff --format=xml a b" "diff --ram=xml a b" "info --format=xml a" \
    "core --format=xml a -o b" "check --format=xml a b" "verify --format=xml a -d b"; do
    set -- $spec
    one_line "'$spec': the choices, one line" \
        "^vmstate $1: --[a-z]+: 'xml' is not one of [a-z, ]+ \(see 'vmstate $1 --help'\)$" $spec
done
# Messages, composed once: warnings carry the command's name; a nested
# location is not repeated; outputs are named by the path given.
S=${VMS_SHARED:-}/testdata
if [ -f "$S/streams/x86_64-pc-i440fx-devices.mig" ]; then
    python3 "$VMS_SRCDIR/tests/integration/vmdesc_cut.py" \
        "$S/streams/x86_64-pc-i440fx-devices.mig" "$tmp/nodesc.mig"
    "$V" analyze --dump-vmstate "$S/checker/qemu7.2-x86_64-pc-i440fx-7.2.json" \
        "$tmp/nodesc.mig" >/dev/null 2>"$tmp/err"
    check "warnings say 'vmstate analyze:', as its errors do" \
        bash -c "grep -q ': warning: ' '$tmp/err' && ! grep -v '^vmstate analyze: ' '$tmp/err' | grep -q ."
    "$V" unpack "$S/streams/x86_64-pc-i440fx-devices.mig" "$tmp/u" >/dev/null 2>&1
    python3 "$VMS_SRCDIR/tests/integration/cli-hpet-v3.py" "$tmp/u/stream.json"
    "$V" pack "$tmp/u" "$tmp/p.mig" >/dev/null 2>"$tmp/err"
    check "pack of hpet version 3: refused, 'hpet' said once" \
        bash -c "grep -q 'hpet: version 3 is newer' '$tmp/err' && ! grep -q 'hpet: hpet' '$tmp/err'"
    printf '{"sections": [' >"$tmp/u/stream.json"
    "$V" pack "$tmp/u" "$tmp/p.mig" >/dev/null 2>"$tmp/err"
    check "a JSON syntax error names line and column once" \
        bash -c "[ \$(grep -o 'line [0-9]* column [0-9]*' '$tmp/err' | wc -l) = 1 ]"
fi
# Unwritable outputs, as a user without root's overrides.
as_user=
if [ "$(id -u)" != 0 ]; then
    as_user=" "
elif command -v runuser >/dev/null && runuser -u nobody -- true 2>/dev/null; then
    as_user="runuser -u nobody --"
fi
if [ -n "$as_user" ] && [ -f "$S/streams/x86_64-pc-i440fx-devices.mig" ]; then
    ro=$tmp/ro
    mkdir -p "$ro/sub" && cp "$S/streams/x86_64-pc-i440fx-devices.mig" "$tmp/in.mig"
    chmod 755 "$tmp" && chmod 644 "$tmp/in.mig" && chmod 555 "$ro/sub"
    chmod 777 "$ro" 2>/dev/null
    $as_user "$V" convert --to json "$tmp/in.mig" "$ro/sub/x.json" 2>"$tmp/err"
    check "an unwritable output is named by its full path" \
        grep -q "^vmstate convert: $ro/sub/x.json: cannot create: Permission denied" "$tmp/err"
    $as_user "$V" unpack "$tmp/in.mig" "$ro/sub" 2>"$tmp/err"
    check "unpack into a read-only directory says why" \
        grep -q "^vmstate unpack: $ro/sub/ram: cannot create: Permission denied" "$tmp/err"
    $as_user "$V" analyze -x -C "$ro/sub" "$tmp/in.mig" >/dev/null 2>"$tmp/err"
    check "analyze -x into a read-only directory names DIR/desc.json" \
        grep -q "^vmstate analyze: $ro/sub/desc.json: cannot create: Permission denied" "$tmp/err"
else
    ok "unwritable outputs # SKIP no unprivileged user to run as"
fi
# An output that cannot be written (a full disk): one line naming the
# output and the offset the failed write started at, exit 1, for the
# commands that print a document (the library's vms_writer records it).
if [ -w /dev/full ] && "$V" demo --stream "$tmp/full.mig" >/dev/null 2>&1; then
    for cmd in info analyze; do
        "$V" $cmd "$tmp/full.mig" >/dev/full 2>"$tmp/err"
        one_error "$cmd > /dev/full: the output, offset and errno in one line" 1 $? \
            "^vmstate $cmd: standard output: offset 0x0: write failed: No space left on device$"
    done
else
    ok "writing to a full disk # SKIP no /dev/full"
fi
done_testing
