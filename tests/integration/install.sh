#!/usr/bin/env bash
# meson install puts exactly the documented files in place.
. "$(dirname "$0")/tap.sh"
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! meson install -C "$VMS_BUILDDIR" --no-rebuild --quiet \
        --destdir "$tmp/root" >"$tmp/log" 2>&1; then
    sed 's/^/# /' "$tmp/log"
    not_ok "meson install into a DESTDIR"
    done_testing
    exit 1
fi
ok "meson install into a DESTDIR"

# Paths relative to the prefix, with the multiarch libdir folded to LIBDIR.
root=$tmp/root$VMS_PREFIX
actual=$(cd "$root" && find . \( -type f -o -type l \) | sed 's|^\./||' |
         sed -E 's|^lib/[^/]*-linux-gnu[^/]*/|LIBDIR/|; s|^lib/|LIBDIR/|' |
         LC_ALL=C sort)
expected=$(grep -v '^#' "$VMS_SRCDIR/tests/integration/install.list" | LC_ALL=C sort)
same "installed file list matches tests/integration/install.list" \
    "$expected" "$actual"

lib=$(find "$root" -name 'libvmstate.so.*.*.*' | head -1)
soname=$(objdump -p "$lib" 2>/dev/null | awk '/SONAME/ {print $2}')
same "shared library has a versioned soname" "libvmstate.so.0" "$soname"

check "pkg-config file names the library" \
    grep -q -- '-lvmstate' "$(find "$root" -name libvmstate.pc | head -1)"
for alias in $(sed -n 's|^bin/||p' "$VMS_SRCDIR/tests/integration/install.list"); do
    [ "$alias" = vmstate ] && continue
    same "bin/$alias is a link to vmstate" "vmstate" \
        "$(readlink "$root/bin/$alias")"
done

# The library example, built as a user would against the installed files
# (pkg-config relocated into the DESTDIR), run, and its stream decoded by
# the installed vmstate.
pc=$(find "$root" -name libvmstate.pc | head -1)
libdir=$(dirname "$(dirname "$pc")")
cflags_libs=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config \
    --define-variable=prefix="$root" --cflags --libs libvmstate)
san=()
case ${VMS_SANITIZE:-none} in
    none|"") ;;
    *) san=(-fsanitize="$VMS_SANITIZE") ;;
esac
if check "examples/hello.c builds against the installed pkg-config libvmstate" \
        "${VMS_CC:-cc}" "${san[@]}" -Wall -Wextra -Werror -o "$tmp/hello" \
        "$VMS_SRCDIR/examples/hello.c" $cflags_libs; then
    LD_LIBRARY_PATH=$libdir "$tmp/hello" "$tmp/hello.mig" >"$tmp/hello.out" 2>&1
    same "hello runs" 0 $?
    check "hello's analysis shows its device" grep -q '"count": "0x0000002a"' \
        "$tmp/hello.out"
    LD_LIBRARY_PATH=$libdir "$root/bin/vmstate" analyze "$tmp/hello.mig" \
        >"$tmp/analyze.out" 2>&1
    check "installed vmstate analyze prints what hello printed" \
        cmp -s "$tmp/hello.out" "$tmp/analyze.out"
fi
done_testing
