#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Run libFuzzer targets (built by `make fuzz-build`).
#   tests/fuzz/run.sh smoke BIN...  seeds + a short bounded run per target
#                                   (FUZZ_SMOKE_RUNS, FUZZ_SMOKE_TIME seconds)
#   tests/fuzz/run.sh long BIN...   FUZZ_TIME seconds per target, one at a time,
#                                   corpus kept in build/fuzz/corpus/<target>
# Seeds come from tests/fuzz/corpus/<target> and are never written to; new
# inputs and crash artefacts go under build/fuzz. A dictionary
# tests/fuzz/<target>.dict is used when present. Fails if any target fails.
set -u
cd "$(dirname "$0")/../.."
mode=${1:-}
shift || true
[ "$mode" = smoke ] || [ "$mode" = long ] || {
    echo "usage: tests/fuzz/run.sh smoke|long BIN..." >&2
    exit 2
}
out=build/fuzz
smoke_runs=${FUZZ_SMOKE_RUNS:-20000}
smoke_time=${FUZZ_SMOKE_TIME:-8}
long_time=${FUZZ_TIME:-600}
failed=()

for bin in "$@"; do
    t=$(basename "$bin")
    seeds=tests/fuzz/corpus/$t
    art=$out/artifacts/$t/
    mkdir -p "$art" "$seeds"
    args=(-timeout=5 -rss_limit_mb=2048 -artifact_prefix="$art" -print_final_stats=1)
    [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
    if [ "$mode" = smoke ]; then
        corpus=$out/smoke/$t
        rm -rf "$corpus"
        mkdir -p "$corpus"
        args+=(-runs="$smoke_runs" -max_total_time="$smoke_time")
    else
        corpus=$out/corpus/$t
        mkdir -p "$corpus"
        args+=(-max_total_time="$long_time")
    fi
    log=$out/$t.$mode.log
    start=$SECONDS
    if nice -n 10 "$bin" "${args[@]}" "$corpus" "$seeds" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        echo "fuzz $mode: $t: ok, ${execs:-?} executions in $((SECONDS - start)) s"
    else
        echo "fuzz $mode: $t: FAILED after $((SECONDS - start)) s (log $log, artefacts $art)"
        grep -m1 -E 'ERROR|invariant broken|runtime error' "$log" || tail -n 5 "$log"
        failed+=("$t")
    fi
done
[ ${#failed[@]} -eq 0 ] || {
    echo "fuzz $mode: failed: ${failed[*]}"
    exit 1
}
