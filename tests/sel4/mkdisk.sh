#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The disk image of the seL4 blk examples and tests: SIZE MiB (default 64),
# an MBR (sfdisk, Debian's fdisk package) with two primary partitions of
# equal size, 1 MiB aligned (sDDF's virtualiser needs 4 KiB aligned
# partitions): partition 0 for vm1 / vm-a, partition 1 for vm-b.
# Usage: mkdisk.sh OUT [SIZE_MIB]
set -euo pipefail
out=${1:?usage: mkdisk.sh OUT [SIZE_MIB]}
size=${2:-64}
sfdisk=$(command -v sfdisk || echo /usr/sbin/sfdisk)
if [ ! -x "$sfdisk" ]; then
    echo "mkdisk.sh: sfdisk missing (Debian package fdisk; scripts/deps.sh e2e)" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
rm -f "$out"
truncate -s "${size}M" "$out"
half=$(((size - 2) / 2))
printf 'label: dos\nstart=1MiB, size=%sMiB, type=83\nstart=%sMiB, size=%sMiB, type=83\n' \
    "$half" "$((1 + half))" "$half" | "$sfdisk" -q "$out" >/dev/null
