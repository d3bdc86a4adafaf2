# SPDX-License-Identifier: BSD-2-Clause
"""Host tests of sel4gen's xen_console option (docs/SEL4.md, "Xen console")."""
import os
import sys
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sel4gen  # noqa: E402


class XenConsoleTest(unittest.TestCase):
    def test_xen_console_vm_config(self):
        s = sel4gen.System("t")
        serial = s.serial()
        s.vm("vm-a", ram=64 << 20, console=serial, xen_console=True, cmdline="rdinit=/init")
        s.vm("vm-b", ram=64 << 20, console=serial, cmdline="console=ttyAMA0 earlycon")
        out = s.outputs()
        a, b = out["vmm_vm_a_config.c"], out["vmm_vm_b_config.c"]
        self.assertIn(".console = VMM_CONSOLE_XEN,", a)
        self.assertIn('.cmdline = "earlycon=xenboot console=hvc0 rdinit=/init",', a)
        self.assertIn(".console = VMM_CONSOLE_VIRTIO,", b)
        self.assertIn('.cmdline = "console=ttyAMA0 earlycon",', b)
        # Input goes to the Xen ring, so the PL011 mirror page is still made.
        root = ET.fromstring(out["t.system"])
        vm = [v for v in root.iter("virtual_machine") if v.get("name") == "linux_vm-a"][0]
        self.assertTrue([m for m in vm.findall("map") if m.get("mr") == "uart_mirror_vm_a"])

    def test_xen_console_refuses_its_own_console_arguments(self):
        s = sel4gen.System("t")
        for cmdline in ("console=ttyAMA0", "earlycon", "earlycon=pl011,0x9000000"):
            with self.assertRaisesRegex(ValueError, "xen_console"):
                s.vm("vm-%d" % len(s.vms), xen_console=True, cmdline=cmdline)


if __name__ == "__main__":
    unittest.main()
