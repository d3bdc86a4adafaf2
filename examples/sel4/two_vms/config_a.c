/* SPDX-License-Identifier: BSD-2-Clause */
/* VM "a" of the two-VM system: its own VMM protection domain. */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .machine =
        {
            .name = "vm-a",
            .gic_version = 2,
            .ram_base = 0x40000000, /* guest_ram in the .system's VM map */
            .ram_size = 0x10000000,
            .nr_vcpus = 1,
            .console = VMM_CONSOLE_VIRTIO,
            .cmdline = "console=ttyAMA0 earlycon rdinit=/init panic=-1 loglevel=4 stdvmm.test=off",
        },
};
