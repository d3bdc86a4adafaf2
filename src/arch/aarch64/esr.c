/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ESR_EL2 decode (Arm ARM D17.2.37). Every field comes from a syndrome the
 * guest can steer, so decode never asserts: odd values become error codes.
 */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

/* Data abort ISS fields (D17.2.37, "ISS encoding for an exception from a Data Abort"). */
#define DABT_ISV (1u << 24)
#define DABT_SAS_SHIFT 22
#define DABT_SSE (1u << 21)
#define DABT_SRT_SHIFT 16
#define DABT_SF (1u << 15)
#define DABT_AR (1u << 14)
#define DABT_FNV (1u << 10)
#define DABT_CM (1u << 8)
#define DABT_S1PTW (1u << 7)
#define DABT_WNR (1u << 6)
#define DABT_DFSC_MASK 0x3fu

/* WFx ISS fields (D17.2.37, "ISS encoding for an exception from a WF* instruction"). */
#define WFX_RV (1u << 14)
#define WFX_RN_SHIFT 5
#define WFX_TI_MASK 0x3u

unsigned vmm_esr_ec(uint64_t esr)
{
    return (unsigned)(esr >> VMM_ESR_EC_SHIFT) & 0x3fu;
}

uint32_t vmm_esr_iss(uint64_t esr)
{
    return (uint32_t)esr & VMM_ESR_ISS_MASK;
}

unsigned vmm_esr_insn_len(uint64_t esr)
{
    return (esr & VMM_ESR_IL) ? 4 : 2;
}

enum vmm_trap_kind vmm_esr_classify(uint64_t esr)
{
    switch (vmm_esr_ec(esr)) {
    case VMM_ESR_EC_DABT_LOW:
        return VMM_TRAP_DABT;
    case VMM_ESR_EC_SYSREG:
        return VMM_TRAP_SYSREG;
    case VMM_ESR_EC_WFX:
        return VMM_TRAP_WFX;
    case VMM_ESR_EC_HVC64:
        return VMM_TRAP_HVC;
    case VMM_ESR_EC_SMC64:
        return VMM_TRAP_SMC;
    default:
        return VMM_TRAP_OTHER;
    }
}

unsigned vmm_esr_pc_advance(uint64_t esr)
{
    unsigned ec = vmm_esr_ec(esr);

    /* HVC's preferred return address is the next instruction (D1.10.1). */
    if (ec == VMM_ESR_EC_HVC64 || ec == VMM_ESR_EC_HVC32)
        return 0;
    return vmm_esr_insn_len(esr);
}

uint64_t vmm_esr_fault_ipa(uint64_t hpfar, uint64_t far)
{
    /* HPFAR_EL2.FIPA, bits [43:4], holds IPA[51:12] (D17.2.68). */
    uint64_t fipa = (hpfar >> 4) & ((UINT64_C(1) << 40) - 1);

    return (fipa << 12) | (far & 0xfffu);
}

int vmm_esr_decode_dabt(uint64_t esr, struct vmm_dabt *out)
{
    uint32_t iss = vmm_esr_iss(esr);

    if (vmm_esr_ec(esr) != VMM_ESR_EC_DABT_LOW)
        return -VMM_EINVAL;
    *out = (struct vmm_dabt){0};
    out->insn_len = (uint8_t)vmm_esr_insn_len(esr);
    out->dfsc = (uint8_t)(iss & DABT_DFSC_MASK);
    out->far_invalid = (iss & DABT_FNV) != 0;
    if (iss & DABT_S1PTW)
        return -VMM_EFAULT; /* the guest's page tables live in MMIO space: not emulable */
    if (iss & DABT_CM)
        return VMM_DABT_CACHE_MAINT;
    if (!(iss & DABT_ISV)) {
        /* Debug level: the guest can repeat this at will; the port counts
         * and reports it per VM. */
        vmm_dbg("esr: data abort without instruction syndrome (ESR 0x%llx): "
                "load/store pair, writeback or SIMD access to MMIO is not emulated",
                (unsigned long long)esr);
        return -VMM_ENOTSUP;
    }
    out->size = (uint8_t)(1u << ((iss >> DABT_SAS_SHIFT) & 3u));
    out->sign_extend = (iss & DABT_SSE) != 0;
    out->rt = (uint8_t)((iss >> DABT_SRT_SHIFT) & 0x1fu);
    out->sf = (iss & DABT_SF) != 0;
    out->acqrel = (iss & DABT_AR) != 0;
    out->write = (iss & DABT_WNR) != 0;
    return 0;
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

void vmm_dabt_to_access(const struct vmm_dabt *d, uint64_t ipa, unsigned vcpu, uint64_t rt_value,
                        struct vmm_access *acc)
{
    acc->addr = ipa;
    acc->size = d->size;
    acc->write = d->write;
    acc->vcpu = vcpu;
    acc->value = 0;
    if (d->write && d->rt != 31)
        acc->value = rt_value & size_mask(d->size);
}

bool vmm_dabt_read_result(const struct vmm_dabt *d, uint64_t dev_value, uint64_t *xt)
{
    unsigned bits = d->size * 8u;
    uint64_t v = dev_value & size_mask(d->size);

    if (d->rt == 31)
        return false;
    if (d->sign_extend && bits < 64 && (v >> (bits - 1)) & 1u)
        v |= ~size_mask(d->size);
    if (!d->sf)
        v &= UINT32_MAX; /* a write to Wt clears the upper half of Xt */
    *xt = v;
    return true;
}

uint16_t vmm_esr_call_imm(uint64_t esr)
{
    return (uint16_t)(vmm_esr_iss(esr) & 0xffffu);
}

int vmm_esr_decode_wfx(uint64_t esr, struct vmm_wfx_trap *out)
{
    uint32_t iss = vmm_esr_iss(esr);

    if (vmm_esr_ec(esr) != VMM_ESR_EC_WFX)
        return -VMM_EINVAL;
    out->kind = (enum vmm_wfx_kind)(iss & WFX_TI_MASK);
    out->reg_valid = (iss & WFX_RV) != 0;
    out->rt = (uint8_t)((iss >> WFX_RN_SHIFT) & 0x1fu);
    out->insn_len = (uint8_t)vmm_esr_insn_len(esr);
    return 0;
}
