/* SPDX-License-Identifier: BSD-2-Clause */
/* pinned2_one: pinned2's two VMs with both vCPUs on core 1 (the baseline
 * tests/sel4-init/run.sh compares pinned2 with). */
#define PINNED2_ONE_CORE
#include "../pinned2/system.c"
