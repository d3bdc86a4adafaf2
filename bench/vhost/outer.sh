# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# The vhost-user-blk benchmark inside the emulated AArch64 machine
# (/test.sh of bench/vhost/run.sh). Per repetition, in an order that
# rotates, the same guest (bench/vhost/guest-init) measures /dev/vda under:
#   stdvmm        stdvmm's own virtio-blk on /tmp/disk.img (--disk)
#   stdvmm-vhost  stdvmm's vhost-user frontend (--vhost-user-blk) and
#                 qemu-storage-daemon exporting /tmp/vdisk.img
#   qemu-vhost    Debian's qemu-system-aarch64 with -device vhost-user-blk
#                 (virtio-mmio version 2: libvhost-user refuses legacy
#                 devices, QEMU's default on virt; memfd guest RAM) and the
#                 same daemon
# Both images are tmpfs files of bench.disk= MiB. Every measurement is a
# line "BENCH vmm=... rep=... kind=vblk key=value" (benchtool launch).
# bench.vmms= (a comma list) runs only those.
reps=$(e2e_arg bench.reps)
vmms=$(e2e_arg bench.vmms)
disk_mib=$(e2e_arg bench.disk)
mem=256
cmdline="console=ttyAMA0 quiet panic=-1 rdinit=/init bench.seq=$(e2e_arg bench.seq) bench.rand=$(e2e_arg bench.rand)"
K=/guest/Image
I=/guest/vblk-initrd.gz
QSD=/usr/bin/qemu-storage-daemon
SOCK=/tmp/vb.sock

# Guest RAM is a memfd (shmem) for both vhost-user frontends: let
# MADV_HUGEPAGE give it huge pages, as anonymous RAM gets them (the
# kernel's default for shmem is never).
echo advise >/sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null
echo "BENCH-NOTE shmem huge pages: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>&1)"
dd if=/dev/zero of=/tmp/disk.img bs=1M count="$disk_mib" 2>/dev/null
dd if=/dev/zero of=/tmp/vdisk.img bs=1M count="$disk_mib" 2>/dev/null
echo "BENCH-NOTE versions: $(stdvmm --version 2>&1 | head -n1); $(qemu-system-aarch64 --version 2>&1 | head -n1); $($QSD --version 2>&1 | head -n1)"

qsd_start() {
    rm -f $SOCK
    $QSD --blockdev driver=file,node-name=f0,filename=/tmp/vdisk.img \
        --export type=vhost-user-blk,id=e0,node-name=f0,addr.type=unix,addr.path=$SOCK,writable=on \
        >/tmp/qsd.log 2>&1 &
    qsd_pid=$!
    n=0
    while [ ! -S $SOCK ] && [ $n -lt 300 ]; do
        sleep 0.1
        n=$((n + 1))
    done
}

qsd_stop() {
    kill "$qsd_pid" 2>/dev/null
    wait "$qsd_pid" 2>/dev/null
    sed 's/^/  qemu-storage-daemon| /' /tmp/qsd.log
}

run() {
    vmm=$1 rep=$2 tag="vmm=$1 rep=$2 kind=vblk" log=/tmp/$1-$2.log
    [ -n "$vmms" ] && case ",$vmms," in *",$vmm,"*) ;; *) return 0 ;; esac
    case $vmm in
    stdvmm)
        benchtool launch --tag "$tag" --log "$log" --timeout 600 --init-marker BENCH-INIT-REACHED \
            -- stdvmm run --kernel $K --initrd $I --mem ${mem}M --log-level info \
            --disk /tmp/disk.img --cmdline "$cmdline" ;;
    stdvmm-vhost)
        qsd_start
        benchtool launch --tag "$tag" --log "$log" --timeout 600 --init-marker BENCH-INIT-REACHED \
            -- stdvmm run --kernel $K --initrd $I --mem ${mem}M --log-level info \
            --vhost-user-blk socket=$SOCK --cmdline "$cmdline"
        qsd_stop ;;
    qemu-vhost)
        qsd_start
        benchtool launch --tag "$tag" --log "$log" --timeout 600 --init-marker BENCH-INIT-REACHED \
            -- qemu-system-aarch64 -enable-kvm -machine virt,gic-version=3,memory-backend=mem \
            -cpu host -smp 1 -m $mem -object memory-backend-memfd,id=mem,size=${mem}M,share=on \
            -global virtio-mmio.force-legacy=false \
            -nographic -nodefaults -serial stdio -kernel $K -initrd $I \
            -chardev socket,id=c0,path=$SOCK -device vhost-user-blk,chardev=c0 \
            -append "$cmdline"
        qsd_stop ;;
    esac
    grep "BENCH-ERROR" "$log" | sed "s/^/BENCH-NOTE $tag /"
    tail -n 12 "$log" | sed "s/^/  $vmm-$rep| /"
}

r=1
while [ "$r" -le "$reps" ]; do
    echo "OUTER: repetition $r of $reps"
    case $(((r - 1) % 3)) in
    0) order="stdvmm stdvmm-vhost qemu-vhost" ;;
    1) order="stdvmm-vhost qemu-vhost stdvmm" ;;
    *) order="qemu-vhost stdvmm stdvmm-vhost" ;;
    esac
    for v in $order; do run "$v" "$r"; done
    r=$((r + 1))
done
echo "BENCH-END"
