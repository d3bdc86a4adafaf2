# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
#
# Host-side helpers for stdvmm's end-to-end tests; sourced by run.sh and
# demo.sh, never run on its own. The picture:
#
#   x86 host --qemu-system-aarch64 (TCG, EL2)--> outer Linux with /dev/kvm
#     outer /init runs a test script (tests/e2e/outer/*.sh) that starts
#     stdvmm guests: the same Debian arm64 kernel, a small busybox initramfs
#     whose /init (tests/e2e/guest/init) runs the check named on its cmdline.
#
# Verdicts are marker lines on the outer serial console, which is captured
# to a log: `E2E-PASS: <name>` or `E2E-FAIL: <name>: <reason>`. Guest lines
# start with `GUEST:`; outer lines with `OUTER:`.
#
# Functions (all return 0 on success, non-zero with a message on stderr):
#   e2e_require                     check tools and unpacked deps are present
#   e2e_modules NAME...             print .ko paths of NAMEs and their deps,
#                                   dependencies first
#   e2e_guest_initramfs OUT INIT MODS [SRC:DST...]
#                                   gzip'd newc cpio: busybox, INIT as /init,
#                                   the modules MODS (space-separated names)
#                                   with deps, extra files
#   e2e_outer_initramfs OUT SCRIPT [SRC:DST...]
#                                   newc cpio: busybox, stdvmm, guest kernel,
#                                   outer /init running SCRIPT, extra files,
#                                   the modules named in E2E_OUTER_MODS
#   e2e_run_outer LOG SECS INITRD [CMDLINE-EXTRA]
#                                   boot the emulated machine, console to LOG
#   e2e_check LOG NAME...           count each NAME as passed or failed from
#                                   its markers in LOG; explain failures
# Counters: E2E_PASSED, E2E_FAILED.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_DIR/../.." && pwd)
E2E_OUT=${E2E_OUT:-$E2E_REPO/build/e2e}
E2E_ARM64=$E2E_REPO/build/deps/arm64
E2E_BUSYBOX=$E2E_ARM64/bin/busybox
E2E_STDVMM=${STDVMM:-$E2E_REPO/build/aarch64/stdvmm}
E2E_QEMU=${QEMU:-qemu-system-aarch64}
E2E_KERNEL=${E2E_KERNEL:-$(ls "$E2E_ARM64"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)}
E2E_KVER=${E2E_KERNEL##*/vmlinuz-}
E2E_MODDIR=$E2E_ARM64/lib/modules/$E2E_KVER
E2E_OUTER_CMDLINE="console=ttyAMA0 quiet panic=-1 rdinit=/init"
# The emulated machine: EL2 so the outer kernel gets KVM; pauth-impdef
# makes -cpu max about 3x faster under TCG.
# shellcheck disable=SC2054 # commas are QEMU option syntax
E2E_MACHINE=(-machine virt,virtualization=on,gic-version=3
    -cpu max,pauth-impdef=on -smp 2 -m 2G -nic none -nographic -no-reboot)
E2E_PASSED=0
E2E_FAILED=0

e2e_log() { echo "e2e: $*" >&2; }

e2e_require() {
    local missing=()
    local t
    for t in "$E2E_QEMU" cpio gzip timeout; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ -x "$E2E_BUSYBOX" ] || missing+=("$E2E_BUSYBOX")
    [ -f "$E2E_KERNEL" ] || missing+=("arm64 kernel under $E2E_ARM64/boot")
    [ -d "$E2E_MODDIR" ] || missing+=("$E2E_MODDIR")
    if [ ${#missing[@]} -gt 0 ]; then
        e2e_log "missing: ${missing[*]} (run scripts/deps.sh e2e)"
        return 1
    fi
}

# ------------------------------------------------------------ kernel modules
# Module names use '_' (KBUILD_MODNAME); file names may use '-'.
declare -gA E2E_MOD_PATH=()

e2e_mod_index() {
    [ ${#E2E_MOD_PATH[@]} -gt 0 ] && return 0
    local f base
    while IFS= read -r f; do
        base=${f##*/}
        base=${base%%.ko*}
        E2E_MOD_PATH[${base//-/_}]=$f
    done < <(find "$E2E_MODDIR/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
    [ ${#E2E_MOD_PATH[@]} -gt 0 ] || { e2e_log "no modules under $E2E_MODDIR"; return 1; }
}

# Print a module file's contents uncompressed.
e2e_mod_cat() {
    case $1 in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -qdc "$1" ;;
    *) cat "$1" ;;
    esac
}

# The `depends=` entry of the module's .modinfo section (comma-separated).
e2e_mod_depends() {
    e2e_mod_cat "$1" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -n1
}

# Depth-first, dependencies before dependents; each module once.
e2e_mod_visit() {
    local name=${1//-/_} dep deps
    case ${_e2e_mod_state[$name]:-} in
    'done') return 0 ;;
    busy) e2e_log "module dependency cycle at $name"; return 1 ;;
    esac
    local path=${E2E_MOD_PATH[$name]:-}
    [ -n "$path" ] || { e2e_log "no module $name in $E2E_MODDIR"; return 1; }
    _e2e_mod_state[$name]=busy
    deps=$(e2e_mod_depends "$path")
    for dep in ${deps//,/ }; do
        e2e_mod_visit "$dep" || return 1
    done
    _e2e_mod_state[$name]='done'
    echo "$path"
}

e2e_modules() {
    e2e_mod_index || return 1
    declare -gA _e2e_mod_state=()
    local m
    for m in "$@"; do
        e2e_mod_visit "$m" || return 1
    done
}

# ------------------------------------------------------------ initramfs
# newc header for one entry; NAME without leading '/'.
e2e_cpio_header() {
    local name=$1 mode=$2 size=$3 rmaj=$4 rmin=$5
    local namesize=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 "$mode" 0 0 1 0 "$size" 0 0 "$rmaj" "$rmin" "$namesize" 0
    printf '%s\0' "$name"
    # Header (110 bytes) plus name is padded to a multiple of 4.
    local pad=$(((4 - (110 + namesize) % 4) % 4))
    head -c "$pad" /dev/zero
}

# A tiny archive with /dev/console, so init has stdio before devtmpfs is
# mounted. Written by hand: mknod would need root on the host.
e2e_cpio_console() {
    e2e_cpio_header dev $((0040755)) 0 0 0
    e2e_cpio_header dev/console $((0020600)) 0 5 1
    e2e_cpio_header TRAILER!!! 0 0 0 0
    # Archives end on a 512-byte boundary by convention; 4 is enough for
    # the kernel, and concatenated archives are unpacked in order.
}

# Stage busybox and a minimal tree into DIR.
e2e_stage_base() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,lib}
    cp "$E2E_BUSYBOX" "$dir/bin/busybox"
    ln -s busybox "$dir/bin/sh"
}

# Copy SRC:DST pairs into DIR (DST absolute inside the image).
e2e_stage_files() {
    local dir=$1 pair src dst
    shift
    for pair in "$@"; do
        src=${pair%%:*}
        dst=${pair#*:}
        [ -e "$src" ] || { e2e_log "missing file $src"; return 1; }
        mkdir -p "$dir$(dirname "$dst")"
        cp -a "$src" "$dir$dst"
    done
}

# Pack DIR as newc (then the console node) into OUT; gzip if ZIP=1.
e2e_pack() {
    local dir=$1 out=$2 zip=$3
    mkdir -p "$(dirname "$out")"
    {
        (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
            cpio -o -H newc -R 0:0 --quiet) || return 1
        e2e_cpio_console
    } >"$out.tmp" || return 1
    if [ "$zip" = 1 ]; then
        gzip -n -6 <"$out.tmp" >"$out" && rm -f "$out.tmp"
    else
        mv "$out.tmp" "$out"
    fi
}

# Modules MODS (space-separated names) and their dependencies, flat in
# DIR/lib/modules/e2e, load order in its file `order`.
e2e_stage_modules() {
    local dir=$1 mods=$2 m order=()
    mkdir -p "$dir/lib/modules/e2e"
    [ -n "$mods" ] || return 0
    # shellcheck disable=SC2086
    mapfile -t order < <(e2e_modules $mods) || return 1
    [ ${#order[@]} -gt 0 ] || return 1
    for m in "${order[@]}"; do
        local base=${m##*/}
        base=${base%%.ko*}
        e2e_mod_cat "$m" >"$dir/lib/modules/e2e/${base//-/_}.ko" || return 1
        echo "${base//-/_}" >>"$dir/lib/modules/e2e/order"
    done
}

e2e_guest_initramfs() {
    local out=$1 init=$2 mods=$3
    shift 3
    local dir=$out.d
    e2e_stage_base "$dir" || return 1
    cp "$init" "$dir/init" && chmod 755 "$dir/init"
    e2e_stage_modules "$dir" "$mods" || return 1
    e2e_stage_files "$dir" "$@" || return 1
    e2e_pack "$dir" "$out" 1
    rm -rf "$dir"
}

# Uncompressed: the outer kernel unpacks it under TCG, where gunzip of the
# guest kernel would cost seconds.
e2e_outer_initramfs() {
    local out=$1 script=$2
    shift 2
    local dir=$out.d
    e2e_stage_base "$dir" || return 1
    cp "$E2E_DIR/outer/init" "$dir/init" && chmod 755 "$dir/init"
    cp "$E2E_DIR/outer/lib.sh" "$dir/lib/e2e.sh"
    cp "$script" "$dir/test.sh"
    e2e_stage_modules "$dir" "${E2E_OUTER_MODS:-}" || return 1
    mkdir -p "$dir/guest"
    cp "$E2E_KERNEL" "$dir/guest/Image"
    if [ -x "$E2E_STDVMM" ]; then
        cp "$E2E_STDVMM" "$dir/bin/stdvmm"
    else
        e2e_log "note: $E2E_STDVMM not built; tests that need it will fail"
    fi
    e2e_stage_files "$dir" "$@" || return 1
    e2e_pack "$dir" "$out" 0
    rm -rf "$dir"
}

# ------------------------------------------------------------ arm64 programs
# e2e_arm64_program_files BIN:DST...: print SRC:DST pairs for the unpacked
# arm64 programs and every library their ELF NEEDED entries reach (from
# build/deps/arm64, as bench/ does for QEMU), with the dynamic loader.
e2e_arm64_program_files() {
    local -A seen=()
    local queue=() pair so path d
    e2e_find_arm64_lib() {
        for d in "$E2E_ARM64/lib/aarch64-linux-gnu" "$E2E_ARM64/usr/lib/aarch64-linux-gnu"; do
            [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
        done
        return 1
    }
    for pair in "$@"; do
        [ -x "${pair%%:*}" ] || { e2e_log "missing ${pair%%:*} (scripts/deps.sh vhost)"; return 1; }
        echo "$pair"
        queue+=("${pair%%:*}")
    done
    while [ ${#queue[@]} -gt 0 ]; do
        path=${queue[0]}
        queue=("${queue[@]:1}")
        for so in $("${CROSS:-aarch64-linux-gnu-}"readelf -d "$path" 2>/dev/null |
            sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
            [ -n "${seen[$so]:-}" ] && continue
            seen[$so]=1
            d=$(e2e_find_arm64_lib "$so") || { e2e_log "library $so not found"; return 1; }
            echo "$(readlink -f "$d"):/lib/aarch64-linux-gnu/$so"
            queue+=("$d")
        done
    done
    d=$(e2e_find_arm64_lib ld-linux-aarch64.so.1) || { e2e_log "no arm64 ld.so"; return 1; }
    echo "$(readlink -f "$d"):/lib/ld-linux-aarch64.so.1"
}

# ------------------------------------------------------------ running
# Boot the emulated machine with INITRD; console to LOG; hard limit SECS.
# Extra QEMU arguments (e.g. a drive) come from the array E2E_QEMU_EXTRA.
# Returns qemu's status (124 on timeout).
e2e_run_outer() {
    local log=$1 secs=$2 initrd=$3 extra=${4:-}
    timeout -k 5 "$secs" "$E2E_QEMU" "${E2E_MACHINE[@]}" ${E2E_QEMU_EXTRA[@]+"${E2E_QEMU_EXTRA[@]}"} \
        -kernel "$E2E_KERNEL" -initrd "$initrd" \
        -append "$E2E_OUTER_CMDLINE${extra:+ $extra}" </dev/null >"$log" 2>&1
}

# Count NAMEs from LOG: passed when an `E2E-PASS: NAME` line is there and
# no `E2E-FAIL: NAME:` line. Prints one verdict line per NAME and, if any
# failed, the log's tail. Returns non-zero if any failed.
e2e_check() {
    local log=$1 name bad=0 missing=()
    shift
    local clean
    clean=$(tr -d '\r\000' <"$log")
    for name in "$@"; do
        local fail
        fail=$(grep -a -m1 "E2E-FAIL: $name:" <<<"$clean")
        if [ -n "$fail" ]; then
            echo "FAIL $name: ${fail#*E2E-FAIL: "$name": }"
            bad=1
            E2E_FAILED=$((E2E_FAILED + 1))
        elif grep -aq "E2E-PASS: $name\$" <<<"$clean"; then
            echo "PASS $name"
            E2E_PASSED=$((E2E_PASSED + 1))
        else
            echo "FAIL $name: no marker in $log"
            missing+=("$name")
            bad=1
            E2E_FAILED=$((E2E_FAILED + 1))
        fi
    done
    if [ "$bad" -ne 0 ]; then
        [ ${#missing[@]} -gt 0 ] && echo "missing markers: ${missing[*]}"
        grep -aq "^OUTER: done" <<<"$clean" ||
            echo "the outer machine did not finish its script (hang, crash or timeout)"
        echo "---- last 40 lines of $log"
        tail -n 40 <<<"$clean"
        echo "----"
    fi
    return "$bad"
}

# Count one host-side check.
e2e_result() {
    local name=$1 ok=$2 why=${3:-}
    if [ "$ok" = 0 ]; then
        echo "PASS $name"
        E2E_PASSED=$((E2E_PASSED + 1))
    else
        echo "FAIL $name: $why"
        E2E_FAILED=$((E2E_FAILED + 1))
    fi
}
