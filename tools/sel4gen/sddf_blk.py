# SPDX-License-Identifier: BSD-2-Clause
"""sel4gen's sDDF blk subsystem: sDDF's virtio-blk driver PD on QEMU's
virtio-blk-device and sDDF's blk virtualiser PD, which gives each client
(a stdvmm VMM) one partition of the disk (MBR or GPT).

    blk = system.blk()                          # one per system
    vm = system.vm("vm1", ...)
    blk.add_client(vm, partition=0)             # the VM's virtio-blk disk
    blk.add_client(vm2, partition=1, read_only=True)

write() then also produces sddf_blk_driver.c (device resources and
blk_driver_config_t) and sddf_blk_virt.c (blk_virt_config_t), compiled
against the sDDF checkout like the serial configs, and each client VM's
config gets a "disk" device and a struct sel4_blk_config.

sDDF's driver and virtualiser hand the device physical addresses (the
virtio rings and headers, and each client's data region, which the
virtualiser passes to the driver without copying), so those regions get
fixed physical addresses in RAM (System.dma_region).
"""

from sel4gen import PAGE, _pow2

BLK_TRANSFER_SIZE = 4096
REQ_SIZE, RESP_SIZE = 32, 12  # sizeof(blk_req_t), sizeof(blk_resp_t)
REQ_HEAD, RESP_HEAD = 16, 8   # offsetof(..., buffers)
STORAGE_INFO_SIZE = 0x1000    # BLK_STORAGE_INFO_REGION_SIZE
DRIVER_MAX_BUFFERS = 1024     # the virtualiser's request-id allocator
VIRTIO_HEADERS_SIZE = 0x10000  # sDDF's drivers/blk/virtio/config.json
VIRTIO_METADATA_SIZE = 0x200000

# board: (virtio-mmio slot of the first -device virtio-blk-device, its INTID).
# QEMU virt plugs the first virtio -device into the highest slot of 32:
# 0xa000000 + 31 * 0x200, SPI 16 + 31 (edge, as its device tree says).
VIRTIO_BLK = {"qemu_virt_aarch64": (0xA003E00, 79)}


def _round_page(n):
    return (n + PAGE - 1) // PAGE * PAGE


def _region_c(vaddr, size):
    return "{ .vaddr = (void *)0x%x, .size = 0x%x }" % (vaddr, size)


class _Conn:
    """One side's view of a blk connection (queues + storage info)."""

    def __init__(self, pd, req, resp, info, num_buffers, ch, info_perms="rw"):
        self.req_vaddr = pd.map(req)
        self.resp_vaddr = pd.map(resp)
        self.info_vaddr = pd.map(info, perms=info_perms)
        self.req, self.resp, self.info = req, resp, info
        self.num_buffers, self.ch = num_buffers, ch

    def c_init(self):
        return ("{ .storage_info = %s, .req_queue = %s, .resp_queue = %s, "
                ".num_buffers = %d, .id = %d }"
                % (_region_c(self.info_vaddr, self.info.size),
                   _region_c(self.req_vaddr, self.req.size),
                   _region_c(self.resp_vaddr, self.resp.size), self.num_buffers, self.ch))


def _queue_regions(system, prefix, num_buffers):
    return (system.region(prefix + "_req", _round_page(REQ_HEAD + REQ_SIZE * num_buffers)),
            system.region(prefix + "_resp", _round_page(RESP_HEAD + RESP_SIZE * num_buffers)),
            system.region(prefix + "_info", STORAGE_INFO_SIZE))


class Blk:
    """sDDF's blk subsystem: virtio-blk driver PD + virtualiser PD."""

    def __init__(self, system, priority=210, driver_buffers=DRIVER_MAX_BUFFERS,
                 driver_data_size=0x20000, mmio=None):
        if not 1 <= driver_buffers <= DRIVER_MAX_BUFFERS:
            raise ValueError("blk: driver_buffers %d outside 1..%d"
                             % (driver_buffers, DRIVER_MAX_BUFFERS))
        if driver_data_size % BLK_TRANSFER_SIZE or driver_data_size < 0x10000:
            raise ValueError("blk: driver_data_size 0x%x must be a multiple of 4 KiB >= 64 KiB"
                             " (the partition table is read through it)" % driver_data_size)
        if any(isinstance(sub, Blk) for sub in system.subsystems):
            raise ValueError("one blk subsystem per system")
        self.system = system
        self.mmio = mmio if mmio is not None else VIRTIO_BLK[system.board]
        self.driver_buffers, self.driver_data_size = driver_buffers, driver_data_size
        # The driver above the virtualiser: the virtualiser's init waits for it.
        self.driver = system.pd("blk_driver", "blk_driver.elf", priority)
        self.virt = system.pd("blk_virt", "blk_virt.elf", priority - 1, stack_size=0x2000)
        self.clients = []

    def add_client(self, vm, partition, read_only=False, num_buffers=128, data_size=0x200000,
                   slot_size=0x10000):
        """@vm gets a virtio-blk disk: partition @partition (MBR: 0..3, GPT:
        the entry index) of the disk, through @num_buffers queue entries and
        a @data_size data region cut into @slot_size pieces per request."""
        if any(c["vm"] is vm for c in self.clients):
            raise ValueError("blk: VM %s has a disk already" % vm.name)
        if any(c["partition"] == partition for c in self.clients):
            raise ValueError("blk: partition %d given to two VMs" % partition)
        if not 0 <= partition < 128:
            raise ValueError("blk: partition %d outside 0..127" % partition)
        if not 1 <= num_buffers <= 0xFFFF:
            raise ValueError("blk client %s: num_buffers %d outside 1..65535"
                             % (vm.name, num_buffers))
        if (not _pow2(slot_size) or slot_size < BLK_TRANSFER_SIZE
                or slot_size // BLK_TRANSFER_SIZE > 0xFFFF):
            raise ValueError("blk client %s: slot_size 0x%x must be a power of two, 4 KiB..256 MiB"
                             % (vm.name, slot_size))
        if data_size % slot_size or data_size < slot_size:
            raise ValueError("blk client %s: data_size 0x%x is not a multiple of slot_size 0x%x"
                             % (vm.name, data_size, slot_size))
        c = {"vm": vm, "partition": partition, "read_only": read_only,
             "num_buffers": num_buffers, "data_size": data_size, "slot_size": slot_size}
        self.clients.append(c)
        return c

    def _wire(self):
        """Regions, maps, the IRQ and channels; called once by System.finish()."""
        sysm = self.system
        if not self.clients:
            raise ValueError("blk: no clients (add_client)")
        paddr, intid = self.mmio
        regs, off = sysm.device_region("virtio_mmio", paddr)
        self.regs_vaddr = self.driver.map(regs, cached=False) + off
        self.regs_paddr = paddr
        self.irq_ch = self.driver.channel_id()
        self.driver.irqs.append((intid, self.irq_ch, "edge"))
        self.headers = sysm.dma_region("blk_virtio_headers", VIRTIO_HEADERS_SIZE)
        self.metadata = sysm.dma_region("blk_virtio_metadata", VIRTIO_METADATA_SIZE)
        self.headers_vaddr = self.driver.map(self.headers, cached=False)
        self.metadata_vaddr = self.driver.map(self.metadata, cached=False)
        req, resp, info = _queue_regions(sysm, "blk_driver", self.driver_buffers)
        ch_drv, ch_virt = sysm.channel(self.driver, self.virt)
        self.drv_conn = _Conn(self.driver, req, resp, info, self.driver_buffers, ch_drv)
        self.virt_drv_conn = _Conn(self.virt, req, resp, info, self.driver_buffers, ch_virt)
        self.drv_data = sysm.dma_region("blk_driver_data", self.driver_data_size)
        self.drv_data_vaddr = self.virt.map(self.drv_data)
        for c in self.clients:
            vm, name = c["vm"], c["vm"].program[4:]
            req, resp, info = _queue_regions(sysm, "blk_%s" % name, c["num_buffers"])
            data = sysm.dma_region("blk_%s_data" % name, c["data_size"])
            ch_cli, ch_virt = sysm.channel(vm.pd, self.virt)
            c["conn"] = _Conn(vm.pd, req, resp, info, c["num_buffers"], ch_cli, info_perms="r")
            c["virt_conn"] = _Conn(self.virt, req, resp, info, c["num_buffers"], ch_virt)
            c["data"] = data
            c["data_vaddr"] = vm.pd.map(data)
            c["virt_data_vaddr"] = self.virt.map(data)

    def vmm_c(self, pd):
        """For the VMM PD @pd (System's subsystem interface): None if its VM has
        no disk here, else (declarations, struct sel4_vmm_config fields, the
        machine description's device as (class, options))."""
        c = next((c for c in self.clients if c["vm"].pd is pd), None)
        if c is None:
            return None
        conn = c["conn"]
        decl = ("\nstatic const struct sel4_blk_config blk = {\n"
                "    .req_queue = 0x%x,\n    .resp_queue = 0x%x,\n    .storage_info = 0x%x,\n"
                "    .data = 0x%x,\n    .num_buffers = %d,\n    .data_size = 0x%x,\n"
                "    .slot_size = 0x%x,\n    .ch = %d,\n    .read_only = %s,\n};\n"
                % (conn.req_vaddr, conn.resp_vaddr, conn.info_vaddr, c["data_vaddr"],
                   c["num_buffers"], c["data_size"], c["slot_size"], conn.ch,
                   "true" if c["read_only"] else "false"))
        return (decl, "    .blk = &blk,\n    .blk_attach = sel4_sddf_blk_attach,\n",
                ("disk", "sddf-blk,ro" if c["read_only"] else "sddf-blk"))

    def c_sources(self):
        """{file name: C text} for the driver and the virtualiser."""
        head = ("/* SPDX-License-Identifier: BSD-2-Clause */\n"
                "/* Generated by tools/sel4gen for system %s: do not edit. */\n"
                % self.system.name)
        drv = head + (
            "#include <sddf/resources/device.h>\n#include <sddf/blk/config.h>\n\n"
            "__attribute__((section(\".device_resources\"))) device_resources_t device_resources = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x1 },\n"
            "    .num_regions = 3,\n    .num_irqs = 1,\n"
            "    .regions = {\n"
            "        { .region = %s, .io_addr = 0x%x },\n"
            "        { .region = %s, .io_addr = 0x%x },\n"
            "        { .region = %s, .io_addr = 0x%x },\n    },\n"
            "    .irqs = { { .id = %d } },\n};\n\n"
            "__attribute__((section(\".blk_driver_config\"))) blk_driver_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x2 },\n"
            "    .virt = %s,\n};\n"
            % (_region_c(self.regs_vaddr, 0x200), self.regs_paddr,
               _region_c(self.headers_vaddr, self.headers.size), self.headers.phys_addr,
               _region_c(self.metadata_vaddr, self.metadata.size), self.metadata.phys_addr,
               self.irq_ch, self.drv_conn.c_init()))
        clients = ",\n".join(
            "        { .conn = %s,\n          .data = { .region = %s, .io_addr = 0x%x },\n"
            "          .partition = %d }"
            % (c["virt_conn"].c_init(), _region_c(c["virt_data_vaddr"], c["data"].size),
               c["data"].phys_addr, c["partition"]) for c in self.clients)
        virt = head + (
            "#include <sddf/blk/config.h>\n\n"
            "__attribute__((section(\".blk_virt_config\"))) blk_virt_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x2 },\n"
            "    .num_clients = %d,\n"
            "    .driver = { .conn = %s,\n"
            "                .data = { .region = %s, .io_addr = 0x%x } },\n"
            "    .clients = {\n%s\n    },\n};\n"
            % (len(self.clients), self.virt_drv_conn.c_init(),
               _region_c(self.drv_data_vaddr, self.drv_data.size), self.drv_data.phys_addr,
               clients))
        return {"sddf_blk_driver.c": drv, "sddf_blk_virt.c": virt}
