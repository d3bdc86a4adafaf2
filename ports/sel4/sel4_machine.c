/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The machine one VMM runs: guest RAM (the guest_ram memory region, mapped
 * in the VM and in this PD), a GICv2 whose distributor the vGIC emulates
 * and whose CPU interface is the hardware's GICV, the PL011 and a
 * virtio-console, and the Linux boot placement of the portable core. On
 * PSCI SYSTEM_RESET everything here is built again from the images.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <microkit.h>
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

static const struct vmm_port_ops sel4_port_ops = {.irq_set = sel4_irq_set};

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
        seL4_ARM_VCPU_InjectIRQ(BASE_VCPU_CAP + vcpu, (seL4_Uint16)intid,
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

    vmm_vtimer_eoi(&s->vtimer, vcpu, intid);
}

static const struct vmm_vgic_ops sel4_gic_ops = {.inject = sel4_gic_inject, .eoi = sel4_gic_eoi};

/* The timer PPI stays masked in seL4 until the VMM acks the VPPI event. */
static void sel4_vtimer_ack(void *ctx, unsigned vcpu)
{
    (void)ctx;
    microkit_vcpu_arm_ack_vppi(vcpu, VMM_VGIC_VTIMER_INTID);
}

/* ---------------------------------------------------------------- building */
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
    if (ret == 0)
        ret = vmm_mmio_register_vcpu(&s->vm.bus, s->layout.gicd_base, VMM_VGIC_V2_DIST_SIZE,
                                     &vmm_vgic_v2_dist_mmio_ops, &vmm_vgic_v2_dist_vcpu_ops,
                                     &s->gic, "gicd");
    return ret;
}

static int sel4_add_devices(struct sel4_vmm *s)
{
    uint64_t base;
    unsigned irq;
    int ret;

    pl011_init(&s->uart, &s->vm, "pl011", s->layout.uart_base, s->layout.uart_irq,
               &s->console.backend);
    ret = vmm_vm_add_device(&s->vm, &s->uart.dev);
    if (ret == 0)
        ret = vmm_arm64_device_path(&s->uart.dev, s->stdout_path, sizeof(s->stdout_path));
    if (ret < 0 || !s->cfg->virtio_console)
        return ret;
    ret = vmm_arm64_virtio_slot(&s->layout, 0, &base, &irq);
    if (ret == 0)
        ret = virtio_console_init(&s->vcon, &s->vm, "virtio-console0", base, irq,
                                  &s->console.backend);
    if (ret == 0)
        ret = vmm_vm_add_device(&s->vm, virtio_console_device(&s->vcon));
    return ret;
}

/* Build the VM from nothing: every device and the vGIC in reset state, the
 * kernel, initrd and a fresh device tree copied into guest RAM. */
static int sel4_machine_build(struct sel4_vmm *s)
{
    const struct sel4_vmm_config *cfg = s->cfg;
    struct vmm_arm64_boot boot;
    int ret;

    vmm_arm64_default_layout_gicv2(&s->layout);
    s->layout.ram_base = cfg->ram_gpa;
    ret = vmm_vm_init(&s->vm, cfg->name, cfg->nr_vcpus);
    if (ret == 0) {
        vmm_vm_set_port(&s->vm, &sel4_port_ops, s);
        ret = vmm_vm_add_ram(&s->vm, cfg->ram_gpa, cfg->ram_size, s->ram);
    }
    if (ret == 0)
        ret = sel4_add_gic(s);
    if (ret == 0)
        ret = sel4_add_devices(s);
    if (ret == 0)
        ret = vmm_psci_init(&s->psci, cfg->nr_vcpus, &s->vm.mem);
    if (ret < 0) {
        vmm_err("building the VM: %s", vmm_strerror(ret));
        return ret;
    }
    sel4_snprintf(s->cmdline, sizeof(s->cmdline), "%s stdvmm.boot=%u",
                  cfg->cmdline != NULL ? cfg->cmdline : "", s->boots + 1);
    boot = (struct vmm_arm64_boot){
        .kernel = sel4_guest_kernel,
        .kernel_size = (size_t)(sel4_guest_kernel_end - sel4_guest_kernel),
        .initrd = sel4_guest_initrd,
        .initrd_size = (size_t)(sel4_guest_initrd_end - sel4_guest_initrd),
        .cmdline = s->cmdline,
        .stdout_path = s->stdout_path,
    };
    if (boot.initrd_size == 0)
        boot.initrd = NULL;
    ret = vmm_arm64_boot_prepare(&s->vm, &s->layout, &boot, &s->info);
    if (ret < 0)
        vmm_err("placing the guest in %llu MiB of RAM: %s",
                (unsigned long long)(cfg->ram_size >> 20), vmm_strerror(ret));
    return ret;
}

int sel4_machine_start(struct sel4_vmm *s)
{
    int ret = sel4_machine_build(s);

    if (ret < 0) {
        sel4_machine_halt(s, "the VM could not be built");
        return ret;
    }
    s->boots++;
    vmm_info("boot %u: %u vCPU(s), %llu MiB RAM, kernel at 0x%llx, DTB at 0x%llx", s->boots,
             s->cfg->nr_vcpus, (unsigned long long)(s->cfg->ram_size >> 20),
             (unsigned long long)s->info.kernel_gpa, (unsigned long long)s->info.dtb_gpa);
    if (sel4_vcpu_boot(s, 0, s->info.entry, s->info.dtb_gpa) < 0) {
        sel4_machine_halt(s, "vCPU 0 could not be started");
        return -VMM_EIO;
    }
    return 0;
}

static void sel4_stop_all(struct sel4_vmm *s)
{
    for (unsigned i = 0; i < s->cfg->nr_vcpus; i++) {
        sel4_vcpu_stop(s, i);
        if (s->vtimer.gic != NULL) /* built at least once */
            vmm_vtimer_reset(&s->vtimer, i);
    }
}

void sel4_machine_halt(struct sel4_vmm *s, const char *why)
{
    sel4_stop_all(s);
    s->halted = true;
    vmm_info("VM %s stopped: %s", s->cfg->name, why);
}

int sel4_machine_reset(struct sel4_vmm *s)
{
    sel4_stop_all(s);
    vmm_info("VM %s: system reset, booting again", s->cfg->name);
    return sel4_machine_start(s);
}
