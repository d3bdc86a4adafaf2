#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# stdvmm's benchmark suite: `make bench` (or bench/run.sh). Inside the
# emulated AArch64 machine of tests/e2e (QEMU TCG with EL2, /dev/kvm in
# the outer Linux) it runs the same guest under stdvmm and under Debian's
# arm64 qemu-system-aarch64 -enable-kvm -machine virt -cpu host (the peer),
# interleaved A B A B (bench/outer.sh), then writes
#   build/bench/results.json   every sample, medians, stdvmm/peer ratios
#   build/bench/results.png    bars per metric (gnuplot)
#   docs/PERFORMANCE.md        the table, machine, versions, the command
# `bench/run.sh --smoke` (make bench-smoke, a scripts/check.sh stage): one
# short repetition into build/bench/smoke/, docs untouched; it fails only
# when the suite is broken (a metric without a value), never on speed.
# Environment: BENCH_REPS (default 5), BENCH_TIMEOUT (s), STDVMM=path;
# BENCH_KVMTOOL=path/to/lkvm-static (optional, static arm64; built by you,
# never by this script) adds kvmtool as a second peer of the boot-to-/init
# launches (kind init); BENCH_STDVMM_B=path/to/another/stdvmm (optional,
# static arm64) runs that build as vmm stdvmm-b beside stdvmm with the same
# options (an A/B comparison, bench/ab.py writes $out/ab.txt); for quick
# private runs (with BENCH_OUT): BENCH_KINDS=boot (comma list of
# start,init,boot,exit,exitx; exitx is never in the default), BENCH_VMMS
# (comma list of stdvmm,stdvmm-b,qemu,kvmtool,rawkvm: only these run; the
# report then lacks rows and fails, read ab.txt) and BENCH_NET=seconds.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
repo=$(cd "$BENCH_DIR/.." && pwd)
if [ $smoke = 1 ]; then
    out=${BENCH_OUT:-$repo/build/bench/smoke}
    reps=${BENCH_REPS:-1} seq=8 rand=1 net=1 disk=32
    limit=${BENCH_TIMEOUT:-1200}
else
    out=${BENCH_OUT:-$repo/build/bench}
    reps=${BENCH_REPS:-5} seq=64 rand=3 net=3 disk=128
    limit=${BENCH_TIMEOUT:-7200}
fi
net=${BENCH_NET:-$net}
kinds=${BENCH_KINDS:-start,init,boot,exit}
export E2E_OUT=$out
# shellcheck source=tests/e2e/lib.sh
source "$repo/tests/e2e/lib.sh"
cd "$repo" || exit 1
mkdir -p "$out/bin" "$out/stage"
log() { echo "bench: $*" >&2; }

exec 9>"$out/.lock"
flock -w 1800 9 || { log "another benchmark holds $out/.lock"; exit 1; }

if [ "${BENCH_NO_DEPS:-0}" != 1 ]; then
    scripts/deps.sh bench || { log "scripts/deps.sh bench failed"; exit 1; }
fi
e2e_require || exit 1
if [ -z "${STDVMM:-}" ]; then
    nice make -s -j2 stdvmm || { log "make stdvmm failed"; exit 1; }
fi
[ -x "$E2E_STDVMM" ] || { log "no $E2E_STDVMM"; exit 1; }

# ------------------------------------------------------------ programs
cc=${CROSS:-aarch64-linux-gnu-}gcc
warn=(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla)
build() {
    nice "$cc" -std=gnu11 -D_GNU_SOURCE -O2 "${warn[@]}" -static "$@"
}
build -o "$out/bin/benchtool" bench/tool/*.c || exit 1
build -o "$out/bin/rawkvm" bench/rawkvm.c || exit 1
nice "$cc" -std=c11 -O2 "${warn[@]}" -ffreestanding -nostdlib -fno-stack-protector \
    -mstrict-align -mgeneral-regs-only -static -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
    -T bench/exitloop/exitloop.ld -o "$out/bin/exitloop.elf" \
    bench/exitloop/start.S bench/exitloop/exitloop.c || exit 1
"${CROSS:-aarch64-linux-gnu-}"objcopy -O binary "$out/bin/exitloop.elf" "$out/bin/exitloop.Image"

# ------------------------------------------------------------ the peer
# qemu-system-aarch64 and the closure of its NEEDED libraries, from the
# arm64 packages scripts/deps.sh unpacked.
peer_bin=$E2E_ARM64/usr/bin/qemu-system-aarch64
[ -x "$peer_bin" ] || { log "no $peer_bin (scripts/deps.sh bench)"; exit 1; }
find_lib() {
    local d
    for d in "$E2E_ARM64/lib/aarch64-linux-gnu" "$E2E_ARM64/usr/lib/aarch64-linux-gnu"; do
        [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    return 1
}
declare -A peer_libs=()
peer_closure() {
    local so path
    for so in $("${CROSS:-aarch64-linux-gnu-}"readelf -d "$1" 2>/dev/null |
        sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -n "${peer_libs[$so]:-}" ] && continue
        path=$(find_lib "$so") || { log "peer: library $so not found"; return 1; }
        peer_libs[$so]=$path
        peer_closure "$path" || return 1
    done
}
peer_closure "$peer_bin" || exit 1
peer_files=("$peer_bin:/usr/bin/qemu-system-aarch64")
peer_bytes=$(stat -L -c %s "$peer_bin")
loader=$(find_lib ld-linux-aarch64.so.1) || { log "no arm64 ld.so"; exit 1; }
rm -rf "$out/stage/peer"
mkdir -p "$out/stage/peer"
for so in "${!peer_libs[@]}" ld-linux-aarch64.so.1; do
    src=${peer_libs[$so]:-$loader}
    cp -L "$src" "$out/stage/peer/$so"
    peer_bytes=$((peer_bytes + $(stat -c %s "$out/stage/peer/$so")))
    peer_files+=("$out/stage/peer/$so:/lib/aarch64-linux-gnu/$so")
done
peer_files+=("$out/stage/peer/ld-linux-aarch64.so.1:/lib/ld-linux-aarch64.so.1")
stdvmm_bytes=$(stat -L -c %s "$E2E_STDVMM")
kvmtool_files=()
if [ -n "${BENCH_KVMTOOL:-}" ]; then
    [ -f "$BENCH_KVMTOOL" ] || { log "no BENCH_KVMTOOL=$BENCH_KVMTOOL"; exit 1; }
    "${CROSS:-aarch64-linux-gnu-}"readelf -d "$BENCH_KVMTOOL" 2>/dev/null | grep -q NEEDED &&
        { log "BENCH_KVMTOOL=$BENCH_KVMTOOL is not a static binary"; exit 1; }
    kvmtool_files=("$BENCH_KVMTOOL:/bin/lkvm")
fi
stdvmm_b_files=()
if [ -n "${BENCH_STDVMM_B:-}" ]; then
    [ -f "$BENCH_STDVMM_B" ] || { log "no BENCH_STDVMM_B=$BENCH_STDVMM_B"; exit 1; }
    "${CROSS:-aarch64-linux-gnu-}"readelf -d "$BENCH_STDVMM_B" 2>/dev/null | grep -q NEEDED &&
        { log "BENCH_STDVMM_B=$BENCH_STDVMM_B is not a static binary"; exit 1; }
    stdvmm_b_files=("$BENCH_STDVMM_B:/bin/stdvmm-b")
fi
peer_version=$(dpkg-deb -f "$(ls -t build/deps/debs/qemu-system-arm_*_arm64.deb | head -n1)" Version)

# ------------------------------------------------------------ images
guest_initrd=$out/guest.cpio.gz
e2e_guest_initramfs "$guest_initrd" bench/guest/init "virtio_mmio virtio_blk virtio_net" \
    "$out/bin/benchtool:/bin/benchtool" || { log "guest initramfs failed"; exit 1; }
# The outer machine's tap needs tun.ko (and whatever it depends on).
mods=()
rm -rf "$out/stage/mods"
mkdir -p "$out/stage/mods"
while IFS= read -r m; do
    base=${m##*/}
    base=${base%%.ko*}
    base=${base//-/_}
    e2e_mod_cat "$m" >"$out/stage/mods/$base.ko"
    echo "$base" >>"$out/stage/mods/order"
    mods+=("$out/stage/mods/$base.ko:/lib/modules/bench/$base.ko")
done < <(e2e_modules tun ${BENCH_DISKFS:+loop})
mods+=("$out/stage/mods/order:/lib/modules/bench/order")
outer=$out/outer.cpio
e2e_outer_initramfs "$outer" bench/outer.sh "$guest_initrd:/guest/initrd.gz" \
    "$out/bin/benchtool:/bin/benchtool" "$out/bin/rawkvm:/bin/rawkvm" \
    "$out/bin/exitloop.Image:/bench/exitloop.Image" "${mods[@]}" "${peer_files[@]}" \
    ${kvmtool_files[@]+"${kvmtool_files[@]}"} ${stdvmm_b_files[@]+"${stdvmm_b_files[@]}"} ||
    { log "outer initramfs failed"; exit 1; }

# ------------------------------------------------------------ run
machine_log=$out/bench.log
log "running $reps repetition(s) in the emulated machine (limit $limit s, log $machine_log)"
t=$SECONDS
e2e_run_outer "$machine_log" "$limit" "$outer" \
    "bench.reps=$reps bench.seq=$seq bench.rand=$rand bench.net=$net bench.disk=$disk bench.kinds=$kinds bench.vmms=${BENCH_VMMS:-} bench.diskfs=${BENCH_DISKFS:-}"
rc=$?
log "emulated machine: status $rc after $((SECONDS - t)) s"

if [ -n "${BENCH_STDVMM_B:-}" ]; then
    python3 bench/ab.py "$machine_log" >"$out/ab.txt" && cat "$out/ab.txt" >&2
fi
cmd="make bench"
[ $smoke = 1 ] && cmd="make bench-smoke"
args=(--log "$machine_log" --json "$out/results.json" --png "$out/results.png"
    --command "$cmd" --reps "$reps" --stdvmm-bytes "$stdvmm_bytes" --peer-bytes "$peer_bytes"
    --peer-package "qemu-system-arm $peer_version (Debian arm64)"
    --host "$(uname -srm), $(nproc) cpus, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
    --outer-qemu "$("$E2E_QEMU" --version | head -n1)"
    --settings "seq=${seq}MiB rand=${rand}s net=${net}s disk=${disk}MiB")
[ $smoke = 1 ] && args+=(--smoke) || args+=(--md docs/PERFORMANCE.md)
python3 bench/report.py "${args[@]}"
