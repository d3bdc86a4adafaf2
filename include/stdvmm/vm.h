/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VM object. It holds everything about one virtual machine that is not
 * specific to a hypervisor: guest memory, the MMIO bus, interrupt lines,
 * the devices and the vCPU count. There is no global VM: several VMs may
 * live in one address space, and every call takes the VM it works on.
 */
#ifndef STDVMM_VM_H
#define STDVMM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/device.h"
#include "stdvmm/irq.h"
#include "stdvmm/mem.h"
#include "stdvmm/mmio.h"
#include "stdvmm/port.h"
#include "stdvmm/vcpu.h"

#define VMM_MAX_DEVICES 24

struct vmm_vm {
    const char *name;
    struct vmm_mem mem;
    struct vmm_mmio_bus bus;
    struct vmm_irq_lines irqs;
    struct vmm_device *devices[VMM_MAX_DEVICES];
    unsigned nr_devices;
    unsigned nr_vcpus;
    struct vmm_vcpu vcpus[VMM_MAX_VCPUS]; /* the first nr_vcpus are in use */
    const struct vmm_port_ops *port_ops;
    void *port;
};

/* Initialise an empty VM called @name with @nr_vcpus vCPUs (1..VMM_MAX_VCPUS):
 * vCPU 0 starts ON, the others OFF until the guest starts them. */
int vmm_vm_init(struct vmm_vm *vm, const char *name, unsigned nr_vcpus);

/* Connect the VM to its hypervisor port. */
void vmm_vm_set_port(struct vmm_vm *vm, const struct vmm_port_ops *ops, void *port);

/* Add guest RAM at @gpa backed by @hva (see vmm_mem_add_region). */
int vmm_vm_add_ram(struct vmm_vm *vm, uint64_t gpa, uint64_t size, void *hva);

/* Add a device: map its window on the bus and claim its IRQ line. The
 * device must outlive the VM. */
int vmm_vm_add_device(struct vmm_vm *vm, struct vmm_device *dev);

/* Device registered under @name, or NULL. */
struct vmm_device *vmm_vm_find_device(struct vmm_vm *vm, const char *name);

/* vCPU @index, or NULL when out of range. */
struct vmm_vcpu *vmm_vm_vcpu(struct vmm_vm *vm, unsigned index);

/* Exit path: route a trapped access to its device (vmm_mmio_dispatch) and
 * count it on the accessing vCPU. */
int vmm_vm_mmio(struct vmm_vm *vm, struct vmm_access *acc);

#endif
