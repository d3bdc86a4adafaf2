# SPDX-License-Identifier: BSD-2-Clause
"""sel4gen's net subsystem: sDDF's virtio-net driver, its rx virtualiser and
one copier per client, and stdvmm's own net switch (ports/sel4/sddf/
sel4_net_switch.c) in place of sDDF's tx virtualiser, which at 5febd61c
sends every client frame to the driver and so cannot connect two VMs behind
QEMU's user network (slirp does not switch frames between two MACs).

    net = system.net(slot=23)                    # QEMU virtio-mmio transport 23
    system.vm("vm-a", ..., net=net, mac="02:00:00:00:00:0a")

Frames, as sDDF moves them:

  rx  driver -> net_switch -> net_virt_rx (by destination MAC) -> net_copy_<vm> -> VMM
  tx  VMM -> net_switch -> driver          (unicast to a MAC outside, broadcast)
      VMM -> net_switch -> net_virt_rx ... (unicast to another VM, broadcast):
          the switch copies the frame into one of the rx DMA buffers it keeps back

The driver's registers (System.device_region) and every DMA buffer region
(System.dma_region) have fixed physical addresses, which the configs give as
io_addr.
"""

PAGE = 0x1000
NET_BUFFER_SIZE = 2048
# QEMU virt: virtio-mmio transport n at 0x0a000000 + n * 0x200, SPI 16 + n.
VIRTIO_MMIO_BASE = 0x0A00_0000
VIRTIO_MMIO_SIZE = 0x200
VIRTIO_MMIO_NR = 32
HW_RING_SIZE = 0x10000  # the driver's virtqueues and headers (HW_RING_SIZE in ethernet.c)
MAX_CLIENTS = 16        # SEL4_NET_SWITCH_MAX_CLIENTS


def _pow2(n):
    return n > 0 and (n & (n - 1)) == 0


def _queue_bytes(capacity):
    """net_queue_t: tail, head (u16), consumer_signalled (u32), then 16-byte descriptors."""
    n = 8 + 16 * capacity
    return (n + PAGE - 1) // PAGE * PAGE


def mac_default(name):
    """The address stdvmm's vmm_mac_default() derives from @name: 02:53 + FNV-1a."""
    h = 2166136261
    for b in name.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return [0x02, 0x53] + [(h >> (8 * i)) & 0xFF for i in range(4)]


def mac_parse(s):
    parts = s.split(":")
    if len(parts) != 6 or any(len(p) != 2 for p in parts):
        raise ValueError("MAC %r: want XX:XX:XX:XX:XX:XX" % s)
    try:
        mac = [int(p, 16) for p in parts]
    except ValueError:
        raise ValueError("MAC %r: want XX:XX:XX:XX:XX:XX" % s) from None
    if mac[0] & 1:
        raise ValueError("MAC %s is a multicast address" % s)
    return mac


def mac_str(mac):
    return ":".join("%02x" % b for b in mac)


def _c_mac(mac):
    return "{ " + ", ".join("0x%02x" % b for b in mac) + " }"


class _Conn:
    """A free + active queue pair as one PD maps it."""

    def __init__(self, free, active, capacity, ch):
        self.free, self.active, self.capacity, self.ch = free, active, capacity, ch

    def c_init(self):
        return ("{ .free_queue = { .vaddr = (void *)0x%x, .size = 0x%x }, "
                ".active_queue = { .vaddr = (void *)0x%x, .size = 0x%x }, "
                ".num_buffers = %d, .id = %d }"
                % (self.free, _queue_bytes(self.capacity), self.active,
                   _queue_bytes(self.capacity), self.capacity, self.ch))


def _region_c(vaddr, size):
    return "{ .vaddr = (void *)0x%x, .size = 0x%x }" % (vaddr, size)


def _dev_region_c(vaddr, size, io):
    return "{ .region = %s, .io_addr = 0x%x }" % (_region_c(vaddr, size), io)


class Net:
    """The net subsystem of one system (System.net())."""

    def __init__(self, system, slot, driver_buffers, client_buffers, loop_buffers, priority):
        if not 0 <= slot < VIRTIO_MMIO_NR:
            raise ValueError("net: virtio-mmio slot %d outside 0..%d" % (slot, VIRTIO_MMIO_NR - 1))
        for what, n in (("driver_buffers", driver_buffers), ("client_buffers", client_buffers)):
            if not _pow2(n) or not 4 <= n <= 4096:
                raise ValueError("net: %s %d must be a power of two in 4..4096" % (what, n))
        if not 1 <= loop_buffers < driver_buffers:
            raise ValueError("net: loop_buffers %d must be in 1..%d" % (loop_buffers,
                                                                         driver_buffers - 1))
        self.system, self.slot = system, slot
        self.driver_buffers, self.client_buffers = driver_buffers, client_buffers
        self.loop_buffers = loop_buffers
        self.priority = priority
        self.driver = system.pd("net_driver", "net_driver.elf", priority)
        self.switch = system.pd("net_switch", "net_switch.elf", priority - 1, stack_size=0x2000)
        self.virt_rx = system.pd("net_virt_rx", "net_virt_rx.elf", priority - 1,
                                 stack_size=0x2000)
        self.clients = []

    @property
    def regs_paddr(self):
        return VIRTIO_MMIO_BASE + self.slot * VIRTIO_MMIO_SIZE

    @property
    def intid(self):
        return 32 + 16 + self.slot

    def qemu_args(self, netdev="net0"):
        """QEMU options for the device the driver expects (virtio 1.x, this transport)."""
        return ["-global", "virtio-mmio.force-legacy=false", "-device",
                "virtio-net-device,netdev=%s,bus=virtio-mmio-bus.%d" % (netdev, self.slot)]

    def add_client(self, name, pd, mac):
        mac = mac_parse(mac) if mac is not None else mac_default(name)
        if any(c["mac"] == mac for c in self.clients):
            raise ValueError("net: VM %s has the MAC %s of another VM" % (name, mac_str(mac)))
        if len(self.clients) == MAX_CLIENTS:
            raise ValueError("net: more than %d clients" % MAX_CLIENTS)
        prog = "net_copy_" + name.replace("-", "_")
        copier = self.system.pd(prog, prog + ".elf", self.priority - 2, stack_size=0x2000)
        self.clients.append({"name": name, "pd": pd, "mac": mac, "copier": copier})
        return len(self.clients) - 1

    def client_of(self, pd):
        for c in self.clients:
            if c["pd"] is pd:
                return c
        return None

    def _pair(self, name, capacity, a, b):
        """Free and active queue regions shared by PDs a and b: (a's _Conn, b's _Conn)."""
        sysm = self.system
        size = _queue_bytes(capacity)
        free = sysm.region("net_%s_free" % name, size)
        active = sysm.region("net_%s_active" % name, size)
        ch_a, ch_b = sysm.channel(a, b)
        return (_Conn(a.map(free), a.map(active), capacity, ch_a),
                _Conn(b.map(free), b.map(active), capacity, ch_b))

    def _wire(self):
        sysm = self.system
        if sum(1 for _ in self.clients) * self.client_buffers > self.driver_buffers:
            raise ValueError("net: %d clients x %d tx buffers exceed the driver's %d"
                             % (len(self.clients), self.client_buffers, self.driver_buffers))
        d, sw, vrx = self.driver, self.switch, self.virt_rx
        # The driver: its virtio-mmio transport, the ring region, the IRQ.
        regs, off = sysm.device_region("net_virtio_regs", self.regs_paddr)
        self.regs_vaddr = d.map(regs, cached=False) + off
        ring = sysm.dma_region("net_hw_ring", HW_RING_SIZE)
        self.ring = (d.map(ring, cached=False), ring.phys_addr)
        self.irq_ch = d.channel_id()
        d.irqs.append((self.intid, self.irq_ch, "level"))
        n = self.driver_buffers
        self.drv_rx, self.sw_drv_rx = self._pair("drv_rx", n, d, sw)
        self.drv_tx, self.sw_drv_tx = self._pair("drv_tx", n, d, sw)
        self.sw_virt_rx, self.virt_rx_drv = self._pair("virt_rx", n, sw, vrx)
        # The rx DMA buffers: read-only for the virtualiser and the copiers
        # (sDDF's rule: no dirty lines over DMA), writable for the switch,
        # which copies frames between VMs into the buffers it keeps back.
        size = n * NET_BUFFER_SIZE
        rx_dma = sysm.dma_region("net_rx_dma", size)
        self.rx_dma = {"pa": rx_dma.phys_addr, "size": size, "virt_rx": vrx.map(rx_dma, perms="r"),
                       "switch": sw.map(rx_dma)}
        # virt_rx's buffer reference counts: one uint32_t per driver buffer, zeroed.
        msize = (4 * n + PAGE - 1) // PAGE * PAGE
        meta = sysm.region("net_virt_rx_meta", msize)
        self.meta = (vrx.map(meta), msize)
        for c in self.clients:
            vm, cp, cn = c["pd"], c["copier"], c["name"]
            c["virt_rx"], c["copy_virt"] = self._pair("virt_rx_%s" % cn, n, vrx, cp)
            c["copy_dma"] = cp.map(rx_dma, perms="r")
            c["copy_cli"], c["rx"] = self._pair("rx_%s" % cn, self.client_buffers, cp, vm)
            dsize = self.client_buffers * NET_BUFFER_SIZE
            rx_data = sysm.region("net_rx_data_%s" % cn, dsize)
            c["copy_data"], c["rx_data"] = cp.map(rx_data), vm.map(rx_data)
            c["tx"], c["sw_tx"] = self._pair("tx_%s" % cn, self.client_buffers, vm, sw)
            tx_data = sysm.dma_region("net_tx_data_%s" % cn, dsize)
            c["tx_data"], c["sw_tx_data"] = vm.map(tx_data), sw.map(tx_data)
            c["tx_pa"] = tx_data.phys_addr
            c["data_size"] = dsize

    # ------------------------------------------------------------ outputs
    def _head(self):
        return ("/* SPDX-License-Identifier: BSD-2-Clause */\n"
                "/* Generated by tools/sel4gen for system %s: do not edit. */\n" % self.system.name)

    def c_sources(self):
        """{file name: C text}: the driver's, virtualiser's, switch's and copiers' configs."""
        n = self.driver_buffers
        files = {}
        files["sddf_net_driver.c"] = self._head() + (
            "#include <sddf/resources/device.h>\n#include <sddf/network/config.h>\n\n"
            "__attribute__((section(\".device_resources\"))) device_resources_t device_resources = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x1 },\n"
            "    .num_regions = 2,\n    .num_irqs = 1,\n"
            "    .regions = {\n        %s,\n        %s,\n    },\n"
            "    .irqs = { { .id = %d } },\n};\n\n"
            "__attribute__((section(\".net_driver_config\"))) net_driver_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x5 },\n"
            "    .virt_rx = %s,\n    .virt_tx = %s,\n};\n"
            % (_dev_region_c(self.regs_vaddr, VIRTIO_MMIO_SIZE, self.regs_paddr),
               _dev_region_c(self.ring[0], HW_RING_SIZE, self.ring[1]), self.irq_ch,
               self.drv_rx.c_init(), self.drv_tx.c_init()))
        clients = ",\n".join("        { .conn = %s, .mac_addr = %s }"
                             % (c["virt_rx"].c_init(), _c_mac(c["mac"])) for c in self.clients)
        files["sddf_net_virt_rx.c"] = self._head() + (
            "#include <sddf/network/config.h>\n\n"
            "__attribute__((section(\".net_virt_rx_config\"))) net_virt_rx_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x5 },\n"
            "    .driver = %s,\n    .data = %s,\n    .buffer_metadata = %s,\n"
            "    .clients = {\n%s\n    },\n    .num_clients = %d,\n};\n"
            % (self.virt_rx_drv.c_init(),
               _dev_region_c(self.rx_dma["virt_rx"], self.rx_dma["size"], self.rx_dma["pa"]),
               _region_c(*self.meta), clients, len(self.clients)))
        sw_clients = ",\n".join(
            "        { .tx = %s, .tx_data = %s, .mac_addr = %s }"
            % (c["sw_tx"].c_init(), _dev_region_c(c["sw_tx_data"], c["data_size"], c["tx_pa"]),
               _c_mac(c["mac"])) for c in self.clients)
        files["sddf_net_switch.c"] = self._head() + (
            "#include \"sel4_net_switch.h\"\n\n"
            "__attribute__((section(\".net_switch_config\"))) sel4_net_switch_config_t config = {\n"
            "    .magic = SEL4_NET_SWITCH_MAGIC,\n"
            "    .drv_rx = %s,\n    .drv_tx = %s,\n    .virt_rx = %s,\n    .rx_data = %s,\n"
            "    .loop_buffers = %d,\n"
            "    .clients = {\n%s\n    },\n    .num_clients = %d,\n};\n"
            % (self.sw_drv_rx.c_init(), self.sw_drv_tx.c_init(), self.sw_virt_rx.c_init(),
               _dev_region_c(self.rx_dma["switch"], self.rx_dma["size"], self.rx_dma["pa"]),
               self.loop_buffers, sw_clients, len(self.clients)))
        for c in self.clients:
            files["sddf_%s.c" % c["copier"].name] = self._head() + (
                "#include <sddf/network/config.h>\n\n"
                "__attribute__((section(\".net_copy_config\"))) net_copy_config_t config = {\n"
                "    .magic = { 's', 'D', 'D', 'F', 0x5 },\n"
                "    .virt_rx = %s,\n    .device_data = %s,\n"
                "    .client = %s,\n    .client_data = %s,\n};\n"
                % (c["copy_virt"].c_init(), _region_c(c["copy_dma"], n * NET_BUFFER_SIZE),
                   c["copy_cli"].c_init(), _region_c(c["copy_data"], c["data_size"])))
        # The QEMU options the driver needs (the netdev itself, net0, is the user's).
        files["qemu_net.args"] = " ".join(self.qemu_args()) + "\n"
        return files

    def vmm_c(self, pd):
        """(C definitions, config fields, machine device) for the VMM PD @pd, or None."""
        c = self.client_of(pd)
        if c is None:
            return None

        def q(conn, data):
            return ("{ .free = 0x%x, .active = 0x%x, .capacity = %d, .data = 0x%x, "
                    ".data_size = 0x%x, .ch = %d }"
                    % (conn.free, conn.active, conn.capacity, data, c["data_size"], conn.ch))
        body = ("\nstatic const struct sel4_net_config net = {\n"
                "    .rx = %s,\n    .tx = %s,\n    .mac = %s,\n};\n"
                % (q(c["rx"], c["rx_data"]), q(c["tx"], c["tx_data"]), _c_mac(c["mac"])))
        fields = "    .net = &net,\n    .net_attach = sel4_sddf_net_attach,\n"
        device = ("net", "mac=" + mac_str(c["mac"]))
        return body, fields, device
