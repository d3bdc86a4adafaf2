/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The capability layout of a VMM protection domain built by stdvmm-init:
 * its CNode has 2^SEL4INIT_PD_CNODE_BITS slots and a guard that makes a
 * plain slot number a valid capability pointer. stdvmm-init (init/vm.c)
 * fills it, the VMM's runtime (rt_init.c) uses it. See docs/SEL4.md.
 */
#ifndef STDVMM_SEL4INIT_LAYOUT_H
#define STDVMM_SEL4INIT_LAYOUT_H

#define SEL4INIT_PD_CNODE_BITS 8
#define SEL4INIT_SLOT_CNODE 1     /* the PD's own CNode */
#define SEL4INIT_SLOT_VSPACE 2    /* the PD's VSpace */
#define SEL4INIT_SLOT_TCB 3       /* the VMM thread */
#define SEL4INIT_SLOT_EP 4        /* vCPU faults arrive here (badge: SEL4INIT_BADGE_FAULT | vCPU) */
#define SEL4INIT_SLOT_REPLY 5     /* MCS reply object of the VMM thread */
#define SEL4INIT_SLOT_NTFN 6      /* bound to the VMM thread: channel n is badge bit n */
#define SEL4INIT_SLOT_VCPU_TCB 16 /* + vCPU: its TCB */
#define SEL4INIT_SLOT_VCPU 32     /* + vCPU: its VCPU object */
#define SEL4INIT_SLOT_CHANNEL 64  /* + channel: the peer's notification, badged */
#define SEL4INIT_BADGE_FAULT (1ull << 63)

/* The VMM thread starts at its ELF entry with x0 = guest RAM's address in
 * the PD (its guest-physical address), x1 = the number of vCPUs. */

#endif
