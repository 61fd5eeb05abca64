#!/usr/bin/env bash
# QEMU releases other than the installed 7.2, for tests that need a real
# peer of another version: 10.0 (bookworm-backports) and 5.2 (bullseye),
# fetched from Debian's archive with a private apt configuration and
# unpacked with dpkg -x (nothing is installed on the system). Idempotent.
#
#   bash scripts/qemu-versions.sh            fetch and unpack what is missing
#   bash scripts/qemu-versions.sh apt ARGS   apt-get with the private sources
#                                            (also deb-src: bookworm,
#                                            bookworm-backports, trixie, sid)
#
# Result, under VMSTATE_QEMU_DIR (default /var/cache/vmstate-qemu):
#   10.0/bin/qemu-system-{x86_64,aarch64,ppc64,s390x}
#   5.2/bin/qemu-system-{x86_64,aarch64,ppc64,s390x}
# wrappers that set the module directory, the library path (5.2 needs
# bullseye's liburing1, xen and virglrenderer libraries) and -L for that
# release's firmware, then exec the real binary with the caller's arguments.
set -euo pipefail
top=${VMSTATE_QEMU_DIR:-/var/cache/vmstate-qemu}
apt_root=$top/apt
arches=(x86_64 aarch64 ppc64 s390x)

declare -A version=(
    [10.0]="1:10.0.2+ds-2+deb13u1~bpo12+1"
    [5.2]="1:5.2+dfsg-11+deb11u5"
)
declare -A packages=(
    [10.0]="qemu-system-x86 qemu-system-arm qemu-system-ppc qemu-system-s390x
            qemu-system-misc qemu-system-data qemu-system-common
            qemu-system-gui qemu-system-modules-opengl
            qemu-system-modules-spice"
    [5.2]="qemu-system-x86 qemu-system-arm qemu-system-ppc qemu-system-misc
           qemu-system-data qemu-system-common qemu-system-gui"
)
# Libraries bookworm no longer has, at bullseye's version (any).
declare -A extra=(
    [10.0]=""
    [5.2]="liburing1 libvirglrenderer1 libxencall1 libxendevicemodel1
           libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
           libxenmisc4.14 libxenstore3.0 libxentoolcore1 libxentoollog1"
)

apt_opts=(
    -o "Dir::Etc::SourceList=$apt_root/sources.list"
    -o "Dir::Etc::SourceParts=$apt_root/sources.list.d"
    -o "Dir::State::Lists=$apt_root/lists"
    -o "Dir::Cache=$apt_root/cache"
    -o "APT::Sandbox::User=root"
)

apt_ready() {
    [ -f "$apt_root/updated" ] && return 0
    mkdir -p "$apt_root/sources.list.d" "$apt_root/lists/partial" \
        "$apt_root/cache/archives/partial"
    cat >"$apt_root/sources.list" <<'SOURCES'
deb http://deb.debian.org/debian bookworm-backports main
deb http://deb.debian.org/debian bullseye main
deb http://deb.debian.org/debian-security bullseye-security main
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-backports main
deb-src http://deb.debian.org/debian trixie main
deb-src http://deb.debian.org/debian sid main
SOURCES
    apt-get "${apt_opts[@]}" update -q >&2
    touch "$apt_root/updated"
}

if [ "${1:-}" = apt ]; then
    shift
    apt_ready
    exec apt-get "${apt_opts[@]}" "$@"
fi

for rel in 10.0 5.2; do
    dir=$top/$rel
    [ -x "$dir/bin/qemu-system-s390x" ] && continue
    apt_ready
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp/debs" "$dir.tmp/root" "$dir.tmp/bin"
    (
        cd "$dir.tmp/debs"
        for p in ${packages[$rel]}; do
            apt-get "${apt_opts[@]}" download -q "$p=${version[$rel]}" >&2
        done
        for p in ${extra[$rel]}; do
            apt-get "${apt_opts[@]}" -t bullseye download -q "$p" >&2
        done
        for f in *.deb; do
            dpkg -x "$f" ../root
        done
    )
    rm -rf "$dir.tmp/debs"
    for a in "${arches[@]}"; do
        cat >"$dir.tmp/bin/qemu-system-$a" <<WRAP
#!/bin/sh
# QEMU $rel from Debian, unpacked by scripts/qemu-versions.sh
r=$dir/root
export QEMU_MODULE_DIR=\$r/usr/lib/x86_64-linux-gnu/qemu
export LD_LIBRARY_PATH=\$r/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
exec \$r/usr/bin/qemu-system-$a -L \$r/usr/share/qemu "\$@"
WRAP
        chmod +x "$dir.tmp/bin/qemu-system-$a"
    done
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    "$dir/bin/qemu-system-x86_64" --version | head -n 1 >&2
done
