# SPDX-License-Identifier: BSD-2-Clause
"""sel4gen: stdvmm's seL4 system generator (issue 11 point 7).

A system is described with a few Python calls (an API, not a DSL):

    sys = System("io")
    serial = sys.serial()                      # sDDF PL011 driver + virtualisers
    sys.vm("vm1", vcpus=1, ram=256 << 20, console=serial, cmdline="...")
    sys.write("build/sel4/io/gen")

and write() produces everything the Microkit tool and the sDDF components
need, which sDDF's own sdfgen would otherwise generate:

  <name>.system                 the Microkit 2.0.1 system description
  sddf_serial_driver.c          device resources + serial_driver_config_t
  sddf_serial_virt_rx.c         serial_virt_rx_config_t
  sddf_serial_virt_tx.c         serial_virt_tx_config_t
  sddf_timer_driver.c           device resources of sDDF's timer driver (System.timer())
  sddf_net_*.c, qemu_net.args   with System.net(): the net subsystem's configs (sddf_net.py)
  vmm_<vm>_config.c             stdvmm's struct sel4_vmm_config for each VMM
  <name>.qemu                   QEMU's -device loader arguments that put each
                                VM's guest images (guest_vmm_<vm>.img, made
                                by `sel4gen.py pack`) where its VMM maps them

The sddf_*.c files are C initialisers of sDDF's own config structs, each in
the ELF section the component reads it from; the example Makefile compiles
them against the SDDF checkout's headers (so the layout is the compiler's,
not guessed here) and copies each section into the component's ELF with
objcopy. The vmm_*_config.c files need no sDDF header. Only the Python
standard library is used.
"""

import os
import xml.sax.saxutils

PAGE = 0x1000
LARGE_PAGE = 0x200000
# Where sDDF regions start in a component PD (its program sits at 0x200000).
PD_REGION_BASE = 0x2000_0000
# In a VMM PD guest RAM is mapped at its guest-physical address; the
# serial regions go after the highest guest RAM of any configuration here.
VMM_REGION_BASE = 0x6000_0000

# Regions that need a physical address (DMA buffers of sDDF's drivers) are
# allocated from here down (qemu_virt_aarch64: seL4's memory is
# 0x60000000..0xc0000000, and the Microkit tool already uses some of its last
# MiB). seL4 zeroes a whole untyped the first time anything is retyped from
# it, so every fixed region goes into the one below PHYS_TOP, 16 MiB from
# 0xbe000000 (DMA_UNTYPED): fixed regions at the start of the 256 MiB one at
# 0xa0000000 made seL4 clear all of it at every boot.
PHYS_TOP = {"qemu_virt_aarch64": 0xBF00_0000}
DMA_UNTYPED = {"qemu_virt_aarch64": (0xBE00_0000, 0xBF00_0000)}

# Where the boot loader (QEMU's -device loader) puts the VMs' guest images:
# one window per VM from here, in physical memory below what the board's seL4
# kernel uses as RAM (0x60000000: device untyped to seL4, so never cleared),
# above where QEMU puts loader.img (0x40080000) and its DTB (0x48000000).
GUEST_IMAGES_BASE = 0x5000_0000
GUEST_IMAGES_END = 0x6000_0000
GUEST_IMAGES_WINDOW = 0x400_0000
GUEST_IMAGES_MAGIC = b"STDVMMGI"

# Where the guest sees its PL011 (VMM_ARM64_UART_BASE, include/stdvmm/arm64.h).
GUEST_UART = 0x9000000

BOARDS = {
    # board: (PL011 physical address, PL011 INTID, GICV physical address)
    "qemu_virt_aarch64": (0x9000000, 33, 0x8040000),
}
# board: INTID of the EL1 physical timer (the generic timer's non-secure
# physical PPI, which sDDF's ARM timer driver uses; the kernel keeps the
# hypervisor timer, the guests the virtual one).
TIMER_IRQ = {"qemu_virt_aarch64": 30}
# board: seL4's smallest budget in microseconds, MIN_BUDGET_US = 2 x the
# platform's KERNEL_WCET (10 us on qemu-arm-virt) x KERNEL_WCET_SCALE (1).
MIN_BUDGET_US = {"qemu_virt_aarch64": 20}
# Microkit 2.0.1's defaults (manual, "protection_domain"): budget 1000 us,
# period = budget; priorities 0..254.
MICROKIT_BUDGET_US = 1000
MICROKIT_MAX_PRIORITY = 254
# sDDF 5febd61c's ARM timer driver keeps one timeout per channel 0..5.
SDDF_TIMER_MAX_CLIENTS = 6


def _pow2(n):
    return n > 0 and (n & (n - 1)) == 0


def _c_char(ch):
    return "0x%02x" % ord(ch)


def _c_string(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\%03o" % ord(ch))
    return '"' + "".join(out) + '"'


def check_sched(what, board, priority, budget, period):
    """Refuse scheduling parameters Microkit 2.0.1 or seL4 would reject at
    build or boot time, with what and where; returns the effective
    (budget, period) in microseconds."""
    if not isinstance(priority, int) or not 0 <= priority <= MICROKIT_MAX_PRIORITY:
        raise ValueError("%s: priority %r outside 0..%d" % (what, priority, MICROKIT_MAX_PRIORITY))
    for name, v in (("budget", budget), ("period", period)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v <= 0):
            raise ValueError("%s: %s %r must be a positive whole number of microseconds"
                             % (what, name, v))
    eff_budget = budget if budget is not None else MICROKIT_BUDGET_US
    eff_period = period if period is not None else eff_budget
    if eff_budget > eff_period:
        raise ValueError("%s: budget %d us exceeds its period %d us%s"
                         % (what, eff_budget, eff_period,
                            "" if budget is not None else " (Microkit's default budget)"))
    if eff_budget < MIN_BUDGET_US[board]:
        raise ValueError("%s: budget %d us is below seL4's minimum of %d us on %s"
                         % (what, eff_budget, MIN_BUDGET_US[board], board))
    return eff_budget, eff_period


class Region:
    """A Microkit memory region shared between PDs (an sDDF queue or data area)."""

    def __init__(self, name, size, phys_addr=None):
        if size % PAGE:
            raise ValueError("region %s: size 0x%x is not a multiple of 0x%x" % (name, size, PAGE))
        self.name, self.size, self.phys_addr = name, size, phys_addr

    def large_pages(self):
        """2 MiB pages (fewer objects and mappings for the Microkit monitor to make)."""
        return self.size % LARGE_PAGE == 0 and (self.phys_addr or 0) % LARGE_PAGE == 0


class Pd:
    """A protection domain: its maps, irqs and a bump allocator for vaddrs."""

    def __init__(self, name, program, priority, stack_size=None, budget=None, period=None,
                 region_base=PD_REGION_BASE, board="qemu_virt_aarch64"):
        check_sched("PD %s" % name, board, priority, budget, period)
        self.name, self.program, self.priority = name, program, priority
        self.stack_size, self.budget, self.period = stack_size, budget, period
        self.maps = []  # (region, vaddr, perms, cached, setvar)
        self.irqs = []  # (irq, id, trigger)
        self.next_vaddr = region_base
        self.next_ch = 0
        self.vm = None

    def map(self, region, perms="rw", cached=True, vaddr=None, setvar=None):
        if vaddr is None:
            vaddr = self.next_vaddr
            if region.large_pages():
                vaddr = (vaddr + LARGE_PAGE - 1) // LARGE_PAGE * LARGE_PAGE
            self.next_vaddr = vaddr + region.size
        self.maps.append((region, vaddr, perms, cached, setvar))
        return vaddr

    def channel_id(self):
        if self.next_ch > 62:
            raise ValueError("PD %s: more than 63 channels" % self.name)
        ch = self.next_ch
        self.next_ch += 1
        return ch


class Connection:
    """One sDDF serial queue pair (queue + data region) as one PD sees it."""

    def __init__(self, queue_vaddr, data_vaddr, size, ch):
        self.queue_vaddr, self.data_vaddr, self.size, self.ch = queue_vaddr, data_vaddr, size, ch

    def c_init(self):
        return ("{ .queue = { .vaddr = (void *)0x%x, .size = 0x%x }, "
                ".data = { .vaddr = (void *)0x%x, .size = 0x%x }, .id = %d }"
                % (self.queue_vaddr, PAGE, self.data_vaddr, self.size, self.ch))


class Serial:
    """sDDF's serial subsystem: PL011 driver PD, rx and tx virtualiser PDs."""

    def __init__(self, system, switch_char, terminate_char, colour, begin_str, baud,
                 driver_tx_size, driver_rx_size, priority):
        for n in (driver_tx_size, driver_rx_size):
            if not _pow2(n) or n < PAGE:
                raise ValueError("serial: queue data size 0x%x must be a power of two >= 0x1000" % n)
        self.system = system
        self.switch_char, self.terminate_char = switch_char, terminate_char
        self.colour, self.begin_str, self.baud = colour, begin_str, baud
        self.driver = system.pd("serial_driver", "serial_driver.elf", priority)
        self.virt_rx = system.pd("serial_virt_rx", "serial_virt_rx.elf", priority - 1,
                                 stack_size=0x2000)
        self.virt_tx = system.pd("serial_virt_tx", "serial_virt_tx.elf", priority - 1,
                                 stack_size=0x2000)
        self.driver_tx_size, self.driver_rx_size = driver_tx_size, driver_rx_size
        self.clients = []  # (name, client PD, rx Connection, tx Connection, virt_rx conn, virt_tx conn)

    def _wire(self):
        """Regions, maps and channels; called once by System.finish()."""
        sysm = self.system
        paddr, intid, _ = BOARDS[sysm.board]
        uart = sysm.region("serial_uart", PAGE, phys_addr=paddr)
        self.uart_vaddr = self.driver.map(uart, cached=False)
        self.irq_ch = self.driver.channel_id()
        self.driver.irqs.append((intid, self.irq_ch, "level"))
        self.drv_conn = {}
        self.virt_drv_conn = {}
        for d, virt, size in (("rx", self.virt_rx, self.driver_rx_size),
                              ("tx", self.virt_tx, self.driver_tx_size)):
            q = sysm.region("serial_drv_%s_queue" % d, PAGE)
            data = sysm.region("serial_drv_%s_data" % d, size)
            ch_drv, ch_virt = sysm.channel(self.driver, virt)
            self.drv_conn[d] = Connection(self.driver.map(q), self.driver.map(data), size, ch_drv)
            self.virt_drv_conn[d] = Connection(virt.map(q), virt.map(data), size, ch_virt)
        for c in self.clients:
            pd, tx_size, rx_size = c["pd"], c["tx_size"], c["rx_size"]
            if tx_size + 16 > self.driver_tx_size:
                raise ValueError("serial: client %s tx queue 0x%x does not fit the driver's 0x%x"
                                 % (c["name"], tx_size, self.driver_tx_size))
            for d, virt, size in (("rx", self.virt_rx, rx_size), ("tx", self.virt_tx, tx_size)):
                q = sysm.region("serial_%s_%s_queue" % (c["name"], d), PAGE)
                data = sysm.region("serial_%s_%s_data" % (c["name"], d), size)
                ch_cli, ch_virt = sysm.channel(pd, virt)
                c[d] = Connection(pd.map(q), pd.map(data), size, ch_cli)
                c["virt_" + d] = Connection(virt.map(q), virt.map(data), size, ch_virt)

    def add_client(self, name, pd, tx_size=0x4000, rx_size=0x1000):
        for n in (tx_size, rx_size):
            if not _pow2(n) or n < PAGE:
                raise ValueError("serial client %s: size 0x%x must be a power of two >= 0x1000"
                                 % (name, n))
        self.clients.append({"name": name, "pd": pd, "tx_size": tx_size, "rx_size": rx_size})
        return len(self.clients) - 1

    def c_sources(self):
        """{file name: C text} for the driver and both virtualisers."""
        head = ("/* SPDX-License-Identifier: BSD-2-Clause */\n"
                "/* Generated by tools/sel4gen for system %s: do not edit. */\n"
                % self.system.name)
        drv = head + (
            "#include <sddf/resources/device.h>\n#include <sddf/serial/config.h>\n\n"
            "__attribute__((section(\".device_resources\"))) device_resources_t device_resources = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x1 },\n"
            "    .num_regions = 1,\n    .num_irqs = 1,\n"
            "    .regions = { { .region = { .vaddr = (void *)0x%x, .size = 0x%x }, .io_addr = 0x%x } },\n"
            "    .irqs = { { .id = %d } },\n};\n\n"
            "__attribute__((section(\".serial_driver_config\"))) serial_driver_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x3 },\n"
            "    .rx = %s,\n    .tx = %s,\n"
            "    .default_baud = %d,\n    .rx_enabled = true,\n};\n"
            % (self.uart_vaddr, PAGE, BOARDS[self.system.board][0], self.irq_ch,
               self.drv_conn["rx"].c_init(), self.drv_conn["tx"].c_init(), self.baud))
        rx_clients = ",\n".join("        %s" % c["virt_rx"].c_init() for c in self.clients)
        rx = head + (
            "#include <sddf/serial/config.h>\n\n"
            "__attribute__((section(\".serial_virt_rx_config\"))) serial_virt_rx_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x3 },\n"
            "    .driver = %s,\n"
            "    .clients = {\n%s\n    },\n"
            "    .num_clients = %d,\n"
            "    .switch_char = %s,\n    .terminate_num_char = %s,\n};\n"
            % (self.virt_drv_conn["rx"].c_init(), rx_clients, len(self.clients),
               _c_char(self.switch_char), _c_char(self.terminate_char)))
        tx_clients = ",\n".join("        { .conn = %s, .name = %s }"
                                % (c["virt_tx"].c_init(), _c_string(c["name"])) for c in self.clients)
        tx = head + (
            "#include <sddf/serial/config.h>\n\n"
            "__attribute__((section(\".serial_virt_tx_config\"))) serial_virt_tx_config_t config = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x3 },\n"
            "    .driver = %s,\n"
            "    .clients = {\n%s\n    },\n"
            "    .num_clients = %d,\n"
            "    .begin_str = %s,\n    .enable_colour = %s,\n    .enable_rx = true,\n};\n"
            % (self.virt_drv_conn["tx"].c_init(), tx_clients, len(self.clients),
               _c_string(self.begin_str), "true" if self.colour else "false"))
        return {"sddf_serial_driver.c": drv, "sddf_serial_virt_rx.c": rx,
                "sddf_serial_virt_tx.c": tx}


class Timer:
    """sDDF's ARM generic-timer driver PD (drivers/timer/arm): one timeout per
    client, set with a protected call; the VMMs use it to wake vCPUs that
    sleep in WFI (ports/sel4/sel4_idle.c)."""

    def __init__(self, system, priority):
        self.system, self.priority = system, priority
        self.driver = system.pd("timer_driver", "timer_driver.elf", priority)
        self.clients = []
        self.client_ch = {}

    def add_client(self, pd):
        if len(self.clients) >= SDDF_TIMER_MAX_CLIENTS:
            raise ValueError("timer: more than %d clients (sDDF's ARM timer driver keeps one "
                             "timeout per channel 0..%d)"
                             % (SDDF_TIMER_MAX_CLIENTS, SDDF_TIMER_MAX_CLIENTS - 1))
        self.clients.append(pd)

    def _wire(self):
        """Client channels first (driver ids 0..n-1), then the IRQ."""
        for pd in self.clients:
            ch_drv, ch_cli = self.system.channel(self.driver, pd, pp_b=True)
            assert ch_drv < SDDF_TIMER_MAX_CLIENTS
            self.client_ch[pd.name] = ch_cli
        self.irq_ch = self.driver.channel_id()
        self.driver.irqs.append((TIMER_IRQ[self.system.board], self.irq_ch, "level"))

    def c_sources(self):
        head = ("/* SPDX-License-Identifier: BSD-2-Clause */\n"
                "/* Generated by tools/sel4gen for system %s: do not edit. */\n"
                % self.system.name)
        drv = head + (
            "#include <sddf/resources/device.h>\n\n"
            "__attribute__((section(\".device_resources\"))) device_resources_t device_resources = {\n"
            "    .magic = { 's', 'D', 'D', 'F', 0x1 },\n"
            "    .num_regions = 0,\n    .num_irqs = 1,\n"
            "    .irqs = { { .id = %d } },\n};\n" % self.irq_ch)
        return {"sddf_timer_driver.c": drv}


class Vm:
    """One VM and the stdvmm VMM PD that runs it."""

    def __init__(self, system, name, vcpus, ram, ram_gpa, priority, budget, period,
                 vmm_priority, vmm_budget, vmm_period, cmdline, virtio_console, console,
                 timer=None, net=None, mac=None, uart_mirror=True, xen_console=False):
        if not 1 <= vcpus <= 8:
            raise ValueError("VM %s: %d vCPUs outside 1..8" % (name, vcpus))
        if ram % 0x200000 or ram_gpa % 0x200000:
            raise ValueError("VM %s: RAM size and address must be 2 MiB aligned" % name)
        if ram_gpa + ram > VMM_REGION_BASE:
            raise ValueError("VM %s: guest RAM ends above 0x%x" % (name, VMM_REGION_BASE))
        if vmm_priority is None:
            vmm_priority = MICROKIT_MAX_PRIORITY if timer is None else timer.priority - 1
        vb, vp = check_sched("VM %s" % name, system.board, priority, budget, period)
        if vb < vp and not system.vm_budget_below_period:
            raise ValueError(
                "VM %s: budget %d us below its period %d us: the seL4 kernel of the Microkit "
                "2.0.1 SDK crashes when a VPPI or VGIC maintenance interrupt arrives as such a "
                "vCPU's budget runs out (seL4 issue #1104, fixed by seL4 PR #1486 after that "
                "kernel); use budget = period (round-robin time slices) or, with a fixed "
                "kernel, System(..., vm_budget_below_period=True)" % (name, vb, vp))
        check_sched("VM %s: its VMM" % name, system.board, vmm_priority, vmm_budget, vmm_period)
        if priority >= vmm_priority:
            raise ValueError("VM %s: priority %d must be below its VMM's %d (the VMM handles "
                             "the VM's faults)" % (name, priority, vmm_priority))
        if timer is not None and vmm_priority >= timer.priority:
            raise ValueError("VM %s: the VMM's priority %d must be below the timer driver's %d "
                             "(Microkit allows protected calls only to higher priorities)"
                             % (name, vmm_priority, timer.priority))
        self.name, self.vcpus, self.ram, self.ram_gpa = name, vcpus, ram, ram_gpa
        self.priority, self.budget, self.period = priority, budget, period
        if xen_console:
            # Xen's hvc console (docs/SEL4.md, "Xen console") replaces the
            # virtio-console as hvc0; the log goes through earlycon=xenboot.
            virtio_console = False
            words = cmdline.split()
            if any(w.startswith(("console=", "earlycon")) for w in words):
                raise ValueError("VM %s: xen_console=True sets the console arguments itself "
                                 "(earlycon=xenboot console=hvc0); leave console= and earlycon "
                                 "out of the command line" % name)
            cmdline = " ".join(["earlycon=xenboot", "console=hvc0"] + words)
        self.cmdline, self.virtio_console, self.console = cmdline, virtio_console, console
        self.xen_console = xen_console
        self.timer = timer
        # The PL011 mirror page (struct sel4_vmm_config.uart_mirror): only
        # when input goes elsewhere (virtio-console or Xen console; the
        # PL011's DR reads must trap otherwise).
        self.uart_mirror = uart_mirror and (virtio_console or xen_console)
        self.mirror_region, self.mirror_vaddr = None, 0
        self.images_region, self.images_vaddr = None, 0
        prog = "vmm_%s" % name.replace("-", "_")
        self.program = prog
        self.pd = system.pd(prog, prog + ".elf", vmm_priority, stack_size=0x10000,
                            budget=vmm_budget, period=vmm_period, region_base=VMM_REGION_BASE)
        self.pd.vm = self
        self.client = console.add_client(name, self.pd) if console is not None else None
        if timer is not None:
            timer.add_client(self.pd)
        if mac is not None and net is None:
            raise ValueError("VM %s: a MAC without net" % name)
        self.net = net
        if net is not None:
            net.add_client(name, self.pd, mac)

    def c_source(self, system):
        head = ("/* SPDX-License-Identifier: BSD-2-Clause */\n"
                "/* Generated by tools/sel4gen for system %s: do not edit. */\n"
                '#include "stdvmm_sel4.h"\n' % system.name)
        body = ""
        serial = "NULL"
        attach = "NULL"
        if self.console is not None:
            c = self.console.clients[self.client]
            body = ("\nstatic const struct sel4_serial_config serial = {\n"
                    "    .rx = { .queue = 0x%x, .data = 0x%x, .size = 0x%x, .ch = %d },\n"
                    "    .tx = { .queue = 0x%x, .data = 0x%x, .size = 0x%x, .ch = %d },\n"
                    "};\n" % (c["rx"].queue_vaddr, c["rx"].data_vaddr, c["rx"].size, c["rx"].ch,
                              c["tx"].queue_vaddr, c["tx"].data_vaddr, c["tx"].size, c["tx"].ch))
            serial = "&serial"
            attach = "sel4_sddf_console_attach"
        timer = ""
        if self.timer is not None:
            timer = ("    .timer_ch = %d,\n    .timer_set = sel4_sddf_timer_set,\n"
                     % self.timer.client_ch[self.pd.name])
        devices = []
        for sub in system.subsystems:
            got = sub.vmm_c(self.pd)
            if got is not None:
                body += got[0]
                timer += got[1]
                devices.append(got[2])
        devs = ""
        if devices:
            devs = ("            .devices = {\n%s            },\n            .nr_devices = %d,\n"
                    % ("".join("                { .cls = %s, .options = %s },\n"
                               % (_c_string(c), _c_string(o)) for c, o in devices), len(devices)))
        return head + body + (
            "\nconst struct sel4_vmm_config sel4_vmm_config = {\n"
            "    .machine =\n        {\n"
            "            .name = %s,\n            .gic_version = 2,\n"
            "            .ram_base = 0x%x,\n            .ram_size = 0x%x,\n"
            "            .nr_vcpus = %d,\n            .console = %s,\n"
            "            .cmdline = %s,\n%s        },\n"
            "    .serial = %s,\n    .console_attach = %s,\n%s    .uart_mirror = 0x%x,\n"
            "    .guest_images = 0x%x,\n    .guest_images_size = 0x%x,\n};\n"
            % (_c_string(self.name), self.ram_gpa, self.ram, self.vcpus,
               "VMM_CONSOLE_XEN" if self.xen_console else
               "VMM_CONSOLE_VIRTIO" if self.virtio_console else "VMM_CONSOLE_SERIAL",
               _c_string(self.cmdline), devs, serial, attach, timer, self.mirror_vaddr,
               self.images_vaddr, GUEST_IMAGES_WINDOW))


class System:
    """A whole Microkit system: VMs, their VMMs and the sDDF components."""

    def __init__(self, name, board="qemu_virt_aarch64", vm_budget_below_period=False):
        """vm_budget_below_period: allow VM budgets below their period (only with a
        kernel that has seL4 PR #1486; see Vm)."""
        if board not in BOARDS:
            raise ValueError("board %s not supported (have: %s)" % (board, ", ".join(BOARDS)))
        self.name, self.board = name, board
        self.vm_budget_below_period = vm_budget_below_period
        self.pds, self.regions, self.channels, self.vms = [], [], [], []
        self.serial_sys = None
        self.timer_sys = None
        # Device subsystems in their own modules (sddf_net.py): each has
        # _wire(), c_sources() and vmm_c(pd).
        self.subsystems = []
        self.phys_next = PHYS_TOP[board]  # fixed-address regions, top down
        self.device_pages = {}  # physical page -> Region (devices sharing a page)
        self.finished = False

    def pd(self, name, program, priority, **kw):
        if any(p.name == name for p in self.pds):
            raise ValueError("two protection domains named %s" % name)
        p = Pd(name, program, priority, board=self.board, **kw)
        self.pds.append(p)
        return p

    def region(self, name, size, phys_addr=None):
        r = Region(name, size, phys_addr)
        self.regions.append(r)
        return r

    def dma_region(self, name, size):
        """A region at a fixed physical address in RAM, for device DMA (the
        one allocator of such addresses): from PHYS_TOP down, 2 MiB aligned
        from 2 MiB up, else page aligned."""
        align = LARGE_PAGE if size >= LARGE_PAGE else PAGE
        self.phys_next = (self.phys_next - size) & ~(align - 1)
        return self.region(name, size, phys_addr=self.phys_next)

    def device_region(self, name, paddr):
        """(the region of the device page holding @paddr, offset of @paddr in it);
        devices in one page (QEMU virt's virtio-mmio slots) share the region."""
        page = paddr & ~(PAGE - 1)
        if page not in self.device_pages:
            self.device_pages[page] = self.region(name, PAGE, phys_addr=page)
        return self.device_pages[page], paddr - page

    def blk(self, **kw):
        """sDDF's blk subsystem (tools/sel4gen/sddf_blk.py: Blk's arguments)."""
        from sddf_blk import Blk
        b = Blk(self, **kw)
        self.subsystems.append(b)
        return b

    def channel(self, a, b, pp_b=False):
        """A channel between PDs a and b; pp_b: b may make protected calls to a."""
        ids = (a.channel_id(), b.channel_id())
        self.channels.append((a, ids[0], b, ids[1], pp_b))
        return ids

    def serial(self, switch_char="\x1c", terminate_char="\r", colour=False, begin_str="",
               baud=115200, driver_tx_size=0x10000, driver_rx_size=0x1000, priority=200):
        """The sDDF serial subsystem (one per system) on the board's PL011."""
        if self.serial_sys is not None:
            raise ValueError("one serial subsystem per system")
        if len(begin_str) >= 128:
            raise ValueError("serial: begin_str longer than 127 characters")
        self.serial_sys = Serial(self, switch_char, terminate_char, colour, begin_str, baud,
                                 driver_tx_size, driver_rx_size, priority)
        return self.serial_sys

    def timer(self, priority=MICROKIT_MAX_PRIORITY):
        """sDDF's timer driver (one per system): VMMs given timer= block vCPUs in WFI."""
        if self.timer_sys is not None:
            raise ValueError("one timer driver per system")
        check_sched("timer driver", self.board, priority, None, None)
        self.timer_sys = Timer(self, priority)
        return self.timer_sys

    def net(self, slot=23, driver_buffers=512, client_buffers=256, loop_buffers=64, priority=190):
        """The net subsystem (one per system, tools/sel4gen/sddf_net.py): sDDF's virtio-net
        driver on QEMU's virtio-mmio transport @slot, its rx virtualiser, a copier per
        client and stdvmm's net switch; vm(net=...) makes a VM a client."""
        import sddf_net
        if any(isinstance(s, sddf_net.Net) for s in self.subsystems):
            raise ValueError("one net subsystem per system")
        n = sddf_net.Net(self, slot, driver_buffers, client_buffers, loop_buffers, priority)
        self.subsystems.append(n)
        return n

    def vm(self, name, vcpus=1, ram=0x10000000, ram_gpa=0x40000000, priority=100, budget=None,
           period=None, vmm_priority=None, vmm_budget=None, vmm_period=None, cmdline="",
           virtio_console=True, console=None, timer=None, net=None, mac=None,
           uart_mirror=True, xen_console=False):
        """A VM with its own VMM PD; console=the serial subsystem gives it a client queue,
        timer=the timer driver lets its vCPUs sleep in WFI, net=the net subsystem a
        virtio-net with address @mac (default: derived from @name). budget/period (microseconds,
        MCS: each vCPU may run budget us per period us) go on the virtual_machine,
        vmm_budget/vmm_period on the VMM's protection domain; None leaves Microkit's
        default (1000 us, period = budget). vmm_priority defaults to 254, or one below
        the timer driver's. uart_mirror (with virtio_console): the VM maps a read-only
        page of its PL011's register values, so only its PL011 writes trap (docs/SEL4.md,
        console path). xen_console: the guest's console is Xen's (a /hypervisor node; its
        log through earlycon=xenboot and hvc0, input into hvc0; needs a kernel with
        CONFIG_XEN and CONFIG_HVC_XEN built in): instead of the virtio-console, with
        "earlycon=xenboot console=hvc0" put in front of @cmdline."""
        if any(v.name == name for v in self.vms):
            raise ValueError("two VMs named %s" % name)
        if timer is not None and timer is not self.timer_sys:
            raise ValueError("VM %s: timer= must be this system's timer()" % name)
        if self.vms and self.vms[-1].vcpus > 1:
            raise ValueError("VM %s: Microkit 2.0.1 numbers vCPU threads by VM index + vCPU "
                             "index, so only the last VM of a system may have more than one "
                             "vCPU (VM %s has %d)" % (name, self.vms[-1].name, self.vms[-1].vcpus))
        v = Vm(self, name, vcpus, ram, ram_gpa, priority, budget, period, vmm_priority,
               vmm_budget, vmm_period, cmdline, virtio_console, console, timer, net, mac,
               uart_mirror, xen_console)
        self.vms.append(v)
        return v

    def finish(self):
        if self.finished:
            return
        self.finished = True
        gicv = BOARDS[self.board][2]
        self.gic_vcpu = self.region("gic_vcpu", 0x2000, phys_addr=gicv)
        for v in self.vms:
            v.ram_region = self.region("guest_ram_%s" % v.program[4:], v.ram)
            v.pd.map(v.ram_region, vaddr=v.ram_gpa, setvar="guest_ram_vaddr")
        if self.serial_sys is not None:
            self.serial_sys._wire()
        if self.timer_sys is not None:
            self.timer_sys._wire()
        for sub in self.subsystems:
            sub._wire()
        if GUEST_IMAGES_BASE + len(self.vms) * GUEST_IMAGES_WINDOW > GUEST_IMAGES_END:
            raise ValueError("more than %d VMs: no room for their guest image windows"
                             % ((GUEST_IMAGES_END - GUEST_IMAGES_BASE) // GUEST_IMAGES_WINDOW))
        for i, v in enumerate(self.vms):
            v.images_region = self.region("guest_images_%s" % v.program[4:], GUEST_IMAGES_WINDOW,
                                          phys_addr=GUEST_IMAGES_BASE + i * GUEST_IMAGES_WINDOW)
            v.images_vaddr = v.pd.map(v.images_region, perms="r")
        for v in self.vms:
            if v.uart_mirror:
                v.mirror_region = self.region("uart_mirror_%s" % v.program[4:], PAGE)
                v.mirror_vaddr = v.pd.map(v.mirror_region, cached=False)

    def render_sdf(self):
        """The Microkit .system XML."""
        self.finish()
        q = xml.sax.saxutils.quoteattr
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               "<!-- SPDX-License-Identifier: BSD-2-Clause -->",
               "<!-- Generated by tools/sel4gen for system %s: do not edit. -->" % self.name,
               "<system>"]
        for r in self.regions:
            attrs = 'name=%s size="0x%x"' % (q(r.name), r.size)
            if r.phys_addr is not None:
                attrs += ' phys_addr="0x%x"' % r.phys_addr
            if r.large_pages():
                attrs += ' page_size="0x%x"' % LARGE_PAGE
            out.append("    <memory_region %s />" % attrs)
        for p in self.pds:
            attrs = "name=%s priority=\"%d\"" % (q(p.name), p.priority)
            if p.budget is not None:
                attrs += ' budget="%d"' % p.budget
            if p.period is not None:
                attrs += ' period="%d"' % p.period
            if p.stack_size is not None:
                attrs += ' stack_size="0x%x"' % p.stack_size
            out.append("    <protection_domain %s>" % attrs)
            out.append("        <program_image path=%s />" % q(p.program))
            for region, vaddr, perms, cached, setvar in p.maps:
                m = "mr=%s vaddr=\"0x%x\" perms=\"%s\"" % (q(region.name), vaddr, perms)
                if not cached:
                    m += ' cached="false"'
                if setvar:
                    m += " setvar_vaddr=%s" % q(setvar)
                out.append("        <map %s />" % m)
            for irq, ch, trigger in p.irqs:
                out.append('        <irq irq="%d" id="%d" trigger="%s" />' % (irq, ch, trigger))
            if p.vm is not None:
                v = p.vm
                attrs = "name=%s priority=\"%d\"" % (q("linux_" + v.name), v.priority)
                if v.budget is not None:
                    attrs += ' budget="%d"' % v.budget
                if v.period is not None:
                    attrs += ' period="%d"' % v.period
                out.append("        <virtual_machine %s>" % attrs)
                for i in range(v.vcpus):
                    out.append('            <vcpu id="%d" />' % i)
                out.append('            <map mr=%s vaddr="0x%x" perms="rwx" />'
                           % (q(v.ram_region.name), v.ram_gpa))
                out.append('            <map mr="gic_vcpu" vaddr="0x8010000" perms="rw" '
                           'cached="false" />')
                if v.mirror_region is not None:
                    out.append('            <map mr=%s vaddr="0x%x" perms="r" cached="false" />'
                               % (q(v.mirror_region.name), GUEST_UART))
                out.append("        </virtual_machine>")
            out.append("    </protection_domain>")
        for a, ida, b, idb, pp_b in self.channels:
            out.append("    <channel>")
            out.append('        <end pd=%s id="%d" />' % (q(a.name), ida))
            out.append('        <end pd=%s id="%d"%s />'
                       % (q(b.name), idb, ' pp="true"' if pp_b else ""))
            out.append("    </channel>")
        out.append("</system>")
        return "\n".join(out) + "\n"

    def render_qemu(self):
        """QEMU arguments that load each VM's packed images (guest_<program>.img, a
        path relative to the system's build directory) into its window."""
        self.finish()
        return "".join("-device loader,file=guest_%s.img,addr=0x%x,force-raw=on\n"
                       % (v.program, v.images_region.phys_addr) for v in self.vms)

    def outputs(self):
        """{file name: text} of everything write() produces."""
        self.finish()
        files = {self.name + ".system": self.render_sdf(), self.name + ".qemu": self.render_qemu()}
        if self.serial_sys is not None:
            files.update(self.serial_sys.c_sources())
        if self.timer_sys is not None:
            files.update(self.timer_sys.c_sources())
        for sub in self.subsystems:
            files.update(sub.c_sources())
        for v in self.vms:
            files["%s_config.c" % v.program] = v.c_source(self)
        return files

    def write(self, outdir):
        """Write every output into @outdir (only files whose text changed)."""
        os.makedirs(outdir, exist_ok=True)
        for fname, text in self.outputs().items():
            path = os.path.join(outdir, fname)
            try:
                with open(path) as f:
                    if f.read() == text:
                        continue
            except OSError:
                pass
            with open(path, "w") as f:
                f.write(text)


def pack(kernel, initrd, out):
    """Write OUT: the header of struct sel4_guest_images_hdr (ports/sel4/stdvmm_sel4.h),
    the kernel at 4 KiB, the initramfs (optional) at the next 4 KiB; must fit a window."""
    import struct
    with open(kernel, "rb") as f:
        k = f.read()
    r = b""
    if initrd:
        with open(initrd, "rb") as f:
            r = f.read()
    koff = PAGE
    roff = (koff + len(k) + PAGE - 1) // PAGE * PAGE
    total = roff + len(r)
    if not k or total > GUEST_IMAGES_WINDOW:
        raise ValueError("pack: %d bytes of images do not fit the 0x%x-byte window"
                         % (total, GUEST_IMAGES_WINDOW))
    head = GUEST_IMAGES_MAGIC + struct.pack("<4Q", koff, len(k), roff if r else 0, len(r))
    with open(out, "wb") as f:
        f.write(head.ljust(koff, b"\0") + k.ljust(roff - koff, b"\0") + r)


if __name__ == "__main__":
    import sys
    if len(sys.argv) not in (4, 5) or sys.argv[1] != "pack":
        sys.exit("usage: sel4gen.py pack KERNEL [INITRD] OUT")
    pack(sys.argv[2], sys.argv[3] if len(sys.argv) == 5 else None, sys.argv[-1])
