/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Virtual timer delivered as an event (see include/stdvmm/vgic.h). The
 * generic timer's interrupt is level-sensitive (Arm ARM D11.2.4), so it is
 * modelled as a level PPI whose line stays high until the guest's EOI; only
 * then may the physical PPI be unmasked, or it would fire again at once.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/vgic.h"

int vmm_vtimer_init(struct vmm_vtimer *vt, struct vmm_vgic *gic, unsigned intid,
                    void (*ack)(void *ctx, unsigned vcpu), void *ctx)
{
    if (gic == NULL || ack == NULL || intid < VMM_VGIC_NR_SGIS || intid >= VMM_VGIC_NR_PRIVATE)
        return -VMM_EINVAL;
    memset(vt, 0, sizeof(*vt));
    vt->gic = gic;
    vt->intid = intid;
    vt->ack = ack;
    vt->ctx = ctx;
    for (unsigned c = 0; c < gic->nr_vcpus; c++)
        gic->cpu[c].priv[intid].edge = false;
    return 0;
}

int vmm_vtimer_vppi_event(struct vmm_vtimer *vt, unsigned vcpu, unsigned intid)
{
    if (intid != vt->intid || vcpu >= vt->gic->nr_vcpus) {
        if (vmm_ratelimit_first(&vt->rl_unexpected))
            vmm_warn("vtimer: unexpected VPPI %u for vCPU %u (further ones counted)", intid, vcpu);
        return -VMM_EINVAL;
    }
    if (vt->asserted[vcpu])
        return 0; /* the kernel masks the PPI until ack: a repeat changes nothing */
    vt->asserted[vcpu] = true;
    return vmm_vgic_set_irq(vt->gic, vcpu, intid, true);
}

/* Lower the line and unmask the physical PPI, if it was raised. */
static bool vtimer_release(struct vmm_vtimer *vt, unsigned vcpu)
{
    if (vcpu >= vt->gic->nr_vcpus || !vt->asserted[vcpu])
        return false;
    vt->asserted[vcpu] = false;
    vmm_vgic_set_irq(vt->gic, vcpu, vt->intid, false);
    vt->ack(vt->ctx, vcpu);
    return true;
}

bool vmm_vtimer_eoi(struct vmm_vtimer *vt, unsigned vcpu, unsigned intid)
{
    if (intid != vt->intid)
        return false;
    return vtimer_release(vt, vcpu);
}

void vmm_vtimer_reset(struct vmm_vtimer *vt, unsigned vcpu)
{
    vtimer_release(vt, vcpu);
}
