/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPUs: creation with PSCI 0.2, the boot registers (booting.rst: x0 = DTB,
 * x1..x3 = 0, EL1h, DAIF masked) and the per-vCPU KVM_RUN loop.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "kvm_priv.h"
#include "stdvmm/arm64.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/defer.h"

/* ONE_REG id of a core register (api.rst 4.68, arm64 core registers). */
#define KVM_CORE_REG_ID(field)                                                                     \
    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))

static int kvm_vcpu_set_reg(struct vmm_kvm_vcpu *vcpu, uint64_t id, uint64_t value,
                            const char *name)
{
    struct kvm_one_reg reg = {.id = id, .addr = (uint64_t)(uintptr_t)&value};

    if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) < 0) {
        int err = errno;
        vmm_err("vCPU %u: KVM_SET_ONE_REG %s: %s", vcpu->index, name, strerror(err));
        return kvm_err(err);
    }
    return 0;
}

int kvm_err(int err)
{
    switch (err) {
    case VMM_EPERM:
    case VMM_ENOENT:
    case VMM_EIO:
    case VMM_E2BIG:
    case VMM_ENOEXEC:
    case VMM_EAGAIN:
    case VMM_ENOMEM:
    case VMM_EACCES:
    case VMM_EFAULT:
    case VMM_EBUSY:
    case VMM_EEXIST:
    case VMM_ENODEV:
    case VMM_EINVAL:
    case VMM_ENOSPC:
    case VMM_ERANGE:
    case VMM_ENOSYS:
    case VMM_ENOTSUP:
        return -err;
    default:
        return -VMM_EIO;
    }
}

int kvm_vcpu_create(struct vmm_kvm *kvm, unsigned index)
{
    struct vmm_kvm_vcpu *vcpu = &kvm->vcpus[index];
    void *run;
    int err;

    vcpu->kvm = kvm;
    vcpu->index = index;
    vcpu->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (vcpu->fd < 0) {
        err = errno;
        vmm_err("vCPU %u: KVM_CREATE_VCPU: %s", index, strerror(err));
        return kvm_err(err);
    }
    kvm->nr_vcpus = index + 1;
    run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
    if (run == MAP_FAILED) {
        err = errno;
        vmm_err("vCPU %u: mmap of kvm_run: %s", index, strerror(err));
        return kvm_err(err);
    }
    vcpu->run = run;
    return kvm_vcpu_init(vcpu);
}

int kvm_vcpu_init(struct vmm_kvm_vcpu *vcpu)
{
    struct kvm_vcpu_init init;
    int err;

    memset(&init, 0, sizeof(init));
    if (ioctl(vcpu->kvm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
        err = errno;
        vmm_err("KVM_ARM_PREFERRED_TARGET: %s", strerror(err));
        return kvm_err(err);
    }
    memset(init.features, 0, sizeof(init.features));
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (vcpu->index != 0)
        init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF; /* until PSCI CPU_ON */
    if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init) < 0) {
        err = errno;
        vmm_err("vCPU %u: KVM_ARM_VCPU_INIT: %s", vcpu->index, strerror(err));
        return kvm_err(err);
    }
    return 0;
}

int kvm_vcpu_set_boot_regs(struct vmm_kvm_vcpu *vcpu, uint64_t pc, uint64_t x0)
{
    int ret;

    ret = kvm_vcpu_set_reg(vcpu, KVM_CORE_REG_ID(regs.regs[0]), x0, "x0");
    /* x1..x3: core register ids count 32-bit words, so xN is x0 + 2 * N */
    for (unsigned i = 1; ret == 0 && i < 4; i++)
        ret = kvm_vcpu_set_reg(vcpu, KVM_CORE_REG_ID(regs.regs[0]) + 2 * i, 0, "x1..x3");
    if (ret == 0)
        ret = kvm_vcpu_set_reg(vcpu, KVM_CORE_REG_ID(regs.pstate), VMM_ARM64_BOOT_PSTATE, "pstate");
    if (ret == 0)
        ret = kvm_vcpu_set_reg(vcpu, KVM_CORE_REG_ID(regs.pc), pc, "pc");
    return ret;
}

int kvm_vcpu_set_power(struct vmm_kvm_vcpu *vcpu, bool on)
{
    struct kvm_mp_state mp = {.mp_state = on ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_STOPPED};

    if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0) {
        int err = errno;
        vmm_err("vCPU %u: KVM_SET_MP_STATE: %s", vcpu->index, strerror(err));
        return kvm_err(err);
    }
    return 0;
}

void kvm_vcpu_destroy(struct vmm_kvm_vcpu *vcpu)
{
    if (vcpu->run != NULL)
        munmap(vcpu->run, vcpu->kvm->run_size);
    vcpu->run = NULL;
    if (vcpu->fd >= 0)
        close(vcpu->fd);
    vcpu->fd = -1;
}

/* The guest accessed an address no stage-2 mapping backs. KVM decoded the
 * access (api.rst KVM_EXIT_MMIO); route it and return the value for reads. */
static void kvm_vcpu_mmio(struct vmm_kvm_vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;
    struct vmm_access acc;
    uint32_t len = run->mmio.len;

    memset(&acc, 0, sizeof(acc));
    acc.addr = run->mmio.phys_addr;
    acc.write = run->mmio.is_write != 0;
    acc.vcpu = vcpu->index;
    if (len > sizeof(run->mmio.data))
        len = sizeof(run->mmio.data); /* KVM only reports 1, 2, 4 or 8 */
    acc.size = (uint8_t)len;
    if (acc.write)
        for (uint32_t i = 0; i < len; i++)
            acc.value |= (uint64_t)run->mmio.data[i] << (8 * i); /* little endian */

    vmm_posix_defer_open();
    pthread_mutex_lock(&vcpu->kvm->lock);
    vmm_vm_mmio(vcpu->kvm->vm, &acc); /* errors are logged by the bus; reads give 0 */
    pthread_mutex_unlock(&vcpu->kvm->lock);
    vmm_posix_defer_run(); /* e.g. disk reads from the page cache, before the guest resumes */

    if (!acc.write)
        for (uint32_t i = 0; i < len; i++)
            run->mmio.data[i] = (uint8_t)(acc.value >> (8 * i));
}

/* An access KVM could not decode (no valid ISS, e.g. a load pair to device
 * memory): emulate it from the instruction (kvm_nisv.c); what cannot be
 * emulated gets an external data abort, as real hardware would give. */
static int kvm_vcpu_nisv(struct vmm_kvm_vcpu *vcpu)
{
    uint64_t ipa = vcpu->run->arm_nisv.fault_ipa;
    struct kvm_vcpu_events ev;
    uint32_t insn = 0;
    int ret = kvm_nisv_emulate(vcpu, ipa, &insn);

    if (ret == 0)
        return 0;
    if (ret == -VMM_EIO)
        return -1; /* a register ioctl failed: logged */
    if (vmm_ratelimit_first(&vcpu->rl_nisv))
        vmm_warn("vCPU %u: access at 0x%llx without syndrome (ESR ISS 0x%llx, instruction "
                 "0x%08x) cannot be emulated (%s): injecting a data abort (further ones counted)",
                 vcpu->index, (unsigned long long)ipa,
                 (unsigned long long)vcpu->run->arm_nisv.esr_iss, (unsigned)insn,
                 vmm_strerror(ret));
    memset(&ev, 0, sizeof(ev));
    ev.exception.ext_dabt_pending = 1;
    if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0) {
        vmm_err("vCPU %u: KVM_SET_VCPU_EVENTS: %s", vcpu->index, strerror(errno));
        return kvm_err(errno);
    }
    return 0;
}

static enum vmm_kvm_stop kvm_vcpu_system_event(struct vmm_kvm_vcpu *vcpu)
{
    uint32_t type = vcpu->run->system_event.type;

    switch (type) {
    case KVM_SYSTEM_EVENT_SHUTDOWN:
        vmm_dbg("vCPU %u: guest powered off", vcpu->index);
        return VMM_KVM_STOP_SHUTDOWN;
    case KVM_SYSTEM_EVENT_RESET:
        return VMM_KVM_STOP_RESET;
    case KVM_SYSTEM_EVENT_CRASH:
        vmm_err("vCPU %u: the guest reported a crash", vcpu->index);
        return VMM_KVM_STOP_CRASH;
    default:
        vmm_err("vCPU %u: unexpected KVM_EXIT_SYSTEM_EVENT type %u", vcpu->index, type);
        return VMM_KVM_STOP_ERROR;
    }
}

/* Handle the exit in vcpu->run; VMM_KVM_STOP_NONE means run again. */
static enum vmm_kvm_stop kvm_vcpu_handle_exit(struct vmm_kvm_vcpu *vcpu)
{
    struct kvm_run *run = vcpu->run;

    switch (run->exit_reason) {
    case KVM_EXIT_MMIO:
        kvm_vcpu_mmio(vcpu);
        return VMM_KVM_STOP_NONE;
    case KVM_EXIT_INTR:
        return VMM_KVM_STOP_NONE;
    case KVM_EXIT_SYSTEM_EVENT:
        return kvm_vcpu_system_event(vcpu);
    case KVM_EXIT_ARM_NISV:
        return kvm_vcpu_nisv(vcpu) == 0 ? VMM_KVM_STOP_NONE : VMM_KVM_STOP_ERROR;
    case KVM_EXIT_DEBUG:
        if (kvm_vcpu_debug_exit(vcpu) == 0)
            return VMM_KVM_STOP_NONE;
        vmm_err("vCPU %u: KVM_EXIT_DEBUG without a debugger", vcpu->index);
        return VMM_KVM_STOP_ERROR;
    case KVM_EXIT_FAIL_ENTRY:
        vmm_err("vCPU %u: KVM_EXIT_FAIL_ENTRY (hardware reason 0x%llx)", vcpu->index,
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        return VMM_KVM_STOP_ERROR;
    case KVM_EXIT_INTERNAL_ERROR:
        vmm_err("vCPU %u: KVM_EXIT_INTERNAL_ERROR (suberror %u)", vcpu->index,
                run->internal.suberror);
        return VMM_KVM_STOP_ERROR;
    default:
        vmm_err("vCPU %u: unexpected KVM exit reason %u (%s)", vcpu->index, run->exit_reason,
                vmm_kvm_exit_name(run->exit_reason));
        return VMM_KVM_STOP_ERROR;
    }
}

static enum vmm_kvm_exit_kind kvm_exit_kind(unsigned reason)
{
    switch (reason) {
    case KVM_EXIT_MMIO:
        return VMM_KVM_EXITS_MMIO;
    case KVM_EXIT_ARM_NISV:
        return VMM_KVM_EXITS_NISV;
    case KVM_EXIT_SYSTEM_EVENT:
        return VMM_KVM_EXITS_SYSTEM_EVENT;
    case KVM_EXIT_INTR:
        return VMM_KVM_EXITS_INTR;
    case KVM_EXIT_DEBUG:
        return VMM_KVM_EXITS_DEBUG;
    default:
        return VMM_KVM_EXITS_OTHER;
    }
}

static void kvm_count_exit(struct vmm_kvm_vcpu *vcpu, enum vmm_kvm_exit_kind kind)
{
    atomic_fetch_add_explicit(&vcpu->exits[kind], 1, memory_order_relaxed);
}

static uint64_t kvm_vcpu_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no syscall, allowed by seccomp anyway */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Debug: where a vCPU thread's time went (bench/README.md, exit cost). */
struct kvm_vcpu_times {
    uint64_t exits, run_ns, handle_ns, t0;
};

static void kvm_vcpu_times_log(const struct kvm_vcpu_times *t, unsigned index)
{
    uint64_t total = kvm_vcpu_now_ns() - t->t0;

    vmm_dbg("vCPU %u: %llu exits, %llu us in KVM_RUN, %llu us handling exits, %llu us in all",
            index, (unsigned long long)t->exits, (unsigned long long)(t->run_ns / 1000),
            (unsigned long long)(t->handle_ns / 1000), (unsigned long long)(total / 1000));
}

void *kvm_vcpu_thread(void *arg)
{
    struct vmm_kvm_vcpu *vcpu = arg;
    struct vmm_kvm *kvm = vcpu->kvm;
    enum vmm_kvm_stop why = VMM_KVM_STOP_NONE;
    bool timed = vmm_log_enabled(VMM_LOG_DEBUG);
    struct kvm_vcpu_times times = {.t0 = timed ? kvm_vcpu_now_ns() : 0};
    uint64_t t1 = 0, t2 = 0, exits = 0, mmio = 0;
    sigset_t kick;

    sigemptyset(&kick);
    sigaddset(&kick, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

    if (vcpu->index == 0 && vmm_log_enabled(VMM_LOG_INFO)) {
        struct timespec now; /* start-up cost, measured by bench/ */

        clock_gettime(CLOCK_REALTIME, &now);
        vmm_info("vCPU 0: first KVM_RUN at realtime %lld.%06ld", (long long)now.tv_sec,
                 now.tv_nsec / 1000);
    }
    while (why == VMM_KVM_STOP_NONE && !atomic_load(&kvm->stopping)) {
        if (kvm_vcpu_must_park(vcpu)) {
            kvm_vcpu_park(vcpu);
            continue;
        }
        if (timed)
            t1 = kvm_vcpu_now_ns();
        if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
            int err = errno;
            if (err == EINTR || err == EAGAIN) {
                kvm_count_exit(vcpu, VMM_KVM_EXITS_INTR);
                continue; /* kicked (stop or pause) or interrupted: check and rerun */
            }
            vmm_err("vCPU %u: KVM_RUN: %s", vcpu->index, strerror(err));
            why = VMM_KVM_STOP_ERROR;
            break;
        }
        if (timed)
            t2 = kvm_vcpu_now_ns();
        exits++;
        mmio += vcpu->run->exit_reason == KVM_EXIT_MMIO;
        kvm_count_exit(vcpu, kvm_exit_kind(vcpu->run->exit_reason));
        why = kvm_vcpu_handle_exit(vcpu);
        if (timed) {
            times.exits++;
            times.run_ns += t2 - t1;
            times.handle_ns += kvm_vcpu_now_ns() - t2;
        }
    }
    /* Stopped between an MMIO exit and the KVM_RUN that completes it (a
     * read's register and the PC step happen there, api.rst "KVM_RUN"):
     * complete it now without running the guest. Left pending, the first
     * KVM_RUN after a guest reset would apply it to the fresh vCPU: a stale
     * value in a boot register and the PC past the entry instruction. */
    if (why == VMM_KVM_STOP_NONE && vcpu->run->exit_reason == KVM_EXIT_MMIO) {
        ((volatile struct kvm_run *)vcpu->run)->immediate_exit = 1;
        if (ioctl(vcpu->fd, KVM_RUN, 0) < 0 && errno != EINTR && errno != EAGAIN)
            vmm_err("vCPU %u: KVM_RUN completing an MMIO read: %s", vcpu->index, strerror(errno));
    }
    /* Exits to user space, for bench/ (exits per boot). */
    vmm_info("vCPU %u: %llu exits, %llu of them MMIO", vcpu->index, (unsigned long long)exits,
             (unsigned long long)mmio);
    if (timed)
        kvm_vcpu_times_log(&times, vcpu->index);
    if (why != VMM_KVM_STOP_NONE)
        vmm_kvm_request_stop(kvm, why);
    return NULL;
}

const char *vmm_kvm_exit_name(unsigned exit_reason)
{
    static const char *const names[] = {
        [KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
        [KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
        [KVM_EXIT_IO] = "KVM_EXIT_IO",
        [KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
        [KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
        [KVM_EXIT_HLT] = "KVM_EXIT_HLT",
        [KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
        [KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
        [KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
        [KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
        [KVM_EXIT_INTR] = "KVM_EXIT_INTR",
        [KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
        [KVM_EXIT_WATCHDOG] = "KVM_EXIT_WATCHDOG",
        [KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
        [KVM_EXIT_ARM_NISV] = "KVM_EXIT_ARM_NISV",
        [KVM_EXIT_DIRTY_RING_FULL] = "KVM_EXIT_DIRTY_RING_FULL",
        [KVM_EXIT_NOTIFY] = "KVM_EXIT_NOTIFY",
    };

    if (exit_reason < sizeof(names) / sizeof(names[0]) && names[exit_reason] != NULL)
        return names[exit_reason];
    return "unknown";
}
