/* SPDX-License-Identifier: BSD-2-Clause */
/* What libfdt's headers expect from <stdlib.h>, for builds without a C library. */
#ifndef STDVMM_FREESTANDING_STDLIB_H
#define STDVMM_FREESTANDING_STDLIB_H

#include <stddef.h>

unsigned long strtoul(const char *s, char **end, int base);

#endif
