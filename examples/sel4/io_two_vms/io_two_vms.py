# SPDX-License-Identifier: BSD-2-Clause
"""examples/sel4/io_two_vms: two VMs, each with its own VMM PD, sharing the
serial port through sDDF's serial virtualisers and one virtio-net NIC
through sDDF's net subsystem (rx virtualiser, a copier per VM, stdvmm's net
switch, which also connects the two VMs: QEMU's user network does not).
Output is line by line with the VM's name in front; input goes to one VM
at a time: type Ctrl-\\ (0x1c), the client number (0: vm-a, 1: vm-b) and
Enter to switch. vm-a is 10.0.2.15, vm-b 10.0.2.16 on QEMU's user network. Both share one disk
through sDDF's blk virtualiser: vm-a gets partition 0, vm-b partition 1,
and neither can reach the other's sectors.

    python3 io_two_vms.py OUTDIR [ARGS]

ARGS (the Makefile's GUEST_CMDLINE_APPEND) are added to vm-a's command line:
tests/sel4/run.sh's attack_io boots the attacking guest there and tells it
which devices to expect (attack.devices=console,blk,net).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sel4gen"))
from sel4gen import System  # noqa: E402

CMDLINE = "console=ttyAMA0 earlycon rdinit=/init panic=-1 stdvmm.test=shell stdvmm.ip="
APPEND = " ".join(a for a in sys.argv[2:] if not a.startswith("--"))

system = System("io_two_vms")
serial = system.serial(switch_char="\x1c", terminate_char="\r")
timer = system.timer()  # idle vCPUs sleep in WFI instead of taking the core
net = system.net()
vm_a = system.vm("vm-a", vcpus=1, ram=256 << 20, priority=100, console=serial, timer=timer,
                 net=net, mac="02:00:00:00:00:0a", cmdline=(CMDLINE + "10.0.2.15 " + APPEND).strip())
vm_b = system.vm("vm-b", vcpus=1, ram=256 << 20, priority=100, console=serial, timer=timer,
                 net=net, mac="02:00:00:00:00:0b", cmdline=CMDLINE + "10.0.2.16")
blk = system.blk()
blk.add_client(vm_a, partition=0)
blk.add_client(vm_b, partition=1)

if __name__ == "__main__":
    system.write(sys.argv[1])
