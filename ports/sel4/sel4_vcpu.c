/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU threads: vCPU n is a TCB (sel4_rt_vcpu_tcb(n)) bound to a VCPU
 * object (sel4_rt_vcpu_obj(n)), both given by the runtime (sel4_rt.h); its
 * faults reach sel4_vmm_fault() with vcpu = n.
 */
#include <stdbool.h>
#include <stdint.h>
#include "sel4_rt.h"
#include "sel4_priv.h"
#include "sel4_vcpu.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"

/* VMPIDR_EL2 bit 31 is RES1 (D17.2.168). */
#define SEL4_MPIDR_RES1 (1ull << 31)

static int vcpu_reg_write(unsigned vcpu, seL4_Word reg, uint64_t value);

#define SEL4_REGS_WORDS (sizeof(seL4_UserContext) / sizeof(seL4_Word))

int sel4_regs_read_n(unsigned vcpu, seL4_UserContext *regs, unsigned n)
{
    seL4_Error err = seL4_TCB_ReadRegisters(sel4_rt_vcpu_tcb(vcpu), seL4_False, 0, n, regs);

    if (err != seL4_NoError) {
        vmm_err("vCPU %u: seL4_TCB_ReadRegisters failed (%d)", vcpu, (int)err);
        return -1;
    }
    return 0;
}

int sel4_regs_read(unsigned vcpu, seL4_UserContext *regs)
{
    return sel4_regs_read_n(vcpu, regs, SEL4_REGS_WORDS);
}

static int regs_write(unsigned vcpu, seL4_UserContext *regs, bool resume, unsigned n)
{
    seL4_Error err = seL4_TCB_WriteRegisters(sel4_rt_vcpu_tcb(vcpu),
                                             resume ? seL4_True : seL4_False, 0, n, regs);

    if (err != seL4_NoError) {
        vmm_err("vCPU %u: seL4_TCB_WriteRegisters failed (%d)", vcpu, (int)err);
        return -1;
    }
    return 0;
}

int sel4_regs_write(unsigned vcpu, seL4_UserContext *regs, bool resume)
{
    return regs_write(vcpu, regs, resume, SEL4_REGS_WORDS);
}

int sel4_regs_write_n(unsigned vcpu, seL4_UserContext *regs, unsigned n)
{
    return regs_write(vcpu, regs, false, n);
}

unsigned sel4_regs_words_x(unsigned n)
{
    seL4_UserContext r;
    seL4_Word *x = sel4_regs_x(&r, n);

    return x == NULL ? 1u : (unsigned)(((uintptr_t)x - (uintptr_t)&r) / sizeof(seL4_Word)) + 1u;
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
        vcpu_reg_write(i, seL4_VCPUReg_VMPIDR_EL2, SEL4_MPIDR_RES1 | vmm_arm64_vcpu_mpidr(i));
}

int sel4_vcpu_boot(struct sel4_vmm *s, unsigned vcpu, uint64_t pc, uint64_t x0)
{
    seL4_UserContext regs = {0};

    if (vcpu >= s->cfg->nr_vcpus)
        return -1;
    /* A vCPU that ran before keeps its EL1 system registers: put back the
     * ones that decide how the kernel's first instructions run. */
    if (vcpu_reg_write(vcpu, seL4_VCPUReg_SCTLR, VMM_ARM64_SCTLR_EL1_RESET) < 0 ||
        vcpu_reg_write(vcpu, seL4_VCPUReg_CNTV_CTL, 0) < 0)
        return -1;
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
    seL4_Error err;

    if (vcpu >= s->cfg->nr_vcpus)
        return;
    err = seL4_TCB_Suspend(sel4_rt_vcpu_tcb(vcpu));
    if (err != seL4_NoError)
        vmm_err("vCPU %u: seL4_TCB_Suspend failed (%d)", vcpu, (int)err);
    s->running[vcpu] = false;
    sel4_idle_forget(s, vcpu);
}

/* ------------------------------------------------- registers for emulation */
static int vcpu_reg_read(unsigned vcpu, seL4_Word reg, uint64_t *value)
{
    seL4_ARM_VCPU_ReadRegs_t r = seL4_ARM_VCPU_ReadRegs(sel4_rt_vcpu_obj(vcpu), reg);

    if (r.error != seL4_NoError) {
        vmm_err("vCPU %u: seL4_ARM_VCPU_ReadRegs(%lu) failed (%d)", vcpu, (unsigned long)reg,
                r.error);
        return -VMM_EIO;
    }
    *value = r.value;
    return 0;
}

static int vcpu_reg_write(unsigned vcpu, seL4_Word reg, uint64_t value)
{
    seL4_Error err = seL4_ARM_VCPU_WriteRegs(sel4_rt_vcpu_obj(vcpu), reg, value);

    if (err != seL4_NoError) {
        vmm_err("vCPU %u: seL4_ARM_VCPU_WriteRegs(%lu) failed (%d)", vcpu, (unsigned long)reg,
                (int)err);
        return -VMM_EIO;
    }
    return 0;
}

/* The user context field of @reg, or NULL for a VCPU object register. */
static seL4_Word *emul_ctx_reg(struct sel4_emul_regs *e, enum vmm_a64_reg reg)
{
    if (reg <= VMM_A64_X0 + 30)
        return sel4_regs_x(&e->regs, (unsigned)reg);
    switch (reg) {
    case VMM_A64_SP_EL0:
        return &e->regs.sp;
    case VMM_A64_PC:
        return &e->regs.pc;
    case VMM_A64_PSTATE:
        return &e->regs.spsr;
    default:
        return NULL;
    }
}

static int emul_vcpu_reg(enum vmm_a64_reg reg, seL4_Word *field)
{
    switch (reg) {
    case VMM_A64_SP_EL1:
        *field = seL4_VCPUReg_SP_EL1;
        return 0;
    case VMM_A64_SCTLR_EL1:
        *field = seL4_VCPUReg_SCTLR;
        return 0;
    case VMM_A64_TCR_EL1:
        *field = seL4_VCPUReg_TCR;
        return 0;
    case VMM_A64_TTBR0_EL1:
        *field = seL4_VCPUReg_TTBR0;
        return 0;
    case VMM_A64_TTBR1_EL1:
        *field = seL4_VCPUReg_TTBR1;
        return 0;
    default:
        return -VMM_EINVAL;
    }
}

static int emul_read(void *ctx, enum vmm_a64_reg reg, uint64_t *value)
{
    struct sel4_emul_regs *e = ctx;
    seL4_Word *w = emul_ctx_reg(e, reg), field;

    if (w != NULL) {
        *value = *w;
        return 0;
    }
    if (emul_vcpu_reg(reg, &field) < 0)
        return -VMM_EINVAL;
    return vcpu_reg_read(e->vcpu, field, value);
}

static int emul_write(void *ctx, enum vmm_a64_reg reg, uint64_t value)
{
    struct sel4_emul_regs *e = ctx;
    seL4_Word *w = emul_ctx_reg(e, reg), field;

    if (reg == VMM_A64_PSTATE)
        return -VMM_EINVAL;
    if (w != NULL) {
        *w = value;
        return 0;
    }
    if (reg != VMM_A64_SP_EL1 || emul_vcpu_reg(reg, &field) < 0)
        return -VMM_EINVAL;
    return vcpu_reg_write(e->vcpu, field, value);
}

const struct vmm_a64_regs_ops sel4_emul_regs_ops = {.read = emul_read, .write = emul_write};

/* ------------------------------------------------------ exception injection */
int sel4_vcpu_inject(unsigned vcpu, seL4_UserContext *regs, struct vmm_a64_exc_in *in)
{
    struct vmm_a64_exc_out out;

    in->pc = regs->pc;
    in->pstate = regs->spsr;
    if (vcpu_reg_read(vcpu, seL4_VCPUReg_VBAR, &in->vbar) < 0)
        return -1;
    if (vmm_a64_exception(in, &out) < 0) {
        vmm_err("vCPU %u: cannot inject an exception with PSTATE 0x%llx (not AArch64 EL0/EL1)",
                vcpu, (unsigned long long)in->pstate);
        return -1;
    }
    if (vcpu_reg_write(vcpu, seL4_VCPUReg_ELR_EL1, out.elr_el1) < 0 ||
        vcpu_reg_write(vcpu, seL4_VCPUReg_SPSR_EL1, out.spsr_el1) < 0 ||
        vcpu_reg_write(vcpu, seL4_VCPUReg_ESR, out.esr_el1) < 0 ||
        vcpu_reg_write(vcpu, seL4_VCPUReg_FAR, out.far_el1) < 0)
        return -1;
    regs->pc = out.pc;
    regs->spsr = out.pstate;
    return sel4_regs_write(vcpu, regs, false);
}
