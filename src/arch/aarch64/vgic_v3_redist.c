/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GICv3 redistributors (Arm IHI 0069H, 12.10 RD_base, 12.11 SGI_base): one
 * 128 KiB frame pair per vCPU, laid out contiguously, no LPIs. Also SGI
 * generation from a trapped ICC_SGI1R_EL1 write (12.2.23).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/psci.h"
#include "stdvmm/vgic.h"
#include "vgic_internal.h"

#define SGI_BASE 0x10000u
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_ID_START 0xffd0

/* GICR_TYPER (12.10.29): Last [4], Processor_Number [23:8], Affinity [63:32]. */
#define TYPER_LAST (1u << 4)
#define TYPER_PROCNUM_SHIFT 8
#define TYPER_AFF_SHIFT 32

/* GICR_WAKER (12.10.30). */
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

/* ICC_SGI1R_EL1 fields (12.2.23). */
#define SGI1R_TARGETS_MASK 0xffffu
#define SGI1R_AFF1_SHIFT 16
#define SGI1R_INTID_SHIFT 24
#define SGI1R_AFF2_SHIFT 32
#define SGI1R_IRM (UINT64_C(1) << 40)
#define SGI1R_RS_SHIFT 44
#define SGI1R_AFF3_SHIFT 48

static uint64_t typer(const struct vmm_vgic *gic, unsigned vcpu)
{
    uint64_t mpidr = vmm_arm64_vcpu_mpidr(vcpu);
    /* Affinity is Aff3.Aff2.Aff1.Aff0, one byte each. */
    uint64_t aff = (mpidr & 0xffffffu) | ((mpidr >> 32 & 0xffu) << 24);
    uint64_t v = (aff << TYPER_AFF_SHIFT) | ((uint64_t)vcpu << TYPER_PROCNUM_SHIFT);

    if (vcpu == gic->nr_vcpus - 1)
        v |= TYPER_LAST;
    return v;
}

static int rd_read(struct vmm_vgic *gic, unsigned vcpu, uint64_t off, unsigned size,
                   uint64_t *value)
{
    if (off == GICR_TYPER && size == 8) {
        *value = typer(gic, vcpu);
        return 0;
    }
    if (size != 4 || off % 4)
        return -VMM_EINVAL;
    switch (off) {
    case GICR_IIDR:
        *value = VGIC_IIDR;
        break;
    case GICR_TYPER:
    case GICR_TYPER + 4:
        *value = (uint32_t)(typer(gic, vcpu) >> (off == GICR_TYPER ? 0 : 32));
        break;
    case GICR_WAKER:
        *value = gic->cpu[vcpu].sleep ? WAKER_PROCESSOR_SLEEP | WAKER_CHILDREN_ASLEEP : 0;
        break;
    default:
        if (off >= GICR_ID_START)
            *value = vmm_vgic_id_reg(off, 3);
        break; /* GICR_CTLR (no LPIs, RWP 0), STATUSR, PROPBASER...: RAZ */
    }
    return 0;
}

static int rd_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t off, unsigned size,
                    uint64_t value)
{
    if (off == GICR_TYPER && size == 8)
        return 0;
    if (size != 4 || off % 4)
        return -VMM_EINVAL;
    if (off == GICR_WAKER) {
        /* ChildrenAsleep follows ProcessorSleep at once: no interface to quiesce. */
        gic->cpu[vcpu].sleep = (value & WAKER_PROCESSOR_SLEEP) != 0;
        vmm_vgic_flush(gic, vcpu);
    }
    return 0;
}

/* Split @offset into a vCPU and an offset in its frame pair. */
static int locate(const struct vmm_vgic *gic, uint64_t offset, unsigned *vcpu, uint64_t *off)
{
    if (offset / VMM_VGIC_V3_REDIST_STRIDE >= gic->nr_vcpus)
        return -VMM_EINVAL;
    *vcpu = (unsigned)(offset / VMM_VGIC_V3_REDIST_STRIDE);
    *off = offset % VMM_VGIC_V3_REDIST_STRIDE;
    return 0;
}

int vmm_vgic_v3_redist_read(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t *value)
{
    unsigned vcpu;
    uint64_t off;
    int ret;

    *value = 0;
    if (locate(gic, offset, &vcpu, &off) < 0)
        return -VMM_EINVAL;
    if (off < SGI_BASE)
        return rd_read(gic, vcpu, off, size, value);
    off -= SGI_BASE;
    ret = vmm_vgic_bank_read(gic, vcpu, off, size, value, 0, VMM_VGIC_NR_PRIVATE);
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (size != 4 || off % 4)
        return -VMM_EINVAL;
    return 0; /* IGRPMODR0, NSACR and reserved: RAZ */
}

int vmm_vgic_v3_redist_write(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t value)
{
    unsigned vcpu;
    uint64_t off;
    int ret;

    if (locate(gic, offset, &vcpu, &off) < 0)
        return -VMM_EINVAL;
    if (off < SGI_BASE)
        return rd_write(gic, vcpu, off, size, value);
    off -= SGI_BASE;
    ret = vmm_vgic_bank_write(gic, vcpu, off, size, value, 0, VMM_VGIC_NR_PRIVATE);
    if (ret != 0)
        return ret < 0 ? ret : 0;
    if (size != 4 || off % 4)
        return -VMM_EINVAL;
    return 0;
}

int vmm_vgic_v3_sgi_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t value)
{
    unsigned intid = (unsigned)(value >> SGI1R_INTID_SHIFT) & 0xfu;
    uint64_t aff321;
    unsigned rs, targets;

    if (vcpu >= gic->nr_vcpus)
        return -VMM_EINVAL;
    if (value & SGI1R_IRM) {
        for (unsigned dst = 0; dst < gic->nr_vcpus; dst++)
            if (dst != vcpu)
                vmm_vgic_sgi_raise(gic, vcpu, dst, intid);
        return 0;
    }
    /* Aff3.Aff2.Aff1 as in MPIDR, and TargetList bit n = Aff0 (RS * 16 + n). */
    aff321 = ((value >> SGI1R_AFF3_SHIFT & 0xffu) << 32) |
             ((value >> SGI1R_AFF2_SHIFT & 0xffu) << 16) |
             ((value >> SGI1R_AFF1_SHIFT & 0xffu) << 8);
    rs = (unsigned)(value >> SGI1R_RS_SHIFT) & 0xfu;
    targets = (unsigned)value & SGI1R_TARGETS_MASK;
    for (unsigned dst = 0; dst < gic->nr_vcpus; dst++) {
        uint64_t mpidr = vmm_arm64_vcpu_mpidr(dst);
        uint64_t aff0 = mpidr & 0xffu;
        if ((mpidr & ~UINT64_C(0xff)) != aff321 || aff0 / 16 != rs)
            continue;
        if (targets & (1u << (aff0 % 16)))
            vmm_vgic_sgi_raise(gic, vcpu, dst, intid);
    }
    return 0;
}

static int v3_redist_read(void *opaque, uint64_t offset, unsigned size, uint64_t *value)
{
    return vmm_vgic_v3_redist_read(opaque, offset, size, value);
}

static int v3_redist_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    return vmm_vgic_v3_redist_write(opaque, offset, size, value);
}

const struct vmm_mmio_ops vmm_vgic_v3_redist_mmio_ops = {.read = v3_redist_read,
                                                         .write = v3_redist_write};
