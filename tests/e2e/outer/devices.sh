# SPDX-License-Identifier: BSD-2-Clause
#
# Device checks, run inside the outer machine (sourced by /init), one guest
# boot each; the guest side is tests/e2e/guest/init.
#   blk     the guest's disk is this machine's /dev/vda, which QEMU backs with
#           the host file run.sh checks with e2fsck and debugfs afterwards:
#           boot 1 makes an ext2 with files and flushes raw data to a second
#           disk, then stdvmm is killed; boot 2 (disk read-only) reads both
#           back and must not be able to change a byte.
#   net     tap0 (created by stdvmm) 10.0.2.1/24 here, guest 10.0.2.15:
#           ping, 16 MiB each way over HTTP (busybox httpd/wget), sha256.
#   rng     1 MiB from the guest's /dev/hwrng (virtio_rng).
#   vsock   vsock-host <-> vsock-guest, both directions, 4 MiB each way.
#   all     every device at once in a guest with 2 vCPUs (a fresh disk,
#           4 MiB each way on the net, 1 MiB each way on vsock, 128 KiB
#           of entropy), each side's checks as above.
K=$E2E_GUEST_KERNEL
I=$E2E_GUEST_INITRD
C=$E2E_GUEST_CMDLINE
DEV_CHECKS="blk-mkfs-write blk-flush-survives-kill blk-files-persist blk-read-only net-ping
    net-host-to-guest net-guest-to-host net-tx-counted rng-hwrng vsock-guest-to-host
    vsock-host-to-guest all-devices"

if ! command -v stdvmm >/dev/null; then
    for t in $DEV_CHECKS; do
        e2e_fail "$t" "stdvmm is not built (make stdvmm)"
    done
    return 0
fi

# field LOG PATTERN N: the Nth word of the first line matching PATTERN.
field() {
    tr -d '\r' <"$1" | grep -m1 "$2" | tr -s ' ' | cut -d' ' -f"$3"
}

# ------------------------------------------------------------------ blk
check_blk() {
    local disk=/dev/vda before after w=/tmp/blk-write.log v=/tmp/blk-verify.log
    if [ ! -b $disk ]; then
        for t in blk-mkfs-write blk-flush-survives-kill blk-files-persist blk-read-only; do
            e2e_fail $t "no $disk in the emulated machine (QEMU drive or virtio_blk module)"
        done
        return
    fi
    truncate -s 4M /tmp/flush.img
    e2e_vmm_start blk-write 120 $w run --kernel $K --initrd $I --mem 256M --log-level info \
        --disk $disk --disk /tmp/flush.img --cmdline "$C e2e.test=blk-write"
    if e2e_wait_log $w "GUEST: blk-flushed" 110; then
        echo "OUTER: blk-write: the guest flushed; killing stdvmm (SIGKILL)"
        kill -9 "$(pidof stdvmm)"
    fi
    e2e_vmm_finish blk-write $w
    tr -d '\r' <$w | grep "GUEST: blk-file " | sed 's/.*GUEST: //' >/tmp/blk-sums1
    if [ "$(grep -c -v missing /tmp/blk-sums1)" -eq 3 ] && grep -q "GUEST: blk-flushed" $w &&
        [ "$E2E_RC" -eq 137 ]; then
        e2e_pass blk-mkfs-write
    else
        e2e_fail blk-mkfs-write "no 3 files and a flush from the guest, or not killed (status $E2E_RC)"
    fi

    before=$(sha256sum $disk | cut -d' ' -f1)
    e2e_vmm blk-verify 120 $v run --kernel $K --initrd $I --mem 256M --log-level info \
        --disk $disk,ro --disk /tmp/flush.img --cmdline "$C e2e.test=blk-verify"
    after=$(sha256sum $disk | cut -d' ' -f1)
    tr -d '\r' <$v | grep "GUEST: blk-file " | sed 's/.*GUEST: //' >/tmp/blk-sums2
    if [ -n "$(field $w 'GUEST: blk-raw' 3)" ] &&
        [ "$(field $w 'GUEST: blk-raw' 3)" = "$(field $v 'GUEST: blk-raw' 3)" ]; then
        e2e_pass blk-flush-survives-kill
    else
        e2e_fail blk-flush-survives-kill "raw data on the second disk differs after the kill"
    fi
    if [ -s /tmp/blk-sums1 ] && cmp -s /tmp/blk-sums1 /tmp/blk-sums2; then
        e2e_pass blk-files-persist
    else
        e2e_fail blk-files-persist "files differ on the second boot: $(cat /tmp/blk-sums2 | tr '\n' ' ')"
    fi
    if ! grep -q "GUEST: blk vda: ro=1" $v; then
        e2e_fail blk-read-only "the guest does not see vda as read-only"
    elif ! grep -q "GUEST: blk-ro-write refused" $v ||
        ! grep -q "GUEST: blk-ro-write-forced refused" $v; then
        e2e_fail blk-read-only "a write to the read-only disk succeeded"
    elif [ "$before" != "$after" ]; then
        e2e_fail blk-read-only "the read-only disk changed ($before -> $after)"
    else
        e2e_pass blk-read-only
    fi
}

# ------------------------------------------------------------------ net
# net_host_side LOG: the host's side of a net check once stdvmm runs: tap0
# configured, the guest's file fetched once it is served, then "done".
net_host_side() {
    local log=$1 want got n=0
    while [ ! -e /sys/class/net/tap0 ] && [ $n -lt 300 ]; do
        kill -0 "$E2E_PID" 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    ip addr add 10.0.2.1/24 dev tap0 && ip link set tap0 up ||
        echo "OUTER: net: cannot configure tap0"
    # The whole line: the console may show it in pieces.
    if e2e_wait_log "$log" "GUEST: net-serving [0-9a-f]\{64\}" 200; then
        want=$(field "$log" "GUEST: net-serving" 3)
        got=$(wget -q -O - http://10.0.2.15:8080/g.bin | sha256sum | cut -d' ' -f1)
        echo "OUTER: net: guest file sha256 $got (guest says $want)"
        [ -n "$want" ] && [ "$got" = "$want" ] && echo "OUTER: net-guest-to-host ok"
    fi
    touch /tmp/www/done
}

net_start_host() {
    local mb=$1
    mkdir -p /tmp/www
    rm -f /tmp/www/done
    dd if=/dev/urandom of=/tmp/www/h.bin bs=65536 count=$((mb * 16)) 2>/dev/null
    HSHA=$(sha256sum /tmp/www/h.bin | cut -d' ' -f1)
    # busybox httpd serves on every address, so also on tap0 once it is up.
    [ -n "${HTTPD_UP:-}" ] || httpd -p 8080 -h /tmp/www
    HTTPD_UP=1
}

check_net() {
    local log=/tmp/net.log
    net_start_host 16
    e2e_vmm_start net 200 $log run --kernel $K --initrd $I --mem 256M --log-level info \
        --net tap=tap0 --cmdline "$C e2e.test=net e2e.hsha=$HSHA"
    net_host_side $log >/tmp/net-host.log 2>&1
    e2e_vmm_finish net $log
    cat /tmp/net-host.log
    e2e_expect net-ping $log "GUEST: net-ping ok" "the guest could not ping 10.0.2.1 over tap0"
    e2e_expect net-host-to-guest $log "GUEST: net-host-to-guest ok" \
        "the 16 MiB file from the host did not arrive intact"
    e2e_expect net-guest-to-host /tmp/net-host.log "OUTER: net-guest-to-host ok" \
        "the 16 MiB file from the guest did not arrive intact"
    # Frames that reach a tap before the guest's driver is up are dropped
    # (and counted); once it is, nothing the guest sends may be lost.
    if grep -q "virtio-net0: tx [0-9]* frames (0 dropped" $log; then
        e2e_pass net-tx-counted
    else
        e2e_fail net-tx-counted "no counters, or guest frames dropped: $(grep virtio-net0: $log)"
    fi
}

# ------------------------------------------------------------------ rng
check_rng() {
    local log=/tmp/rng.log n gz
    e2e_vmm rng 120 $log run --kernel $K --initrd $I --mem 256M --rng \
        --cmdline "$C e2e.test=rng"
    n=$(field $log "GUEST: rng-read" 3)
    gz=$(field $log "GUEST: rng-read" 6)
    if ! grep -q "GUEST: rng-current virtio_rng" $log; then
        e2e_fail rng-hwrng "rng_current is not virtio_rng: $(grep rng-current $log)"
    elif [ "$n" != 1048576 ] || [ "${gz:-0}" -lt 1038090 ]; then
        e2e_fail rng-hwrng "read '$n' bytes from /dev/hwrng (want 1048576), gzip to '$gz'"
    else
        e2e_pass rng-hwrng
    fi
}

# ------------------------------------------------------------------ vsock
# vsock_ok NAME GUEST_LOG GUEST_WHO HOST_LOG HOST_WHO: sums match both ways.
vsock_ok() {
    local g h
    g=$(tr -d '\r' <"$2" | grep -m1 "$3:" | sed 's/.*: tx_bytes/tx_bytes/')
    h=$(tr -d '\r' <"$4" | grep -m1 "$5:" | sed 's/.*: tx_bytes/tx_bytes/')
    echo "OUTER: $1: guest $g"
    echo "OUTER: $1: host  $h"
    # guest tx == host rx and guest rx == host tx, both complete and verified
    set -- $g
    local gtx=${1#*=}:${2#*=} grx=${3#*=}:${4#*=} gok=${5#*=}
    set -- $h
    local htx=${1#*=}:${2#*=} hrx=${3#*=}:${4#*=} hok=${5#*=}
    [ -n "$gtx" ] && [ "$gtx" = "$hrx" ] && [ "$grx" = "$htx" ] && [ "$gok" = 1 ] && [ "$hok" = 1 ]
}

vsock_host_start() {
    rm -f /tmp/v.sock /tmp/v.sock_5000
    vsock-host listen /tmp/v.sock_5000 "$1" >/tmp/vsock-host-a.log 2>&1 &
    VSOCK_LISTENER=$!
}

vsock_host_connect() {
    if e2e_wait_log "$1" "GUEST: vsock-listening" 200; then
        vsock-host connect /tmp/v.sock 6000 "$2" >/tmp/vsock-host-b.log 2>&1
    else
        echo "no vsock-listening from the guest" >/tmp/vsock-host-b.log
    fi
}

check_vsock() {
    local log=/tmp/vsock.log
    vsock_host_start 4194304
    e2e_vmm_start vsock 200 $log run --kernel $K --initrd $I --mem 256M --log-level info \
        --vsock cid=3,uds=/tmp/v.sock --cmdline "$C e2e.test=vsock"
    vsock_host_connect $log 4194304
    e2e_vmm_finish vsock $log
    kill "$VSOCK_LISTENER" 2>/dev/null
    wait "$VSOCK_LISTENER" 2>/dev/null
    e2e_show vsock-host /tmp/vsock-host-a.log
    e2e_show vsock-host /tmp/vsock-host-b.log
    if vsock_ok vsock-guest-to-host $log vsock-guest-connect /tmp/vsock-host-a.log \
        vsock-host-accept; then
        e2e_pass vsock-guest-to-host
    else
        e2e_fail vsock-guest-to-host "guest-initiated exchange incomplete or checksums differ"
    fi
    if grep -q "answered OK " /tmp/vsock-host-b.log &&
        vsock_ok vsock-host-to-guest $log vsock-guest-accept /tmp/vsock-host-b.log \
            vsock-host-connect; then
        e2e_pass vsock-host-to-guest
    else
        e2e_fail vsock-host-to-guest "host-initiated exchange incomplete or checksums differ"
    fi
}

# ------------------------------------------------------------------ all
check_all() {
    local log=/tmp/all.log why=""
    truncate -s 16M /tmp/all.img
    net_start_host 4
    vsock_host_start 1048576
    e2e_vmm_start all 300 $log run --kernel $K --initrd $I --cpus 2 --mem 256M \
        --log-level info --disk /tmp/all.img --net tap=tap0 --rng --vsock cid=3,uds=/tmp/v.sock \
        --cmdline "$C e2e.test=all e2e.hsha=$HSHA e2e.mb=4 e2e.rngkb=128"
    net_host_side $log >/tmp/all-net.log 2>&1 &
    vsock_host_connect $log 1048576
    wait $!
    e2e_vmm_finish all $log
    kill "$VSOCK_LISTENER" 2>/dev/null
    cat /tmp/all-net.log
    grep -q "GUEST: all: 2 cpus" $log || why="$why; not 2 CPUs"
    grep -q "GUEST: net-ping ok" $log || why="$why; no ping"
    grep -q "GUEST: net-host-to-guest ok" $log || why="$why; host-to-guest file"
    grep -q "OUTER: net-guest-to-host ok" /tmp/all-net.log || why="$why; guest-to-host file"
    grep -q "GUEST: rng-current virtio_rng" $log || why="$why; rng_current"
    [ "$(field $log 'GUEST: rng-read' 3)" = 131072 ] || why="$why; rng bytes"
    grep -q "GUEST: blk-done" $log || why="$why; blk did not finish"
    tr -d '\r' <$log | grep "GUEST: blk-first " | sed 's/.*blk-first //' >/tmp/all-b1
    tr -d '\r' <$log | grep "GUEST: blk-again " | sed 's/.*blk-again //' >/tmp/all-b2
    { [ "$(grep -c -v missing /tmp/all-b1)" -eq 3 ] && cmp -s /tmp/all-b1 /tmp/all-b2; } ||
        why="$why; files read back differ"
    vsock_ok all-vsock-a $log vsock-guest-connect /tmp/vsock-host-a.log vsock-host-accept ||
        why="$why; vsock guest-to-host"
    vsock_ok all-vsock-b $log vsock-guest-accept /tmp/vsock-host-b.log vsock-host-connect ||
        why="$why; vsock host-to-guest"
    # virtio-blk, -net, -rng, -vsock all negotiated indirect descriptors and event index
    [ "$(grep -c 'GUEST: virtio-features device=0x00\(01\|02\|04\|13\) indirect=1 event_idx=1' $log)" -eq 4 ] ||
        why="$why; not every device negotiated INDIRECT_DESC and EVENT_IDX"
    [ "$E2E_RC" -eq 0 ] || why="$why; exit status $E2E_RC"
    if [ -z "$why" ]; then
        e2e_pass all-devices
    else
        e2e_fail all-devices "${why#; }"
    fi
}

echo "OUTER: modules: $(lsmod 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')"
# e2e.only=a,b (run.sh: E2E_DEV_ONLY) runs only those checks, for debugging.
only=$(e2e_arg e2e.only)
timings=""
for c in blk rng net vsock all; do
    case ",${only:-$c}," in
    *",$c,"*) ;;
    *) continue ;;
    esac
    t=$(date +%s)
    check_$c
    timings="$timings $c $(($(date +%s) - t)) s,"
done
echo "OUTER: timings:${timings%,}"
