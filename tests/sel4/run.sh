#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# End-to-end tests of the seL4 port: build the Microkit example systems
# (examples/sel4) and boot each in QEMU, judging by the console markers of
# the guest (tests/sel4/guest/init: `SEL4-GUEST: ...`, behind "<vm>| ") and
# of the VMM (`stdvmm[<vm>]: ...`).
#
#   vm1      1 vCPU: reaches /init, sees 1 CPU, writes on virtio-console,
#            reboots (PSCI SYSTEM_RESET) and boots again, powers off
#            (PSCI SYSTEM_OFF) and stays off
#   vm4      4 vCPUs: the guest sees 4 CPUs online, powers off
#   two_vms  two VMs, each with its own VMM PD: console output from both
#   attack   vm1 booting the attacking guest (tests/attack): its accesses
#            without a syndrome are emulated, a SIMD load gets an abort
#   io       (needs SDDF) one VM whose console goes through sDDF serial
#            (tools/sel4gen system; QEMU loads its guest images with the
#            arguments in qemu_args): text typed on QEMU's serial port reaches
#            the guest's shell, whose answer comes back; the same with the
#            release kernel configuration (no debug console at all)
#   io_two_vms  (needs SDDF) two VMs sharing the serial port through the
#            virtualisers: input goes to vm-a, then, after sDDF's switch
#            sequence (Ctrl-\\ 1 Enter), to vm-b; output is per-VM lines
#   time     (needs SDDF) tests/sel4/time.sh: WFI blocking and MCS budgets
#   io_two_vms/net  (needs SDDF) the two VMs' NICs through sDDF net: ping
#            and TCP both ways, host -> guest TCP through hostfwd (net.sh)
#   blk      (needs SDDF) tests/sel4/blk.sh: virtio-blk over sDDF blk
#   xen      (needs SDDF) tests/sel4/xen.sh: io with the Xen console (full
#            boot log through earlycon=xenboot and hvc0, input, shutdown)
#   attack_io  (needs SDDF) tests/sel4/attack_io.sh: io_two_vms with the
#            attacking guest in vm-a attacking its console, blk and net; the
#            VMMs and the sDDF PDs stay up, vm-b's console, disk and network
#            still work
#
# Needs MICROKIT_SDK (a Microkit 2.0.1 SDK with qemu_virt_aarch64); without
# it prints one SKIPPED line and exits 0. The io system also needs SDDF (an
# sDDF checkout, docs/SEL4.md); without it one SKIPPED line names SDDF.
# SEL4_TIMEOUT (s) bounds each boot.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if [ -z "${MICROKIT_SDK:-}" ]; then
    echo "SKIPPED: seL4 end-to-end tests: MICROKIT_SDK is not set (see docs/SEL4.md)"
    exit 0
fi
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${SEL4_TIMEOUT:-600}
OUT=build/sel4
passed=0
failed=0

echo "sel4: building the examples (MICROKIT_SDK=$MICROKIT_SDK)"
if ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" all >"$OUT.build.log" 2>&1; then
    tail -n 30 "$OUT.build.log"
    echo "FAIL sel4 build (log: $OUT.build.log)"
    exit 1
fi

# boot SYSTEM DONE_PATTERN...: run QEMU until every pattern is in the log (or
# the timeout), then a few seconds more so anything after the end shows up.
boot() {
    local sys=$1 log=$OUT/$1/console.log pid start n pat all
    shift
    rm -f "$log"
    : >"$log" # the loop below may read it before QEMU opens it
    # shellcheck disable=SC2054 # commas are QEMU option syntax
    "$QEMU" -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
        -m 2G -nographic -monitor none -kernel "$OUT/$sys/loader.img" </dev/null >"$log" 2>&1 &
    pid=$!
    start=$SECONDS
    while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$TIMEOUT" ]; do
        all=1
        for pat in "$@"; do
            n=$(tr -d '\r' <"$log" | grep -cF -- "$pat")
            [ "$n" -gt 0 ] || { all=0; break; }
        done
        [ "$all" = 1 ] && break
        sleep 2
    done
    sleep 5
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "sel4: $sys ran $((SECONDS - start)) s (console: $log)"
}

# expect SYSTEM NAME PATTERN [COUNT]: PATTERN appears COUNT (default 1+) times.
expect() {
    local sys=$1 name=$2 pat=$3 want=${4:-} n
    n=$(tr -d '\r' <"$OUT/$sys/console.log" | grep -cF -- "$pat")
    if { [ -z "$want" ] && [ "$n" -gt 0 ]; } || { [ -n "$want" ] && [ "$n" -eq "$want" ]; }; then
        echo "PASS $sys: $name"
        passed=$((passed + 1))
    else
        echo "FAIL $sys: $name (\"$pat\" seen $n times${want:+, want $want})"
        failed=$((failed + 1))
    fi
}

# Nothing from VM after its power-off line: SYSTEM_OFF stopped it.
expect_silent_after_off() {
    local sys=$1 vm=$2 after
    after=$(tr -d '\r' <"$OUT/$sys/console.log" |
        sed -n "/stdvmm\[$vm\]: VM $vm stopped: the guest powered off/,\$p" | grep -c "^$vm| ")
    if [ "$after" -eq 0 ]; then
        echo "PASS $sys: $vm stays off after SYSTEM_OFF"
        passed=$((passed + 1))
    else
        echo "FAIL $sys: $vm printed $after line(s) after SYSTEM_OFF"
        failed=$((failed + 1))
    fi
}

no_vmm_errors() {
    local sys=$1 n
    n=$(tr -d '\r' <"$OUT/$sys/console.log" | grep -c '^stdvmm\[[^]]*\]: error:')
    if [ "$n" -eq 0 ]; then
        echo "PASS $sys: no VMM errors"
        passed=$((passed + 1))
    else
        echo "FAIL $sys: $n VMM error line(s):"
        grep '^stdvmm\[[^]]*\]: error:' "$OUT/$sys/console.log" | head -n 5
        failed=$((failed + 1))
    fi
}

off="the guest powered off (PSCI SYSTEM_OFF)"
# net tests and the QEMU options of systems with a NIC (tests/sel4/net.sh)
# shellcheck source=tests/sel4/net.sh disable=SC1091
. tests/sel4/net.sh

boot vm1 "stdvmm[vm1]: VM vm1 stopped: $off"
expect vm1 "reaches /init" "vm1| SEL4-GUEST: reached /init (boot 1)"
expect vm1 "sees 1 CPU" "vm1| SEL4-GUEST: cpus=1 online=0"
expect vm1 "virtio-console output" "vm1| SEL4-GUEST: hello on virtio-console (boot 1)"
expect vm1 "SYSTEM_RESET reaches the VMM" "stdvmm[vm1]: VM vm1: system reset, booting again" 1
expect vm1 "boots again after SYSTEM_RESET" "vm1| SEL4-GUEST: reached /init (boot 2)"
expect vm1 "SYSTEM_OFF stops the VM" "stdvmm[vm1]: VM vm1 stopped: $off" 1
expect_silent_after_off vm1 vm1
no_vmm_errors vm1

boot vm4 "stdvmm[vm4]: VM vm4 stopped: $off"
expect vm4 "reaches /init" "vm4| SEL4-GUEST: reached /init (boot 1)"
expect vm4 "sees 4 CPUs (PSCI CPU_ON)" "vm4| SEL4-GUEST: cpus=4 online=0-3"
expect vm4 "virtio-console output" "vm4| SEL4-GUEST: hello on virtio-console (boot 1)"
expect vm4 "SYSTEM_OFF stops the VM" "stdvmm[vm4]: VM vm4 stopped: $off" 1
no_vmm_errors vm4

boot two_vms "stdvmm[vm-a]: VM vm-a stopped: $off" "stdvmm[vm-b]: VM vm-b stopped: $off"
for vm in vm-a vm-b; do
    expect two_vms "$vm reaches /init" "$vm| SEL4-GUEST: reached /init (boot 1)"
    expect two_vms "$vm virtio-console output" "$vm| SEL4-GUEST: hello on virtio-console (boot 1)"
    expect two_vms "$vm powers off" "stdvmm[$vm]: VM $vm stopped: $off" 1
done
no_vmm_errors two_vms

# The attacking guest (tests/attack) as vm1's kernel, in its own build
# directory: accesses without a syndrome (tests/attack/isv0.c) must be
# emulated on seL4 too, and a SIMD load must come back as an external abort.
# Its other verdicts assume stdvmm's KVM setup (64 MiB of RAM, blk and rng).
# BUILD reaches the core's sub-make too: DEPS and FS_DIR keep that one on
# the repository's build directory (its freestanding core is already built).
echo "sel4: building vm1 with the attacking guest as its kernel"
if make -s attack-guest >"$OUT.attack.log" 2>&1 &&
    make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" BUILD="$PWD/$OUT/attack" \
        DEPS="$PWD/build/deps" FS_DIR="$PWD/build/freestanding" \
        GUEST_KERNEL="$PWD/build/attack/Image" vm1 >>"$OUT.attack.log" 2>&1; then
    boot attack/vm1 "stdvmm[vm1]: VM vm1 stopped: $off"
    expect attack/vm1 "attacking guest finishes" "vm1| ATTACK: done" 1
    expect attack/vm1 "LDP emulated" "vm1| ATTACK-PASS: isv0: ldp-reads-magic-and-version" 1
    expect attack/vm1 "SIMD load gets an external abort" \
        "vm1| ATTACK-PASS: isv0: simd-load-gets-external-abort" 1
    expect attack/vm1 "no ISV=0 case fails" "vm1| ATTACK-FAIL: isv0:" 0
    no_vmm_errors attack/vm1
else
    tail -n 20 "$OUT.attack.log"
    echo "FAIL sel4 attack build (log: $OUT.attack.log)"
    failed=$((failed + 1))
fi

# The io systems have a disk (sDDF blk, tests/sel4/blk.sh tests it): QEMU's
# virtio-blk-device on a fresh image IMG with two partitions.
io_disk() {
    tests/sel4/mkdisk.sh "$1" >&2 && echo "-global virtio-mmio.force-legacy=false" \
        "-drive file=$1,if=none,format=raw,id=hd -device virtio-blk-device,drive=hd"
}

# io CONFIG: build the io system for CONFIG, boot it, type a command into the
# guest shell through QEMU's serial port (tests/sel4/typein.py) and check that
# the shell's answer (computed by the guest, so not an echo) comes back.
io_boot() {
    local config=$1 out log
    out=build/sel4$([ "$config" = debug ] || echo "-$config")
    log=$out/io/console.log
    if ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" \
        MICROKIT_CONFIG="$config" io >"$out.io.build.log" 2>&1; then
        tail -n 30 "$out.io.build.log"
        echo "FAIL io ($config): build (log: $out.io.build.log)"
        failed=$((failed + 1))
        return
    fi
    # shellcheck disable=SC2046 # the net, disk and qemu_args options are words
    python3 tests/sel4/typein.py "$log" "$TIMEOUT" "$QEMU" \
        -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
        -m 2G -nographic -monitor none -serial stdio $(sel4_net_qemu_args "$out/io") \
        $(io_disk "$out/io/disk.img") \
        -kernel "$out/io/loader.img" $(cat "$out/io/qemu_args") -- \
        "wait:vm1| SEL4-GUEST: shell ready" sleep:2 'type:echo MARK-$((6*7))\r' \
        "wait:MARK-42" 'type:exit\r' "wait:stdvmm[vm1]: VM vm1 stopped: $off"
    echo "sel4: io ($config) console: $log"
    OUT=$out expect io "($config) reaches /init" "vm1| SEL4-GUEST: reached /init (boot 1)"
    OUT=$out expect io "($config) virtio-console output through sDDF" \
        "vm1| SEL4-GUEST: hello on virtio-console (boot 1)"
    OUT=$out expect io "($config) the shell runs on virtio-console" \
        "vm1| SEL4-GUEST: shell ready on /dev/hvc0" 1
    OUT=$out expect io "($config) typed input reaches the guest shell" "vm1| MARK-42" 1
    OUT=$out expect io "($config) VMM log lines through sDDF" "stdvmm[vm1]: VM vm1 stopped: $off" 1
    OUT=$out no_vmm_errors io
}

if [ -z "${SDDF:-}" ]; then
    echo "SKIPPED: seL4 io example (console through sDDF serial): SDDF is not set (see docs/SEL4.md)"
else
    io_boot debug
    io_boot release
    if make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" io_two_vms \
        >"$OUT.io_two_vms.build.log" 2>&1; then
        # shellcheck disable=SC2046 # the net, disk and qemu_args options are words
        python3 tests/sel4/typein.py "$OUT/io_two_vms/console.log" "$TIMEOUT" "$QEMU" \
            -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
            -m 2G -nographic -monitor none -serial stdio $(sel4_net_qemu_args "$OUT/io_two_vms") \
            $(io_disk "$OUT/io_two_vms/disk.img") \
            -kernel "$OUT/io_two_vms/loader.img" $(cat "$OUT/io_two_vms/qemu_args") -- \
            "wait:vm-a| SEL4-GUEST: shell ready" "wait:vm-b| SEL4-GUEST: shell ready" sleep:3 \
            'type:echo MARK-A-$((6*7))\r' "wait:MARK-A-42" 'type:\x1c1\r' sleep:1 \
            'type:echo MARK-B-$((6*7))\r' "wait:MARK-B-42" 'type:exit\r' \
            "wait:stdvmm[vm-b]: VM vm-b stopped: $off"
        echo "sel4: io_two_vms console: $OUT/io_two_vms/console.log"
        for vm in vm-a vm-b; do
            expect io_two_vms "$vm reaches /init" "$vm| SEL4-GUEST: reached /init (boot 1)"
        done
        expect io_two_vms "input reaches vm-a first" "vm-a| MARK-A-42" 1
        expect io_two_vms "input to vm-b after the switch character" "vm-b| MARK-B-42" 1
        expect io_two_vms "vm-b powers off from its shell" "stdvmm[vm-b]: VM vm-b stopped: $off" 1
        no_vmm_errors io_two_vms
    else
        tail -n 30 "$OUT.io_two_vms.build.log"
        echo "FAIL io_two_vms: build (log: $OUT.io_two_vms.build.log)"
        failed=$((failed + 1))
    fi
    sel4_net_tests
fi

# WFI blocking and MCS budgets (needs SDDF too; prints its own SKIPPED line).
tests/sel4/time.sh || failed=$((failed + 1))
# virtio-blk over sDDF blk: its own PASS/FAIL lines; a failure counts once here.
if [ -n "${SDDF:-}" ] && ! tests/sel4/blk.sh; then
    echo "FAIL sel4 blk tests (tests/sel4/blk.sh)"
    failed=$((failed + 1))
fi
# The Xen console (io --xen-console): the same.
if [ -n "${SDDF:-}" ] && ! tests/sel4/xen.sh; then
    echo "FAIL sel4 Xen console tests (tests/sel4/xen.sh)"
    failed=$((failed + 1))
fi
# The attacking guest with console, blk and net next to a Linux VM: the same.
if [ -n "${SDDF:-}" ] && ! tests/sel4/attack_io.sh; then
    echo "FAIL sel4 attack_io tests (tests/sel4/attack_io.sh)"
    failed=$((failed + 1))
fi

echo "sel4: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
