/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GICv2 distributor (Arm IHI 0048B, 4.3), as a GIC without the Security
 * Extensions: GICD_CTLR has EnableGrp0/EnableGrp1. Registers for INTIDs
 * 0..31 are banked per vCPU, so every access carries the accessing vCPU.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/vgic.h"
#include "vgic_internal.h"

#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IIDR 0x008
#define GICD_ITARGETSR 0x800
#define GICD_ITARGETSR_END 0xc00
#define GICD_SGIR 0xf00
#define GICD_CPENDSGIR 0xf10
#define GICD_SPENDSGIR 0xf20
#define GICD_SGIR_END 0xf30
#define GICD_ID_START 0xfd0

/* GICD_SGIR fields (4.3.15). */
#define SGIR_FILTER_SHIFT 24
#define SGIR_TARGETS_SHIFT 16
#define SGIR_FILTER_LIST 0
#define SGIR_FILTER_OTHERS 1
#define SGIR_FILTER_SELF 2

static uint8_t vcpu_mask(const struct vmm_vgic *gic)
{
    return (uint8_t)((1u << gic->nr_vcpus) - 1);
}

static uint32_t typer(const struct vmm_vgic *gic)
{
    /* ITLinesNumber [4:0], CPUNumber [7:5]; no Security Extensions (4.3.2). */
    return (vmm_vgic_nr_irqs(gic) / 32 - 1) | ((gic->nr_vcpus - 1) << 5);
}

/* GICD_ITARGETSR byte for @intid: SGIs/PPIs read as the accessing vCPU (4.3.12). */
static uint8_t targets_get(struct vmm_vgic *gic, unsigned vcpu, unsigned intid)
{
    struct vmm_vgic_irq *irq;

    if (intid < VMM_VGIC_NR_PRIVATE)
        return (uint8_t)(1u << vcpu);
    irq = vmm_vgic_irq_lookup(gic, vcpu, intid);
    return irq != NULL ? irq->targets : 0;
}

static void targets_set(struct vmm_vgic *gic, unsigned intid, uint8_t targets)
{
    struct vmm_vgic_irq *irq;

    if (intid < VMM_VGIC_NR_PRIVATE)
        return;
    irq = vmm_vgic_irq_lookup(gic, 0, intid);
    if (irq != NULL)
        irq->targets = targets & vcpu_mask(gic);
}

/* GICD_SGIR write by @vcpu (4.3.15). */
static void sgir_write(struct vmm_vgic *gic, unsigned vcpu, uint32_t v)
{
    unsigned intid = v & 0xfu;
    uint8_t targets = (uint8_t)(v >> SGIR_TARGETS_SHIFT);

    switch ((v >> SGIR_FILTER_SHIFT) & 3u) {
    case SGIR_FILTER_LIST:
        break;
    case SGIR_FILTER_OTHERS:
        targets = (uint8_t) ~(1u << vcpu);
        break;
    case SGIR_FILTER_SELF:
        targets = (uint8_t)(1u << vcpu);
        break;
    default:
        return; /* reserved filter: no SGI */
    }
    targets &= vcpu_mask(gic);
    for (unsigned dst = 0; dst < gic->nr_vcpus; dst++)
        if (targets & (1u << dst))
            vmm_vgic_sgi_raise(gic, vcpu, dst, intid);
}

/* GICD_CPENDSGIR/SPENDSGIR byte @sgi of @vcpu: the source vCPUs (4.3.16, 4.3.17). */
static void sgi_pend_write(struct vmm_vgic *gic, unsigned vcpu, unsigned sgi, uint8_t sources,
                           bool set)
{
    struct vmm_vgic_irq *irq = &gic->cpu[vcpu].priv[sgi];

    sources &= vcpu_mask(gic);
    if (set)
        irq->sgi_sources |= sources;
    else
        irq->sgi_sources &= (uint8_t)~sources;
    irq->latch = irq->sgi_sources != 0;
}

static bool byte_access_ok(uint64_t offset, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && offset % size == 0;
}

int vmm_vgic_v2_dist_read(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                          uint64_t *value)
{
    int ret;

    *value = 0;
    if (vcpu >= gic->nr_vcpus || offset >= VMM_VGIC_V2_DIST_SIZE)
        return -VMM_EINVAL;
    ret = vmm_vgic_bank_read(gic, vcpu, offset, size, value, 0, vmm_vgic_nr_irqs(gic));
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (offset >= GICD_ITARGETSR && offset < GICD_ITARGETSR_END) {
        if (!byte_access_ok(offset, size))
            return -VMM_EINVAL;
        for (unsigned i = 0; i < size; i++)
            *value |= (uint64_t)targets_get(gic, vcpu, (unsigned)offset - GICD_ITARGETSR + i)
                      << (8 * i);
        return 0;
    }
    if (offset >= GICD_CPENDSGIR && offset < GICD_SGIR_END) {
        if (!byte_access_ok(offset, size))
            return -VMM_EINVAL;
        for (unsigned i = 0; i < size; i++) {
            unsigned sgi = ((unsigned)offset + i) & 0xfu;
            *value |= (uint64_t)gic->cpu[vcpu].priv[sgi].sgi_sources << (8 * i);
        }
        return 0;
    }
    if (size != 4 || offset % 4)
        return -VMM_EINVAL;
    switch (offset) {
    case GICD_CTLR:
        *value = gic->ctlr;
        break;
    case GICD_TYPER:
        *value = typer(gic);
        break;
    case GICD_IIDR:
        *value = VGIC_IIDR;
        break;
    default:
        if (offset >= GICD_ID_START)
            *value = vmm_vgic_id_reg(offset, 2);
        break; /* reserved and GICD_SGIR (write-only): RAZ */
    }
    return 0;
}

int vmm_vgic_v2_dist_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                           uint64_t value)
{
    int ret;

    if (vcpu >= gic->nr_vcpus || offset >= VMM_VGIC_V2_DIST_SIZE)
        return -VMM_EINVAL;
    ret = vmm_vgic_bank_write(gic, vcpu, offset, size, value, 0, vmm_vgic_nr_irqs(gic));
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (offset >= GICD_ITARGETSR && offset < GICD_ITARGETSR_END) {
        if (!byte_access_ok(offset, size))
            return -VMM_EINVAL;
        for (unsigned i = 0; i < size; i++)
            targets_set(gic, (unsigned)offset - GICD_ITARGETSR + i, (uint8_t)(value >> (8 * i)));
        vmm_vgic_flush_all(gic);
        return 0;
    }
    if (offset >= GICD_CPENDSGIR && offset < GICD_SGIR_END) {
        if (!byte_access_ok(offset, size))
            return -VMM_EINVAL;
        for (unsigned i = 0; i < size; i++)
            sgi_pend_write(gic, vcpu, ((unsigned)offset + i) & 0xfu, (uint8_t)(value >> (8 * i)),
                           offset >= GICD_SPENDSGIR);
        vmm_vgic_flush(gic, vcpu);
        return 0;
    }
    if (size != 4 || offset % 4)
        return -VMM_EINVAL;
    switch (offset) {
    case GICD_CTLR:
        gic->ctlr = (uint32_t)value & (VGIC_CTLR_GRP0 | VGIC_CTLR_GRP1);
        vmm_vgic_flush_all(gic);
        break;
    case GICD_SGIR:
        sgir_write(gic, vcpu, (uint32_t)value);
        break;
    default:
        break; /* read-only and reserved: WI */
    }
    return 0;
}

static int v2_read_vcpu(void *opaque, unsigned vcpu, uint64_t offset, unsigned size,
                        uint64_t *value)
{
    return vmm_vgic_v2_dist_read(opaque, vcpu, offset, size, value);
}

static int v2_write_vcpu(void *opaque, unsigned vcpu, uint64_t offset, unsigned size,
                         uint64_t value)
{
    return vmm_vgic_v2_dist_write(opaque, vcpu, offset, size, value);
}

static int v2_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    return vmm_vgic_v2_dist_read(opaque, 0, offset, size, value);
}

static int v2_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    return vmm_vgic_v2_dist_write(opaque, 0, offset, size, value);
}

const struct vmm_mmio_ops vmm_vgic_v2_dist_mmio_ops = {.read = v2_read, .write = v2_write};
const struct vmm_mmio_vcpu_ops vmm_vgic_v2_dist_vcpu_ops = {.read = v2_read_vcpu,
                                                            .write = v2_write_vcpu};
