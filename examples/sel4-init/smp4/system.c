/* SPDX-License-Identifier: BSD-2-Clause */
/* smp4: one VM whose 4 vCPUs run on cores 0-3 (hybrid SMP VM). */
#include "stdvmm/sel4init.h"

extern const unsigned char vmm_smp4_elf[], vmm_smp4_elf_end[];

void sel4init_describe(struct sel4init_system *sys)
{
    struct sel4init_vm *vm =
        sel4init_add_vm(sys, "smp4", vmm_smp4_elf, vmm_smp4_elf_end, 128 << 20);

    sys->name = "smp4";
    for (unsigned core = 0; core < 4; core++)
        sel4init_add_vcpu(sys, vm, core, 100, 0, 0);
}
