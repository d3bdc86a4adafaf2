# SPDX-License-Identifier: BSD-2-Clause
"""examples/sel4/io_two_vms (console part): two VMs, each with its own VMM
PD, sharing the serial port through sDDF's serial virtualisers. Output is
line by line with the VM's name in front; input goes to one VM at a time:
type Ctrl-\\ (0x1c), the client number (0: vm-a, 1: vm-b) and Enter to switch.

    python3 io_two_vms.py OUTDIR
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sel4gen"))
from sel4gen import System  # noqa: E402

CMDLINE = "console=ttyAMA0 earlycon rdinit=/init panic=-1 stdvmm.test=shell"

system = System("io_two_vms")
serial = system.serial(switch_char="\x1c", terminate_char="\r")
timer = system.timer()  # idle vCPUs sleep in WFI instead of taking the core
system.vm("vm-a", vcpus=1, ram=256 << 20, priority=100, console=serial, timer=timer,
          cmdline=CMDLINE)
system.vm("vm-b", vcpus=1, ram=256 << 20, priority=100, console=serial, timer=timer,
          cmdline=CMDLINE)

if __name__ == "__main__":
    system.write(sys.argv[1])
