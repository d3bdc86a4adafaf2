/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Register banks shared by the GICv2 distributor (IHI 0048B 4.3), the GICv3
 * distributor (IHI 0069H 12.9) and the GICv3 SGI_base frame (12.11): one bit
 * per interrupt for group, enable, pending and active; a byte per interrupt
 * for priority; two bits per interrupt for the trigger configuration.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/err.h"
#include "stdvmm/vgic.h"
#include "vgic_internal.h"

#define BANK_IGROUPR 0x080u
#define BANK_ISENABLER 0x100u
#define BANK_ICENABLER 0x180u
#define BANK_ISPENDR 0x200u
#define BANK_ICPENDR 0x280u
#define BANK_ISACTIVER 0x300u
#define BANK_ICACTIVER 0x380u
#define BANK_IPRIORITYR 0x400u
#define BANK_BITS_END 0x400u
#define BANK_PRIO_END 0x800u
#define BANK_ICFGR 0xc00u
#define BANK_ICFGR_END 0xd00u

/* The one-bit view of an interrupt in bank @base. */
static bool bit_get(const struct vmm_vgic_irq *irq, unsigned base)
{
    switch (base) {
    case BANK_IGROUPR:
        return irq->group1;
    case BANK_ISENABLER:
    case BANK_ICENABLER:
        return irq->enabled;
    case BANK_ISPENDR:
    case BANK_ICPENDR:
        return vmm_vgic_irq_pending(irq);
    default: /* ISACTIVER/ICACTIVER: an LR's interrupt counts as active */
        return irq->active || irq->in_lr;
    }
}

/* Apply a 1 written for an interrupt in bank @base (a 0 is ignored, except
 * in IGROUPR where the bit is the value). */
static void bit_set(struct vmm_vgic *gic, struct vmm_vgic_irq *irq, unsigned intid, unsigned base,
                    bool one)
{
    if (base == BANK_IGROUPR) {
        irq->group1 = one;
        return;
    }
    if (!one)
        return;
    switch (base) {
    case BANK_ISENABLER:
        irq->enabled = true;
        break;
    case BANK_ICENABLER:
        irq->enabled = false;
        break;
    case BANK_ISPENDR:
        /* GICv2 SGIs are made pending through GICD_SPENDSGIR only (4.3.7). */
        if (!(gic->version == VMM_VGIC_V2 && intid < VMM_VGIC_NR_SGIS))
            irq->latch = true;
        break;
    case BANK_ICPENDR:
        if (!(gic->version == VMM_VGIC_V2 && intid < VMM_VGIC_NR_SGIS))
            irq->latch = false;
        break;
    case BANK_ISACTIVER:
        irq->active = true;
        break;
    default: /* ICACTIVER */
        irq->active = false;
        break;
    }
}

static bool in_range(unsigned intid, unsigned lo, unsigned hi)
{
    return intid >= lo && intid < hi;
}

static uint32_t cfg_get(struct vmm_vgic *gic, unsigned vcpu, unsigned first, unsigned lo,
                        unsigned hi)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < 16; i++) {
        struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, first + i);
        if (irq != NULL && in_range(first + i, lo, hi) && irq->edge)
            v |= 2u << (2 * i);
    }
    return v;
}

static void cfg_set(struct vmm_vgic *gic, unsigned vcpu, unsigned first, uint32_t v, unsigned lo,
                    unsigned hi)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned intid = first + i;
        struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, intid);
        /* SGIs: ICFGR0 is read-only (always edge). */
        if (irq == NULL || !in_range(intid, lo, hi) || intid < VMM_VGIC_NR_SGIS)
            continue;
        irq->edge = (v >> (2 * i + 1)) & 1u;
    }
}

int vmm_vgic_bank_read(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                       uint64_t *value, unsigned lo, unsigned hi)
{
    uint64_t v = 0;

    if (offset >= BANK_IGROUPR && offset < BANK_BITS_END) {
        unsigned base = (unsigned)offset & ~0x7fu;
        unsigned first = ((unsigned)offset - base) * 8;
        if (size != 4 || offset % 4)
            return -VMM_EINVAL;
        for (unsigned i = 0; i < 32; i++) {
            struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, first + i);
            if (irq != NULL && in_range(first + i, lo, hi) && bit_get(irq, base))
                v |= UINT64_C(1) << i;
        }
    } else if (offset >= BANK_IPRIORITYR && offset < BANK_PRIO_END) {
        if ((size != 1 && size != 2 && size != 4) || offset % size)
            return -VMM_EINVAL;
        for (unsigned i = 0; i < size; i++) {
            unsigned intid = (unsigned)offset - BANK_IPRIORITYR + i;
            struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, intid);
            if (irq != NULL && in_range(intid, lo, hi))
                v |= (uint64_t)irq->priority << (8 * i);
        }
    } else if (offset >= BANK_ICFGR && offset < BANK_ICFGR_END) {
        if (size != 4 || offset % 4)
            return -VMM_EINVAL;
        v = cfg_get(gic, vcpu, ((unsigned)offset - BANK_ICFGR) * 4, lo, hi);
    } else {
        return 0;
    }
    *value = v;
    return 1;
}

int vmm_vgic_bank_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                        uint64_t value, unsigned lo, unsigned hi)
{
    unsigned first;

    if (offset >= BANK_IGROUPR && offset < BANK_BITS_END) {
        unsigned base = (unsigned)offset & ~0x7fu;
        first = ((unsigned)offset - base) * 8;
        if (size != 4 || offset % 4)
            return -VMM_EINVAL;
        for (unsigned i = 0; i < 32; i++) {
            struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, first + i);
            if (irq != NULL && in_range(first + i, lo, hi))
                bit_set(gic, irq, first + i, base, (value >> i) & 1u);
        }
    } else if (offset >= BANK_IPRIORITYR && offset < BANK_PRIO_END) {
        first = (unsigned)offset - BANK_IPRIORITYR;
        if ((size != 1 && size != 2 && size != 4) || offset % size)
            return -VMM_EINVAL;
        for (unsigned i = 0; i < size; i++) {
            struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, first + i);
            if (irq != NULL && in_range(first + i, lo, hi))
                irq->priority = (uint8_t)(value >> (8 * i));
        }
    } else if (offset >= BANK_ICFGR && offset < BANK_ICFGR_END) {
        first = ((unsigned)offset - BANK_ICFGR) * 4;
        if (size != 4 || offset % 4)
            return -VMM_EINVAL;
        cfg_set(gic, vcpu, first, (uint32_t)value, lo, hi);
    } else {
        return 0;
    }
    vmm_vgic_changed(gic, vcpu, first);
    return 1;
}

uint32_t vmm_vgic_id_reg(uint64_t offset, unsigned arch_rev)
{
    /* CoreSight component/peripheral IDs (IHI 0069H 12.1.13, IHI 0048B 4.3.16):
     * PIDR2.ArchRev says which GIC architecture this is; Linux checks it. */
    switch (offset & 0xfffu) {
    case 0xfe8: /* PIDR2: ArchRev, JEDEC-assigned ID bit, JEP106 bits [6:4] */
        return (arch_rev << 4) | 0xbu;
    case 0xff0: /* CIDR0..3: the CoreSight preamble */
        return 0x0d;
    case 0xff4:
        return 0xf0;
    case 0xff8:
        return 0x05;
    case 0xffc:
        return 0xb1;
    default:
        return 0;
    }
}
