#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The attacking guest on seL4 with console, blk and net (issue 11 point 9):
# examples/sel4's io_two_vms with the attacking guest (tests/attack) as
# vm-a's kernel, told by its command line to expect virtio-console, -blk and
# -net (attack.devices=console,blk,net), and Linux in vm-b. vm-a's devices
# have the sDDF backends of the real system: its console goes through the
# serial virtualisers, its disk (partition 0, which starts with the marker
# the attacker's final read looks for) through the blk virtualiser and
# sDDF's virtio-blk driver, its NIC through the net switch, copier, rx
# virtualiser and sDDF's virtio-net driver, all shared with vm-b.
#
#   vm-a        every attack's verdict passes (no ATTACK-FAIL): each broken
#               virtqueue puts the device in DEVICE_NEEDS_RESET, abuse that
#               must be ignored is, and afterwards a correct request works
#               on each device (console write, blk read of the marker, net
#               frame sent); the same broken chains on net's receiveq put it
#               in DEVICE_NEEDS_RESET once a frame arrives (the answer to
#               an ARP request for slirp's gateway, attack.ip=10.0.2.15,
#               which also proves frames come back); its VMM answers to the
#               end (the guest's own power-off is reported)
#   PDs         no protection domain faulted (the monitor's MON|ERROR)
#   vm-b        after the attack: its shell answers typed input (serial
#               virtualisers and driver), 4 MiB written to its disk with
#               fsync read back with the same MD5 (blk virtualiser and
#               driver), the user network's gateway answers ping and a host
#               TCP connection through hostfwd reaches its port 7000 (net
#               driver, rx virtualiser, copier, switch), it powers off
#
# Run by tests/sel4/run.sh; alone: MICROKIT_SDK=... SDDF=... tests/sel4/attack_io.sh
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if [ -z "${MICROKIT_SDK:-}" ] || [ -z "${SDDF:-}" ]; then
    echo "SKIPPED: seL4 attack_io: MICROKIT_SDK and SDDF must be set (see docs/SEL4.md)"
    exit 0
fi
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${SEL4_TIMEOUT:-600}
OUT=build/sel4/attack_io
dir=$OUT/io_two_vms
log=$dir/console.log
off="the guest powered off (PSCI SYSTEM_OFF)"
b=10.0.2.16
passed=0
failed=0

pass() {
    echo "PASS attack_io: $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL attack_io: $1"
    failed=$((failed + 1))
}
# expect NAME PATTERN [COUNT]: PATTERN appears COUNT (default 1+) times.
expect() {
    local n
    n=$(tr -d '\r' <"$log" | grep -cF -- "$2")
    if { [ -z "${3:-}" ] && [ "$n" -gt 0 ]; } || { [ -n "${3:-}" ] && [ "$n" -eq "$3" ]; }; then
        pass "$1"
    else
        fail "$1 (\"$2\" seen $n times${3:+, want $3})"
    fi
}
finish() {
    echo "sel4 attack_io: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

mkdir -p "$OUT"
# The generated files depend on the system's .py, not on the appended
# command line: generate them afresh.
rm -rf "$dir/gen"
echo "sel4 attack_io: building io_two_vms with the attacking guest in vm-a"
if ! make -s attack-guest >"$OUT.build.log" 2>&1 ||
    ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" BUILD="$PWD/$OUT" \
        DEPS="$PWD/build/deps" FS_DIR="$PWD/build/freestanding" \
        GUEST_KERNEL_vmm_vm_a="$PWD/build/attack/Image" \
        GUEST_CMDLINE_APPEND="attack.devices=console,blk,net attack.ip=10.0.2.15" io_two_vms \
        >>"$OUT.build.log" 2>&1; then
    tail -n 30 "$OUT.build.log"
    fail "build (log: $OUT.build.log)"
    finish
fi

# The disk: two partitions (vm-a's from 1 MiB); the attacker's final blk
# proof reads the marker at the start of its partition (tests/attack/vdrv.c).
disk=$dir/disk.img
if ! tests/sel4/mkdisk.sh "$disk" ||
    ! printf 'STDVMM-ATTACK-DISK sector 0\n' | dd of="$disk" bs=1M seek=1 conv=notrunc 2>/dev/null; then
    fail "disk image $disk"
    finish
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
md5=$(seq 1 20000 | md5sum | cut -d' ' -f1)
read -rd '' -a net <"$dir/gen/qemu_net.args"
read -rd '' -a images <"$dir/qemu_args"
# vm-b's checks start once the attacker is done and powered off.
python3 tests/sel4/typein.py "$log" "$TIMEOUT" nice "$QEMU" \
    -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
    -m 2G -nographic -monitor none -serial stdio "${net[@]}" \
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-$b:7000" \
    -global virtio-mmio.force-legacy=false \
    -drive "file=$disk,if=none,format=raw,id=hd" -device virtio-blk-device,drive=hd \
    -kernel "$dir/loader.img" "${images[@]}" -- \
    "wait:vm-a| ATTACK: done" "wait:stdvmm[vm-a]: VM vm-a stopped: $off" \
    "wait:vm-b| SEL4-GUEST: shell ready" "wait:vm-b| SEL4-GUEST: net up" sleep:2 \
    'type:\x1c1\r' sleep:1 'type:echo MARK-B-$((6*7))\r' "wait:MARK-B-42" \
    'type:blktest write 4\r' "wait:vm-b| SEL4-GUEST: blk wrote" sleep:1 \
    'type:ping -c 2 10.0.2.2\r' "wait:vm-b| 2 packets transmitted, 2 packets received" sleep:1 \
    "host:python3 tests/sel4/netget.py 127.0.0.1 $port 120" \
    'type:exit\r' "wait:stdvmm[vm-b]: VM vm-b stopped: $off"
echo "sel4 attack_io: console: $log"

expect "the attacking guest finishes in vm-a" "vm-a| ATTACK: done" 1
expect "vm-a reads its RAM size from the DTB (256 MiB)" "RAM ends at 0x50000000" 1
expect "every attack verdict passes" "vm-a| ATTACK-FAIL" 0
expect "the guest counts no failure" "vm-a| ATTACK: summary: " 1
expect "... and its summary says 0 failed" " passed, 0 failed" 1
for dev in console blk net; do
    expect "virtio-$dev: a broken chain puts it in DEVICE_NEEDS_RESET" \
        "vm-a| ATTACK-PASS: virtio-$dev: descriptor-cycle" 1
    expect "virtio-$dev: works after all attacks" \
        "vm-a| ATTACK-PASS: virtio-$dev: works-after-all-attacks" 1
done
expect "vm-a has console, blk and net" "vm-a| ATTACK-PASS: setup: wanted-devices-present" 1
expect "virtio-net receiveq: frames come back through the sDDF net path" \
    "vm-a| ATTACK-PASS: virtio-net: rx-a-frame-arrives" 1
expect "virtio-net receiveq: a broken chain ends in DEVICE_NEEDS_RESET when a frame arrives" \
    "vm-a| ATTACK-PASS: virtio-net: rx-descriptor-cycle" 1
expect "vm-a's VMM answers to the guest's power-off" "stdvmm[vm-a]: VM vm-a stopped: $off" 1
expect "no protection domain faulted" "MON|ERROR" 0
expect "vm-b reaches /init" "vm-b| SEL4-GUEST: reached /init (boot 1)"
expect "vm-b's shell answers after the attack" "vm-b| MARK-B-42" 1
wrote=$(tr -d '\r' <"$log" | grep -a "vm-b| SEL4-GUEST: blk wrote" | tail -n1)
w=$(sed -n 's/.* wrote md5=\([0-9a-f]*\) .*/\1/p' <<<"$wrote")
r=$(sed -n 's/.* readback=\([0-9a-f]*\) .*/\1/p' <<<"$wrote")
if [ -n "$w" ] && [ "$w" = "$r" ]; then
    pass "vm-b's disk after the attack: 4 MiB written, read back equal ($w)"
else
    fail "vm-b's disk after the attack: wrote \"$w\", read back \"$r\" ($wrote)"
fi
expect "vm-b pings the user network's gateway after the attack" \
    "vm-b| 2 packets transmitted, 2 packets received" 1
expect "host -> vm-b TCP through hostfwd after the attack (line)" "host| GOT NET-HELLO $b" 1
expect "host -> vm-b TCP through hostfwd after the attack (MD5)" "host| $md5  -" 1
expect "vm-b powers off from its shell" "stdvmm[vm-b]: VM vm-b stopped: $off" 1
n=$(tr -d '\r' <"$log" | grep -c '^stdvmm\[[^]]*\]: error:')
if [ "$n" -eq 0 ]; then
    pass "no VMM errors"
else
    fail "$n VMM error line(s): $(grep -a '^stdvmm\[[^]]*\]: error:' "$log" | head -n 3 | tr '\n' ';')"
fi
finish
