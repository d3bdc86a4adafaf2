#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Build the guest initramfs of the seL4 examples: busybox, tests/sel4/guest/init
# and the virtio-console, virtio-net and virtio-blk modules of the Debian
# kernel, with the e2e tests' builder (tests/e2e/lib.sh, used as is), and /bin/spin
# (guest/spin.c, the time tests' CPU load, static, built with
# aarch64-linux-gnu-gcc). Usage: mkinitrd.sh OUT
set -euo pipefail
out=${1:?usage: mkinitrd.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib.sh disable=SC1091
. "$here/../e2e/lib.sh"
if [ ! -x "$E2E_BUSYBOX" ] || [ ! -d "$E2E_MODDIR" ]; then
    echo "mkinitrd.sh: busybox or kernel modules missing (run scripts/deps.sh all)" >&2
    exit 1
fi
out=$(realpath -m "$out")
mkdir -p "$(dirname "$out")"
${CROSS:-aarch64-linux-gnu-}gcc -static -s -O2 -Wall -Wextra -Werror -o "$out.spin" \
    "$here/guest/spin.c"
e2e_guest_initramfs "$out" "$here/guest/init" "virtio_mmio virtio_console virtio_net virtio_blk" \
    "$out.spin:/bin/spin" "$here/guest/blktest:/bin/blktest"
