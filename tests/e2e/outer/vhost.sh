# SPDX-License-Identifier: BSD-2-Clause
#
# vhost-user checks, run inside the outer machine (sourced by /init); the
# backends are Debian's arm64 qemu-storage-daemon and virtiofsd
# (qemu-system-common, unpacked with their libraries by run.sh), the guest
# side tests/e2e/guest/vhost-init (as /guest/vhost-initrd.gz).
#   vblk     boot 1: mke2fs, files and raw data on a vhost-user-blk disk
#            served by qemu-storage-daemon from /tmp/vblk.img; boot 2 with a
#            new daemon reads the same sha256 sums back; the image's raw
#            region is checked here too
#   vkill    the daemon is killed with SIGKILL while the guest writes: the
#            device shows DEVICE_NEEDS_RESET, stdvmm's own disk still
#            works, the guest powers off and stdvmm exits 0
#   vfs      virtiofsd shares /tmp/share: the guest reads a file made here,
#            creates, renames and deletes; this side checks each
K=$E2E_GUEST_KERNEL
I=/guest/vhost-initrd.gz
C=$E2E_GUEST_CMDLINE
QSD=/usr/bin/qemu-storage-daemon
VFSD=/usr/lib/qemu/virtiofsd
VHOST_CHECKS="vhost-blk-mkfs-write vhost-blk-checksums vhost-blk-raw-host vhost-blk-no-trapped-kicks
    vhost-kill-needs-reset vhost-kill-other-disk vhost-kill-vm-up vhost-fs-host-to-guest
    vhost-fs-guest-to-host vhost-fs-rename-delete"

if ! command -v stdvmm >/dev/null || [ ! -x $QSD ] || [ ! -x $VFSD ]; then
    for t in $VHOST_CHECKS; do
        e2e_fail "$t" "stdvmm or the vhost-user backends are missing (scripts/deps.sh vhost)"
    done
    return 0
fi

field() { tr -d '\r' <"$1" | grep -m1 "$2" | tr -s ' ' | cut -d' ' -f"$3"; }

wait_sock() {
    local n=0
    while [ ! -S "$1" ] && [ $n -lt 300 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    [ -S "$1" ] || echo "OUTER: no socket $1"
}

# qsd_start IMG SOCK: a vhost-user-blk export of IMG; pid in QSD_PID.
qsd_start() {
    rm -f "$2"
    $QSD --blockdev driver=file,node-name=f0,filename="$1" \
        --export type=vhost-user-blk,id=e0,node-name=f0,addr.type=unix,addr.path="$2",writable=on \
        >/tmp/qsd.log 2>&1 &
    QSD_PID=$!
    wait_sock "$2"
}

qsd_stop() {
    kill "$QSD_PID" 2>/dev/null
    wait "$QSD_PID" 2>/dev/null
    e2e_show qsd /tmp/qsd.log
}

check_vblk() {
    local w=/tmp/vblk-write.log v=/tmp/vblk-verify.log raw
    rm -f /tmp/vblk.img
    truncate -s 64M /tmp/vblk.img
    qsd_start /tmp/vblk.img /tmp/vblk.sock
    e2e_vmm vblk-write 180 $w run --kernel $K --initrd $I --mem 256M --log-level info \
        --vhost-user-blk socket=/tmp/vblk.sock --cmdline "$C e2e.test=vblk-write"
    qsd_stop
    tr -d '\r' <$w | grep "GUEST: vblk-file " | sed 's/.*GUEST: //' >/tmp/vsums1
    if [ "$(grep -c -v missing /tmp/vsums1)" -eq 3 ] && grep -q "GUEST: vblk-written" $w &&
        [ "$E2E_RC" -eq 0 ]; then
        e2e_pass vhost-blk-mkfs-write
    else
        e2e_fail vhost-blk-mkfs-write "no 3 files and raw data from the guest (status $E2E_RC)"
    fi
    raw=$(dd if=/tmp/vblk.img bs=65536 skip=512 count=128 2>/dev/null | sha256sum | cut -d' ' -f1)
    if [ -n "$(field $w 'GUEST: vblk-raw' 3)" ] && [ "$raw" = "$(field $w 'GUEST: vblk-raw' 3)" ]; then
        e2e_pass vhost-blk-raw-host
    else
        e2e_fail vhost-blk-raw-host "the image here has $raw where the guest wrote $(field $w 'GUEST: vblk-raw' 3)"
    fi
    qsd_start /tmp/vblk.img /tmp/vblk.sock
    e2e_vmm vblk-verify 180 $v run --kernel $K --initrd $I --mem 256M --log-level info \
        --vhost-user-blk socket=/tmp/vblk.sock --cmdline "$C e2e.test=vblk-verify"
    qsd_stop
    tr -d '\r' <$v | grep "GUEST: vblk-file " | sed 's/.*GUEST: //' >/tmp/vsums2
    if [ -s /tmp/vsums1 ] && cmp -s /tmp/vsums1 /tmp/vsums2 &&
        [ "$(field $v 'GUEST: vblk-raw' 3)" = "$(field $w 'GUEST: vblk-raw' 3)" ]; then
        e2e_pass vhost-blk-checksums
    else
        e2e_fail vhost-blk-checksums "sums differ on the second boot: $(tr '\n' ' ' </tmp/vsums2)"
    fi
    # Kicks go to the daemon through KVM_IOEVENTFD: only DRIVER_OK's
    # catch-up kick may reach stdvmm.
    if grep -q "vhost-user /tmp/vblk.sock: [0-9]* messages, 1 starts, [01] kicks through stdvmm" $w; then
        e2e_pass vhost-blk-no-trapped-kicks
    else
        e2e_fail vhost-blk-no-trapped-kicks "kicks went through stdvmm: $(grep 'kicks through' $w)"
    fi
}

check_vkill() {
    local k=/tmp/vkill.log st
    rm -f /tmp/vkill.img
    truncate -s 64M /tmp/vkill.img
    truncate -s 4M /tmp/other.img
    qsd_start /tmp/vkill.img /tmp/vkill.sock
    e2e_vmm_start vkill 180 $k run --kernel $K --initrd $I --mem 256M --log-level info \
        --vhost-user-blk socket=/tmp/vkill.sock --disk /tmp/other.img --cmdline "$C e2e.test=vblk-kill"
    if e2e_wait_log $k "GUEST: vblk-io-running" 150; then
        echo "OUTER: vkill: killing qemu-storage-daemon (SIGKILL) during the guest's writes"
    else
        # Never wait for a daemon that nobody killed: the stage would hang
        # here with the VMM's log unseen.
        echo "OUTER: vkill: no 'vblk-io-running' from the guest (stdvmm alive: $(kill -0 "$E2E_PID" 2>/dev/null && echo yes || echo no)); killing the daemon anyway"
    fi
    kill -9 "$QSD_PID" 2>/dev/null
    wait "$QSD_PID" 2>/dev/null
    e2e_vmm_finish vkill $k
    st=$(field $k 'GUEST: vblk-status-after' 3)
    if [ -n "$st" ] && [ $((st & 0x40)) -ne 0 ] && grep -q "device needs reset" $k; then
        e2e_pass vhost-kill-needs-reset
    else
        e2e_fail vhost-kill-needs-reset "virtio status '$st' without DEVICE_NEEDS_RESET"
    fi
    e2e_expect vhost-kill-other-disk $k "GUEST: vblk-other-disk-ok" "stdvmm's own disk failed too"
    if [ "$E2E_RC" -eq 0 ] && grep -q "GUEST: poweroff" $k; then
        e2e_pass vhost-kill-vm-up
    else
        e2e_fail vhost-kill-vm-up "the VM did not run on to a clean poweroff (status $E2E_RC)"
    fi
}

check_vfs() {
    local f=/tmp/vfs.log d=/tmp/share want got pid
    rm -rf $d
    mkdir -p $d
    dd if=/dev/urandom of=$d/from-host.bin bs=65536 count=16 2>/dev/null
    echo rename >$d/rename-me.txt
    echo delete >$d/delete-me.txt
    want=$(sha256sum $d/from-host.bin | cut -d' ' -f1)
    rm -f /tmp/vfs.sock
    $VFSD --socket-path=/tmp/vfs.sock -o source=$d -o cache=none -o sandbox=chroot \
        >/tmp/vfsd.log 2>&1 &
    pid=$!
    wait_sock /tmp/vfs.sock
    e2e_vmm vfs 180 $f run --kernel $K --initrd $I --mem 256M --log-level info \
        --fs tag=share,socket=/tmp/vfs.sock --cmdline "$C e2e.test=vfs"
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    e2e_show virtiofsd /tmp/vfsd.log
    if [ "$(field $f 'GUEST: vfs-host-file' 3)" = "$want" ]; then
        e2e_pass vhost-fs-host-to-guest
    else
        e2e_fail vhost-fs-host-to-guest "the guest read $(field $f 'GUEST: vfs-host-file' 3), want $want"
    fi
    got=$(sha256sum $d/from-guest.bin 2>/dev/null | cut -d' ' -f1)
    if [ -n "$got" ] && [ "$got" = "$(field $f 'GUEST: vfs-guest-file' 3)" ]; then
        e2e_pass vhost-fs-guest-to-host
    else
        e2e_fail vhost-fs-guest-to-host "here $got, the guest wrote $(field $f 'GUEST: vfs-guest-file' 3)"
    fi
    if [ -f $d/renamed.txt ] && [ "$(cat $d/renamed.txt)" = rename ] && [ ! -e $d/rename-me.txt ] &&
        [ ! -e $d/delete-me.txt ] && grep -q "GUEST: vfs-unmounted" $f; then
        e2e_pass vhost-fs-rename-delete
    else
        e2e_fail vhost-fs-rename-delete "here: $(ls $d | tr '\n' ' ')"
    fi
}

only=$(e2e_arg e2e.only)
case ",${only:-vblk,vkill,vfs}," in *,vblk,*) check_vblk ;; esac
case ",${only:-vblk,vkill,vfs}," in *,vkill,*) check_vkill ;; esac
case ",${only:-vblk,vkill,vfs}," in *,vfs,*) check_vfs ;; esac
