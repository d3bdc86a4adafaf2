#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A/B table of two stdvmm builds from one bench log (bench/run.sh with
BENCH_STDVMM_B): for every kind and key both "stdvmm" (A, the tree's build)
and "stdvmm-b" (B) measured, the repetitions, each side's median and range,
and the median of the per-repetition A/B ratios. Usage: ab.py bench.log"""
import re
import statistics
import sys

PAT = re.compile(r"^BENCH vmm=(stdvmm|stdvmm-b) rep=(\d+) kind=(\S+) (\w+)=([-0-9.]+)\s*$")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: ab.py bench.log")
    s = {}  # (kind, key) -> {vmm: {rep: value}}
    with open(sys.argv[1], "r", errors="replace") as f:
        for raw in f:
            m = PAT.match(raw.replace("\r", "").replace("\0", "").rstrip("\n"))
            if m:
                vmm, rep, kind, key, val = m.groups()
                s.setdefault((kind, key), {}).setdefault(vmm, {})[int(rep)] = float(val)
    rows = 0
    print(f"{'kind':<6} {'key':<28} {'n':>2} {'A median':>10} {'A min..max':>21} "
          f"{'B median':>10} {'B min..max':>21} {'A/B':>6}")
    for (kind, key), d in sorted(s.items()):
        a, b = d.get("stdvmm", {}), d.get("stdvmm-b", {})
        reps = sorted(r for r in a if r in b)
        if not reps:
            continue
        ratios = [a[r] / b[r] for r in reps if b[r]]
        ratio = f"{statistics.median(ratios):6.3f}" if ratios else "     —"
        av, bv = [a[r] for r in reps], [b[r] for r in reps]
        print(f"{kind:<6} {key:<28} {len(reps):>2} {statistics.median(av):>10.4g} "
              f"{min(av):>10.4g}..{max(av):<9.4g} {statistics.median(bv):>10.4g} "
              f"{min(bv):>10.4g}..{max(bv):<9.4g} {ratio}")
        rows += 1
    if rows == 0:
        sys.exit("ab.py: no repetition measured both stdvmm and stdvmm-b")


if __name__ == "__main__":
    main()
