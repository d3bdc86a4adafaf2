# SPDX-License-Identifier: BSD-2-Clause
"""Host tests of tools/sel4gen/sddf_blk.py (run with test_sel4gen.py by
`make sel4gen-test`). The XML and configs are checked without any SDK; with
SDDF (and MICROKIT_SDK) set the generated sDDF blk configs are compiled
against the checkout, and the blk backend's unit test is built against
sDDF's real queue headers instead of the mirror in tests/unit/sddf.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from sel4gen_testlib import (check_configs_compile, check_host_test, needs_sddf_gcc,
                             needs_sddf_sdk_clang, parse_system, repo_path, SDDF)
import sel4gen


def blk_system(ro_b=False):
    s = sel4gen.System("t")
    serial = s.serial()
    a = s.vm("vm-a", console=serial)
    b = s.vm("vm-b", console=serial)
    blk = s.blk()
    blk.add_client(a, partition=0)
    blk.add_client(b, partition=1, read_only=ro_b)
    return s


def size(region):
    return int(region.get("size"), 16)


class BlkXmlTest(unittest.TestCase):
    def setUp(self):
        self.out = blk_system().outputs()
        self.root, self.regions, self.pds, self.maps, chans = parse_system(self.out["t.system"])
        # one channel between two PDs here: its (id at a, id at b)
        self.chans = {pair: ids[0] for pair, ids in chans.items()}

    def test_components_irq_and_priorities(self):
        drv, virt = self.pds["blk_driver"], self.pds["blk_virt"]
        irq = drv.find("irq")
        self.assertEqual((irq.get("irq"), irq.get("trigger")), ("79", "edge"))
        # The virtualiser's init waits for the driver: the driver runs first.
        self.assertGreater(int(drv.get("priority")), int(virt.get("priority")))
        self.assertEqual(self.regions["virtio_mmio"].get("phys_addr"), "0xa003000")

    def test_channels(self):
        self.assertIn(("blk_driver", "blk_virt"), self.chans)
        self.assertIn(("vmm_vm_a", "blk_virt"), self.chans)
        self.assertIn(("vmm_vm_b", "blk_virt"), self.chans)

    def test_dma_regions_fixed_in_ram_without_overlap(self):
        fixed = sorted((int(r.get("phys_addr"), 16), size(r), n)
                       for n, r in self.regions.items() if r.get("phys_addr") is not None)
        for (a, sa, na), (b, _, nb) in zip(fixed, fixed[1:]):
            self.assertLessEqual(a + sa, b, "%s overlaps %s" % (na, nb))
        for name in ("blk_virtio_headers", "blk_virtio_metadata", "blk_driver_data",
                     "blk_vm_a_data", "blk_vm_b_data"):
            # All in the small untyped below PHYS_TOP: seL4 clears a whole
            # untyped at its first retype, so a region elsewhere costs more.
            lo, hi = sel4gen.DMA_UNTYPED["qemu_virt_aarch64"]
            paddr = int(self.regions[name].get("phys_addr"), 16)
            self.assertGreaterEqual(paddr, lo)
            self.assertLessEqual(paddr + size(self.regions[name]), hi)

    def test_queue_regions_hold_their_entries(self):
        self.assertGreaterEqual(size(self.regions["blk_vm_a_req"]), 16 + 32 * 128)
        self.assertGreaterEqual(size(self.regions["blk_vm_a_resp"]), 8 + 12 * 128)
        self.assertGreaterEqual(size(self.regions["blk_driver_req"]), 16 + 32 * 1024)
        self.assertGreaterEqual(size(self.regions["blk_driver_resp"]), 8 + 12 * 1024)

    def test_each_vmm_maps_only_its_own_blk_regions(self):
        a = {mr for mr in self.maps["vmm_vm_a"] if mr.startswith("blk_")}
        self.assertEqual(a, {"blk_vm_a_req", "blk_vm_a_resp", "blk_vm_a_info", "blk_vm_a_data"})
        self.assertFalse(any("vm_a" in mr for mr in self.maps["vmm_vm_b"]))
        info = [m for m in self.pds["vmm_vm_a"].findall("map") if m.get("mr") == "blk_vm_a_info"]
        self.assertEqual(info[0].get("perms"), "r")

    def test_vmm_config_matches_its_maps(self):
        for vm, pd in (("vm_a", "vmm_vm_a"), ("vm_b", "vmm_vm_b")):
            src = self.out[pd + "_config.c"]
            src = src[src.index("struct sel4_blk_config blk"):]
            m = self.maps[pd]
            for field, mr in (("req_queue", "req"), ("resp_queue", "resp"),
                              ("storage_info", "info"), ("data", "data")):
                got = re.search(r"\.%s = (0x[0-9a-f]+)," % field, src)
                self.assertEqual(int(got.group(1), 16), m["blk_%s_%s" % (vm, mr)], field)
            ch = int(re.search(r"\.ch = (\d+),\n    \.read_only", src).group(1))
            self.assertEqual(ch, self.chans[(pd, "blk_virt")][0])
            self.assertIn(".blk_attach = sel4_sddf_blk_attach", src)
            self.assertIn('{ .cls = "disk", .options = "sddf-blk" }', src)
            self.assertIn(".nr_devices = 1,", src)

    def test_virt_config_matches_maps_and_phys(self):
        src = self.out["sddf_blk_virt.c"]
        virt = set(self.maps["blk_virt"].values())
        for v in re.findall(r"\.vaddr = \(void \*\)(0x[0-9a-f]+)", src):
            self.assertIn(int(v, 16), virt)
        for vm in ("vm_a", "vm_b"):
            paddr = self.regions["blk_%s_data" % vm].get("phys_addr")
            vaddr = self.maps["blk_virt"]["blk_%s_data" % vm]
            self.assertIn("{ .vaddr = (void *)0x%x, .size = 0x200000 }, .io_addr = %s }"
                          % (vaddr, paddr), src)
        self.assertEqual(re.findall(r"\.partition = (\d+)", src), ["0", "1"])
        self.assertIn(".num_clients = 2", src)
        # Client ids are the virtualiser's end of each client channel.
        ids = [int(i) for i in re.findall(r"\.num_buffers = 128, \.id = (\d+)", src)]
        self.assertEqual(ids, [self.chans[("vmm_vm_a", "blk_virt")][1],
                               self.chans[("vmm_vm_b", "blk_virt")][1]])

    def test_driver_config(self):
        src = self.out["sddf_blk_driver.c"]
        regs = self.maps["blk_driver"]["virtio_mmio"]
        self.assertIn("{ .vaddr = (void *)0x%x, .size = 0x200 }, .io_addr = 0xa003e00" % (regs + 0xE00),
                      src)
        for mr in ("blk_virtio_headers", "blk_virtio_metadata"):
            self.assertIn("{ .vaddr = (void *)0x%x, .size = 0x%x }, .io_addr = %s"
                          % (self.maps["blk_driver"][mr], size(self.regions[mr]),
                             self.regions[mr].get("phys_addr")), src)
        self.assertIn(".num_buffers = 1024, .id = %d" % self.chans[("blk_driver", "blk_virt")][0],
                      src)
        irq_id = int(self.pds["blk_driver"].find("irq").get("id"))
        self.assertIn(".irqs = { { .id = %d } }" % irq_id, src)

    def test_read_only_client(self):
        out = blk_system(ro_b=True).outputs()
        self.assertIn(".read_only = true", out["vmm_vm_b_config.c"])
        self.assertIn('.options = "sddf-blk,ro"', out["vmm_vm_b_config.c"])
        self.assertIn(".read_only = false", out["vmm_vm_a_config.c"])


class BlkRefusalTest(unittest.TestCase):
    def test_refuses_bad_descriptions(self):
        s = sel4gen.System("bad")
        a, b = s.vm("a"), s.vm("b")
        blk = s.blk()
        blk.add_client(a, 0)
        with self.assertRaises(ValueError):
            blk.add_client(a, 1)  # a second disk for one VM
        with self.assertRaises(ValueError):
            blk.add_client(b, 0)  # a partition for two VMs
        for kw in ({"slot_size": 0x3000}, {"slot_size": 0x800}, {"data_size": 0x18000},
                   {"num_buffers": 0}, {"num_buffers": 0x10000}):
            with self.assertRaises(ValueError):
                blk.add_client(b, 1, **kw)
        with self.assertRaises(ValueError):
            s.blk()  # one blk subsystem per system
        with self.assertRaises(ValueError):
            sel4gen.System("x").blk(driver_buffers=2048)
        empty = sel4gen.System("e")
        empty.vm("v")
        empty.blk()
        with self.assertRaises(ValueError):
            empty.outputs()

    def test_devices_share_a_page(self):
        s = sel4gen.System("p")
        r1, o1 = s.device_region("virtio_mmio", 0xA003E00)
        r2, o2 = s.device_region("virtio_mmio", 0xA003C00)
        self.assertIs(r1, r2)
        self.assertEqual((o1, o2), (0xE00, 0xC00))

    def test_example_descriptions_build(self):
        for ex in ("io/io.py", "io_two_vms/io_two_vms.py"):
            d = tempfile.mkdtemp()
            try:
                r = subprocess.run([sys.executable, repo_path("examples/sel4", ex), d],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("sddf_blk_virt.c", os.listdir(d))
            finally:
                shutil.rmtree(d)


@needs_sddf_sdk_clang
class SddfBlkCompileTest(unittest.TestCase):
    """The generated sDDF blk configs compile against the checkout's headers."""

    def test_configs_compile(self):
        check_configs_compile(self, blk_system(), ("sddf_blk_driver.c", "sddf_blk_virt.c"),
                              ["-Wno-unused-variable"])


@needs_sddf_gcc
class SddfBlkBackendTest(unittest.TestCase):
    """tests/unit/test_sddf_blk.c built against sDDF's real blk headers (ASan+UBSan)."""

    def test_backend_on_real_headers(self):
        check_host_test(self, "test_sddf_blk",
                        ["-I", repo_path("include"), "-I", os.path.join(SDDF, "include"),
                         repo_path("tests/unit/test_sddf_blk.c"), repo_path("src/core/log.c"),
                         "-lcmocka"])


if __name__ == "__main__":
    unittest.main()
