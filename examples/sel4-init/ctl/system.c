/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctl: stdvmm-init with its control interface (sel4init_ctl.h). The
 * description has one VM (boot-vm, the tiny guest on core 3), built like
 * the VMs created at run time so it can be destroyed too; two programs
 * can be named by CREATE ("tiny", "linux"); two control clients run on
 * core 0, one after the other: ctl-view with a view capability only, then
 * ctl-test with the control (admin) capability. Every PD's capability list
 * is printed at start.
 */
#include "stdvmm/sel4init.h"
#include "stdvmm/sel4init_ctl.h"

extern const unsigned char vmm_tiny_elf[], vmm_tiny_elf_end[];
extern const unsigned char vmm_linux_elf[], vmm_linux_elf_end[];
extern const unsigned char client_ctl_test_elf[], client_ctl_test_elf_end[];
extern const unsigned char client_ctl_view_elf[], client_ctl_view_elf_end[];

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *vm =
        sel4init_add_vm(sys, "boot-vm", vmm_tiny_elf, vmm_tiny_elf_end, 4 << 20);

    sys->name = "ctl";
    sel4init_add_vcpu(sys, vm, 3, 100, 0, 0);
    if (vm != NULL)
        vm->vmm_core = 3; /* the VMM on its vCPU's core */
}

void sel4init_describe_ctl(struct sel4init_ctl_system *ctl)
{
    ctl->print_caps = true;
    ctl->clients_in_order = true; /* ctl-view, then ctl-test */
    ctl->nr_programs = 2;
    ctl->programs[0] = (struct sel4init_ctl_program){
        .name = "tiny", .elf = vmm_tiny_elf, .elf_end = vmm_tiny_elf_end};
    ctl->programs[1] = (struct sel4init_ctl_program){
        .name = "linux", .elf = vmm_linux_elf, .elf_end = vmm_linux_elf_end};
    ctl->nr_clients = 2;
    /* ctl-view first: it runs before ctl-test changes anything */
    ctl->clients[0] = (struct sel4init_ctl_client){.name = "ctl-view",
                                                   .elf = client_ctl_view_elf,
                                                   .elf_end = client_ctl_view_elf_end,
                                                   .core = 0,
                                                   .priority = 60,
                                                   .rights = SEL4INIT_CTL_RIGHT_VIEW};
    ctl->clients[1] = (struct sel4init_ctl_client){.name = "ctl-test",
                                                   .elf = client_ctl_test_elf,
                                                   .elf_end = client_ctl_test_elf_end,
                                                   .core = 0,
                                                   .priority = 50,
                                                   .rights = SEL4INIT_CTL_RIGHT_ADMIN};
}
