#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Boot bench of stdvmm on seL4 (issue 11 point 10; not a timed test): QEMU
# start -> the guest's /init for examples/sel4 io (sDDF serial console) with
# the release and the debug kernel configuration, against the same Debian
# kernel and busybox initramfs booted directly by QEMU (the limit), each with
# the full boot log (earlycon, console=ttyAMA0) and with `quiet`. Runs are
# interleaved (bench/sel4_boot.py); the report gives medians, min-max and the
# ratios to the direct boot.
#
#   MICROKIT_SDK=... SDDF=... bench/sel4_boot.sh
#
# Environment: BENCH_REPS (default 5), BENCH_OUT (default build/bench/sel4_boot),
# BENCH_SEL4_SMP (default "4": QEMU's -smp for the seL4 runs; "4 1" adds every
# seL4 image on a one-CPU machine, named NAME-smp1-MODE),
# BENCH_SEL4_XEN (default 1: also io with the Xen console, release kernel,
# full log and quiet, as io-xen-release-MODE; docs/SEL4.md "Xen console"),
# BENCH_TIMEOUT (s per boot, default 180), BENCH_SEL4_EXTRA (optional, space-
# separated NAME-full=IMG or NAME-quiet=IMG: more loader images to time, e.g.
# an A/B of two builds). Without MICROKIT_SDK or SDDF it prints one SKIPPED line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

for v in MICROKIT_SDK SDDF; do
    if [ -z "${!v:-}" ]; then
        echo "SKIPPED: seL4 boot bench: $v is not set (see docs/SEL4.md)"
        exit 0
    fi
done
reps=${BENCH_REPS:-5}
out=$(realpath -m "${BENCH_OUT:-build/bench/sel4_boot}")
timeout=${BENCH_TIMEOUT:-180}
initrd=$out/initrd.gz
mkdir -p "$out"

images=()
variants="release debug"
[ "${BENCH_SEL4_XEN:-1}" = 1 ] && variants="$variants xen-release"
for variant in $variants; do
    config=${variant#xen-}
    for log in full quiet; do
        build=$out/$variant-$log
        echo "sel4_boot: building io ($variant kernel, $log log) in $build"
        if ! nice make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" \
            MICROKIT_CONFIG="$config" BUILD="$build" GUEST_INITRD="$initrd" \
            DEPS="$PWD/build/deps" FS_DIR="$PWD/build/freestanding" \
            SEL4GEN_ARGS="$([ "$variant" = "$config" ] || echo --xen-console)" \
            GUEST_CMDLINE_APPEND="$([ $log = quiet ] && echo quiet)" io >"$build.log" 2>&1; then
            tail -n 20 "$build.log"
            echo "FAIL sel4_boot: build of io ($variant, $log), log $build.log"
            exit 1
        fi
        images+=("io-$variant-$log=$build/io/loader.img")
    done
done
# shellcheck disable=SC2206 # word splitting of the list is intended
images+=(${BENCH_SEL4_EXTRA:-})
kernel=$(find build/deps/arm64/boot -name 'vmlinuz-*' | sort | tail -n 1)
python3 bench/sel4_boot.py "$out" "$reps" "$timeout" "$kernel" "$initrd" "${images[@]}"
