#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The hostile-guest tests (`make attack`; scripts/check.sh runs them): one
# boot of the emulated AArch64 machine (tests/e2e/lib.sh) in which stdvmm
# runs the attacking guest of this directory (outer.sh) and then the
# isolation and crash-integrity checks (integrity.sh, integrity-init). Prints PASS/FAIL per check
# and `N passed, N failed`. Environment:
#   STDVMM=path         the arm64 stdvmm (default build/aarch64/stdvmm)
#   ATTACK_IMAGE=path   the attacking guest (default build/attack/Image)
#   ATTACK_OUT=dir      logs and scratch (default build/attack)
#   E2E_TIMEOUT=s       limit for the emulated machine (default 420)
#   ATTACK_CMDLINE=...  extra outer kernel arguments, e.g. attack.secs=40 (the
#                       attacking guest's limit inside, default 240 s)
#   ATTACK_CASES=list   which groups run, comma-separated (default all):
#                       main (the per-device attacks, confinement, kill -9),
#                       console (flood with a stalled stdout reader), vsock
set -u
here=$(cd "$(dirname "$0")" && pwd)
export E2E_OUT=${ATTACK_OUT:-$here/../../build/attack}
source "$here/../e2e/lib.sh"
cd "$E2E_REPO" || exit 1
start=$SECONDS
mkdir -p "$E2E_OUT"
E2E_OUT=$(cd "$E2E_OUT" && pwd)
image=${ATTACK_IMAGE:-$E2E_REPO/build/attack/Image}
exec 9>"$E2E_OUT/.lock"
flock -w 900 9 || { e2e_log "another attack run holds $E2E_OUT"; exit 1; }

finish() {
    echo "attack: $((SECONDS - start)) s, logs in $E2E_OUT"
    echo "$E2E_PASSED passed, $E2E_FAILED failed"
    [ "$E2E_FAILED" -eq 0 ]
    exit
}

if ! e2e_require; then
    e2e_result attack-dependencies 1 "see above"
    finish
fi
if [ ! -f "$image" ] || [ ! -x "$E2E_STDVMM" ]; then
    e2e_log "building stdvmm and the attacking guest"
    nice make -s -j2 stdvmm attack-guest >"$E2E_OUT/make.log" 2>&1 || tail -n 20 "$E2E_OUT/make.log"
fi

# The disk the guest reads: a marker at the start of sector 0 (vdrv.c).
disk=$E2E_OUT/disk.img
printf 'STDVMM-ATTACK-DISK sector 0\n' >"$disk"
truncate -s 1M "$disk"

# The Linux guest of the crash-integrity check (integrity.sh).
integrity=$E2E_OUT/integrity.cpio.gz
if ! e2e_guest_initramfs "$integrity" "$here/integrity-init" "virtio_mmio virtio_blk"; then
    e2e_result integrity-initramfs 1 "could not build $integrity"
    finish
fi

# The host end of the vsock cases: the e2e vsock helper, static.
vsock_host=$E2E_OUT/vsock-host
if ! aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static \
    -o "$vsock_host" "$E2E_DIR/vsock/vsock_host.c" "$E2E_DIR/vsock/xfer.c"; then
    e2e_result attack-vsock-host-tool 1 "could not build $vsock_host"
    finish
fi

files=("$image:/attack/Image" "$disk:/attack/disk.img" "$integrity:/attack/integrity.cpio.gz"
    "$here/integrity.sh:/attack/integrity.sh" "$here/flood.sh:/attack/flood.sh"
    "$vsock_host:/bin/vsock-host")
cases=${ATTACK_CASES:-all}
checks=()
case ",$cases," in *,all,* | *,main,*)
    checks+=(attack-vmm-survived attack-guest-verdicts attack-console-output attack-log-once
        attack-disk-intact isolation-confined integrity-kill9 isolation-chroot-error) ;;
esac
case ",$cases," in *,all,* | *,console,*)
    checks+=(attack-console-flood-sigterm attack-console-flood-dropped) ;;
esac
case ",$cases," in *,all,* | *,vsock,*)
    checks+=(attack-vsock-verdicts attack-vsock-sigterm) ;;
esac
if [ ${#checks[@]} -eq 0 ]; then
    e2e_result attack-cases 1 "ATTACK_CASES=$cases selects nothing (main, console, vsock, all)"
    finish
fi

outer=$E2E_OUT/outer.cpio log=$E2E_OUT/attack.log
if ! e2e_outer_initramfs "$outer" "$here/outer.sh" "${files[@]}"; then
    e2e_result attack-initramfs 1 "could not build $outer"
    finish
fi
echo "attack: booting the emulated machine (log $log)"
t=$SECONDS
e2e_run_outer "$log" "${E2E_TIMEOUT:-420}" "$outer" "attack.cases=$cases ${ATTACK_CMDLINE:-}"
echo "attack: emulated machine: status $? after $((SECONDS - t)) s"
e2e_check "$log" "${checks[@]}"
[ "${E2E_VERBOSE:-0}" = 1 ] && tr -d '\r' <"$log"
finish
