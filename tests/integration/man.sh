#!/usr/bin/env bash
# Every man page renders without a warning from man/groff.
. "$(dirname "$0")/tap.sh"
set -u
command -v man >/dev/null || skip_all "man is not installed (scripts/setup.sh installs man-db)"
for page in "$VMS_SRCDIR"/doc/*.[1-8]; do
    out=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
    same "$(basename "$page") renders without warnings" "" "$out"
    text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
    case $text in
        *EXAMPLE*) ok "$(basename "$page") has examples" ;;
        *) not_ok "$(basename "$page") has examples" ;;
    esac
done
done_testing
