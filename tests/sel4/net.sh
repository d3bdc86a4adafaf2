#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Network tests of the seL4 port (issue 11 point 4), on examples/sel4's
# io_two_vms: two VMs, each with a virtio-net whose backend is an sDDF net
# client (sDDF's virtio-net driver on QEMU's virtio-net-device with
# -netdev user, sDDF's rx virtualiser and copiers, stdvmm's net switch).
# One boot; the guests (tests/sel4/guest/init, stdvmm.ip=) bring eth0 up and
# serve port 7000 ("NET-HELLO <ip>" and `seq 1 20000`). Through QEMU's
# serial port (tests/sel4/typein.py) the test types, in vm-a: ping vm-b and
# fetch vm-b's port 7000 (`netget`); then in vm-b: ping vm-a and the slirp
# gateway, fetch vm-a's port 7000; and from the host it fetches vm-a's port
# 7000 through hostfwd on a free port picked at run time. Each fetch must
# bring the server's line and the MD5 of `seq 1 20000`.
#
# Sourced by tests/sel4/run.sh (uses its expect/no_vmm_errors, OUT, TIMEOUT,
# QEMU and counters) or run alone with MICROKIT_SDK and SDDF set.
#   sel4_net_qemu_args DIR   QEMU options for a system's net device (none
#                            without a net subsystem): the device and a
#                            -netdev user (with $2 appended, e.g. hostfwd=...)
#   sel4_net_tests           build io_two_vms, boot it, check

# sel4_blk_disk_args DIR: a fresh disk for a system with a blk subsystem (its
# sDDF virtio-blk driver needs the device; tests/sel4/blk.sh tests it).
sel4_blk_disk_args() {
    [ -f "$1/gen/sddf_blk_virt.c" ] || return 0
    tests/sel4/mkdisk.sh "$1/net-disk.img" 16 >&2 &&
        echo "-drive file=$1/net-disk.img,if=none,format=raw,id=hd -device virtio-blk-device,drive=hd"
}

sel4_net_qemu_args() {
    local dir=$1 extra=${2:-}
    [ -f "$dir/gen/qemu_net.args" ] || return 0
    cat "$dir/gen/qemu_net.args"
    echo "-netdev user,id=net0${extra:+,$extra}"
}

sel4_net_tests() {
    local sys=io_two_vms/net dir=$OUT/io_two_vms log port md5 a=10.0.2.15 b=10.0.2.16
    log=$OUT/$sys/console.log
    mkdir -p "$OUT/$sys"
    if ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" io_two_vms \
        >"$OUT.net.build.log" 2>&1; then
        tail -n 30 "$OUT.net.build.log"
        echo "FAIL $sys net: build (log: $OUT.net.build.log)"
        failed=$((failed + 1))
        return
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    md5=$(seq 1 20000 | md5sum | cut -d' ' -f1)
    # shellcheck disable=SC2046 # the net, disk and qemu_args options are words
    nice python3 tests/sel4/typein.py "$log" "$TIMEOUT" "$QEMU" \
        -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
        -m 2G -nographic -monitor none -serial stdio \
        $(sel4_net_qemu_args "$dir" "hostfwd=tcp:127.0.0.1:$port-$a:7000") \
        $(sel4_blk_disk_args "$dir") -kernel "$dir/loader.img" $(cat "$dir/qemu_args") -- \
        "wait:vm-a| SEL4-GUEST: shell ready" "wait:vm-b| SEL4-GUEST: shell ready" \
        "wait:vm-a| SEL4-GUEST: net up" "wait:vm-b| SEL4-GUEST: net up" sleep:2 \
        "type:ping -c 3 $b\\r" "wait:vm-a| 3 packets transmitted, 3 packets received" sleep:1 \
        "type:netget $b\\r" "wait:vm-a| $md5" sleep:1 \
        "host:python3 tests/sel4/netget.py 127.0.0.1 $port 120" \
        'type:\x1c1\r' sleep:1 \
        "type:ping -c 3 $a\\r" "wait:vm-b| 3 packets transmitted, 3 packets received" sleep:1 \
        "type:ping -c 2 10.0.2.2\\r" "wait:vm-b| 2 packets transmitted, 2 packets received" sleep:1 \
        "type:netget $a\\r" "wait:vm-b| $md5" sleep:1
    echo "sel4: $sys console: $log"
    expect $sys "vm-a's eth0 up with its MAC" "vm-a| SEL4-GUEST: net up $a mac 02:00:00:00:00:0a"
    expect $sys "vm-b's eth0 up with its MAC" "vm-b| SEL4-GUEST: net up $b mac 02:00:00:00:00:0b"
    expect $sys "vm-a pings vm-b" "vm-a| 3 packets transmitted, 3 packets received"
    expect $sys "TCP vm-a -> vm-b (server's line)" "vm-a| GOT NET-HELLO $b"
    expect $sys "TCP vm-a -> vm-b (108 KB, MD5)" "vm-a| $md5  -"
    expect $sys "host -> vm-a TCP through hostfwd (line)" "host| GOT NET-HELLO $a"
    expect $sys "host -> vm-a TCP through hostfwd (MD5)" "host| $md5  -"
    expect $sys "vm-b pings vm-a" "vm-b| 3 packets transmitted, 3 packets received"
    expect $sys "vm-b pings the user network's gateway" \
        "vm-b| 2 packets transmitted, 2 packets received"
    expect $sys "TCP vm-b -> vm-a (server's line)" "vm-b| GOT NET-HELLO $a"
    expect $sys "TCP vm-b -> vm-a (108 KB, MD5)" "vm-b| $md5  -"
    no_vmm_errors $sys
}

# Run alone: the helpers run.sh would give.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -uo pipefail
    cd "$(dirname "$0")/../.." || exit 1
    if [ -z "${MICROKIT_SDK:-}" ] || [ -z "${SDDF:-}" ]; then
        echo "SKIPPED: seL4 net tests: MICROKIT_SDK and SDDF must be set (see docs/SEL4.md)"
        exit 0
    fi
    QEMU=${QEMU:-qemu-system-aarch64}
    TIMEOUT=${SEL4_TIMEOUT:-600}
    OUT=build/sel4
    passed=0
    failed=0
    expect() {
        local n
        n=$(tr -d '\r' <"$OUT/$1/console.log" | grep -cF -- "$3")
        if { [ -z "${4:-}" ] && [ "$n" -gt 0 ]; } || { [ -n "${4:-}" ] && [ "$n" -eq "$4" ]; }; then
            echo "PASS $1: $2"
            passed=$((passed + 1))
        else
            echo "FAIL $1: $2 (\"$3\" seen $n times${4:+, want $4})"
            failed=$((failed + 1))
        fi
    }
    no_vmm_errors() {
        if tr -d '\r' <"$OUT/$1/console.log" | grep -q '^stdvmm\[[^]]*\]: error:'; then
            echo "FAIL $1: VMM errors"
            failed=$((failed + 1))
        else
            echo "PASS $1: no VMM errors"
            passed=$((passed + 1))
        fi
    }
    sel4_net_tests
    echo "sel4 net: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
fi
