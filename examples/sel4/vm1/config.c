/* SPDX-License-Identifier: BSD-2-Clause */
/* One VM, one vCPU: boots, reboots once through PSCI SYSTEM_RESET, then
 * powers off (tests/sel4/guest/init, stdvmm.test=reset). */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .machine =
        {
            .name = "vm1",
            .gic_version = 2,
            .ram_base = 0x40000000, /* guest_ram in the .system's VM map */
            .ram_size = 0x10000000,
            .nr_vcpus = 1,
            .console = VMM_CONSOLE_VIRTIO,
            .cmdline = "console=ttyAMA0 earlycon rdinit=/init panic=-1 stdvmm.test=reset",
        },
};
