/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Levelled logging. The core formats nothing itself: it hands the format
 * string and arguments to a sink that the port installs (stderr on Linux, a
 * debug UART on seL4). Without a sink, messages are dropped.
 */
#ifndef STDVMM_LOG_H
#define STDVMM_LOG_H

#include <stdarg.h>

enum vmm_log_level {
    VMM_LOG_ERROR = 0,
    VMM_LOG_WARN = 1,
    VMM_LOG_INFO = 2,
    VMM_LOG_DEBUG = 3,
};

typedef void (*vmm_log_sink_fn)(enum vmm_log_level level, const char *fmt, va_list ap);

/* Install the process-wide log sink and the most verbose level it receives. */
void vmm_log_set_sink(vmm_log_sink_fn sink, enum vmm_log_level max_level);

/* True when a message at @level would reach the sink. */
int vmm_log_enabled(enum vmm_log_level level);

/* Log one message (no trailing newline needed; the sink adds one). */
void vmm_log(enum vmm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define vmm_err(...) vmm_log(VMM_LOG_ERROR, __VA_ARGS__)
#define vmm_warn(...) vmm_log(VMM_LOG_WARN, __VA_ARGS__)
#define vmm_info(...) vmm_log(VMM_LOG_INFO, __VA_ARGS__)
#define vmm_dbg(...) vmm_log(VMM_LOG_DEBUG, __VA_ARGS__)

/*
 * Rate limiter for guest-caused warnings: a device keeps one of these per
 * kind of violation and reports each kind once (the first time) and then only
 * counts. Returns non-zero when the caller should log.
 *
 * The rule: every message at INFO or above that a guest can cause, directly
 * or by repeating an action, goes through one of these (on seL4 the log is a
 * debug UART shared by every protection domain). tests/unit/test_log_floods.c
 * and the fuzzers' log sink (tests/fuzz/fuzz_support.c) enforce it. Debug
 * messages are opt-in and exempt.
 */
struct vmm_ratelimit {
    unsigned long count;
};
int vmm_ratelimit_first(struct vmm_ratelimit *rl);

#endif
