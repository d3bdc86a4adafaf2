/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMM program "linux" of the ctl example: the Linux guest of the other
 * stdvmm-init examples, 128 MiB, one vCPU. */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .machine =
        {
            .name = "linux",
            .gic_version = 2,
            .ram_base = 0x40000000, /* ram_gpa of the description */
            .ram_size = 128u << 20,
            .nr_vcpus = 1,
            .console = VMM_CONSOLE_VIRTIO,
            .cmdline = "console=ttyAMA0 earlycon rdinit=/init panic=-1 loglevel=4 stdvmm.test=off",
        },
};
