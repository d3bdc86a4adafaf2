# SPDX-License-Identifier: BSD-2-Clause
"""examples/sel4/time_idle: a CPU-bound VM ("busy", /bin/spin) next to an idle
one ("idle", which sleeps in WFI for 20 s and then powers off) on one core,
at the same priority with full budgets. With sDDF's timer driver each VMM
can let a vCPU that executes WFI sleep (ports/sel4/sel4_idle.c), so the
idle VM leaves the core to the busy one; tests/sel4/time.sh compares the
busy VM's loop rate while the idle VM is up with its rate once it is off.

    python3 time_idle.py OUTDIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sel4gen"))
from sel4gen import System  # noqa: E402

BASE = "console=ttyAMA0 quiet rdinit=/init panic=-1"

system = System("time_idle")
serial = system.serial()
timer = system.timer()
system.vm("busy", ram=128 << 20, priority=100, console=serial, timer=timer,
          cmdline=BASE + " stdvmm.test=spin")
# Two vCPUs (the last VM may have more than one, see tools/sel4gen): their
# IPIs exercise the SGI wake-up path while the VM idles.
system.vm("idle", vcpus=2, ram=128 << 20, priority=100, console=serial, timer=timer,
          cmdline=BASE + " stdvmm.test=idle-off stdvmm.idle_s=20")

if __name__ == "__main__":
    system.write(sys.argv[1])
