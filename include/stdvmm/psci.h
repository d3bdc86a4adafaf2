/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMCCC (Arm DEN0028, SMC Calling Convention 1.1) and PSCI 1.1 (Arm DEN0022)
 * for guests whose hypervisor leaves them to the VMM (seL4). The port
 * decodes an HVC/SMC trap (aarch64_trap.h), passes w0..x3 here, writes
 * result.x0 back into the caller's x0 and carries out result.action.
 *
 * vCPU n has the MPIDR affinity vmm_arm64_vcpu_mpidr(n) (arm64.h), the one
 * source the device tree's cpu@ reg and GICR_TYPER use too.
 */
#ifndef STDVMM_PSCI_H
#define STDVMM_PSCI_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/mem.h"
#include "stdvmm/vcpu.h"

/* Function identifiers (DEN0022 5.1, DEN0028 7). Bit 30 set: SMC64 variant. */
#define VMM_SMCCC_VERSION 0x80000000u
#define VMM_SMCCC_ARCH_FEATURES 0x80000001u
#define VMM_SMCCC_ARCH_WORKAROUND_1 0x80008000u
#define VMM_PSCI_VERSION 0x84000000u
#define VMM_PSCI_CPU_SUSPEND 0x84000001u
#define VMM_PSCI_CPU_SUSPEND64 0xc4000001u
#define VMM_PSCI_CPU_OFF 0x84000002u
#define VMM_PSCI_CPU_ON 0x84000003u
#define VMM_PSCI_CPU_ON64 0xc4000003u
#define VMM_PSCI_AFFINITY_INFO 0x84000004u
#define VMM_PSCI_AFFINITY_INFO64 0xc4000004u
#define VMM_PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define VMM_PSCI_SYSTEM_OFF 0x84000008u
#define VMM_PSCI_SYSTEM_RESET 0x84000009u
#define VMM_PSCI_FEATURES 0x8400000au

/* Return codes (DEN0022 5.2.2; SMCCC NOT_SUPPORTED is the same -1). */
#define VMM_PSCI_RET_SUCCESS 0
#define VMM_PSCI_RET_NOT_SUPPORTED (-1)
#define VMM_PSCI_RET_INVALID_PARAMETERS (-2)
#define VMM_PSCI_RET_DENIED (-3)
#define VMM_PSCI_RET_ALREADY_ON (-4)
#define VMM_PSCI_RET_ON_PENDING (-5)
#define VMM_PSCI_RET_INTERNAL_FAILURE (-6)
#define VMM_PSCI_RET_INVALID_ADDRESS (-9)

/* AFFINITY_INFO results, also the per-vCPU power state. */
enum vmm_psci_power {
    VMM_PSCI_ON = 0,
    VMM_PSCI_OFF = 1,
    VMM_PSCI_ON_PENDING = 2,
};

/* What the port must do after writing result.x0 back. */
enum vmm_psci_action {
    VMM_PSCI_ACT_NONE = 0,     /* resume the caller */
    VMM_PSCI_ACT_CPU_ON,       /* start result.target at result.entry, x0 = context_id,
                                  MMU/caches off, EL1h, DAIF masked; then resume caller */
    VMM_PSCI_ACT_CPU_OFF,      /* stop the caller (no return to it) */
    VMM_PSCI_ACT_SUSPEND,      /* CPU_SUSPEND: treat as WFI, then resume the caller */
    VMM_PSCI_ACT_SYSTEM_OFF,   /* power the VM off */
    VMM_PSCI_ACT_SYSTEM_RESET, /* reset the VM (and call vmm_psci_init again) */
};

struct vmm_psci_result {
    uint64_t x0; /* value for the caller's x0 (a PSCI/SMCCC return code, sign-extended) */
    enum vmm_psci_action action;
    unsigned target;     /* ACT_CPU_ON: vCPU index to start */
    uint64_t entry;      /* ACT_CPU_ON: its first PC */
    uint64_t context_id; /* ACT_CPU_ON: its x0 */
};

/* Per-VM PSCI state: the power state of each vCPU. */
struct vmm_psci {
    unsigned nr_vcpus;
    const struct vmm_mem *mem;    /* optional: CPU_ON entry points must be in RAM */
    uint8_t power[VMM_MAX_VCPUS]; /* enum vmm_psci_power */
};

/* Reset: vCPU 0 on, the others off. @mem may be NULL (entry points are then
 * not checked). -VMM_EINVAL for 0 or more than VMM_MAX_VCPUS vCPUs. */
int vmm_psci_init(struct vmm_psci *psci, unsigned nr_vcpus, const struct vmm_mem *mem);

/* vCPU index whose affinity is @mpidr (non-affinity bits ignored), or -1. */
int vmm_psci_mpidr_to_vcpu(const struct vmm_psci *psci, uint64_t mpidr);

/*
 * Handle one SMCCC call from @vcpu: @fid is w0 (upper bits of x0 ignored),
 * x1..x3 its arguments (upper halves ignored for SMC32 ids). Unknown ids
 * return NOT_SUPPORTED in result.x0. Returns 0, or -VMM_EINVAL when @vcpu
 * itself is out of range (a port bug, not a guest error).
 */
int vmm_psci_call(struct vmm_psci *psci, unsigned vcpu, uint64_t fid, uint64_t x1, uint64_t x2,
                  uint64_t x3, struct vmm_psci_result *result);

/* The port has started @vcpu after ACT_CPU_ON: ON_PENDING -> ON. */
void vmm_psci_cpu_started(struct vmm_psci *psci, unsigned vcpu);

/* Current power state of @vcpu (VMM_PSCI_OFF when out of range). */
enum vmm_psci_power vmm_psci_power_state(const struct vmm_psci *psci, unsigned vcpu);

#endif
