#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# seL4 time tests (issue 11 points 5, 6 and their checks in 9), on one core
# (the Microkit 2.0.1 kernels are built with CONFIG_MAX_NUM_NODES=1):
#   time_idle   a CPU-bound VM next to an idle one (same priority, full
#               budgets): the idle VM's vCPU sleeps in WFI, so the busy VM
#               keeps >= 90% of the loop rate it has once the idle VM is off
#   time_split  two CPU-bound VMs with MCS budgets of 25% and 75% of a 10 ms
#               period progress 25:75 within 5 points
# Each guest reports its own loop count (tests/sel4/guest/spin.c); the
# verdicts come from tests/sel4/time_check.py. QEMU runs with -icount, so
# the guests' clocks (and seL4's budgets) count emulated instructions: the
# other processes on the host do not enter the rates, and both phases or
# both VMs are measured in the same run anyway.
#
# Needs MICROKIT_SDK and SDDF (the VMs share sDDF's serial port and timer
# driver); without either it prints one SKIPPED line and exits 0.
# SEL4_TIMEOUT (s, default 1800: on a host loaded 10x, time_idle took 990 s)
# bounds each run.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

for v in MICROKIT_SDK SDDF; do
    if [ -z "${!v:-}" ]; then
        echo "SKIPPED: seL4 time tests (WFI blocking, MCS budgets): $v is not set (see docs/SEL4.md)"
        exit 0
    fi
done
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${SEL4_TIMEOUT:-1800}
OUT=build/sel4
passed=0
failed=0

# run SYSTEM MODE: boot until time_check.py MODE says the log is enough, judge.
run() {
    local sys=$1 mode=$2 log=$OUT/$1/console.log pid start
    if ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" "$sys" \
        >"$OUT.$sys.build.log" 2>&1; then
        tail -n 30 "$OUT.$sys.build.log"
        echo "FAIL $sys: build (log: $OUT.$sys.build.log)"
        failed=$((failed + 1))
        return
    fi
    rm -f "$log"
    : >"$log"
    # shellcheck disable=SC2054,SC2046 # commas are QEMU option syntax; qemu_args: QEMU
    # arguments that load the guest images, split into words
    nice "$QEMU" -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 \
        -smp 4 -m 2G -icount shift=3 -nographic -monitor none \
        -kernel "$OUT/$sys/loader.img" $(cat "$OUT/$sys/qemu_args") </dev/null >"$log" 2>&1 &
    pid=$!
    start=$SECONDS
    while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$TIMEOUT" ]; do
        python3 tests/sel4/time_check.py "$mode" "$log" --ready && break
        sleep 3
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "sel4: $sys ran $((SECONDS - start)) s (console: $log)"
    if python3 tests/sel4/time_check.py "$mode" "$log"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    if tr -d '\r' <"$log" | grep -q '^stdvmm\[[^]]*\]: error:'; then
        echo "FAIL $sys: VMM error lines:"
        tr -d '\r' <"$log" | grep '^stdvmm\[[^]]*\]: error:' | head -n 5
        failed=$((failed + 1))
    fi
}

run time_idle idle
run time_split split

echo "sel4 time: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
