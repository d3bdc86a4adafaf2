#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# TCP between two VMs on seL4 through sDDF net (issue 11 point 10): boots
# examples/sel4's io_two_vms (stdvmm VMM PDs, sDDF's virtio-net driver, rx
# virtualiser and copiers, stdvmm's net switch) in QEMU (TCG), and in each
# guest fetches 4 MiB of zeros from the other's port 7002
# (tests/sel4/guest/init) with `nc`, REPS times each way, timing each fetch
# (connection to the server's close) with busybox `time`. Prints one line
# per transfer and the median MB/s per direction. A bench, not a test: the
# numbers depend on the host's load (record them with it in
# docs/PERFORMANCE.md).
#
#   MICROKIT_SDK=... SDDF=... bench/sel4_net.sh [REPS]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if [ -z "${MICROKIT_SDK:-}" ] || [ -z "${SDDF:-}" ]; then
    echo "SKIPPED: seL4 net bench: MICROKIT_SDK and SDDF must be set (see docs/SEL4.md)"
    exit 0
fi
reps=${1:-3}
QEMU=${QEMU:-qemu-system-aarch64}
OUT=build/sel4
dir=$OUT/io_two_vms
log=$OUT/bench-net.log
make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" io_two_vms \
    >"$OUT.bench-net.build.log" 2>&1 || {
    tail -n 20 "$OUT.bench-net.build.log"
    exit 1
}
# shellcheck source=tests/sel4/net.sh disable=SC1091
. tests/sel4/net.sh
fetch() { # vm peer n: one timed fetch, then a marker with the run number
    printf '%s\n' "type:time sh -c 'nc $2 7002 <>/tmp/netget.hold | wc -c'; echo BENCH-DONE-$1-\$((1000+$3))\\r"
    printf '%s\n' "wait:$1| BENCH-DONE-$1-$((1000 + $3))"
}
steps=("wait:vm-a| SEL4-GUEST: shell ready" "wait:vm-b| SEL4-GUEST: shell ready"
    "wait:vm-a| SEL4-GUEST: net up" "wait:vm-b| SEL4-GUEST: net up" sleep:3)
for i in $(seq 1 "$reps"); do
    while read -r s; do steps+=("$s"); done < <(fetch vm-a 10.0.2.16 "$i")
done
steps+=('type:\x1c1\r' sleep:1)
for i in $(seq 1 "$reps"); do
    while read -r s; do steps+=("$s"); done < <(fetch vm-b 10.0.2.15 "$i")
done
# shellcheck disable=SC2046 # the net options and qemu_args are words
nice python3 tests/sel4/typein.py "$log" "${SEL4_TIMEOUT:-1800}" "$QEMU" \
    -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
    -m 2G -nographic -monitor none -serial stdio $(sel4_net_qemu_args "$dir") \
    -kernel "$dir/loader.img" $(cat "$dir/qemu_args") -- "${steps[@]}" || echo "bench: a step failed (log: $log)"
python3 - "$log" <<'EOF'
import re
import statistics
import sys

text = open(sys.argv[1], errors="replace").read().replace("\r", "")
rates = {}
# per fetch: "<vm>| 4194304" from wc -c, then "<vm>| real 0m 1.23s" from time
for vm, nbytes, m, s in re.findall(r"^(vm-[ab])\| (\d+)\n(?:.*\n)*?\1\| real\s+(\d+)m\s*([\d.]+)s",
                                   text, re.M):
    sec = int(m) * 60 + float(s)
    rate = int(nbytes) / sec / 1e6
    peer = "vm-b" if vm == "vm-a" else "vm-a"
    rates.setdefault(peer, []).append(rate)
    print("%s -> %s: %d bytes in %.2f s = %.3f MB/s" % (peer, vm, int(nbytes), sec, rate))
for peer, r in sorted(rates.items()):
    print("median %s -> %s: %.3f MB/s over %d transfer(s)"
          % (peer, "vm-b" if peer == "vm-a" else "vm-a", statistics.median(r), len(r)))
if not rates:
    print("bench: no transfer times found")
    sys.exit(1)
EOF
