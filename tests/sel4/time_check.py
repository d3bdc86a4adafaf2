#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Judge the seL4 time tests from a console log (tests/sel4/time.sh).

Each CPU-bound guest prints "<vm>| SEL4-GUEST: spin <n> loops=<L> ms=<T>"
about once per guest second (tests/sel4/guest/spin.c). A VM's rate over a
window of its reports is (L_last - L_first) / (T_last - T_first), loops per
guest millisecond. The first report of each window is only its start.

  time_check.py idle LOG [--ready]
      busy/idle (examples/sel4/time_idle): the busy VM's rate while the idle
      VM sleeps (after its "idle for" line, before its VMM's "stopped" line)
      against its rate after the idle VM is off; passes when >= 0.90.
  time_check.py split LOG [--ready]
      vm25/vm75 (examples/sel4/time_split): over the reports after both
      run, vm25's share of the two rates; passes when within 25 +- 5 points.

--ready: exit 0 once the log holds enough reports to judge, 1 otherwise.
Otherwise prints PASS/FAIL lines and exits 0 on PASS, 1 on FAIL.
"""
import re
import sys

MIN_REPORTS = 6  # per window, including its start
SPIN = re.compile(r"^(\S+)\| SEL4-GUEST: spin (\d+) loops=(\d+) ms=(\d+)$")


def lines_of(path):
    with open(path, errors="replace") as f:
        return [ln.rstrip("\r\n").replace("\r", "") for ln in f]


def reports(lines, vm, after=-1, before=None):
    """(line index, loops, ms) of vm's spin reports in (after, before)."""
    out = []
    for i, ln in enumerate(lines):
        m = SPIN.match(ln)
        if m and m.group(1) == vm and i > after and (before is None or i < before):
            out.append((i, int(m.group(3)), int(m.group(4))))
    return out


def rate(window):
    (_, l0, t0), (_, l1, t1) = window[0], window[-1]
    return (l1 - l0) / (t1 - t0) if t1 > t0 else 0.0


def first_index(lines, text):
    for i, ln in enumerate(lines):
        if text in ln:
            return i
    return None


def check_idle(lines, ready_only):
    start = first_index(lines, "idle| SEL4-GUEST: idle for")
    stop = first_index(lines, "stdvmm[idle]: VM idle stopped")
    if start is None or stop is None:
        if ready_only:
            return 1
        print("FAIL time_idle: the idle VM did not %s" % ("start idling" if start is None
                                                         else "power off"))
        return 1
    together = reports(lines, "busy", after=start, before=stop)[1:]
    alone = reports(lines, "busy", after=stop)[1:]
    if len(together) < MIN_REPORTS or len(alone) < MIN_REPORTS:
        if ready_only:
            return 1
        print("FAIL time_idle: too few busy reports (%d beside the idle VM, %d alone; want %d)"
              % (len(together), len(alone), MIN_REPORTS))
        return 1
    if ready_only:
        return 0
    r_together, r_alone = rate(together), rate(alone)
    ratio = r_together / r_alone if r_alone else 0.0
    sleeps = [ln for ln in lines if ln.startswith("stdvmm[idle]: WFI: ")]
    print("time_idle: busy VM %.0f loops/ms beside the idle VM, %.0f alone: %.1f%% %s"
          % (r_together, r_alone, 100 * ratio, sleeps[0] if sleeps else "(no WFI line)"))
    if ratio >= 0.90:
        print("PASS time_idle: an idle VM leaves the busy VM >= 90% of its throughput")
        return 0
    print("FAIL time_idle: the busy VM kept %.1f%% of its throughput beside the idle VM "
          "(want >= 90%%)" % (100 * ratio))
    return 1


def check_split(lines, ready_only):
    a, b = reports(lines, "vm25"), reports(lines, "vm75")
    if not a or not b:
        if ready_only:
            return 1
        print("FAIL time_split: no spin reports from %s" % ("vm25" if not a else "vm75"))
        return 1
    both = max(a[0][0], b[0][0])
    wa, wb = reports(lines, "vm25", after=both)[1:], reports(lines, "vm75", after=both)[1:]
    if len(wa) < MIN_REPORTS or len(wb) < MIN_REPORTS:
        if ready_only:
            return 1
        print("FAIL time_split: too few reports while both run (vm25 %d, vm75 %d; want %d)"
              % (len(wa), len(wb), MIN_REPORTS))
        return 1
    if ready_only:
        return 0
    ra, rb = rate(wa), rate(wb)
    share = 100 * ra / (ra + rb) if ra + rb else 0.0
    print("time_split: vm25 %.0f loops/ms, vm75 %.0f loops/ms: %.1f%% / %.1f%%"
          % (ra, rb, share, 100 - share))
    if 20 <= share <= 30:
        print("PASS time_split: 25%/75% budgets progress 25:75 within 5 points")
        return 0
    print("FAIL time_split: vm25 got %.1f%% of the two VMs' progress (want 25 +- 5)" % share)
    return 1


def main(argv):
    if len(argv) < 3 or argv[1] not in ("idle", "split"):
        print(__doc__)
        return 2
    ready_only = "--ready" in argv[3:]
    lines = lines_of(argv[2])
    return (check_idle if argv[1] == "idle" else check_split)(lines, ready_only)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
