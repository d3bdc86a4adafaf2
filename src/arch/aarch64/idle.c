/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The WFI sleep decision (include/stdvmm/aarch64_idle.h). Counter values
 * are compared as the architecture does, unsigned and without wrapping; a
 * wake-up time is at most VMM_A64_IDLE_MAX_NS ahead, so comparing it with a
 * later "now" by difference is safe for any counter frequency.
 */
#include <stdbool.h>
#include <stdint.h>
#include "stdvmm/aarch64_idle.h"
#include "stdvmm/err.h"

#define NS_PER_S 1000000000ull

_Static_assert(VMM_A64_IDLE_MAX_NS % NS_PER_S == 0, "the sleep bound is whole seconds");

int vmm_a64_idle_decide(const struct vmm_a64_idle_in *in, struct vmm_a64_idle *out)
{
    uint64_t bound, vnow, deadline = UINT64_MAX, ticks;
    bool has_deadline = false;

    *out = (struct vmm_a64_idle){.sleep = false};
    if (in->freq == 0)
        return -VMM_EINVAL;
    if (in->kind == VMM_WFE || in->kind == VMM_WFET || in->irq_pending)
        return 0;
    vnow = in->now - in->cntvoff; /* CNTVCT, modulo 2^64 as the hardware */
    if ((in->cntv_ctl & VMM_CNTV_CTL_ENABLE) && !(in->cntv_ctl & VMM_CNTV_CTL_IMASK)) {
        has_deadline = true;
        deadline = in->cntv_cval;
    }
    if (in->kind == VMM_WFIT && (!has_deadline || in->wfit_deadline < deadline)) {
        has_deadline = true;
        deadline = in->wfit_deadline;
    }
    if (has_deadline && vnow >= deadline)
        return 0; /* already due: the timer interrupt is pending */
    bound = in->freq * (VMM_A64_IDLE_MAX_NS / NS_PER_S);
    out->sleep = true;
    ticks = has_deadline ? deadline - vnow : bound;
    out->timer = has_deadline && ticks <= bound;
    out->wake_at = in->now + (out->timer ? ticks : bound);
    return 0;
}

uint64_t vmm_a64_idle_ns_until(uint64_t now, uint64_t at, uint64_t freq)
{
    uint64_t ticks = at - now, whole, ns;

    if (freq == 0 || (int64_t)ticks <= 0)
        return 0;
    whole = ticks / freq;
    if (whole >= VMM_A64_IDLE_MAX_NS / NS_PER_S)
        return VMM_A64_IDLE_MAX_NS;
    /* (ticks % freq) < freq <= 2^64 / 1e9 for any real counter (< 18 GHz). */
    ns = whole * NS_PER_S + ((ticks % freq) * NS_PER_S + freq - 1) / freq;
    return ns > VMM_A64_IDLE_MAX_NS ? VMM_A64_IDLE_MAX_NS : ns;
}

bool vmm_a64_idle_due(uint64_t now, uint64_t at)
{
    return (int64_t)(at - now) <= 0;
}
