#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# seL4 blk tests: virtio-blk over sDDF blk (the blk virtualiser and sDDF's
# virtio-blk driver on QEMU's virtio-blk-device), on a raw disk image with
# an MBR and two partitions (tests/sel4/mkdisk.sh). Commands are typed into
# the guest shell (tests/sel4/typein.py, the guest's /bin/blktest) and the
# host's image file is checked afterwards.
#
#   io          blk write + checksum: 1 MiB written with fsync (a FLUSH that
#               reaches the driver), read back equal; equal after a guest
#               reset (PSCI SYSTEM_RESET), after a QEMU restart, and in the
#               image file at partition 0; the block after the end refused
#   io (ro)     io built with --blk-read-only: the guest sees a read-only
#               disk (VIRTIO_BLK_F_RO), a write is refused, also after
#               blockdev --setrw; the data is unchanged (the device's own
#               IOERR for a write to a read-only disk, which Linux never
#               sends, is covered by tests/unit/test_virtio_blk.c)
#   io_two_vms  vm-a writes a pattern into partition 0; vm-b does not find
#               it anywhere on its disk, writes its own, and the block after
#               its end is refused; the image holds each pattern in its VM's
#               partition
#
# Run by tests/sel4/run.sh; alone: MICROKIT_SDK=... SDDF=... tests/sel4/blk.sh
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if [ -z "${MICROKIT_SDK:-}" ] || [ -z "${SDDF:-}" ]; then
    echo "SKIPPED: seL4 blk tests: MICROKIT_SDK and SDDF must be set (see docs/SEL4.md)"
    exit 0
fi
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${SEL4_TIMEOUT:-600}
OUT=build/sel4-blk
RO_BUILD=$PWD/build/sel4-blk-ro
off="the guest powered off (PSCI SYSTEM_OFF)"
passed=0
failed=0
mkdir -p "$OUT"

pass() {
    echo "PASS blk: $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL blk: $1"
    failed=$((failed + 1))
}
# check NAME TEST...: PASS when the test command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# qemu LOG IMAGE LOADER STEP...: boot LOADER with IMAGE as the virtio-blk disk
# (and the NIC the system's net driver expects, if it has one: tests/sel4/net.sh).
qemu() {
    local log=$1 img=$2 loader=$3 net=() images=()
    shift 3
    if [ -f "$(dirname "$loader")/gen/qemu_net.args" ]; then
        read -ra net <"$(dirname "$loader")/gen/qemu_net.args"
        net+=(-netdev user,id=net0)
    fi
    # the guest images, placed by QEMU's -device loader (examples/sel4/Makefile)
    # (one line per VM: read them all)
    read -rd '' -a images <"$(dirname "$loader")/qemu_args"
    python3 tests/sel4/typein.py "$log" "$TIMEOUT" nice "$QEMU" "${net[@]}" \
        -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
        -m 2G -nographic -monitor none -serial stdio -global virtio-mmio.force-legacy=false \
        -drive "file=$img,if=none,format=raw,id=hd" -device virtio-blk-device,drive=hd \
        -kernel "$loader" "${images[@]}" -- "$@"
    echo "sel4 blk: console: $log"
}

# field LOG PATTERN KEY: the value of KEY=... (letters, digits, '-') on the
# LAST line with PATTERN.
field() {
    tr -d '\r' <"$1" | grep -aF -- "$2" | tail -n1 | tr ' ' '\n' |
        sed -n "s/^$3=\([0-9A-Za-z-]*\).*/\1/p"
}
# seen LOG TEXT (grep -c reads it all: with -q, tr could die of SIGPIPE and pipefail fail it)
seen() { [ "$(tr -d '\r' <"$1" | grep -acF -- "$2")" -gt 0 ]; }

# part_start IMAGE N: byte offset of partition N (0-based) in IMAGE.
part_start() {
    local sfdisk
    sfdisk=$(command -v sfdisk || echo /usr/sbin/sfdisk)
    "$sfdisk" -d "$1" | sed -n 's/.*start= *\([0-9]*\).*/\1/p' | sed -n "$(($2 + 1))p" |
        awk '{ print $1 * 512 }'
}
# host_md5 IMAGE PART MIB: md5 of the first MIB MiB of partition PART.
host_md5() {
    dd if="$1" bs=1M skip=$(($(part_start "$1" "$2") / 1048576)) count="$3" 2>/dev/null |
        md5sum | cut -d' ' -f1
}
host_head() { # IMAGE PART LEN: the first LEN bytes of partition PART
    dd if="$1" bs=1 skip="$(part_start "$1" "$2")" count="$3" 2>/dev/null
}
eq() { [ -n "$1" ] && [ "$1" = "$2" ]; }

echo "sel4 blk: building io and io_two_vms (and io with a read-only disk)"
if ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" io io_two_vms \
    >"$OUT/build.log" 2>&1 ||
    ! make -s -C examples/sel4 MICROKIT_SDK="$MICROKIT_SDK" SDDF="$SDDF" BUILD="$RO_BUILD" \
        DEPS="$PWD/build/deps" FS_DIR="$PWD/build/freestanding" \
        SEL4GEN_ARGS=--blk-read-only io >>"$OUT/build.log" 2>&1; then
    tail -n 30 "$OUT/build.log"
    fail "build (log: $OUT/build.log)"
    echo "sel4 blk: $passed passed, $failed failed"
    exit 1
fi

# ---- io: write + checksum, FLUSH, guest reset, the end of the partition
img=$OUT/io.img
tests/sel4/mkdisk.sh "$img"
log=$OUT/io-1.log
qemu "$log" "$img" build/sel4/io/loader.img \
    "wait:vm1| SEL4-GUEST: shell ready" sleep:1 'type:blktest write 1\r' "wait:blk wrote" sleep:2 \
    'type:blktest end\r' "wait:blk end" sleep:2 'type:reboot -f\r' "wait:reached /init (boot 2)" \
    "wait:shell ready" sleep:1 'type:blktest sum 1\r' "wait:blk sum" sleep:2 'type:exit\r' \
    "wait:stdvmm[vm1]: VM vm1 stopped: $off"
wrote=$(field "$log" "SEL4-GUEST: blk wrote" md5)
readback=$(field "$log" "SEL4-GUEST: blk wrote" readback)
check "io: the disk is partition 0 (4 KiB blocks)" \
    seen "$log" "sDDF blk: partition ready"
check "io: 1 MiB written reads back with the same checksum ($wrote)" eq "$wrote" "$readback"
check "io: FLUSH reaches the driver" seen "$log" "sDDF blk: first FLUSH completed by the driver"
check "io: data survives a guest reset" eq "$(field "$log" "SEL4-GUEST: blk sum" md5)" "$wrote"
check "io: the host image holds it at partition 0" eq "$(host_md5 "$img" 0 1)" "$wrote"
check "io: the block after the end is neither read nor written" \
    seen "$log" "read-bytes=0 write=refused"
check "io: no VMM errors" bash -c "! tr -d '\r' <'$log' | grep -q '^stdvmm\[[^]]*\]: error:'"

# ---- io after a QEMU restart
log=$OUT/io-2.log
qemu "$log" "$img" build/sel4/io/loader.img \
    "wait:vm1| SEL4-GUEST: shell ready" sleep:1 'type:blktest sum 1\r' "wait:blk sum" sleep:2 \
    'type:exit\r' "wait:stdvmm[vm1]: VM vm1 stopped: $off"
check "io: data survives a QEMU restart" eq "$(field "$log" "SEL4-GUEST: blk sum" md5)" "$wrote"

# ---- io with a read-only disk, on the same image
log=$OUT/io-ro.log
qemu "$log" "$img" "$RO_BUILD/io/loader.img" \
    "wait:vm1| SEL4-GUEST: shell ready" sleep:1 'type:blktest ro\r' "wait:blk ro=" sleep:2 \
    'type:blktest sum 1\r' "wait:blk sum" sleep:2 'type:exit\r' "wait:stdvmm[vm1]: VM vm1 stopped: $off"
check "io (ro): the guest sees a read-only disk, a write is refused" \
    seen "$log" "SEL4-GUEST: blk ro=1 write=refused"
check "io (ro): a write after blockdev --setrw is refused too" seen "$log" "setrw-write=refused"
check "io (ro): the data is unchanged" eq "$(field "$log" "SEL4-GUEST: blk sum" md5)" "$wrote"
check "io (ro): the host image is unchanged" eq "$(host_md5 "$img" 0 1)" "$wrote"

# ---- io_two_vms: one disk, a partition each
img=$OUT/two.img
tests/sel4/mkdisk.sh "$img" 16 # 7 MiB partitions: vm-b reads all of its own
log=$OUT/io_two_vms.log
qemu "$log" "$img" build/sel4/io_two_vms/loader.img \
    "wait:vm-a| SEL4-GUEST: shell ready" "wait:vm-b| SEL4-GUEST: shell ready" sleep:2 \
    'type:blktest pattern vm-a\r' "wait:vm-a| SEL4-GUEST: blk pattern vm-a written" sleep:2 \
    'type:blktest end\r' "wait:vm-a| SEL4-GUEST: blk end" sleep:2 \
    'type:\x1c1\r' sleep:1 \
    'type:blktest find vm-a\r' "wait:vm-b| SEL4-GUEST: blk find vm-a" sleep:2 \
    'type:blktest pattern vm-b\r' "wait:vm-b| SEL4-GUEST: blk pattern vm-b written" sleep:2 \
    'type:blktest find vm-b\r' "wait:vm-b| SEL4-GUEST: blk find vm-b" sleep:2 \
    'type:blktest end\r' "wait:vm-b| SEL4-GUEST: blk end" sleep:2 \
    'type:exit\r' "wait:stdvmm[vm-b]: VM vm-b stopped: $off"
check "io_two_vms: vm-a writes its pattern" seen "$log" "vm-a| SEL4-GUEST: blk pattern vm-a written"
check "io_two_vms: vm-b does not see vm-a's pattern on its disk" \
    eq "$(field "$log" "vm-b| SEL4-GUEST: blk find vm-a" count)" 0
check "io_two_vms: vm-b sees its own pattern once" \
    eq "$(field "$log" "vm-b| SEL4-GUEST: blk find vm-b" count)" 1
for vm in vm-a vm-b; do
    check "io_two_vms: $vm: the block after its partition is neither read nor written" \
        seen "$log" "$vm| SEL4-GUEST: blk end blocks=1792 read-bytes=0 write=refused"
done
check "io_two_vms: partition 0 of the image holds vm-a's pattern" \
    eq "$(host_head "$img" 0 13)" "PATTERN-vm-a-"
check "io_two_vms: partition 1 of the image holds vm-b's pattern" \
    eq "$(host_head "$img" 1 13)" "PATTERN-vm-b-"
check "io_two_vms: no VMM errors" bash -c "! tr -d '\r' <'$log' | grep -q '^stdvmm\[[^]]*\]: error:'"

echo "sel4 blk: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
