#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# vhost-user-blk benchmark (`make bench-vhost`, docs/VHOST.md): in one boot
# of the emulated AArch64 machine of the e2e tests, the same guest measures
# /dev/vda (1 MiB O_DIRECT sequential write/read, 4 KiB random reads) under
# stdvmm's own virtio-blk, under stdvmm's vhost-user frontend with Debian's
# qemu-storage-daemon, and under Debian's QEMU with the same daemon
# (bench/vhost/outer.sh). Writes build/bench/vhost/{bench.log,results.md}
# and, unless --smoke, the table between the vhost-bench markers of
# docs/PERFORMANCE.md. Environment: BENCH_REPS (default 5; smoke 1),
# BENCH_NO_DEPS=1 (skip scripts/deps.sh), BENCH_TIMEOUT (seconds),
# BENCH_VMMS (comma list of stdvmm,stdvmm-vhost,qemu-vhost: only these).
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
if [ $smoke = 1 ]; then
    out=${BENCH_OUT:-$repo/build/bench/vhost-smoke}
    reps=${BENCH_REPS:-1} seq=8 rand=1 disk=32 limit=${BENCH_TIMEOUT:-1200}
else
    out=${BENCH_OUT:-$repo/build/bench/vhost}
    reps=${BENCH_REPS:-5} seq=64 rand=3 disk=128 limit=${BENCH_TIMEOUT:-5400}
fi
export E2E_OUT=$out
# shellcheck source=tests/e2e/lib.sh
source "$repo/tests/e2e/lib.sh"
cd "$repo" || exit 1
mkdir -p "$out/bin"
log() { echo "bench-vhost: $*" >&2; }

if [ "${BENCH_NO_DEPS:-0}" != 1 ]; then
    scripts/deps.sh bench && scripts/deps.sh vhost || { log "scripts/deps.sh failed"; exit 1; }
fi
e2e_require || exit 1
if [ -z "${STDVMM:-}" ]; then
    nice make -s -j2 stdvmm || { log "make stdvmm failed"; exit 1; }
fi
nice "${CROSS:-aarch64-linux-gnu-}gcc" -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static \
    -o "$out/bin/benchtool" bench/tool/*.c || exit 1

guest=$out/vblk-initrd.gz
e2e_guest_initramfs "$guest" bench/vhost/guest-init "virtio_mmio virtio_blk" \
    "$out/bin/benchtool:/bin/benchtool" || { log "guest initramfs failed"; exit 1; }
files=$(e2e_arm64_program_files \
    "$E2E_ARM64/usr/bin/qemu-system-aarch64:/usr/bin/qemu-system-aarch64" \
    "$E2E_ARM64/usr/bin/qemu-storage-daemon:/usr/bin/qemu-storage-daemon") ||
    { log "QEMU or qemu-storage-daemon missing (scripts/deps.sh bench vhost)"; exit 1; }
mapfile -t pairs <<<"$files"
outer=$out/outer.cpio
e2e_outer_initramfs "$outer" bench/vhost/outer.sh "$guest:/guest/vblk-initrd.gz" \
    "$out/bin/benchtool:/bin/benchtool" "${pairs[@]}" || { log "outer initramfs failed"; exit 1; }

machine_log=$out/bench.log
log "running $reps repetition(s) (limit $limit s, log $machine_log)"
t=$SECONDS
e2e_run_outer "$machine_log" "$limit" "$outer" \
    "bench.reps=$reps bench.seq=$seq bench.rand=$rand bench.disk=$disk bench.vmms=${BENCH_VMMS:-}"
log "emulated machine: status $? after $((SECONDS - t)) s"
cmd="make bench-vhost"
[ $smoke = 1 ] && cmd="bench/vhost/run.sh --smoke"
args=(--log "$machine_log" --out "$out/results.md" --command "$cmd" --reps "$reps"
    --settings "seq=${seq}MiB rand=${rand}s disk=${disk}MiB (tmpfs)")
[ $smoke = 1 ] || args+=(--md docs/PERFORMANCE.md)
python3 bench/vhost/report.py "${args[@]}"
