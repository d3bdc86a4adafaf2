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
#define SEL4INIT_SLOT_CNODE 1  /* the PD's own CNode */
#define SEL4INIT_SLOT_VSPACE 2 /* the PD's VSpace */
#define SEL4INIT_SLOT_TCB 3    /* VMM thread 0 */
#define SEL4INIT_SLOT_EP 4     /* its endpoint: faults of the vCPUs on its core */
#define SEL4INIT_SLOT_REPLY 5  /* MCS reply object of VMM thread 0 */
#define SEL4INIT_SLOT_NTFN 6   /* bound to VMM thread 0: channel n is badge bit n */
/* The IRQ handler of a passed-through device while the VM owns it (its
 * channels: SEL4INIT_DEV_*_CH in stdvmm/sel4init.h). */
#define SEL4INIT_SLOT_DEV_IRQ 7
#define SEL4INIT_SLOT_VCPU_TCB 16 /* + vCPU: its TCB */
#define SEL4INIT_SLOT_VCPU 32     /* + vCPU: its VCPU object */
#define SEL4INIT_SLOT_CHANNEL 64  /* + channel: the peer's notification, badged */
/* VMM thread t >= 1 (one per other core with vCPUs of this VM): its TCB,
 * the endpoint of the vCPUs on its core, its reply object. */
#define SEL4INIT_SLOT_THREAD_TCB 128
#define SEL4INIT_SLOT_THREAD_EP 144
#define SEL4INIT_SLOT_THREAD_REPLY 160
#define SEL4INIT_SLOT_VMM_TCB(t) ((t) == 0 ? SEL4INIT_SLOT_TCB : SEL4INIT_SLOT_THREAD_TCB + (t))
#define SEL4INIT_SLOT_VMM_EP(t) ((t) == 0 ? SEL4INIT_SLOT_EP : SEL4INIT_SLOT_THREAD_EP + (t))
#define SEL4INIT_SLOT_VMM_REPLY(t)                                                                 \
    ((t) == 0 ? SEL4INIT_SLOT_REPLY : SEL4INIT_SLOT_THREAD_REPLY + (t))
#define SEL4INIT_BADGE_FAULT (1ull << 63) /* | vCPU: a fault of that vCPU */

/* Every VMM thread starts at the program's ELF entry with x0 = guest RAM's
 * address in the PD (its guest-physical address), x1 = the number of vCPUs,
 * x2 = the thread's number t, x3 = the number of VMM threads. */

#endif
