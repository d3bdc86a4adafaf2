# SPDX-License-Identifier: BSD-2-Clause
#
# Helpers for test scripts inside the outer machine (busybox sh), installed
# as /lib/e2e.sh and sourced by /init before /test.sh.
#   e2e_pass NAME / e2e_fail NAME REASON   print the verdict markers
#   e2e_arg KEY                            value of KEY=... on /proc/cmdline
#   e2e_show NAME LOG                      print LOG, each line prefixed
#   e2e_vmm NAME SECS LOG ARGS...          stdvmm ARGS, stdin /dev/null,
#                                          output to LOG; status in E2E_RC
#   e2e_vmm_input NAME SECS LOG READY TEXT ARGS...
#                                          same, but once READY shows in LOG
#                                          write TEXT (one line) to stdin
#   e2e_expect NAME LOG PATTERN REASON     pass if grep finds PATTERN in LOG
E2E_GUEST_KERNEL=/guest/Image
E2E_GUEST_INITRD=/guest/initrd.gz
E2E_GUEST_CMDLINE="console=ttyAMA0 quiet panic=-1 rdinit=/init"

e2e_pass() { echo "E2E-PASS: $1"; }
e2e_fail() { echo "E2E-FAIL: $1: $2"; }

e2e_arg() {
    tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n1
}

e2e_show() {
    tr -d '\r' <"$2" | sed "s/^/  $1| /"
}

e2e_vmm() {
    local name=$1 secs=$2 log=$3
    shift 3
    echo "OUTER: $name: stdvmm $*"
    timeout "$secs" stdvmm "$@" </dev/null >"$log" 2>&1
    E2E_RC=$?
    e2e_show "$name" "$log"
    echo "OUTER: $name: exit status $E2E_RC"
}

e2e_vmm_input() {
    local name=$1 secs=$2 log=$3 ready=$4 text=$5 fifo=/tmp/$1.in pid n=0
    shift 5
    echo "OUTER: $name: stdvmm $* (stdin: '$text' after '$ready')"
    rm -f "$fifo"
    mkfifo "$fifo"
    : >"$log"
    timeout "$secs" stdvmm "$@" <"$fifo" >"$log" 2>&1 &
    pid=$!
    # Holding the fifo open keeps stdvmm's stdin from seeing EOF.
    exec 3>"$fifo"
    while ! grep -q "$ready" "$log" && [ $n -lt $((secs * 10)) ]; do
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
        n=$((n + 1))
    done
    if grep -q "$ready" "$log"; then
        # In a subshell: if stdvmm is gone, SIGPIPE ends that, not us.
        (echo "$text" >&3) 2>/dev/null
    else
        echo "OUTER: $name: '$ready' never appeared; sending nothing"
    fi
    wait $pid
    E2E_RC=$?
    exec 3>&-
    rm -f "$fifo"
    e2e_show "$name" "$log"
    echo "OUTER: $name: exit status $E2E_RC"
}

e2e_expect() {
    if tr -d '\r' <"$2" | grep -q "$3"; then
        e2e_pass "$1"
    else
        e2e_fail "$1" "$4"
    fi
}

# Background runs, for checks where the outer side acts while the guest runs:
#   e2e_vmm_start NAME SECS LOG ARGS...    stdvmm ARGS in the background
#                                          (stdin /dev/null); pid in E2E_PID
#   e2e_wait_log LOG PATTERN SECS          until PATTERN is in LOG: 0, or 1
#                                          after SECS or once stdvmm is gone
#   e2e_vmm_finish NAME LOG                wait for it, show LOG; E2E_RC
e2e_vmm_start() {
    local name=$1 secs=$2 log=$3
    shift 3
    echo "OUTER: $name: stdvmm $*"
    : >"$log"
    timeout "$secs" stdvmm "$@" </dev/null >"$log" 2>&1 &
    E2E_PID=$!
}

e2e_wait_log() {
    local n=0
    while ! grep -q "$2" "$1"; do
        if [ $n -ge $(($3 * 10)) ] || ! kill -0 "$E2E_PID" 2>/dev/null; then
            grep -q "$2" "$1"
            return
        fi
        sleep 0.1
        n=$((n + 1))
    done
}

e2e_vmm_finish() {
    wait "$E2E_PID"
    E2E_RC=$?
    e2e_show "$1" "$2"
    echo "OUTER: $1: exit status $E2E_RC"
}
