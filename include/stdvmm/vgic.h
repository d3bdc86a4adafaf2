/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual GIC distributor (GICv2, Arm IHI 0048B) and distributor plus
 * redistributors (GICv3, Arm IHI 0069H) for hypervisors that leave them to
 * the VMM (seL4). The CPU interface is the hardware's (GICV / ICC_*), so
 * this model only decides which interrupt goes into which list register.
 *
 * Injection model. Each vCPU has nr_lrs list registers. Whenever an
 * interrupt is enabled, pending, not active, its group enabled in GICD_CTLR
 * and targeted at a vCPU with a free LR, the vGIC calls
 * ops->inject(vcpu, lr, intid, priority, group) -- one call per LR, highest
 * priority (lowest value) first, then lowest INTID. The rest stay pending
 * (the overflow queue is the pending state itself) and go out, in the same
 * order, when the port reports the guest's EOI of an LR with
 * vmm_vgic_lr_eoi() (seL4: the VGIC maintenance fault's LR index). This maps
 * one to one onto seL4_ARM_VCPU_InjectIRQ(vcpu, virq, priority, group, lr).
 *
 * Pending state: an edge interrupt latches on a rising edge (or a set-pending
 * write) and the latch is consumed when it is written to an LR (the guest's
 * acknowledge happens in hardware). A level interrupt is pending while its
 * line is high (or a set-pending write latched it); after an EOI it is
 * injected again if the line is still high. An interrupt sitting in an LR
 * reads as active in GICD_ISACTIVER (the LR state is not visible to the
 * VMM); clearing pending/active of such an interrupt does not retract it.
 *
 * On seL4: ops->inject calls seL4_ARM_VCPU_InjectIRQ(vcpu_cap, intid,
 * priority, group, lr); a VGICMaintenance fault with a valid LR index calls
 * vmm_vgic_lr_eoi() (without one, vmm_vgic_flush()); a VPPIEvent calls
 * vmm_vtimer_vppi_event(); ops->eoi forwards to vmm_vtimer_eoi() and acks
 * passed-through IRQs; a trapped ICC_SGI1R_EL1 write (aarch64_trap.h)
 * calls vmm_vgic_v3_sgi_write(); the port's irq_set(line, level) calls
 * vmm_vgic_set_irq(gic, 0, VMM_VGIC_SPI(line), level).
 *
 * MMIO: the distributor and redistributors are ordinary vmm_mmio_ops
 * regions (opaque = struct vmm_vgic *). Bad widths or alignment return
 * -VMM_EINVAL; reserved and unimplemented offsets read as zero and ignore
 * writes. No locks: the port serialises calls, like any device model.
 */
#ifndef STDVMM_VGIC_H
#define STDVMM_VGIC_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/log.h"
#include "stdvmm/mmio.h"
#include "stdvmm/vcpu.h"

#define VMM_VGIC_NR_SGIS 16
#define VMM_VGIC_NR_PRIVATE 32 /* SGIs + PPIs, banked per vCPU */
#define VMM_VGIC_MAX_SPIS 224  /* INTIDs 32..255 */
#define VMM_VGIC_MAX_LRS 16
#define VMM_VGIC_LR_FREE 0xffffu
/* The hypervisor refused to write the LR (seL4: it is still active in the
 * hardware, e.g. from before a system reset): skipped until the guest's EOI
 * of it is reported through vmm_vgic_lr_eoi(). */
#define VMM_VGIC_LR_BUSY 0xfffeu

/* INTID of shared interrupt line @line (irq.h lines are SPIs). */
#define VMM_VGIC_SPI(line) (32u + (line))
/* EL1 virtual timer PPI (the architected timer's usual wiring). */
#define VMM_VGIC_VTIMER_INTID 27u

/* MMIO window sizes. */
#define VMM_VGIC_V2_DIST_SIZE 0x1000u
#define VMM_VGIC_V3_DIST_SIZE 0x10000u
#define VMM_VGIC_V3_REDIST_STRIDE 0x20000u /* RD_base + SGI_base frames per vCPU */

enum vmm_vgic_version { VMM_VGIC_V2 = 2, VMM_VGIC_V3 = 3 };

/* What the vGIC needs from the port. */
struct vmm_vgic_ops {
    /* Write list register @lr of @vcpu as pending @intid (no HW bit, EOI
     * maintenance requested). Return 0; -VMM_EBUSY when the hypervisor
     * refuses this LR (it is in use in the hardware): the LR is then marked
     * VMM_VGIC_LR_BUSY and the next free one is tried; any other negative
     * code: the interrupt stays pending, the LR free, and the flush stops. */
    int (*inject)(void *ctx, unsigned vcpu, unsigned lr, unsigned intid, uint8_t priority,
                  unsigned group);
    /* Optional: the guest EOIed @intid on @vcpu (ack a VPPI or a passed-through
     * IRQ here; see vtimer.c). Called before the freed LR is refilled. */
    void (*eoi)(void *ctx, unsigned vcpu, unsigned intid);
};

/* State of one interrupt (SPI, or SGI/PPI of one vCPU). */
struct vmm_vgic_irq {
    uint64_t route;      /* v3 GICD_IROUTER (SPIs) */
    uint8_t priority;    /* GICD_IPRIORITYR byte */
    uint8_t targets;     /* v2 GICD_ITARGETSR byte (SPIs) */
    uint8_t sgi_sources; /* v2 SGIs: pending source vCPUs (GICD_SPENDSGIR) */
    bool enabled, group1, edge, active;
    bool latch; /* edge seen / set-pending written */
    bool line;  /* input level */
    bool in_lr;
};

struct vmm_vgic_cpu {
    struct vmm_vgic_irq priv[VMM_VGIC_NR_PRIVATE];
    uint16_t lr[VMM_VGIC_MAX_LRS]; /* INTID held, VMM_VGIC_LR_FREE or _BUSY */
    bool sleep;                    /* v3 GICR_WAKER.ProcessorSleep */
};

struct vmm_vgic {
    enum vmm_vgic_version version;
    unsigned nr_vcpus, nr_spis, nr_lrs;
    uint32_t ctlr; /* GICD_CTLR enable bits */
    const struct vmm_vgic_ops *ops;
    void *ctx;
    struct vmm_vgic_cpu cpu[VMM_MAX_VCPUS];
    struct vmm_vgic_irq spi[VMM_VGIC_MAX_SPIS];
    struct vmm_ratelimit rl_busy, rl_inject; /* LR refusals, other inject errors */
};

struct vmm_vgic_config {
    enum vmm_vgic_version version;
    unsigned nr_vcpus; /* 1..VMM_MAX_VCPUS */
    unsigned nr_spis;  /* multiple of 32, up to VMM_VGIC_MAX_SPIS */
    unsigned nr_lrs;   /* list registers per vCPU, 1..VMM_VGIC_MAX_LRS */
    const struct vmm_vgic_ops *ops;
    void *ctx;
};

/* Reset to the architectural state (everything disabled, group 0, priority
 * 0, SPIs to vCPU 0). -VMM_EINVAL for a bad configuration or missing inject. */
int vmm_vgic_init(struct vmm_vgic *gic, const struct vmm_vgic_config *cfg);

/* Drive the input line of @intid: an SPI (vcpu ignored) or a PPI of @vcpu.
 * -VMM_EINVAL for SGIs and out-of-range numbers. */
int vmm_vgic_set_irq(struct vmm_vgic *gic, unsigned vcpu, unsigned intid, bool level);

/* The guest EOIed list register @lr of @vcpu: free it, notify ops->eoi and
 * refill the free LRs. A VMM_VGIC_LR_BUSY LR just becomes free again.
 * -VMM_ENOENT if the LR held nothing (still refills). */
int vmm_vgic_lr_eoi(struct vmm_vgic *gic, unsigned vcpu, unsigned lr);

/* Fill @vcpu's free LRs from its pending interrupts; returns how many were
 * injected. The vGIC calls it itself after every state change. */
int vmm_vgic_flush(struct vmm_vgic *gic, unsigned vcpu);

/* INTID held by list register @lr of @vcpu, or -1 (free, busy or out of range). */
int vmm_vgic_lr_intid(const struct vmm_vgic *gic, unsigned vcpu, unsigned lr);

/* True if @intid is pending for @vcpu (latched or line high; not in an LR). */
bool vmm_vgic_is_pending(const struct vmm_vgic *gic, unsigned vcpu, unsigned intid);

/* True if @vcpu has an interrupt to take, a WFI wake-up event: one held in
 * a list register (pending, or active and not yet EOIed: a spurious wake-up
 * at worst), or one the vGIC could put into an LR now. */
bool vmm_vgic_vcpu_has_irq(struct vmm_vgic *gic, unsigned vcpu);

/* GICv2 distributor access by @vcpu (banked registers 0..31, ITARGETSR and
 * SGIR depend on it); the vmm_mmio_ops below route vmm_access.vcpu here. */
int vmm_vgic_v2_dist_read(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                          uint64_t *value);
int vmm_vgic_v2_dist_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                           uint64_t value);

/* GICv3 distributor (ARE and DS fixed to 1: affinity routing, one security
 * state) and the redistributor frames, vCPU n at n * VMM_VGIC_V3_REDIST_STRIDE. */
int vmm_vgic_v3_dist_read(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t *value);
int vmm_vgic_v3_dist_write(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t value);
int vmm_vgic_v3_redist_read(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t *value);
int vmm_vgic_v3_redist_write(struct vmm_vgic *gic, uint64_t offset, unsigned size, uint64_t value);

/* A trapped write of ICC_SGI1R_EL1 (or ICC_ASGI1R/SGI0R_EL1, treated alike)
 * by @vcpu: SGI INTID to the vCPUs named by Aff3.Aff2.Aff1 + TargetList
 * (RS selects Aff0 16-blocks), or to all but @vcpu when IRM = 1. */
int vmm_vgic_v3_sgi_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t value);

/* Bus glue (opaque = struct vmm_vgic *). Register the GICv2 distributor with
 * vmm_mmio_register_vcpu(bus, base, VMM_VGIC_V2_DIST_SIZE,
 * &vmm_vgic_v2_dist_mmio_ops, &vmm_vgic_v2_dist_vcpu_ops, gic, "gicd") so the
 * accessing vCPU reaches it; its plain ops act as vCPU 0. */
extern const struct vmm_mmio_ops vmm_vgic_v2_dist_mmio_ops;
extern const struct vmm_mmio_vcpu_ops vmm_vgic_v2_dist_vcpu_ops;
extern const struct vmm_mmio_ops vmm_vgic_v3_dist_mmio_ops;
extern const struct vmm_mmio_ops vmm_vgic_v3_redist_mmio_ops;

/*
 * Virtual timer PPI on hypervisors that deliver it as an event (seL4: a
 * VPPIEvent fault for INTID 27, with the physical PPI masked until the VMM
 * calls seL4_ARM_VCPU_AckVPPI). Per vCPU: IDLE -> event: line raised, level
 * PPI pending -> guest EOI (through the vGIC's ops->eoi, forwarded to
 * vmm_vtimer_eoi) -> line lowered, ack() -> IDLE.
 */
struct vmm_vtimer {
    struct vmm_vgic *gic;
    unsigned intid;                        /* VMM_VGIC_VTIMER_INTID */
    void (*ack)(void *ctx, unsigned vcpu); /* unmask the physical PPI */
    void *ctx;
    bool asserted[VMM_MAX_VCPUS];       /* waiting for the guest's EOI */
    struct vmm_ratelimit rl_unexpected; /* VPPIs of another INTID or vCPU */
};

/* Bind a timer PPI (16..31) of @gic to the port's @ack; configures it level. */
int vmm_vtimer_init(struct vmm_vtimer *vt, struct vmm_vgic *gic, unsigned intid,
                    void (*ack)(void *ctx, unsigned vcpu), void *ctx);

/* The hypervisor reported the timer PPI @intid firing for @vcpu: raise the
 * line. A repeated event before the EOI is absorbed. -VMM_EINVAL for another
 * INTID or vCPU. */
int vmm_vtimer_vppi_event(struct vmm_vtimer *vt, unsigned vcpu, unsigned intid);

/* Call from the vGIC's ops->eoi: if @intid is the timer and it was asserted
 * on @vcpu, lower the line, ack() and return true; else return false. */
bool vmm_vtimer_eoi(struct vmm_vtimer *vt, unsigned vcpu, unsigned intid);

/* @vcpu is reset or powered off: lower the line and ack() a pending event so
 * the physical PPI is not left masked. */
void vmm_vtimer_reset(struct vmm_vtimer *vt, unsigned vcpu);

#endif
