/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU threads. Microkit gives each <vcpu id="n"/> of the VM a TCB
 * (BASE_VM_TCB_CAP + n) bound to a VCPU object (BASE_VCPU_CAP + n); its
 * faults reach fault() with child = n.
 */
#include <stdbool.h>
#include <stdint.h>
#include <microkit.h>
#include "sel4_priv.h"
#include "sel4_vcpu.h"
#include "stdvmm/log.h"

/* VMPIDR_EL2 bit 31 is RES1 (D17.2.168). */
#define SEL4_MPIDR_RES1 (1ull << 31)

int sel4_regs_read(unsigned vcpu, seL4_UserContext *regs)
{
    seL4_Error err = seL4_TCB_ReadRegisters(BASE_VM_TCB_CAP + vcpu, seL4_False, 0,
                                            sizeof(*regs) / sizeof(seL4_Word), regs);

    if (err != seL4_NoError) {
        vmm_err("vCPU %u: seL4_TCB_ReadRegisters failed (%d)", vcpu, (int)err);
        return -1;
    }
    return 0;
}

int sel4_regs_write(unsigned vcpu, seL4_UserContext *regs, bool resume)
{
    seL4_Error err =
        seL4_TCB_WriteRegisters(BASE_VM_TCB_CAP + vcpu, resume ? seL4_True : seL4_False, 0,
                                sizeof(*regs) / sizeof(seL4_Word), regs);

    if (err != seL4_NoError) {
        vmm_err("vCPU %u: seL4_TCB_WriteRegisters failed (%d)", vcpu, (int)err);
        return -1;
    }
    return 0;
}

/* seL4_UserContext does not keep x0..x30 in order. */
seL4_Word *sel4_regs_x(seL4_UserContext *r, unsigned n)
{
    seL4_Word *const map[31] = {
        &r->x0,  &r->x1,  &r->x2,  &r->x3,  &r->x4,  &r->x5,  &r->x6,  &r->x7,
        &r->x8,  &r->x9,  &r->x10, &r->x11, &r->x12, &r->x13, &r->x14, &r->x15,
        &r->x16, &r->x17, &r->x18, &r->x19, &r->x20, &r->x21, &r->x22, &r->x23,
        &r->x24, &r->x25, &r->x26, &r->x27, &r->x28, &r->x29, &r->x30,
    };

    return n < 31 ? map[n] : NULL;
}

void sel4_vcpu_init_ids(struct sel4_vmm *s)
{
    for (unsigned i = 0; i < s->cfg->nr_vcpus; i++)
        microkit_vcpu_arm_write_reg(i, seL4_VCPUReg_VMPIDR_EL2,
                                    SEL4_MPIDR_RES1 | vmm_arm64_vcpu_mpidr(i));
}

int sel4_vcpu_boot(struct sel4_vmm *s, unsigned vcpu, uint64_t pc, uint64_t x0)
{
    seL4_UserContext regs = {0};

    if (vcpu >= s->cfg->nr_vcpus)
        return -1;
    /* A vCPU that ran before keeps its EL1 system registers: put back the
     * ones that decide how the kernel's first instructions run. */
    microkit_vcpu_arm_write_reg(vcpu, seL4_VCPUReg_SCTLR, VMM_ARM64_SCTLR_EL1_RESET);
    microkit_vcpu_arm_write_reg(vcpu, seL4_VCPUReg_CNTV_CTL, 0);
    regs.pc = pc;
    regs.x0 = x0;
    regs.spsr = VMM_ARM64_BOOT_PSTATE;
    if (sel4_regs_write(vcpu, &regs, true) < 0)
        return -1;
    s->running[vcpu] = true;
    return 0;
}

void sel4_vcpu_stop(struct sel4_vmm *s, unsigned vcpu)
{
    if (vcpu >= s->cfg->nr_vcpus)
        return;
    microkit_vcpu_stop(vcpu);
    s->running[vcpu] = false;
}
