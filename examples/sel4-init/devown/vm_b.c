/* SPDX-License-Identifier: BSD-2-Clause */
/* The VMM configuration of VM vm-b of the devown system. */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .machine =
        {
            .name = "vm-b",
            .gic_version = 2,
            .ram_base = 0x40000000, /* ram_gpa of the description */
            .ram_size = 0x8000000,
            .nr_vcpus = 1,
            .console = VMM_CONSOLE_VIRTIO,
            .cmdline = "console=ttyAMA0 earlycon rdinit=/init panic=-1 loglevel=4 stdvmm.test=rtc",
        },
    .passthrough_gpa = 0x9010000, /* the PL031 of examples/sel4-init/devown/system.c */
};
