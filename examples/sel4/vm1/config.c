/* SPDX-License-Identifier: BSD-2-Clause */
/* One VM, one vCPU: boots, reboots once through PSCI SYSTEM_RESET, then
 * powers off (tests/sel4/guest/init, stdvmm.test=reset). */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .name = "vm1",
    .nr_vcpus = 1,
    .ram_gpa = 0x40000000,
    .ram_size = 0x10000000,
    .cmdline = "console=ttyAMA0 earlycon rdinit=/init panic=-1 stdvmm.test=reset",
    .virtio_console = true,
};
