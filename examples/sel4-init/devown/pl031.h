/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PL031 both VMMs of the devown system pass through while they own it
 * (system.c moves it; ../vm_config.c includes this as VM_PASSTHRU_H): QEMU virt's at 0x9010000, SPI
 * 2 (INTID 34), the same addresses in the guest. Each guest's device tree has its node, so its
 * built-in rtc-pl031 driver binds at boot, owner or not (while another VM
 * owns it the kernel reads zeros: ports/sel4/sel4_passthru.c).
 */
#ifndef DEVOWN_PL031_H
#define DEVOWN_PL031_H

#include "stdvmm/sel4init.h"
#include "stdvmm_sel4.h"

static const char devown_pl031_compat[] = "arm,pl031\0arm,primecell";

static const struct sel4_passthru_config devown_pl031 = {
    .gpa = 0x9010000,
    .line = 2,
    .irq_ch = SEL4INIT_DEV_IRQ_CH,
    .release_ch = SEL4INIT_DEV_RELEASE_CH,
    .node_name = "pl031",
    .compatible = devown_pl031_compat,
    .compatible_len = sizeof(devown_pl031_compat),
    .primecell_periphid = 0x00041031, /* ARM PL031 r0 */
};
#define VM_PASSTHRU (&devown_pl031)

#endif
