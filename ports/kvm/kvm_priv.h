/* SPDX-License-Identifier: BSD-2-Clause */
/* Internals shared by the files of the KVM port. */
#ifndef STDVMM_KVM_PRIV_H
#define STDVMM_KVM_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/kvm/port.h"

/* Create the vGICv3 device and set its distributor/redistributor bases. */
int kvm_gic_create(struct vmm_kvm *kvm, uint64_t gicd, uint64_t gicr);

/* Finish vGIC setup once every vCPU exists (KVM_DEV_ARM_VGIC_CTRL_INIT). */
int kvm_gic_init(struct vmm_kvm *kvm);

/* Create and initialise vCPU @index (PSCI 0.2; powered off unless 0). */
int kvm_vcpu_create(struct vmm_kvm *kvm, unsigned index);

/* KVM_ARM_VCPU_INIT: the vCPU's reset state (PSCI 0.2; powered off unless
 * it is vCPU 0). Also how a guest reset resets a vCPU. */
int kvm_vcpu_init(struct vmm_kvm_vcpu *vcpu);

/* Point vCPU @vcpu at @pc with x0 = @x0, x1..x3 = 0, the boot PSTATE. */
int kvm_vcpu_set_boot_regs(struct vmm_kvm_vcpu *vcpu, uint64_t pc, uint64_t x0);

/* Power vCPU @vcpu on (KVM_MP_STATE_RUNNABLE) or off (STOPPED). */
int kvm_vcpu_set_power(struct vmm_kvm_vcpu *vcpu, bool on);

/* A port-boundary error code: -errno as a VMM_E* code vmm_strerror() names
 * (-VMM_EIO for any other errno). */
int kvm_err(int err);

/* kvm_nisv.c: emulate the access of a KVM_EXIT_ARM_NISV at @fault_ipa (the
 * instruction word in *@insn for messages). 0; -VMM_ENOTSUP or -VMM_EFAULT
 * when it cannot be emulated (inject an abort); -VMM_EIO when a register
 * ioctl failed. */
int kvm_nisv_emulate(struct vmm_kvm_vcpu *vcpu, uint64_t fault_ipa, uint32_t *insn);

/* The vCPU thread: KVM_RUN until a stop is requested. */
void *kvm_vcpu_thread(void *arg);

/* Unmap the vCPU's kvm_run and close its fd. */
void kvm_vcpu_destroy(struct vmm_kvm_vcpu *vcpu);

/* kvm_pause.c: park the calling vCPU thread while a pause is requested
 * (returns at once otherwise, or when the VM stops). */
void kvm_vcpu_park(struct vmm_kvm_vcpu *vcpu);

/* kvm_pause.c: whether @vcpu must park now (paused, not let run by a step). */
bool kvm_vcpu_must_park(struct vmm_kvm_vcpu *vcpu);

/* kvm_debug.c: a KVM_EXIT_DEBUG on @vcpu (a breakpoint or a step): stop
 * the VM for the debugger. 0, or -1 when no debugger asked for it. */
int kvm_vcpu_debug_exit(struct vmm_kvm_vcpu *vcpu);

/* kvm_pause.c: wake every parked vCPU because the VM stops. */
void kvm_pause_wake_all(struct vmm_kvm *kvm);

/* Signal used to kick vCPU threads out of KVM_RUN. */
#define KVM_KICK_SIGNAL SIGUSR1

#endif
