#!/usr/bin/env bash
# The tests' python is in .py files a linter sees: pyflakes (Debian's
# python3-pyflakes, scripts/setup.sh) reports nothing on any of them, and
# no shell script of tests/ hides a python program in a heredoc or in a
# multi-line "python3 -c" (one-liners may stay).
. "$(dirname "$0")/tap.sh"
set -u
cd "$VMS_SRCDIR" || exit 1
py=/usr/bin/python3
if ! "$py" -m pyflakes --version >/dev/null 2>&1; then
    not_ok "pyflakes is installed (python3-pyflakes, scripts/setup.sh)"
    done_testing
    exit
fi
files=$(find tests bench scripts tools -name '*.py' 2>/dev/null | LC_ALL=C sort)
[ -n "$files" ] || not_ok "python files found under tests/"
# one run for all (a python start per file is slow under load)
report=$("$py" -m pyflakes $files 2>&1)
for f in $files; do
    if printf '%s\n' "$report" | grep -q "^$f:"; then
        not_ok "pyflakes: $f"
        printf '%s\n' "$report" | grep "^$f:" | sed 's/^/# /' | head -10
    else
        ok "pyflakes: $f"
    fi
done
# A heredoc fed to python (python3 - ... <<'PY'), or a "python3 -c '" whose
# quote is not closed on its line.
hidden=$(grep -rnE "python3? +-( |$).*<<|python3? +- *\\\\$|python3? +-c +'[^']*$" \
    --include='*.sh' tests | grep -vE '^[^:]*:[0-9]+: *#')
same "no python program hidden in a shell script of tests/" "" "$hidden"
done_testing
