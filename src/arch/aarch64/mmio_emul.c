/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Emulation of an MMIO access that trapped without an instruction syndrome
 * (see include/stdvmm/aarch64_emul.h): fetch, decode, address check, bus
 * accesses, register writeback. Three phases so a port can hold its device
 * lock only around the bus.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/bytes.h"
#include "stdvmm/compiler.h"
#include "stdvmm/err.h"
#include "stdvmm/vm.h"

#define PSTATE_SP (UINT64_C(1) << 0) /* EL1: SP_EL1 rather than SP_EL0 */
#define PSTATE_EL_SHIFT 2
#define PSTATE_NRW (UINT64_C(1) << 4) /* AArch32 */
#define SCTLR_E0E (UINT64_C(1) << 24)
#define SCTLR_EE (UINT64_C(1) << 25)
#define PAGE_4K 4096u

static int reg_read(const struct vmm_a64_regs_ops *ops, void *ctx, enum vmm_a64_reg r, uint64_t *v)
{
    return ops->read(ctx, r, v) < 0 ? -VMM_EIO : 0;
}

/* Xn for a data or index register: 31 is the zero register. */
static int xreg_or_zero(const struct vmm_a64_regs_ops *ops, void *ctx, unsigned n, uint64_t *v)
{
    if (n == 31) {
        *v = 0;
        return 0;
    }
    return reg_read(ops, ctx, (enum vmm_a64_reg)(VMM_A64_X0 + n), v);
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

/* Rm extended and shifted (C6.2 "ExtendReg"). */
VMM_WRAPS static uint64_t extend_reg(uint64_t rm, unsigned option, unsigned shift)
{
    switch (option) {
    case 2: /* UXTW */
        rm &= UINT32_MAX;
        break;
    case 6: /* SXTW */
        rm = (uint64_t)(int64_t)(int32_t)(uint32_t)rm;
        break;
    default: /* LSL (UXTX), SXTX */
        break;
    }
    return rm << shift;
}

int vmm_a64_read_s1(const struct vmm_a64_regs_ops *ops, void *ctx, struct vmm_a64_s1 *s1)
{
    int ret = reg_read(ops, ctx, VMM_A64_SCTLR_EL1, &s1->sctlr);

    if (ret == 0 && (s1->sctlr & 1u)) { /* the MMU is on: the walk needs the rest */
        ret = reg_read(ops, ctx, VMM_A64_TCR_EL1, &s1->tcr);
        if (ret == 0)
            ret = reg_read(ops, ctx, VMM_A64_TTBR0_EL1, &s1->ttbr0);
        if (ret == 0)
            ret = reg_read(ops, ctx, VMM_A64_TTBR1_EL1, &s1->ttbr1);
    }
    return ret;
}

int vmm_a64_fetch(const struct vmm_mem *mem, const struct vmm_a64_s1 *s1, uint64_t pc,
                  uint32_t *insn)
{
    uint64_t ipa;
    uint8_t b[4];

    if (pc & 3u)
        return -VMM_EFAULT;
    if (vmm_a64_s1_translate(mem, s1, pc, false, &ipa) < 0 ||
        vmm_guest_read(mem, ipa, b, sizeof(b)) < 0)
        return -VMM_EFAULT;
    *insn = vmm_get_le32(b);
    return 0;
}

/* Base register value and, for writeback, the register to write back. */
static int read_base(const struct vmm_a64_regs_ops *ops, void *ctx, uint64_t pstate,
                     struct vmm_a64_mmio *op, uint64_t *base)
{
    unsigned rn = op->ld.rn;

    if (rn != 31)
        op->base_reg = (uint8_t)(VMM_A64_X0 + rn);
    else if (((pstate >> PSTATE_EL_SHIFT) & 3u) == 1 && (pstate & PSTATE_SP))
        op->base_reg = VMM_A64_SP_EL1;
    else
        op->base_reg = VMM_A64_SP_EL0;
    return reg_read(ops, ctx, (enum vmm_a64_reg)op->base_reg, base);
}

/* The data address: base, plus the offset unless post-indexed. Addresses
 * are modulo 2^64, as on the CPU (a negative offset wraps). */
VMM_WRAPS static int address(const struct vmm_a64_regs_ops *ops, void *ctx, uint64_t pstate,
                             struct vmm_a64_mmio *op)
{
    uint64_t base, offset, rm;
    int ret = read_base(ops, ctx, pstate, op, &base);

    if (ret < 0)
        return ret;
    if (op->ld.reg_offset) {
        ret = xreg_or_zero(ops, ctx, op->ld.rm, &rm);
        if (ret < 0)
            return ret;
        offset = extend_reg(rm, op->ld.option, op->ld.shift);
    } else {
        offset = (uint64_t)op->ld.imm;
    }
    op->va = op->ld.idx == VMM_A64_IDX_POST ? base : base + offset;
    op->base_after = base + offset;
    return 0;
}

static int fill_accesses(const struct vmm_a64_regs_ops *ops, void *ctx, uint64_t ipa, unsigned vcpu,
                         struct vmm_a64_mmio *op)
{
    const uint8_t rts[2] = {op->ld.rt, op->ld.rt2};

    op->nr = op->ld.count;
    for (unsigned i = 0; i < op->nr; i++) {
        struct vmm_access *acc = &op->acc[i];
        uint64_t v = 0;

        *acc = (struct vmm_access){0};
        acc->addr = ipa + (uint64_t)i * op->ld.size;
        acc->size = op->ld.size;
        acc->write = !op->ld.load;
        acc->vcpu = vcpu;
        if (acc->write) {
            int ret = xreg_or_zero(ops, ctx, rts[i], &v);
            if (ret < 0)
                return ret;
            acc->value = v & size_mask(op->ld.size);
        }
    }
    return 0;
}

int vmm_a64_mmio_prepare(const struct vmm_mem *mem, const struct vmm_a64_regs_ops *ops, void *ctx,
                         uint64_t fault_ipa, unsigned vcpu, struct vmm_a64_mmio *op)
{
    struct vmm_a64_s1 s1 = {0};
    uint64_t pstate, ipa, len;
    unsigned el;
    int ret;

    memset(op, 0, sizeof(*op));
    ret = reg_read(ops, ctx, VMM_A64_PSTATE, &pstate);
    if (ret < 0)
        return ret;
    el = (unsigned)(pstate >> PSTATE_EL_SHIFT) & 3u;
    if ((pstate & PSTATE_NRW) || el > 1)
        return -VMM_ENOTSUP; /* AArch32, or not a guest EL */
    ret = vmm_a64_read_s1(ops, ctx, &s1);
    if (ret == 0)
        ret = reg_read(ops, ctx, VMM_A64_PC, &op->pc);
    if (ret < 0)
        return ret;
    if (s1.sctlr & (el == 0 ? SCTLR_E0E : SCTLR_EE))
        return -VMM_ENOTSUP; /* big-endian data */
    ret = vmm_a64_fetch(mem, &s1, op->pc, &op->insn);
    if (ret == 0)
        ret = vmm_a64_decode_ldst(op->insn, &op->ld);
    if (ret == 0)
        ret = address(ops, ctx, pstate, op);
    if (ret < 0)
        return ret;
    /* One 4 KiB page (so one stage-1 page and one device), and the trap's
     * address inside it: the guest cannot steer the access elsewhere. */
    len = (uint64_t)op->ld.size * op->ld.count;
    if ((op->va & (PAGE_4K - 1)) + len > PAGE_4K)
        return -VMM_ENOTSUP;
    ret = vmm_a64_s1_translate(mem, &s1, op->va, true, &ipa);
    if (ret < 0)
        return ret;
    if (fault_ipa < ipa || fault_ipa - ipa >= len)
        return -VMM_EFAULT;
    return fill_accesses(ops, ctx, ipa, vcpu, op);
}

void vmm_a64_mmio_run(struct vmm_vm *vm, struct vmm_a64_mmio *op)
{
    for (unsigned i = 0; i < op->nr && i < 2; i++) {
        if (vmm_vm_mmio(vm, &op->acc[i]) < 0 && !op->acc[i].write)
            op->acc[i].value = 0; /* the bus logged it; a failed read gives 0 */
    }
}

/* The register value of loaded element @v (C6.2 LDRSB etc.: SignExtend /
 * ZeroExtend to the register width). */
static uint64_t load_value(const struct vmm_a64_ldst *ld, uint64_t v)
{
    unsigned bits = ld->size * 8u;

    v &= size_mask(ld->size);
    if (ld->sign_extend && bits < 64 && ((v >> (bits - 1)) & 1u))
        v |= ~size_mask(ld->size);
    if (!ld->dst64)
        v &= UINT32_MAX;
    return v;
}

int vmm_a64_mmio_complete(const struct vmm_a64_regs_ops *ops, void *ctx,
                          const struct vmm_a64_mmio *op)
{
    const uint8_t rts[2] = {op->ld.rt, op->ld.rt2};
    int ret = 0;

    if (op->ld.load)
        for (unsigned i = 0; i < op->nr && i < 2 && ret == 0; i++)
            if (rts[i] != 31)
                ret = ops->write(ctx, (enum vmm_a64_reg)(VMM_A64_X0 + rts[i]),
                                 load_value(&op->ld, op->acc[i].value));
    if (ret == 0 && op->ld.idx != VMM_A64_IDX_OFFSET)
        ret = ops->write(ctx, (enum vmm_a64_reg)op->base_reg, op->base_after);
    if (ret == 0)
        ret = ops->write(ctx, VMM_A64_PC, op->pc + 4);
    return ret < 0 ? -VMM_EIO : 0;
}
