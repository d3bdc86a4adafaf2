# SPDX-License-Identifier: BSD-2-Clause
#
# The control API (docs/API.md), run inside the outer machine (sourced by
# /init): `stdvmm run --api-sock` with the `api` guest (guest/init: a tick
# line every 0.2 s, each with a /dev/hwrng read, and a power-button
# watcher), driven with `stdvmm ctl`. Checks: the socket's mode, info,
# pause stops the ticks and resume restarts them, counters move with the
# guest's rng traffic, bad input leaves the VM running, reboot boots the
# guest again, shutdown presses the button and the guest powers off
# (exit 0); a guest that ignores the button is stopped after the timeout;
# the stale socket of an earlier run is reused, an existing file refused.
K=$E2E_GUEST_KERNEL
I=$E2E_GUEST_INITRD
C=$E2E_GUEST_CMDLINE
S=/tmp/api.sock
checks="api-socket-0600 api-info api-pause-stops-guest api-resume-restarts-guest
    api-counters-move api-bad-input-vm-runs api-reboot api-shutdown-button
    api-shutdown-timeout api-stop api-stale-socket api-refuses-existing-file"

if ! command -v stdvmm >/dev/null; then
    for t in $checks; do e2e_fail $t "stdvmm is not built (make stdvmm)"; done
    return 0
fi

# last_tick LOG: the highest tick number the guest printed so far.
last_tick() {
    tr -d '\r' <"$1" | sed -n 's/.*GUEST: tick \([0-9]*\)$/\1/p' | tail -n1
}

# tick_after LOG T SECS: wait up to SECS for a tick above T; prints the last
# tick (the guest ticks every 0.2 s of its time, slower on a loaded host).
tick_after() {
    local n=0 t
    t=$(last_tick "$1")
    while [ "${t:-0}" -le "$2" ] && [ $n -lt $(($3 * 10)) ]; do
        sleep 0.1
        n=$((n + 1))
        t=$(last_tick "$1")
    done
    echo "${t:-0}"
}

# ctl ARGS...: stdvmm ctl, its output in CTL_OUT and status in CTL_RC.
ctl() {
    CTL_OUT=$(timeout 20 stdvmm ctl "$@" 2>&1)
    CTL_RC=$?
    echo "OUTER: stdvmm ctl $(echo "$*" | cut -c1-80) -> $CTL_RC: $(echo "$CTL_OUT" | head -c 400)"
}

# counter JSON DEVICE FIELD: a device's counter from `ctl --json counters`.
counter() {
    echo "$1" | tr '{' '\n' | grep "\"name\":\"$2\"" | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}

rm -f $S
L=/tmp/api.log
e2e_vmm_start api 240 $L run --kernel $K --initrd $I --cpus 2 --mem 256M --rng \
    --api-sock $S --log-level info --cmdline "$C e2e.test=api"
if ! e2e_wait_log $L "GUEST: tick 5" 90; then
    for t in $checks; do e2e_fail $t "the api guest did not start ticking"; done
    kill "$E2E_PID" 2>/dev/null
    e2e_vmm_finish api $L
    return 0
fi

mode=$(ls -l $S | cut -c1-10)
if [ "$mode" = "srw-------" ]; then
    e2e_pass api-socket-0600
else
    e2e_fail api-socket-0600 "mode $mode, want srw-------"
fi

ctl $S info
if [ $CTL_RC -eq 0 ] && echo "$CTL_OUT" | grep -q "^state: running" &&
    echo "$CTL_OUT" | grep -q "^vcpus: 2" && echo "$CTL_OUT" | grep -q "name: virtio-rng0" &&
    echo "$CTL_OUT" | grep -q "ram_bytes: 268435456"; then
    e2e_pass api-info
else
    e2e_fail api-info "ctl info: status $CTL_RC, no state running / 2 vCPUs / rng / 256M"
fi

# Pause: no tick for 2 s (after 0.5 s for lines already queued); resume:
# ticks again.
ctl $S pause
sleep 0.5
t1=$(last_tick $L)
ctl $S --json info
paused_info=$CTL_OUT
sleep 2
t2=$(last_tick $L)
if echo "$paused_info" | grep -q '"state":"paused"' && [ -n "$t1" ] && [ "$t1" = "$t2" ]; then
    e2e_pass api-pause-stops-guest
else
    e2e_fail api-pause-stops-guest "ticks went from $t1 to $t2 while paused ($paused_info)"
fi
ctl $S resume
t3=$(tick_after $L "$t2" 15)
if [ $CTL_RC -eq 0 ] && [ -n "$t3" ] && [ "$t3" -gt "$t2" ]; then
    e2e_pass api-resume-restarts-guest
else
    e2e_fail api-resume-restarts-guest "ticks $t2 then $t3 after resume (status $CTL_RC)"
fi

# Counters: the guest reads /dev/hwrng every tick.
ctl $S --json counters
c1=$(counter "$CTL_OUT" virtio-rng0 requests)
b1=$(counter "$CTL_OUT" virtio-rng0 bytes)
n1=$(counter "$CTL_OUT" virtio-rng0 notifications)
mmio1=$(echo "$CTL_OUT" | sed -n 's/.*"index":0,"exits":{"mmio":\([0-9]*\).*/\1/p')
tick_after $L $(($(last_tick $L) + 1)) 15 >/dev/null # a tick's read done since
ctl $S --json counters
c2=$(counter "$CTL_OUT" virtio-rng0 requests)
b2=$(counter "$CTL_OUT" virtio-rng0 bytes)
n2=$(counter "$CTL_OUT" virtio-rng0 notifications)
mmio2=$(echo "$CTL_OUT" | sed -n 's/.*"index":0,"exits":{"mmio":\([0-9]*\).*/\1/p')
if [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -gt "$c1" ] && [ "$b2" -gt "$b1" ] &&
    [ "$n2" -gt "$n1" ] && [ -n "$mmio1" ] && [ "${mmio2:-0}" -gt "$mmio1" ]; then
    e2e_pass api-counters-move
else
    e2e_fail api-counters-move "rng requests $c1->$c2, bytes $b1->$b2, kicks $n1->$n2, \
vCPU 0 mmio exits $mmio1->$mmio2"
fi

# Bad input: each gets an error reply (status 1) and the VM keeps running.
ok=1
ctl --raw $S 'this is not json'
[ $CTL_RC -eq 1 ] && echo "$CTL_OUT" | grep -q '"error":"malformed"' || ok=0
ctl --raw $S '{"cmd":"selfdestruct"}'
[ $CTL_RC -eq 1 ] && echo "$CTL_OUT" | grep -q '"error":"unknown-command"' || ok=0
ctl --raw $S '{"cmd":"pause","cmd":"stop"}'
[ $CTL_RC -eq 1 ] && echo "$CTL_OUT" | grep -q '"error":"bad-argument"' || ok=0
ctl --raw $S "{\"cmd\":\"info\",\"x\":\"$(head -c 3000 /dev/zero | tr '\0' 'a')\"}"
[ $CTL_RC -eq 1 ] && echo "$CTL_OUT" | grep -q '"error":"too-long"' || ok=0
t1=$(last_tick $L)
t2=$(tick_after $L "$t1" 15)
ctl $S info
if [ $ok = 1 ] && [ "$t2" -gt "$t1" ] && echo "$CTL_OUT" | grep -q "^state: running"; then
    e2e_pass api-bad-input-vm-runs
else
    e2e_fail api-bad-input-vm-runs "error replies ok=$ok, ticks $t1->$t2 after them"
fi

# Reboot: the machine layer's reset; the guest boots again.
ctl $S reboot
n=0
while [ "$(grep -c 'GUEST: api-boot' $L)" -lt 2 ] && [ $n -lt 600 ]; do
    sleep 0.1
    n=$((n + 1))
done
if [ $CTL_RC -eq 0 ] && [ "$(grep -c 'GUEST: api-boot' $L)" -eq 2 ] &&
    grep -q "the guest rebooted" $L; then
    e2e_pass api-reboot
else
    e2e_fail api-reboot "no second boot after ctl reboot (status $CTL_RC)"
fi

# Shutdown: the power button; the guest's watcher powers off; exit 0.
e2e_wait_log $L "power-watch on gpio" 60
sleep 1
ctl $S shutdown --timeout 30000
e2e_vmm_finish api $L
if [ $CTL_RC -eq 0 ] && [ "$E2E_RC" -eq 0 ] && grep -q "GUEST: power-button pressed" $L &&
    grep -q "GUEST: poweroff" $L; then
    e2e_pass api-shutdown-button
else
    e2e_fail api-shutdown-button "ctl status $CTL_RC, stdvmm status $E2E_RC, guest saw the button: \
$(grep -c 'power-button pressed' $L)"
fi

# A guest that ignores the button: stopped after the timeout, exit 0. Its
# socket path is the previous run's (the seccomp filter keeps stdvmm from
# removing it at exit): a stale socket is replaced.
L=/tmp/api2.log
stale=no
[ -S $S ] && stale=yes
e2e_vmm_start api2 120 $L run --kernel $K --initrd $I --mem 256M --rng --api-sock $S \
    --log-level info --cmdline "$C e2e.test=api e2e.nowatch=1"
if e2e_wait_log $L "GUEST: tick 3" 90; then
    ctl $S info
    if [ $stale = yes ] && [ $CTL_RC -eq 0 ]; then
        e2e_pass api-stale-socket
    else
        e2e_fail api-stale-socket "socket left by the first run: $stale; ctl info status $CTL_RC"
    fi
    ctl $S shutdown --timeout 1500
fi
e2e_vmm_finish api2 $L
if [ "$E2E_RC" -eq 0 ] && grep -q "did not power off in time" $L &&
    ! grep -q "GUEST: poweroff" $L; then
    e2e_pass api-shutdown-timeout
else
    e2e_fail api-shutdown-timeout "status $E2E_RC, want 0 after the timeout message"
fi

# GDB on a Linux guest (kernel text read and written through TTBR1, a
# breakpoint on ksys_write: every tick line is a write; its address from the
# guest's /proc/kallsyms, KASLR), then the API's stop: immediate, exit 0.
linux_gdb_checks() {
    local func t1 t2
    func=$(tr -d '\r' <$L | sed -n 's/.*GUEST: sym \([0-9a-f]*\) ksys_write$/\1/p' | head -n1)
    echo "OUTER: ksys_write $func"
    if [ ! -x /bin/rsp-client ]; then
        for t in gdb-linux-kernel-memory gdb-linux-breakpoint; do
            e2e_fail $t "no rsp-client in the machine"
        done
    else
        timeout 120 rsp-client --linux /tmp/gdbl.sock "$func" >/tmp/rspl.log 2>&1
        echo "OUTER: rsp-client --linux: exit status $?"
        cat /tmp/rspl.log
    fi
    t1=$(last_tick $L)
    t2=$(tick_after $L "$t1" 15)
    if [ -n "$t1" ] && [ "$t2" -gt "$t1" ]; then
        e2e_pass gdb-linux-runs-after-detach
    else
        e2e_fail gdb-linux-runs-after-detach "ticks $t1 then $t2 after the detach"
    fi
}

L=/tmp/api3.log
rm -f /tmp/gdbl.sock
e2e_vmm_start api3 240 $L run --kernel $K --initrd $I --cpus 2 --mem 256M --rng --api-sock $S \
    --gdb /tmp/gdbl.sock --cmdline "$C e2e.test=api e2e.nowatch=1"
CTL_RC=1
if e2e_wait_log $L "GUEST: tick 2" 90; then
    linux_gdb_checks
    ctl $S stop
else
    for t in gdb-linux-kernel-memory gdb-linux-breakpoint gdb-linux-runs-after-detach; do
        e2e_fail $t "the Linux guest did not start ticking"
    done
fi
e2e_vmm_finish api3 $L
if [ $CTL_RC -eq 0 ] && [ "$E2E_RC" -eq 0 ] && ! grep -q "GUEST: poweroff" $L; then
    e2e_pass api-stop
else
    e2e_fail api-stop "ctl status $CTL_RC, stdvmm status $E2E_RC"
fi

# An existing file that is not a socket is refused: one line, status 1.
: >/tmp/not-a-socket
timeout 20 stdvmm run --kernel $K --api-sock /tmp/not-a-socket </dev/null >/tmp/api4.out \
    2>/tmp/api4.err
rc=$?
echo "OUTER: --api-sock on a file -> $rc: $(cat /tmp/api4.err)"
if [ $rc -eq 1 ] && [ "$(wc -l </tmp/api4.err)" -eq 1 ] &&
    grep -q -- "--api-sock /tmp/not-a-socket: exists and is not a socket" /tmp/api4.err; then
    e2e_pass api-refuses-existing-file
else
    e2e_fail api-refuses-existing-file "status $rc: $(cat /tmp/api4.err)"
fi

# ------------------------------------------------------------ GDB stub
# The bare-metal test guest (tests/gdb) under `--gdb PATH`, driven by the
# scripted client tests/e2e/gdb/rsp_client.c, which prints its own verdicts.
gdb_checks="gdb-attach gdb-breakpoint-hit gdb-read-variable gdb-single-step
    gdb-continue-hits-again gdb-hw-breakpoint gdb-interrupt gdb-detach-resumes"
if [ ! -f /guest/gdb-Image ] || [ ! -x /bin/rsp-client ] || [ ! -f /guest/gdb-syms ]; then
    for t in $gdb_checks; do e2e_fail $t "no GDB test guest or client in the machine"; done
    return 0
fi
. /guest/gdb-syms # GDB_TICK, GDB_COUNTER
L=/tmp/gdb.log
rm -f /tmp/gdb.sock
e2e_vmm_start gdb 240 $L run --kernel /guest/gdb-Image --cpus 2 --mem 64M --gdb /tmp/gdb.sock \
    --log-level info
if e2e_wait_log $L "gdb-guest: ready" 60 && e2e_wait_log $L "waiting for a debugger" 10; then
    timeout 180 rsp-client /tmp/gdb.sock "$GDB_TICK" "$GDB_COUNTER" >/tmp/rsp.log 2>&1
    echo "OUTER: rsp-client: exit status $?"
    cat /tmp/rsp.log
    [ "$(ls -l /tmp/gdb.sock | cut -c1-10)" = "srw-------" ] ||
        echo "OUTER: --gdb socket mode $(ls -l /tmp/gdb.sock | cut -c1-10)"
else
    for t in $gdb_checks; do e2e_fail $t "the GDB test guest did not start"; done
fi
kill "$E2E_PID" 2>/dev/null
e2e_vmm_finish gdb $L


# ------------------------------------------------------------ gdb-multiarch
# Debian's gdb-multiarch on the build host against the stub: the outer
# QEMU's virtio-serial port `gdb` (tests/e2e/run.sh) is a UNIX socket on the
# host; tests/e2e/gdb/vport_relay.c copies it to and from `--gdb PATH`. The
# host waits for the `gdb-multiarch: ready` line, runs its session and
# checks its output; here: the relay saw bytes both ways and one side close
# first, and stdvmm is still running after the detach.
port=
for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = gdb ] && port=/dev/${d##*/}
done
if [ -z "$port" ] || [ ! -x /bin/vport-relay ]; then
    echo "OUTER: gdb-multiarch: no virtio-serial port named gdb or no relay, not run"
    return 0
fi
L=/tmp/gdbm.log
rm -f /tmp/gdbm.sock
e2e_vmm_start gdbm 240 $L run --kernel /guest/gdb-Image --cpus 2 --mem 64M \
    --gdb /tmp/gdbm.sock --log-level info
if e2e_wait_log $L "gdb-guest: ready" 60 && e2e_wait_log $L "waiting for a debugger" 10; then
    echo "OUTER: gdb-multiarch: ready on $port"
    timeout 200 vport-relay "$port" /tmp/gdbm.sock 180 >/tmp/relay.log 2>&1
    rc=$?
    cat /tmp/relay.log
    if [ $rc -eq 0 ]; then
        e2e_pass gdb-multiarch-relay
    else
        e2e_fail gdb-multiarch-relay "vport-relay status $rc: $(tail -n1 /tmp/relay.log)"
    fi
    sleep 1
    if kill -0 "$E2E_PID" 2>/dev/null; then
        e2e_pass gdb-multiarch-vmm-survives
    else
        e2e_fail gdb-multiarch-vmm-survives "stdvmm exited during or after the session"
    fi
else
    echo "OUTER: gdb-multiarch: not ready"
    e2e_fail gdb-multiarch-relay "the GDB test guest did not start"
fi
kill "$E2E_PID" 2>/dev/null
e2e_vmm_finish gdbm $L
