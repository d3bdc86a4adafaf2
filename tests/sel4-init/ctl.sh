# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# The ctl system's checks (stdvmm-init's control interface), sourced by
# tests/sel4-init/run.sh (SEL4_INIT_TESTS=ctl), which defines boot, seen,
# expect, pass and fail. The scripted client ctl-test
# (examples/sel4-init/ctl/client_test.c) and ctl-view (client_view.c) run
# in the system; this reads what they and stdvmm-init printed:
#   - every PD's capability list at start (boot-vm, ctl-view, ctl-test);
#   - ctl-view, without the control capability: each operation refused by
#     stdvmm-init (EPERM), and its call on an empty slot refused by the
#     kernel (EACCES), stdvmm-init never saw it;
#   - 100 create/start/destroy cycles: the free untyped byte count before
#     and after, compared here;
#   - tiny-1 through start, stop, start, restart, destroy: after each start
#     its guest says "boot 1" (a boot counter in fresh RAM), never "boot 2";
#   - the refusals ctl-test expects, no unexpected result, no error;
#   - a Linux VM created at run time reaches /init.

ctl_test() {
    local log=$OUT/ctl/console.log line n before after
    # 100 cycles and a Linux boot: more than one boot's default on a loaded host
    # shellcheck disable=SC2034 # read by boot (run.sh)
    local TIMEOUT=${SEL4_TIMEOUT:-1800}
    boot ctl "ctl-test: done" "linux\| SEL4-GUEST: reached /init|stdvmm\[linux\]: error"
    expect ctl "capability list of the description's VM at start" \
        "stdvmm-init: capabilities of PD boot-vm (CNode of 256 slots, 8 filled by stdvmm-init):"
    expect ctl "capability list of a control client: one endpoint, write + grant-reply" \
        "stdvmm-init:   slot   1  endpoint      rights -W-g  badge 0x102"
    expect ctl "a client without the control capability: create refused by stdvmm-init" \
        "ctl-view: create refused: -1 (EPERM)"
    for op in stop start restart destroy caps; do
        expect ctl "a client without the control capability: $op refused" \
            "ctl-view: $op boot-vm refused: -1 (EPERM)"
    done
    expect ctl "a call without any capability is refused by the kernel" \
        "ctl-view: info without a capability refused by the kernel: -13"
    line=$(tr -d '\r' <"$log" | grep -a "^ctl-test: [0-9]* create/start/destroy cycles: " | tail -n1)
    n=$(echo "$line" | sed -n 's/^ctl-test: \([0-9]*\) create.*/\1/p')
    before=$(echo "$line" | sed -n 's/.* before \([0-9]*\) after .*/\1/p')
    after=$(echo "$line" | sed -n 's/.* after \([0-9]*\) .*/\1/p')
    echo "sel4-init: ctl: ${n:-?} create/start/destroy cycles, free untyped bytes before ${before:-?}, after ${after:-?}"
    if [ "${n:-0}" = 100 ] && [ -n "$before" ] && [ "$before" = "$after" ]; then
        pass "ctl: 100 create/start/destroy cycles leave the free untyped bytes unchanged ($before)"
    else
        fail "ctl: cycles ${n:-?}/100, free untyped bytes before '${before}' after '${after}'"
    fi
    # Between each start of tiny-1 (ctl-test prints a marker before it) and
    # the next marker (stop, the next start, destroy): its guest's line.
    n=$(tr -d '\r' <"$log" | awk '
        /^ctl-test: tiny-1 starting \(/ { if (open) bad++; open = 1; next }
        /^ctl-test: tiny-1 (stopping|destroying)/ { if (open) bad++; open = 0; next }
        /CTL-GUEST: hello from the tiny guest \(boot 1\)/ { if (open) { good++; open = 0 } }
        END { print (bad ? -1 : good + 0) }')
    if [ "$n" = 3 ]; then pass "ctl: tiny-1 booted fresh after start, start after stop, restart"
    else fail "ctl: tiny-1's guest printed after $n of its 3 starts (-1: a start without it)"; fi
    if [ "$(seen ctl "CTL-GUEST: hello from the tiny guest (boot 2)")" -eq 0 ]; then
        pass "ctl: no guest ever saw RAM of an earlier run (no boot 2)"
    else fail "ctl: a guest counted a second boot in reused RAM"; fi
    expect ctl "a destroyed VM's id is refused" "ctl-test: start with the destroyed VM's id (refused): -2"
    expect ctl "a core the kernel does not have is refused with its message" \
        "stdvmm-init: ctl: create far refused (-34): far: "
    expect ctl "the description's VM can be destroyed" "ctl-test: destroy the description's VM: 0"
    expect ctl "ctl-test finished with every result as expected" "ctl-test: done, 0 unexpected result(s)"
    expect ctl "a Linux VM created at run time reaches /init" "linux| SEL4-GUEST: reached /init"
    if [ "$(seen ctl "stdvmm-init: error")" -eq 0 ] && [ "$(seen ctl "UNEXPECTED")" -eq 0 ]; then
        pass "ctl: no errors"
    else fail "ctl: errors or unexpected results (see $log)"; fi
}
