#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# stdvmm's end-to-end suite (`make e2e`; scripts/check.sh runs it too).
#   1. On this host, under qemu-aarch64-static: --help, --version and the
#      generated device tree (--dump-dtb, decompiled with dtc).
#   2. In one boot of the emulated AArch64 machine (qemu-system-aarch64,
#      TCG, EL2, so the outer Linux has /dev/kvm): real Linux guests under
#      stdvmm (tests/e2e/outer/foundation.sh, guest side tests/e2e/guest/init).
#   3. Harness self-check: the same guest initramfs booted directly by QEMU,
#      so a guest failure under stdvmm can be told from a broken initramfs.
#   4. A second boot of the emulated machine for the virtio devices
#      (tests/e2e/outer/devices.sh): blk, net, rng, vsock, all at once. Its
#      disk is a file here, checked afterwards with e2fsck and debugfs.
# Prints PASS/FAIL per check and ends with `N passed, N failed`; exits
# non-zero if anything failed. Environment:
#   E2E_OUT=dir      scratch and logs (default build/e2e)
#   E2E_TIMEOUT=s    hard limit for one emulated machine (default 420;
#                    the device boot gets E2E_DEV_TIMEOUT, default 540)
#   STDVMM=path      the arm64 binary (default build/aarch64/stdvmm)
#   E2E_VERBOSE=1    also print the whole console log of the machine
#   E2E_ONLY=foundation|devices|vhost|api   boot only one of the machines
#   E2E_VHOST_ONLY=vblk,vkill,vfs  only these vhost-user checks
#   E2E_DEV_ONLY=blk,net,...      only these device checks (the others fail)
#   E2E_SKIP_HARNESS=1            skip the harness self-check (step 3)
# Logs stay in E2E_OUT: foundation.log (outer+guests), harness-guest.log,
# devices.log (device guests), blk.img (the device guests' disk).
set -u
source "$(dirname "$0")/lib.sh"
cd "$E2E_REPO" || exit 1
start=$SECONDS
mkdir -p "$E2E_OUT"
outer_secs=${E2E_TIMEOUT:-420}
# Two runs in one tree would overwrite each other's images and logs (and
# share 2 cores): the second waits.
exec 9>"$E2E_OUT/.lock"
if ! flock -n 9; then
    e2e_log "another e2e run is using $E2E_OUT; waiting (up to 15 min)"
    flock -w 900 9 || { e2e_log "gave up waiting"; echo "0 passed, 1 failed"; exit 1; }
fi

finish() {
    echo "e2e: $((SECONDS - start)) s, logs in $E2E_OUT"
    echo "$E2E_PASSED passed, $E2E_FAILED failed"
    [ "$E2E_FAILED" -eq 0 ]
    exit
}

if ! e2e_require; then
    e2e_result "e2e-dependencies" 1 "see above"
    finish
fi
if [ ! -x "$E2E_STDVMM" ] && [ -z "${STDVMM:-}" ]; then
    e2e_log "building stdvmm"
    nice make -s -j2 stdvmm >"$E2E_OUT/make.log" 2>&1 || tail -n 20 "$E2E_OUT/make.log"
fi

# ------------------------------------------------------------ 1. user mode
# Checks the decompiled DTB (dts, with "a\0b" string lists split into
# "a", "b") for the nodes a Linux guest needs and the values asked for.
dtb_nodes_ok() {
    local dts=$1 cpus=$2 memsize=$3 why=()
    dtb_has() { grep -q -e "$1" "$dts"; }
    dtb_has '^\s*cpus {' || why+=("no /cpus")
    [ "$(grep -c '^\s*cpu@[0-9a-f]* {' "$dts")" -eq "$cpus" ] || why+=("not $cpus cpu@ nodes")
    grep -A3 '^\s*memory@' "$dts" | grep -q "reg = <.* $memsize>" ||
        why+=("no memory@ node of size $memsize")
    dtb_has 'compatible = .*"arm,gic-v3"' || why+=("no arm,gic-v3")
    dtb_has 'compatible = .*"arm,psci-' || why+=("no arm,psci")
    dtb_has '^\s*chosen {' || why+=("no /chosen")
    dtb_has 'bootargs = "e2e-dtb-check"' || why+=("chosen/bootargs is not the --cmdline")
    dtb_has 'compatible = .*"arm,pl011"' || why+=("no arm,pl011")
    dtb_has 'compatible = .*"arm,armv8-timer"' || why+=("no arm,armv8-timer")
    [ ${#why[@]} -eq 0 ] && return 0
    echo "${why[*]}"
    return 1
}

# cli_help_ok WHAT OUTPUT STRING...: every STRING is in OUTPUT.
cli_help_ok() {
    local out=$1 s
    shift
    for s in "$@"; do
        grep -q -e "$s" <<<"$out" || { echo "no '$s' in it"; return 1; }
    done
}

user_mode_checks() {
    local q
    q=$(command -v qemu-aarch64-static || command -v qemu-aarch64) || {
        e2e_result cli-user-mode 1 "qemu-aarch64-static missing (scripts/deps.sh e2e)"
        return
    }
    if [ ! -x "$E2E_STDVMM" ]; then
        e2e_result cli-help 1 "$E2E_STDVMM not built"
        e2e_result cli-version 1 "$E2E_STDVMM not built"
        e2e_result cli-dump-dtb 1 "$E2E_STDVMM not built"
        return
    fi
    local out rc why
    out=$(timeout 30 "$q" "$E2E_STDVMM" --help 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || ! why=$(cli_help_ok "$out" "stdvmm run" --kernel --version); then
        e2e_result cli-help 1 "stdvmm --help: status $rc, ${why:-}"
    else
        out=$(timeout 30 "$q" "$E2E_STDVMM" run --help 2>&1)
        rc=$?
        if [ $rc -ne 0 ] || ! why=$(cli_help_ok "$out" --kernel --initrd --cmdline --cpus \
            --mem --console --dump-dtb "--disk PATH" "--net tap=NAME" --rng "--vsock cid=N" \
            --no-reboot --boot-timer \
            "Example: --disk" "Example: --net" "Example: --rng" "Example: --vsock"); then
            e2e_result cli-help 1 "stdvmm run --help: status $rc, ${why:-}"
        else
            e2e_result cli-help 0
        fi
    fi
    out=$(timeout 30 "$q" "$E2E_STDVMM" --version 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -qF "$(cat VERSION)" <<<"$out"; then
        e2e_result cli-version 0
    else
        e2e_result cli-version 1 "status $rc, want $(cat VERSION), got: $(head -c 200 <<<"$out")"
    fi
    local dtb=$E2E_OUT/dump.dtb dts=$E2E_OUT/dump.dts
    rm -f "$dtb" "$dts"
    out=$(timeout 30 "$q" "$E2E_STDVMM" run --kernel "$E2E_KERNEL" --cpus 3 --mem 256M \
        --cmdline e2e-dtb-check --dump-dtb "$dtb" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || [ ! -s "$dtb" ]; then
        e2e_result cli-dump-dtb 1 "status $rc, no DTB: $(head -c 200 <<<"$out")"
    elif ! dtc -q -I dtb -O dts -o "$dts" "$dtb" 2>"$E2E_OUT/dtc.err"; then
        e2e_result cli-dump-dtb 1 "dtc rejects it: $(head -c 200 "$E2E_OUT/dtc.err")"
    elif ! sed -i 's/\\0/", "/g' "$dts" || ! why=$(dtb_nodes_ok "$dts" 3 0x10000000); then
        e2e_result cli-dump-dtb 1 "$why (see $dts)"
    else
        e2e_result cli-dump-dtb 0
    fi
    # Every device gets its own virtio-mmio window and SPI; with --dump-dtb no
    # tap or socket is created on this host.
    truncate -s 1M "$E2E_OUT/dtb-disk.img"
    rm -f "$dtb" "$dts"
    out=$(timeout 30 "$q" "$E2E_STDVMM" run --kernel "$E2E_KERNEL" --console virtio \
        --disk "$E2E_OUT/dtb-disk.img,ro" --net tap=e2edtb0 --rng \
        --vsock "cid=3,uds=$E2E_OUT/dtb.sock" --dump-dtb "$dtb" 2>&1)
    rc=$?
    local nodes irqs
    if [ $rc -eq 0 ] && dtc -q -I dtb -O dts -o "$dts" "$dtb" 2>/dev/null; then
        nodes=$(grep -c '^\s*virtio_mmio@a000[02468]00 {' "$dts")
        irqs=$(grep -A3 '^\s*virtio_mmio@' "$dts" | grep -o 'interrupts = <0x00 0x1[0-4] ' | sort -u |
            wc -l)
    fi
    if [ "${nodes:-0}" -eq 5 ] && [ "${irqs:-0}" -eq 5 ] && [ ! -e "$E2E_OUT/dtb.sock" ] &&
        ! ip link show e2edtb0 >/dev/null 2>&1; then
        e2e_result cli-dump-dtb-devices 0
    else
        e2e_result cli-dump-dtb-devices 1 "status $rc, ${nodes:-0} virtio_mmio windows and \
${irqs:-0} SPIs (want 5 each), or a tap/socket was created: $(head -c 200 <<<"$out")"
    fi
}

# vhost-user devices in the device tree: a window and an edge-triggered SPI
# each (their backends interrupt through irqfd); --dump-dtb connects to no
# socket.
user_mode_vhost_dtb() {
    local q dtb=$E2E_OUT/vhost.dtb out rc edges
    q=$(command -v qemu-aarch64-static || command -v qemu-aarch64) || return
    rm -f "$dtb"
    out=$(timeout 30 "$q" "$E2E_STDVMM" run --kernel "$E2E_KERNEL" --disk "$E2E_OUT/dtb-disk.img" \
        --vhost-user-blk socket=/nonexistent/vblk.sock --fs tag=share,socket=/nonexistent/fs.sock \
        --dump-dtb "$dtb" 2>&1)
    rc=$?
    edges=$(dtc -q -I dtb -O dts "$dtb" 2>/dev/null | grep -o 'interrupts = <0x00 0x1[0-9a-f] 0x01>' |
        wc -l)
    if [ $rc -eq 0 ] && [ "$edges" -eq 2 ] &&
        dtc -q -I dtb -O dts "$dtb" 2>/dev/null | grep -q 'interrupts = <0x00 0x10 0x04>'; then
        e2e_result cli-dump-dtb-vhost 0
    else
        e2e_result cli-dump-dtb-vhost 1 "status $rc, $edges edge-triggered SPIs (want 2, the disk's level): $(head -c 200 <<<"$out")"
    fi
}

# ------------------------------------------------------------ 2. under KVM
guest_mods="virtio_mmio virtio_console virtio_blk virtio_net virtio_rng vsock
    vmw_vsock_virtio_transport"
guest_initrd=$E2E_OUT/guest.cpio.gz

# The two static helpers of the vsock check (busybox has no AF_VSOCK).
vsock_tools() {
    local p
    for p in guest host; do
        aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wvla -O2 -static \
            -o "$E2E_OUT/vsock-$p" "$E2E_DIR/vsock/vsock_$p.c" "$E2E_DIR/vsock/xfer.c" || return 1
    done
}

kvm_checks() {
    local outer=$E2E_OUT/outer-foundation.cpio log=$E2E_OUT/foundation.log
    if ! e2e_outer_initramfs "$outer" "$E2E_DIR/outer/foundation.sh" \
        "$guest_initrd:/guest/initrd.gz"; then
        e2e_result outer-initramfs 1 "could not build $outer"
        return
    fi
    echo "e2e: booting the emulated machine (limit $outer_secs s, log $log)"
    local t=$SECONDS
    e2e_run_outer "$log" "$outer_secs" "$outer"
    local rc=$?
    echo "e2e: emulated machine: status $rc after $((SECONDS - t)) s"
    [ $rc -eq 124 ] && echo "e2e: TIMEOUT after $outer_secs s"
    e2e_check "$log" outer-kvm boot-serial-cpus1 input-serial poweroff-exit0 boot-cpus4 \
        boot-virtio-console input-virtio err-missing-kernel err-bad-image err-bad-cpus \
        err-bad-mem err-unknown-option err-device-options reboot-keeps-disk-data reboot-exit0 \
        no-reboot-exits
    [ "${E2E_VERBOSE:-0}" = 1 ] && tr -d '\r' <"$log"
}

# ------------------------------------------------------------ 5. control API
api_checks_list=(api-socket-0600 api-info api-pause-stops-guest api-resume-restarts-guest
    api-counters-move api-bad-input-vm-runs api-reboot api-shutdown-button api-shutdown-timeout
    api-stop api-stale-socket api-refuses-existing-file gdb-attach gdb-breakpoint-hit
    gdb-read-variable gdb-single-step gdb-continue-hits-again gdb-hw-breakpoint gdb-interrupt
    gdb-detach-resumes gdb-linux-kernel-memory gdb-linux-breakpoint gdb-linux-runs-after-detach)

# The GDB checks' guest (tests/gdb, `make gdb-guest`), its symbols and the
# scripted remote-protocol client (tests/e2e/gdb/rsp_client.c).
gdb_tools() {
    local elf=$E2E_REPO/build/gdb-guest/gdb.elf
    nice make -s -C "$E2E_REPO" gdb-guest >"$E2E_OUT/make-gdb.log" 2>&1 || return 1
    aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
        -Wstrict-prototypes -Wmissing-prototypes -Wvla -O2 -static \
        -o "$E2E_OUT/rsp-client" "$E2E_DIR/gdb/rsp_client.c" || return 1
    aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
        -Wstrict-prototypes -Wmissing-prototypes -Wvla -O2 -static \
        -o "$E2E_OUT/vport-relay" "$E2E_DIR/gdb/vport_relay.c" || return 1
    {
        echo "GDB_TICK=$(aarch64-linux-gnu-nm "$elf" | sed -n 's/^\([0-9a-f]*\) T gdb_tick$/\1/p')"
        echo "GDB_COUNTER=$(aarch64-linux-gnu-nm "$elf" | sed -n 's/^\([0-9a-f]*\) B gdb_counter$/\1/p')"
    } >"$E2E_OUT/gdb-syms"
}

# A third boot of the emulated machine: tests/e2e/outer/api.sh drives
# `stdvmm run --api-sock` with `stdvmm ctl` (docs/API.md).
api_checks() {
    local outer=$E2E_OUT/outer-api.cpio log=$E2E_OUT/api.log secs=${E2E_API_TIMEOUT:-720}
    local gdb_files=()
    if gdb_tools; then
        gdb_files=("$E2E_REPO/build/gdb-guest/Image:/guest/gdb-Image" "$E2E_OUT/gdb-syms:/guest/gdb-syms"
            "$E2E_OUT/rsp-client:/bin/rsp-client" "$E2E_OUT/vport-relay:/bin/vport-relay")
    else
        e2e_log "could not build the GDB test guest or client (see $E2E_OUT/make-gdb.log)"
    fi
    if ! E2E_OUTER_MODS="virtio_mmio virtio_console" e2e_outer_initramfs "$outer" \
        "$E2E_DIR/outer/api.sh" "$guest_initrd:/guest/initrd.gz" \
        ${gdb_files[@]+"${gdb_files[@]}"}; then
        e2e_result outer-api-initramfs 1 "could not build $outer"
        return
    fi
    echo "e2e: booting the emulated machine for the API (limit $secs s, log $log)"
    local t=$SECONDS gdbm_pid=
    rm -f "$E2E_OUT/gdb.sock" "$E2E_OUT/gdb-multiarch.log"
    if command -v gdb-multiarch >/dev/null && [ ${#gdb_files[@]} -gt 0 ]; then
        E2E_QEMU_EXTRA=(-device virtio-serial-device
            -chardev "socket,id=gdbc,path=$E2E_OUT/gdb.sock,server=on,wait=off"
            -device virtserialport,chardev=gdbc,name=gdb)
        gdb_multiarch_session "$log" "$secs" &
        gdbm_pid=$!
    fi
    e2e_run_outer "$log" "$secs" "$outer"
    local rc=$?
    E2E_QEMU_EXTRA=()
    echo "e2e: emulated machine (api): status $rc after $((SECONDS - t)) s"
    [ $rc -eq 124 ] && echo "e2e: TIMEOUT after $secs s"
    e2e_check "$log" "${api_checks_list[@]}"
    if [ -n "$gdbm_pid" ]; then
        wait "$gdbm_pid"
        gdb_multiarch_checks "$E2E_OUT/gdb-multiarch.log"
        e2e_check "$log" gdb-multiarch-relay gdb-multiarch-vmm-survives
    else
        echo "SKIP gdb-multiarch-session: no gdb-multiarch on this host (scripts/deps.sh host) \
or no GDB test guest; not counted as a pass"
    fi
    [ "${E2E_VERBOSE:-0}" = 1 ] && tr -d '\r' <"$log"
}

# Debian's gdb-multiarch against the real stub (tests/e2e/outer/api.sh,
# gdb-multiarch section): once the machine says `gdb-multiarch: ready`, a
# batch session through the virtio-serial port's socket: break on gdb_tick,
# continue, print gdb_counter and pc, stepi, continue to the next hit,
# detach. Its output goes to $E2E_OUT/gdb-multiarch.log.
gdb_multiarch_session() {
    local log=$1 secs=$2 out=$E2E_OUT/gdb-multiarch.log n=0
    : >"$out"
    while ! tr -d '\r' <"$log" 2>/dev/null | grep -aq "^OUTER: gdb-multiarch: ready"; do
        if [ $n -ge $((secs * 2)) ] || tr -d '\r' <"$log" 2>/dev/null | grep -aq "^OUTER: done\|^OUTER: gdb-multiarch: n"; then
            echo "HOST: the machine never said gdb-multiarch: ready" >>"$out"
            return 1
        fi
        sleep 0.5
        n=$((n + 1))
    done
    timeout -k 5 150 gdb-multiarch -batch -nx "$E2E_REPO/build/gdb-guest/gdb.elf" \
        -ex 'set pagination off' -ex 'set confirm off' -ex "target remote $E2E_OUT/gdb.sock" \
        -ex 'break gdb_tick' -ex continue -ex 'print gdb_counter' -ex 'print/x $pc' \
        -ex stepi -ex 'print/x $pc' -ex continue -ex 'print gdb_counter' -ex 'print/x $pc' \
        -ex 'info threads' -ex detach </dev/null >>"$out" 2>&1
    echo "HOST: gdb-multiarch exit status $?" >>"$out"
}

# The verdicts on the session's output OUT: the breakpoint hit at gdb_tick,
# the counter read (and one more at the second hit), pc + 4 after stepi,
# two vCPU threads, a clean detach.
gdb_multiarch_checks() {
    local out=$1 tick c1 c2 p1 p2 p3
    tick=$(aarch64-linux-gnu-nm "$E2E_REPO/build/gdb-guest/gdb.elf" |
        sed -n 's/^0*\([0-9a-f]*\) T gdb_tick$/\1/p')
    echo "e2e: gdb-multiarch session ($out):"
    sed 's/^/    /' "$out"
    c1=$(sed -n 's/^\$1 = \([0-9]*\)$/\1/p' "$out")
    p1=$(sed -n 's/^\$2 = 0x\([0-9a-f]*\)$/\1/p' "$out")
    p2=$(sed -n 's/^\$3 = 0x\([0-9a-f]*\)$/\1/p' "$out")
    c2=$(sed -n 's/^\$4 = \([0-9]*\)$/\1/p' "$out")
    p3=$(sed -n 's/^\$5 = 0x\([0-9a-f]*\)$/\1/p' "$out")
    if grep -q "HOST: gdb-multiarch exit status 0" "$out" &&
        [ "$(grep -c "Breakpoint 1, .*gdb_tick" "$out")" -eq 2 ] && [ -n "$tick" ] &&
        [ "$p1" = "$tick" ] && [ "$p3" = "$tick" ]; then
        e2e_result gdb-multiarch-breakpoint 0
    else
        e2e_result gdb-multiarch-breakpoint 1 "want two hits of Breakpoint 1 at gdb_tick \
(0x$tick), pc 0x$p1 and 0x$p3"
    fi
    if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -eq $((c1 + 1)) ]; then
        e2e_result gdb-multiarch-variable 0
    else
        e2e_result gdb-multiarch-variable 1 "gdb_counter $c1 at the first hit, $c2 at the second \
(want one more)"
    fi
    if [ -n "$p1" ] && [ -n "$p2" ] && [ $((0x$p2)) -eq $((0x$p1 + 4)) ]; then
        e2e_result gdb-multiarch-stepi 0
    else
        e2e_result gdb-multiarch-stepi 1 "pc 0x$p1 before stepi, 0x$p2 after (want + 4)"
    fi
    if grep -q "Thread 2" "$out" && grep -q "Detaching from program\|detached" "$out"; then
        e2e_result gdb-multiarch-threads-detach 0
    else
        e2e_result gdb-multiarch-threads-detach 1 "no Thread 2 in info threads or no detach"
    fi
}

# ------------------------------------------------------------ 4. devices
dev_checks=(blk-mkfs-write blk-flush-survives-kill blk-files-persist blk-read-only net-ping
    net-host-to-guest net-guest-to-host net-tx-counted rng-hwrng vsock-guest-to-host
    vsock-host-to-guest all-devices)

# blk_host_checks LOG IMG: the disk the guests wrote, checked with this
# host's e2fsprogs: a clean file system, and each file with the sha256 the
# guest printed when it wrote it.
blk_host_checks() {
    local log=$1 img=$2 out rc name want got bad=""
    if ! command -v e2fsck >/dev/null || ! command -v debugfs >/dev/null; then
        e2e_result blk-host-e2fsck 1 "e2fsck/debugfs missing (scripts/deps.sh e2e)"
        e2e_result blk-host-files 1 "e2fsck/debugfs missing"
        return
    fi
    out=$(e2fsck -fn "$img" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        e2e_result blk-host-e2fsck 0
    else
        e2e_result blk-host-e2fsck 1 "e2fsck -fn: status $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    fi
    local sums
    sums=$(tr -d '\r\000' <"$log" | grep -a "blk-write| GUEST: blk-file " | sed 's/.*blk-file //')
    [ -n "$sums" ] || bad="no file sums from the guest in $log"
    while read -r name want; do
        [ -n "$name" ] || continue
        got=$(debugfs -R "cat /$name" "$img" 2>/dev/null | sha256sum | cut -d' ' -f1)
        [ "$got" = "$want" ] || bad="$bad /$name: sha256 $got, guest wrote $want;"
    done <<<"$sums"
    if [ -z "$bad" ]; then
        e2e_result blk-host-files 0
    else
        e2e_result blk-host-files 1 "$bad"
    fi
}

device_checks() {
    local outer=$E2E_OUT/outer-devices.cpio log=$E2E_OUT/devices.log img=$E2E_OUT/blk.img
    local secs=${E2E_DEV_TIMEOUT:-540}
    rm -f "$img"
    truncate -s 32M "$img"
    if ! E2E_OUTER_MODS="virtio_mmio virtio_blk tun" e2e_outer_initramfs "$outer" \
        "$E2E_DIR/outer/devices.sh" "$guest_initrd:/guest/initrd.gz" \
        "$E2E_OUT/vsock-host:/bin/vsock-host"; then
        e2e_result outer-devices-initramfs 1 "could not build $outer"
        return
    fi
    echo "e2e: booting the emulated machine for the devices (limit $secs s, log $log)"
    local t=$SECONDS
    # shellcheck disable=SC2054 # commas are QEMU option syntax
    E2E_QEMU_EXTRA=(-drive "file=$img,format=raw,if=none,id=blk0,cache=writeback"
        -device virtio-blk-device,drive=blk0)
    e2e_run_outer "$log" "$secs" "$outer" "${E2E_DEV_ONLY:+e2e.only=$E2E_DEV_ONLY}"
    local rc=$?
    E2E_QEMU_EXTRA=()
    echo "e2e: emulated machine (devices): status $rc after $((SECONDS - t)) s"
    [ $rc -eq 124 ] && echo "e2e: TIMEOUT after $secs s"
    tr -d '\r\000' <"$log" | grep -a "OUTER: timings" || true
    e2e_check "$log" "${dev_checks[@]}"
    [ "${E2E_VERBOSE:-0}" = 1 ] && tr -d '\r' <"$log"
    blk_host_checks "$log" "$img"
}

# ------------------------------------------------------------ 5. vhost-user
vhost_checks=(vhost-blk-mkfs-write vhost-blk-checksums vhost-blk-raw-host vhost-blk-no-trapped-kicks
    vhost-kill-needs-reset vhost-kill-other-disk vhost-kill-vm-up vhost-fs-host-to-guest
    vhost-fs-guest-to-host vhost-fs-rename-delete)

# A third boot of the emulated machine: Debian's arm64 qemu-storage-daemon
# and virtiofsd as stdvmm's vhost-user backends (tests/e2e/outer/vhost.sh).
vhost_device_checks() {
    local outer=$E2E_OUT/outer-vhost.cpio log=$E2E_OUT/vhost.log
    local initrd=$E2E_OUT/guest-vhost.cpio.gz secs=${E2E_VHOST_TIMEOUT:-600} files
    if ! e2e_guest_initramfs "$initrd" "$E2E_DIR/guest/vhost-init" \
        "virtio_mmio virtio_blk virtiofs"; then
        e2e_result vhost-guest-initramfs 1 "could not build $initrd"
        return
    fi
    if ! files=$(e2e_arm64_program_files \
        "$E2E_ARM64/usr/bin/qemu-storage-daemon:/usr/bin/qemu-storage-daemon" \
        "$E2E_ARM64/usr/lib/qemu/virtiofsd:/usr/lib/qemu/virtiofsd"); then
        e2e_result vhost-backends 1 "qemu-storage-daemon/virtiofsd or a library missing (scripts/deps.sh vhost)"
        return
    fi
    local -a pairs
    mapfile -t pairs <<<"$files"
    if ! E2E_OUTER_MODS="" e2e_outer_initramfs "$outer" "$E2E_DIR/outer/vhost.sh" \
        "$initrd:/guest/vhost-initrd.gz" "${pairs[@]}"; then
        e2e_result outer-vhost-initramfs 1 "could not build $outer"
        return
    fi
    echo "e2e: booting the emulated machine for vhost-user (limit $secs s, log $log)"
    local t=$SECONDS
    e2e_run_outer "$log" "$secs" "$outer" "${E2E_VHOST_ONLY:+e2e.only=$E2E_VHOST_ONLY}"
    local rc=$?
    echo "e2e: emulated machine (vhost-user): status $rc after $((SECONDS - t)) s"
    [ $rc -eq 124 ] && echo "e2e: TIMEOUT after $secs s"
    e2e_check "$log" "${vhost_checks[@]}"
    [ "${E2E_VERBOSE:-0}" = 1 ] && tr -d '\r' <"$log"
}

# ------------------------------------------------------------ 3. self-check
# The guest initramfs on QEMU's own virtio-mmio console, with a line typed
# once the guest is ready.
harness_check() {
    local log=$E2E_OUT/harness-guest.log fifo=$E2E_OUT/harness.in n=0 pid
    rm -f "$fifo"
    mkfifo "$fifo"
    timeout -k 5 120 "$E2E_QEMU" -machine virt,virtualization=on,gic-version=3 \
        -cpu max,pauth-impdef=on -smp 2 -m 512M -nic none -no-reboot -display none \
        -chardev stdio,id=con,mux=on -serial chardev:con \
        -device virtio-serial-device -device virtconsole,chardev=con \
        -kernel "$E2E_KERNEL" -initrd "$guest_initrd" \
        -append "console=ttyAMA0 console=hvc0 quiet panic=-1 rdinit=/init e2e.test=virtio" \
        <"$fifo" >"$log" 2>&1 &
    pid=$!
    exec 3>"$fifo"
    while ! grep -q "GUEST: ready-for-input" "$log" && [ $n -lt 1200 ]; do
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    # In a subshell: if QEMU is gone, SIGPIPE ends that, not this script.
    (echo "hello-harness" >&3) 2>/dev/null
    wait $pid
    exec 3>&-
    rm -f "$fifo"
    if tr -d '\r' <"$log" | grep -q "GUEST: got input: hello-harness"; then
        e2e_result harness-guest-on-qemu 0
    else
        e2e_result harness-guest-on-qemu 1 "guest initramfs broken? see $log"
        tr -d '\r' <"$log" | tail -n 40
    fi
}

user_mode_checks
user_mode_vhost_dtb
if ! vsock_tools; then
    e2e_result vsock-tools 1 "could not build tests/e2e/vsock with aarch64-linux-gnu-gcc"
elif e2e_guest_initramfs "$guest_initrd" "$E2E_DIR/guest/init" "$guest_mods" \
    "$E2E_OUT/vsock-guest:/bin/vsock-guest"; then
    case "${E2E_ONLY:-}:${E2E_SKIP_HARNESS:-0}" in vhost:* | api:* | *:1) ;; *) harness_check ;; esac
    case "${E2E_ONLY:-}" in "" | foundation) kvm_checks ;; esac
    case "${E2E_ONLY:-}" in "" | devices) device_checks ;; esac
    case "${E2E_ONLY:-}" in "" | vhost) vhost_device_checks ;; esac
    case "${E2E_ONLY:-}" in "" | api) api_checks ;; esac
else
    e2e_result guest-initramfs 1 "could not build $guest_initrd"
fi
finish
