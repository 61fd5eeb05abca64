#!/usr/bin/env bash
# The bash completion, loaded into a real interactive bash, completes the
# commands "vmstate help" lists, their options and option values.
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
for cmd in $listed; do
    [ "$cmd" = help ] && continue
    usage=$("$VMSTATE" "$cmd" --help 2>&1)
    for opt in $(complete_words vmstate "$cmd" -); do
        case $usage in
            *"$opt"*) ok "$cmd $opt is in its --help" ;;
            *) not_ok "$cmd $opt is in its --help" ;;
        esac
    done
done
same "check --format values" "github json sarif text " \
    "$(complete_words vmstate check --format '""')"
touch "$tmp/dump-a.json" "$tmp/dump-b.json"
same "file arguments complete as files" "dump-a.json dump-b.json " \
    "$(complete_words vmstate check -s dump-)"
done_testing
