/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The runtime a VMM protection domain runs on, the only thing that differs
 * between a Microkit system (sel4_rt_microkit.c: Microkit's entry points,
 * capability slots and debug output) and a system built by stdvmm-init
 * (ports/sel4-init/rt_init.c: its own event loop and capability layout).
 * Everything else in ports/sel4 uses libsel4 directly and this header.
 */
#ifndef STDVMM_SEL4_RT_H
#define STDVMM_SEL4_RT_H

#include <stdbool.h>
#include <stdint.h>
/* A VMM PD is one thread: libsel4's IPC buffer pointer is a plain global,
 * not thread-local (as libmicrokit defines it). */
#ifndef __thread
#define __thread
#endif
#include <sel4/sel4.h>

/* Capabilities of vCPU @vcpu (0..nr_vcpus-1): its TCB and its VCPU object. */
seL4_CPtr sel4_rt_vcpu_tcb(unsigned vcpu);
seL4_CPtr sel4_rt_vcpu_obj(unsigned vcpu);

/* Print @s on the kernel's debug console (nothing on a release kernel). */
void sel4_rt_puts(const char *s);

/* Signal the notification of channel @ch (an sDDF queue's peer). */
void sel4_rt_notify(unsigned ch);

/* Acknowledge the interrupt that arrives on channel @ch (the kernel keeps
 * it masked until then); 0, or the kernel's error (no such capability:
 * the interrupt was taken away). */
int sel4_rt_irq_ack(unsigned ch);

/* What the runtime calls (vmm.c): once at start with where guest RAM is
 * mapped in this PD; for each notification on channel @ch; for each fault
 * of vCPU @vcpu with the fault's label (the message registers hold the
 * fault) -- true: reply with an empty message to resume the vCPU. */
void sel4_vmm_init(uintptr_t guest_ram);
void sel4_vmm_notified(unsigned ch);
bool sel4_vmm_fault(unsigned vcpu, unsigned label);

#endif
