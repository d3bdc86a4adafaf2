# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# The benchmark inside the emulated AArch64 machine (/test.sh, sourced by
# tests/e2e/outer/init with /lib/e2e.sh). For each repetition, in this
# order, so the two VMMs alternate (A B A B) under the same load:
#   start  each VMM is started on the full guest configuration and killed
#          at its first KVM_RUN (QEMU reports it through its trace log)
#   init   the bench guest booted to its /init marker only, then stopped
#          (stdvmm with SIGTERM, so it logs its exits to user space):
#          stdvmm, kvmtool (only when /bin/lkvm is there: BENCH_KVMTOOL of
#          bench/run.sh) and QEMU, each on the same settings, their order
#          rotating from one repetition to the next
#   boot   the bench guest (bench/guest/init): boot to /init, virtio-blk,
#          virtio-net, footprint
#   exit   the exit-loop guest under rawkvm, stdvmm and QEMU
#   exitx  (only when asked for: bench.kinds=exitx) where an exit's time
#          goes: the exit-loop guest under rawkvm, rawkvm --vgic, stdvmm,
#          stdvmm --no-seccomp and stdvmm --log-level debug (which logs the
#          vCPU thread's time in KVM_RUN and in handling exits)
# When /bin/stdvmm-b is there (BENCH_STDVMM_B of bench/run.sh: another
# stdvmm build for an A/B comparison), it runs as vmm "stdvmm-b" with the
# very same options right beside stdvmm in start, init, boot and exit, the
# two swapping places from one repetition to the next.
# Every measurement is a line "BENCH vmm=... rep=... kind=... key=value".
# Settings from the kernel command line: bench.reps= bench.seq= bench.rand=
# bench.net= bench.disk= (MiB), bench.vmms= (comma list; only these VMMs run),
# bench.diskfs= (ext2: the disk image on ext2 on a loop device, else tmpfs).
reps=$(e2e_arg bench.reps)
seq_mib=$(e2e_arg bench.seq)
rand_s=$(e2e_arg bench.rand)
net_s=$(e2e_arg bench.net)
disk_mib=$(e2e_arg bench.disk)
kinds=$(e2e_arg bench.kinds)
vmms=$(e2e_arg bench.vmms)
mem=256
guest_cmdline="console=ttyAMA0 quiet panic=-1 rdinit=/init bench.seq=$seq_mib bench.rand=$rand_s bench.net=$net_s"
# kvmtool's console is an 8250 UART (ttyS0); the rest of the line is the same.
kvmtool_cmdline="console=ttyS0 ${guest_cmdline#console=ttyAMA0 }"

for m in $(cat /lib/modules/bench/order); do
    insmod "/lib/modules/bench/$m.ko" || echo "BENCH-ERROR outer: insmod $m"
done
benchtool mktap tap0 || echo "BENCH-ERROR outer: no tap0"
ip addr add 10.0.2.1/24 dev tap0
ip link set tap0 up
benchtool tcp-serve 5001 5002 &
serve_pid=$!
# bench.diskfs=ext2: the disk image on an ext2 file system (the ext4
# driver) on a loop device, instead of on tmpfs, which on this 6.1 kernel
# has no RWF_NOWAIT (stdvmm's page-cache read path, bench/README.md).
disk=/tmp/disk.img
if [ "$(e2e_arg bench.diskfs)" = ext2 ]; then
    dd if=/dev/zero of=/tmp/fs.img bs=1M count=$((disk_mib + 64)) 2>/dev/null
    mkdir -p /mnt/disk
    if losetup /dev/loop0 /tmp/fs.img && mke2fs -q /dev/loop0 &&
        mount -t ext4 /dev/loop0 /mnt/disk; then
        disk=/mnt/disk/disk.img
        echo "BENCH-NOTE disk image on ext2 (loop device)"
    else
        echo "BENCH-ERROR outer: no ext2 file system for bench.diskfs=ext2"
    fi
fi
dd if=/dev/zero of="$disk" bs=1M count="$disk_mib" 2>/dev/null

echo "BENCH-NOTE versions: outer $(uname -r), $(nproc) cpus; $(stdvmm --version 2>&1 | head -n1);" \
    "$(qemu-system-aarch64 --version 2>&1 | head -n1)"
echo "BENCH-NOTE transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>&1)"
# An older stdvmm-b may predate --boot-timer (its boot timer was always on).
boot_timer_opt_b=--boot-timer
if [ -x /bin/stdvmm-b ]; then
    echo "BENCH-NOTE stdvmm-b: $(stdvmm-b --version 2>&1 | head -n1)"
    stdvmm-b run --boot-timer 2>&1 | grep -q "unknown option '--boot-timer'" && boot_timer_opt_b=
fi
[ -x /bin/lkvm ] && echo "BENCH-NOTE kvmtool: $(HOME=/tmp lkvm version 2>&1 | head -n1)"

# stdvmm_cmd [BINARY]: stdvmm (or the A/B build stdvmm-b) on the bench guest.
stdvmm_cmd() {
    bt=--boot-timer
    [ "${1:-stdvmm}" = stdvmm-b ] && bt=$boot_timer_opt_b
    echo "${1:-stdvmm}" run --kernel /guest/Image --initrd /guest/initrd.gz --mem ${mem}M \
        --log-level info --disk $disk --net tap=tap0 $bt
}

qemu_cmd() {
    echo qemu-system-aarch64 -enable-kvm -machine virt,gic-version=3 -cpu host -smp 1 \
        -m $mem -nographic -nodefaults -serial stdio -kernel /guest/Image \
        -initrd /guest/initrd.gz \
        -drive file=$disk,format=raw,if=none,id=d0 -device virtio-blk-device,drive=d0 \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-device,netdev=n0
}

# kvmtool as the bench's optional second peer: same vCPUs, RAM, kernel,
# initrd, disk and tap, virtio-mmio like the others, its 8250 console on
# the pipe, the command line exactly as given (--nodefaults).
kvmtool_cmd() {
    echo lkvm run -k /guest/Image -i /guest/initrd.gz -m $mem -c 1 --console serial \
        --nodefaults --virtio-transport mmio -d $disk -n mode=tap,tapif=tap0
}

# run VMM KIND REP: one measured launch.
run() {
    vmm=$1 kind=$2 rep=$3 tag="vmm=$1 rep=$3 kind=$2" log=/tmp/$1-$2-$3.log
    case ",${kinds:-start,init,boot,exit}," in *",$kind,"*) ;; *) return 0 ;; esac
    [ -n "$vmms" ] && case ",$vmms," in *",$vmm,"*) ;; *) return 0 ;; esac
    bin=stdvmm
    if [ "$vmm" = stdvmm-b ]; then
        [ -x /bin/stdvmm-b ] || return 0
        bin=stdvmm-b
    fi
    # stdvmm-b runs exactly as stdvmm does.
    case "${vmm%-b}:$kind" in
    stdvmm:start)
        # shellcheck disable=SC2046
        benchtool launch --tag "$tag" --log "$log" --timeout 60 \
            --stop-on "first KVM_RUN" -- $(stdvmm_cmd $bin) --cmdline "$guest_cmdline" ;;
    qemu:start)
        # shellcheck disable=SC2046
        benchtool launch --tag "$tag" --log "$log" --timeout 60 --stop-on "type 0xae80" \
            -- $(qemu_cmd) -append "$guest_cmdline" -trace kvm_vcpu_ioctl -msg timestamp=on ;;
    stdvmm:init)
        # shellcheck disable=SC2046
        benchtool launch --tag "$tag" --log "$log" --timeout 300 \
            --init-marker BENCH-INIT-REACHED --stop-on BENCH-INIT-REACHED --stdin idle \
            --stop-signal TERM \
            -- $(stdvmm_cmd $bin) --cmdline "$guest_cmdline" ;;
    kvmtool:init)
        [ -x /bin/lkvm ] || return 0
        # shellcheck disable=SC2046
        HOME=/tmp benchtool launch --tag "$tag" --log "$log" --timeout 300 \
            --init-marker BENCH-INIT-REACHED --stop-on BENCH-INIT-REACHED --stdin idle \
            -- $(kvmtool_cmd) -p "$kvmtool_cmdline" ;;
    qemu:init)
        # shellcheck disable=SC2046
        benchtool launch --tag "$tag" --log "$log" --timeout 300 \
            --init-marker BENCH-INIT-REACHED --stop-on BENCH-INIT-REACHED --stdin idle \
            -- $(qemu_cmd) -append "$guest_cmdline" ;;
    stdvmm:boot)
        # shellcheck disable=SC2046
        benchtool launch --tag "$tag" --log "$log" --timeout 600 \
            --init-marker BENCH-INIT-REACHED --footprint-marker BENCH-FOOTPRINT \
            -- $(stdvmm_cmd $bin) --cmdline "$guest_cmdline benchtimer=0x09100000" ;;
    qemu:boot)
        # shellcheck disable=SC2046
        benchtool launch --tag "$tag" --log "$log" --timeout 600 \
            --init-marker BENCH-INIT-REACHED --footprint-marker BENCH-FOOTPRINT \
            -- $(qemu_cmd) -append "$guest_cmdline" ;;
    rawkvm:exit)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 -- rawkvm /bench/exitloop.Image ;;
    stdvmm:exit)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 \
            -- $bin run --kernel /bench/exitloop.Image --mem 64M ;;
    rawkvm:exitx)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 -- rawkvm /bench/exitloop.Image ;;
    rawkvm-vgic:exitx)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 \
            -- rawkvm --vgic /bench/exitloop.Image ;;
    stdvmm:exitx)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 \
            -- stdvmm run --kernel /bench/exitloop.Image --mem 64M ;;
    stdvmm-noseccomp:exitx)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 \
            -- stdvmm run --kernel /bench/exitloop.Image --mem 64M --no-seccomp ;;
    stdvmm-debug:exitx)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 \
            -- stdvmm run --kernel /bench/exitloop.Image --mem 64M --log-level debug ;;
    qemu:exit)
        benchtool launch --tag "$tag" --log "$log" --timeout 120 \
            -- qemu-system-aarch64 -enable-kvm -machine virt,gic-version=3 -cpu host -smp 1 \
            -m 64 -nographic -nodefaults -serial stdio -kernel /bench/exitloop.Image ;;
    esac
    grep -q "BENCH-ERROR" "$log" && grep "BENCH-ERROR" "$log" | sed "s/^/BENCH-NOTE $tag /"
    if [ "$kind" != start ] && [ "${BENCH_SHOW_LOGS:-1}" = 1 ]; then
        tail -n 30 "$log" | sed "s/^/  $vmm-$kind-$rep| /"
    fi
}

r=1
while [ "$r" -le "$reps" ]; do
    echo "OUTER: repetition $r of $reps"
    # With an A/B build (stdvmm-b) the two swap places every repetition.
    ab="stdvmm stdvmm-b"
    [ $((r % 2)) = 0 ] && ab="stdvmm-b stdvmm"
    for v in $ab; do run "$v" start $r; done
    run qemu start $r
    # The init launches rotate (stdvmm kvmtool qemu, kvmtool qemu stdvmm,
    # ...) so no VMM always runs first or after the same one.
    case $(((r - 1) % 3)) in
    0) order="stdvmm kvmtool qemu" ;;
    1) order="kvmtool qemu stdvmm" ;;
    *) order="qemu stdvmm kvmtool" ;;
    esac
    for v in $order; do
        [ "$v" = stdvmm ] && v=$ab
        for w in $v; do run "$w" init $r; done
    done
    for v in $ab; do run "$v" boot $r; done
    run qemu boot $r
    run rawkvm exit $r
    for v in $ab; do run "$v" exit $r; done
    run qemu exit $r
    for v in rawkvm rawkvm-vgic stdvmm stdvmm-noseccomp stdvmm-debug; do
        run $v exitx $r
    done
    r=$((r + 1))
done
kill "$serve_pid" 2>/dev/null
echo "BENCH-END"
