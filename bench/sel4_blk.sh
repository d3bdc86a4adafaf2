#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# seL4 blk bench (issue 11 point 10; a measurement, not a timed test):
# sequential write and read of MIB MiB (1 MiB blocks; the write ends with
# fsync, the read starts with the page cache dropped; the guest's
# /bin/blktest bench) on the io example's virtio-blk disk, which goes
# through stdvmm's virtio-blk model and src/backends/sddf/blk.c, sDDF's blk
# virtualiser and sDDF's virtio-blk driver to QEMU's virtio-blk-device,
# against the same kernel and initramfs booted directly by QEMU on the same
# kind of device (the limit). TCG, cortex-a53, -smp 4, one raw image per run
# in build/bench/sel4_blk/. Repetitions alternate the two.
#
#   MICROKIT_SDK=... SDDF=... bench/sel4_blk.sh [MIB]     (BENCH_REPS=3)
#
# Prints one line per run and the medians; writes build/bench/sel4_blk/results.txt
# (the machine's load average at the start and the end are in it too: on a
# shared host the numbers mean little).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if [ -z "${MICROKIT_SDK:-}" ] || [ -z "${SDDF:-}" ]; then
    echo "SKIPPED: seL4 blk bench: MICROKIT_SDK and SDDF must be set (see docs/SEL4.md)"
    exit 0
fi
mib=${1:-64}
reps=${BENCH_REPS:-3}
QEMU=${QEMU:-qemu-system-aarch64}
OUT=build/bench/sel4_blk
mkdir -p "$OUT"
# Its own build directory: tests may rebuild build/sel4 meanwhile.
SYS=$PWD/$OUT/sel4
make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" BUILD="$SYS" \
    DEPS="$PWD/build/deps" FS_DIR="$PWD/build/freestanding" io >"$OUT/build.log" 2>&1 || {
    tail -n 20 "$OUT/build.log"
    exit 1
}
kernel=$(find build/deps/arm64/boot -name 'vmlinuz-*' | sort -V | tail -n1)
# shellcheck disable=SC2054 # commas are QEMU option syntax
machine=(-machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 -m 2G
    -nographic -monitor none -serial stdio -global virtio-mmio.force-legacy=false)
results=$OUT/results.txt
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >"$results"

run() { # WHO REP: one boot, one bench line appended to results
    local who=$1 rep=$2 img=$OUT/disk.img log=$OUT/$1-$2.log dev=/dev/vda boot
    tests/sel4/mkdisk.sh "$img" $((2 * mib + 16))
    if [ "$who" = sel4 ]; then
        read -rd '' -a boot <"$SYS/io/qemu_args" # the guest images (-device loader), all lines
        boot=(-kernel "$SYS/io/loader.img" "${boot[@]}")
    else # the whole disk is the guest's: bench its first partition, as seL4's vm1 gets
        boot=(-kernel "$kernel" -initrd "$SYS/initrd.gz"
            -append "console=ttyAMA0 rdinit=/init panic=-1 stdvmm.test=shell stdvmm.tty=ttyAMA0")
        dev=/dev/vda1
    fi
    nice python3 tests/sel4/typein.py "$log" 900 "$QEMU" "${machine[@]}" \
        -drive "file=$img,if=none,format=raw,id=hd" -device virtio-blk-device,drive=hd \
        "${boot[@]}" -- "wait:SEL4-GUEST: shell ready" sleep:1 \
        "type:BLKTEST_DEV=$dev blktest bench $mib\\r" "wait:blk bench mib=" sleep:1 >/dev/null
    line=$(tr -d '\r' <"$log" | grep -o 'blk bench mib=.*' | tail -n1)
    echo "$who rep $rep: ${line:-no result (log $log)}"
    [ -n "$line" ] && echo "$who $line" >>"$results"
}

for rep in $(seq 1 "$reps"); do
    run sel4 "$rep"
    run qemu "$rep"
done
for who in sel4 qemu; do
    for key in write-mbs read-mbs; do
        grep "^$who " "$results" | tr ' ' '\n' | sed -n "s/^$key=//p" | sort -n |
            awk -v w="$who" -v k="$key" '{ v[NR] = $1 } END {
                if (NR) printf "%s median %s=%s (of %d)\n", w, k, v[int((NR + 1) / 2)], NR }'
    done
done | tee -a "$results"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
