# SPDX-License-Identifier: BSD-2-Clause
#
# Inside the emulated machine (sourced by outer.sh): the attacking guest's
# console-flood and vsock modes (console_attacks.c, vsock_attacks.c), each
# in its own stdvmm run. Markers:
#   attack-console-flood-sigterm  the guest floods its consoles while the
#                                 reader of stdvmm's stdout (a FIFO) has
#                                 stopped reading; stdvmm still ends within
#                                 5 s of SIGTERM, with status 143
#   attack-console-flood-dropped  and reports the guest output it dropped
#   attack-vsock-verdicts         every ATTACK-PASS of the vsock mode, no
#                                 ATTACK-FAIL, "ATTACK: done"
#   attack-vsock-sigterm          with the guest still refilling header-only
#                                 receive buffers, stdvmm ends within 5 s of
#                                 SIGTERM, with status 143

# Centiseconds since boot, without starting a process.
flood_now_cs() {
    local up rest
    read -r up rest </proc/uptime
    echo "${up%.*}${up#*.}"
}

# flood_stop NAME PID: SIGTERM, then wait at most 5 s. FLOOD_RC is the exit
# status, or 124 if PID had to be killed with SIGKILL.
flood_stop() {
    local pid=$2 t0 now
    kill -TERM "$pid"
    t0=$(flood_now_cs)
    now=$t0
    while attack_alive "$pid" && [ $((now - t0)) -lt 500 ]; do
        sleep 0.1
        now=$(flood_now_cs)
    done
    if attack_alive "$pid"; then
        echo "OUTER: $1: stdvmm still running 5 s after SIGTERM; SIGKILL"
        kill -KILL "$pid"
        wait "$pid"
        FLOOD_RC=124
    else
        wait "$pid"
        FLOOD_RC=$?
        echo "OUTER: $1: ended $(((now - t0) * 10)) ms after SIGTERM, exit status $FLOOD_RC"
    fi
}

attack_console_flood() {
    local fifo=/tmp/flood.fifo head=/tmp/flood.head err=/tmp/flood.err pid reader
    rm -f $fifo $head
    mkfifo $fifo
    # The reader takes the first 4 KiB and then stops reading, holding the
    # FIFO open (as a stopped pager or a terminal on hold would).
    { head -c 4096 >$head; exec sleep 100000; } <$fifo &
    reader=$!
    echo "OUTER: console-flood: stdvmm run --kernel /attack/Image --cpus 2 --mem 64M" \
        "--console virtio --cmdline attack.mode=console-flood >FIFO (reader stopped)"
    stdvmm run --kernel /attack/Image --cpus 2 --mem 64M --console virtio \
        --cmdline "attack.mode=console-flood" </dev/null >$fifo 2>$err &
    pid=$!
    sleep 6
    if attack_alive $pid; then
        flood_stop console-flood $pid
    else
        wait $pid
        FLOOD_RC=$?
        echo "OUTER: console-flood: stdvmm ended by itself during the flood, status $FLOOD_RC"
    fi
    kill $reader 2>/dev/null
    wait $reader 2>/dev/null
    e2e_show console-flood-stdout-head $head
    e2e_show console-flood-stderr $err
    if ! grep -q "ATTACK-FLOOD: start" $head; then
        e2e_fail attack-console-flood-sigterm "the guest never started flooding (see the stdout head)"
    elif [ "$FLOOD_RC" -eq 143 ]; then
        e2e_pass attack-console-flood-sigterm
    elif [ "$FLOOD_RC" -eq 124 ]; then
        e2e_fail attack-console-flood-sigterm "stdvmm did not end within 5 s of SIGTERM (console output blocks?)"
    else
        e2e_fail attack-console-flood-sigterm "exit status $FLOOD_RC, not 143 (stderr: $(tail -n1 $err))"
    fi
    e2e_expect attack-console-flood-dropped $err "console output: [0-9]* bytes of guest output dropped" \
        "no report of dropped guest output at exit"
    rm -f $fifo
}

attack_vsock() {
    local out=/tmp/vsock-attack.out err=/tmp/vsock-attack.err host=/tmp/vsock-attack-host.log
    local lpid pid n=0 alive=0 fails passes
    rm -f /tmp/v.sock /tmp/v.sock_5000
    # Sends as fast as the guest (never) takes it.
    vsock-host listen /tmp/v.sock_5000 1073741824 >$host 2>&1 &
    lpid=$!
    while [ ! -S /tmp/v.sock_5000 ] && [ $n -lt 50 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    echo "OUTER: vsock-attack: stdvmm run --kernel /attack/Image --cpus 2 --mem 64M" \
        "--vsock cid=3,uds=/tmp/v.sock --cmdline attack.mode=vsock"
    stdvmm run --kernel /attack/Image --cpus 2 --mem 64M --vsock cid=3,uds=/tmp/v.sock \
        --cmdline "attack.mode=vsock" </dev/null >$out 2>$err &
    pid=$!
    n=0
    while attack_alive $pid && ! grep -q "^ATTACK: done" $out && [ $n -lt 120 ]; do
        sleep 1
        n=$((n + 1))
    done
    sleep 2 # the guest goes on refilling header-only buffers
    if attack_alive $pid; then
        alive=1
        flood_stop vsock-attack $pid
    else
        wait $pid
        FLOOD_RC=$?
        echo "OUTER: vsock-attack: stdvmm ended by itself, status $FLOOD_RC"
    fi
    kill $lpid 2>/dev/null
    wait $lpid 2>/dev/null
    e2e_show vsock-attack $out
    e2e_show vsock-attack-stderr $err
    e2e_show vsock-attack-host $host
    fails=$(tr -d '\r' <$out | grep -c "^ATTACK-FAIL")
    passes=$(tr -d '\r' <$out | grep -c "^ATTACK-PASS")
    if ! grep -q "^ATTACK: done" $out; then
        e2e_fail attack-vsock-verdicts "the guest did not finish ($passes passed, $fails failed so far)"
    elif [ "$fails" -ne 0 ] || [ "$passes" -lt 12 ]; then
        e2e_fail attack-vsock-verdicts "$passes passed, $fails failed: $(tr -d '\r' <$out | grep "^ATTACK-FAIL" | head -n3 | tr '\n' ';')"
    else
        e2e_pass attack-vsock-verdicts
    fi
    if [ $alive = 1 ] && [ "$FLOOD_RC" -eq 143 ]; then
        e2e_pass attack-vsock-sigterm
    elif [ $alive = 0 ]; then
        e2e_fail attack-vsock-sigterm "stdvmm was not running when SIGTERM was due (status $FLOOD_RC)"
    else
        e2e_fail attack-vsock-sigterm "status $FLOOD_RC after SIGTERM, not 143 within 5 s"
    fi
}

if command -v stdvmm >/dev/null && [ -f /attack/Image ]; then
    attack_case console && attack_console_flood
    attack_case vsock && attack_vsock
else
    for t in attack-console-flood-sigterm attack-console-flood-dropped attack-vsock-verdicts \
        attack-vsock-sigterm; do
        e2e_fail $t "stdvmm or the attacking guest is not built"
    done
fi
