/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The machine one VMM runs: the example's machine description, completed
 * with the guest images (linked into this program, or put in memory by the
 * boot loader: sel4_vmm_config.guest_images), built by the portable
 * machine builder (src/machine) through this port's struct vmm_port_ops.
 * The port itself adds only what seL4 leaves to the VMM: a GICv2 whose
 * distributor the vGIC emulates (its CPU interface is the hardware's
 * GICV) and PSCI. Guest RAM is the guest_ram memory region, mapped in the
 * VM and in this PD. On PSCI SYSTEM_RESET the builder resets the machine.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "sel4_rt.h"
#include "sel4_fmt.h"
#include "sel4_priv.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

/* ---------------------------------------------------------------- port ops */
static int sel4_irq_set(void *port, unsigned line, bool level)
{
    struct sel4_vmm *s = port;

    return vmm_vgic_set_irq(&s->gic, 0, VMM_VGIC_SPI(line), level);
}

static int sel4_ppi_pulse(void *port, unsigned vcpu, unsigned intid)
{
    struct sel4_vmm *s = port;
    int ret = vmm_vgic_set_irq(&s->gic, vcpu, intid, true);

    if (ret == 0)
        ret = vmm_vgic_set_irq(&s->gic, vcpu, intid, false);
    return ret;
}

/* RAM is the guest_ram region the .system file maps; it cannot move. */
static int sel4_map_ram(void *port, uint64_t gpa, uint64_t size, void **hva)
{
    struct sel4_vmm *s = port;

    if (s->ram == NULL)
        return -VMM_ENOENT;
    *hva = s->ram;
    return vmm_vm_add_ram(&s->machine.vm, gpa, size, s->ram);
}

static int sel4_vcpu_start(void *port, unsigned vcpu, uint64_t pc, uint64_t x0)
{
    return sel4_vcpu_boot(port, vcpu, pc, x0) < 0 ? -VMM_EIO : 0;
}

static void sel4_vcpu_stop_op(void *port, unsigned vcpu)
{
    sel4_vcpu_stop(port, vcpu);
}

static int sel4_add_gic(struct sel4_vmm *s);

static void sel4_stop_all(struct sel4_vmm *s)
{
    for (unsigned i = 0; i < s->cfg->nr_vcpus; i++) {
        sel4_vcpu_stop(s, i);
        if (s->vtimer.gic != NULL) /* built at least once */
            vmm_vtimer_reset(&s->vtimer, i);
    }
}

/* Every vCPU stopped, the vGIC, the timer PPIs and PSCI back in reset
 * state; the command line tells the guest which boot this is. */
static int sel4_reset(void *port)
{
    struct sel4_vmm *s = port;
    int ret;

    sel4_stop_all(s);
    sel4_passthru_reset(s);
    ret = sel4_add_gic(s);
    if (ret == 0)
        ret = vmm_psci_init(&s->psci, s->cfg->nr_vcpus, &s->machine.vm.mem);
    sel4_snprintf(s->cmdline, sizeof(s->cmdline), "%s stdvmm.boot=%u",
                  sel4_vmm_config.machine.cmdline != NULL ? sel4_vmm_config.machine.cmdline : "",
                  s->machine.boots + 1);
    return ret;
}

static const struct vmm_port_ops sel4_port_ops = {
    .irq_set = sel4_irq_set,
    .ppi_pulse = sel4_ppi_pulse,
    .map_ram = sel4_map_ram,
    .vcpu_start = sel4_vcpu_start,
    .vcpu_stop = sel4_vcpu_stop_op,
    .reset = sel4_reset,
};

/* ------------------------------------------------------------------- vGIC */
/* The vGIC writes a list register: seL4_ARM_VCPU_InjectIRQ. Its priority
 * is the 5-bit field of GICH_LR (IHI 0048B 5.3.10: priority bits [7:3]),
 * so the distributor's 8-bit priority loses its low three bits. seL4
 * refuses an LR whose saved state is active (seL4_DeleteFirst; after a
 * reset, one the previous guest never EOIed) and has no call that clears
 * an LR: -VMM_EBUSY makes the vGIC use the next LR until that one's EOI. */
static int sel4_gic_inject(void *ctx, unsigned vcpu, unsigned lr, unsigned intid, uint8_t priority,
                           unsigned group)
{
    struct sel4_vmm *s = ctx;
    seL4_Error err =
        seL4_ARM_VCPU_InjectIRQ(sel4_rt_vcpu_obj(vcpu), (seL4_Uint16)intid,
                                (seL4_Uint8)(priority >> 3), (seL4_Uint8)group, (seL4_Uint8)lr);

    if (err == seL4_DeleteFirst)
        return -VMM_EBUSY; /* logged (once) by the vGIC */
    if (err != seL4_NoError) {
        if (vmm_ratelimit_first(&s->rl_inject))
            vmm_warn("vCPU %u: InjectIRQ %u into LR %u failed (%d)", vcpu, intid, lr, (int)err);
        return -VMM_EIO;
    }
    return 0;
}

static void sel4_gic_eoi(void *ctx, unsigned vcpu, unsigned intid)
{
    struct sel4_vmm *s = ctx;

    if (!vmm_vtimer_eoi(&s->vtimer, vcpu, intid))
        sel4_passthru_eoi(s, intid);
}

static const struct vmm_vgic_ops sel4_gic_ops = {.inject = sel4_gic_inject, .eoi = sel4_gic_eoi};

/* The timer PPI stays masked in seL4 until the VMM acks the VPPI event. */
static void sel4_vtimer_ack(void *ctx, unsigned vcpu)
{
    (void)ctx;
    seL4_ARM_VCPU_AckVPPI(sel4_rt_vcpu_obj(vcpu), VMM_VGIC_VTIMER_INTID);
}

/* The vGIC and the timer PPIs in reset state (the distributor's MMIO
 * window is registered once, by sel4_machine_start). */
static int sel4_add_gic(struct sel4_vmm *s)
{
    const struct vmm_vgic_config cfg = {
        .version = VMM_VGIC_V2,
        .nr_vcpus = s->cfg->nr_vcpus,
        .nr_spis = SEL4_VMM_NR_SPIS,
        .nr_lrs = SEL4_VMM_NR_LRS,
        .ops = &sel4_gic_ops,
        .ctx = s,
    };
    int ret = vmm_vgic_init(&s->gic, &cfg);

    if (ret == 0)
        ret = vmm_vtimer_init(&s->vtimer, &s->gic, VMM_VGIC_VTIMER_INTID, sel4_vtimer_ack, s);
    return ret;
}

/* --------------------------------------------------------------- backends */
/* Backends over sDDF queues (ports/sel4/sddf), when the configuration
 * attached them: net, and a disk (the sDDF blk client, one per VMM,
 * attached once: a guest reset keeps it); other classes have none on seL4. */
static int sel4_backend_open(void *ctx, struct vmm_machine *m, struct vmm_machine_dev *d)
{
    struct sel4_vmm *s = ctx;
    const struct sel4_vmm_config *c = &sel4_vmm_config;

    (void)m;
    if (d->cls->backend == VMM_BACKEND_NET && s->net.open != NULL)
        return s->net.open(&s->net, d);
    if (strcmp(d->cls->name, "disk") == 0 && c->blk != NULL && c->blk_attach != NULL) {
        const struct vmm_blk_backend *be = NULL;
        int ret;

        if (s->blk_attached) {
            vmm_err("%s: only one disk per VMM over sDDF blk", d->name);
            return -VMM_EBUSY;
        }
        ret = c->blk_attach(s, c->blk, &be);
        if (ret < 0) {
            vmm_err("%s: sDDF blk client: bad configuration (%s)", d->name, vmm_strerror(ret));
            return ret;
        }
        s->blk_attached = true;
        d->backend = be;
        return 0;
    }
    vmm_err("%s: no seL4 backend for device class \"%s\"", d->name, d->cls->name);
    return -VMM_ENOTSUP;
}

/* ------------------------------------------------------------ guest images */
static bool images_span_ok(uint64_t offset, uint64_t size, uint64_t window)
{
    return offset <= window && size <= window - offset;
}

/* The kernel and initramfs: from the window the boot loader filled
 * (checked: it is memory the VMM trusts no more than a file), or linked. */
static int sel4_images(struct vmm_machine_desc *d)
{
    const struct sel4_vmm_config *c = &sel4_vmm_config;
    const struct sel4_guest_images_hdr *h = (const void *)c->guest_images;
    uint64_t window = c->guest_images_size;

    if (c->guest_images == 0) {
        if (sel4_guest_kernel == NULL) {
            vmm_err("no guest images: none linked and no boot loader window configured");
            return -VMM_EINVAL;
        }
        d->kernel = sel4_guest_kernel;
        d->kernel_size = (size_t)(sel4_guest_kernel_end - sel4_guest_kernel);
        d->initrd = sel4_guest_initrd;
        d->initrd_size = (size_t)(sel4_guest_initrd_end - sel4_guest_initrd);
        return 0;
    }
    if (window < sizeof(*h) || memcmp(h->magic, SEL4_GUEST_IMAGES_MAGIC, 8) != 0) {
        vmm_err("no guest images in the boot loader's window (0x%llx bytes at vaddr 0x%llx): "
                "start the system with the loader arguments of its <system>.qemu file",
                (unsigned long long)window, (unsigned long long)c->guest_images);
        return -VMM_EINVAL;
    }
    if (h->kernel_size == 0 || !images_span_ok(h->kernel_offset, h->kernel_size, window) ||
        !images_span_ok(h->initrd_offset, h->initrd_size, window)) {
        vmm_err("guest images: kernel (0x%llx+0x%llx) or initramfs (0x%llx+0x%llx) outside "
                "the 0x%llx-byte window",
                (unsigned long long)h->kernel_offset, (unsigned long long)h->kernel_size,
                (unsigned long long)h->initrd_offset, (unsigned long long)h->initrd_size,
                (unsigned long long)window);
        return -VMM_EINVAL;
    }
    d->kernel = (const uint8_t *)h + h->kernel_offset;
    d->kernel_size = (size_t)h->kernel_size;
    d->initrd = h->initrd_size != 0 ? (const uint8_t *)h + h->initrd_offset : NULL;
    d->initrd_size = (size_t)h->initrd_size;
    return 0;
}

/* ---------------------------------------------------------------- building */
int sel4_machine_start(struct sel4_vmm *s)
{
    int ret;

    s->desc = sel4_vmm_config.machine;
    s->cfg = &s->desc;
    s->desc.gic_version = 2; /* seL4's QEMU virt platform has a GICv2 */
    ret = sel4_images(&s->desc);
    if (ret < 0) {
        sel4_machine_halt(s, "the guest images are missing or malformed");
        return ret;
    }
    sel4_snprintf(s->cmdline, sizeof(s->cmdline), "%s stdvmm.boot=1",
                  s->desc.cmdline != NULL ? s->desc.cmdline : "");
    s->desc.cmdline = s->cmdline;
    s->provider = (struct vmm_backend_provider){
        .open = sel4_backend_open,
        .console = &s->console.backend,
        .ctx = s,
    };
    ret = vmm_machine_init(&s->machine, &s->desc, &s->provider, s->storage, sizeof(s->storage));
    if (ret == 0) {
        vmm_vm_set_port(&s->machine.vm, &sel4_port_ops, s);
        ret = sel4_add_gic(s);
    }
    if (ret == 0)
        ret = vmm_mmio_register_vcpu(&s->machine.vm.bus, s->machine.layout.gicd_base,
                                     VMM_VGIC_V2_DIST_SIZE, &vmm_vgic_v2_dist_mmio_ops,
                                     &vmm_vgic_v2_dist_vcpu_ops, &s->gic, "gicd");
    if (ret == 0)
        ret = vmm_psci_init(&s->psci, s->cfg->nr_vcpus, &s->machine.vm.mem);
    if (ret == 0)
        ret = sel4_passthru_add(s);
    if (ret == 0)
        ret = vmm_machine_build(&s->machine);
    if (ret < 0) {
        sel4_machine_halt(s, "the VM could not be built");
        return ret;
    }
    vmm_info("boot %u: %u vCPU(s), %llu MiB RAM, kernel at 0x%llx, DTB at 0x%llx", s->machine.boots,
             s->cfg->nr_vcpus, (unsigned long long)(s->cfg->ram_size >> 20),
             (unsigned long long)s->machine.info.kernel_gpa,
             (unsigned long long)s->machine.info.dtb_gpa);
    return 0;
}

void sel4_machine_halt(struct sel4_vmm *s, const char *why)
{
    sel4_stop_all(s);
    s->halted = true;
    sel4_idle_report(s);
    if (vmm_machine_xen(&s->machine) != NULL) {
        const struct vmm_xen *x = vmm_machine_xen(&s->machine);

        vmm_info("Xen console: %lu hypercalls, %lu console bytes, %lu upcalls", x->calls,
                 x->console_bytes, x->upcalls);
    }
    sel4_passthru_report(s);
    vmm_info("VM %s stopped: %s", s->cfg->name, why);
}

int sel4_machine_reset(struct sel4_vmm *s)
{
    int ret;

    vmm_info("VM %s: system reset, booting again", s->cfg->name);
    ret = vmm_machine_reset(&s->machine);
    if (ret < 0) {
        sel4_machine_halt(s, "the VM could not be reset");
        return ret;
    }
    vmm_info("boot %u: kernel at 0x%llx, DTB at 0x%llx", s->machine.boots,
             (unsigned long long)s->machine.info.kernel_gpa,
             (unsigned long long)s->machine.info.dtb_gpa);
    return 0;
}
