/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GICv3 distributor (Arm IHI 0069H, 12.9) with affinity routing always on
 * and a single security state: GICD_CTLR.ARE and .DS read as one. SGI/PPI
 * state lives in the redistributors, so the distributor's registers for
 * INTIDs 0..31 read as zero (12.9: "when affinity routing is enabled").
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/err.h"
#include "stdvmm/vgic.h"
#include "vgic_internal.h"

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IROUTER 0x6000 /* + 8n, n = 32..1019 */
#define GICD_IROUTER_END 0x7fe0
#define GICD_ID_START 0xffd0

/* GICD_CTLR with DS = 1 (12.9.4). */
#define CTLR_ARE (1u << 4)
#define CTLR_DS (1u << 6)

/* GICD_TYPER.IDbits = 9: INTIDs have 10 bits (12.9.38). */
#define TYPER_IDBITS (9u << 19)

/* GICD_IROUTER: Aff3 [39:32], IRM [31], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
#define IROUTER_MASK UINT64_C(0xff80ffffff)

static uint32_t typer(const struct vmm_vgic *gic)
{
    /* ITLinesNumber, CPUNumber (ignored with ARE), IDbits; no LPIs, no
     * message-based SPIs, no Security Extensions, Aff3 = 0 only (A3V = 0). */
    return (vmm_vgic_nr_irqs(gic) / 32 - 1) | ((gic->nr_vcpus - 1) << 5) | TYPER_IDBITS;
}

static int irouter_read(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t *value)
{
    unsigned intid = (unsigned)(offset - GICD_IROUTER) / 8;
    struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, 0, intid);
    uint64_t route;

    if ((size != 4 && size != 8) || offset % size)
        return -VMM_EINVAL;
    if (intid < VMM_VGIC_NR_PRIVATE || irq == NULL)
        return 0; /* reserved or beyond ITLinesNumber: RAZ */
    route = irq->route;
    *value = size == 8 ? route : (uint32_t)(route >> (offset % 8 ? 32 : 0));
    return 0;
}

static int irouter_write(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t value)
{
    unsigned intid = (unsigned)(offset - GICD_IROUTER) / 8;
    struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, 0, intid);

    if ((size != 4 && size != 8) || offset % size)
        return -VMM_EINVAL;
    if (intid < VMM_VGIC_NR_PRIVATE || irq == NULL)
        return 0;
    if (size == 4 && offset % 8)
        value = (irq->route & UINT32_MAX) | ((uint64_t)(uint32_t)value << 32);
    else if (size == 4)
        value = (irq->route & ~(uint64_t)UINT32_MAX) | (uint32_t)value;
    irq->route = value & IROUTER_MASK;
    vmm_vgic_flush_all(gic);
    return 0;
}

int vmm_vgic_v3_dist_read(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t *value)
{
    int ret;

    *value = 0;
    if (offset >= VMM_VGIC_V3_DIST_SIZE)
        return -VMM_EINVAL;
    if (offset >= GICD_IROUTER && offset < GICD_IROUTER_END)
        return irouter_read(gic, offset, size, value);
    ret =
        vmm_vgic_bank_read(gic, 0, offset, size, value, VMM_VGIC_NR_PRIVATE, vmm_vgic_nr_irqs(gic));
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (size != 4 || offset % 4)
        return -VMM_EINVAL;
    switch (offset) {
    case GICD_CTLR:
        *value = gic->ctlr | CTLR_ARE | CTLR_DS;
        break;
    case GICD_TYPER:
        *value = typer(gic);
        break;
    case GICD_IIDR:
        *value = VGIC_IIDR;
        break;
    default:
        if (offset >= GICD_ID_START)
            *value = vmm_vgic_id_reg(offset, 3);
        break; /* TYPER2, STATUSR, ITARGETSR, SGIR, IGRPMODR, NSACR...: RAZ */
    }
    return 0;
}

int vmm_vgic_v3_dist_write(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t value)
{
    int ret;

    if (offset >= VMM_VGIC_V3_DIST_SIZE)
        return -VMM_EINVAL;
    if (offset >= GICD_IROUTER && offset < GICD_IROUTER_END)
        return irouter_write(gic, offset, size, value);
    ret = vmm_vgic_bank_write(gic, 0, offset, size, value, VMM_VGIC_NR_PRIVATE,
                              vmm_vgic_nr_irqs(gic));
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (size != 4 || offset % 4)
        return -VMM_EINVAL;
    if (offset == GICD_CTLR) {
        /* ARE and DS are RAO/WI; RWP always reads 0 (writes take effect at once). */
        gic->ctlr = (uint32_t)value & (VGIC_CTLR_GRP0 | VGIC_CTLR_GRP1);
        vmm_vgic_flush_all(gic);
    }
    return 0;
}

static int v3_dist_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    return vmm_vgic_v3_dist_read(opaque, offset, size, value);
}

static int v3_dist_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    return vmm_vgic_v3_dist_write(opaque, offset, size, value);
}

const struct vmm_mmio_ops vmm_vgic_v3_dist_mmio_ops = {.read = v3_dist_read,
                                                       .write = v3_dist_write};
