/* SPDX-License-Identifier: BSD-2-Clause */
/* bad: an impossible description (a vCPU on core 7 of a 4-core kernel);
 * stdvmm-init must refuse it with a message before anything runs. */
#include "stdvmm/sel4init.h"

extern const unsigned char vmm_bad_elf[], vmm_bad_elf_end[];

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *vm = sel4init_add_vm(sys, "bad", vmm_bad_elf, vmm_bad_elf_end, 128 << 20);

    sys->name = "bad";
    sel4init_add_vcpu(sys, vm, 7, 100, 0, 0);
}
