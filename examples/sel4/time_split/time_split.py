# SPDX-License-Identifier: BSD-2-Clause
"""examples/sel4/time_split: two CPU-bound VMs (/bin/spin) on one core at the
same priority, with MCS budgets of 2.5 ms and 7.5 ms, each equal to its
period: Microkit's round-robin time slices (each vCPU thread gets a
scheduling context with the VM's budget and period), so while both are busy
they share the core 25:75. Each guest prints its own loop count;
tests/sel4/time.sh checks that they progress 25:75. (A budget below the
period, a hard cap, crashes the kernel of the Microkit 2.0.1 SDK on VMs:
seL4 issue #1104; tools/sel4gen refuses it.)

    python3 time_split.py OUTDIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sel4gen"))
from sel4gen import System  # noqa: E402

# Both start spinning at 20 s of uptime, after booting side by side.
CMDLINE = "console=ttyAMA0 quiet rdinit=/init panic=-1 stdvmm.test=spin stdvmm.spin_at=20"
SLICE = 10000  # microseconds, shared 25:75

system = System("time_split")
serial = system.serial()
timer = system.timer()
system.vm("vm25", ram=128 << 20, priority=100, budget=SLICE // 4, period=SLICE // 4,
          console=serial, timer=timer, cmdline=CMDLINE)
system.vm("vm75", ram=128 << 20, priority=100, budget=SLICE * 3 // 4, period=SLICE * 3 // 4,
          console=serial, timer=timer, cmdline=CMDLINE)

if __name__ == "__main__":
    system.write(sys.argv[1])
