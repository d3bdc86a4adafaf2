/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMCCC 1.1 (DEN0028) and PSCI 1.1 (DEN0022) dispatcher. Every argument
 * comes from guest registers: unknown ids, bad targets and bad addresses all
 * end in a PSCI error code in x0, never in a VMM failure.
 */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/psci.h"

#define PSCI_VERSION_1_1 ((1u << 16) | 1u)
#define SMCCC_VERSION_1_1 ((1u << 16) | 1u)
#define MIGRATE_INFO_NOT_NEEDED 2 /* no Trusted OS that needs migrating (5.1.7) */
#define FID_SMC64 (1u << 30)      /* SMC64 calling convention (DEN0028 2.5) */
/* MPIDR_EL1 affinity fields: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
#define MPIDR_AFF_MASK UINT64_C(0xff00ffffff)

int vmm_psci_init(struct vmm_psci *psci, unsigned nr_vcpus, const struct vmm_mem *mem)
{
    if (nr_vcpus == 0 || nr_vcpus > VMM_MAX_VCPUS)
        return -VMM_EINVAL;
    psci->nr_vcpus = nr_vcpus;
    psci->mem = mem;
    for (unsigned i = 0; i < VMM_MAX_VCPUS; i++)
        psci->power[i] = VMM_PSCI_OFF;
    psci->power[0] = VMM_PSCI_ON;
    return 0;
}

int vmm_psci_mpidr_to_vcpu(const struct vmm_psci *psci, uint64_t mpidr)
{
    uint64_t aff = mpidr & MPIDR_AFF_MASK;

    for (unsigned i = 0; i < psci->nr_vcpus; i++)
        if (vmm_arm64_vcpu_mpidr(i) == aff)
            return (int)i;
    return -1;
}

enum vmm_psci_power vmm_psci_power_state(const struct vmm_psci *psci, unsigned vcpu)
{
    if (vcpu >= psci->nr_vcpus)
        return VMM_PSCI_OFF;
    return (enum vmm_psci_power)psci->power[vcpu];
}

void vmm_psci_cpu_started(struct vmm_psci *psci, unsigned vcpu)
{
    if (vcpu < psci->nr_vcpus)
        psci->power[vcpu] = VMM_PSCI_ON;
}

static uint64_t ret_code(int code)
{
    return (uint64_t)(int64_t)code;
}

static bool psci_supported(uint32_t fid)
{
    switch (fid) {
    case VMM_PSCI_VERSION:
    case VMM_PSCI_CPU_SUSPEND:
    case VMM_PSCI_CPU_SUSPEND64:
    case VMM_PSCI_CPU_OFF:
    case VMM_PSCI_CPU_ON:
    case VMM_PSCI_CPU_ON64:
    case VMM_PSCI_AFFINITY_INFO:
    case VMM_PSCI_AFFINITY_INFO64:
    case VMM_PSCI_MIGRATE_INFO_TYPE:
    case VMM_PSCI_SYSTEM_OFF:
    case VMM_PSCI_SYSTEM_RESET:
    case VMM_PSCI_FEATURES:
    case VMM_SMCCC_VERSION:
        return true;
    default:
        return false;
    }
}

/* CPU_ON (5.1.4): the target starts at @entry with x0 = @ctx. */
static void psci_cpu_on(struct vmm_psci *psci, uint64_t target, uint64_t entry, uint64_t ctx,
                        struct vmm_psci_result *res)
{
    int t = vmm_psci_mpidr_to_vcpu(psci, target);

    if (t < 0) {
        res->x0 = ret_code(VMM_PSCI_RET_INVALID_PARAMETERS);
        return;
    }
    if (psci->power[t] == VMM_PSCI_ON) {
        res->x0 = ret_code(VMM_PSCI_RET_ALREADY_ON);
        return;
    }
    if (psci->power[t] == VMM_PSCI_ON_PENDING) {
        res->x0 = ret_code(VMM_PSCI_RET_ON_PENDING);
        return;
    }
    if (psci->mem != NULL && !vmm_mem_range_ok(psci->mem, entry, 4)) {
        res->x0 = ret_code(VMM_PSCI_RET_INVALID_ADDRESS);
        return;
    }
    psci->power[t] = VMM_PSCI_ON_PENDING;
    res->x0 = ret_code(VMM_PSCI_RET_SUCCESS);
    res->action = VMM_PSCI_ACT_CPU_ON;
    res->target = (unsigned)t;
    res->entry = entry;
    res->context_id = ctx;
}

/* AFFINITY_INFO (5.1.5): ON if any vCPU in the affinity instance is on,
 * ON_PENDING if any is pending, else OFF. */
static int psci_affinity_info(const struct vmm_psci *psci, uint64_t target, uint64_t level)
{
    static const uint64_t keep[4] = {MPIDR_AFF_MASK, UINT64_C(0xff00ffff00), UINT64_C(0xff00ff0000),
                                     UINT64_C(0xff00000000)};
    bool found = false, pending = false;

    if (level > 3)
        return VMM_PSCI_RET_INVALID_PARAMETERS;
    target &= keep[level];
    for (unsigned i = 0; i < psci->nr_vcpus; i++) {
        if ((vmm_arm64_vcpu_mpidr(i) & keep[level]) != target)
            continue;
        found = true;
        if (psci->power[i] == VMM_PSCI_ON)
            return VMM_PSCI_ON;
        if (psci->power[i] == VMM_PSCI_ON_PENDING)
            pending = true;
    }
    if (!found)
        return VMM_PSCI_RET_INVALID_PARAMETERS;
    return pending ? VMM_PSCI_ON_PENDING : VMM_PSCI_OFF;
}

static int smccc_arch_features(uint32_t fid)
{
    /* Only the discovery calls themselves; no Spectre workaround is offered. */
    if (fid == VMM_SMCCC_VERSION || fid == VMM_SMCCC_ARCH_FEATURES)
        return VMM_PSCI_RET_SUCCESS;
    return VMM_PSCI_RET_NOT_SUPPORTED;
}

int vmm_psci_call(struct vmm_psci *psci, unsigned vcpu, uint64_t fid64, uint64_t x1, uint64_t x2,
                  uint64_t x3, struct vmm_psci_result *res)
{
    uint32_t fid = (uint32_t)fid64;

    if (vcpu >= psci->nr_vcpus)
        return -VMM_EINVAL;
    *res = (struct vmm_psci_result){.x0 = ret_code(VMM_PSCI_RET_SUCCESS)};
    if (!(fid & FID_SMC64)) {
        x1 &= UINT32_MAX;
        x2 &= UINT32_MAX;
        x3 &= UINT32_MAX;
    }
    /* A vCPU making calls is running, whatever the port told us. */
    psci->power[vcpu] = VMM_PSCI_ON;

    switch (fid) {
    case VMM_SMCCC_VERSION:
        res->x0 = SMCCC_VERSION_1_1;
        break;
    case VMM_SMCCC_ARCH_FEATURES:
        res->x0 = ret_code(smccc_arch_features((uint32_t)x1));
        break;
    case VMM_PSCI_VERSION:
        res->x0 = PSCI_VERSION_1_1;
        break;
    case VMM_PSCI_FEATURES:
        /* 0 for every supported call; CPU_SUSPEND's flags are 0 too: original
         * power_state format, platform-coordinated mode (5.1.14). */
        res->x0 = ret_code(psci_supported((uint32_t)x1) ? VMM_PSCI_RET_SUCCESS
                                                        : VMM_PSCI_RET_NOT_SUPPORTED);
        break;
    case VMM_PSCI_CPU_SUSPEND:
    case VMM_PSCI_CPU_SUSPEND64:
        /* Every power state behaves as standby: wait for an interrupt. */
        res->action = VMM_PSCI_ACT_SUSPEND;
        break;
    case VMM_PSCI_CPU_OFF:
        psci->power[vcpu] = VMM_PSCI_OFF;
        res->action = VMM_PSCI_ACT_CPU_OFF;
        break;
    case VMM_PSCI_CPU_ON:
    case VMM_PSCI_CPU_ON64:
        psci_cpu_on(psci, x1, x2, x3, res);
        break;
    case VMM_PSCI_AFFINITY_INFO:
    case VMM_PSCI_AFFINITY_INFO64:
        res->x0 = ret_code(psci_affinity_info(psci, x1, x2));
        break;
    case VMM_PSCI_MIGRATE_INFO_TYPE:
        res->x0 = MIGRATE_INFO_NOT_NEEDED;
        break;
    case VMM_PSCI_SYSTEM_OFF:
        res->action = VMM_PSCI_ACT_SYSTEM_OFF;
        break;
    case VMM_PSCI_SYSTEM_RESET:
        res->action = VMM_PSCI_ACT_SYSTEM_RESET;
        break;
    default:
        vmm_dbg("psci: vCPU %u called unsupported function 0x%08x", vcpu, (unsigned)fid);
        res->x0 = ret_code(VMM_PSCI_RET_NOT_SUPPORTED);
        break;
    }
    return 0;
}
