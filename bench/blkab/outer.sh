# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
#
# Inside the emulated machine (/test.sh of tests/e2e/outer/init): every
# stdvmm build /bin/stdvmm-NAME of ab.builds= boots the blk guest once per
# repetition and image file system of ab.fss= (tmpfs: /tmp; ext2: ext2
# through the ext4 driver on a loop device), the build order rotating by
# one each repetition. Lines: "AB-START b= fs= rep= load=" and the guest's
# results and stdvmm's blk log line prefixed "AB b=NAME fs=FS rep=N| ".
reps=$(e2e_arg ab.reps)
builds=$(e2e_arg ab.builds | tr , ' ')
fss=$(e2e_arg ab.fss | tr , ' ')
cmdline="console=ttyAMA0 quiet panic=-1 rdinit=/init ab.seq=$(e2e_arg ab.seq)"
cmdline="$cmdline ab.rand=$(e2e_arg ab.rand) ab.nrand=$(e2e_arg ab.nrand)"
for m in $(cat /lib/modules/bench/order); do
    insmod "/lib/modules/bench/$m.ko" || echo "AB-ERROR insmod $m"
done
dd if=/dev/zero of=/tmp/disk.img bs=1M count=64 2>/dev/null
case " $fss " in
*" ext2 "*)
    dd if=/dev/zero of=/tmp/fs.img bs=1M count=128 2>/dev/null
    mkdir -p /mnt/disk
    { losetup /dev/loop0 /tmp/fs.img && mke2fs -q /dev/loop0 &&
        mount -t ext4 /dev/loop0 /mnt/disk &&
        dd if=/dev/zero of=/mnt/disk/disk.img bs=1M count=64 2>/dev/null; } ||
        echo "AB-ERROR no ext2 file system"
    ;;
esac
r=1
while [ "$r" -le "$reps" ]; do
    # shellcheck disable=SC2086 # a word list on purpose
    set -- $builds
    k=$(((r - 1) % $#))
    order=
    i=0
    for b in "$@"; do
        [ $i -ge $k ] && order="$order $b"
        i=$((i + 1))
    done
    i=0
    for b in "$@"; do
        [ $i -lt $k ] && order="$order $b"
        i=$((i + 1))
    done
    for fs in $fss; do
        disk=/tmp/disk.img
        [ "$fs" = ext2 ] && disk=/mnt/disk/disk.img
        for b in $order; do
            echo "AB-START b=$b fs=$fs rep=$r load=$(cut -d' ' -f1-3 /proc/loadavg)"
            timeout 300 "stdvmm-$b" run --kernel /guest/Image --initrd /guest/initrd.gz \
                --mem 256M --log-level info --disk "$disk" --cmdline "$cmdline" \
                </dev/null >/tmp/ab.log 2>&1
            grep -E "BENCH-|virtio-blk|rror" /tmp/ab.log | sed "s/^/AB b=$b fs=$fs rep=$r| /"
        done
    done
    r=$((r + 1))
done
echo "AB-END"
