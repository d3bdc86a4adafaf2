# SPDX-License-Identifier: BSD-2-Clause
#
# Foundation checks, run inside the outer machine (sourced by /init):
# boot on the PL011 with 1 and 4 CPUs, the virtio console, console input,
# poweroff -> exit 0, and the CLI's error paths. Each guest boot has its own
# timeout so one hang costs one check, not the run.
if [ -c /dev/kvm ]; then
    e2e_pass outer-kvm
else
    e2e_fail outer-kvm "/dev/kvm missing in the emulated machine"
fi

K=$E2E_GUEST_KERNEL
I=$E2E_GUEST_INITRD
C=$E2E_GUEST_CMDLINE

if ! command -v stdvmm >/dev/null; then
    for t in boot-serial-cpus1 input-serial poweroff-exit0 boot-cpus4 boot-virtio-console \
        input-virtio err-missing-kernel err-bad-image err-bad-cpus err-bad-mem err-unknown-option \
        err-device-options reboot-keeps-disk-data reboot-exit0 no-reboot-exits; do
        e2e_fail $t "stdvmm is not built (make stdvmm)"
    done
    return 0
fi

# One boot: PL011 console, 1 CPU, a line typed on stdin, guest poweroff.
e2e_vmm_input serial 60 /tmp/serial.log "GUEST: ready-for-input" "hello-from-host" \
    run --kernel $K --initrd $I --cpus 1 --mem 256M --console serial \
    --cmdline "$C e2e.test=serial"
rc=$E2E_RC
if ! grep -q "GUEST: console: ttyAMA0" /tmp/serial.log; then
    e2e_fail boot-serial-cpus1 "no 'GUEST: console: ttyAMA0' line from the guest (exit status $rc)"
else
    e2e_expect boot-serial-cpus1 /tmp/serial.log "GUEST: boot-ok cpus=1 online=0$" \
        "no 'GUEST: boot-ok cpus=1 online=0' line from the guest (exit status $rc)"
fi
e2e_expect input-serial /tmp/serial.log "GUEST: got input: hello-from-host" \
    "the guest did not echo the line written to stdvmm's stdin"
if [ $rc -eq 0 ] && grep -q "GUEST: poweroff" /tmp/serial.log; then
    e2e_pass poweroff-exit0
elif [ $rc -eq 143 ]; then
    e2e_fail poweroff-exit0 "stdvmm still running after the guest's poweroff (timeout)"
else
    e2e_fail poweroff-exit0 "exit status $rc after the guest's poweroff"
fi

e2e_vmm cpus4 60 /tmp/cpus4.log run --kernel $K --initrd $I --cpus 4 --mem 256M \
    --cmdline "$C e2e.test=cpus"
e2e_expect boot-cpus4 /tmp/cpus4.log "GUEST: boot-ok cpus=4 online=0-3$" \
    "the guest did not report 4 online CPUs (exit status $E2E_RC)"

e2e_vmm_input virtio 60 /tmp/virtio.log "GUEST: ready-for-input" "hello-over-virtio" \
    run --kernel $K --initrd $I --cpus 2 --mem 256M --console virtio \
    --cmdline "console=ttyAMA0 console=hvc0 quiet panic=-1 rdinit=/init e2e.test=virtio"
e2e_expect boot-virtio-console /tmp/virtio.log "GUEST: on hvc0" \
    "no 'GUEST: on hvc0' line from the guest (exit status $E2E_RC)"
e2e_expect input-virtio /tmp/virtio.log "GUEST: got input: hello-over-virtio" \
    "the guest did not echo the line written to stdin over hvc0"

# Guest reboot (PSCI SYSTEM_RESET) in the same process: the guest writes to
# its disk and reboots; the second boot reads the data back and powers off.
dd if=/dev/zero of=/tmp/reboot.img bs=1M count=4 2>/dev/null
e2e_vmm reboot 150 /tmp/reboot.log run --kernel $K --initrd $I --cpus 2 --mem 256M \
    --log-level info --disk /tmp/reboot.img --cmdline "$C e2e.test=reboot"
rc=$E2E_RC
wrote=$(tr -d '\r' </tmp/reboot.log | sed -n 's/.*GUEST: reboot-wrote //p' | head -n1)
read_back=$(tr -d '\r' </tmp/reboot.log | sed -n 's/.*GUEST: reboot-read //p' | head -n1)
if [ -z "$wrote" ] || ! grep -q "GUEST: reboot-boot second" /tmp/reboot.log; then
    e2e_fail reboot-keeps-disk-data "no write then second boot from the guest (exit status $rc)"
elif [ "$wrote" != "$read_back" ]; then
    e2e_fail reboot-keeps-disk-data "data read after the reboot differs: wrote $wrote, read '$read_back'"
else
    e2e_pass reboot-keeps-disk-data
fi
if [ $rc -eq 0 ] && grep -q "GUEST: poweroff" /tmp/reboot.log &&
    [ "$(grep -c "GUEST: reboot-boot" /tmp/reboot.log)" -eq 2 ]; then
    e2e_pass reboot-exit0
else
    e2e_fail reboot-exit0 "expected two boots, a poweroff and exit 0 (exit status $rc)"
fi
# --no-reboot: the same guest's reboot ends stdvmm (status 0) after one boot.
dd if=/dev/zero of=/tmp/reboot.img bs=1M count=4 2>/dev/null
e2e_vmm no-reboot 90 /tmp/no-reboot.log run --kernel $K --initrd $I --mem 256M --no-reboot \
    --disk /tmp/reboot.img --cmdline "$C e2e.test=reboot"
rc=$E2E_RC
if [ $rc -eq 0 ] && grep -q "GUEST: rebooting" /tmp/no-reboot.log &&
    ! grep -q "GUEST: reboot-boot second" /tmp/no-reboot.log; then
    e2e_pass no-reboot-exits
else
    e2e_fail no-reboot-exits "expected one boot and exit 0 after the guest's reboot (exit status $rc)"
fi

# Error paths: each must exit non-zero with one line naming the option.
# cli_error NAME OPTION ARGS...
cli_error() {
    local name=$1 opt=$2 out=/tmp/$1.err rc lines
    shift 2
    timeout 20 stdvmm "$@" </dev/null >/tmp/$name.out 2>$out
    rc=$?
    lines=$(wc -l <$out)
    echo "OUTER: $name: stdvmm $* -> status $rc, stderr: $(head -c 300 $out)"
    if [ $rc -eq 0 ]; then
        e2e_fail $name "exit status 0 for: stdvmm $*"
    elif [ $rc -ge 124 ]; then
        e2e_fail $name "status $rc (timeout or signal) for: stdvmm $*"
    elif [ "$lines" -ne 1 ]; then
        e2e_fail $name "expected one line on stderr, got $lines for: stdvmm $*"
    elif ! grep -q -e "$opt" $out; then
        e2e_fail $name "error does not name $opt for: stdvmm $*"
    else
        return 0
    fi
    return 1
}

ok=1
cli_error err-missing-kernel --kernel run --kernel /nonexistent/Image --initrd $I || ok=0
[ $ok = 1 ] && e2e_pass err-missing-kernel

ok=1
: >/tmp/empty
for f in $I /bin/busybox /tmp/empty; do
    cli_error err-bad-image --kernel run --kernel $f || ok=0
done
[ $ok = 1 ] && e2e_pass err-bad-image

ok=1
for v in 0 abc -1 4096 1x; do
    cli_error err-bad-cpus --cpus run --kernel $K --cpus "$v" || ok=0
done
[ $ok = 1 ] && e2e_pass err-bad-cpus

ok=1
for v in 0 abc 12Q -5M 1K; do
    cli_error err-bad-mem --mem run --kernel $K --mem "$v" || ok=0
done
[ $ok = 1 ] && e2e_pass err-bad-mem

ok=1
cli_error err-unknown-option --bogus run --kernel $K --bogus || ok=0
[ $ok = 1 ] && e2e_pass err-unknown-option

# Device options: bad values and backends that cannot be opened (this
# machine has no tun module, so no /dev/net/tun) fail with one line naming
# the option before the guest starts.
ok=1
cli_error err-device-options --disk run --kernel $K --disk /nonexistent.img || ok=0
cli_error err-device-options --disk run --kernel $K --disk ,ro || ok=0
cli_error err-device-options "--net tap=e2e0: /dev/net/tun" run --kernel $K --net tap=e2e0 || ok=0
cli_error err-device-options --net run --kernel $K --net tap=e2e0,mac=zz || ok=0
cli_error err-device-options --vsock run --kernel $K --vsock cid=1,uds=/tmp/v.sock || ok=0
cli_error err-device-options --vsock run --kernel $K --vsock cid=3,uds=/nonexistent/v.sock || ok=0
cli_error err-device-options --rng run --kernel $K --rng=yes || ok=0
[ $ok = 1 ] && e2e_pass err-device-options
