/* SPDX-License-Identifier: BSD-2-Clause */
#include "stdvmm/log.h"

/* The sink is process configuration, not VM state: every VM logs through it. */
static vmm_log_sink_fn log_sink;
static enum vmm_log_level log_max = VMM_LOG_INFO;

void vmm_log_set_sink(vmm_log_sink_fn sink, enum vmm_log_level max_level)
{
    log_sink = sink;
    log_max = max_level;
}

int vmm_log_enabled(enum vmm_log_level level)
{
    return log_sink != 0 && level <= log_max;
}

void vmm_log(enum vmm_log_level level, const char *fmt, ...)
{
    va_list ap;

    if (!vmm_log_enabled(level))
        return;
    va_start(ap, fmt);
    log_sink(level, fmt, ap);
    va_end(ap);
}

int vmm_ratelimit_first(struct vmm_ratelimit *rl)
{
    return rl->count++ == 0;
}
