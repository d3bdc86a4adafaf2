/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Guest debugging for the GDB stub (port.h, docs/API.md "GDB"):
 * KVM_SET_GUEST_DEBUG (software breakpoints: the guest's BRK traps to us;
 * hardware breakpoints in DBGBCR/DBGBVR; single step), the stop a
 * KVM_EXIT_DEBUG makes, registers through ONE_REG and guest memory through
 * the vCPU's stage-1 tables. Everything but the exit handler runs on the
 * stub's thread with the vCPUs parked (a vCPU ioctl would otherwise wait
 * for KVM_RUN to return).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kvm_priv.h"
#include "stdvmm/aarch64_emul.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/mem.h"

#define CORE_REG(field)                                                                            \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))
/* DBGBCR: enabled, EL1 and EL0 (PMC = 0b11), all four bytes (BAS = 0xf). */
#define KVM_DBGBCR_EXEC 0x1e7u
#define KVM_DBG_PAGE 4096u

int vmm_kvm_debug_open(struct vmm_kvm *kvm)
{
    int n = ioctl(kvm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_DEBUG_HW_BPS);

    kvm->max_hw_bps = n > 0 ? (unsigned)n : 0;
    if (kvm->max_hw_bps > KVM_ARM_MAX_DBG_REGS)
        kvm->max_hw_bps = KVM_ARM_MAX_DBG_REGS;
    kvm->debug_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (kvm->debug_fd < 0) {
        vmm_err("--gdb: eventfd: %s", strerror(errno));
        return -VMM_EIO;
    }
    return 0;
}

int vmm_kvm_debug_set(struct vmm_kvm *kvm, bool enable, const uint64_t *hw, unsigned n,
                      int step_vcpu)
{
    struct kvm_guest_debug dbg;

    if (n > kvm->max_hw_bps)
        return -VMM_EINVAL;
    atomic_store(&kvm->debugging, enable);
    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        memset(&dbg, 0, sizeof(dbg));
        if (enable) {
            dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW;
            if ((int)i == step_vcpu)
                dbg.control |= KVM_GUESTDBG_SINGLESTEP;
            for (unsigned b = 0; b < n; b++) {
                dbg.arch.dbg_bcr[b] = KVM_DBGBCR_EXEC;
                dbg.arch.dbg_bvr[b] = hw[b] & ~3ull;
            }
        }
        if (ioctl(kvm->vcpus[i].fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
            vmm_err("vCPU %u: KVM_SET_GUEST_DEBUG: %s", i, strerror(errno));
            return kvm_err(errno);
        }
    }
    return 0;
}

int kvm_vcpu_debug_exit(struct vmm_kvm_vcpu *vcpu)
{
    struct vmm_kvm *kvm = vcpu->kvm;
    int none = -1;
    uint64_t one = 1;
    ssize_t n;

    if (!atomic_load(&kvm->debugging))
        return -1;
    /* Stop everyone (the stub waits for them with vmm_kvm_pause) and park
     * this vCPU: the loop checks kvm_vcpu_must_park() next. */
    pthread_mutex_lock(&kvm->pause_lock); /* `started` and the threads stay as they are */
    atomic_fetch_and(&kvm->run_mask, ~(1u << vcpu->index));
    atomic_store(&kvm->pause_requested, true);
    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        struct vmm_kvm_vcpu *other = &kvm->vcpus[i];

        if (other == vcpu || !other->started)
            continue;
        ((volatile struct kvm_run *)other->run)->immediate_exit = 1;
        pthread_kill(other->thread, KVM_KICK_SIGNAL);
    }
    pthread_mutex_unlock(&kvm->pause_lock);
    atomic_compare_exchange_strong(&kvm->debug_stop, &none, (int)vcpu->index);
    n = write(kvm->debug_fd, &one, sizeof(one));
    (void)n;
    return 0;
}

void vmm_kvm_debug_resume(struct vmm_kvm *kvm, int step_vcpu)
{
    if (step_vcpu < 0) {
        vmm_kvm_resume(kvm);
        return;
    }
    pthread_mutex_lock(&kvm->pause_lock);
    atomic_store(&kvm->run_mask, 1u << (unsigned)step_vcpu);
    pthread_cond_broadcast(&kvm->pause_cond);
    pthread_mutex_unlock(&kvm->pause_lock);
}

int vmm_kvm_debug_take_stop(struct vmm_kvm *kvm)
{
    uint64_t count;

    if (read(kvm->debug_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return -1;
    return atomic_exchange(&kvm->debug_stop, -1);
}

static int kvm_reg(struct vmm_kvm *kvm, unsigned vcpu, uint64_t id, uint64_t *value, bool set)
{
    struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};

    if (vcpu >= kvm->nr_vcpus)
        return -VMM_EINVAL;
    if (ioctl(kvm->vcpus[vcpu].fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &r) < 0)
        return kvm_err(errno);
    return 0;
}

/* SP_EL1 when PSTATE.M is EL1h (0b0101), else SP_EL0. */
static uint64_t kvm_sp_id(uint64_t pstate)
{
    return (pstate & 0xf) == 0x5 ? CORE_REG(sp_el1) : CORE_REG(regs.sp);
}

int vmm_kvm_get_core_regs(struct vmm_kvm *kvm, unsigned vcpu, uint64_t x[31], uint64_t *sp,
                          uint64_t *pc, uint64_t *pstate)
{
    int ret = kvm_reg(kvm, vcpu, CORE_REG(regs.pstate), pstate, false);

    for (unsigned i = 0; ret == 0 && i < 31; i++)
        ret = kvm_reg(kvm, vcpu, CORE_REG(regs.regs[0]) + 2 * i, &x[i], false);
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, kvm_sp_id(*pstate), sp, false);
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, CORE_REG(regs.pc), pc, false);
    return ret;
}

int vmm_kvm_set_core_regs(struct vmm_kvm *kvm, unsigned vcpu, const uint64_t x[31], uint64_t sp,
                          uint64_t pc, uint64_t pstate)
{
    uint64_t v;
    int ret = 0;

    for (unsigned i = 0; ret == 0 && i < 31; i++) {
        v = x[i];
        ret = kvm_reg(kvm, vcpu, CORE_REG(regs.regs[0]) + 2 * i, &v, true);
    }
    v = sp;
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, kvm_sp_id(pstate), &v, true);
    v = pc;
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, CORE_REG(regs.pc), &v, true);
    v = pstate;
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, CORE_REG(regs.pstate), &v, true);
    return ret;
}

static int kvm_s1(struct vmm_kvm *kvm, unsigned vcpu, struct vmm_a64_s1 *s1)
{
    int ret = kvm_reg(kvm, vcpu, ARM64_SYS_REG(3, 0, 1, 0, 0), &s1->sctlr, false);

    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, ARM64_SYS_REG(3, 0, 2, 0, 2), &s1->tcr, false);
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, ARM64_SYS_REG(3, 0, 2, 0, 0), &s1->ttbr0, false);
    if (ret == 0)
        ret = kvm_reg(kvm, vcpu, ARM64_SYS_REG(3, 0, 2, 0, 1), &s1->ttbr1, false);
    return ret;
}

/* Page by page: each page of a virtual range is translated on its own. */
int vmm_kvm_guest_rw(struct vmm_kvm *kvm, unsigned vcpu, bool phys, uint64_t addr, uint8_t *buf,
                     size_t len, bool write)
{
    struct vmm_a64_s1 s1;
    int ret;

    if (len > 0 && addr + (len - 1) < addr)
        return -VMM_EFAULT; /* past the top of the address space */
    ret = phys ? 0 : kvm_s1(kvm, vcpu, &s1);

    while (ret == 0 && len > 0) {
        size_t chunk = KVM_DBG_PAGE - (size_t)(addr & (KVM_DBG_PAGE - 1));
        uint64_t ipa = addr;
        uint8_t *hva;

        if (chunk > len)
            chunk = len;
        if (!phys)
            ret = vmm_a64_s1_translate(&kvm->vm->mem, &s1, addr, true, &ipa);
        if (ret < 0)
            break;
        hva = vmm_gpa_to_hva(&kvm->vm->mem, ipa, chunk);
        if (hva == NULL)
            return -VMM_EFAULT;
        if (write) {
            memcpy(hva, buf, chunk);
            __builtin___clear_cache((char *)hva, (char *)hva + chunk); /* a BRK must be seen */
        } else {
            memcpy(buf, hva, chunk);
        }
        buf += chunk;
        len -= chunk;
        addr += chunk;
    }
    return ret;
}
