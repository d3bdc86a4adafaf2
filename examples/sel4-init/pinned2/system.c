/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pinned2: two single-vCPU VMs, vm-a's vCPU pinned to core 1 and vm-b's to
 * core 2, each with the whole of its core and its VMM on the same core. Built with
 * -DPINNED2_ONE_CORE the same two VMs share core 1 (the comparison of
 * tests/sel4-init/run.sh).
 */
#include "stdvmm/sel4init.h"

extern const unsigned char vmm_vm_a_elf[], vmm_vm_a_elf_end[];
extern const unsigned char vmm_vm_b_elf[], vmm_vm_b_elf_end[];

#ifdef PINNED2_ONE_CORE
#define CORE_B 1
#else
#define CORE_B 2
#endif

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *a = sel4init_add_vm(sys, "vm-a", vmm_vm_a_elf, vmm_vm_a_elf_end, 128 << 20);
    struct sel4init_vm *b = sel4init_add_vm(sys, "vm-b", vmm_vm_b_elf, vmm_vm_b_elf_end, 128 << 20);

    sys->name = CORE_B == 2 ? "pinned2" : "pinned2-one-core";
    sel4init_add_vcpu(sys, a, 1, 100, 0, 0);
    sel4init_add_vcpu(sys, b, CORE_B, 100, 0, 0);
}
