# SPDX-License-Identifier: BSD-2-Clause
"""examples/sel4/time_split: two CPU-bound VMs (/bin/spin) on one core at the
same priority, with MCS budgets of 25% and 75% of a 10 ms period (Microkit
gives each vCPU thread a scheduling context with the VM's budget and
period). Each guest prints its own loop count; tests/sel4/time.sh checks
that they progress 25:75.

    python3 time_split.py OUTDIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sel4gen"))
from sel4gen import System  # noqa: E402

CMDLINE = "console=ttyAMA0 quiet rdinit=/init panic=-1 stdvmm.test=spin"
PERIOD = 10000  # microseconds

system = System("time_split")
serial = system.serial()
timer = system.timer()
system.vm("vm25", ram=128 << 20, priority=100, budget=PERIOD // 4, period=PERIOD,
          console=serial, timer=timer, cmdline=CMDLINE)
system.vm("vm75", ram=128 << 20, priority=100, budget=PERIOD * 3 // 4, period=PERIOD,
          console=serial, timer=timer, cmdline=CMDLINE)

if __name__ == "__main__":
    system.write(sys.argv[1])
