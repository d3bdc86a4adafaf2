/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Running the VM: one thread per vCPU, and the calling thread waiting for a
 * reason to stop (a stop request on stop_fd or a signal on signal_fd).
 * Stopping a vCPU: set kvm_run->immediate_exit, then send it the kick
 * signal; whether the thread is inside KVM_RUN (the signal interrupts it) or
 * about to enter it (immediate_exit makes it return at once), it sees
 * `stopping` and ends (api.rst, "immediate_exit").
 */
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "kvm_priv.h"
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/posix/thread.h"

static void kvm_kick_handler(int sig)
{
    (void)sig; /* only interrupts KVM_RUN */
}

static int kvm_install_kick_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return EINTR */
    if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0)
        return kvm_err(errno);
    return 0;
}

void vmm_kvm_request_stop(struct vmm_kvm *kvm, enum vmm_kvm_stop reason)
{
    int expected = VMM_KVM_STOP_NONE;
    uint64_t one = 1;
    ssize_t n;

    /* A reset is only a pause: any other reason arriving before the VM
     * runs again (a signal, Ctrl-A x) replaces it. */
    if (!atomic_compare_exchange_strong(&kvm->stop_reason, &expected, (int)reason) &&
        expected == VMM_KVM_STOP_RESET && reason != VMM_KVM_STOP_RESET)
        atomic_compare_exchange_strong(&kvm->stop_reason, &expected, (int)reason);
    n = write(kvm->stop_fd, &one, sizeof(one)); /* EAGAIN: already signalled */
    (void)n;
}

static void kvm_stop_vcpus(struct vmm_kvm *kvm)
{
    atomic_store(&kvm->stopping, true);
    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        struct vmm_kvm_vcpu *vcpu = &kvm->vcpus[i];
        if (!vcpu->started)
            continue;
        ((volatile struct kvm_run *)vcpu->run)->immediate_exit = 1;
        pthread_kill(vcpu->thread, KVM_KICK_SIGNAL);
    }
    kvm_pause_wake_all(kvm); /* parked vCPUs see `stopping` */
    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        bool started;

        /* Under pause_lock: vmm_kvm_pause() kicks only started threads. */
        pthread_mutex_lock(&kvm->pause_lock);
        started = kvm->vcpus[i].started;
        kvm->vcpus[i].started = false;
        pthread_mutex_unlock(&kvm->pause_lock);
        if (started)
            pthread_join(kvm->vcpus[i].thread, NULL);
    }
}

static enum vmm_kvm_stop kvm_signal_reason(int sig)
{
    switch (sig) {
    case SIGINT:
        return VMM_KVM_STOP_SIGINT;
    case SIGTERM:
        return VMM_KVM_STOP_SIGTERM;
    default:
        return VMM_KVM_STOP_SIGHUP;
    }
}

/* Wait until someone requests a stop or a signal arrives. */
static void kvm_wait_for_stop(struct vmm_kvm *kvm)
{
    struct pollfd pfd[2] = {
        {.fd = kvm->stop_fd, .events = POLLIN},
        {.fd = kvm->signal_fd, .events = POLLIN},
    };

    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            vmm_err("poll: %s", strerror(errno));
            vmm_kvm_request_stop(kvm, VMM_KVM_STOP_ERROR);
            return;
        }
        if (pfd[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(kvm->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                vmm_kvm_request_stop(kvm, kvm_signal_reason((int)si.ssi_signo));
                return;
            }
        }
        if (pfd[0].revents & POLLIN)
            return;
    }
}

/* Before a run after a guest reset: forget the reset, keep any other stop. */
static bool kvm_rearm(struct vmm_kvm *kvm)
{
    int expected = VMM_KVM_STOP_RESET;
    uint64_t count;

    if (!atomic_compare_exchange_strong(&kvm->stop_reason, &expected, VMM_KVM_STOP_NONE) &&
        expected != VMM_KVM_STOP_NONE)
        return false;
    if (read(kvm->stop_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return false;
    atomic_store(&kvm->stopping, false);
    for (unsigned i = 0; i < kvm->nr_vcpus; i++)
        ((volatile struct kvm_run *)kvm->vcpus[i].run)->immediate_exit = 0;
    return true;
}

enum vmm_kvm_stop vmm_kvm_run(struct vmm_kvm *kvm)
{
    int err;

    if (kvm->nr_vcpus == 0 || kvm->nr_vcpus != kvm->vm->nr_vcpus) {
        vmm_err("kvm: vmm_kvm_run() before the vCPUs were created");
        return VMM_KVM_STOP_ERROR;
    }
    if (!kvm_rearm(kvm))
        return (enum vmm_kvm_stop)atomic_load(&kvm->stop_reason);
    err = kvm_install_kick_handler();
    if (err < 0) {
        vmm_err("sigaction: %s", strerror(-err));
        return VMM_KVM_STOP_ERROR;
    }
    for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
        struct vmm_kvm_vcpu *vcpu = &kvm->vcpus[i];
        err = vmm_posix_thread_start(&vcpu->thread, kvm_vcpu_thread, vcpu);
        if (err != 0) {
            vmm_err("vCPU %u: cannot start its thread: %s", i, strerror(err));
            vmm_kvm_request_stop(kvm, VMM_KVM_STOP_ERROR);
            break;
        }
        pthread_mutex_lock(&kvm->pause_lock);
        vcpu->started = true;
        pthread_mutex_unlock(&kvm->pause_lock);
    }
    kvm_wait_for_stop(kvm);
    kvm_stop_vcpus(kvm);
    return (enum vmm_kvm_stop)atomic_load(&kvm->stop_reason);
}

const char *vmm_kvm_stop_name(enum vmm_kvm_stop reason)
{
    switch (reason) {
    case VMM_KVM_STOP_NONE:
        return "none";
    case VMM_KVM_STOP_SHUTDOWN:
        return "shutdown";
    case VMM_KVM_STOP_RESET:
        return "reset";
    case VMM_KVM_STOP_CRASH:
        return "crash";
    case VMM_KVM_STOP_QUIT:
        return "quit";
    case VMM_KVM_STOP_SIGINT:
        return "SIGINT";
    case VMM_KVM_STOP_SIGTERM:
        return "SIGTERM";
    case VMM_KVM_STOP_SIGHUP:
        return "SIGHUP";
    case VMM_KVM_STOP_ERROR:
        return "error";
    case VMM_KVM_STOP_API:
        return "api-stop";
    }
    return "unknown";
}
