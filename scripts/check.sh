#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The project's test command (README; called by .ci/run): installs what it
# needs from Debian's archive, then runs every stage and reports each.
# Stages that cannot run here say SKIPPED and why; they never count as passed.
set -u
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
skipped=0
failures=()

stage() {
    local name=$1
    shift
    echo "=== check: $name"
    local start=$SECONDS
    if "$@"; then
        echo "=== check: $name: ok ($((SECONDS - start)) s)"
        passed=$((passed + 1))
    else
        echo "=== check: $name: FAILED ($((SECONDS - start)) s)"
        failed=$((failed + 1))
        failures+=("$name")
    fi
}

skip() {
    echo "=== check: $1: SKIPPED ($2)"
    skipped=$((skipped + 1))
}

stage "dependencies" scripts/deps.sh all
stage "format (clang-format, .clang-format)" scripts/check-format.sh
stage "unit tests (ASan+UBSan)" make -s -j"$jobs" unit
stage "library symbols all vmm_-prefixed" scripts/check-symbols.sh
stage "freestanding core (aarch64)" make -s -j"$jobs" freestanding
stage "stdvmm (static aarch64)" make -s -j"$jobs" stdvmm
stage "fuzz smoke (libFuzzer, seeds + bounded runs)" make -s -j"$jobs" fuzz-smoke
if [ -x tests/e2e/run.sh ]; then
    stage "end-to-end guests on KVM (emulated AArch64)" tests/e2e/run.sh
else
    skip "end-to-end" "tests/e2e/run.sh missing"
fi
if [ -x tests/attack/run.sh ]; then
    stage "attacking guest, confinement, kill -9 integrity (KVM, emulated AArch64)" \
        make -s -j"$jobs" attack
else
    skip "attacking guest" "tests/attack/run.sh missing"
fi
if [ -x bench/run.sh ]; then
    # Never fails on speed: only when a benchmark produced no number at all.
    stage "benchmark smoke run (stdvmm vs QEMU, one repetition)" bench/run.sh --smoke
else
    skip "benchmark smoke run" "bench/run.sh missing"
fi
if [ -x bench/vhost/run.sh ]; then
    # vhost-user-blk (qemu-storage-daemon) under stdvmm and QEMU against
    # stdvmm's own virtio-blk; fails only when a number is missing.
    stage "vhost-user-blk benchmark smoke run (bench/vhost, one repetition)" \
        bench/vhost/run.sh --smoke
else
    skip "vhost-user-blk benchmark smoke run" "bench/vhost/run.sh missing"
fi
stage "seL4 system generator (tools/sel4gen, host)" make -s sel4gen-test
if [ -x tests/sel4/run.sh ]; then
    if [ -n "${MICROKIT_SDK:-}" ]; then
        stage "seL4 Microkit examples" tests/sel4/run.sh
    else
        echo "SKIPPED: seL4 end-to-end tests: set MICROKIT_SDK=/path/to/microkit-sdk-2.0.1 to run them"
        skip "seL4 Microkit examples" "MICROKIT_SDK not set"
    fi
    # The io examples (console through sDDF) run inside tests/sel4/run.sh.
    if [ -z "${SDDF:-}" ]; then
        echo "SKIPPED: seL4 sDDF I/O examples: set SDDF=/path/to/sddf (commit 5febd61c, docs/SEL4.md) to run them"
        skip "seL4 sDDF I/O examples" "SDDF not set"
    fi
fi

if [ -x tests/sel4-init/run.sh ]; then
    if [ -n "${SEL4_PREFIX:-}" ]; then
        stage "seL4 stdvmm-init systems (SMP kernel in SEL4_PREFIX)" tests/sel4-init/run.sh
    else
        echo "SKIPPED: stdvmm-init tests: set SEL4_PREFIX=/path/to/an SMP seL4 kernel install (docs/SEL4.md) to run them"
        skip "seL4 stdvmm-init systems" "SEL4_PREFIX not set"
    fi
fi

echo "=== check summary"
for f in "${failures[@]}"; do echo "failed stage: $f"; done
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
