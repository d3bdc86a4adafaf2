/* SPDX-License-Identifier: BSD-2-Clause */
/* A small printf-style formatter for the libc-less VMM (logs, command line). */
#ifndef STDVMM_SEL4_FMT_H
#define STDVMM_SEL4_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* vsnprintf subset: %s %c %d %i %u %x %X %p %% with l, ll, z and a zero-pad
 * width (%08x). Always NUL-terminates when @size > 0; returns the length
 * written (truncated output is cut, not counted). */
size_t sel4_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* sel4_vsnprintf with variadic arguments. */
size_t sel4_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
