# SPDX-License-Identifier: BSD-2-Clause
#
# Inside the emulated machine (sourced by the outer /init, after
# /lib/e2e.sh): boot the attacking guest (/attack/Image) under stdvmm with a
# virtio console, disk and rng, then judge what happened. Markers:
#   attack-vmm-survived      stdvmm ran until the guest's own poweroff (exit 0)
#   attack-guest-verdicts    every ATTACK-PASS, no ATTACK-FAIL, "ATTACK: done"
#   attack-console-output    the virtio-console line reached stdvmm's stdout
#   attack-log-once          each device's violation logged once, stderr short
#   attack-disk-intact       the out-of-range blk requests changed no byte
ATTACK_OUT=/tmp/attack.out
ATTACK_ERR=/tmp/attack.err
ATTACK_SECS=${ATTACK_SECS:-$(e2e_arg attack.secs)}
ATTACK_SECS=${ATTACK_SECS:-240}
# Which groups run (run.sh's ATTACK_CASES): main, console, vsock, or all.
ATTACK_CASES=$(e2e_arg attack.cases)
ATTACK_CASES=${ATTACK_CASES:-all}

attack_case() {
    case ",$ATTACK_CASES," in *,all,* | *,$1,*) return 0 ;; esac
    return 1
}

# True while PID runs (a zombie, exited but not yet reaped, does not count).
attack_alive() {
    [ -r /proc/$1/status ] && ! grep -q "^State:[[:space:]]*Z" /proc/$1/status
}

# attack_wait PID SECS: set ATTACK_RC to PID's exit status; after SECS send
# SIGTERM, and SIGKILL 20 s later if that did not end it (a device model
# stuck in a loop keeps stdvmm from joining its vCPU threads). ATTACK_RC is
# 124 if it had to be stopped. Not in a subshell: `wait` needs the parent.
attack_wait() {
    local pid=$1 n=0 hung=0
    # Whole seconds: under a loaded emulator each `sleep` process costs more
    # than 0.1 s, so counting tenths would stretch the limit several times.
    while attack_alive "$pid" && [ $n -lt "$2" ]; do
        sleep 1
        n=$((n + 1))
    done
    if attack_alive "$pid"; then
        hung=1
        kill -TERM "$pid"
        n=0
        while attack_alive "$pid" && [ $n -lt 20 ]; do sleep 1; n=$((n + 1)); done
        if attack_alive "$pid"; then
            echo "OUTER: attack: stdvmm still running 20 s after SIGTERM; SIGKILL"
            kill -KILL "$pid"
        else
            echo "OUTER: attack: stdvmm ended after SIGTERM"
        fi
    fi
    wait "$pid"
    ATTACK_RC=$?
    [ $hung = 1 ] && ATTACK_RC=124
}

attack_guest() {
    local rc
    cp /attack/disk.img /tmp/attack-disk.img
    echo "OUTER: attack: stdvmm run --kernel /attack/Image --cpus 2 --mem 64M --console virtio" \
        "--disk /tmp/attack-disk.img --rng"
    stdvmm run --kernel /attack/Image --cpus 2 --mem 64M \
        --console virtio --disk /tmp/attack-disk.img --rng </dev/null >$ATTACK_OUT 2>$ATTACK_ERR &
    attack_wait $! "$ATTACK_SECS"
    rc=$ATTACK_RC
    e2e_show attack $ATTACK_OUT
    e2e_show attack-stderr $ATTACK_ERR
    echo "OUTER: attack: exit status $rc"

    if [ $rc -eq 0 ] && grep -q "^ATTACK: done" $ATTACK_OUT; then
        e2e_pass attack-vmm-survived
    elif [ $rc -eq 124 ]; then
        e2e_fail attack-vmm-survived "stdvmm hung: no result after ${ATTACK_SECS} s (last guest line: $(grep -a ATTACK $ATTACK_OUT | tail -n1 | tr -d '\r'))"
    else
        e2e_fail attack-vmm-survived "stdvmm exit status $rc before the guest finished (stderr: $(tail -n1 $ATTACK_ERR))"
    fi

    local fails passes
    fails=$(tr -d '\r' <$ATTACK_OUT | grep -c "^ATTACK-FAIL")
    passes=$(tr -d '\r' <$ATTACK_OUT | grep -c "^ATTACK-PASS")
    if ! grep -q "^ATTACK: done" $ATTACK_OUT; then
        e2e_fail attack-guest-verdicts "the guest did not finish ($passes passed, $fails failed so far)"
    elif [ "$fails" -ne 0 ] || [ "$passes" -lt 50 ]; then
        e2e_fail attack-guest-verdicts "$passes passed, $fails failed: $(tr -d '\r' <$ATTACK_OUT | grep "^ATTACK-FAIL" | head -n3 | tr '\n' ';')"
    else
        e2e_pass attack-guest-verdicts
    fi

    e2e_expect attack-console-output $ATTACK_OUT "^ATTACK-CONSOLE: hello from the attacking guest" \
        "the guest's virtio-console line is not on stdvmm's stdout"

    # One "needs reset" report per virtio device, however many violations.
    local why="" dev n lines
    for dev in virtio-console0 virtio-blk0 virtio-rng0; do
        n=$(grep -c "$dev: queue .*needs reset" $ATTACK_ERR)
        [ "$n" -eq 1 ] || why="$why $dev reported $n times;"
    done
    lines=$(wc -l <$ATTACK_ERR)
    [ "$lines" -le 60 ] || why="$why $lines lines on stderr (not rate-limited?);"
    if [ -z "$why" ]; then
        e2e_pass attack-log-once
    else
        e2e_fail attack-log-once "$why"
    fi

    if cmp -s /attack/disk.img /tmp/attack-disk.img; then
        e2e_pass attack-disk-intact
    else
        e2e_fail attack-disk-intact "the disk image changed: $(cmp /attack/disk.img /tmp/attack-disk.img 2>&1 | head -n1)"
    fi
}

if ! attack_case main; then
    :
elif command -v stdvmm >/dev/null && [ -f /attack/Image ]; then
    attack_guest
else
    for t in attack-vmm-survived attack-guest-verdicts attack-console-output attack-log-once \
        attack-disk-intact; do
        e2e_fail $t "stdvmm or the attacking guest is not built"
    done
fi
attack_case main && . /attack/integrity.sh
. /attack/flood.sh
