# SPDX-License-Identifier: BSD-2-Clause
#
# Inside the emulated machine, after outer.sh: a Linux guest writes and
# flushes numbered records to its virtio disk; stdvmm runs confined
# (--chroot, --uid, --gid, seccomp on by default) and is killed with
# SIGKILL in the middle of the write loop. Markers:
#   isolation-confined       while running: uid/gid 65534, root is the jail,
#                            NoNewPrivs 1 and Seccomp 2 on every thread
#   integrity-kill9          every record the guest saw flushed is in the image
#   isolation-chroot-error   a missing --chroot directory: exit 1, one clear line
INTEGRITY_LOG=/tmp/integrity.log
INTEGRITY_IMG=/tmp/integrity.img

integrity_check() {
    local pid n=0 flushed status why="" t
    mkdir -p /tmp/jail
    dd if=/dev/zero of=$INTEGRITY_IMG bs=1M count=8 2>/dev/null
    echo "OUTER: integrity: stdvmm run --chroot /tmp/jail --uid 65534 --gid 65534 --disk $INTEGRITY_IMG ..."
    stdvmm run --kernel $E2E_GUEST_KERNEL --initrd /attack/integrity.cpio.gz --mem 256M \
        --cmdline "$E2E_GUEST_CMDLINE" --disk $INTEGRITY_IMG \
        --chroot /tmp/jail --uid 65534 --gid 65534 </dev/null >$INTEGRITY_LOG 2>&1 &
    pid=$!
    # Wait for a good number of flushed records (the guest boots first).
    while [ $n -lt 900 ]; do
        flushed=$(grep -c "^GUEST: flushed" $INTEGRITY_LOG)
        [ "$flushed" -ge 40 ] && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    # Confinement, read from /proc while it runs.
    if kill -0 $pid 2>/dev/null; then
        status=/proc/$pid/status
        grep -q "^Uid:[[:space:]]*65534[[:space:]]65534[[:space:]]65534[[:space:]]65534" $status ||
            why="$why $(grep ^Uid: $status);"
        grep -q "^Gid:[[:space:]]*65534[[:space:]]65534[[:space:]]65534[[:space:]]65534" $status ||
            why="$why $(grep ^Gid: $status);"
        grep -q "^Groups:[[:space:]]*$" $status || why="$why $(grep ^Groups: $status);"
        [ "$(readlink /proc/$pid/root)" = /tmp/jail ] || why="$why root $(readlink /proc/$pid/root);"
        for t in /proc/$pid/task/*; do
            grep -q "^Seccomp:[[:space:]]*2" $t/status || why="$why task ${t##*/} $(grep ^Seccomp: $t/status);"
            grep -q "^NoNewPrivs:[[:space:]]*1" $t/status || why="$why task ${t##*/} no NoNewPrivs;"
        done
        echo "OUTER: integrity: $(ls /proc/$pid/task | wc -l) threads, $(grep ^Seccomp: $status)"
    else
        why="stdvmm ended before the check"
    fi
    # Let it write a little more, then kill it in the middle of the loop.
    sleep 0.3
    kill -9 $pid 2>/dev/null
    wait $pid
    echo "OUTER: integrity: stdvmm killed (status $?)"
    e2e_show integrity $INTEGRITY_LOG | tail -n 8
    if [ -z "$why" ]; then
        e2e_pass isolation-confined
    else
        e2e_fail isolation-confined "$why"
    fi

    # Only whole lines count: the kill can cut the console's last line (guest
    # output is queued and written by stdvmm's console thread), and a cut
    # "GUEST: flushed 63" must not read as 6.
    flushed=$(tr -d '\r' <$INTEGRITY_LOG | sed -n '$!s/^GUEST: flushed \([0-9]*\)$/\1/p' | tail -n1)
    if [ -z "$(tail -c1 $INTEGRITY_LOG)" ]; then # ends in a newline: the last line is whole
        last=$(tr -d '\r' <$INTEGRITY_LOG | tail -n1 | sed -n 's/^GUEST: flushed \([0-9]*\)$/\1/p')
        [ -n "$last" ] && flushed=$last
    fi
    if [ -z "$flushed" ] || [ "$flushed" -lt 10 ]; then
        e2e_fail integrity-kill9 "the guest flushed only '${flushed:-no}' records before the kill"
        return
    fi
    strings -n 19 $INTEGRITY_IMG | grep "^STDVMM-REC " >/tmp/records
    local i=1 missing=0 first=""
    while [ $i -le "$flushed" ]; do
        if ! grep -q "^STDVMM-REC $(printf %08d $i)$" /tmp/records; then
            missing=$((missing + 1))
            [ -z "$first" ] && first=$i
        fi
        i=$((i + 1))
    done
    echo "OUTER: integrity: $flushed records flushed before the kill, $(wc -l </tmp/records) in the image, $missing missing"
    if [ $missing -eq 0 ]; then
        e2e_pass integrity-kill9
    else
        e2e_fail integrity-kill9 "$missing of $flushed flushed records missing from the image (first: $first)"
    fi
}

chroot_error_check() {
    local rc lines
    stdvmm run --kernel $E2E_GUEST_KERNEL --chroot /nonexistent-jail </dev/null >/tmp/chroot.out 2>/tmp/chroot.err
    rc=$?
    lines=$(wc -l </tmp/chroot.err)
    echo "OUTER: chroot-error: status $rc, stderr: $(head -c 300 /tmp/chroot.err)"
    if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q "^stdvmm: --chroot /nonexistent-jail: No such file or directory" /tmp/chroot.err; then
        e2e_pass isolation-chroot-error
    else
        e2e_fail isolation-chroot-error "status $rc, $lines stderr lines: $(head -c 200 /tmp/chroot.err)"
    fi
}

if command -v stdvmm >/dev/null && [ -f /attack/integrity.cpio.gz ]; then
    integrity_check
    chroot_error_check
else
    for t in isolation-confined integrity-kill9 isolation-chroot-error; do
        e2e_fail $t "stdvmm or the integrity guest is missing"
    done
fi
