#!/usr/bin/env bash
# The Debian packages build, pass lintian without errors, install, run and
# remove cleanly. Slow (a full package build): CI's full mode only.
. "$(dirname "$0")/tap.sh"
set -u
[ "${CI:-}" = true ] || [ "${VMS_FULL:-}" = 1 ] ||
    skip_all "package build runs in CI's full mode (CI=true or VMS_FULL=1)"
[ -z "${VMS_SANITIZE:-}" ] || [ "$VMS_SANITIZE" = none ] ||
    skip_all "package build runs in the plain build only"
for t in dpkg-buildpackage dh lintian; do
    command -v $t >/dev/null || skip_all "$t missing (scripts/setup.sh installs it)"
done
tmp=$(mktemp -d)
trap 'dpkg -r vmstate libvmstate-dev libvmstate0 >/dev/null 2>&1; rm -rf "$tmp"' EXIT

mkdir "$tmp/src"
(cd "$VMS_SRCDIR" && git ls-files -co --exclude-standard | tar -cf - -T -) |
    (cd "$tmp/src" && tar -xf -)
if (cd "$tmp/src" && dpkg-buildpackage -b -us -uc) >"$tmp/build.log" 2>&1; then
    ok "dpkg-buildpackage -b -us -uc"
else
    tail -30 "$tmp/build.log" | sed 's/^/# /'
    not_ok "dpkg-buildpackage -b -us -uc"
    done_testing
    exit 1
fi
for p in vmstate libvmstate0 libvmstate-dev; do
    check "package $p was built" test -f "$(ls "$tmp"/${p}_*.deb 2>/dev/null | head -1)"
done
lint=$(lintian --allow-root "$tmp"/*.changes 2>&1)
echo "$lint" | sed 's/^/# /'
errors=$(echo "$lint" | grep -c '^E:')
same "lintian reports no errors" 0 "$errors"
check "dpkg -i installs the packages" \
    dpkg -i "$tmp"/vmstate_*.deb "$tmp"/libvmstate0_*.deb "$tmp"/libvmstate-dev_*.deb
version=$(/usr/bin/vmstate --version | head -1)
same "installed vmstate --version" "vmstate $(cd "$VMS_SRCDIR" && sed -n "s/^ *version : '\(.*\)',/\1/p" meson.build)" "$version"
check "pkg-config finds the installed libvmstate" pkg-config --exists libvmstate
if [ -f "$VMS_SRCDIR/examples/hello.c" ]; then
    check "example builds against the installed libvmstate-dev" \
        cc -o "$tmp/hello" "$VMS_SRCDIR/examples/hello.c" \
        $(pkg-config --cflags --libs libvmstate)
    check "example runs" "$tmp/hello" "$tmp/hello.mig"
fi
check "dpkg -r removes them" dpkg -r vmstate libvmstate-dev libvmstate0
check "nothing of vmstate left in /usr" \
    test -z "$(ls /usr/bin/vmstate /usr/include/vmstate 2>/dev/null)"
done_testing
