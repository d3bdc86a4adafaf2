#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# seL4: the io system with the Xen console (examples/sel4/io --xen-console,
# release kernel configuration; docs/SEL4.md "Xen console"). The guest's
# whole boot log goes through earlycon=xenboot (console_io hypercalls) and
# then hvc0 (the shared ring, one event-channel send per 16 bytes), up to
# /init; text typed on QEMU's serial port reaches the guest shell on hvc0
# through the ring and an event-channel upcall; the shell's `exit` powers
# the VM off through SCHEDOP_shutdown. The VMM's count of hypercalls at the
# end shows that output is batched (bytes per hypercall > 8).
#
# Needs MICROKIT_SDK and SDDF; without either it prints one SKIPPED line and
# exits 0. SEL4_TIMEOUT (s, default 600) bounds the boot.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

for v in MICROKIT_SDK SDDF; do
    if [ -z "${!v:-}" ]; then
        echo "SKIPPED: seL4 Xen console test: $v is not set (see docs/SEL4.md)"
        exit 0
    fi
done
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${SEL4_TIMEOUT:-600}
OUT=build/sel4-xen
log=$OUT/io/console.log
passed=0
failed=0
# shellcheck source=tests/sel4/net.sh
. tests/sel4/net.sh

pass() {
    echo "PASS io (xen console): $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL io (xen console): $1"
    failed=$((failed + 1))
}

# count PATTERN: lines of the log containing PATTERN.
count() {
    tr -d '\r' <"$log" | grep -cF -- "$1"
}

# expect NAME PATTERN [COUNT]: PATTERN appears COUNT (default 1+) times.
expect() {
    local n
    n=$(count "$2")
    if { [ -z "${3:-}" ] && [ "$n" -gt 0 ]; } || { [ -n "${3:-}" ] && [ "$n" -eq "$3" ]; }; then
        pass "$1"
    else
        fail "$1 (\"$2\" seen $n times${3:+, want $3})"
    fi
}

if ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" MICROKIT_CONFIG=release \
    BUILD="$PWD/$OUT" DEPS="$PWD/build/deps" FS_DIR="$PWD/build/freestanding" \
    SEL4GEN_ARGS=--xen-console io >"$OUT.build.log" 2>&1; then
    tail -n 30 "$OUT.build.log"
    echo "FAIL io (xen console): build (log: $OUT.build.log)"
    exit 1
fi
tests/sel4/mkdisk.sh "$OUT/io/disk.img" >/dev/null 2>&1
# shellcheck disable=SC2046 # the net and qemu_args options are words
python3 tests/sel4/typein.py "$log" "$TIMEOUT" "$QEMU" \
    -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
    -m 2G -nographic -monitor none -serial stdio $(sel4_net_qemu_args "$OUT/io") \
    -global virtio-mmio.force-legacy=false \
    -drive "file=$OUT/io/disk.img,if=none,format=raw,id=hd" -device virtio-blk-device,drive=hd \
    -kernel "$OUT/io/loader.img" $(cat "$OUT/io/qemu_args") -- \
    "wait:vm1| SEL4-GUEST: shell ready" sleep:2 'type:echo MARK-$((6*7))\r' \
    "wait:MARK-42" 'type:exit\r' "wait:stdvmm[vm1]: VM vm1 stopped:"
echo "sel4: io (xen console) console: $log"

expect "the first line of the log (earlycon=xenboot)" "vm1| [    0.000000] Booting Linux on physical CPU"
expect "earlycon is Xen's" "earlycon: xenboot0"
expect "Linux finds the Xen interface" "Xen 4.19 support found"
expect "grant table initialised" "Grant table initialized"
expect "2-level event channels" "xen:events: Using 2-level ABI"
expect "vcpu_info registered" "Xen: initializing cpu0"
expect "hvc0 takes over the log" "printk: console [hvc0] enabled"
expect "the full log reaches /init on hvc0" "Run /init as init process"
expect "reaches /init" "vm1| SEL4-GUEST: reached /init (boot 1)"
expect "the shell runs on the Xen console" "vm1| SEL4-GUEST: shell ready on /dev/hvc0" 1
expect "typed input reaches the guest shell (ring + upcall)" "vm1| MARK-42" 1
expect "exit powers off through SCHEDOP_shutdown" \
    "stdvmm[vm1]: VM vm1 stopped: the guest powered off (Xen SCHEDOP_shutdown)" 1
for bad in "Call trace:" "WARNING:" "BUG:" "Kernel panic" "unable to open an initial console"; do
    expect "no \"$bad\" in the guest log" "$bad" 0
done
n=$(tr -d '\r' <"$log" | grep -c '^stdvmm\[[^]]*\]: error:')
if [ "$n" -eq 0 ]; then pass "no VMM errors"; else fail "$n VMM error line(s)"; fi
# "Xen console: N hypercalls, M console bytes, U upcalls"
read -r calls bytes < <(tr -d '\r' <"$log" |
    sed -n 's/.*Xen console: \([0-9]*\) hypercalls, \([0-9]*\) console bytes.*/\1 \2/p' | tail -n 1)
if [ -n "${calls:-}" ] && [ "$bytes" -gt 10000 ] && [ $((bytes / calls)) -gt 8 ]; then
    pass "output batched: $bytes bytes in $calls hypercalls"
else
    fail "output batched (hypercalls ${calls:-?}, bytes ${bytes:-?})"
fi
echo "sel4 xen: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
