/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Trapped MSR/MRS decode (EC 0x18; Arm ARM D17.2.37, "ISS encoding for an
 * exception from MSR, MRS, or System instruction execution in AArch64 state").
 */
#include <stdint.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"

/* ISS field positions for EC 0x18. */
#define SYS_OP0_SHIFT 20
#define SYS_OP2_SHIFT 17
#define SYS_OP1_SHIFT 14
#define SYS_CRN_SHIFT 10
#define SYS_RT_SHIFT 5
#define SYS_CRM_SHIFT 1
#define SYS_DIR_READ 1u

int vmm_esr_decode_sysreg(uint64_t esr, struct vmm_sysreg_trap *out)
{
    uint32_t iss = vmm_esr_iss(esr);

    if (vmm_esr_ec(esr) != VMM_ESR_EC_SYSREG)
        return -VMM_EINVAL;
    out->op0 = (uint8_t)((iss >> SYS_OP0_SHIFT) & 0x3u);
    out->op2 = (uint8_t)((iss >> SYS_OP2_SHIFT) & 0x7u);
    out->op1 = (uint8_t)((iss >> SYS_OP1_SHIFT) & 0x7u);
    out->crn = (uint8_t)((iss >> SYS_CRN_SHIFT) & 0xfu);
    out->rt = (uint8_t)((iss >> SYS_RT_SHIFT) & 0x1fu);
    out->crm = (uint8_t)((iss >> SYS_CRM_SHIFT) & 0xfu);
    out->read = (iss & SYS_DIR_READ) != 0;
    out->reg = VMM_SYSREG(out->op0, out->op1, out->crn, out->crm, out->op2);
    out->insn_len = (uint8_t)vmm_esr_insn_len(esr);
    return 0;
}
