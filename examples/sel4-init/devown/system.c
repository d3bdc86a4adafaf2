/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * devown: QEMU virt's PL031 real-time clock (MMIO 0x9010000, SPI 2 = INTID
 * 34, no DMA) passed through to vm-a at start and moved between vm-a and
 * vm-b while both run by a control client (client_move.c, SEL4INIT_CTL_MOVE;
 * ports/sel4-init/init/devown.c does the move). Both guests have the
 * PL031 in their device tree (pl031.h) and run stdvmm.test=rtc: the owner
 * reads the clock and takes its alarm interrupt, the other gets an external
 * abort (SIGBUS) on the register and no interrupt. Each VM's VMM runs on
 * its vCPU's core, the client on core 0 with stdvmm-init.
 */
#include "stdvmm/sel4init.h"
#include "stdvmm/sel4init_ctl.h"

extern const unsigned char vmm_vm_a_elf[], vmm_vm_a_elf_end[];
extern const unsigned char vmm_vm_b_elf[], vmm_vm_b_elf_end[];
extern const unsigned char client_devown_move_elf[], client_devown_move_elf_end[];

#define PL031_IMSC 0x10 /* interrupt mask set/clear */
#define PL031_ICR 0x1c  /* interrupt clear */

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *a = sel4init_add_vm(sys, "vm-a", vmm_vm_a_elf, vmm_vm_a_elf_end, 128 << 20);
    struct sel4init_vm *b = sel4init_add_vm(sys, "vm-b", vmm_vm_b_elf, vmm_vm_b_elf_end, 128 << 20);

    sys->name = "devown";
    sel4init_add_vcpu(sys, a, 1, 100, 0, 0);
    sel4init_add_vcpu(sys, b, 2, 100, 0, 0);
    if (a != NULL && b != NULL) {
        a->vmm_core = 1;
        b->vmm_core = 2;
    }
    sys->nr_devices = 1;
    sys->devices[0] = (struct sel4init_device){
        .name = "rtc",
        .paddr = 0x9010000,
        .gpa = 0x9010000,
        .intid = 34,
        .owner = 0,
        .nr_clear = 2,
        .clear_off = {PL031_IMSC, PL031_ICR},
        .clear_val = {0, 1},
    };
}

void sel4init_describe_ctl(struct sel4init_ctl_system *ctl)
{
    ctl->print_caps = true;
    ctl->nr_clients = 1;
    ctl->clients[0] = (struct sel4init_ctl_client){.name = "devown-move",
                                                   .elf = client_devown_move_elf,
                                                   .elf_end = client_devown_move_elf_end,
                                                   .core = 0,
                                                   .priority = 50,
                                                   .rights = SEL4INIT_CTL_RIGHT_ADMIN};
}
