/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * colour: two single-vCPU VMs with disjoint cache colours of a 1 MiB,
 * 16-way last-level cache (64 KiB ways: 16 colours of 4 KiB pages). vm-a
 * gets colours 0-7, vm-b 8-15: stdvmm-init gives each VM's guest RAM, VMM
 * program and IPC buffer only frames of its colours (in 4 KiB pages) and
 * prints its audit of every frame. Each VM's VMM runs on its vCPU's core.
 * With -DCOLOUR_BAD (colour_bad) one VM asks for 512 MiB in one colour of
 * 64: more than the free memory holds, refused before anything runs.
 */
#include "stdvmm/sel4init.h"

extern const unsigned char vmm_vm_a_elf[], vmm_vm_a_elf_end[];
#ifndef COLOUR_BAD
extern const unsigned char vmm_vm_b_elf[], vmm_vm_b_elf_end[];
#endif

void sel4init_describe(struct sel4init_system *sys)
{
#ifdef COLOUR_BAD
    struct sel4init_vm *a = sel4init_add_vm(sys, "vm-a", vmm_vm_a_elf, vmm_vm_a_elf_end, 512 << 20);

    sys->name = "colour_bad";
    sys->llc = (struct sel4init_llc){.size = 4 << 20, .ways = 16, .line = 64};
    sel4init_set_colours(sys, a, 5, 1);
    sel4init_add_vcpu(sys, a, 1, 100, 0, 0);
#else
    struct sel4init_vm *a = sel4init_add_vm(sys, "vm-a", vmm_vm_a_elf, vmm_vm_a_elf_end, 128 << 20);
    struct sel4init_vm *b = sel4init_add_vm(sys, "vm-b", vmm_vm_b_elf, vmm_vm_b_elf_end, 128 << 20);

    sys->name = "colour";
    sys->llc = (struct sel4init_llc){.size = 1 << 20, .ways = 16, .line = 64};
    sel4init_set_colours(sys, a, 0, 8);
    sel4init_set_colours(sys, b, 8, 8);
    sel4init_add_vcpu(sys, a, 1, 100, 0, 0);
    sel4init_add_vcpu(sys, b, 2, 100, 0, 0);
    a->vmm_core = 1;
    b->vmm_core = 2;
#endif
}
