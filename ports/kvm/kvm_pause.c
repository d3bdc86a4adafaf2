/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pausing the guest (port.h, vmm_kvm_pause): a flag every vCPU thread
 * checks before KVM_RUN, and a kick (immediate_exit + the kick signal, as
 * for a stop) so a thread inside KVM_RUN returns. KVM completes a pending
 * MMIO read before honouring immediate_exit (api.rst, KVM_RUN), so a
 * parked vCPU's registers are consistent. A parked thread waits on a
 * condition variable, without the device lock.
 *
 * Guest time: the virtual counter KVM gives the guest keeps counting while
 * it is paused (its offset is not changed), so after a resume the guest
 * sees the paused time as elapsed: timers that expired fire at once and
 * its clocks jump forward (docs/API.md).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <time.h>
#include "kvm_priv.h"
#include "stdvmm/err.h"

bool kvm_vcpu_must_park(struct vmm_kvm_vcpu *vcpu)
{
    struct vmm_kvm *kvm = vcpu->kvm;

    return atomic_load(&kvm->pause_requested) &&
           !(atomic_load(&kvm->run_mask) & (1u << vcpu->index));
}

void kvm_vcpu_park(struct vmm_kvm_vcpu *vcpu)
{
    struct vmm_kvm *kvm = vcpu->kvm;

    pthread_mutex_lock(&kvm->pause_lock);
    kvm->parked++;
    pthread_cond_broadcast(&kvm->pause_cond);
    while (kvm_vcpu_must_park(vcpu) && !atomic_load(&kvm->stopping))
        pthread_cond_wait(&kvm->pause_cond, &kvm->pause_lock);
    kvm->parked--;
    /* A stop sets `stopping` before immediate_exit, and the loop checks
     * `stopping` after this: clearing here never hides a stop. */
    if (!atomic_load(&kvm->stopping))
        ((volatile struct kvm_run *)vcpu->run)->immediate_exit = 0;
    pthread_mutex_unlock(&kvm->pause_lock);
}

void kvm_pause_wake_all(struct vmm_kvm *kvm)
{
    pthread_mutex_lock(&kvm->pause_lock);
    pthread_cond_broadcast(&kvm->pause_cond);
    pthread_mutex_unlock(&kvm->pause_lock);
}

static unsigned kvm_running_threads(const struct vmm_kvm *kvm)
{
    unsigned n = 0;

    for (unsigned i = 0; i < kvm->nr_vcpus; i++)
        n += kvm->vcpus[i].started;
    return n;
}

int vmm_kvm_pause(struct vmm_kvm *kvm, unsigned timeout_ms)
{
    struct timespec deadline;
    int ret = 0;

    pthread_mutex_lock(&kvm->pause_lock);
    atomic_store(&kvm->pause_requested, true);
    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        struct vmm_kvm_vcpu *vcpu = &kvm->vcpus[i];

        if (!vcpu->started)
            continue;
        ((volatile struct kvm_run *)vcpu->run)->immediate_exit = 1;
        pthread_kill(vcpu->thread, KVM_KICK_SIGNAL);
    }
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (kvm->parked < kvm_running_threads(kvm) && !atomic_load(&kvm->stopping)) {
        if (pthread_cond_timedwait(&kvm->pause_cond, &kvm->pause_lock, &deadline) == ETIMEDOUT) {
            ret = kvm->parked < kvm_running_threads(kvm) ? -VMM_EAGAIN : 0;
            break;
        }
    }
    pthread_mutex_unlock(&kvm->pause_lock);
    return ret;
}

void vmm_kvm_resume(struct vmm_kvm *kvm)
{
    pthread_mutex_lock(&kvm->pause_lock);
    atomic_store(&kvm->run_mask, 0);
    atomic_store(&kvm->pause_requested, false);
    pthread_cond_broadcast(&kvm->pause_cond);
    pthread_mutex_unlock(&kvm->pause_lock);
}

bool vmm_kvm_paused(struct vmm_kvm *kvm)
{
    return atomic_load(&kvm->pause_requested);
}

unsigned vmm_kvm_parked(struct vmm_kvm *kvm)
{
    unsigned n;

    pthread_mutex_lock(&kvm->pause_lock);
    n = kvm->parked;
    pthread_mutex_unlock(&kvm->pause_lock);
    return n;
}

const char *vmm_kvm_exit_kind_name(enum vmm_kvm_exit_kind kind)
{
    static const char *const names[VMM_KVM_NR_EXIT_KINDS] = {
        [VMM_KVM_EXITS_MMIO] = "mmio",
        [VMM_KVM_EXITS_NISV] = "nisv",
        [VMM_KVM_EXITS_SYSTEM_EVENT] = "system_event",
        [VMM_KVM_EXITS_INTR] = "intr",
        [VMM_KVM_EXITS_DEBUG] = "debug",
        [VMM_KVM_EXITS_OTHER] = "other",
    };

    return (unsigned)kind < VMM_KVM_NR_EXIT_KINDS ? names[kind] : "unknown";
}
