/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMM program "tiny" of the ctl example: 4 MiB, one vCPU, the tiny
 * guest (guest.S) on the PL011. */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .machine =
        {
            .name = "tiny",
            .gic_version = 2,
            .ram_base = 0x40000000, /* ram_gpa of the description */
            .ram_size = 4u << 20,
            .nr_vcpus = 1,
            .console = VMM_CONSOLE_SERIAL,
            .cmdline = "",
        },
};
