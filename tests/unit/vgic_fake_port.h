/* SPDX-License-Identifier: BSD-2-Clause */
/* A fake hypervisor port for the vGIC tests: records list-register writes
 * the way seL4_ARM_VCPU_InjectIRQ would, and plays the guest's EOI. */
#ifndef STDVMM_TEST_VGIC_FAKE_PORT_H
#define STDVMM_TEST_VGIC_FAKE_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/vgic.h"

struct fake_lr {
    bool used;
    unsigned intid;
    uint8_t priority;
    unsigned group;
};

struct fake_port {
    struct fake_lr lr[VMM_MAX_VCPUS][VMM_VGIC_MAX_LRS];
    unsigned injections;
    unsigned order[64]; /* INTIDs in injection order */
    unsigned eois;
    unsigned last_eoi_vcpu, last_eoi_intid;
    int fail; /* non-zero: inject returns this */
    /* LRs the "hypervisor" refuses with -VMM_EBUSY (still active in the
     * hardware, as seL4 reports with seL4_DeleteFirst); bit n = LR n. */
    uint32_t refuse[VMM_MAX_VCPUS];
    unsigned refusals;
    bool (*eoi_hook)(void *hook_ctx, unsigned vcpu, unsigned intid);
    void *hook_ctx;
};

static inline int fake_inject(void *ctx, unsigned vcpu, unsigned lr, unsigned intid,
                              uint8_t priority, unsigned group)
{
    struct fake_port *p = ctx;

    if (p->fail)
        return p->fail;
    if (p->refuse[vcpu] & (1u << lr)) {
        p->refusals++;
        return -VMM_EBUSY;
    }
    p->lr[vcpu][lr] = (struct fake_lr){true, intid, priority, group};
    if (p->injections < 64)
        p->order[p->injections] = intid;
    p->injections++;
    return 0;
}

static inline void fake_eoi(void *ctx, unsigned vcpu, unsigned intid)
{
    struct fake_port *p = ctx;

    p->eois++;
    p->last_eoi_vcpu = vcpu;
    p->last_eoi_intid = intid;
    if (p->eoi_hook)
        p->eoi_hook(p->hook_ctx, vcpu, intid);
}

static const struct vmm_vgic_ops fake_ops = {.inject = fake_inject, .eoi = fake_eoi};

static inline int fake_setup(struct vmm_vgic *gic, struct fake_port *p,
                             enum vmm_vgic_version version, unsigned nr_vcpus, unsigned nr_lrs)
{
    struct vmm_vgic_config cfg = {.version = version,
                                  .nr_vcpus = nr_vcpus,
                                  .nr_spis = 64,
                                  .nr_lrs = nr_lrs,
                                  .ops = &fake_ops,
                                  .ctx = p};
    memset(p, 0, sizeof(*p));
    return vmm_vgic_init(gic, &cfg);
}

/* The LR of @vcpu holding @intid in the fake port, or -1. */
static inline int fake_find(const struct fake_port *p, unsigned vcpu, unsigned intid)
{
    for (unsigned lr = 0; lr < VMM_VGIC_MAX_LRS; lr++)
        if (p->lr[vcpu][lr].used && p->lr[vcpu][lr].intid == intid)
            return (int)lr;
    return -1;
}

/* The guest acknowledges and EOIs @intid on @vcpu; the port reports the
 * maintenance for that LR. Returns vmm_vgic_lr_eoi()'s result or -100. */
static inline int fake_guest_eoi(struct vmm_vgic *gic, struct fake_port *p, unsigned vcpu,
                                 unsigned intid)
{
    int lr = fake_find(p, vcpu, intid);

    if (lr < 0)
        return -100;
    p->lr[vcpu][lr].used = false;
    return vmm_vgic_lr_eoi(gic, vcpu, (unsigned)lr);
}

/* Number of LRs of @vcpu in use in the fake port. */
static inline unsigned fake_used(const struct fake_port *p, unsigned vcpu)
{
    unsigned n = 0;

    for (unsigned lr = 0; lr < VMM_VGIC_MAX_LRS; lr++)
        n += p->lr[vcpu][lr].used;
    return n;
}

#endif
