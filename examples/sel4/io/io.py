# SPDX-License-Identifier: BSD-2-Clause
"""examples/sel4/io: one VM whose console (PL011 and virtio-console) goes
through sDDF's serial subsystem (PL011 driver PD, rx/tx virtualisers), so it
works with a release kernel and takes input typed on the serial port, and
whose virtio-net goes through sDDF's net subsystem (virtio-net driver PD on
QEMU's virtio-net-device, rx virtualiser, copier, stdvmm's net switch). The
guest takes 10.0.2.15 on QEMU's user network (stdvmm.ip=). Its virtio-blk disk is
partition 0 of QEMU's virtio-blk-device through sDDF's blk virtualiser
and virtio-blk driver (tests/sel4/mkdisk.sh). With sDDF's
timer driver its vCPU sleeps in WFI while the guest idles.

    python3 io.py OUTDIR [--blk-read-only] [--xen-console] [APPEND]
                            # writes io.system, the sDDF configs, the VMM config;
                            # --blk-read-only: the guest's disk is read-only;
                            # --xen-console: the guest's console is Xen's hvc0
                            # (earlycon=xenboot; docs/SEL4.md, "Xen console")

APPEND (optional, e.g. "quiet"; the Makefile's GUEST_CMDLINE_APPEND) goes at
the end of the guest's command line (bench/sel4_boot.sh).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../tools/sel4gen"))
from sel4gen import System  # noqa: E402

XEN = "--xen-console" in sys.argv[2:]
CMDLINE = ("" if XEN else "console=ttyAMA0 earlycon ") + \
    "rdinit=/init panic=-1 stdvmm.test=shell stdvmm.ip=10.0.2.15"
APPEND = " ".join(a for a in sys.argv[2:] if not a.startswith("--"))

system = System("io")
serial = system.serial(switch_char="\x1c", begin_str="")
timer = system.timer()
net = system.net()
vm1 = system.vm("vm1", vcpus=1, ram=256 << 20, priority=100, console=serial, timer=timer,
                net=net, mac="02:00:00:00:00:01", xen_console=XEN,
                cmdline=(CMDLINE + " " + APPEND).strip())
blk = system.blk()
blk.add_client(vm1, partition=0, read_only="--blk-read-only" in sys.argv[2:])

if __name__ == "__main__":
    system.write(sys.argv[1])
