# SPDX-License-Identifier: BSD-2-Clause
"""Host tests of tools/sel4gen's scheduling (MCS) and timer parts (issue 11
points 5 and 6): budgets and periods reach the virtual_machine and the VMM
protection_domain, bad ones are refused with a clear error, and the sDDF
timer driver is wired to each VMM that asks for it."""
import re
import unittest
import xml.etree.ElementTree as ET

from sel4gen_testlib import check_configs_compile, needs_sddf_sdk_clang
import sel4gen


def pds_of(root):
    return {pd.get("name"): pd for pd in root.iter("protection_domain")}


class BudgetTest(unittest.TestCase):
    def test_budget_and_period_reach_vm_and_vmm(self):
        s = sel4gen.System("t", vm_budget_below_period=True)
        s.vm("a", budget=2500, period=10000, vmm_budget=1000, vmm_period=10000)
        s.vm("b", budget=7500, period=10000, priority=100)
        root = ET.fromstring(s.render_sdf())
        vms = {vm.get("name"): vm for vm in root.iter("virtual_machine")}
        self.assertEqual((vms["linux_a"].get("budget"), vms["linux_a"].get("period")),
                         ("2500", "10000"))
        self.assertEqual((vms["linux_b"].get("budget"), vms["linux_b"].get("period")),
                         ("7500", "10000"))
        pds = pds_of(root)
        self.assertEqual((pds["vmm_a"].get("budget"), pds["vmm_a"].get("period")),
                         ("1000", "10000"))
        self.assertIsNone(pds["vmm_b"].get("budget"))

    def check_refused(self, pattern, **kw):
        s = sel4gen.System("bad", vm_budget_below_period=True)
        with self.assertRaisesRegex(ValueError, pattern):
            s.vm("v", **kw)

    def test_refuses_budget_above_period(self):
        self.check_refused(r"VM v: budget 5000 us exceeds its period 1000 us",
                           budget=5000, period=1000)
        self.check_refused(r"VM v: its VMM: budget 3000 us exceeds its period 2000 us",
                           vmm_budget=3000, vmm_period=2000)

    def test_refuses_period_below_microkits_default_budget(self):
        # Microkit fills in budget = 1000 us: a period of 500 us alone cannot work.
        self.check_refused(r"budget 1000 us exceeds its period 500 us \(Microkit's default",
                           period=500)

    def test_refuses_budget_below_sel4_minimum(self):
        self.check_refused(r"budget 10 us is below seL4's minimum of 20 us", budget=10)

    def test_refuses_non_positive_or_non_integer_times(self):
        self.check_refused(r"budget 0 must be a positive", budget=0)
        self.check_refused(r"period -5 must be a positive", period=-5)
        self.check_refused(r"budget 2.5 must be a positive", budget=2.5)

    def test_refuses_priorities_out_of_range_or_above_vmm(self):
        self.check_refused(r"priority 300 outside 0..254", priority=300)
        self.check_refused(r"priority 200 must be below its VMM's 150",
                           priority=200, vmm_priority=150)

    def test_refuses_vm_budget_below_period_on_this_kernel(self):
        s = sel4gen.System("k")
        with self.assertRaisesRegex(ValueError, r"VM v: budget 2500 us below its period "
                                                r"10000 us: .*seL4 issue #1104"):
            s.vm("v", budget=2500, period=10000)
        # The VMM PD is no vCPU: a budget below its period is fine there.
        s.vm("w", budget=2500, period=2500, vmm_budget=500, vmm_period=10000)

    def test_budget_equal_to_period_is_accepted(self):
        s = sel4gen.System("ok")
        s.vm("v", budget=4000, period=4000)
        s.vm("w", budget=20)  # seL4's minimum, period defaults to it
        root = ET.fromstring(s.render_sdf())
        vms = {vm.get("name"): vm for vm in root.iter("virtual_machine")}
        self.assertEqual(vms["linux_w"].get("budget"), "20")

    def test_refuses_multi_vcpu_vm_before_another_vm(self):
        s = sel4gen.System("idx")
        s.vm("first", vcpus=2)
        with self.assertRaisesRegex(ValueError, r"only the last VM .* more than one vCPU"):
            s.vm("second")
        s2 = sel4gen.System("idx2")
        s2.vm("first")
        s2.vm("second", vcpus=4)  # the last one may


class TimerTest(unittest.TestCase):
    def system(self, n=2):
        s = sel4gen.System("tt")
        timer = s.timer()
        for i in range(n):
            s.vm("vm%d" % i, timer=timer)
        return s

    def test_timer_driver_wiring(self):
        s = self.system()
        out = s.outputs()
        root = ET.fromstring(out["tt.system"])
        pds = pds_of(root)
        drv = pds["timer_driver"]
        self.assertEqual(drv.get("priority"), "254")
        irq = drv.find("irq")
        self.assertEqual((irq.get("irq"), irq.get("trigger")), ("30", "level"))
        for i in range(2):
            self.assertEqual(pds["vmm_vm%d" % i].get("priority"), "253")
        ends = {}
        for ch in root.iter("channel"):
            (a, b) = ch.findall("end")
            if a.get("pd") == "timer_driver":
                ends[b.get("pd")] = (int(a.get("id")), int(b.get("id")), b.get("pp"))
                self.assertIsNone(a.get("pp"))
        self.assertEqual(set(ends), {"vmm_vm0", "vmm_vm1"})
        drv_ids = sorted(v[0] for v in ends.values())
        self.assertEqual(drv_ids, [0, 1])  # sDDF keeps timeouts[ch] for ch 0..5
        self.assertNotIn(int(irq.get("id")), drv_ids)
        src = out["sddf_timer_driver.c"]
        self.assertIn(".num_irqs = 1", src)
        self.assertIn(".id = %s" % irq.get("id"), src)
        for pd, (_, cli, pp) in ends.items():
            self.assertEqual(pp, "true")
            cfg = out["%s_config.c" % pd]
            self.assertIn(".timer_ch = %d," % cli, cfg)
            self.assertIn(".timer_set = sel4_sddf_timer_set", cfg)

    def test_vm_without_timer_has_no_timer_fields(self):
        s = sel4gen.System("nt")
        s.vm("v")
        self.assertNotIn("timer", s.outputs()["vmm_v_config.c"])

    def test_timer_refusals(self):
        s = self.system(6)
        with self.assertRaisesRegex(ValueError, r"more than 6 clients"):
            s.vm("vm6", timer=s.timer_sys)
        with self.assertRaisesRegex(ValueError, r"one timer driver per system"):
            s.timer()
        s2 = sel4gen.System("p")
        t = s2.timer(priority=200)
        with self.assertRaisesRegex(ValueError, r"VMM's priority 220 must be below the timer"):
            s2.vm("v", timer=t, vmm_priority=220)
        s3 = sel4gen.System("q")
        with self.assertRaisesRegex(ValueError, r"must be this system's timer"):
            s3.vm("v", timer=t)

    def test_channel_ids_unique(self):
        s = sel4gen.System("u")
        serial = s.serial()
        timer = s.timer()
        s.vm("a", console=serial, timer=timer)
        s.vm("b", console=serial, timer=timer)
        root = ET.fromstring(s.render_sdf())
        seen = set()
        for ch in root.iter("channel"):
            for e in ch.findall("end"):
                key = (e.get("pd"), e.get("id"))
                self.assertNotIn(key, seen)
                seen.add(key)
        for pd in root.iter("protection_domain"):
            for irq in pd.findall("irq"):
                self.assertNotIn((pd.get("name"), irq.get("id")), seen)
        self.assertTrue(re.search(r'pp="true"', s.render_sdf()))


@needs_sddf_sdk_clang
class TimerCompileTest(unittest.TestCase):
    def test_timer_config_compiles(self):
        s = sel4gen.System("c")
        s.vm("v", timer=s.timer())
        check_configs_compile(self, s, ("sddf_timer_driver.c",))


if __name__ == "__main__":
    unittest.main()
