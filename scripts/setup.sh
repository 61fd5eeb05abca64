#!/usr/bin/env bash
# Install every Debian package the build, the tests and the benchmarks need.
# A no-op when all are present. Debian 12 (bookworm), run as root.
set -euo pipefail

packages=(
    # build
    meson ninja-build pkg-config gcc clang libclang-rt-14-dev
    libjansson-dev libyajl-dev zlib1g-dev g++ libsimdjson-dev
    # libvirt save images' compressions (src/decompress.c)
    libbz2-dev liblzma-dev liblzo2-dev libzstd-dev libxml2-dev
    # tests
    libcmocka-dev python3 binutils openssl libtasn1-bin git man-db groff-base tmux
    python3-pyflakes   # tests/integration/lint-python.sh
    busybox-static cpio   # tests/guest/linux-guest.sh: a Linux guest's initramfs
    # tests/integration/libvirt*.sh: real libvirt saves, the compressors it runs
    libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
    gzip bzip2 xz-utils lzop zstd
    gdb gdb-multiarch python3-libkdumpfile  # tests/integration/core-*.sh: independent readers of our cores
    # packaging (tests build the .deb in CI's full mode)
    dpkg-dev debhelper fakeroot lintian
    # the peer and test oracle: Debian's QEMU 7.2
    qemu-system-x86 qemu-system-arm qemu-system-ppc qemu-system-misc qemu-utils
    libvirglrenderer1   # QEMU 10.0's opengl module wants it (scripts/qemu-versions.sh)
    # benchmarks
    hyperfine time
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages: ${missing[*]}; run as root (or install them)" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# QEMU 10.0 and 5.2 beside the installed 7.2, unpacked under a cache
# folder (not installed): the cross-version tests need real peers.
if [ "$(id -u)" -eq 0 ]; then
    bash "$(dirname "$0")/qemu-versions.sh" >&2
    # The Linux guest of the live-guest and core tests (Debian's kernel +
    # a busybox initramfs), built here so that no test downloads anything.
    bash "$(dirname "$0")/../tests/guest/linux-guest.sh" >/dev/null
fi
