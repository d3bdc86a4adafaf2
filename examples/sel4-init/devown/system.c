/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * devown: QEMU virt's PL031 real-time clock (MMIO 0x9010000, SPI 2 = INTID
 * 34, no DMA) passed through to vm-a, then handed to vm-b and back every
 * 30 seconds while both run (ports/sel4-init/init/devown.c). Both guests
 * read its data register every 2 s (stdvmm.test=rtc); the owner reads the
 * time, the other gets an external abort (SIGBUS). Each VM's VMM runs on its
 * vCPU's core.
 */
#include "stdvmm/sel4init.h"

extern const unsigned char vmm_vm_a_elf[], vmm_vm_a_elf_end[];
extern const unsigned char vmm_vm_b_elf[], vmm_vm_b_elf_end[];

#define PL031_IMSC 0x10 /* interrupt mask set/clear */
#define PL031_ICR 0x1c  /* interrupt clear */

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *a = sel4init_add_vm(sys, "vm-a", vmm_vm_a_elf, vmm_vm_a_elf_end, 128 << 20);
    struct sel4init_vm *b = sel4init_add_vm(sys, "vm-b", vmm_vm_b_elf, vmm_vm_b_elf_end, 128 << 20);

    sys->name = "devown";
    sel4init_add_vcpu(sys, a, 1, 100, 0, 0);
    sel4init_add_vcpu(sys, b, 2, 100, 0, 0);
    a->vmm_core = 1;
    b->vmm_core = 2;
    sys->nr_devices = 1;
    sys->devices[0] = (struct sel4init_device){
        .name = "rtc",
        .paddr = 0x9010000,
        .gpa = 0x9010000,
        .intid = 34,
        .owner = 0,
        .alt_owner = 1,
        .nr_clear = 2,
        .clear_off = {PL031_IMSC, PL031_ICR},
        .clear_val = {0, 1},
        .handover_s = 30,
        .handovers = 40,
    };
}
