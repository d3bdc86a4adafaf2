/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VMM's wake-up timer: a client of sDDF's timer driver PD
 * (drivers/timer/arm, on the EL1 physical timer), which keeps one timeout
 * per client channel and notifies the client when it passes. A protected
 * call, so the driver runs at a higher priority than every VMM (checked by
 * tools/sel4gen and the Microkit tool). Built only with SDDF=DIR; a
 * configuration links it by naming sel4_sddf_timer_set.
 */
#include <stdint.h>
#include <microkit.h>
#include <sddf/timer/protocol.h>
#include "stdvmm_sel4.h"

/* What sDDF's sddf_timer_set_timeout() does (sddf/timer/client.h, whose
 * os/sddf.h does not build with this project's warnings): the relative
 * timeout in MR 0, the request in the label. */
void sel4_sddf_timer_set(unsigned ch, uint64_t ns)
{
    microkit_mr_set(0, ns);
    (void)microkit_ppcall(ch, microkit_msginfo_new(SDDF_TIMER_SET_TIMEOUT, 1));
}
