#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# A/B of the virtio-blk numbers of several stdvmm builds in one boot of
# the bench machine (bench/README.md, "blk A/B"):
#   bench/blkab/run.sh OUT REPS NAME=path/to/static/stdvmm ...
# The first NAME is the reference the ratios are taken against.
# Environment: AB_FSS (default tmpfs,ext2), AB_SEQ (MiB, default 8),
# AB_RAND (s per random-read phase, 2), AB_NRAND (phases, 2).
# Writes OUT/machine.log and OUT/summary.txt (bench/blkab/summary.py).
set -u
[ $# -ge 3 ] || { echo "usage: $0 OUT REPS NAME=STDVMM..." >&2; exit 2; }
out=$1 reps=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export E2E_OUT=$out
# shellcheck source=tests/e2e/lib.sh
source "$repo/tests/e2e/lib.sh"
e2e_require || exit 1
mkdir -p "$out/bin" "$out/stage/mods"
"${CROSS:-aarch64-linux-gnu-}gcc" -std=gnu11 -D_GNU_SOURCE -O2 -static \
    -o "$out/bin/benchtool" "$repo"/bench/tool/*.c || exit 1
e2e_guest_initramfs "$out/guest.cpio.gz" "$here/guest-init" "virtio_mmio virtio_blk" \
    "$out/bin/benchtool:/bin/benchtool" || exit 1
files=()
rm -f "$out/stage/mods/order"
while IFS= read -r m; do
    base=${m##*/}
    base=${base%%.ko*}
    base=${base//-/_}
    e2e_mod_cat "$m" >"$out/stage/mods/$base.ko"
    echo "$base" >>"$out/stage/mods/order"
    files+=("$out/stage/mods/$base.ko:/lib/modules/bench/$base.ko")
done < <(e2e_modules loop)
files+=("$out/stage/mods/order:/lib/modules/bench/order")
names=()
for nb in "$@"; do
    name=${nb%%=*} path=${nb#*=}
    [ -f "$path" ] || { echo "blkab: no $path" >&2; exit 1; }
    cp "$path" "$out/bin/stdvmm-$name"
    files+=("$out/bin/stdvmm-$name:/bin/stdvmm-$name")
    names+=("$name")
done
builds=$(IFS=,; echo "${names[*]}")
e2e_outer_initramfs "$out/outer.cpio" "$here/outer.sh" "$out/guest.cpio.gz:/guest/initrd.gz" \
    "$out/bin/benchtool:/bin/benchtool" "${files[@]}" || exit 1
echo "blkab: start $(date +%T), host load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/summary.txt"
e2e_run_outer "$out/machine.log" 7200 "$out/outer.cpio" \
    "ab.reps=$reps ab.builds=$builds ab.fss=${AB_FSS:-tmpfs,ext2} ab.seq=${AB_SEQ:-8} ab.rand=${AB_RAND:-2} ab.nrand=${AB_NRAND:-2}"
rc=$?
echo "blkab: end $(date +%T), host load $(cut -d' ' -f1-3 /proc/loadavg), machine status $rc" |
    tee -a "$out/summary.txt"
python3 "$here/summary.py" "$out/machine.log" "${names[0]}" | tee -a "$out/summary.txt"
