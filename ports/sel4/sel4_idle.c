/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * WFI blocking on seL4. The kernel traps WFI/WFE of a vCPU as a VCPUFault;
 * replying resumes the vCPU at once, so an idle guest would run through the
 * VMM at its priority and take its whole budget. Instead, when the shared
 * decision (vmm_a64_idle_decide, src/arch/aarch64/idle.c) says the vCPU may
 * sleep, the VMM suspends its thread (seL4_TCB_Suspend, which also drops the
 * pending fault reply, so Microkit's next receive does not find a reply
 * object still in use) with the PC already past the WFI, and resumes it
 * (seL4_TCB_Resume) when
 *   - the vGIC has an interrupt for it (a device interrupt, an SGI from
 *     another vCPU, anything the VMM raised while handling another exit or
 *     a notification: sel4_idle_poll() runs after each), or
 *   - its virtual timer's deadline passes. seL4 saves and disables the
 *     virtual timer of a vCPU that is not running (save_virt_timer), so no
 *     VPPI event can come; the VMM reads CNTV_CTL/CVAL/CNTVOFF from the
 *     VCPU object and asks sDDF's timer driver for a notification at that
 *     time (one timeout per VMM: the earliest sleeper's). The resumed vCPU's
 *     timer condition is then true and the kernel raises the VPPI as usual;
 *   - or at the latest after VMM_A64_IDLE_MAX_NS (a spurious wake-up, which
 *     WFI allows).
 * A sleeping vCPU's thread is not runnable, so it uses none of its budget:
 * an idle VM leaves its core to the others. Without a timer (no
 * cfg->timer_set) WFI resumes at once as before.
 */
#include <stdbool.h>
#include <stdint.h>
#include "sel4_priv.h"
#include "sel4_rt.h"
#include "stdvmm/aarch64_idle.h"
#include "stdvmm/log.h"

static uint64_t idle_now(void)
{
    uint64_t v;

    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v)); /* CONFIG_EXPORT_PCNT_USER */
    return v;
}

static uint64_t idle_freq(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

static int idle_vcpu_reg(unsigned vcpu, seL4_Word reg, uint64_t *value)
{
    seL4_ARM_VCPU_ReadRegs_t r = seL4_ARM_VCPU_ReadRegs(sel4_rt_vcpu_obj(vcpu), reg);

    if (r.error != seL4_NoError)
        return -1;
    *value = r.value;
    return 0;
}

/* Set the driver's one timeout for the earliest sleeper, unless one at or
 * before it is already set (its notification re-arms for the rest). */
static void idle_arm(struct sel4_vmm *s, uint64_t now)
{
    bool any = false;
    uint64_t first = 0;

    for (unsigned i = 0; i < s->cfg->nr_vcpus; i++)
        if (s->idle.asleep[i] && (!any || (int64_t)(s->idle.wake_at[i] - first) < 0)) {
            first = s->idle.wake_at[i];
            any = true;
        }
    if (!any || (s->idle.armed && (int64_t)(s->idle.armed_at - first) <= 0))
        return;
    sel4_vmm_config.timer_set(sel4_vmm_config.timer_ch,
                              vmm_a64_idle_ns_until(now, first, s->idle.freq));
    s->idle.armed = true;
    s->idle.armed_at = first;
}

static void idle_wake(struct sel4_vmm *s, unsigned vcpu)
{
    seL4_Error err;

    s->idle.asleep[vcpu] = false;
    err = seL4_TCB_Resume(sel4_rt_vcpu_tcb(vcpu));
    if (err != seL4_NoError)
        vmm_err("vCPU %u: seL4_TCB_Resume after WFI failed (%d)", vcpu, (int)err);
}

void sel4_idle_init(struct sel4_vmm *s)
{
    s->idle = (struct sel4_idle){0};
    if (sel4_vmm_config.timer_set == NULL)
        return; /* no timer: no counter access either (its EL0 export is a kernel option) */
    s->idle.freq = idle_freq();
    s->idle.enabled = s->idle.freq != 0;
}

bool sel4_idle_wfi(struct sel4_vmm *s, unsigned vcpu, unsigned kind, uint64_t wfit_deadline)
{
    struct vmm_a64_idle_in in = {
        .kind = (enum vmm_wfx_kind)kind, .wfit_deadline = wfit_deadline, .freq = s->idle.freq};
    struct vmm_a64_idle out;

    if (!s->idle.enabled || vcpu >= s->cfg->nr_vcpus)
        return false;
    s->idle.traps++;
    if (idle_vcpu_reg(vcpu, seL4_VCPUReg_CNTV_CTL, &in.cntv_ctl) < 0 ||
        idle_vcpu_reg(vcpu, seL4_VCPUReg_CNTV_CVAL, &in.cntv_cval) < 0 ||
        idle_vcpu_reg(vcpu, seL4_VCPUReg_CNTVOFF, &in.cntvoff) < 0)
        return false; /* cannot know the deadline: do not sleep */
    in.irq_pending = vmm_vgic_vcpu_has_irq(&s->gic, vcpu);
    in.now = idle_now();
    if (vmm_a64_idle_decide(&in, &out) < 0 || !out.sleep) {
        if (in.irq_pending)
            s->idle.pending_irq++;
        else if (in.kind == VMM_WFI)
            s->idle.timer_due++;
        return false;
    }
    if (seL4_TCB_Suspend(sel4_rt_vcpu_tcb(vcpu)) != seL4_NoError)
        return false;
    s->idle.asleep[vcpu] = true;
    s->idle.wake_at[vcpu] = out.wake_at;
    s->idle.sleeps++;
    idle_arm(s, in.now);
    return true;
}

void sel4_idle_poll(struct sel4_vmm *s)
{
    uint64_t now, slack;
    unsigned i;

    if (!s->idle.enabled || s->halted)
        return;
    for (i = 0; i < s->cfg->nr_vcpus && !s->idle.asleep[i]; i++)
        ;
    if (i == s->cfg->nr_vcpus)
        return; /* nobody asleep, nothing to arm: most exits (no counter read) */
    now = idle_now();
    /* The driver converts through nanoseconds and may fire a tick early. */
    slack = s->idle.freq / 1000000u + 1u;
    for (i = 0; i < s->cfg->nr_vcpus; i++) {
        if (!s->idle.asleep[i])
            continue;
        if (vmm_vgic_vcpu_has_irq(&s->gic, i)) {
            s->idle.wakes_irq++;
            idle_wake(s, i);
        } else if (vmm_a64_idle_due(now + slack, s->idle.wake_at[i])) {
            s->idle.wakes_timer++;
            idle_wake(s, i);
        }
    }
    idle_arm(s, now);
}

bool sel4_idle_notified(struct sel4_vmm *s, unsigned ch)
{
    if (!s->idle.enabled || ch != sel4_vmm_config.timer_ch)
        return false;
    s->idle.armed = false; /* the driver's timeout for us has passed */
    sel4_idle_poll(s);
    return true;
}

void sel4_idle_forget(struct sel4_vmm *s, unsigned vcpu)
{
    if (vcpu < VMM_MAX_VCPUS)
        s->idle.asleep[vcpu] = false;
}

void sel4_idle_report(const struct sel4_vmm *s)
{
    if (s->idle.enabled)
        vmm_info("WFI: %llu sleeps, %llu woken by an interrupt, %llu by the timer (of %llu "
                 "WFx traps; %llu not slept with an interrupt pending, %llu with the timer due)",
                 (unsigned long long)s->idle.sleeps, (unsigned long long)s->idle.wakes_irq,
                 (unsigned long long)s->idle.wakes_timer, (unsigned long long)s->idle.traps,
                 (unsigned long long)s->idle.pending_irq, (unsigned long long)s->idle.timer_due);
}
