# SPDX-License-Identifier: BSD-2-Clause
"""Host tests of sel4gen's net subsystem (tools/sel4gen/sddf_net.py), run by
`make sel4gen-test` with the others. The wiring and configs are checked
without any SDK; compiling the generated configs against sDDF and the
backend's host test on sDDF's queue header need SDDF (SKIPPED otherwise).
"""
import os
import re
import shutil
import unittest

from sel4gen_testlib import (check_configs_compile, check_host_test, needs_sddf_gcc,
                             needs_sddf_sdk_clang, parse_system, repo_path, SDDF)
import sddf_net
import sel4gen


def net_system(macs=("02:00:00:00:00:0a", None)):
    s = sel4gen.System("n")
    serial = s.serial()
    net = s.net()
    s.vm("vm-a", console=serial, net=net, mac=macs[0])
    s.vm("vm-b", console=serial, net=net, mac=macs[1])
    return s


def parse(s):
    out = s.outputs()
    _, regions, pds, maps, chans = parse_system(out["n.system"])
    return out, regions, pds, maps, chans


class NetWiringTest(unittest.TestCase):
    def setUp(self):
        self.out, self.regions, self.pds, self.maps, self.chans = parse(net_system())

    def test_components_and_driver_resources(self):
        for name in ("net_driver", "net_switch", "net_virt_rx", "net_copy_vm_a",
                     "net_copy_vm_b", "vmm_vm_a", "vmm_vm_b"):
            self.assertIn(name, self.pds)
        irq = self.pds["net_driver"].find("irq")
        self.assertEqual(irq.get("irq"), str(32 + 16 + 23))  # transport 23's SPI
        self.assertEqual(self.regions["net_virtio_regs"].get("phys_addr"), "0xa002000")
        drv = self.out["sddf_net_driver.c"]
        # the registers' vaddr is the page's plus the transport's offset in it
        self.assertIn("(void *)0x%x, .size = 0x200 }, .io_addr = 0xa002e00"
                      % (self.maps["net_driver"]["net_virtio_regs"] + 0xe00), drv)
        # driver <-> switch: one channel for rx, one for tx
        self.assertEqual(len(self.chans[("net_driver", "net_switch")]), 2)
        self.assertIn("virtio-mmio-bus.23", self.out["qemu_net.args"])

    def test_dma_regions_have_distinct_physical_addresses_in_ram(self):
        spans = []
        for name in ("net_hw_ring", "net_rx_dma", "net_tx_data_vm-a", "net_tx_data_vm-b"):
            r = self.regions[name]
            pa, size = int(r.get("phys_addr"), 16), int(r.get("size"), 16)
            self.assertGreaterEqual(pa, 0x6000_0000)
            self.assertLessEqual(pa + size, sel4gen.PHYS_TOP["qemu_virt_aarch64"])
            self.assertEqual(pa % 0x1000, 0)
            spans.append((pa, pa + size))
        spans.sort()
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            self.assertLessEqual(a1, b0)

    def test_dma_buffers_read_only_where_sddf_wants_them(self):
        for pd in ("net_virt_rx", "net_copy_vm_a", "net_copy_vm_b"):
            m = [x for x in self.pds[pd].findall("map") if x.get("mr") == "net_rx_dma"][0]
            self.assertEqual(m.get("perms"), "r")
        m = [x for x in self.pds["net_switch"].findall("map") if x.get("mr") == "net_rx_dma"][0]
        self.assertEqual(m.get("perms"), "rw")
        self.assertNotIn("net_rx_dma", self.maps["vmm_vm_a"])  # a VM sees only its own copies

    def test_vmm_config_matches_its_maps_and_channels(self):
        for vm, pd, mac in (("vm-a", "vmm_vm_a", "02:00:00:00:00:0a"),
                            ("vm-b", "vmm_vm_b", sddf_net.mac_str(sddf_net.mac_default("vm-b")))):
            src = self.out[pd + "_config.c"]
            self.assertIn('{ .cls = "net", .options = "mac=%s" }' % mac, src)
            self.assertIn(".nr_devices = 1", src)
            self.assertIn(".net_attach = sel4_sddf_net_attach", src)
            m = self.maps[pd]
            for d, peer in (("rx", "net_copy_" + pd[4:]), ("tx", "net_switch")):
                got = re.search(r"\.%s = \{ \.free = (0x[0-9a-f]+), \.active = (0x[0-9a-f]+), "
                                r"\.capacity = (\d+), \.data = (0x[0-9a-f]+), "
                                r"\.data_size = (0x[0-9a-f]+), \.ch = (\d+) \}" % d, src)
                self.assertIsNotNone(got, src)
                self.assertEqual(int(got.group(1), 16), m["net_%s_%s_free" % (d, vm)])
                self.assertEqual(int(got.group(2), 16), m["net_%s_%s_active" % (d, vm)])
                self.assertEqual(int(got.group(4), 16), m["net_%s_data_%s" % (d, vm)])
                self.assertEqual(int(got.group(5), 16), int(got.group(3)) * 2048)
                self.assertIn(int(got.group(6)), [a for a, _ in self.chans.get((pd, peer), [])] +
                              [b for _, b in self.chans.get((peer, pd), [])])

    def test_component_configs_name_only_their_maps(self):
        for fname, pd in (("sddf_net_driver.c", "net_driver"), ("sddf_net_switch.c", "net_switch"),
                          ("sddf_net_virt_rx.c", "net_virt_rx"),
                          ("sddf_net_copy_vm_a.c", "net_copy_vm_a")):
            mapped = set(self.maps[pd].values())
            for v in re.findall(r"\.vaddr = \(void \*\)(0x[0-9a-f]+)", self.out[fname]):
                v = int(v, 16) & ~0xfff
                self.assertIn(v, mapped, "%s: 0x%x not mapped in %s" % (fname, v, pd))
        # the switch and the virtualiser know both MACs; the switch each tx region's io_addr
        for f in ("sddf_net_switch.c", "sddf_net_virt_rx.c"):
            self.assertIn("{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a }", self.out[f])
            self.assertIn(".num_clients = 2", self.out[f])
        self.assertIn(".io_addr = %s" % self.regions["net_tx_data_vm-b"].get("phys_addr"),
                      self.out["sddf_net_switch.c"])

    def test_transport_in_blks_page_shares_its_region(self):
        # Slots 24..31 are in the page of blk's transport (slot 31): one region.
        s = sel4gen.System("n")
        vm = s.vm("vm-a", net=s.net(slot=30))
        s.blk().add_client(vm, partition=0)
        out, regions, _, maps, _ = parse(s)
        pages = [n for n, r in regions.items() if r.get("phys_addr") == "0xa003000"]
        self.assertEqual(pages, ["net_virtio_regs"])
        self.assertIn("(void *)0x%x, .size = 0x200 }, .io_addr = 0xa003c00"
                      % (maps["net_driver"]["net_virtio_regs"] + 0xc00), out["sddf_net_driver.c"])
        self.assertIn("(void *)0x%x, .size = 0x200 }, .io_addr = 0xa003e00"
                      % (maps["blk_driver"]["net_virtio_regs"] + 0xe00), out["sddf_blk_driver.c"])

    def test_refuses_bad_descriptions(self):
        with self.assertRaises(ValueError):  # the same MAC twice
            net_system(("02:00:00:00:00:0a", "02:00:00:00:00:0a"))
        with self.assertRaises(ValueError):  # multicast
            net_system(("03:00:00:00:00:0a", None))
        with self.assertRaises(ValueError):
            net_system(("02:00:00:00:0a", None))
        s = sel4gen.System("x")
        with self.assertRaises(ValueError):
            s.net(slot=32)
        with self.assertRaises(ValueError):
            s.net(driver_buffers=100)
        with self.assertRaises(ValueError):
            s.vm("v", mac="02:00:00:00:00:01")  # a MAC without net
        net = s.net(driver_buffers=16, client_buffers=16, loop_buffers=4)
        with self.assertRaises(ValueError):
            s.net()
        s.vm("a", net=net)
        s.vm("b", net=net)
        with self.assertRaises(ValueError):  # 2 x 16 tx buffers > the driver's 16
            s.outputs()

    def test_without_net_nothing_changes(self):
        s = sel4gen.System("plain")
        s.vm("vm1")
        out = s.outputs()
        self.assertEqual(set(out), {"plain.system", "plain.qemu", "vmm_vm1_config.c"})
        self.assertNotIn(".devices", out["vmm_vm1_config.c"])


@needs_sddf_sdk_clang
class NetCompileTest(unittest.TestCase):
    """The generated net configs compile against the checkout's headers."""

    def test_configs_compile(self):
        check_configs_compile(self, net_system(), "sddf_net_",
                              ["-I", repo_path("ports/sel4/sddf")])


# The net backend's host test and what it is built from, less the queue header.
NET_BACKEND = [repo_path("tests/sddf/test_sddf_net.c"), repo_path("src/backends/sddf/net.c"),
               repo_path("src/backends/sddf/net_frame.c")]


@needs_sddf_gcc
class NetBackendTest(unittest.TestCase):
    """src/backends/sddf/net.c on the host, on sDDF's queue header (ASan+UBSan)."""

    def test_backend(self):
        check_host_test(self, "test_sddf_net",
                        ["-I", repo_path("include"), "-I", repo_path("tests/sddf/stub"),
                         "-isystem", os.path.join(SDDF, "include")] + NET_BACKEND)


@unittest.skipUnless(shutil.which("gcc"), "SKIPPED: needs gcc")
class NetBackendMirrorTest(unittest.TestCase):
    """The same test on tests/unit/sddf/network/queue.h, the mirror of sDDF's
    queue header that tests/fuzz/fuzz_sddf_net.c builds on: no SDDF needed,
    and the mirror behaves as net.c expects sDDF's queues to."""

    def test_backend_on_mirror(self):
        check_host_test(self, "test_sddf_net",
                        ["-I", repo_path("include"), "-I", repo_path("tests/sddf/stub"),
                         "-I", repo_path("tests/unit")] + NET_BACKEND)


if __name__ == "__main__":
    unittest.main()
