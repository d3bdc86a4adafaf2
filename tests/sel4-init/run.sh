#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# End-to-end tests of stdvmm-init (ports/sel4-init): build the systems of
# examples/sel4-init on the SMP kernel in SEL4_PREFIX and boot each in
# QEMU virt (virtualization=on, secure=off, cortex-a53, -smp 4):
#   bad      an impossible description (vCPU on core 7): stdvmm-init's
#            message, nothing started
#   smp4     one VM, 4 vCPUs on cores 0-3: the kernel's thread list of each
#            core has that core's vCPU; the guest sees 4 CPUs, powers off
#   pinned2  two CPU-bound 1-vCPU VMs on cores 1 and 2: together at least
#            1.6x the progress of the same VMs sharing core 1 (pinned2_one)
#   budget   two CPU-bound VMs on core 1 with 3 ms / 7 ms per 10 ms: the
#            first makes 30% +- 5 points of their total progress
#   colour   two VMs with disjoint cache colours (0-7, 8-15 of 16): both
#            reach /init; stdvmm-init's audit of every mapped frame shows
#            each VM's frames only in its own colours
#   colour_bad  512 MiB in 1 colour of 64: refused before anything runs
#   ctl      the control interface: VMs created, started, stopped,
#            restarted and destroyed at run time by a client PD, 100
#            create/destroy cycles with the free untyped bytes unchanged,
#            refusals for a client without the control capability, the
#            capability lists (tests/sel4-init/ctl.sh)
#   devown   QEMU's PL031 passed through to vm-a, moved to vm-b and back
#            every 40 s by a control client (SEL4INIT_CTL_MOVE) while both
#            run: the owner's guest reads the clock and takes its alarm
#            interrupt, the other's read gets an external abort and it sees
#            no interrupt, through at least one full cycle a -> b -> a
# Progress: the guests' `SEL4-GUEST: spin <n> loops=<total> ms=<guest ms>`
# lines (tests/sel4/guest/spin.c), as loops per second over the last
# SPIN_WINDOW seconds of guest time.
# Without SEL4_PREFIX prints one SKIPPED line and exits 0. SEL4_TIMEOUT (s)
# bounds each boot; SEL4_INIT_TESTS picks systems (default: all).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

if [ -z "${SEL4_PREFIX:-}" ]; then
    echo "SKIPPED: stdvmm-init tests: SEL4_PREFIX is not set (an SMP seL4 kernel build, see docs/SEL4.md)"
    exit 0
fi
QEMU=${QEMU:-qemu-system-aarch64}
TIMEOUT=${SEL4_TIMEOUT:-900}
WINDOW=${SPIN_WINDOW:-10}
TESTS=${SEL4_INIT_TESTS:-bad smp4 pinned2 budget colour colour_bad ctl devown}
OUT=build/sel4-init
passed=0
failed=0

# shellcheck source=tests/sel4-init/ctl.sh
. tests/sel4-init/ctl.sh

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# The kernel options docs/SEL4.md recommends for stdvmm-init; without them
# the SMP systems still run, much slower under QEMU (a note, not a failure).
python3 - "$SEL4_PREFIX/libsel4/include/kernel/gen_config.json" <<'PY' || true
import json, sys
try:
    c = json.load(open(sys.argv[1]))
except OSError as e:
    sys.exit(f"sel4-init: note: cannot read the kernel configuration: {e}")
if not c.get("DISABLE_WFI_WFE_TRAPS"):
    print("sel4-init: note: the kernel traps guest WFI (KernelArmDisableWFIWFETraps=OFF): "
          "idle vCPUs spin through their VMM (docs/SEL4.md)")
if int(c.get("BOOT_THREAD_TIME_SLICE", "0") or 0) < 100:
    print("sel4-init: note: KernelBootThreadTimeSlice is %s ms: idle cores take a timer "
          "interrupt that often (docs/SEL4.md recommends 1000)" % c.get("BOOT_THREAD_TIME_SLICE"))
PY
systems=$TESTS
case " $TESTS " in *" pinned2 "*) systems="$systems pinned2_one" ;; esac
echo "sel4-init: building $systems (SEL4_PREFIX=$SEL4_PREFIX)"
# shellcheck disable=SC2086 # a list of make targets
if ! make -s -C examples/sel4-init SEL4_PREFIX="$SEL4_PREFIX" $systems >"$OUT.build.log" 2>&1; then
    tail -n 30 "$OUT.build.log"
    echo "FAIL sel4-init build (log: $OUT.build.log)"
    exit 1
fi

# boot SYSTEM PATTERN...: run QEMU until every pattern is in the log (or the
# timeout), then a few seconds more.
boot() {
    local sys=$1 log=$OUT/$1/console.log pid start pat all
    shift
    : >"$log"
    # shellcheck disable=SC2054 # commas are QEMU option syntax
    "$QEMU" -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
        -m 2G -nographic -monitor none -device loader,file="$OUT/$sys/image.elf",cpu-num=0 \
        </dev/null >"$log" 2>&1 &
    pid=$!
    start=$SECONDS
    while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$TIMEOUT" ]; do
        all=1
        for pat in "$@"; do
            tr -d '\r' <"$log" | grep -qE -- "$pat" || { all=0; break; }
        done
        [ "$all" = 1 ] && break
        sleep 2
    done
    sleep 3
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "sel4-init: $sys ran $((SECONDS - start)) s (console: $log)"
}

seen() { tr -d '\r' <"$OUT/$1/console.log" | grep -cF -- "$2"; }

# devown_check LOG: walk the log in order; each handover line starts an
# epoch with its owner; in it (after each VM's first line, which may have
# raced the handover) the owner's lines must read the register, a time
# from the driver after 2001 and an alarm interrupt, the other VM's lines
# must fault with its interrupt count unchanged since its first line.
# Prints "ok" once three consecutive epochs a, b, a each showed the owner
# taking alarms and (b, a) the other faulting, "bad <line>" at the first
# violation, else "wait".
devown_check() {
    tr -d '\r' <"$1" | awk '
        /^stdvmm-init: device rtc: handed from .* to vm-[ab] / {
            e++; own[e] = $0; sub(/.* to /, "", own[e]); sub(/ .*/, "", own[e])
            seen["vm-a"] = 0; seen["vm-b"] = 0; next }
        /^vm-[ab]\| SEL4-GUEST: rtc [0-9]+: (read|fault)/ {
            vm = substr($0, 1, 4)
            irq = $NF
            if (e == 0) next
            if (seen[vm]++ == 0) { first[vm] = irq; next }
            if (own[e] == vm) {
                ok = ($0 ~ /: read 0x[0-9A-Fa-f]+ time [0-9]+ alarm irqs [0-9]+ -> [0-9]+$/)
                split($0, w, " ")
                for (i = 1; i in w; i++) if (w[i] == "time") t = w[i + 1] + 0
                before = $(NF - 2) + 0
                if (!ok || t < 1000000000 || irq + 0 <= before) { print "bad " $0; bad = 1; exit }
                alarms[e]++
            } else {
                if ($0 !~ /: fault irqs [0-9]+$/ || irq != first[vm]) { print "bad " $0; bad = 1; exit }
                faults[e]++
            } }
        END {
            if (bad) exit
            for (i = 1; i + 2 <= e; i++)
                if (own[i] == "vm-a" && own[i + 1] == "vm-b" && own[i + 2] == "vm-a" &&
                    alarms[i] > 0 && alarms[i + 1] > 0 && faults[i + 1] > 0 &&
                    alarms[i + 2] > 0 && faults[i + 2] > 0) { print "ok"; exit }
            print "wait" }'
}
expect() {
    if [ "$(seen "$1" "$3")" -gt 0 ]; then pass "$1: $2"; else fail "$1: $2 (\"$3\" not seen)"; fi
}

# Loops per guest second of VM $2 in system $1 over its last WINDOW seconds
# of reports (`SEL4-GUEST: spin <n> loops=<total> ms=<guest ms>`, from
# tests/sel4/guest/spin.c); 0 when it reported too little.
rate() {
    tr -d '\r' <"$OUT/$1/console.log" |
        sed -n "s/^$2| SEL4-GUEST: spin [0-9]* loops=\([0-9]*\) ms=\([0-9]*\)\$/\2 \1/p" |
        awk -v w="$WINDOW" '{ t[NR] = $1; c[NR] = $2 } END {
            if (NR < 2) { print 0; exit }
            for (i = NR - 1; i >= 1; i--) if (t[NR] - t[i] >= w * 1000) break
            if (i < 1 || t[NR] == t[i]) { print 0; exit }
            printf "%d\n", (c[NR] - c[i]) * 1000 / (t[NR] - t[i]) }'
}

# How many spin reports VM $2 of system $1 printed.
spin_at() {
    tr -d '\r' <"$OUT/$1/console.log" | grep -c "^$2| SEL4-GUEST: spin "
}

# colour_audit SYSTEM VM FIRST LAST: stdvmm-init's audit of VM says every
# frame is in colours FIRST-LAST, and its per-colour counts (from the
# kernel's addresses) name no colour outside them.
colour_audit() {
    local log=$OUT/$1/console.log counts bad
    if tr -d '\r' <"$log" | grep -qE "^stdvmm-init: $2: colour audit: [0-9]+ guest RAM \+ [0-9]+ VMM program \+ [0-9]+ IPC buffer frames .*every one in cache colours $3-$4 of 16\$"; then
        pass "$1: $2's audit: every frame in colours $3-$4"
    else
        fail "$1: $2's audit line missing or wrong"
    fi
    counts=$(tr -d '\r' <"$log" | sed -n "s/^stdvmm-init: $2: colour audit: frames per colour: //p" | head -n1)
    bad=$(echo "$counts" | tr ' ' '\n' | awk -F: -v lo="$3" -v hi="$4" \
        'NF == 2 && ($1 < lo || $1 > hi) { n++ } NF == 2 { c++ } END { print (c > 0 ? n + 0 : -1) }')
    if [ "$bad" = 0 ]; then pass "$1: $2's frames per colour only in $3-$4 ($counts)"
    else fail "$1: $2's frames per colour: '$counts' (want only colours $3-$4)"; fi
}

for t in $TESTS; do
    case $t in
    bad)
        boot bad "nothing was started"
        expect bad "refused with a message naming VM, vCPU and core" \
            'stdvmm-init: error: impossible system description "bad": bad: vCPU 0 is on core 7, but the kernel runs 4 core(s) (0-3)'
        expect bad "nothing started" "stdvmm-init: stopped; nothing was started"
        if [ "$(seen bad "stdvmm[bad]")" -eq 0 ]; then pass "bad: no VMM ran"; else fail "bad: a VMM ran"; fi
        ;;
    smp4)
        boot smp4 "stdvmm\[smp4\]: VM smp4 stopped" "stdvmm\[smp4\]: error"
        for c in 0 1 2 3; do
            core=$(tr -d '\r' <"$OUT/smp4/console.log" |
                awk -v c="$c" '/^stdvmm-init: threads on core/ { cur = $5 + 0 }
                    $1 == "smp4:vcpu" c && cur == c { print $5; exit }')
            if [ "$core" = "$c" ]; then pass "smp4: vCPU $c's thread is on core $c (kernel thread list)"
            else fail "smp4: vCPU $c's thread not listed on core $c (got '${core}')"; fi
        done
        expect smp4 "reaches /init" "smp4| SEL4-GUEST: reached /init (boot 1)"
        expect smp4 "guest sees 4 CPUs" "smp4| SEL4-GUEST: cpus=4 online=0-3"
        expect smp4 "virtio-console output" "smp4| SEL4-GUEST: hello on virtio-console (boot 1)"
        expect smp4 "powers off" "stdvmm[smp4]: VM smp4 stopped: the guest powered off"
        if [ "$(seen smp4 "stdvmm[smp4]: error:")" -eq 0 ]; then pass "smp4: no VMM errors"
        else fail "smp4: VMM errors"; fi
        ;;
    pinned2)
        want=$((WINDOW + 3))
        for s in pinned2 pinned2_one; do
            boot $s "vm-a\| SEL4-GUEST: spin $want " "vm-b\| SEL4-GUEST: spin $want "
        done
        two=$(($(rate pinned2 vm-a) + $(rate pinned2 vm-b)))
        one=$(($(rate pinned2_one vm-a) + $(rate pinned2_one vm-b)))
        echo "sel4-init: pinned2 progress: cores 1+2 $two/s, both on core 1 $one/s"
        if [ "$one" -gt 0 ] && [ $((two * 10)) -ge $((one * 16)) ]; then
            pass "pinned2: two cores give >= 1.6x the progress of one ($two vs $one per second)"
        else
            fail "pinned2: two cores give $two/s vs $one/s on one core (want >= 1.6x)"
        fi
        ;;
    budget)
        want=$((WINDOW + 3))
        boot budget "vm-30\| SEL4-GUEST: spin $want " "vm-70\| SEL4-GUEST: spin $want "
        a=$(rate budget vm-30)
        b=$(rate budget vm-70)
        echo "sel4-init: budget progress: vm-30 $a/s, vm-70 $b/s ($(spin_at budget vm-30) reports)"
        if [ $((a + b)) -gt 0 ] && [ $((a * 100)) -ge $(((a + b) * 25)) ] &&
            [ $((a * 100)) -le $(((a + b) * 35)) ]; then
            pass "budget: vm-30 makes $((a * 100 / (a + b)))% of the progress (30 +- 5)"
        else
            fail "budget: vm-30 makes $a/s of $((a + b))/s (want 30% +- 5 points)"
        fi
        ;;
    colour)
        boot colour "vm-a\| SEL4-GUEST: reached /init" "vm-b\| SEL4-GUEST: reached /init"
        colour_audit colour vm-a 0 7
        colour_audit colour vm-b 8 15
        expect colour "vm-a reaches /init" "vm-a| SEL4-GUEST: reached /init (boot 1)"
        expect colour "vm-b reaches /init" "vm-b| SEL4-GUEST: reached /init (boot 1)"
        if [ "$(seen colour "stdvmm-init: error")" -eq 0 ] && [ "$(seen colour "error:")" -eq 0 ]; then
            pass "colour: no errors"
        else
            fail "colour: errors in the log"
        fi
        ;;
    colour_bad)
        boot colour_bad "nothing was started"
        expect colour_bad "refused with a message naming VM and colours" \
            'stdvmm-init: error: impossible system description "colour_bad": vm-a needs'
        expect colour_bad "message names the colours" "in cache colours 5 of 64, the free memory has"
        expect colour_bad "nothing started" "stdvmm-init: stopped; nothing was started"
        if [ "$(seen colour_bad "stdvmm[vm-a]")" -eq 0 ]; then pass "colour_bad: no VMM ran"
        else fail "colour_bad: a VMM ran"; fi
        ;;
    ctl) ctl_test ;;
    devown)
        log=$OUT/devown/console.log
        : >"$log"
        # shellcheck disable=SC2054 # commas are QEMU option syntax
        "$QEMU" -machine virt,virtualization=on,highmem=off,secure=off -cpu cortex-a53 -smp 4 \
            -m 2G -nographic -monitor none -device loader,file="$OUT/devown/image.elf",cpu-num=0 \
            </dev/null >"$log" 2>&1 &
        pid=$!
        start=$SECONDS
        state="wait"
        while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$TIMEOUT" ]; do
            state=$(devown_check "$log")
            [ "$state" = wait ] || break
            sleep 5
        done
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo "sel4-init: devown ran $((SECONDS - start)) s (console: $log)"
        expect devown "vm-a owns the PL031 first" "stdvmm-init: device rtc: handed from nobody to vm-a"
        # (the debug console is shared character by character between cores:
        # these patterns leave out the line starts that other output splits most)
        expect devown "moves by control request" "ctl: devown-move: move device 0 to"
        expect devown "unknown device refused" "moving device 3 refused: -2"
        expect devown "stale VM id refused" "moving to a stale id refused: -2"
        expect devown "both guest drivers bound" "vm-b| SEL4-GUEST: rtc driver: rtc-pl031"
        expect devown "after a move only the new owner's VMM holds the IRQ handler" \
            "capabilities after move 1: vm-a 8, vm-b 9"
        expect devown "after the move back only vm-a's" "capabilities after move 2: vm-a 9, vm-b 8"
        expect devown "old owner's access aborted by its VMM" "belongs to another VM now: injecting an external data abort"
        if [ "$state" = ok ]; then
            pass "devown: vm-a reads and takes alarms, move, vm-b does and vm-a faults without interrupts, move back, vm-a does and vm-b faults without interrupts"
        else
            fail "devown: handover cycle a -> b -> a not shown ($state)"
        fi
        if [ "$(tr -d '\r' <"$log" | grep -cE "Internal error|Unable to handle|Kernel panic|stdvmm\[vm-[ab]\]: error")" -eq 0 ]; then
            pass "devown: no guest Oops, no VMM error"
        else
            fail "devown: a guest Oops or a VMM error in the log"
        fi
        ;;
    *) fail "unknown system $t" ;;
    esac
done
echo "sel4-init: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
