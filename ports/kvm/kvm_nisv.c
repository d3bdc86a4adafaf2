/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * KVM_EXIT_ARM_NISV: an access to an address with no memslot whose syndrome
 * KVM could not use (ISV=0: load/store pair, writeback...). The registers
 * are read with KVM_GET_ONE_REG, the instruction is decoded and emulated by
 * the shared AArch64 code (include/stdvmm/aarch64_emul.h), and the results
 * written back with KVM_SET_ONE_REG. What cannot be emulated gets the
 * external data abort KVM injects for us (KVM_SET_VCPU_EVENTS).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include "kvm_priv.h"
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/defer.h"

#define CORE_REG(field)                                                                            \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))

/* ONE_REG id of @reg (api.rst 4.68: core registers; EL1 system registers
 * by their op0/op1/CRn/CRm/op2 encoding). */
static uint64_t nisv_reg_id(enum vmm_a64_reg reg)
{
    if (reg <= VMM_A64_X0 + 30) /* core register ids count 32-bit words */
        return CORE_REG(regs.regs[0]) + 2 * (uint64_t)reg;
    switch (reg) {
    case VMM_A64_SP_EL0:
        return CORE_REG(regs.sp);
    case VMM_A64_SP_EL1:
        return CORE_REG(sp_el1);
    case VMM_A64_PC:
        return CORE_REG(regs.pc);
    case VMM_A64_PSTATE:
        return CORE_REG(regs.pstate);
    case VMM_A64_SCTLR_EL1:
        return ARM64_SYS_REG(3, 0, 1, 0, 0);
    case VMM_A64_TCR_EL1:
        return ARM64_SYS_REG(3, 0, 2, 0, 2);
    case VMM_A64_TTBR0_EL1:
        return ARM64_SYS_REG(3, 0, 2, 0, 0);
    case VMM_A64_TTBR1_EL1:
        return ARM64_SYS_REG(3, 0, 2, 0, 1);
    default:
        return 0;
    }
}

static int nisv_reg_read(void *ctx, enum vmm_a64_reg reg, uint64_t *value)
{
    struct vmm_kvm_vcpu *vcpu = ctx;
    struct kvm_one_reg r = {.id = nisv_reg_id(reg), .addr = (uint64_t)(uintptr_t)value};

    if (r.id == 0)
        return -VMM_EINVAL;
    if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &r) < 0) {
        vmm_err("vCPU %u: KVM_GET_ONE_REG 0x%llx: %s", vcpu->index, (unsigned long long)r.id,
                strerror(errno));
        return -VMM_EIO;
    }
    return 0;
}

static int nisv_reg_write(void *ctx, enum vmm_a64_reg reg, uint64_t value)
{
    struct vmm_kvm_vcpu *vcpu = ctx;
    struct kvm_one_reg r = {.id = nisv_reg_id(reg), .addr = (uint64_t)(uintptr_t)&value};

    if (r.id == 0 || reg > VMM_A64_PC)
        return -VMM_EINVAL;
    if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &r) < 0) {
        vmm_err("vCPU %u: KVM_SET_ONE_REG 0x%llx: %s", vcpu->index, (unsigned long long)r.id,
                strerror(errno));
        return -VMM_EIO;
    }
    return 0;
}

static const struct vmm_a64_regs_ops nisv_regs_ops = {.read = nisv_reg_read,
                                                      .write = nisv_reg_write};

int kvm_nisv_emulate(struct vmm_kvm_vcpu *vcpu, uint64_t fault_ipa, uint32_t *insn)
{
    struct vmm_kvm *kvm = vcpu->kvm;
    struct vmm_a64_mmio op;
    int ret;

    /* Guest RAM is mapped once before the vCPUs run: read it without the lock. */
    ret = vmm_a64_mmio_prepare(&kvm->vm->mem, &nisv_regs_ops, vcpu, fault_ipa, vcpu->index, &op);
    *insn = op.insn;
    if (ret < 0)
        return ret;
    vmm_posix_defer_open();
    pthread_mutex_lock(&kvm->lock);
    vmm_a64_mmio_run(kvm->vm, &op);
    pthread_mutex_unlock(&kvm->lock);
    vmm_posix_defer_run();
    return vmm_a64_mmio_complete(&nisv_regs_ops, vcpu, &op);
}
