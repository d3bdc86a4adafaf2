/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vCPU objects: what the core knows about each virtual CPU, whatever the
 * hypervisor. A port keeps its own handle in @port (a KVM vCPU fd, an seL4
 * VCPU capability) and reports state changes; the architecture fills in
 * @affinity (on AArch64, the MPIDR the device tree gives the CPU).
 */
#ifndef STDVMM_VCPU_H
#define STDVMM_VCPU_H

#include <stdint.h>

/* The one vCPU limit of every port and of the AArch64 code (PSCI, vGIC,
 * device tree); at most 8, GICv2's limit (IHI 0048B 1.3). */
#define VMM_MAX_VCPUS 8

struct vmm_vm;

enum vmm_vcpu_state {
    VMM_VCPU_OFF = 0, /* not started (secondaries until PSCI CPU_ON) */
    VMM_VCPU_ON,      /* started: runs guest code or waits for an interrupt */
    VMM_VCPU_STOPPED, /* the VM is stopping; the vCPU will not run again */
};

struct vmm_vcpu_stats {
    unsigned long mmio_accesses;  /* trapped accesses routed by vmm_vm_mmio() */
    unsigned long mmio_unhandled; /* of those, the ones no device took */
};

struct vmm_vcpu {
    struct vmm_vm *vm;
    unsigned index; /* 0 .. nr_vcpus-1; vCPU 0 boots the guest */
    uint64_t affinity;
    enum vmm_vcpu_state state;
    struct vmm_vcpu_stats stats;
    void *port; /* the port's handle for this vCPU */
};

/* Name of a state, for logs. */
const char *vmm_vcpu_state_name(enum vmm_vcpu_state state);

#endif
