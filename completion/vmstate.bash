# bash completion for vmstate and its drop-in names.
# Subcommands and options are listed here once; tests/integration check
# them against "vmstate help" so that the two cannot drift apart.

_vmstate_commands="analyze check convert core demo diff info verify unpack pack help"

_vmstate_options() {
    case $1 in
        check) echo "-s --src -d --dest -r --reverse --rules --baseline --matrix --format -q --quiet -h --help" ;;
        analyze) echo "-f --file -d --dump -m --memory -x --extract -C --directory --desc --dump-vmstate --progress --force -q --quiet -h --help" ;;
        core) echo "-o --output --format --memory-map --force --progress -q --quiet -h --help" ;;
        convert) echo "-t --to -f --force --dump-vmstate -h --help" ;;
        demo) echo "--version --stream --dump --state --ram --seed --force -h --help" ;;
        diff) echo "--format --ram --dump-vmstate --progress -q --quiet -h --help" ;;
        verify) echo "-d --dest --dump-vmstate -r --reference --format --strict -v --verbose -q --quiet -h --help" ;;
        unpack) echo "-f --force --progress -q --quiet --dump-vmstate -h --help" ;;
        pack) echo "-f --force --progress -q --quiet -h --help" ;;
        info) echo "--format --snapshot -h --help" ;;
        help) echo "$_vmstate_commands" ;;
        *) echo "-h --help -V --version" ;;
    esac
}

# Values of options that take one; prints nothing for file arguments.
_vmstate_values() {
    case $1:$2 in
        check:--format) echo "text json github sarif" ;;
        check:--rules) echo "qemu-7.2 qemu-10.0 qemu-10.2" ;;
        demo:--version) echo "1 2" ;;
        convert:-t|convert:--to) echo "wire ber json trace" ;;
        demo:--ram|demo:--seed) echo "" ;;
        analyze:-d|analyze:--dump) echo "state desc" ;;
        diff:--format) echo "text json" ;;
        info:--format) echo "text json" ;;
        core:--format) echo "elf kdump raw" ;;
        diff:--ram) echo "summary pages none" ;;
        verify:--format) echo "text json github sarif" ;;
    esac
}

_vmstate() {
    local cur prev cmd i
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}

    case ${COMP_WORDS[0]##*/} in
        vmstate-static-checker) cmd=check; i=0 ;;
        analyze-migration) cmd=analyze; i=0 ;;
        *)
            cmd=
            for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                    -*) ;;
                    *) cmd=${COMP_WORDS[i]}; break ;;
                esac
            done
            if [ -z "$cmd" ]; then
                if [[ $cur == -* ]]; then
                    COMPREPLY=($(compgen -W "$(_vmstate_options)" -- "$cur"))
                else
                    COMPREPLY=($(compgen -W "$_vmstate_commands" -- "$cur"))
                fi
                return 0
            fi
            ;;
    esac

    local values
    values=$(_vmstate_values "$cmd" "$prev")
    if [ -n "$values" ]; then
        COMPREPLY=($(compgen -W "$values" -- "$cur"))
        return 0
    fi
    if [[ $cur == -* || $cmd == help ]]; then
        COMPREPLY=($(compgen -W "$(_vmstate_options "$cmd")" -- "$cur"))
        return 0
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
}

complete -o filenames -F _vmstate vmstate vmstate-static-checker \
    analyze-migration
