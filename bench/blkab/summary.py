#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench/blkab/summary.py LOG REF: per image file system and metric, each
build's median and range and the median of its per-repetition ratios to
build REF (random read: the median of a boot's phases first)."""
import collections
import re
import statistics
import sys

LINE = re.compile(r"AB b=(\S+) fs=(\S+) rep=(\d+)\| BENCH-RESULT (\w+)=([\d.]+)")


def main():
    log, ref = sys.argv[1], sys.argv[2]
    vals = collections.defaultdict(lambda: collections.defaultdict(lambda: collections.defaultdict(list)))
    with open(log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.strip())
            if m:
                b, fs, rep, key, v = m.groups()
                vals[(fs, key)][b][int(rep)].append(float(v))
    for (fs, key), builds in sorted(vals.items()):
        print(f"{fs} {key}")
        per = {b: {r: statistics.median(v) for r, v in reps.items()} for b, reps in builds.items()}
        base = per.get(ref, {})
        for b, reps in per.items():
            xs = list(reps.values())
            rat = [reps[r] / base[r] for r in reps if base.get(r)]
            med = f"{statistics.median(rat):.3f}" if rat else "-"
            print(f"  {b:12s} median {statistics.median(xs):8.1f} [{min(xs):.0f}..{max(xs):.0f}]"
                  f"  /{ref} {med}, ahead {sum(x > 1 for x in rat)} of {len(rat)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
