/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>
#include "stdvmm/err.h"
#include "stdvmm/log.h"
#include "stdvmm/vm.h"

int vmm_vm_init(struct vmm_vm *vm, const char *name, unsigned nr_vcpus)
{
    if (nr_vcpus == 0 || nr_vcpus > VMM_MAX_VCPUS)
        return -VMM_EINVAL;
    memset(vm, 0, sizeof(*vm));
    vm->name = name ? name : "vm";
    vm->nr_vcpus = nr_vcpus;
    vmm_mem_init(&vm->mem);
    vmm_mmio_bus_init(&vm->bus);
    vmm_irq_lines_init(&vm->irqs);
    for (unsigned i = 0; i < nr_vcpus; i++) {
        vm->vcpus[i].vm = vm;
        vm->vcpus[i].index = i;
        vm->vcpus[i].state = i == 0 ? VMM_VCPU_ON : VMM_VCPU_OFF;
    }
    return 0;
}

void vmm_vm_set_port(struct vmm_vm *vm, const struct vmm_port_ops *ops, void *port)
{
    vm->port_ops = ops;
    vm->port = port;
}

int vmm_vm_add_ram(struct vmm_vm *vm, uint64_t gpa, uint64_t size, void *hva)
{
    return vmm_mem_add_region(&vm->mem, gpa, size, hva);
}

int vmm_vm_add_device(struct vmm_vm *vm, struct vmm_device *dev)
{
    int ret;

    if (dev == NULL || dev->name == NULL)
        return -VMM_EINVAL;
    if (vm->nr_devices >= VMM_MAX_DEVICES)
        return -VMM_ENOSPC;
    if (vmm_vm_find_device(vm, dev->name) != NULL)
        return -VMM_EEXIST;
    if (dev->irq != VMM_IRQ_NONE) {
        ret = vmm_irq_claim(&vm->irqs, dev->irq, dev->name);
        if (ret < 0)
            return ret;
    }
    ret = vmm_mmio_register(&vm->bus, dev->base, dev->size, dev->ops, dev->opaque, dev->name);
    if (ret < 0) {
        if (dev->irq != VMM_IRQ_NONE)
            vmm_irq_release(&vm->irqs, dev->irq, dev->name);
        return ret;
    }
    vm->devices[vm->nr_devices++] = dev;
    return 0;
}

struct vmm_device *vmm_vm_find_device(struct vmm_vm *vm, const char *name)
{
    for (unsigned i = 0; i < vm->nr_devices; i++)
        if (strcmp(vm->devices[i]->name, name) == 0)
            return vm->devices[i];
    return NULL;
}

struct vmm_vcpu *vmm_vm_vcpu(struct vmm_vm *vm, unsigned index)
{
    return index < vm->nr_vcpus ? &vm->vcpus[index] : NULL;
}

int vmm_vm_mmio(struct vmm_vm *vm, struct vmm_access *acc)
{
    struct vmm_vcpu *vcpu = vmm_vm_vcpu(vm, acc->vcpu);
    int ret = vmm_mmio_dispatch(&vm->bus, acc);

    if (vcpu != NULL) {
        vcpu->stats.mmio_accesses++;
        if (ret == -VMM_ENOENT)
            vcpu->stats.mmio_unhandled++;
    }
    return ret;
}
