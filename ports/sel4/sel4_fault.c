/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What seL4 leaves to the VMM, as faults of a vCPU thread:
 *   VMFault            stage-2 data abort: MMIO, decoded from the ESR (FSR)
 *   UnknownSyscall     HVC: SMCCC / PSCI, or a Xen hypercall (hvc #0xEA1)
 *   VCPUFault          ESR of a trap: SMC (SMCCC / PSCI), WFI/WFE (sel4_idle.c), sysregs
 *   VGICMaintenance    the guest EOIed a list register
 *   VPPIEvent          the virtual timer fired
 * The fault's PC is the trapping instruction in every case (seL4 reports the
 * HVC itself too: traps.S subtracts 4 from ELR), so emulating one means
 * writing back pc + 4 before the reply resumes the thread.
 *
 * A trap the VMM cannot emulate never stops the VM: the guest gets what a
 * real CPU would give it -- an undefined-instruction exception (unknown
 * exception class, an undecodable system-register trap) or a synchronous
 * external abort (an MMIO access that cannot be emulated, an instruction
 * fetch outside RAM) -- and each kind is logged once (sel4_vcpu_inject).
 */
#include <stdbool.h>
#include <stdint.h>
#include "sel4_rt.h"
#include "sel4_priv.h"
#include "sel4_vcpu.h"
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/aarch64_trap.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/xen.h"

#define SEL4_INSN_LEN 4u

/* Resume after the trapping instruction, with @regs (already read) updated. */
static bool fault_advance(unsigned vcpu, seL4_UserContext *regs, unsigned len)
{
    regs->pc += len;
    return sel4_regs_write(vcpu, regs, false) == 0;
}

/* Give the guest @kind instead of emulating; false (do not resume) only
 * when even that is impossible, and then the VM is stopped. */
static bool fault_inject(struct sel4_vmm *s, unsigned vcpu, seL4_UserContext *regs,
                         struct vmm_a64_exc_in *in)
{
    if (sel4_vcpu_inject(vcpu, regs, in) == 0)
        return true;
    sel4_machine_halt(s, "an exception could not be injected into the guest");
    return false;
}

/* An access without a valid syndrome (ISV=0): decode the instruction from
 * guest memory and emulate it; what cannot be emulated gets an external
 * data abort. */
static bool fault_nisv(struct sel4_vmm *s, unsigned vcpu, uint64_t ipa, uint64_t esr)
{
    struct sel4_emul_regs e = {.vcpu = vcpu};
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_DABT,
                                .write = (esr & (1u << 6)) != 0, /* ISS.WnR */
                                .il32 = (esr & VMM_ESR_IL) != 0};
    struct vmm_a64_mmio op;
    int ret;

    if (sel4_regs_read(vcpu, &e.regs) < 0)
        return false;
    ret = vmm_a64_mmio_prepare(&s->machine.vm.mem, &sel4_emul_regs_ops, &e, ipa, vcpu, &op);
    if (ret == 0) {
        vmm_a64_mmio_run(&s->machine.vm, &op);
        ret = vmm_a64_mmio_complete(&sel4_emul_regs_ops, &e, &op);
        if (ret == 0)
            return sel4_regs_write(vcpu, &e.regs, false) == 0;
    }
    if (ret == -VMM_EIO)
        return false; /* seL4 refused a register access: logged */
    if (vmm_ratelimit_first(&s->rl_abort))
        vmm_warn("vCPU %u: MMIO access at IPA 0x%llx without syndrome (instruction 0x%08x at "
                 "pc 0x%llx) cannot be emulated (%s): injecting an external data abort "
                 "(further ones counted)",
                 vcpu, (unsigned long long)ipa, (unsigned)op.insn, (unsigned long long)e.regs.pc,
                 vmm_strerror(ret));
    return fault_inject(s, vcpu, &e.regs, &in); /* prepare changed no register */
}

static bool fault_mmio(struct sel4_vmm *s, unsigned vcpu)
{
    uint64_t ipa = seL4_GetMR(seL4_VMFault_Addr);
    uint64_t esr = seL4_GetMR(seL4_VMFault_FSR);
    bool prefetch = seL4_GetMR(seL4_VMFault_PrefetchFault) != 0;
    struct vmm_a64_exc_in in = {
        .kind = VMM_A64_EXC_DABT, .write = (esr & (1u << 6)) != 0, .il32 = (esr & VMM_ESR_IL) != 0};
    seL4_UserContext regs;
    struct vmm_access acc;
    struct vmm_dabt d;
    seL4_Word *xt;
    uint64_t value;
    unsigned nregs;
    int ret;

    if (prefetch) {
        if (sel4_regs_read(vcpu, &regs) < 0)
            return false;
        if (vmm_ratelimit_first(&s->rl_abort))
            vmm_warn("vCPU %u: instruction fetch from IPA 0x%llx, which is not guest RAM: "
                     "injecting an external instruction abort (further ones counted)",
                     vcpu, (unsigned long long)ipa);
        in = (struct vmm_a64_exc_in){
            .kind = VMM_A64_EXC_IABT, .far = regs.pc, .far_valid = true, .il32 = true};
        return fault_inject(s, vcpu, &regs, &in);
    }
    ret = vmm_esr_decode_dabt(esr, &d);
    if (ret == -VMM_ENOTSUP)
        return fault_nisv(s, vcpu, ipa, esr);
    if (ret < 0) {
        if (sel4_regs_read(vcpu, &regs) < 0)
            return false;
        if (vmm_ratelimit_first(&s->rl_abort))
            vmm_warn("vCPU %u: data abort at IPA 0x%llx (ESR 0x%llx) cannot be emulated (%s): "
                     "injecting an external data abort (further ones counted)",
                     vcpu, (unsigned long long)ipa, (unsigned long long)esr, vmm_strerror(ret));
        return fault_inject(s, vcpu, &regs, &in);
    }
    if (sel4_passthru_in(s, ipa) && ret != VMM_DABT_CACHE_MAINT) {
        /* Not mapped: another VM owns the device. EL1 reads the placeholder
         * (zero) through the bus below; EL0 gets an external abort. */
        if (sel4_regs_read(vcpu, &regs) < 0)
            return false;
        if (sel4_passthru_abort(s, ipa, regs.spsr)) {
            if (vmm_ratelimit_first(&s->rl_abort))
                vmm_warn("vCPU %u: access at IPA 0x%llx: the passed-through device there "
                         "belongs to another VM now: injecting an external data abort (further "
                         "ones counted)",
                         vcpu, (unsigned long long)ipa);
            return fault_inject(s, vcpu, &regs, &in);
        }
    }
    /* The common exit (a guest console byte is one): copy only pc up to xt
     * in and out, and only pc back after a write. */
    nregs = ret == VMM_DABT_CACHE_MAINT ? 1u : sel4_regs_words_x(d.rt);
    if (sel4_regs_read_n(vcpu, &regs, nregs) < 0)
        return false;
    regs.pc += d.insn_len;
    if (ret == VMM_DABT_CACHE_MAINT)
        return sel4_regs_write_n(vcpu, &regs, 1) == 0;
    xt = sel4_regs_x(&regs, d.rt);
    vmm_dabt_to_access(&d, ipa, vcpu, xt != NULL ? *xt : 0, &acc);
    vmm_vm_mmio(&s->machine.vm, &acc); /* errors are logged by the bus and read as 0 */
    if (!acc.write && vmm_dabt_read_result(&d, acc.value, &value) && xt != NULL) {
        *xt = value;
        return sel4_regs_write_n(vcpu, &regs, nregs) == 0;
    }
    return sel4_regs_write_n(vcpu, &regs, 1) == 0;
}

/* An undefined-instruction exception for a trap stdvmm does not handle. */
static bool fault_undef(struct sel4_vmm *s, unsigned vcpu, uint64_t esr, const char *what)
{
    struct vmm_a64_exc_in in = {.kind = VMM_A64_EXC_UNDEF, .il32 = (esr & VMM_ESR_IL) != 0};
    seL4_UserContext regs;

    if (vmm_ratelimit_first(&s->rl_undef))
        vmm_warn("vCPU %u: %s (ESR 0x%llx, EC 0x%x): injecting an undefined-instruction "
                 "exception (further ones counted)",
                 vcpu, what, (unsigned long long)esr, vmm_esr_ec(esr));
    if (sel4_regs_read(vcpu, &regs) < 0)
        return false;
    return fault_inject(s, vcpu, &regs, &in);
}

/* Carry out what PSCI asked for; false when the caller must not resume. */
static bool fault_psci_action(struct sel4_vmm *s, unsigned vcpu, const struct vmm_psci_result *res)
{
    switch (res->action) {
    case VMM_PSCI_ACT_NONE:
        return true;
    case VMM_PSCI_ACT_SUSPEND: /* a WFI (the PC is past the call already) */
        return !sel4_idle_wfi(s, vcpu, VMM_WFI, 0);
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

/* An SMCCC call (HVC or SMC) with the function id in x0; @regs read. */
static bool fault_smccc_regs(struct sel4_vmm *s, unsigned vcpu, seL4_UserContext regs)
{
    struct vmm_psci_result res;

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

static bool fault_smccc(struct sel4_vmm *s, unsigned vcpu)
{
    seL4_UserContext regs;

    if (sel4_regs_read(vcpu, &regs) < 0)
        return false;
    return fault_smccc_regs(s, vcpu, regs);
}

/* A guest HVC. seL4 reports it without its immediate (UnknownSyscall), so
 * when the VM has the Xen console the instruction is fetched: `hvc #0xEA1`
 * is a Xen hypercall (number in x16, arguments x0..x4, result in x0,
 * include/stdvmm/xen.h), anything else SMCCC as before. */
static bool fault_hvc(struct sel4_vmm *s, unsigned vcpu)
{
    struct vmm_xen *xen = vmm_machine_xen(&s->machine);
    struct sel4_emul_regs e = {.vcpu = vcpu};
    struct vmm_a64_s1 s1 = {0};
    struct vmm_xen_call c;
    enum vmm_xen_action act;
    uint32_t insn;

    if (xen == NULL)
        return fault_smccc(s, vcpu);
    if (sel4_regs_read(vcpu, &e.regs) < 0)
        return false;
    if (vmm_a64_read_s1(&sel4_emul_regs_ops, &e, &s1) < 0)
        return false; /* seL4 refused a register read: logged */
    if (vmm_a64_fetch(&s->machine.vm.mem, &s1, e.regs.pc, &insn) < 0 || !vmm_xen_is_hvc(insn))
        return fault_smccc_regs(s, vcpu, e.regs);
    c = (struct vmm_xen_call){.nr = e.regs.x16,
                              .arg = {e.regs.x0, e.regs.x1, e.regs.x2, e.regs.x3, e.regs.x4}};
    e.regs.x0 = vmm_xen_hypercall(xen, vcpu, &s1, &c, &act);
    switch (act) {
    case VMM_XEN_ACT_POWEROFF:
        sel4_machine_halt(s, "the guest powered off (Xen SCHEDOP_shutdown)");
        return false;
    case VMM_XEN_ACT_REBOOT:
        sel4_machine_reset(s);
        return false;
    case VMM_XEN_ACT_BLOCK:
        if (!fault_advance(vcpu, &e.regs, SEL4_INSN_LEN))
            return false;
        return !sel4_idle_wfi(s, vcpu, VMM_WFI, 0);
    default:
        return fault_advance(vcpu, &e.regs, SEL4_INSN_LEN);
    }
}

static bool fault_sysreg(struct sel4_vmm *s, unsigned vcpu, uint64_t esr)
{
    struct vmm_sysreg_trap t;
    seL4_UserContext regs;
    seL4_Word *xt;

    if (vmm_esr_decode_sysreg(esr, &t) < 0)
        return fault_undef(s, vcpu, esr, "undecodable system-register trap");
    if (sel4_regs_read(vcpu, &regs) < 0)
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

/* WFI/WFE: past the instruction, then either resume or, when sel4_idle.c
 * lets the vCPU sleep, no reply (it resumes the vCPU later). */
static bool fault_wfx(struct sel4_vmm *s, unsigned vcpu, uint64_t esr)
{
    struct vmm_wfx_trap t;
    seL4_UserContext regs;
    seL4_Word *rt;

    if (vmm_esr_decode_wfx(esr, &t) < 0 || sel4_regs_read(vcpu, &regs) < 0)
        return false;
    rt = t.reg_valid ? sel4_regs_x(&regs, t.rt) : NULL; /* WFIT's deadline */
    if (!fault_advance(vcpu, &regs, t.insn_len))
        return false;
    return !sel4_idle_wfi(s, vcpu, t.kind, rt != NULL ? *rt : 0);
}

static bool fault_vcpu(struct sel4_vmm *s, unsigned vcpu)
{
    uint64_t esr = seL4_GetMR(seL4_VCPUFault_HSR);

    switch (vmm_esr_classify(esr)) {
    case VMM_TRAP_SMC:
        return fault_smccc(s, vcpu);
    case VMM_TRAP_HVC:
        return fault_hvc(s, vcpu);
    case VMM_TRAP_WFX:
        return fault_wfx(s, vcpu, esr);
    case VMM_TRAP_SYSREG:
        return fault_sysreg(s, vcpu, esr);
    default:
        return fault_undef(s, vcpu, esr, "trap of an exception class stdvmm does not handle");
    }
}

bool sel4_fault_handle(struct sel4_vmm *s, unsigned vcpu, unsigned label)
{
    seL4_Word idx;

    switch (label) {
    case seL4_Fault_VMFault:
        return fault_mmio(s, vcpu);
    case seL4_Fault_UnknownSyscall:
        return fault_hvc(s, vcpu);
    case seL4_Fault_VCPUFault:
        return fault_vcpu(s, vcpu);
    case seL4_Fault_VGICMaintenance:
        idx = seL4_GetMR(seL4_VGICMaintenance_IDX);
        if (idx < SEL4_VMM_NR_LRS)
            vmm_vgic_lr_eoi(&s->gic, vcpu, (unsigned)idx);
        else
            vmm_vgic_flush(&s->gic, vcpu);
        return true;
    case seL4_Fault_VPPIEvent:
        vmm_vtimer_vppi_event(&s->vtimer, vcpu, (unsigned)seL4_GetMR(seL4_VPPIEvent_IRQ));
        return true;
    default:
        vmm_err("vCPU %u: unexpected fault label %u", vcpu, label);
        sel4_machine_halt(s, "unexpected fault");
        return false;
    }
}
