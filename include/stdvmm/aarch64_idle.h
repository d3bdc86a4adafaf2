/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * When a vCPU that trapped on WFI may sleep, and until when: the decision a
 * port makes when its hypervisor leaves WFI to the VMM (seL4; on KVM the
 * kernel blocks the vCPU thread itself and WFI never reaches user space).
 *
 * A WFI completes (Arm ARM D1.6.2 "Wait for Interrupt") when an interrupt
 * is pending for the PE -- for a vCPU: a virtual interrupt in a list
 * register or one the vGIC still holds pending -- or at an event of the
 * implementation's choosing; a spurious completion is always allowed. The
 * EL1 virtual timer raises its interrupt when CNTV_CTL_EL0.ENABLE = 1,
 * IMASK = 0 and CNTVCT_EL0 >= CNTV_CVAL_EL0 (D11.2.4), where CNTVCT =
 * CNTPCT - CNTVOFF_EL2. So a vCPU may sleep only while nothing is pending,
 * at most until its timer's compare value in physical counter time, and
 * never longer than VMM_A64_IDLE_MAX_NS (a bound on every sleep: a wake-up
 * that never comes costs at most that much).
 *
 * WFE (and WFET) never sleeps: its wake-up events include another CPU's SEV
 * and the clearing of the exclusive monitor, which a VMM does not see, so a
 * vCPU spinning on a lock with WFE could sleep until the next tick.
 */
#ifndef STDVMM_AARCH64_IDLE_H
#define STDVMM_AARCH64_IDLE_H

#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/aarch64_trap.h"

/* CNTV_CTL_EL0 bits (D17.12.17). */
#define VMM_CNTV_CTL_ENABLE (1u << 0)
#define VMM_CNTV_CTL_IMASK (1u << 1)

/* Upper bound of one sleep, in nanoseconds. */
#define VMM_A64_IDLE_MAX_NS 1000000000ull

/* The vCPU's state at the trapped WFx. */
struct vmm_a64_idle_in {
    enum vmm_wfx_kind kind; /* from vmm_esr_decode_wfx() */
    uint64_t wfit_deadline; /* WFIT: the Rt register (virtual count) */
    bool irq_pending;       /* vmm_vgic_vcpu_has_irq() */
    uint64_t cntv_ctl;      /* guest CNTV_CTL_EL0 */
    uint64_t cntv_cval;     /* guest CNTV_CVAL_EL0 */
    uint64_t cntvoff;       /* CNTVOFF_EL2 of the vCPU */
    uint64_t now;           /* physical count (CNTPCT) now */
    uint64_t freq;          /* counter frequency in Hz (CNTFRQ), > 0 */
};

struct vmm_a64_idle {
    bool sleep;       /* false: resume the vCPU at once */
    bool timer;       /* wake_at is the guest's own deadline (else the bound) */
    uint64_t wake_at; /* physical count at which to resume it, > now */
};

/* Decide for one trapped WFx. -VMM_EINVAL (and no sleep) for freq 0. */
int vmm_a64_idle_decide(const struct vmm_a64_idle_in *in, struct vmm_a64_idle *out);

/* Nanoseconds from physical count @now until @at (0 if passed), rounded up
 * so a timeout never fires before @at; saturates at VMM_A64_IDLE_MAX_NS. */
uint64_t vmm_a64_idle_ns_until(uint64_t now, uint64_t at, uint64_t freq);

/* True once physical count @now has reached @at (@at set by decide). */
bool vmm_a64_idle_due(uint64_t now, uint64_t at);

#endif
