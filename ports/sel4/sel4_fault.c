/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What seL4 leaves to the VMM, as faults of a vCPU thread:
 *   VMFault            stage-2 data abort: MMIO, decoded from the ESR (FSR)
 *   UnknownSyscall     HVC: SMCCC / PSCI
 *   VCPUFault          ESR of a trap: SMC (SMCCC / PSCI), WFI/WFE, sysregs
 *   VGICMaintenance    the guest EOIed a list register
 *   VPPIEvent          the virtual timer fired
 * The fault's PC is the trapping instruction in every case (seL4 reports the
 * HVC itself too: traps.S subtracts 4 from ELR), so emulating one means
 * writing back pc + 4 before the reply resumes the thread.
 */
#include <stdbool.h>
#include <stdint.h>
#include <microkit.h>
#include "sel4_priv.h"
#include "sel4_vcpu.h"
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

#define SEL4_INSN_LEN 4u

/* Resume after the trapping instruction, with @regs (already read) updated. */
static bool fault_advance(unsigned vcpu, seL4_UserContext *regs, unsigned len)
{
    regs->pc += len;
    return sel4_regs_write(vcpu, regs, false) == 0;
}

static bool fault_mmio(struct sel4_vmm *s, unsigned vcpu)
{
    uint64_t ipa = microkit_mr_get(seL4_VMFault_Addr);
    uint64_t esr = microkit_mr_get(seL4_VMFault_FSR);
    bool prefetch = microkit_mr_get(seL4_VMFault_PrefetchFault) != 0;
    seL4_UserContext regs;
    struct vmm_access acc;
    struct vmm_dabt d;
    seL4_Word *xt;
    uint64_t value;
    int ret;

    if (prefetch) {
        vmm_err("vCPU %u: instruction fetch from 0x%llx, which is not guest RAM", vcpu,
                (unsigned long long)ipa);
        sel4_machine_halt(s, "guest executed outside RAM");
        return false;
    }
    ret = vmm_esr_decode_dabt(esr, &d);
    if (ret < 0) {
        vmm_err("vCPU %u: data abort at IPA 0x%llx (ESR 0x%llx) cannot be emulated: %s", vcpu,
                (unsigned long long)ipa, (unsigned long long)esr,
                ret == -VMM_ENOTSUP ? "no instruction syndrome (ISV=0: load/store pair, "
                                      "writeback or SIMD access to a device)"
                                    : vmm_strerror(ret));
        sel4_machine_halt(s, "unemulable MMIO access");
        return false;
    }
    if (sel4_regs_read(vcpu, &regs) < 0)
        return false;
    if (ret == VMM_DABT_CACHE_MAINT)
        return fault_advance(vcpu, &regs, d.insn_len);
    xt = sel4_regs_x(&regs, d.rt);
    vmm_dabt_to_access(&d, ipa, vcpu, xt != NULL ? *xt : 0, &acc);
    vmm_vm_mmio(&s->vm, &acc); /* errors are logged by the bus and read as 0 */
    if (!acc.write && vmm_dabt_read_result(&d, acc.value, &value) && xt != NULL)
        *xt = value;
    return fault_advance(vcpu, &regs, d.insn_len);
}

/* Carry out what PSCI asked for; false when the caller must not resume. */
static bool fault_psci_action(struct sel4_vmm *s, unsigned vcpu, const struct vmm_psci_result *res)
{
    switch (res->action) {
    case VMM_PSCI_ACT_NONE:
    case VMM_PSCI_ACT_SUSPEND: /* a WFI: resume at once */
        return true;
    case VMM_PSCI_ACT_CPU_ON:
        if (sel4_vcpu_boot(s, res->target, res->entry, res->context_id) == 0)
            vmm_psci_cpu_started(&s->psci, res->target);
        else
            vmm_err("PSCI CPU_ON: vCPU %u could not be started", res->target);
        return true;
    case VMM_PSCI_ACT_CPU_OFF:
        sel4_vcpu_stop(s, vcpu);
        return false;
    case VMM_PSCI_ACT_SYSTEM_OFF:
        sel4_machine_halt(s, "the guest powered off (PSCI SYSTEM_OFF)");
        return false;
    case VMM_PSCI_ACT_SYSTEM_RESET:
        sel4_machine_reset(s);
        return false; /* vCPU 0 was restarted at the kernel entry */
    }
    return true;
}

/* An SMCCC call (HVC or SMC) with the function id in x0. */
static bool fault_smccc(struct sel4_vmm *s, unsigned vcpu)
{
    struct vmm_psci_result res;
    seL4_UserContext regs;

    if (sel4_regs_read(vcpu, &regs) < 0)
        return false;
    if (vmm_psci_call(&s->psci, vcpu, regs.x0, regs.x1, regs.x2, regs.x3, &res) < 0)
        return false;
    regs.x0 = res.x0;
    if (res.action == VMM_PSCI_ACT_CPU_OFF || res.action == VMM_PSCI_ACT_SYSTEM_OFF ||
        res.action == VMM_PSCI_ACT_SYSTEM_RESET)
        return fault_psci_action(s, vcpu, &res);
    if (!fault_advance(vcpu, &regs, SEL4_INSN_LEN))
        return false;
    return fault_psci_action(s, vcpu, &res);
}

static bool fault_sysreg(struct sel4_vmm *s, unsigned vcpu, uint64_t esr)
{
    struct vmm_sysreg_trap t;
    seL4_UserContext regs;
    seL4_Word *xt;

    if (vmm_esr_decode_sysreg(esr, &t) < 0 || sel4_regs_read(vcpu, &regs) < 0)
        return false;
    xt = sel4_regs_x(&regs, t.rt);
    if (!t.read && (t.reg == VMM_SYSREG_ICC_SGI1R_EL1 || t.reg == VMM_SYSREG_ICC_ASGI1R_EL1 ||
                    t.reg == VMM_SYSREG_ICC_SGI0R_EL1)) {
        if (s->gic.version == VMM_VGIC_V3)
            vmm_vgic_v3_sgi_write(&s->gic, vcpu, xt != NULL ? *xt : 0);
    } else {
        if (vmm_ratelimit_first(&s->rl_sysreg))
            vmm_warn("vCPU %u: %s of system register op0=%u op1=%u CRn=%u CRm=%u op2=%u is "
                     "not emulated (reads as 0)",
                     vcpu, t.read ? "read" : "write", t.op0, t.op1, t.crn, t.crm, t.op2);
        if (t.read && xt != NULL)
            *xt = 0;
    }
    return fault_advance(vcpu, &regs, t.insn_len);
}

static bool fault_vcpu(struct sel4_vmm *s, unsigned vcpu)
{
    uint64_t esr = microkit_mr_get(seL4_VCPUFault_HSR);
    seL4_UserContext regs;

    switch (vmm_esr_classify(esr)) {
    case VMM_TRAP_SMC:
    case VMM_TRAP_HVC:
        return fault_smccc(s, vcpu);
    case VMM_TRAP_WFX:
        /* No idle blocking: seL4 keeps a descheduled vCPU's timer off, so
         * the vCPU just goes on (it polls, at its priority). */
        if (sel4_regs_read(vcpu, &regs) < 0)
            return false;
        return fault_advance(vcpu, &regs, vmm_esr_insn_len(esr));
    case VMM_TRAP_SYSREG:
        return fault_sysreg(s, vcpu, esr);
    default:
        vmm_err("vCPU %u: unhandled trap, ESR 0x%llx (EC 0x%x)", vcpu, (unsigned long long)esr,
                vmm_esr_ec(esr));
        sel4_machine_halt(s, "unhandled vCPU trap");
        return false;
    }
}

bool sel4_fault_handle(struct sel4_vmm *s, unsigned vcpu, unsigned label)
{
    seL4_Word idx;

    switch (label) {
    case seL4_Fault_VMFault:
        return fault_mmio(s, vcpu);
    case seL4_Fault_UnknownSyscall:
        return fault_smccc(s, vcpu);
    case seL4_Fault_VCPUFault:
        return fault_vcpu(s, vcpu);
    case seL4_Fault_VGICMaintenance:
        idx = microkit_mr_get(seL4_VGICMaintenance_IDX);
        if (idx < SEL4_VMM_NR_LRS)
            vmm_vgic_lr_eoi(&s->gic, vcpu, (unsigned)idx);
        else
            vmm_vgic_flush(&s->gic, vcpu);
        return true;
    case seL4_Fault_VPPIEvent:
        vmm_vtimer_vppi_event(&s->vtimer, vcpu, (unsigned)microkit_mr_get(seL4_VPPIEvent_IRQ));
        return true;
    default:
        vmm_err("vCPU %u: unexpected fault label %u", vcpu, label);
        sel4_machine_halt(s, "unexpected fault");
        return false;
    }
}
