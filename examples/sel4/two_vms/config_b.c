/* SPDX-License-Identifier: BSD-2-Clause */
/* VM "b" of the two-VM system: its own VMM protection domain. */
#include "stdvmm_sel4.h"

const struct sel4_vmm_config sel4_vmm_config = {
    .name = "vm-b",
    .nr_vcpus = 1,
    .ram_gpa = 0x40000000,
    .ram_size = 0x10000000,
    .cmdline = "console=ttyAMA0 earlycon rdinit=/init panic=-1 loglevel=4 stdvmm.test=off",
    .virtio_console = true,
};
