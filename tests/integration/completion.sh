#!/usr/bin/env bash
# The bash completion, loaded into a real interactive bash, completes the
# commands "vmstate help" lists, their options and option values; both
# ways: every option a command's --help lists is completed, and every
# word completed is an option the command accepts.
. "$(dirname "$0")/tap.sh"
set -u
comp=$VMS_SRCDIR/completion/vmstate.bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# complete WORDS...: what the completion offers for the last word.
complete_words() {
    local script
    script=$(printf 'source %q\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_vmstate\nprintf "%%s\\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\\n" " "\n' \
        "$comp" "$*" $(($# - 1)))
    (cd "$tmp" && HOME=$tmp bash --norc -i -c "$script" 2>/dev/null)
}

registered=$(HOME=$tmp bash --norc -i -c "source $comp; complete -p vmstate" 2>/dev/null)
same "complete -p vmstate names the function" \
    "complete -o filenames -F _vmstate vmstate" "$registered"

listed=$({ echo help; "$VMSTATE" help |
          awk '/^Commands:/ {on = 1; next} on && !NF {exit} on {print $1}'; } |
         LC_ALL=C sort | tr '\n' ' ')
same "subcommands are those 'vmstate help' lists" "$listed" \
    "$(complete_words vmstate '""')"
# help_options CMD: the options CMD's --help lists (its option lines,
# indented by a few spaces: deeper lines continue a description).
help_options() {
    "$VMSTATE" "$1" --help 2>&1 |
        sed -nE 's/^ {1,6}(-[a-zA-Z], )?(--?[a-zA-Z][a-zA-Z0-9-]*).*/\1 \2/p' |
        tr -d ',' | tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort -u | tr '\n' ' '
}
# Both ways: what --help lists is what the completion offers.
for cmd in $listed; do
    [ "$cmd" = help ] && continue
    same "$cmd: the completion offers exactly the options --help lists" \
        "$(help_options "$cmd")" "$(complete_words vmstate "$cmd" -)"
done
# Every completion word is an option the command accepts: given alone it
# may need an argument or operands, but it is never an unknown option.
for cmd in $listed ""; do
    [ "$cmd" = help ] && continue
    for opt in $(complete_words vmstate $cmd -); do
        (cd "$tmp" && timeout 20 "$VMSTATE" $cmd "$opt" </dev/null \
            >/dev/null 2>"$tmp/err")
        if grep -q "unknown option" "$tmp/err"; then
            not_ok "vmstate $cmd $opt: accepted"
            echo "# $(head -1 "$tmp/err")"
        else
            ok "vmstate $cmd $opt: accepted"
        fi
    done
done
same "check --format values" "github json sarif text " \
    "$(complete_words vmstate check --format '""')"
touch "$tmp/dump-a.json" "$tmp/dump-b.json"
same "file arguments complete as files" "dump-a.json dump-b.json " \
    "$(complete_words vmstate check -s dump-)"
done_testing
