/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared between the vGIC files: interrupt lookup, the register banks common
 * to the GICv2/v3 distributor and the GICv3 redistributor, and refilling LRs.
 * Not a public API.
 */
#ifndef STDVMM_VGIC_INTERNAL_H
#define STDVMM_VGIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/vgic.h"

/* GICD_CTLR / GICR enable bits both versions share (IHI 0048B 4.3.1, IHI 0069H 12.9.4). */
#define VGIC_CTLR_GRP0 (1u << 0)
#define VGIC_CTLR_GRP1 (1u << 1)

/* GICD_IIDR/GICR_IIDR: Arm's JEP106 code 0x43b, product 'S' (stdvmm), so no
 * guest quirk matches it. */
#define VGIC_IIDR ((0x53u << 24) | 0x43bu)

/* Number of INTIDs (SGIs + PPIs + SPIs). */
unsigned vmm_vgic_nr_irqs(const struct vmm_vgic *gic);

/* State of @intid as seen by @vcpu, or NULL when out of range. */
struct vmm_vgic_irq *vmm_vgic_irq_lookup(struct vmm_vgic *gic, unsigned vcpu, unsigned intid);

/* Pending from the guest's point of view: latched, or a level line high. */
bool vmm_vgic_irq_pending(const struct vmm_vgic_irq *irq);

/* vCPU an SPI is delivered to, or -1 (no valid target). */
int vmm_vgic_spi_target(const struct vmm_vgic *gic, const struct vmm_vgic_irq *irq);

/* Make SGI @intid pending on @dst, sent by @src. */
void vmm_vgic_sgi_raise(struct vmm_vgic *gic, unsigned src, unsigned dst, unsigned intid);

/* State changed for @intid (of @vcpu if private): refill the LRs it may reach. */
void vmm_vgic_changed(struct vmm_vgic *gic, unsigned vcpu, unsigned intid);

/* Refill every vCPU's LRs. */
void vmm_vgic_flush_all(struct vmm_vgic *gic);

/*
 * The banks IGROUPR..ICACTIVER (0x080-0x3ff), IPRIORITYR (0x400-0x7ff) and
 * ICFGR (0xc00-0xcff), laid out the same in a GICv2/v3 distributor and a
 * GICv3 SGI_base frame. INTIDs outside [@lo, @hi) read as zero and ignore
 * writes. Returns 1 if @offset is in a bank and was handled, 0 if it is not
 * a bank offset, -VMM_EINVAL for a width or alignment the bank forbids.
 */
int vmm_vgic_bank_read(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                       uint64_t *value, unsigned lo, unsigned hi);
int vmm_vgic_bank_write(struct vmm_vgic *gic, unsigned vcpu, uint64_t offset, unsigned size,
                        uint64_t value, unsigned lo, unsigned hi);

/* Value of the CoreSight ID register at @offset (0xfd0..0xffc within its
 * 4 KiB page) for GIC architecture @arch_rev (2 or 3). */
uint32_t vmm_vgic_id_reg(uint64_t offset, unsigned arch_rev);

#endif
