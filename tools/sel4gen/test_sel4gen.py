# SPDX-License-Identifier: BSD-2-Clause
"""Host tests of tools/sel4gen (python3 -m unittest discover -s tools/sel4gen).

The XML and the stdvmm VMM configs are checked without any SDK. The tests
that compile the generated sDDF configuration (and the sDDF serial backend)
need an sDDF checkout in SDDF and say SKIPPED otherwise.
"""
import os
import re
import shutil
import tempfile
import unittest
import xml.etree.ElementTree as ET

from sel4gen_testlib import (check_configs_compile, check_host_test, needs_sddf_gcc,
                             needs_sddf_sdk_clang, repo_path, SDDF)
import sel4gen


def two_vm_system():
    s = sel4gen.System("t", vm_budget_below_period=True)
    serial = s.serial()
    s.vm("vm-a", vcpus=1, ram=128 << 20, console=serial, budget=1000, period=4000,
         vmm_budget=500, vmm_period=4000)
    s.vm("vm-b", vcpus=2, ram=64 << 20, console=serial, priority=90)
    return s


def maps_of(root):
    """{pd name: [(mr, vaddr, size)]} including virtual machine maps."""
    sizes = {m.get("name"): int(m.get("size"), 16) for m in root.iter("memory_region")}
    out = {}
    for pd in root.iter("protection_domain"):
        out[pd.get("name")] = [(m.get("mr"), int(m.get("vaddr"), 16), sizes[m.get("mr")])
                               for m in pd.findall("map")]
    return out


class XmlTest(unittest.TestCase):
    def setUp(self):
        self.sys = two_vm_system()
        self.root = ET.fromstring(self.sys.render_sdf())

    def test_every_map_names_a_region_and_no_overlap(self):
        regions = {m.get("name") for m in self.root.iter("memory_region")}
        for pd, maps in maps_of(self.root).items():
            spans = sorted((v, v + size, mr) for mr, v, size in maps)
            for mr, _, _ in maps:
                self.assertIn(mr, regions)
            for (a0, a1, ma), (b0, b1, mb) in zip(spans, spans[1:]):
                self.assertLessEqual(a1, b0, "%s: %s overlaps %s" % (pd, ma, mb))
        for vm in self.root.iter("virtual_machine"):
            for m in vm.findall("map"):
                self.assertIn(m.get("mr"), regions)

    def test_channels_unique_per_pd_and_within_range(self):
        ids = {}
        for ch in self.root.iter("channel"):
            ends = ch.findall("end")
            self.assertEqual(len(ends), 2)
            for e in ends:
                key = (e.get("pd"), int(e.get("id")))
                self.assertNotIn(key, ids, "channel id used twice")
                ids[key] = True
                self.assertLess(key[1], 62)
        for pd in self.root.iter("protection_domain"):
            for irq in pd.findall("irq"):
                key = (pd.get("name"), int(irq.get("id")))
                self.assertNotIn(key, ids, "irq id clashes with a channel")

    def test_serial_wiring(self):
        pds = {pd.get("name"): pd for pd in self.root.iter("protection_domain")}
        for name in ("serial_driver", "serial_virt_rx", "serial_virt_tx", "vmm_vm_a", "vmm_vm_b"):
            self.assertIn(name, pds)
        irq = pds["serial_driver"].find("irq")
        self.assertEqual((irq.get("irq"), irq.get("trigger")), ("33", "level"))
        uart = [m for m in self.root.iter("memory_region") if m.get("name") == "serial_uart"][0]
        self.assertEqual(uart.get("phys_addr"), "0x9000000")
        peers = {}
        for ch in self.root.iter("channel"):
            a, b = [e.get("pd") for e in ch.findall("end")]
            peers.setdefault(a, set()).add(b)
            peers.setdefault(b, set()).add(a)
        self.assertEqual(peers["vmm_vm_a"], {"serial_virt_rx", "serial_virt_tx"})
        self.assertEqual(peers["serial_driver"], {"serial_virt_rx", "serial_virt_tx"})

    def test_vm_attributes(self):
        vms = {vm.get("name"): vm for vm in self.root.iter("virtual_machine")}
        a = vms["linux_vm-a"]
        self.assertEqual((a.get("budget"), a.get("period")), ("1000", "4000"))
        self.assertEqual(len(vms["linux_vm-b"].findall("vcpu")), 2)
        self.assertEqual(vms["linux_vm-b"].get("priority"), "90")
        pds = {pd.get("name"): pd for pd in self.root.iter("protection_domain")}
        self.assertEqual((pds["vmm_vm_a"].get("budget"), pds["vmm_vm_a"].get("period")),
                         ("500", "4000"))
        self.assertIsNone(pds["vmm_vm_b"].get("budget"))
        self.assertIsNone(vms["linux_vm-b"].get("budget"))
        ram = [m for m in vms["linux_vm-a"].findall("map") if m.get("mr").startswith("guest_ram")]
        self.assertEqual(ram[0].get("vaddr"), "0x40000000")


class ConfigTest(unittest.TestCase):
    def test_vmm_config_matches_its_maps(self):
        s = two_vm_system()
        out = s.outputs()
        root = ET.fromstring(out["t.system"])
        maps = maps_of(root)
        chans = {}
        for ch in root.iter("channel"):
            (a, ia), (b, ib) = [(e.get("pd"), e.get("id")) for e in ch.findall("end")]
            chans[(a, b)] = int(ia)
        for vm, pd in (("vm-a", "vmm_vm_a"), ("vm-b", "vmm_vm_b")):
            src = out[pd + "_config.c"]
            self.assertIn('.name = "%s"' % vm, src)
            self.assertIn(".console_attach = sel4_sddf_console_attach", src)
            by_mr = {mr: v for mr, v, _ in maps[pd]}
            for d, virt in (("rx", "serial_virt_rx"), ("tx", "serial_virt_tx")):
                m = re.search(r"\.%s = \{ \.queue = (0x[0-9a-f]+), \.data = (0x[0-9a-f]+), "
                              r"\.size = (0x[0-9a-f]+), \.ch = (\d+) \}" % d, src)
                self.assertIsNotNone(m, src)
                self.assertEqual(int(m.group(1), 16), by_mr["serial_%s_%s_queue" % (vm, d)])
                self.assertEqual(int(m.group(2), 16), by_mr["serial_%s_%s_data" % (vm, d)])
                self.assertEqual(int(m.group(4)), chans[(pd, virt)])

    def test_sddf_configs_match_maps(self):
        s = two_vm_system()
        out = s.outputs()
        maps = maps_of(ET.fromstring(out["t.system"]))
        vaddr = {pd: {v: mr for mr, v, _ in m} for pd, m in maps.items()}
        for fname, pd in (("sddf_serial_driver.c", "serial_driver"),
                          ("sddf_serial_virt_rx.c", "serial_virt_rx"),
                          ("sddf_serial_virt_tx.c", "serial_virt_tx")):
            for v in re.findall(r"\.vaddr = \(void \*\)(0x[0-9a-f]+)", out[fname]):
                self.assertIn(int(v, 16), vaddr[pd], "%s: 0x%s not mapped in %s" % (fname, v, pd))
        self.assertIn(".num_clients = 2", out["sddf_serial_virt_tx.c"])
        self.assertIn('.name = "vm-b"', out["sddf_serial_virt_tx.c"])
        self.assertIn(".switch_char = 0x1c", out["sddf_serial_virt_rx.c"])

    def test_uart_mirror_read_only_at_the_guest_pl011(self):
        s = sel4gen.System("t")
        serial = s.serial()
        for vm in ("vm-a", "vm-b"):
            s.vm(vm, ram=64 << 20, console=serial)
        s.vm("vm-c", ram=64 << 20, console=serial, virtio_console=False)
        s.vm("vm-d", ram=64 << 20, console=serial, uart_mirror=False)
        out = s.outputs()
        root = ET.fromstring(out["t.system"])
        maps = maps_of(root)
        vms = {vm.get("name"): vm for vm in root.iter("virtual_machine")}
        for vm, pd in (("vm-a", "vmm_vm_a"), ("vm-b", "vmm_vm_b")):
            mr = "uart_mirror_" + pd[4:]
            m = [m for m in vms["linux_" + vm].findall("map") if m.get("mr") == mr]
            self.assertEqual(len(m), 1)
            self.assertEqual((m[0].get("vaddr"), m[0].get("perms"), m[0].get("cached")),
                             ("0x9000000", "r", "false"))
            vmm = [v for r, v, _ in maps[pd] if r == mr]
            self.assertEqual(len(vmm), 1)
            self.assertIn(".uart_mirror = 0x%x," % vmm[0], out[pd + "_config.c"])
        # Input on the PL011 (no virtio-console) needs trapping DR reads: no mirror.
        for vm, pd in (("vm-c", "vmm_vm_c"), ("vm-d", "vmm_vm_d")):
            self.assertFalse([m for m in vms["linux_" + vm].findall("map")
                              if m.get("mr").startswith("uart_mirror")])
            self.assertIn(".uart_mirror = 0x0,", out[pd + "_config.c"])

    def test_guest_images_windows(self):
        s = two_vm_system()
        out = s.outputs()
        root = ET.fromstring(out["t.system"])
        regions = {m.get("name"): m for m in root.iter("memory_region")}
        maps = maps_of(root)
        qemu = out["t.qemu"].split()
        for i, pd in enumerate(("vmm_vm_a", "vmm_vm_b")):
            mr = "guest_images_" + pd[4:]
            paddr = sel4gen.GUEST_IMAGES_BASE + i * sel4gen.GUEST_IMAGES_WINDOW
            self.assertEqual(int(regions[mr].get("phys_addr"), 16), paddr)
            self.assertLessEqual(paddr + sel4gen.GUEST_IMAGES_WINDOW, sel4gen.GUEST_IMAGES_END)
            m = [m for m in root.iter("protection_domain") if m.get("name") == pd][0]
            perms = [x.get("perms") for x in m.findall("map") if x.get("mr") == mr]
            self.assertEqual(perms, ["r"])
            vaddr = [v for r, v, _ in maps[pd] if r == mr][0]
            self.assertIn(".guest_images = 0x%x," % vaddr, out[pd + "_config.c"])
            self.assertIn("loader,file=guest_%s.img,addr=0x%x,force-raw=on" % (pd, paddr), qemu)
            for vm in root.iter("virtual_machine"):  # never visible to a guest
                self.assertFalse([x for x in vm.findall("map") if x.get("mr") == mr])

    def test_pack_layout_and_limit(self):
        import struct
        d = tempfile.mkdtemp()
        try:
            k, r, o = (os.path.join(d, n) for n in ("k", "r", "o"))
            with open(k, "wb") as f:
                f.write(b"K" * 5000)
            with open(r, "wb") as f:
                f.write(b"R" * 100)
            sel4gen.pack(k, r, o)
            with open(o, "rb") as f:
                blob = f.read()
            magic, koff, klen, roff, rlen = struct.unpack("<8s4Q", blob[:40])
            self.assertEqual(magic, b"STDVMMGI")
            self.assertEqual(blob[koff:koff + klen], b"K" * 5000)
            self.assertEqual(blob[roff:roff + rlen], b"R" * 100)
            self.assertEqual((koff % 4096, roff % 4096), (0, 0))
            sel4gen.pack(k, None, o)
            with open(o, "rb") as f:
                self.assertEqual(struct.unpack("<8s4Q", f.read(40))[3:], (0, 0))
            with open(k, "wb") as f:
                f.truncate(sel4gen.GUEST_IMAGES_WINDOW)
            self.assertRaises(ValueError, sel4gen.pack, k, r, o)
        finally:
            shutil.rmtree(d)

    def test_vm_without_console(self):
        s = sel4gen.System("plain")
        s.vm("vm1")
        out = s.outputs()
        self.assertEqual(set(out), {"plain.system", "plain.qemu", "vmm_vm1_config.c"})
        self.assertIn(".serial = NULL", out["vmm_vm1_config.c"])

    def test_refuses_bad_descriptions(self):
        s = sel4gen.System("bad")
        with self.assertRaises(ValueError):
            s.vm("x", priority=254)
        with self.assertRaises(ValueError):
            s.vm("y", ram=3 << 20)
        with self.assertRaises(ValueError):
            s.vm("z", vcpus=0)
        with self.assertRaises(ValueError):
            s.vm("w", budget=5000, period=1000)
        s.vm("ok")
        with self.assertRaises(ValueError):
            s.vm("ok")
        with self.assertRaises(ValueError):
            s.serial(driver_tx_size=0x3000)
        with self.assertRaises(ValueError):
            sel4gen.System("b", board="nope")
        s2 = sel4gen.System("small")
        serial = s2.serial(driver_tx_size=0x1000)
        s2.vm("v", console=serial)
        with self.assertRaises(ValueError):  # client tx 0x4000 > driver tx 0x1000
            s2.outputs()
        s3 = sel4gen.System("many")
        for i in range(5):
            s3.vm("v%d" % i, ram=64 << 20)
        with self.assertRaises(ValueError):  # 5 guest image windows do not fit below seL4's RAM
            s3.outputs()

    def test_write_is_idempotent(self):
        d = tempfile.mkdtemp()
        try:
            two_vm_system().write(d)
            mtimes = {f: os.stat(os.path.join(d, f)).st_mtime_ns for f in os.listdir(d)}
            two_vm_system().write(d)
            self.assertEqual(mtimes, {f: os.stat(os.path.join(d, f)).st_mtime_ns
                                      for f in os.listdir(d)})
        finally:
            shutil.rmtree(d)


@needs_sddf_sdk_clang
class SddfCompileTest(unittest.TestCase):
    """The generated sDDF configs compile against the checkout's headers."""

    def test_configs_compile(self):
        check_configs_compile(self, two_vm_system(), ("sddf_serial_driver.c",
                                                      "sddf_serial_virt_rx.c",
                                                      "sddf_serial_virt_tx.c"))


@needs_sddf_gcc
class SddfSerialBackendTest(unittest.TestCase):
    """src/backends/sddf/serial.c on the host, on sDDF's queue header (ASan+UBSan)."""

    def test_backend(self):
        check_host_test(self, "test_sddf_serial",
                        ["-I", repo_path("include"), "-I", os.path.join(SDDF, "include"),
                         repo_path("tests/sddf/test_sddf_serial.c"),
                         repo_path("src/backends/sddf/serial.c")])


if __name__ == "__main__":
    unittest.main()
