/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vGIC core: interrupt state, input lines, and the list-register model (see
 * the injection model in include/stdvmm/vgic.h). Register emulation lives in
 * vgic_regs.c, vgic_v2.c, vgic_v3_dist.c and vgic_v3_redist.c.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/psci.h"
#include "stdvmm/vgic.h"
#include "vgic_internal.h"

static void irq_reset(struct vmm_vgic_irq *irq, bool edge)
{
    memset(irq, 0, sizeof(*irq));
    irq->edge = edge;
}

int vmm_vgic_init(struct vmm_vgic *gic, const struct vmm_vgic_config *cfg)
{
    if (cfg == NULL || cfg->ops == NULL || cfg->ops->inject == NULL)
        return -VMM_EINVAL;
    if (cfg->version != VMM_VGIC_V2 && cfg->version != VMM_VGIC_V3)
        return -VMM_EINVAL;
    if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > VMM_MAX_VCPUS)
        return -VMM_EINVAL;
    if (cfg->nr_spis % 32 != 0 || cfg->nr_spis > VMM_VGIC_MAX_SPIS)
        return -VMM_EINVAL;
    if (cfg->nr_lrs == 0 || cfg->nr_lrs > VMM_VGIC_MAX_LRS)
        return -VMM_EINVAL;
    memset(gic, 0, sizeof(*gic));
    gic->version = cfg->version;
    gic->nr_vcpus = cfg->nr_vcpus;
    gic->nr_spis = cfg->nr_spis;
    gic->nr_lrs = cfg->nr_lrs;
    gic->ops = cfg->ops;
    gic->ctx = cfg->ctx;
    for (unsigned c = 0; c < VMM_MAX_VCPUS; c++) {
        struct vmm_vgic_cpu *cpu = &gic->cpu[c];
        /* SGIs are always edge (ICFGR0 is read-only); PPIs start as level. */
        for (unsigned i = 0; i < VMM_VGIC_NR_PRIVATE; i++)
            irq_reset(&cpu->priv[i], i < VMM_VGIC_NR_SGIS);
        for (unsigned lr = 0; lr < VMM_VGIC_MAX_LRS; lr++)
            cpu->lr[lr] = VMM_VGIC_LR_FREE;
        cpu->sleep = true; /* GICR_WAKER.ProcessorSleep resets to 1 */
    }
    for (unsigned i = 0; i < VMM_VGIC_MAX_SPIS; i++) {
        irq_reset(&gic->spi[i], false);
        gic->spi[i].targets = 1; /* vCPU 0 (v2); v3 IROUTER 0 is vCPU 0 too */
    }
    return 0;
}

unsigned vmm_vgic_nr_irqs(const struct vmm_vgic *gic)
{
    return VMM_VGIC_NR_PRIVATE + gic->nr_spis;
}

struct vmm_vgic_irq *vmm_vgic_irq_lookup(struct vmm_vgic *gic, unsigned vcpu, unsigned intid)
{
    if (intid < VMM_VGIC_NR_PRIVATE)
        return vcpu < gic->nr_vcpus ? &gic->cpu[vcpu].priv[intid] : NULL;
    if (intid < vmm_vgic_nr_irqs(gic))
        return &gic->spi[intid - VMM_VGIC_NR_PRIVATE];
    return NULL;
}

bool vmm_vgic_irq_pending(const struct vmm_vgic_irq *irq)
{
    return irq->latch || (!irq->edge && irq->line);
}

int vmm_vgic_spi_target(const struct vmm_vgic *gic, const struct vmm_vgic_irq *irq)
{
    if (gic->version == VMM_VGIC_V2) {
        for (unsigned c = 0; c < gic->nr_vcpus; c++)
            if (irq->targets & (1u << c))
                return (int)c;
        return -1;
    }
    /* GICD_IROUTER (IHI 0069H 12.9.22): IRM = 1 means "any vCPU"; vCPU 0 is
     * always online, so take it. Otherwise match Aff3.Aff2.Aff1.Aff0. */
    if (irq->route & (UINT64_C(1) << 31))
        return 0;
    for (unsigned c = 0; c < gic->nr_vcpus; c++) {
        uint64_t mpidr = vmm_arm64_vcpu_mpidr(c);
        uint64_t aff = (irq->route & 0xffffffu) | ((irq->route >> 32 & 0xffu) << 24);
        if (aff == mpidr)
            return (int)c;
    }
    return -1;
}

void vmm_vgic_sgi_raise(struct vmm_vgic *gic, unsigned src, unsigned dst, unsigned intid)
{
    struct vmm_vgic_irq *irq;

    if (dst >= gic->nr_vcpus || intid >= VMM_VGIC_NR_SGIS)
        return;
    irq = &gic->cpu[dst].priv[intid];
    if (gic->version == VMM_VGIC_V2 && src < 8)
        irq->sgi_sources |= (uint8_t)(1u << src);
    irq->latch = true;
    vmm_vgic_flush(gic, dst);
}

int vmm_vgic_set_irq(struct vmm_vgic *gic, unsigned vcpu, unsigned intid, bool level)
{
    struct vmm_vgic_irq *irq;

    if (intid < VMM_VGIC_NR_SGIS)
        return -VMM_EINVAL;
    irq = vmm_vgic_irq_lookup(gic, vcpu, intid);
    if (irq == NULL)
        return -VMM_EINVAL;
    if (irq->edge && level && !irq->line)
        irq->latch = true; /* rising edge */
    irq->line = level;
    if (!level)
        return 0;
    if (intid < VMM_VGIC_NR_PRIVATE) {
        vmm_vgic_flush(gic, vcpu);
    } else {
        int target = vmm_vgic_spi_target(gic, irq);
        if (target >= 0) /* hot path: only the vCPU it can reach */
            vmm_vgic_flush(gic, (unsigned)target);
    }
    return 0;
}

/* Can @irq go into an LR of @vcpu now? */
static bool irq_deliverable(const struct vmm_vgic *gic, const struct vmm_vgic_irq *irq)
{
    uint32_t grp = irq->group1 ? VGIC_CTLR_GRP1 : VGIC_CTLR_GRP0;

    return irq->enabled && !irq->active && !irq->in_lr && (gic->ctlr & grp) &&
           vmm_vgic_irq_pending(irq);
}

/* Better candidate: higher priority (lower value), then lower INTID. */
static bool better(const struct vmm_vgic_irq *a, unsigned a_id, const struct vmm_vgic_irq *b,
                   unsigned b_id)
{
    if (b == NULL)
        return true;
    return a->priority < b->priority || (a->priority == b->priority && a_id < b_id);
}

/* Highest-priority deliverable interrupt for @vcpu, or NULL. */
static struct vmm_vgic_irq *pick(struct vmm_vgic *gic, unsigned vcpu, unsigned *intid)
{
    struct vmm_vgic_irq *best = NULL;
    unsigned best_id = 0;

    for (unsigned i = 0; i < vmm_vgic_nr_irqs(gic); i++) {
        struct vmm_vgic_irq *irq = vmm_vgic_irq_lookup(gic, vcpu, i);
        if (!irq_deliverable(gic, irq))
            continue;
        if (i >= VMM_VGIC_NR_PRIVATE && vmm_vgic_spi_target(gic, irq) != (int)vcpu)
            continue;
        if (better(irq, i, best, best_id)) {
            best = irq;
            best_id = i;
        }
    }
    *intid = best_id;
    return best;
}

static int free_lr(const struct vmm_vgic *gic, unsigned vcpu)
{
    for (unsigned lr = 0; lr < gic->nr_lrs; lr++)
        if (gic->cpu[vcpu].lr[lr] == VMM_VGIC_LR_FREE)
            return (int)lr;
    return -1;
}

/* The LR now carries the pending state: consume the latch (one SGI source
 * at a time on GICv2, each source being a distinct interrupt). */
static void consume_pending(struct vmm_vgic_irq *irq, unsigned intid)
{
    if (intid < VMM_VGIC_NR_SGIS && irq->sgi_sources != 0) {
        irq->sgi_sources &= (uint8_t)(irq->sgi_sources - 1);
        irq->latch = irq->sgi_sources != 0;
        return;
    }
    irq->latch = false;
}

int vmm_vgic_flush(struct vmm_vgic *gic, unsigned vcpu)
{
    int injected = 0;

    if (vcpu >= gic->nr_vcpus)
        return -VMM_EINVAL;
    if (gic->version == VMM_VGIC_V3 && gic->cpu[vcpu].sleep)
        return 0; /* redistributor asleep: nothing reaches the CPU interface */
    /* Bounded: each round fills, or marks busy, one of at most nr_lrs free LRs. */
    for (unsigned round = 0; round < gic->nr_lrs; round++) {
        unsigned intid;
        int lr = free_lr(gic, vcpu);
        struct vmm_vgic_irq *irq;
        int ret;

        if (lr < 0)
            break;
        irq = pick(gic, vcpu, &intid);
        if (irq == NULL)
            break;
        ret = gic->ops->inject(gic->ctx, vcpu, (unsigned)lr, intid, irq->priority,
                               irq->group1 ? 1u : 0u);
        if (ret == -VMM_EBUSY) {
            /* In use in the hardware (seL4 refuses an active LR, e.g. one
             * left from before a reset): skip it until its EOI is reported. */
            if (vmm_ratelimit_first(&gic->rl_busy))
                vmm_warn("vgic: LR %d of vCPU %u is busy in the hypervisor: using the next one "
                         "until the guest EOIs it (further refusals counted)",
                         lr, vcpu);
            gic->cpu[vcpu].lr[lr] = VMM_VGIC_LR_BUSY;
            continue;
        }
        if (ret < 0) {
            if (vmm_ratelimit_first(&gic->rl_inject))
                vmm_warn("vgic: injecting INTID %u into LR %d of vCPU %u failed: %d (it stays "
                         "pending; further failures counted)",
                         intid, lr, vcpu, ret);
            break;
        }
        gic->cpu[vcpu].lr[lr] = (uint16_t)intid;
        irq->in_lr = true;
        consume_pending(irq, intid);
        injected++;
    }
    return injected;
}

void vmm_vgic_flush_all(struct vmm_vgic *gic)
{
    for (unsigned c = 0; c < gic->nr_vcpus; c++)
        vmm_vgic_flush(gic, c);
}

void vmm_vgic_changed(struct vmm_vgic *gic, unsigned vcpu, unsigned intid)
{
    if (intid < VMM_VGIC_NR_PRIVATE)
        vmm_vgic_flush(gic, vcpu);
    else
        vmm_vgic_flush_all(gic);
}

int vmm_vgic_lr_eoi(struct vmm_vgic *gic, unsigned vcpu, unsigned lr)
{
    struct vmm_vgic_irq *irq;
    unsigned intid;

    if (vcpu >= gic->nr_vcpus || lr >= gic->nr_lrs)
        return -VMM_EINVAL;
    intid = gic->cpu[vcpu].lr[lr];
    if (intid == VMM_VGIC_LR_FREE) {
        vmm_vgic_flush(gic, vcpu);
        return -VMM_ENOENT;
    }
    gic->cpu[vcpu].lr[lr] = VMM_VGIC_LR_FREE;
    if (intid == VMM_VGIC_LR_BUSY) { /* the stale interrupt is gone: usable again */
        vmm_vgic_flush(gic, vcpu);
        return 0;
    }
    irq = vmm_vgic_irq_lookup(gic, vcpu, intid);
    if (irq != NULL)
        irq->in_lr = false;
    /* Before refilling: a VPPI or passed-through IRQ may lower its line here. */
    if (gic->ops->eoi != NULL)
        gic->ops->eoi(gic->ctx, vcpu, intid);
    vmm_vgic_changed(gic, vcpu, intid);
    return 0;
}

int vmm_vgic_lr_intid(const struct vmm_vgic *gic, unsigned vcpu, unsigned lr)
{
    if (vcpu >= gic->nr_vcpus || lr >= gic->nr_lrs || gic->cpu[vcpu].lr[lr] == VMM_VGIC_LR_FREE ||
        gic->cpu[vcpu].lr[lr] == VMM_VGIC_LR_BUSY)
        return -1;
    return gic->cpu[vcpu].lr[lr];
}

bool vmm_vgic_is_pending(const struct vmm_vgic *gic, unsigned vcpu, unsigned intid)
{
    const struct vmm_vgic_irq *irq = NULL;

    if (intid < VMM_VGIC_NR_PRIVATE && vcpu < gic->nr_vcpus)
        irq = &gic->cpu[vcpu].priv[intid];
    else if (intid >= VMM_VGIC_NR_PRIVATE && intid < vmm_vgic_nr_irqs(gic))
        irq = &gic->spi[intid - VMM_VGIC_NR_PRIVATE];
    return irq != NULL && vmm_vgic_irq_pending(irq);
}

bool vmm_vgic_vcpu_has_irq(struct vmm_vgic *gic, unsigned vcpu)
{
    unsigned intid;

    if (vcpu >= gic->nr_vcpus)
        return false;
    for (unsigned lr = 0; lr < gic->nr_lrs; lr++)
        if (vmm_vgic_lr_intid(gic, vcpu, lr) >= 0)
            return true;
    if (gic->version == VMM_VGIC_V3 && gic->cpu[vcpu].sleep)
        return false; /* redistributor asleep: nothing reaches the CPU interface */
    return pick(gic, vcpu, &intid) != NULL;
}
