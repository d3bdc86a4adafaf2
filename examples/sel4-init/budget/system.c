/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * budget: two CPU-bound single-vCPU VMs sharing core 1 at the same
 * priority, vm-30 with an MCS budget of 3 ms and vm-70 of 7 ms per 10 ms.
 */
#include "stdvmm/sel4init.h"

extern const unsigned char vmm_vm_30_elf[], vmm_vm_30_elf_end[];
extern const unsigned char vmm_vm_70_elf[], vmm_vm_70_elf_end[];

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *a =
        sel4init_add_vm(sys, "vm-30", vmm_vm_30_elf, vmm_vm_30_elf_end, 128 << 20);
    struct sel4init_vm *b =
        sel4init_add_vm(sys, "vm-70", vmm_vm_70_elf, vmm_vm_70_elf_end, 128 << 20);

    sys->name = "budget";
    sel4init_add_vcpu(sys, a, 1, 100, 3000, 10000);
    sel4init_add_vcpu(sys, b, 1, 100, 7000, 10000);
}
