/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A physical device passed through to the guest while this VM owns it
 * (struct sel4_vmm_config.passthru; stdvmm-init's init/devown.c moves it
 * between VMs). The initialiser maps its frame into the guest's stage-2
 * while the VM owns it, so the owner's accesses never trap, and gives this
 * VMM the IRQ handler capability. The VMM adds the device's node to the
 * guest's device tree, claims its interrupt line and routes the physical
 * interrupt to it, as a level-triggered SPI:
 *   interrupt notification   line high: the vGIC injects the SPI
 *   the guest's EOI          line low, seL4_IRQHandler_Ack: the kernel
 *                            unmasks the physical interrupt (if the device
 *                            still asserts it, a new notification follows)
 *   release notification     line low, nothing pending, no ack owed: the
 *                            initialiser has taken the capability back
 * The capability is the initialiser's to give and take at any moment: an
 * ack after it was taken fails (counted), nothing else depends on it.
 *
 * Accesses that trap (the frame is not mapped: another VM owns the device)
 * from EL0 get an external data abort (sel4_fault.c; a user program gets
 * SIGBUS). From EL1 the device reads as zero and ignores writes, like a
 * powered-off device: Linux turns a kernel-mode external abort into an
 * Oops (fatal in an interrupt handler), and the guest's driver probes at
 * boot, while another VM may own the device.
 */
#include <libfdt.h>
#include <stdbool.h>
#include <stdint.h>
#include "sel4_priv.h"
#include "sel4_rt.h"
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/irq.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

#define PT_SIZE 0x1000u
#define SPSR_EL_MASK 0xfu /* M[3:0]; 0: EL0t */

static int pt_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    struct sel4_passthru *pt = opaque;

    (void)offset;
    (void)size;
    pt->absent_accesses++;
    *value = 0;
    return 0;
}

static int pt_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct sel4_passthru *pt = opaque;

    (void)offset;
    (void)size;
    (void)value;
    pt->absent_accesses++;
    return 0;
}

static const struct vmm_mmio_ops pt_ops = {.read = pt_read, .write = pt_write};

/* An AMBA PrimeCell: its peripheral ID (so Linux does not read the ID
 * registers, which read as zero while another VM owns the device) and the
 * APB clock the AMBA bus needs before it probes a driver. */
static int pt_fdt_props(const struct vmm_device *dev, void *fdt)
{
    const struct sel4_passthru *pt = dev->opaque;
    int ret;

    if (pt->cfg->primecell_periphid == 0)
        return 0;
    ret = fdt_property_u32(fdt, "arm,primecell-periphid", pt->cfg->primecell_periphid);
    if (ret == 0)
        ret = fdt_property_u32(fdt, "clocks", VMM_ARM64_PHANDLE_APB_PCLK);
    if (ret == 0)
        ret = fdt_property_string(fdt, "clock-names", "apb_pclk");
    return ret;
}

int sel4_passthru_add(struct sel4_vmm *s)
{
    const struct sel4_passthru_config *c = sel4_vmm_config.passthru;
    struct sel4_passthru *pt = &s->pt;
    int ret;

    pt->cfg = c;
    if (c == NULL)
        return 0;
    if ((c->gpa & (PT_SIZE - 1)) != 0 || c->node_name == NULL || c->compatible == NULL ||
        (c->line != VMM_IRQ_NONE && c->line >= SEL4_VMM_NR_SPIS)) {
        vmm_err("passed-through device: frame 0x%llx not 4 KiB aligned, no node name or "
                "compatible, or SPI line %u beyond %u",
                (unsigned long long)c->gpa, c->line, SEL4_VMM_NR_SPIS);
        return -VMM_EINVAL;
    }
    pt->dev = (struct vmm_device){
        .name = c->node_name,
        .node_name = c->node_name,
        .compatible = c->compatible,
        .compatible_len = c->compatible_len,
        .base = c->gpa,
        .size = PT_SIZE,
        .irq = c->line,
        .ops = &pt_ops,
        .opaque = pt,
        .fdt_props = pt_fdt_props,
    };
    ret = vmm_vm_add_device(&s->machine.vm, &pt->dev);
    if (ret < 0)
        vmm_err("passed-through device %s at 0x%llx: cannot add it (%s)", c->node_name,
                (unsigned long long)c->gpa, vmm_strerror(ret));
    return ret;
}

/* Lower the line; ack the kernel's masked interrupt if one is owed. */
static void pt_lower(struct sel4_vmm *s, bool ack)
{
    struct sel4_passthru *pt = &s->pt;

    if (!pt->asserted)
        return;
    pt->asserted = false;
    vmm_irq_set(&s->machine.vm, pt->cfg->line, false);
    if (ack && sel4_rt_irq_ack(pt->cfg->irq_ch) != 0) {
        pt->acks_failed++;
        if (vmm_ratelimit_first(&pt->rl))
            vmm_info("%s: interrupt ack refused: the device was taken away (further ones "
                     "counted)",
                     pt->cfg->node_name);
    }
}

bool sel4_passthru_notified(struct sel4_vmm *s, unsigned ch)
{
    struct sel4_passthru *pt = &s->pt;

    if (pt->cfg == NULL || pt->cfg->line == VMM_IRQ_NONE)
        return false;
    if (ch == pt->cfg->release_ch) {
        pt_lower(s, false);
        pt->releases++;
        return true;
    }
    if (ch != pt->cfg->irq_ch)
        return false;
    pt->irqs++;
    if (!pt->asserted && !s->halted) {
        pt->asserted = true;
        vmm_irq_set(&s->machine.vm, pt->cfg->line, true);
    }
    return true;
}

void sel4_passthru_eoi(struct sel4_vmm *s, unsigned intid)
{
    struct sel4_passthru *pt = &s->pt;

    if (pt->cfg != NULL && pt->cfg->line != VMM_IRQ_NONE && intid == VMM_VGIC_SPI(pt->cfg->line))
        pt_lower(s, true);
}

void sel4_passthru_reset(struct sel4_vmm *s)
{
    if (s->pt.cfg != NULL)
        pt_lower(s, true); /* not left masked in the kernel */
}

bool sel4_passthru_abort(const struct sel4_vmm *s, uint64_t ipa, uint64_t spsr)
{
    const struct sel4_passthru_config *c = s->pt.cfg;

    return c != NULL && ipa - c->gpa < PT_SIZE && (spsr & SPSR_EL_MASK) == 0;
}

bool sel4_passthru_in(const struct sel4_vmm *s, uint64_t ipa)
{
    return s->pt.cfg != NULL && ipa - s->pt.cfg->gpa < PT_SIZE;
}

void sel4_passthru_report(const struct sel4_vmm *s)
{
    const struct sel4_passthru *pt = &s->pt;

    if (pt->cfg != NULL)
        vmm_info("%s: %llu interrupts, %llu releases, %llu refused acks, %llu kernel accesses "
                 "while another VM owned it",
                 pt->cfg->node_name, (unsigned long long)pt->irqs, (unsigned long long)pt->releases,
                 (unsigned long long)pt->acks_failed, (unsigned long long)pt->absent_accesses);
}
