/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Exception entry at EL1, computed for a port that has to inject an
 * exception by writing the guest's registers itself (seL4: ELR/SPSR/ESR/
 * FAR_EL1 through the VCPU object, PC and PSTATE through the TCB). KVM does
 * this in the kernel (KVM_SET_VCPU_EVENTS), so only the seL4 port uses it.
 */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"

#define PSTATE_SP (UINT64_C(1) << 0)
#define PSTATE_EL_SHIFT 2
#define PSTATE_NRW (UINT64_C(1) << 4)
#define PSTATE_PAN (UINT64_C(1) << 22)
#define PSTATE_EL1H_DAIF UINT64_C(0x3c5) /* M = EL1h, D A I F masked */

/* Vector offsets (D1.3.1) of the synchronous entry of each group. */
#define VEC_CUR_SP0 0x000u
#define VEC_CUR_SPX 0x200u
#define VEC_LOWER_A64 0x400u
#define VEC_LOWER_A32 0x600u

#define ISS_FNV (UINT64_C(1) << 10)
#define ISS_WNR (UINT64_C(1) << 6)
#define FSC_SYNC_EXTERNAL 0x10u /* not on a translation table walk */

int vmm_a64_exception(const struct vmm_a64_exc_in *in, struct vmm_a64_exc_out *out)
{
    unsigned el = (unsigned)(in->pstate >> PSTATE_EL_SHIFT) & 3u;
    bool aarch32 = (in->pstate & PSTATE_NRW) != 0;
    bool lower = el == 0;
    uint64_t offset, ec, iss = 0, il = in->il32 ? VMM_ESR_IL : 0;

    if (aarch32)
        el = 0; /* AArch32 M[3:0] is a mode; only User (EL0) is accepted below */
    if (el > 1 || (aarch32 && (in->pstate & 0xfu) != 0))
        return -VMM_ENOTSUP;
    if (lower)
        offset = aarch32 ? VEC_LOWER_A32 : VEC_LOWER_A64;
    else
        offset = (in->pstate & PSTATE_SP) ? VEC_CUR_SPX : VEC_CUR_SP0;

    switch (in->kind) {
    case VMM_A64_EXC_UNDEF:
        ec = VMM_ESR_EC_UNKNOWN;
        break;
    case VMM_A64_EXC_DABT:
        ec = lower ? VMM_ESR_EC_DABT_LOW : VMM_ESR_EC_DABT_LOW + 1;
        iss = FSC_SYNC_EXTERNAL | (in->write ? ISS_WNR : 0) | (in->far_valid ? 0 : ISS_FNV);
        break;
    case VMM_A64_EXC_IABT:
        ec = lower ? VMM_ESR_EC_IABT_LOW : VMM_ESR_EC_IABT_LOW + 1;
        iss = FSC_SYNC_EXTERNAL | (in->far_valid ? 0 : ISS_FNV);
        il = VMM_ESR_IL; /* RES1 for instruction aborts */
        break;
    default:
        return -VMM_EINVAL;
    }
    out->elr_el1 = in->pc;
    out->spsr_el1 = in->pstate;
    out->esr_el1 = (ec << VMM_ESR_EC_SHIFT) | il | iss;
    out->far_el1 = in->kind != VMM_A64_EXC_UNDEF && in->far_valid ? in->far : 0;
    out->pc = in->vbar + offset;
    /* PAN keeps its value (SCTLR_EL1.SPAN = 1 semantics; 0 where FEAT_PAN
     * is absent). */
    out->pstate = PSTATE_EL1H_DAIF | (in->pstate & PSTATE_PAN);
    return 0;
}
