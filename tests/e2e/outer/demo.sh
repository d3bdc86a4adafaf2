# SPDX-License-Identifier: BSD-2-Clause
#
# The demo, inside the outer machine (sourced by /init): one stdvmm guest
# on this machine's console. Settings come from the kernel command line
# (e2e.cpus, e2e.mem, e2e.console, e2e.quiet, e2e.interactive), set by
# tests/e2e/demo.sh.
cpus=$(e2e_arg e2e.cpus)
mem=$(e2e_arg e2e.mem)
console=$(e2e_arg e2e.console)
interactive=$(e2e_arg e2e.interactive)
gcmd="console=ttyAMA0 panic=-1 rdinit=/init e2e.test=shell e2e.console=$console"
[ "$console" = virtio ] && gcmd="console=ttyAMA0 console=hvc0 ${gcmd#console=ttyAMA0 }"
[ "$(e2e_arg e2e.quiet)" = 1 ] && gcmd="$gcmd quiet"
[ "$interactive" = 1 ] && gcmd="$gcmd e2e.interactive=1"
set -- run --kernel $E2E_GUEST_KERNEL --initrd $E2E_GUEST_INITRD --cpus "$cpus" \
    --mem "$mem" --console "$console" --cmdline "$gcmd"
echo "OUTER: stdvmm $*"
if ! command -v stdvmm >/dev/null; then
    echo "OUTER: stdvmm is not in this image (make stdvmm)"
elif [ "$interactive" = 1 ]; then
    # stdvmm puts this console (its stdin) in raw mode while it runs, so
    # the guest's own tty does the echo and line editing.
    stdvmm "$@"
    echo "OUTER: stdvmm exit status $?"
else
    stdvmm "$@" </dev/null
    echo "OUTER: stdvmm exit status $?"
fi
