#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# `make demo`: boot the emulated AArch64 machine (QEMU, TCG, with EL2 so
# its Linux has /dev/kvm) and in it run stdvmm with a Linux guest whose
# console is this terminal. The guest is the same Debian arm64 kernel with
# a busybox initramfs.
#   stdin is a terminal: the guest gives you a shell; `poweroff -f` stops
#                        the guest, then stdvmm exits and the machine stops.
#   otherwise:           the guest runs a few commands (uname, cpuinfo, ...)
#                        and powers off; exit status 0 if stdvmm exited 0,
#                        console also saved in build/e2e/demo.log.
# Environment:
#   CPUS=2          guest vCPUs (stdvmm --cpus)
#   MEM=256M        guest RAM (stdvmm --mem)
#   CONSOLE=serial  guest console: serial (PL011, ttyAMA0) or virtio (hvc0)
#   QUIET=0         1 hides the guest kernel's boot messages
#   INTERACTIVE=    1/0 forces the shell / the scripted run (default: tty?)
#   TIMEOUT=600     hard limit in seconds for a scripted run
# Keys: Ctrl-] x quits QEMU at once (Ctrl-] is QEMU's escape here, so that
# Ctrl-A reaches stdvmm).
# Example: CPUS=4 CONSOLE=virtio make demo
set -u
source "$(dirname "$0")/lib.sh"
cd "$E2E_REPO" || exit 1
cpus=${CPUS:-2}
mem=${MEM:-256M}
console=${CONSOLE:-serial}
quiet=${QUIET:-0}
case "$console" in serial | virtio) ;; *)
    echo "demo: CONSOLE must be serial or virtio, not '$console'" >&2
    exit 2
    ;;
esac
if [ -n "${INTERACTIVE:-}" ]; then
    interactive=$INTERACTIVE
elif [ -t 0 ] && [ -t 1 ]; then
    interactive=1
else
    interactive=0
fi
e2e_require || exit 1
[ -x "$E2E_STDVMM" ] || { echo "demo: $E2E_STDVMM missing: run make stdvmm" >&2; exit 1; }

mkdir -p "$E2E_OUT"
guest=$E2E_OUT/demo-guest.cpio.gz
outer=$E2E_OUT/demo-outer.cpio
mods=""
[ "$console" = virtio ] && mods="virtio_mmio virtio_console"
e2e_guest_initramfs "$guest" "$E2E_DIR/guest/init" "$mods" || exit 1
e2e_outer_initramfs "$outer" "$E2E_DIR/outer/demo.sh" "$guest:/guest/initrd.gz" || exit 1

echo "demo: stdvmm guest: $cpus CPUs, $mem, $console console; interactive=$interactive"
[ "$interactive" = 1 ] && echo "demo: 'poweroff -f' in the guest ends the demo; Ctrl-] x kills QEMU"
args=("${E2E_MACHINE[@]}" -echr 29 -kernel "$E2E_KERNEL" -initrd "$outer"
    -append "$E2E_OUTER_CMDLINE e2e.cpus=$cpus e2e.mem=$mem e2e.console=$console e2e.quiet=$quiet e2e.interactive=$interactive")
if [ "$interactive" = 1 ]; then
    exec "$E2E_QEMU" "${args[@]}"
fi
# Scripted: the console goes to the terminal and to a log; the exit status
# says whether stdvmm ran the guest to its poweroff.
log=$E2E_OUT/demo.log
timeout -k 5 "${TIMEOUT:-600}" "$E2E_QEMU" "${args[@]}" </dev/null | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 124 ]; then
    echo "demo: stopped after ${TIMEOUT:-600} s (TIMEOUT)" >&2
    exit 1
fi
tr -d '\r' <"$log" | grep -q '^OUTER: stdvmm exit status 0$' || {
    echo "demo: stdvmm did not exit 0 (log: $log)" >&2
    exit 1
}
