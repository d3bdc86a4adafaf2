/* SPDX-License-Identifier: BSD-2-Clause */
/* Helpers shared by the files of src/arch/aarch64 (not public API). */
#ifndef STDVMM_ARCH_AARCH64_INTERNAL_H
#define STDVMM_ARCH_AARCH64_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Write "<name>@<unit in lower-case hex>" into @buf; -VMM_ENOSPC if it
 * does not fit (NUL included). */
int vmm_arm64_node_name(char *buf, size_t bufsize, const char *name, uint64_t unit);

#endif
