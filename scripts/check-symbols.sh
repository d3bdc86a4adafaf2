#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Fails when the stdvmm library -- everything under src/: the portable core,
# devices, virtio, arch, machine and the hosted backends, as built for the
# host by `make unit-build` -- defines a global symbol without the vmm_
# prefix, so a program or port linking it never collides with its names.
# (The stdvmm program's own stdvmm_* functions and the ports are not library.)
set -u
cd "$(dirname "$0")/.."
lib=build/host/libstdvmm.a
make -s "$lib" || exit 1
mapfile -t objs < <(find build/host/src -name '*.o' | sort)
[ ${#objs[@]} -gt 0 ] || { echo "check-symbols: no objects under build/host/src" >&2; exit 1; }
bad=$(nm -g --defined-only "${objs[@]}" | awk 'NF == 3 && $2 ~ /[TDBRC]/ {print $3}' |
    grep -v -e '^vmm_' -e '^__odr_asan' | sort -u)
if [ -n "$bad" ]; then
    echo "check-symbols: global symbols without the vmm_ prefix under src/:"
    echo "$bad" | sed 's/^/  /'
    exit 1
fi
echo "check-symbols: every global symbol of the ${#objs[@]} objects under src/ starts with vmm_"
