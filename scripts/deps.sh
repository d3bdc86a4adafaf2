#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Install what stdvmm's build and tests need on Debian 12, from Debian's
# archive only. Idempotent: each step is skipped when already done.
#   scripts/deps.sh host    compilers, cmocka, libfdt, gdb-multiarch for the unit tests
#   scripts/deps.sh cross   + aarch64 cross compiler and arm64 libfdt.a
#   scripts/deps.sh e2e     + QEMU, arm64 busybox and Debian's arm64 kernel
#   scripts/deps.sh bench   + gnuplot, and Debian's arm64 qemu-system-aarch64 with
#                           its shared libraries (the benchmark peer, bench/)
#   scripts/deps.sh vhost   + Debian's arm64 qemu-storage-daemon and virtiofsd
#                           (qemu-system-common) with their shared libraries,
#                           the vhost-user backends of tests/e2e and bench/
#   scripts/deps.sh fuzz    + clang and its libFuzzer runtime (tests/fuzz)
#   scripts/deps.sh all     everything
# arm64 packages that must not be installed beside their amd64 twins
# (libfdt-dev conflicts with itself across architectures) are downloaded
# with apt-get and unpacked under build/deps/arm64 instead.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
root=build/deps/arm64
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

updated=0
apt_update() {
    [ "$updated" -eq 1 ] && return 0
    $sudo apt-get update -q >/dev/null
    updated=1
}

need_pkgs() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "deps: installing ${missing[*]}"
    apt_update
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_arm64_arch() {
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        $sudo dpkg --add-architecture arm64
        updated=0
    fi
}

# Download an arm64 package and unpack it under $root (not installed).
unpack_arm64() {
    local pkg=$1 stamp="$root/.stamp-$1"
    [ -e "$stamp" ] && return 0
    ensure_arm64_arch
    apt_update
    mkdir -p build/deps/debs "$root"
    (cd build/deps/debs && apt-get download -q "$pkg:arm64" >/dev/null 2>&1) || {
        echo "deps: apt-get download $pkg:arm64 failed" >&2
        exit 1
    }
    dpkg-deb -x "$(ls -t build/deps/debs/"${pkg}"_*_arm64.deb | head -n1)" "$root"
    touch "$stamp"
}

# Debian's arm64 cloud kernel, resolved through its metapackage.
unpack_kernel() {
    [ -e "$root/.stamp-kernel" ] && return 0
    ensure_arm64_arch
    apt_update
    local image
    image=$(apt-cache depends linux-image-cloud-arm64:arm64 |
        sed -n 's/.*Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n1)
    [ -n "$image" ] || { echo "deps: cannot resolve linux-image-cloud-arm64" >&2; exit 1; }
    unpack_arm64 "$image"
    touch "$root/.stamp-kernel"
}

host() { need_pkgs gcc make libcmocka-dev libfdt-dev pkg-config clang-format gdb-multiarch; }
# clang with the libFuzzer runtime, for `make fuzz-build` (tests/fuzz).
fuzz() { need_pkgs clang libclang-rt-14-dev; }
cross() {
    need_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    unpack_arm64 libfdt-dev
}
e2e() {
    # fdisk: sfdisk partitions the seL4 blk tests' disk image (tests/sel4/mkdisk.sh)
    need_pkgs qemu-system-arm cpio e2fsprogs qemu-user-static device-tree-compiler fdisk
    unpack_arm64 busybox-static
    unpack_kernel
}

# Several arm64 packages in one apt-get download; each unpacked once.
unpack_arm64_many() {
    local todo=() p
    for p in "$@"; do
        [ -e "$root/.stamp-$p" ] || todo+=("$p")
    done
    [ ${#todo[@]} -eq 0 ] && return 0
    ensure_arm64_arch
    apt_update
    mkdir -p build/deps/debs "$root"
    echo "deps: downloading ${#todo[@]} arm64 packages"
    (cd build/deps/debs && apt-get download -q "${todo[@]/%/:arm64}" >/dev/null 2>&1) || {
        echo "deps: apt-get download of ${todo[*]} (arm64) failed" >&2
        exit 1
    }
    for p in "${todo[@]}"; do
        dpkg-deb -x "$(ls -t build/deps/debs/"${p}"_*_arm64.deb | head -n1)" "$root"
        touch "$root/.stamp-$p"
    done
}

# The benchmark peer: Debian's arm64 QEMU runs inside the emulated machine,
# so its binary and every shared library it may load are unpacked (bench/
# copies only the ones its ELF NEEDED entries reach).
bench() {
    need_pkgs gnuplot-nox
    [ -e "$root/.stamp-bench-peer" ] && return 0
    ensure_arm64_arch
    apt_update
    local libs
    mapfile -t libs < <(apt-cache depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances qemu-system-arm:arm64 |
        sed -n 's/^\(lib[^ <>]*\|zlib1g\):arm64$/\1/p' | sort -u)
    unpack_arm64_many qemu-system-arm "${libs[@]}"
    touch "$root/.stamp-bench-peer"
}

# The vhost-user backends (docs/VHOST.md): qemu-system-common ships
# /usr/bin/qemu-storage-daemon and /usr/lib/qemu/virtiofsd; both run inside
# the emulated machine, so they and the libraries they may load are
# unpacked like the benchmark peer.
vhost() {
    [ -e "$root/.stamp-vhost-backends" ] && return 0
    ensure_arm64_arch
    apt_update
    local libs
    mapfile -t libs < <(apt-cache depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances qemu-system-common:arm64 |
        sed -n 's/^\(lib[^ <>]*\|zlib1g\):arm64$/\1/p' | sort -u)
    unpack_arm64_many qemu-system-common "${libs[@]}"
    touch "$root/.stamp-vhost-backends"
}

case "$what" in
host) host ;;
cross) host; cross ;;
e2e) host; cross; e2e; vhost ;;
vhost) host; cross; e2e; vhost ;;
bench) host; cross; e2e; bench ;;
fuzz) host; fuzz ;;
all) host; cross; e2e; vhost; bench; fuzz ;;
*) echo "usage: scripts/deps.sh host|cross|e2e|vhost|bench|fuzz|all" >&2; exit 2 ;;
esac
